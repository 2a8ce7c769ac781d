"""Schemas with table qualifiers and table / schema metadata of :mod:`fuseplug.common`, loaded on
first use (``import fuseplug`` does not pay for them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from fuseplug._common_types import (
    DataType,
    DataTypeMap,
    PythonType,
    RexType,
    SqlType,
    TableType,
    _to_pyarrow_type,
)

if TYPE_CHECKING:
    import pyarrow as pa

    from fuseplug.plan import LogicalPlan
else:
    from fuseplug._lazy import pyarrow as pa

__all__ = [
    "Constraints",
    "DFSchema",
    "DataType",
    "DataTypeMap",
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


def _check_str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    return value


def _str_list(value: object, what: str) -> list[str]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{what} must be a list of str, got {type(value).__name__}")
    return [_check_str(item, f"each of {what}") for item in value]


def _real(value: object, what: str) -> float:
    kind = type(value)
    if not (hasattr(kind, "__float__") or hasattr(kind, "__index__")):
        raise TypeError(f"{what} must be a real number, not {kind.__name__}")
    return float(value)  # type: ignore[arg-type]  # checked above


class DFSchema:
    """A DataFusion schema: an Arrow schema whose fields may each be qualified by the table they
    come from.

    A ``DFSchema`` is not built directly: :meth:`empty` gives the schema without fields, and plans
    give theirs. It compares equal to another with the same fields and qualifiers, ``len()`` is
    its number of fields, and it exports its Arrow schema (without the qualifiers) through the
    Arrow PyCapsule interface, so ``pyarrow.schema(df_schema)`` works.
    """

    __slots__ = ("_qualifiers", "_schema")

    _qualifiers: tuple[str | None, ...]
    _schema: pa.Schema

    def __init__(self) -> None:
        raise TypeError("DFSchema cannot be created directly: use DFSchema.empty()")

    @staticmethod
    def empty() -> DFSchema:
        """The schema without fields."""
        return DFSchema._from_parts([], pa.schema([]))

    def field_names(self) -> list[str]:
        """The fields' names, each qualified (``"t.a"``) when its field has a table qualifier."""
        return [
            name if qualifier is None else f"{qualifier}.{name}"
            for qualifier, name in zip(self._qualifiers, self._schema.names, strict=True)
        ]

    @classmethod
    def _from_parts(cls, qualifiers: Sequence[str | None], schema: pa.Schema) -> DFSchema:
        """A schema from one qualifier (a table name, or ``None``) per field and the Arrow schema.

        Raises ``ValueError`` when the counts differ. Field names are not checked for clashes
        here: DataFusion checks them when the schema goes back to it, and the schemas it produces
        must always be accepted.
        """
        if not isinstance(schema, pa.Schema):
            if not hasattr(type(schema), "__arrow_c_schema__"):
                raise TypeError(f"schema must be a pyarrow.Schema, got {type(schema).__name__}")
            schema = pa.schema(schema)
        if isinstance(qualifiers, (str, bytes)):
            raise TypeError("qualifiers must be a list of str or None, one per field")
        quals = tuple(qualifiers)
        for qualifier in quals:
            if qualifier is not None and not isinstance(qualifier, str):
                raise TypeError(
                    f"a qualifier must be a str or None, got {type(qualifier).__name__}"
                )
        if len(quals) != len(schema):
            raise ValueError(f"{len(quals)} qualifiers for {len(schema)} fields")
        obj = object.__new__(cls)
        obj._qualifiers = quals
        obj._schema = schema
        return obj

    def _parts(self) -> tuple[list[str | None], pa.Schema]:
        """The qualifiers (one per field) and the Arrow schema: the inverse of :meth:`_from_parts`."""
        return list(self._qualifiers), self._schema

    def __arrow_c_schema__(self) -> object:
        return self._schema.__arrow_c_schema__()

    def __len__(self) -> int:
        return len(self._schema)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DFSchema):
            return NotImplemented
        return self._qualifiers == other._qualifiers and bool(
            self._schema.equals(other._schema, check_metadata=True)
        )

    def __hash__(self) -> int:
        return hash((self._qualifiers, self._schema))

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{qualified}: {field.type}{'' if field.nullable else ' not null'}"
            for qualified, field in zip(self.field_names(), self._schema, strict=True)
        )
        return f"DFSchema({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (DFSchema._from_parts, (list(self._qualifiers), self._schema))


_CONSTRAINT_KINDS = ("primary_key", "unique")


