"""An example plugin: every object here publishes a datafusion-ffi PyCapsule, so it works in any
DataFusion 55 host (fuseplug, the official ``datafusion`` wheel) without depending on either."""

from fuseplug_ffi_example._internal import (
    CountingLogicalCodec,
    CountingPhysicalCodec,
    CountingRule,
    DoubleUdf,
    ExampleCatalog,
    ExampleCatalogList,
    ExampleOptions,
    ExampleSchema,
    GreetUdf,
    MemoryTable,
    RangeFunction,
    RowNumberUdwf,
    RowsTableFactory,
    SleepyTable,
    SumOfSquaresUdaf,
)

__all__ = [
    "CountingLogicalCodec",
    "CountingPhysicalCodec",
    "CountingRule",
    "DoubleUdf",
    "ExampleCatalog",
    "ExampleCatalogList",
    "ExampleOptions",
    "GreetUdf",
    "RowNumberUdwf",
    "RowsTableFactory",
    "SumOfSquaresUdaf",
    "ExampleSchema",
    "MemoryTable",
    "RangeFunction",
    "SleepyTable",
]
