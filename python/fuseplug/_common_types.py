"""The type-mapping half of ``fuseplug.common``: the enums and ``DataType`` / ``DataTypeMap``.

Everything here is re-exported by :mod:`fuseplug.common`, which is where users import it from; the
classes report ``fuseplug.common`` as their module.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
else:
    from fuseplug._lazy import pyarrow as pa


__all__ = [
    "DataType",
    "DataTypeMap",
    "PythonType",
    "RexType",
    "SqlType",
    "TableType",
]

_PUBLIC_MODULE = "fuseplug.common"


class _CompiledEnum(enum.Enum):
    """Base of the enums that the official bindings compile: each member has an integer value (its
    position in the official declaration) and, like the compiled members, compares equal to that
    integer, converts with ``int()`` and shows as ``Class.MEMBER``."""

    def __int__(self) -> int:
        return int(self.value)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, enum.Enum):
            return self is other
        if isinstance(other, int):
            return bool(self.value == other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"


class PythonType(_CompiledEnum):
    """The Python type that values of an Arrow / SQL type become.

    The member for ``None`` values cannot be spelled ``PythonType.None`` (a syntax error, in the
    official bindings too): use ``PythonType["None"]`` or ``getattr(PythonType, "None")``.
    """

    Array = 0
    Bool = 1
    Bytes = 2
    Datetime = 3
    Float = 4
    Int = 5
    List = 6
    locals()["None"] = 7  # a keyword, so it cannot be a plain assignment
    Object = 8
    Str = 9


class RexType(_CompiledEnum):
    """What kind of row expression an expression is (``Expr.rex_type()``)."""

    Alias = 0
    Literal = 1
    Call = 2
    Reference = 3
    ScalarSubquery = 4
    Other = 5


class SqlType(_CompiledEnum):
    """The SQL (ANSI / Calcite-style) type names that ``DataTypeMap`` maps to and from."""

    ANY = 0
    ARRAY = 1
    BIGINT = 2
    BINARY = 3
    BOOLEAN = 4
    CHAR = 5
    COLUMN_LIST = 6
    CURSOR = 7
    DATE = 8
    DECIMAL = 9
    DISTINCT = 10
    DOUBLE = 11
    DYNAMIC_STAR = 12
    FLOAT = 13
    GEOMETRY = 14
    INTEGER = 15
    INTERVAL = 16
    INTERVAL_DAY = 17
    INTERVAL_DAY_HOUR = 18
    INTERVAL_DAY_MINUTE = 19
    INTERVAL_DAY_SECOND = 20
    INTERVAL_HOUR = 21
    INTERVAL_HOUR_MINUTE = 22
    INTERVAL_HOUR_SECOND = 23
    INTERVAL_MINUTE = 24
    INTERVAL_MINUTE_SECOND = 25
    INTERVAL_MONTH = 26
    INTERVAL_SECOND = 27
    INTERVAL_YEAR = 28
    INTERVAL_YEAR_MONTH = 29
    MAP = 30
    MULTISET = 31
    NULL = 32
    OTHER = 33
    REAL = 34
    ROW = 35
    SARG = 36
    SMALLINT = 37
    STRUCTURED = 38
    SYMBOL = 39
    TIME = 40
    TIME_WITH_LOCAL_TIME_ZONE = 41
    TIMESTAMP = 42
    TIMESTAMP_WITH_LOCAL_TIME_ZONE = 43
    TINYINT = 44
    UNKNOWN = 45
    VARBINARY = 46
    VARCHAR = 47


class TableType(_CompiledEnum):
    """The kind of a table source: a base table, a view, or a temporary table."""

    Base = 0
    View = 1
    Temporary = 2


class DataType:
    """An Arrow data type, as held by ``DataTypeMap.arrow_type``.

    It wraps a pyarrow type, available as the :attr:`pyarrow_type` property, and exports it through
    the Arrow PyCapsule interface (``__arrow_c_schema__``). Two ``DataType`` objects are equal when
    their Arrow types are, and a ``DataType`` also equals the bare pyarrow type.

    ``DataType(arrow_type)`` takes a ``pyarrow.DataType``, another ``DataType``, or any object
    exporting an Arrow type through ``__arrow_c_schema__``.
    """

    __slots__ = ("_type",)

    _type: pa.DataType

    def __init__(self, arrow_type: pa.DataType | DataType) -> None:
        self._type = _to_pyarrow_type(arrow_type)

    @property
    def pyarrow_type(self) -> pa.DataType:
        """The wrapped ``pyarrow.DataType``."""
        return self._type

    def __arrow_c_schema__(self) -> object:
        return self._type.__arrow_c_schema__()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DataType):
            return bool(self._type.equals(other._type))
        if isinstance(other, pa.DataType):
            return bool(self._type.equals(other))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._type)

    def __repr__(self) -> str:
        return f"DataType({self._type})"

    def __str__(self) -> str:
        return str(self._type)

    def __reduce__(self) -> tuple[Any, ...]:
        return (DataType, (self._type,))


def _to_pyarrow_type(arrow_type: object) -> pa.DataType:
    if isinstance(arrow_type, DataType):
        return arrow_type.pyarrow_type
    if isinstance(arrow_type, pa.DataType):
        return arrow_type
    export = getattr(type(arrow_type), "__arrow_c_schema__", None)
    if export is not None:
        return pa.DataType._import_from_c_capsule(export(arrow_type))
    raise TypeError(
        f"expected a pyarrow.DataType or a fuseplug.common.DataType, got {type(arrow_type).__name__}"
    )


# The name DataFusion (arrow-rs) gives each kind of Arrow type, found by pyarrow predicates in
# order (by name, so that importing this module does not import pyarrow). Extension types are looked
# at through their storage type, as arrow-rs sees them.
_KINDS: list[tuple[str, str]] = [
    ("is_null", "Null"),
    ("is_boolean", "Boolean"),
    ("is_int8", "Int8"),
    ("is_int16", "Int16"),
    ("is_int32", "Int32"),
    ("is_int64", "Int64"),
    ("is_uint8", "UInt8"),
    ("is_uint16", "UInt16"),
    ("is_uint32", "UInt32"),
    ("is_uint64", "UInt64"),
    ("is_float16", "Float16"),
    ("is_float32", "Float32"),
    ("is_float64", "Float64"),
    ("is_timestamp", "Timestamp"),
    ("is_date32", "Date32"),
    ("is_date64", "Date64"),
    ("is_time32", "Time32"),
    ("is_time64", "Time64"),
    ("is_duration", "Duration"),
    ("is_interval", "Interval"),
    ("is_binary", "Binary"),
    ("is_fixed_size_binary", "FixedSizeBinary"),
    ("is_large_binary", "LargeBinary"),
    ("is_string", "Utf8"),
    ("is_large_string", "LargeUtf8"),
    ("is_list", "List"),
    ("is_fixed_size_list", "FixedSizeList"),
    ("is_large_list", "LargeList"),
    ("is_struct", "Struct"),
    ("is_union", "Union"),
    ("is_dictionary", "Dictionary"),
    ("is_decimal32", "Decimal32"),
    ("is_decimal64", "Decimal64"),
    ("is_decimal128", "Decimal128"),
    ("is_decimal256", "Decimal256"),
    ("is_map", "Map"),
    ("is_run_end_encoded", "RunEndEncoded"),
    ("is_binary_view", "BinaryView"),
    ("is_string_view", "Utf8View"),
    ("is_list_view", "ListView"),
    ("is_large_list_view", "LargeListView"),
]

# What DataTypeMap.arrow maps each kind to; the kinds missing here raise NotImplementedError, as
# in the official bindings.
_ARROW_MAPPING: dict[str, tuple[PythonType, SqlType]] = {
    "Null": (PythonType["None"], SqlType.NULL),
    "Boolean": (PythonType.Bool, SqlType.BOOLEAN),
    "Int8": (PythonType.Int, SqlType.TINYINT),
    "Int16": (PythonType.Int, SqlType.SMALLINT),
    "Int32": (PythonType.Int, SqlType.INTEGER),
    "Int64": (PythonType.Int, SqlType.BIGINT),
    "UInt8": (PythonType.Int, SqlType.TINYINT),
    "UInt16": (PythonType.Int, SqlType.SMALLINT),
    "UInt32": (PythonType.Int, SqlType.INTEGER),
    "UInt64": (PythonType.Int, SqlType.BIGINT),
    "Float16": (PythonType.Float, SqlType.FLOAT),
    "Float32": (PythonType.Float, SqlType.FLOAT),
    "Float64": (PythonType.Float, SqlType.FLOAT),
    "Timestamp": (PythonType.Datetime, SqlType.DATE),
    "Date32": (PythonType.Datetime, SqlType.DATE),
    "Date64": (PythonType.Datetime, SqlType.DATE),
    "Time32": (PythonType.Datetime, SqlType.DATE),
    "Time64": (PythonType.Datetime, SqlType.DATE),
    # pyarrow has one interval type, month-day-nanosecond.
    "Interval": (PythonType.Datetime, SqlType.INTERVAL_MONTH),
    "Binary": (PythonType.Bytes, SqlType.BINARY),
    "LargeBinary": (PythonType.Bytes, SqlType.BINARY),
    "Utf8": (PythonType.Str, SqlType.VARCHAR),
    "LargeUtf8": (PythonType.Str, SqlType.VARCHAR),
    "Decimal32": (PythonType.Float, SqlType.DECIMAL),
    "Decimal64": (PythonType.Float, SqlType.DECIMAL),
    "Decimal128": (PythonType.Float, SqlType.DECIMAL),
    "Decimal256": (PythonType.Float, SqlType.DECIMAL),
}

# What DataTypeMap.sql maps each SQL type to; the others raise NotImplementedError, as in the
# official bindings. INTEGER, FLOAT, DOUBLE and DECIMAL differ from the official table on purpose
# (see docs/compatibility.md).
_SQL_MAPPING: dict[SqlType, tuple[Callable[[], pa.DataType], PythonType]] = {
    SqlType.BIGINT: (pa.int64, PythonType.Int),
    SqlType.BINARY: (pa.binary, PythonType.Bytes),
    SqlType.BOOLEAN: (pa.bool_, PythonType.Bool),
    SqlType.CHAR: (pa.uint8, PythonType.Int),
    SqlType.DATE: (pa.date64, PythonType.Datetime),
    SqlType.DECIMAL: (lambda: pa.decimal128(38, 10), PythonType.Float),
    SqlType.DOUBLE: (pa.float64, PythonType.Float),
    SqlType.FLOAT: (pa.float32, PythonType.Float),
    SqlType.INTEGER: (pa.int32, PythonType.Int),
    SqlType.NULL: (pa.null, PythonType["None"]),
    SqlType.SMALLINT: (pa.int16, PythonType.Int),
    SqlType.TINYINT: (pa.int8, PythonType.Int),
    SqlType.VARBINARY: (pa.large_binary, PythonType.Bytes),
    SqlType.VARCHAR: (pa.string, PythonType.Str),
}

# DataTypeMap.arrow_str: pandas / NumPy dtype names (lowercased, cut at the first "[").
_DTYPE_NAMES: dict[str, Callable[[], pa.DataType]] = {
    "bool": pa.bool_,
    "boolean": pa.bool_,
    "uint8": pa.uint8,
    "uint16": pa.uint16,
    "uint32": pa.uint32,
    "uint64": pa.uint64,
    "int8": pa.int8,
    "int16": pa.int16,
    "int32": pa.int32,
    "int64": pa.int64,
    "float": pa.float32,
    "double": pa.float64,
    "float16": pa.float16,
    "float32": pa.float32,
    "float64": pa.float64,
    "datetime64": pa.date64,
    "object": pa.string,
}

# DataTypeMap.from_parquet_type_str: Parquet physical types (lowercased).
_PARQUET_TYPES: dict[str, Callable[[], pa.DataType]] = {
    "boolean": pa.bool_,
    "int32": pa.int32,
    "int64": pa.int64,
    # INT96 is the deprecated Parquet timestamp encoding.
    "int96": lambda: pa.timestamp("ns"),
    "float": pa.float32,
    "double": pa.float64,
    "byte_array": pa.string,
}


def _kind(arrow_type: pa.DataType) -> str:
    """The arrow-rs name of ``arrow_type``'s kind (``Int64``, ``Utf8``, ``Timestamp``, ...)."""
    while isinstance(arrow_type, pa.BaseExtensionType):
        arrow_type = arrow_type.storage_type
    for predicate, name in _KINDS:
        is_kind: Callable[[pa.DataType], bool] = getattr(pa.types, predicate)
        if is_kind(arrow_type):
            return name
    return str(arrow_type)  # a kind newer than this table