class Constraints:
    """A table's primary key and unique constraints, each over columns given by their index in
    the table's schema.

    ``Constraints([("primary_key", [0]), ("unique", [1, 2])])``; iterating gives the
    ``(kind, columns)`` pairs, ``kind`` being ``"primary_key"`` or ``"unique"``.
    """

    __slots__ = ("_items",)

    _items: tuple[tuple[str, tuple[int, ...]], ...]

    def __init__(self, constraints: Iterable[tuple[str, Iterable[int]]] = ()) -> None:
        items = []
        for kind, columns in constraints:
            if kind not in _CONSTRAINT_KINDS:
                raise ValueError(f"constraint kind must be 'primary_key' or 'unique', got {kind!r}")
            indices = tuple(columns)
            for index in indices:
                if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                    raise TypeError(f"column indices must be ints >= 0, got {index!r}")
            items.append((kind, indices))
        self._items = tuple(items)

    @property
    def primary_key(self) -> list[int] | None:
        """The columns of the (first) primary key, or ``None`` when there is none."""
        for kind, columns in self._items:
            if kind == "primary_key":
                return list(columns)
        return None

    @property
    def unique(self) -> list[list[int]]:
        """The columns of each unique constraint."""
        return [list(columns) for kind, columns in self._items if kind == "unique"]

    def __iter__(self) -> Iterator[tuple[str, list[int]]]:
        return iter([(kind, list(columns)) for kind, columns in self._items])

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Constraints):
            return NotImplemented
        return self._items == other._items

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"Constraints({[(kind, list(columns)) for kind, columns in self._items]!r})"


class TableSource:
    """What a plan knows of a table it reads or writes: its schema, kind, constraints and, for a
    view, the plan that defines it.

    ``TableSource(schema, table_type=TableType.Base, constraints=None, logical_plan=None)``.
    """

    __slots__ = ("_constraints", "_plan", "_schema", "_table_type")

    def __init__(
        self,
        schema: pa.Schema,
        table_type: TableType = TableType.Base,
        constraints: Constraints | None = None,
        logical_plan: LogicalPlan | None = None,
    ) -> None:
        if not isinstance(schema, pa.Schema):
            raise TypeError(f"schema must be a pyarrow.Schema, got {type(schema).__name__}")
        if not isinstance(table_type, TableType):
            raise TypeError(f"table_type must be a TableType, got {type(table_type).__name__}")
        if constraints is not None and not isinstance(constraints, Constraints):
            raise TypeError(f"constraints must be Constraints, got {type(constraints).__name__}")
        if logical_plan is not None:
            from fuseplug.plan import LogicalPlan

            if not isinstance(logical_plan, LogicalPlan):
                raise TypeError(
                    f"logical_plan must be a LogicalPlan, got {type(logical_plan).__name__}"
                )
        self._schema = schema
        self._table_type = table_type
        self._constraints = constraints
        self._plan = logical_plan

    def schema(self) -> pa.Schema:
        """The table's Arrow schema."""
        return self._schema

    def constraints(self) -> Constraints | None:
        """The table's constraints, or ``None`` when it declares none."""
        return self._constraints

    def table_type(self) -> TableType:
        """Whether the table is a base table, a view or a temporary table."""
        return self._table_type

    def get_logical_plan(self) -> LogicalPlan | None:
        """The plan defining the table when it is a view, else ``None``."""
        return self._plan

    def __repr__(self) -> str:
        names = ", ".join(self._schema.names)
        return f"TableSource({self._table_type}, [{names}])"


class SqlStatistics:
    """Statistics of a :class:`SqlTable`: its row count (a float, as estimates may be)."""

    __slots__ = ("_row_count",)

    def __init__(self, row_count: float) -> None:
        self._row_count = _real(row_count, "row_count")

    def getRowCount(self) -> float:  # the official name (camelCase)
        """The number of rows."""
        return self._row_count

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SqlStatistics):
            return NotImplemented
        return self._row_count == other._row_count

    def __hash__(self) -> int:
        return hash(self._row_count)

    def __repr__(self) -> str:
        return f"SqlStatistics({self._row_count!r})"


def _columns(value: object) -> list[tuple[str, DataTypeMap]]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(
            f"columns must be a list of (name, DataTypeMap), got {type(value).__name__}"
        )
    out = []
    for item in value:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"each column must be a (name, DataTypeMap) tuple, got {item!r}")
        name, mapping = item
        _check_str(name, "a column name")
        if not isinstance(mapping, DataTypeMap):
            raise TypeError(f"a column type must be a DataTypeMap, got {type(mapping).__name__}")
        out.append((name, mapping._copy()))
    return out


