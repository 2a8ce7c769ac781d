"""Typed views of plan nodes: what ``LogicalPlan.to_variant()`` returns (see :mod:`fuseplug._variants`
for the expression views and the shared machinery)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from fuseplug import _internal
from fuseplug._variants import (
    AggregateFunction,
    ScalarFunction,
    WindowFunction,
    _field,
    _input_field,
    _schema_field,
    _unaliased,
    _Variant,
)

__all__ = [
    "Aggregate",
    "Analyze",
    "CopyTo",
    "CreateCatalog",
    "CreateCatalogSchema",
    "CreateExternalTable",
    "CreateFunction",
    "CreateFunctionBody",
    "CreateIndex",
    "CreateMemoryTable",
    "CreateView",
    "Deallocate",
    "DescribeTable",
    "Distinct",
    "DmlStatement",
    "DropCatalogSchema",
    "DropFunction",
    "DropTable",
    "DropView",
    "EmptyRelation",
    "Execute",
    "Explain",
    "Extension",
    "FileType",
    "Filter",
    "Join",
    "JoinConstraint",
    "JoinType",
    "Limit",
    "OperateFunctionArg",
    "Partitioning",
    "Prepare",
    "Projection",
    "RecursiveQuery",
    "Repartition",
    "ResetVariable",
    "SetVariable",
    "Sort",
    "SubqueryAlias",
    "TableScan",
    "TransactionAccessMode",
    "TransactionConclusion",
    "TransactionEnd",
    "TransactionIsolationLevel",
    "TransactionStart",
    "Union",
    "Unnest",
    "Values",
    "WindowExpr",
]

if TYPE_CHECKING:
    from fuseplug.expr import Expr

# --- plans ------------------------------------------------------------------------------------


class Projection(_Variant):
    """``SELECT projections``."""

    __slots__ = ()
    projections = _field("projections", "The projected expressions.")
    input = _input_field()
    schema = _schema_field()


class Filter(_Variant):
    """``WHERE predicate``."""

    __slots__ = ()
    predicate = _field("predicate", "The filter condition.")
    input = _input_field()
    schema = _schema_field()


def _call_parts(expr: Expr) -> tuple[str, list[Expr]]:
    inner = _unaliased(expr)
    if isinstance(inner, AggregateFunction):
        return inner.aggregate_type(), inner.args()
    if isinstance(inner, (WindowFunction, ScalarFunction)):
        return inner.name(), inner.args()
    raise TypeError(f"expected a function call, got {type(inner).__name__}")


class Aggregate(_Variant):
    """``GROUP BY`` with aggregate expressions."""

    __slots__ = ()
    group_by_exprs = _field("group_by_exprs", "The grouping expressions.")
    aggregate_exprs = _field("aggregate_exprs", "The aggregate expressions.")
    agg_expressions = _field("aggregate_exprs", "The aggregate expressions.")
    input = _input_field()
    schema = _schema_field()

    def agg_func_name(self, expr: Expr) -> str:
        """The name of the aggregate function ``expr`` calls."""
        return _call_parts(expr)[0]

    def aggregation_arguments(self, expr: Expr) -> list[Expr]:
        """The arguments of the aggregate call ``expr``."""
        return _call_parts(expr)[1]


class WindowExpr(_Variant):
    """A window node: window function calls over the input."""

    __slots__ = ()
    get_window_expr = _field("window_exprs", "The window function expressions.")
    input = _input_field()
    schema = _schema_field()

    @staticmethod
    def _window(expr: Expr) -> WindowFunction:
        inner = _unaliased(expr)
        if not isinstance(inner, WindowFunction):
            raise TypeError(f"expected a window function call, got {type(inner).__name__}")
        return inner

    def window_func_name(self, expr: Expr) -> str:
        """The name of the window function ``expr`` calls."""
        return self._window(expr).name()  # type: ignore[no-any-return]

    def get_args(self, expr: Expr) -> list[Expr]:
        """The arguments of the window call ``expr``."""
        return self._window(expr).args()  # type: ignore[no-any-return]

    def get_partition_exprs(self, expr: Expr) -> list[Expr]:
        """The ``PARTITION BY`` expressions of the window call ``expr``."""
        return self._window(expr).partition_by()  # type: ignore[no-any-return]

    def get_sort_exprs(self, expr: Expr) -> list[Expr]:
        """The ``ORDER BY`` expressions of the window call ``expr``."""
        return self._window(expr).order_by()  # type: ignore[no-any-return]

    def get_frame(self, expr: Expr) -> str:
        """The window frame of the window call ``expr`` as SQL text (``ROWS BETWEEN ..``)."""
        return self._window(expr).window_frame()  # type: ignore[no-any-return]


class Sort(_Variant):
    """``ORDER BY`` (with an optional ``LIMIT``)."""

    __slots__ = ()
    input = _input_field()
    schema = _schema_field()
    get_fetch_val = _field("fetch", "The row limit fused into the sort, or None.")

    def sort_exprs(self) -> list[Any]:
        """The sort keys as :class:`~fuseplug.expr.SortExpr`."""
        from fuseplug.expr import SortExpr

        return [SortExpr(s) for s in self._fields["sort_exprs"]]


class JoinType(enum.Enum):
    """How a join keeps unmatched rows."""

    Inner = "Inner"
    Left = "Left"
    Right = "Right"
    Full = "Full"
    LeftSemi = "LeftSemi"
    RightSemi = "RightSemi"
    LeftAnti = "LeftAnti"
    RightAnti = "RightAnti"
    LeftMark = "LeftMark"
    RightMark = "RightMark"

    def is_outer(self) -> bool:
        """Whether unmatched rows of some side are kept."""
        return self in (JoinType.Left, JoinType.Right, JoinType.Full)

    def __str__(self) -> str:
        return self.value


class JoinConstraint(enum.Enum):
    """How the join keys were written: ``ON`` or ``USING``."""

    On = "On"
    Using = "Using"

    def __str__(self) -> str:
        return self.value


class Join(_Variant):
    """A join of two inputs."""

    __slots__ = ()
    left = _field("left", "The left input plan.")
    right = _field("right", "The right input plan.")
    on = _field("on", "The equi-join key pairs ``(left, right)``.")
    filter = _field("filter", "The non-equi join condition, or None.")
    null_equals_null = _field("null_equals_null", "Whether NULL keys match each other.")
    schema = _schema_field()

    def join_type(self) -> JoinType:
        """Inner, Left, Right, Full, or a semi, anti or mark join."""
        return JoinType(self._fields["join_type"])

    def join_constraint(self) -> JoinConstraint:
        """Whether the keys came from ``ON`` or ``USING``."""
        return JoinConstraint(self._fields["join_constraint"])


class Partitioning(_Variant):
    """How a repartition distributes rows: ``kind()`` is ``round_robin``, ``hash``, ``range`` or
    ``distribute_by``."""

    __slots__ = ()
    kind = _field("kind", "The scheme's kind.")
    partition_count = _field("count", "The number of partitions (0 for ``distribute_by``).")


class Repartition(_Variant):
    """A repartition of the input."""

    __slots__ = ()
    input = _input_field()
    schema = _schema_field()
    distribute_list = _field("distribute_list", "The expressions rows are distributed by.")

    def partitioning_scheme(self) -> Partitioning:
        """The scheme, as a :class:`Partitioning`."""
        kind, count = self._fields["partitioning_scheme"]
        return Partitioning({"kind": kind, "count": count})

    def distribute_columns(self) -> str:
        """The distribution expressions as comma-separated text."""
        return ", ".join(str(e._inner) for e in self.distribute_list())


class Union(_Variant):
    """``UNION ALL`` of the inputs."""

    __slots__ = ()
    input = _input_field()
    schema = _schema_field()


class TableScan(_Variant):
    """A read of a table."""

    __slots__ = ()
    table_name = _field("table_name", "The table's name as written.")
    fqn = _field("fqn", "``(catalog, schema, table)``; parts not written are None.")
    projection = _field("projection", "The ``(index, name)`` of the read columns; [] for all.")
    filters = _field("filters", "The filters pushed into the scan.")
    fetch = _field("fetch", "The row limit pushed into the scan, or None.")
    schema = _schema_field()


class EmptyRelation(_Variant):
    """A relation with no rows, or one row of no columns (``SELECT 1``)."""

    __slots__ = ()
    produce_one_row = _field("produce_one_row", "Whether it yields one empty row.")
    schema = _schema_field()


class SubqueryAlias(_Variant):
    """``(input) AS alias``."""

    __slots__ = ()
    alias = _field("alias", "The alias.")
    input = _input_field()
    schema = _schema_field()


class Limit(_Variant):
    """``LIMIT fetch OFFSET skip``."""

    __slots__ = ()
    skip = _field("skip", "The ``OFFSET`` expression, or None.")
    fetch = _field("fetch", "The ``LIMIT`` expression, or None.")
    input = _input_field()
    schema = _schema_field()


class Values(_Variant):
    """``VALUES (..), (..)``."""

    __slots__ = ()
    values = _field("values", "The rows, each a list of expressions.")
    schema = _schema_field()


class Explain(_Variant):
    """``EXPLAIN``."""

    __slots__ = ()
    explain_string = _field("explain_string", "The plan texts of each stage.")
    verbose = _field("verbose", "Whether it is ``EXPLAIN VERBOSE``.")
    plan = _field("plan", "The explained plan.")
    schema = _schema_field()
    logical_optimization_succeeded = _field(
        "logical_optimization_succeeded", "Whether the logical optimizer succeeded."
    )
    #: The official bindings' spelling.
    logical_optimization_succceeded = logical_optimization_succeeded


class Analyze(_Variant):
    """``EXPLAIN ANALYZE``."""

    __slots__ = ()
    verbose = _field("verbose", "Whether it is verbose.")
    input = _input_field()
    schema = _schema_field()


class Extension(_Variant):
    """A user-defined plan node."""

    __slots__ = ()
    name = _field("name", "The node's name.")
    input = _input_field()
    schema = _schema_field()


class Distinct(_Variant):
    """``SELECT DISTINCT``."""

    __slots__ = ()
    input = _input_field()
    schema = _schema_field()


class DmlStatement(_Variant):
    """``INSERT``, ``UPDATE``, ``DELETE`` or ``CREATE TABLE AS`` writing into a table."""

    __slots__ = ()
    table_name = _field("table_name", "The target table.")
    target = _field("table_name", "The target table's name.")
    op = _field("op", "The write operation, such as ``Insert Into``.")
    input = _input_field()
    output_schema = _field("output_schema", "The statement's output schema.")


class FileType(_Variant):
    """The file format a ``COPY TO`` writes."""

    __slots__ = ()
    name = _field("name", "The format's name, such as ``parquet``.")


class CopyTo(_Variant):
    """``COPY input TO output_url``."""

    __slots__ = ()
    input = _input_field()
    output_url = _field("output_url", "Where the files go.")
    partition_by = _field("partition_by", "The partition columns.")
    options = _field("options", "The format options.")

    def file_type(self) -> FileType:
        """The format written."""
        return FileType({"name": self._fields["file_type"]})


class DescribeTable(_Variant):
    """``DESCRIBE table``."""

    __slots__ = ()
    schema = _field("schema", "The described table's schema.")
    output_schema = _field("output_schema", "The statement's output schema.")


class Unnest(_Variant):
    """An unnest of list or struct columns."""

    __slots__ = ()
    input = _input_field()
    schema = _schema_field()


class RecursiveQuery(_Variant):
    """``WITH RECURSIVE``."""

    __slots__ = ()
    name = _field("name", "The recursive table's name.")
    static_term = _field("static_term", "The non-recursive part.")
    recursive_term = _field("recursive_term", "The recursive part.")
    is_distinct = _field("is_distinct", "Whether it is ``UNION`` rather than ``UNION ALL``.")


# --- DDL and statements ------------------------------------------------------------------------


class CreateExternalTable(_Variant):
    """``CREATE EXTERNAL TABLE``."""

    __slots__ = ()
    name = _field("name", "The new table's name.")
    schema = _schema_field("The declared schema.")
    locations = _field("locations", "Every location.")

    def location(self) -> str:
        """The first location. Deprecated, as in the official bindings: use :meth:`locations`."""
        import warnings

        warnings.warn(
            "CreateExternalTable.location() is deprecated: use locations()",
            DeprecationWarning,
            stacklevel=2,
        )
        return str(self._fields["location"])

    file_type = _field("file_type", "The format, such as ``PARQUET``.")
    table_partition_cols = _field("table_partition_cols", "The partition columns.")
    if_not_exists = _field("if_not_exists", "Whether ``IF NOT EXISTS`` was given.")
    or_replace = _field("or_replace", "Whether ``OR REPLACE`` was given.")
    temporary = _field("temporary", "Whether the table is temporary.")
    definition = _field("definition", "The statement's SQL text, or None.")
    order_exprs = _field("order_exprs", "The declared sort orders (``WITH ORDER``).")
    unbounded = _field("unbounded", "Whether the source is unbounded.")
    options = _field("options", "The ``OPTIONS (..)`` key-value pairs.")
    constraints = _field("constraints", "The declared constraints as text.")
    column_defaults = _field("column_defaults", "``(column, default expression)`` pairs.")


class CreateMemoryTable(_Variant):
    """``CREATE TABLE .. AS``."""

    __slots__ = ()
    name = _field("name", "The new table's name.")
    input = _input_field()
    if_not_exists = _field("if_not_exists", "Whether ``IF NOT EXISTS`` was given.")
    or_replace = _field("or_replace", "Whether ``OR REPLACE`` was given.")


class CreateView(_Variant):
    """``CREATE VIEW``."""

    __slots__ = ()
    name = _field("name", "The view's name.")
    input = _input_field()
    or_replace = _field("or_replace", "Whether ``OR REPLACE`` was given.")
    definition = _field("definition", "The view's SQL text, or None.")


class CreateCatalogSchema(_Variant):
    """``CREATE SCHEMA``."""

    __slots__ = ()
    schema_name = _field("schema_name", "The new schema's name.")
    if_not_exists = _field("if_not_exists", "Whether ``IF NOT EXISTS`` was given.")
    schema = _schema_field()


class CreateCatalog(_Variant):
    """``CREATE DATABASE``."""

    __slots__ = ()
    catalog_name = _field("catalog_name", "The new catalog's name.")
    if_not_exists = _field("if_not_exists", "Whether ``IF NOT EXISTS`` was given.")
    schema = _schema_field()


class CreateIndex(_Variant):
    """``CREATE INDEX``."""

    __slots__ = ()
    name = _field("name", "The index's name, or None.")
    table = _field("table", "The indexed table.")
    using = _field("using", "The index method, or None.")
    columns = _field("columns", "The indexed expressions.")
    unique = _field("unique", "Whether the index is unique.")
    if_not_exists = _field("if_not_exists", "Whether ``IF NOT EXISTS`` was given.")
    schema = _schema_field()


class DropTable(_Variant):
    """``DROP TABLE``."""

    __slots__ = ()
    name = _field("name", "The table's name.")
    if_exists = _field("if_exists", "Whether ``IF EXISTS`` was given.")
    schema = _schema_field()

    def input(self) -> list[Any]:
        """A DROP has no input plans."""
        return []


class DropView(_Variant):
    """``DROP VIEW``."""

    __slots__ = ()
    name = _field("name", "The view's name.")
    if_exists = _field("if_exists", "Whether ``IF EXISTS`` was given.")
    schema = _schema_field()


class DropCatalogSchema(_Variant):
    """``DROP SCHEMA``."""

    __slots__ = ()
    name = _field("name", "The schema's name.")
    if_exists = _field("if_exists", "Whether ``IF EXISTS`` was given.")
    cascade = _field("cascade", "Whether ``CASCADE`` was given.")
    schema = _schema_field()


class OperateFunctionArg(_Variant):
    """One declared argument of ``CREATE FUNCTION``."""

    __slots__ = ()
    name = _field("name", "The argument's name, or None.")
    data_type = _field("data_type", "The argument's pyarrow type.")


class CreateFunctionBody(_Variant):
    """The body of ``CREATE FUNCTION``."""

    __slots__ = ()
    language = _field("language", "The ``LANGUAGE``, or None.")
    behavior = _field(
        "behavior", "The volatility (``Immutable``, ``Stable``, ``Volatile``), or None."
    )
    function_body = _field("function_body", "The ``RETURN`` expression, or None.")


class CreateFunction(_Variant):
    """``CREATE FUNCTION``."""

    __slots__ = ()
    name = _field("name", "The function's name.")
    or_replace = _field("or_replace", "Whether ``OR REPLACE`` was given.")
    temporary = _field("temporary", "Whether the function is temporary.")
    return_type = _field("return_type", "The declared pyarrow return type, or None.")
    schema = _schema_field()

    def args(self) -> list[OperateFunctionArg] | None:
        """The declared arguments, or None."""
        args = self._fields["args"]
        if args is None:
            return None
        return [OperateFunctionArg({"name": n, "data_type": t}) for n, t in args]

    def params(self) -> CreateFunctionBody:
        """The function's body."""
        keys = ("language", "behavior", "function_body")
        return CreateFunctionBody({k: self._fields[k] for k in keys})


