"""User-defined functions, under the module name of the official bindings (the same objects as
:mod:`fuseplug.udf`)."""

from fuseplug.udf import (
    Accumulator,
    AggregateUDF,
    ScalarUDF,
    TableFunction,
    WindowEvaluator,
    WindowUDF,
    udaf,
    udf,
    udtf,
    udwf,
)

__all__ = [
    "Accumulator",
    "AggregateUDF",
    "ScalarUDF",
    "TableFunction",
    "WindowEvaluator",
    "WindowUDF",
    "udaf",
    "udf",
    "udtf",
    "udwf",
]