class SqlTable:
    """A table's description: name, columns (``(name, DataTypeMap)`` pairs), keys, indexes,
    constraints, statistics and files.

    Like the official class, it holds values: the lists and column mappings its properties return
    are copies, so change a table by assigning its properties.
    """

    __slots__ = (
        "_columns",
        "_constraints",
        "_filepaths",
        "_foreign_keys",
        "_indexes",
        "_name",
        "_primary_key",
        "_statistics",
    )

    def __init__(
        self,
        table_name: str,
        columns: Sequence[tuple[str, DataTypeMap]],
        row_count: float,
        filepaths: Sequence[str] | None = None,
    ) -> None:
        self._name = _check_str(table_name, "table_name")
        self._columns = _columns(columns)
        self._statistics = SqlStatistics(row_count)
        self._filepaths = None if filepaths is None else _str_list(filepaths, "filepaths")
        self._primary_key: str | None = None
        self._foreign_keys: list[str] = []
        self._indexes: list[str] = []
        self._constraints: list[str] = []

    @property
    def name(self) -> str:
        """The table's name."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = _check_str(value, "name")

    @property
    def columns(self) -> list[tuple[str, DataTypeMap]]:
        """The columns, as ``(name, DataTypeMap)`` pairs (a copy)."""
        return [(name, mapping._copy()) for name, mapping in self._columns]

    @columns.setter
    def columns(self, value: Sequence[tuple[str, DataTypeMap]]) -> None:
        self._columns = _columns(value)

    @property
    def primary_key(self) -> str | None:
        """The primary key, or ``None``."""
        return self._primary_key

    @primary_key.setter
    def primary_key(self, value: str | None) -> None:
        self._primary_key = None if value is None else _check_str(value, "primary_key")

    @property
    def foreign_keys(self) -> list[str]:
        """The foreign keys (a copy)."""
        return list(self._foreign_keys)

    @foreign_keys.setter
    def foreign_keys(self, value: Sequence[str]) -> None:
        self._foreign_keys = _str_list(value, "foreign_keys")

    @property
    def indexes(self) -> list[str]:
        """The indexes (a copy)."""
        return list(self._indexes)

    @indexes.setter
    def indexes(self, value: Sequence[str]) -> None:
        self._indexes = _str_list(value, "indexes")

    @property
    def constraints(self) -> list[str]:
        """The constraints (a copy)."""
        return list(self._constraints)

    @constraints.setter
    def constraints(self, value: Sequence[str]) -> None:
        self._constraints = _str_list(value, "constraints")

    @property
    def statistics(self) -> SqlStatistics:
        """The table's statistics (row count)."""
        return self._statistics

    @statistics.setter
    def statistics(self, value: SqlStatistics) -> None:
        if not isinstance(value, SqlStatistics):
            raise TypeError(f"statistics must be SqlStatistics, got {type(value).__name__}")
        self._statistics = value

    @property
    def filepaths(self) -> list[str] | None:
        """The files holding the table's data, or ``None`` (a copy)."""
        return None if self._filepaths is None else list(self._filepaths)

    @filepaths.setter
    def filepaths(self, value: Sequence[str] | None) -> None:
        self._filepaths = None if value is None else _str_list(value, "filepaths")

    def _copy(self) -> SqlTable:
        table = SqlTable(self._name, self._columns, self._statistics.getRowCount(), self._filepaths)
        table._statistics = self._statistics
        table._primary_key = self._primary_key
        table._foreign_keys = list(self._foreign_keys)
        table._indexes = list(self._indexes)
        table._constraints = list(self._constraints)
        return table

    def __repr__(self) -> str:
        columns = ", ".join(f"{name}: {m.arrow_type}" for name, m in self._columns)
        return f"SqlTable({self._name!r}, [{columns}], rows={self._statistics.getRowCount()!r})"