class DropFunction(_Variant):
    """``DROP FUNCTION``."""

    __slots__ = ()
    name = _field("name", "The function's name.")
    if_exists = _field("if_exists", "Whether ``IF EXISTS`` was given.")
    schema = _schema_field()


class TransactionAccessMode(enum.Enum):
    """``READ ONLY`` or ``READ WRITE``."""

    ReadOnly = "ReadOnly"
    ReadWrite = "ReadWrite"


class TransactionIsolationLevel(enum.Enum):
    """A transaction's isolation level."""

    ReadUncommitted = "ReadUncommitted"
    ReadCommitted = "ReadCommitted"
    RepeatableRead = "RepeatableRead"
    Serializable = "Serializable"
    Snapshot = "Snapshot"


class TransactionConclusion(enum.Enum):
    """``COMMIT`` or ``ROLLBACK``."""

    Commit = "Commit"
    Rollback = "Rollback"


class TransactionStart(_Variant):
    """``BEGIN`` / ``START TRANSACTION``."""

    __slots__ = ()

    def access_mode(self) -> TransactionAccessMode:
        """``READ ONLY`` or ``READ WRITE``."""
        return TransactionAccessMode(self._fields["access_mode"])

    def isolation_level(self) -> TransactionIsolationLevel:
        """The requested isolation level."""
        return TransactionIsolationLevel(self._fields["isolation_level"])


