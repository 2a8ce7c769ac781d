"""User-defined functions, under the module name of the official bindings (the same objects as
:mod:`fuseplug.udf`)."""

from fuseplug._compat import (
    AggregateUDFExportable,
    LogicalExtensionCodecExportable,
    PhysicalExtensionCodecExportable,
    ScalarUDFExportable,
    Volatility,
    WindowUDFExportable,
    data_type_or_field_to_field,
    data_types_or_fields_to_field_list,
)
from fuseplug.context import SessionContext
from fuseplug.expr import Expr
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
    "AggregateUDFExportable",
    "Expr",
    "LogicalExtensionCodecExportable",
    "PhysicalExtensionCodecExportable",
    "ScalarUDFExportable",
    "SessionContext",
    "Volatility",
    "WindowUDFExportable",
    "data_type_or_field_to_field",
    "data_types_or_fields_to_field_list",
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