class SqlView:
    """A view's description: its name and the SQL that defines it."""

    __slots__ = ("_definition", "_name")

    def __init__(self, name: str, definition: str) -> None:
        self._name = _check_str(name, "name")
        self._definition = _check_str(definition, "definition")

    @property
    def name(self) -> str:
        """The view's name."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = _check_str(value, "name")

    @property
    def definition(self) -> str:
        """The SQL defining the view."""
        return self._definition

    @definition.setter
    def definition(self, value: str) -> None:
        self._definition = _check_str(value, "definition")

    def _copy(self) -> SqlView:
        return SqlView(self._name, self._definition)

    def __repr__(self) -> str:
        return f"SqlView({self._name!r}, {self._definition!r})"


class SqlFunction:
    """A SQL function's description: its name, whether it aggregates, and its return type for
    each list of argument types.

    ``SqlFunction(name, input_types, return_type, aggregation=False)`` records one signature;
    :meth:`add_type_mapping` records more. Types are :class:`DataType` or pyarrow types.
    """

    __slots__ = ("_aggregation", "_name", "_return_types")

    def __init__(
        self,
        name: str,
        input_types: Sequence[DataType | pa.DataType],
        return_type: DataType | pa.DataType,
        aggregation: bool = False,
    ) -> None:
        self._name = _check_str(name, "name")
        if not isinstance(aggregation, bool):
            raise TypeError(f"aggregation must be a bool, got {type(aggregation).__name__}")
        self._aggregation = aggregation
        self._return_types: dict[tuple[DataType, ...], DataType] = {}
        self.add_type_mapping(input_types, return_type)

    @property
    def name(self) -> str:
        """The function's name."""
        return self._name

    @property
    def aggregation(self) -> bool:
        """Whether the function is an aggregate."""
        return self._aggregation

    @property
    def return_types(self) -> dict[tuple[DataType, ...], DataType]:
        """The return type for each tuple of argument types (a copy)."""
        return dict(self._return_types)

    def add_type_mapping(
        self, input_types: Sequence[DataType | pa.DataType], return_type: DataType | pa.DataType
    ) -> None:
        """Record that the function returns ``return_type`` for arguments of ``input_types``."""
        if isinstance(input_types, (str, bytes)) or not isinstance(input_types, Iterable):
            raise TypeError(
                f"input_types must be a list of types, got {type(input_types).__name__}"
            )
        key = tuple(DataType(_to_pyarrow_type(t)) for t in input_types)
        self._return_types[key] = DataType(_to_pyarrow_type(return_type))

    def _copy(self) -> SqlFunction:
        function = object.__new__(SqlFunction)
        function._name = self._name
        function._aggregation = self._aggregation
        function._return_types = dict(self._return_types)
        return function

    def __repr__(self) -> str:
        kind = "aggregate " if self._aggregation else ""
        return f"SqlFunction({kind}{self._name!r}, {len(self._return_types)} signature(s))"


def _typed_list(value: object, cls: type[Any], what: str) -> list[Any]:
    if not isinstance(value, Iterable) or isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a list of {cls.__name__}, got {type(value).__name__}")
    out = []
    for item in value:
        if not isinstance(item, cls):
            raise TypeError(f"{what} must hold {cls.__name__} objects, got {type(item).__name__}")
        out.append(item._copy())
    return out


class SqlSchema:
    """A schema's description: its name and its tables, views and functions.

    Like the official class, it holds values: :meth:`add_table` stores a copy of the table, and
    the lists (and the tables in them) that its properties and :meth:`table_by_name` return are
    copies.
    """

    __slots__ = ("_functions", "_name", "_tables", "_views")

    def __init__(self, schema_name: str) -> None:
        self._name = _check_str(schema_name, "schema_name")
        self._tables: list[SqlTable] = []
        self._views: list[SqlView] = []
        self._functions: list[SqlFunction] = []

    @property
    def name(self) -> str:
        """The schema's name."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._name = _check_str(value, "name")

    @property
    def tables(self) -> list[SqlTable]:
        """The tables (copies)."""
        return [table._copy() for table in self._tables]

    @tables.setter
    def tables(self, value: Sequence[SqlTable]) -> None:
        self._tables = _typed_list(value, SqlTable, "tables")

    @property
    def views(self) -> list[SqlView]:
        """The views (copies)."""
        return [view._copy() for view in self._views]

    @views.setter
    def views(self, value: Sequence[SqlView]) -> None:
        self._views = _typed_list(value, SqlView, "views")

    @property
    def functions(self) -> list[SqlFunction]:
        """The functions (copies)."""
        return [function._copy() for function in self._functions]

    @functions.setter
    def functions(self, value: Sequence[SqlFunction]) -> None:
        self._functions = _typed_list(value, SqlFunction, "functions")

    def table_by_name(self, table_name: str) -> SqlTable | None:
        """The first table named ``table_name`` (a copy; case-sensitive), or ``None``."""
        for table in self._tables:
            if table.name == table_name:
                return table._copy()
        return None

    def add_table(self, table: SqlTable) -> None:
        """Add a copy of ``table`` (even when a table of that name is already there)."""
        if not isinstance(table, SqlTable):
            raise TypeError(f"table must be a SqlTable, got {type(table).__name__}")
        self._tables.append(table._copy())

    def drop_table(self, table_name: str) -> None:
        """Remove every table named ``table_name``; no error when there is none."""
        _check_str(table_name, "table_name")
        self._tables = [table for table in self._tables if table.name != table_name]

    def __repr__(self) -> str:
        tables = ", ".join(table.name for table in self._tables)
        return f"SqlSchema({self._name!r}, tables=[{tables}])"


for _cls in (
    Constraints,
    DFSchema,
    SqlFunction,
    SqlSchema,
    SqlStatistics,
    SqlTable,
    SqlView,
    TableSource,
):
    _cls.__module__ = "fuseplug.common"  # where users import them from (and pickle finds them)
del _cls