class TransactionEnd(_Variant):
    """``COMMIT`` or ``ROLLBACK``."""

    __slots__ = ()
    chain = _field("chain", "Whether ``AND CHAIN`` was given.")

    def conclusion(self) -> TransactionConclusion:
        """Commit or roll back."""
        return TransactionConclusion(self._fields["conclusion"])


class SetVariable(_Variant):
    """``SET variable = value``."""

    __slots__ = ()
    variable = _field("variable", "The variable's name.")
    value = _field("value", "The value as written.")


class ResetVariable(_Variant):
    """``RESET variable`` (a fuseplug addition)."""

    __slots__ = ()
    variable = _field("variable", "The variable's name.")


class Prepare(_Variant):
    """``PREPARE name AS ..``."""

    __slots__ = ()
    name = _field("name", "The statement's name.")
    fields = _field("fields", "The declared parameter fields (pyarrow).")
    input = _input_field()


class Execute(_Variant):
    """``EXECUTE name(..)``."""

    __slots__ = ()
    name = _field("name", "The prepared statement's name.")
    parameters = _field("parameters", "The parameter expressions.")


class Deallocate(_Variant):
    """``DEALLOCATE name``."""

    __slots__ = ()
    name = _field("name", "The prepared statement's name.")


#: Plan variant names whose view class is named differently.
_PLAN_CLASSES: dict[str, type[_Variant]] = {"Window": WindowExpr}


def plan_variant(inner: Any) -> _Variant:
    """The view of a plan's top node."""
    name, fields = _internal.plan_variant(inner)
    cls = _PLAN_CLASSES.get(name) or globals().get(name)
    if not (isinstance(cls, type) and issubclass(cls, _Variant)):
        raise TypeError(f"no typed view of {name} plans")
    return cls(fields)
