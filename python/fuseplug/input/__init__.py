"""Input plugins: objects that describe a data source as a :class:`~fuseplug.common.SqlTable`
(name, column types, row count, files), as SQL front ends on DataFusion use them.

>>> import pyarrow as pa, pyarrow.parquet as pq, tempfile, os
>>> from fuseplug.input import LocationInputPlugin
>>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
>>> pq.write_table(pa.table({"a": [1, 2, 3]}), path)
>>> table = LocationInputPlugin().build_table(path, "t")
>>> table.name, table.statistics.getRowCount(), [c for c, _ in table.columns]
('t', 3.0, ['a'])
"""

from fuseplug.input.location import LocationInputPlugin

__all__ = ["LocationInputPlugin"]
