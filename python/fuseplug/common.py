"""The official bindings' ``datafusion.common`` module: the type mappings between Arrow, Python
and SQL, schemas with table qualifiers, and table / schema metadata.

>>> import pyarrow as pa
>>> from fuseplug.common import DataTypeMap, PythonType, SqlType
>>> m = DataTypeMap.arrow(pa.int32())
>>> m.python_type, m.sql_type, m.friendly_arrow_type_name()
(PythonType.Int, SqlType.INTEGER, 'Int32')
>>> DataTypeMap.sql(SqlType.VARCHAR).arrow_type
DataType(string)
>>> DataTypeMap.from_parquet_type_str("INT96").arrow_type.pyarrow_type
TimestampType(timestamp[ns])
>>> DataTypeMap.arrow(pa.list_(pa.int32()))
Traceback (most recent call last):
...
NotImplementedError: no Python / SQL type mapping for the Arrow type list<item: int32> (List)

>>> from fuseplug.common import DFSchema
>>> DFSchema.empty().field_names()
[]

>>> from fuseplug import col, functions as f
>>> from fuseplug.common import NullTreatment
>>> f.first_value(col("x"), null_treatment=NullTreatment.IGNORE_NULLS).canonical_name()
'first_value(x) IGNORE NULLS'
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fuseplug._common_schema import (
        Constraints,
        DFSchema,
        SqlFunction,
        SqlSchema,
        SqlStatistics,
        SqlTable,
        SqlView,
        TableSource,
    )
    from fuseplug._common_types import (
        DataType,
        DataTypeMap,
        PythonType,
        RexType,
        SqlType,
        TableType,
    )

__all__ = [
    "Constraints",
    "DFSchema",
    "DataType",
    "DataTypeMap",
    "NullTreatment",
    "PythonType",
    "RexType",
    "SqlFunction",
    "SqlSchema",
    "SqlStatistics",
    "SqlTable",
    "SqlType",
    "SqlView",
    "TableSource",
    "TableType",
]

_TYPES = ("DataType", "DataTypeMap", "PythonType", "RexType", "SqlType", "TableType")


class NullTreatment(enum.Enum):
    """Whether window and ordered aggregate functions skip nulls (``IGNORE NULLS``)."""

    RESPECT_NULLS = "respect_nulls"
    IGNORE_NULLS = "ignore_nulls"


def __getattr__(name: str) -> Any:
    """The type mappings and schema classes, imported on first use."""
    if name in _TYPES:
        from fuseplug import _common_types as source
    elif name in __all__:
        from fuseplug import _common_schema as source  # type: ignore[no-redef]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(source, name)
    globals()[name] = value  # later lookups (and doctest's finder) see it directly
    return value


def __dir__() -> list[str]:
    """Lists the classes served on first use too, for ``dir()`` and tab completion."""
    return sorted(set(globals()) | set(__all__) | set(_TYPES))