def _check_enum(value: object, cls: type[enum.Enum], what: str) -> None:
    if not isinstance(value, cls):
        raise TypeError(f"{what} must be a {cls.__name__}, got {type(value).__name__}")


class DataTypeMap:
    """One type seen from three sides: its Arrow type, the Python type its values become, and its
    SQL type.

    Build one with ``DataTypeMap(arrow_type, python_type, sql_type)`` or, more usually, look one up
    with :meth:`arrow`, :meth:`arrow_str`, :meth:`sql` or :meth:`from_parquet_type_str`.
    ``arrow_type`` is a :class:`DataType`, whose ``pyarrow_type`` property is the pyarrow type; the
    constructor and the ``arrow_type`` setter also take a bare ``pyarrow.DataType``.

    >>> import pyarrow as pa
    >>> m = DataTypeMap.arrow(pa.int64())
    >>> m.python_type, m.sql_type, m.friendly_arrow_type_name()
    (PythonType.Int, SqlType.BIGINT, 'Int64')
    >>> m.arrow_type
    DataType(int64)
    >>> m.arrow_type.pyarrow_type == pa.int64()
    True
    """

    __slots__ = ("_arrow_type", "_python_type", "_sql_type")

    _arrow_type: DataType
    _python_type: PythonType
    _sql_type: SqlType

    def __init__(
        self, arrow_type: DataType | pa.DataType, python_type: PythonType, sql_type: SqlType
    ) -> None:
        self.arrow_type = arrow_type
        self.python_type = python_type
        self.sql_type = sql_type

    @property
    def arrow_type(self) -> DataType:
        """The Arrow type, as a :class:`DataType` (its ``pyarrow_type`` is the pyarrow type)."""
        return self._arrow_type

    @arrow_type.setter
    def arrow_type(self, value: DataType | pa.DataType) -> None:
        self._arrow_type = value if isinstance(value, DataType) else DataType(value)

    @property
    def python_type(self) -> PythonType:
        """The Python type that values of this type become."""
        return self._python_type

    @python_type.setter
    def python_type(self, value: PythonType) -> None:
        _check_enum(value, PythonType, "python_type")
        self._python_type = value

    @property
    def sql_type(self) -> SqlType:
        """The SQL type."""
        return self._sql_type

    @sql_type.setter
    def sql_type(self, value: SqlType) -> None:
        _check_enum(value, SqlType, "sql_type")
        self._sql_type = value

    @staticmethod
    def arrow(arrow_type: DataType | pa.DataType) -> DataTypeMap:
        """The mapping of an Arrow type (a :class:`DataType` or a ``pyarrow.DataType``).

        Raises ``NotImplementedError`` for the types without a mapping: durations, fixed-size
        binary, the view types, and the nested types (lists, structs, maps, unions, dictionaries,
        run-end encoded).
        """
        wrapped = arrow_type if isinstance(arrow_type, DataType) else DataType(arrow_type)
        kind = _kind(wrapped.pyarrow_type)
        mapped = _ARROW_MAPPING.get(kind)
        if mapped is None:
            raise NotImplementedError(
                f"no Python / SQL type mapping for the Arrow type {wrapped.pyarrow_type} ({kind})"
            )
        return DataTypeMap(wrapped, mapped[0], mapped[1])

    @staticmethod
    def arrow_str(arrow_type_str: str) -> DataTypeMap:
        """The mapping of a type given by name: a pandas / NumPy dtype name (``"int64"``,
        ``"float"``, ``"bool"``, ``"object"`` is a string, ``"datetime64[ns]"`` a ``date64``),
        case-insensitive and ignoring anything from the first ``[``; or failing that, a pyarrow
        type alias (``"string"``, ``"large_string"``, ``"timestamp[ns]"``, ...).

        Raises ``ValueError`` for an unknown name.
        """
        if not isinstance(arrow_type_str, str):
            raise TypeError(f"arrow_type_str must be a str, got {type(arrow_type_str).__name__}")
        lowered = arrow_type_str.lower()
        factory = _DTYPE_NAMES.get(lowered.split("[", 1)[0])
        if factory is not None:
            return DataTypeMap.arrow(factory())
        try:
            arrow_type = pa.type_for_alias(lowered)
        except ValueError:
            raise ValueError(f"unknown Arrow type name: {arrow_type_str!r}") from None
        return DataTypeMap.arrow(arrow_type)

    @staticmethod
    def sql(sql_type: SqlType) -> DataTypeMap:
        """The mapping of a SQL type; its ``sql_type`` is ``sql_type``.

        Raises ``NotImplementedError`` for the SQL types without an Arrow type here (intervals,
        times and timestamps, ``REAL``, nested and special types).
        """
        _check_enum(sql_type, SqlType, "sql_type")
        mapped = _SQL_MAPPING.get(sql_type)
        if mapped is None:
            raise NotImplementedError(f"no Arrow type mapping for {sql_type}")
        return DataTypeMap(mapped[0](), mapped[1], sql_type)

    @staticmethod
    def from_parquet_type_str(parquet_str_type: str) -> DataTypeMap:
        """The mapping of a Parquet physical type name, as given by
        ``pyarrow.parquet.read_metadata(...).schema.column(i).physical_type`` (``"INT32"``,
        ``"BYTE_ARRAY"``, ...; case-insensitive). ``INT96`` becomes a nanosecond timestamp and
        ``BYTE_ARRAY`` a string.

        Raises ``ValueError`` for any other name (``FIXED_LEN_BYTE_ARRAY`` included).
        """
        if not isinstance(parquet_str_type, str):
            raise TypeError(
                f"parquet_str_type must be a str, got {type(parquet_str_type).__name__}"
            )
        factory = _PARQUET_TYPES.get(parquet_str_type.lower())
        if factory is None:
            raise ValueError(f"unknown Parquet physical type: {parquet_str_type!r}")
        return DataTypeMap.arrow(factory())

    def friendly_arrow_type_name(self) -> str:
        """The name DataFusion gives the Arrow type's kind, without parameters: ``"Int64"``,
        ``"Utf8"``, ``"Timestamp"``, ``"Decimal128"``, ``"List"``, ..."""
        return _kind(self._arrow_type.pyarrow_type)

    def _copy(self) -> DataTypeMap:
        return DataTypeMap(self._arrow_type, self._python_type, self._sql_type)

    def __repr__(self) -> str:
        return (
            f"DataTypeMap(arrow_type={self._arrow_type!r}, python_type={self._python_type!r}, "
            f"sql_type={self._sql_type!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (DataTypeMap, (self._arrow_type, self._python_type, self._sql_type))


for _cls in (PythonType, RexType, SqlType, TableType, DataType, DataTypeMap):
    _cls.__module__ = _PUBLIC_MODULE
del _cls
