"""A test plugin built on DataFusion 54 (datafusion-ffi 54.1).

No wheel on PyPI built on DataFusion 54 publishes window UDFs, table functions, schemas or catalog
lists, so fuseplug's tests of the DataFusion 54 bridge (``fuseplug[bridge54]``) use this one for
those kinds; the real wheels (pyiceberg-core, pylance, pypaimon-rust, sedonadb,
datafusion-extra-functions-ffi) cover the others. Every object publishes its DataFusion 54 capsule
as a plugin for a DataFusion 54 host would:

- :class:`RunningTotal`: window UDF ``running_total54(x)``, the sum of ``x`` over the partition so far;
- :class:`FrameSum`: window UDF ``frame_sum54(x)``, the sum of ``x`` over the window frame;
- :class:`Series`: table function ``series54(n)``, a table of ``i`` = 0 .. n-1;
- :class:`ExampleSchema`: a schema holding ``t54`` (``i``, ``name``);
- :class:`ExampleCatalogList`: catalog ``c54`` with schema ``s54`` holding ``t54``;
- :class:`ArrowTable`: a table provider over the batches of any Arrow stream (``__arrow_c_stream__``),
  shared, not copied: what ``benchmarks/bridge54.py`` scans to measure the bridge itself;
- :class:`SessionProbe`: a table of one row, the ``batch_size`` and ``target_partitions`` of the
  session its scan was planned in (what configuration reached the plugin).
"""

from __future__ import annotations

from fuseplug_ffi_example54._internal import (
    ArrowTable,
    ExampleCatalogList,
    ExampleSchema,
    FrameSum,
    RunningTotal,
    Series,
    SessionProbe,
)

__all__ = [
    "ArrowTable",
    "ExampleCatalogList",
    "ExampleSchema",
    "FrameSum",
    "RunningTotal",
    "Series",
    "SessionProbe",
]
