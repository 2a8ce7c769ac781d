"""fuseplug: Apache DataFusion 55 for Python, built to plug in other DataFusion wheels.

Wheels built on DataFusion 55 plug in directly, and DataFusion 54 ones through the optional bridge
(``pip install 'fuseplug[bridge54]'``); a wheel built on any other major is refused with
:class:`~fuseplug.exceptions.IncompatiblePluginError` instead of crashing.

>>> import fuseplug
>>> ctx = fuseplug.SessionContext()
>>> ctx.sql("SELECT 1 + 1 AS two").to_pydict()
{'two': [2]}
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fuseplug import (
    catalog,
    common,
    exceptions,
    extensions,
    io,
    ipc,
    options,
    record_batch,
    unparser,
    user_defined,
)
from fuseplug._compat import TableProviderFactoryExportable
from fuseplug._internal import DATAFUSION_VERSION, SQLOptions, __version__
from fuseplug.catalog import Catalog, Schema, Table, TableProviderFactory
from fuseplug.context import RuntimeEnvBuilder, SessionConfig, SessionContext
from fuseplug.dataframe import (
    DataFrame,
    DataFrameWriteOptions,
    ExplainFormat,
    InsertOp,
    ParquetColumnOptions,
    ParquetWriterOptions,
    RecordBatch,
    RecordBatchStream,
)
from fuseplug.exceptions import DataFusionError, FuseplugError
from fuseplug.expr import (
    CaseBuilder,
    Expr,
    ExprFuncBuilder,
    SortExpr,
    Window,
    WindowFrame,
    col,
    column,
    lit,
    lit_with_metadata,
    literal,
    literal_with_metadata,
    str_lit,
    string_literal,
)
from fuseplug.extensions import SessionExtensionComponents
from fuseplug.io import read_avro, read_csv, read_json, read_parquet
from fuseplug.options import CsvReadOptions
from fuseplug.plan import ExecutionPlan, LogicalPlan, Metric, MetricsSet, PhysicalPartitioning

if TYPE_CHECKING:
    from fuseplug import functions, native, substrait
    from fuseplug.common import DFSchema
    from fuseplug.dataframe_formatter import configure_formatter
    from fuseplug.native import NativeExtension, load_extension

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
    "DATAFUSION_VERSION",
    "Accumulator",
    "AggregateUDF",
    "CaseBuilder",
    "Catalog",
    "CsvReadOptions",
    "DFSchema",
    "DataFrame",
    "DataFrameWriteOptions",
    "DataFusionError",
    "ExplainFormat",
    "ExecutionPlan",
    "Expr",
    "ExprFuncBuilder",
    "FuseplugError",
    "InsertOp",
    "LogicalPlan",
    "Metric",
    "MetricsSet",
    "NativeExtension",
    "ParquetColumnOptions",
    "PhysicalPartitioning",
    "ParquetWriterOptions",
    "RecordBatch",
    "RecordBatchStream",
    "RuntimeEnvBuilder",
    "ScalarUDF",
    "Schema",
    "SessionConfig",
    "SessionContext",
    "SessionExtensionComponents",
    "SQLOptions",
    "SortExpr",
    "Table",
    "TableFunction",
    "TableProviderFactory",
    "TableProviderFactoryExportable",
    "WindowEvaluator",
    "WindowFrame",
    "WindowUDF",
    "Window",
    "__version__",
    "catalog",
    "col",
    "column",
    "common",
    "configure_formatter",
    "exceptions",
    "extensions",
    "functions",
    "io",
    "ipc",
    "lit",
    "lit_with_metadata",
    "literal",
    "literal_with_metadata",
    "read_avro",
    "read_csv",
    "read_json",
    "read_parquet",
    "record_batch",
    "str_lit",
    "string_literal",
    "substrait",
    "unparser",
    "user_defined",
    "load_extension",
    "native",
    "options",
    "udaf",
    "udf",
    "udtf",
    "udwf",
]


#: Names whose modules load on first use, so that ``import fuseplug`` stays fast: name -> (module,
#: attribute, or None for the module itself). python/tests/test_import.py checks what loads.
_ON_FIRST_USE: dict[str, tuple[str, str | None]] = {
    "functions": ("fuseplug.functions", None),  # ~600 generated functions with their docs
    "native": ("fuseplug.native", None),
    "NativeExtension": ("fuseplug.native", "NativeExtension"),
    "load_extension": ("fuseplug.native", "load_extension"),
    "substrait": ("fuseplug.substrait", None),
    "DFSchema": ("fuseplug.common", "DFSchema"),
    "configure_formatter": ("fuseplug.dataframe_formatter", "configure_formatter"),
}


def __getattr__(name: str) -> Any:
    """Loads the names of ``_ON_FIRST_USE`` when first asked for."""
    try:
        module_name, attr = _ON_FIRST_USE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
