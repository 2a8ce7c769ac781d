"""An example plugin: every object here publishes a datafusion-ffi PyCapsule, so it works in any
DataFusion 55 host (fuseplug, the official ``datafusion`` wheel) without depending on either.

``PanickingUdf`` and ``PanickingTable`` are test hooks, not examples: they panic on purpose (in a UDF
body, in a table scan or in a poll of its stream) so tests can show that every callback of the plugin
is guarded and a panic reaches the host as an error. Never register them outside a test.

``CountingPlanner`` is a query planner (``set_query_planner``) and ``ExampleExtension`` a bundle of
codecs and a planner (``with_extensions``)."""

from fuseplug_ffi_example._internal import (
    CountingLogicalCodec,
    CountingPhysicalCodec,
    CountingPlanner,
    CountingRule,
    DoubleUdf,
    ExampleCatalog,
    ExampleCatalogList,
    ExampleOptions,
    ExampleSchema,
    GreetUdf,
    MemoryTable,
    PanickingTable,
    PanickingUdf,
    RangeFunction,
    RowNumberUdwf,
    RowsTableFactory,
    SleepyTable,
    SumOfSquaresUdaf,
)
from fuseplug_ffi_example.bundle import ExampleExtension

__all__ = [
    "CountingLogicalCodec",
    "CountingPhysicalCodec",
    "CountingPlanner",
    "CountingRule",
    "DoubleUdf",
    "ExampleCatalog",
    "ExampleCatalogList",
    "ExampleExtension",
    "ExampleOptions",
    "GreetUdf",
    "RowNumberUdwf",
    "RowsTableFactory",
    "SumOfSquaresUdaf",
    "ExampleSchema",
    "MemoryTable",
    "PanickingTable",
    "PanickingUdf",
    "RangeFunction",
    "SleepyTable",
]
