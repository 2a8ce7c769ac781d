"""Reading files without making a context first: each function reads through
:meth:`SessionContext.global_ctx`, as in the official bindings.

>>> import fuseplug, pyarrow as pa, pyarrow.parquet as pq, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "t.parquet")
>>> pq.write_table(pa.table({"a": [1, 2]}), path)
>>> fuseplug.read_parquet(path).to_pydict()
{'a': [1, 2]}
"""

from __future__ import annotations

import pathlib
from typing import TYPE_CHECKING

from fuseplug.context import SessionContext
from fuseplug.dataframe import DataFrame
from fuseplug.expr import Expr
from fuseplug.options import CsvReadOptions

if TYPE_CHECKING:
    import pyarrow as pa
else:
    from fuseplug._lazy import pyarrow as pa

__all__ = ["read_avro", "read_csv", "read_json", "read_parquet"]


def read_parquet(
    path: str | pathlib.Path,
    table_partition_cols: list[tuple[str, pa.DataType]] | None = None,
    parquet_pruning: bool = True,
    file_extension: str = ".parquet",
    skip_metadata: bool = True,
    schema: pa.Schema | None = None,
    file_sort_order: list[list[Expr]] | None = None,
) -> DataFrame:
    """:meth:`SessionContext.read_parquet` on the global context."""
    return SessionContext.global_ctx().read_parquet(
        path,
        table_partition_cols=table_partition_cols,
        parquet_pruning=parquet_pruning,
        file_extension=file_extension,
        skip_metadata=skip_metadata,
        schema=schema,
        file_sort_order=file_sort_order,
    )


def read_csv(
    path: str | pathlib.Path | list[str] | list[pathlib.Path],
    schema: pa.Schema | None = None,
    has_header: bool = True,
    delimiter: str = ",",
    schema_infer_max_records: int = 1000,
    file_extension: str = ".csv",
    table_partition_cols: list[tuple[str, pa.DataType]] | None = None,
    file_compression_type: str | None = None,
    options: CsvReadOptions | None = None,
) -> DataFrame:
    """:meth:`SessionContext.read_csv` on the global context."""
    return SessionContext.global_ctx().read_csv(
        path,
        schema=schema,
        has_header=has_header,
        delimiter=delimiter,
        schema_infer_max_records=schema_infer_max_records,
        file_extension=file_extension,
        table_partition_cols=table_partition_cols,
        file_compression_type=file_compression_type,
        options=options,
    )


def read_json(
    path: str | pathlib.Path,
    schema: pa.Schema | None = None,
    schema_infer_max_records: int = 1000,
    file_extension: str = ".json",
    table_partition_cols: list[tuple[str, pa.DataType]] | None = None,
    file_compression_type: str | None = None,
) -> DataFrame:
    """:meth:`SessionContext.read_json` on the global context."""
    return SessionContext.global_ctx().read_json(
        path,
        schema=schema,
        schema_infer_max_records=schema_infer_max_records,
        file_extension=file_extension,
        table_partition_cols=table_partition_cols,
        file_compression_type=file_compression_type,
    )


def read_avro(
    path: str | pathlib.Path,
    schema: pa.Schema | None = None,
    file_partition_cols: list[tuple[str, pa.DataType]] | None = None,
    file_extension: str = ".avro",
) -> DataFrame:
    """:meth:`SessionContext.read_avro` on the global context."""
    return SessionContext.global_ctx().read_avro(
        path, schema=schema, file_partition_cols=file_partition_cols, file_extension=file_extension
    )
