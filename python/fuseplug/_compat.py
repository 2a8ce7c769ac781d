"""Names the official bindings' modules export besides their main classes: the capsule protocols
(type hints for objects fuseplug accepts), the ``Compression`` and ``Volatility`` enums, and the
small conversion helpers. ``fuseplug.context``, ``fuseplug.dataframe``, ``fuseplug.catalog`` and
``fuseplug.user_defined`` re-export them under the official names."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from fuseplug import _internal
from fuseplug.expr import Expr, SortExpr, SortKey, to_column_or_expr, to_sort

if TYPE_CHECKING:
    import pyarrow as pa
else:
    from fuseplug._lazy import pyarrow as pa

#: How many rows the CSV and JSON readers read to infer a schema by default.
DEFAULT_MAX_INFER_SCHEMA = 1000


class ArrowArrayExportable(Protocol):
    """An object with an Arrow array or record batch (the Arrow PyCapsule interface)."""

    def __arrow_c_array__(
        self, requested_schema: object | None = None
    ) -> tuple[object, object]: ...


class ArrowStreamExportable(Protocol):
    """An object with an Arrow stream (the Arrow PyCapsule interface)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...


class TableProviderExportable(Protocol):
    """A plugin table: ``__datafusion_table_provider__(session)`` returns its capsule."""

    def __datafusion_table_provider__(self, session: Any) -> object: ...


class CatalogProviderExportable(Protocol):
    """A plugin catalog: ``__datafusion_catalog_provider__(session)`` returns its capsule."""

    def __datafusion_catalog_provider__(self, session: Any) -> object: ...


class CatalogProviderListExportable(Protocol):
    """A plugin catalog list: ``__datafusion_catalog_provider_list__(session)`` returns its capsule."""

    def __datafusion_catalog_provider_list__(self, session: Any) -> object: ...


class TableProviderFactoryExportable(Protocol):
    """A plugin table factory (``CREATE EXTERNAL TABLE .. STORED AS``)."""

    def __datafusion_table_provider_factory__(self, session: Any) -> object: ...


class ScalarUDFExportable(Protocol):
    """A plugin scalar function."""

    def __datafusion_scalar_udf__(self) -> object: ...


class AggregateUDFExportable(Protocol):
    """A plugin aggregate function."""

    def __datafusion_aggregate_udf__(self) -> object: ...


class WindowUDFExportable(Protocol):
    """A plugin window function."""

    def __datafusion_window_udf__(self) -> object: ...


class LogicalExtensionCodecExportable(Protocol):
    """A plugin's logical extension codec."""

    def __datafusion_logical_extension_codec__(self, session: Any) -> object: ...


class PhysicalExtensionCodecExportable(Protocol):
    """A plugin's physical extension codec."""

    def __datafusion_physical_extension_codec__(self, session: Any) -> object: ...


class Volatility(str, enum.Enum):
    """How a function's result may vary for the same arguments. The members are also the strings
    ``udf(..., volatility=)`` accepts."""

    Immutable = "immutable"
    Stable = "stable"
    Volatile = "volatile"

    def __str__(self) -> str:
        return self.value


class Compression(enum.Enum):
    """Parquet compression codecs, for ``write_parquet(compression=)``."""

    UNCOMPRESSED = "uncompressed"
    SNAPPY = "snappy"
    GZIP = "gzip"
    BROTLI = "brotli"
    LZ4 = "lz4"
    ZSTD = "zstd"
    LZ4_RAW = "lz4_raw"

    @classmethod
    def from_str(cls, value: str) -> Compression:
        """The codec named ``value`` (any case); ``ValueError`` lists the valid names."""
        try:
            return cls(value.lower())
        except ValueError:
            valid = [c.value for c in cls]
            raise ValueError(
                f"{value} is not a valid Compression; valid values are {valid}"
            ) from None

    def get_default_level(self) -> int | None:
        """The level used when none is given, for codecs that take one."""
        return {"gzip": 6, "brotli": 1, "zstd": 4}.get(self.value)


def expr_list_to_raw_expr_list(
    expr_list: Sequence[Expr | str] | Expr | str | None,
) -> list[_internal.Expr] | None:
    """Column names and expressions as compiled expressions (None stays None)."""
    if expr_list is None:
        return None
    if isinstance(expr_list, (Expr, str)):
        expr_list = [expr_list]
    return [to_column_or_expr(e)._inner for e in expr_list]


def sort_list_to_raw_sort_list(
    sort_list: Sequence[SortKey] | SortKey | None,
) -> list[_internal.SortExpr] | None:
    """Sort keys (expressions and names sort ascending, nulls last) as compiled sort expressions."""
    if sort_list is None:
        return None
    if isinstance(sort_list, (Expr, SortExpr, str)):
        sort_list = [sort_list]
    return [to_sort(s)._inner for s in sort_list]


def data_type_or_field_to_field(value: pa.DataType | pa.Field, name: str) -> pa.Field:
    """``value`` if it is a field, else a nullable field ``name`` of that type."""
    return value if isinstance(value, pa.Field) else pa.field(name, value)


def data_types_or_fields_to_field_list(
    inputs: Sequence[pa.Field | pa.DataType] | pa.Field | pa.DataType,
) -> list[pa.Field]:
    """Fields for a type, a field, or a sequence of them (named ``value`` / ``value_<i>``)."""
    if isinstance(inputs, pa.DataType):
        return [pa.field("value", inputs)]
    if isinstance(inputs, pa.Field):
        return [inputs]
    return [data_type_or_field_to_field(v, f"value_{i}") for i, v in enumerate(inputs)]
