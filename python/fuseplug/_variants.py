"""Typed views of one plan node or expression node: what ``LogicalPlan.to_variant()`` and
``Expr.to_variant()`` return. Each class reads the fields the compiled module extracted from the
node; every accessor is a method, as in the official bindings.

>>> import fuseplug
>>> ctx = fuseplug.SessionContext()
>>> _ = ctx.from_pydict({"a": [1, 2]}, name="t")
>>> projection = ctx.sql("SELECT a + 1 AS b FROM t").logical_plan().to_variant()
>>> type(projection).__name__, projection.projections()
('Projection', [Expr(t.a + Int64(1) AS b)])
>>> projection.projections()[0].to_variant().expr().to_variant().op()
'+'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fuseplug import _internal

if TYPE_CHECKING:
    import pyarrow as pa

    from fuseplug.expr import Expr
else:
    from fuseplug._lazy import pyarrow as pa

#: The expression views.
__all__ = [
    "Alias",
    "AggregateFunction",
    "Between",
    "BinaryExpr",
    "Case",
    "Cast",
    "Column",
    "Exists",
    "GroupingSet",
    "HigherOrderFunction",
    "ILike",
    "InList",
    "InSubquery",
    "IsFalse",
    "IsNotFalse",
    "IsNotNull",
    "IsNotTrue",
    "IsNotUnknown",
    "IsNull",
    "IsTrue",
    "IsUnknown",
    "Lambda",
    "LambdaVariable",
    "Like",
    "Literal",
    "Negative",
    "Not",
    "Placeholder",
    "ScalarFunction",
    "ScalarSubquery",
    "ScalarVariable",
    "SimilarTo",
    "Subquery",
    "TryCast",
    "UnnestExpr",
    "WindowFunction",
]


def _wrap(value: Any) -> Any:
    """Compiled expressions and plans as their public classes, through lists and tuples."""
    if isinstance(value, _internal.Expr):
        from fuseplug.expr import Expr

        return Expr(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    return value


def _field(name: str, doc: str) -> Callable[[_Variant], Any]:
    def method(self: _Variant) -> Any:
        return _wrap(self._fields[name])

    method.__name__ = name
    method.__doc__ = doc
    return method


class _Variant:
    """One node's fields, read by name through the subclass's methods."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={_wrap(v)!r}" for k, v in sorted(self._fields.items()))
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return repr(self) == repr(other)

    __hash__ = None  # type: ignore[assignment]


def _schema_field(doc: str = "The node's output schema as a DFSchema.") -> Callable[..., Any]:
    return _field("schema", doc)


def _input_field() -> Callable[..., Any]:
    return _field("input", "The node's input plans (a list, as in the official bindings).")


# --- expressions -------------------------------------------------------------------------------


class Alias(_Variant):
    """``expr AS alias``."""

    __slots__ = ()
    alias = _field("alias", "The new name.")
    expr = _field("expr", "The aliased expression.")


class Column(_Variant):
    """A column reference."""

    __slots__ = ()
    name = _field("name", "The column's name.")
    relation = _field("relation", "The table qualifier, or None.")
    qualified_name = _field("qualified_name", "``relation.name``, or the name alone.")


class ScalarVariable(_Variant):
    """A ``@variable`` reference."""

    __slots__ = ()
    data_type = _field("data_type", "The variable's pyarrow type.")
    variables = _field("variables", "The variable's name parts.")


class Literal(_Variant):
    """A constant. ``value_<type>()`` returns the value when the literal has that type and raises
    ``TypeError`` otherwise; ``into_type()`` returns it whatever the type."""

    __slots__ = ()

    def data_type(self) -> str:
        """The literal's DataFusion type name, such as ``Int64`` or ``Utf8View``."""
        return str(self._fields["type_name"])

    def into_type(self) -> Any:
        """The value as a Python object, whatever its type."""
        return self._fields["value"].as_py()

    def _typed(self, *accept: Callable[[pa.DataType], bool]) -> Any:
        value = self._fields["value"]
        if not any(check(value.type) for check in accept):
            raise TypeError(f"the literal is of type {self.data_type()}, not the one asked for")
        return value.as_py()

    def value_bool(self) -> bool | None:
        """The value of a Boolean literal."""
        return self._typed(pa.types.is_boolean)  # type: ignore[no-any-return]

    def value_f32(self) -> float | None:
        """The value of a Float32 literal."""
        return self._typed(pa.types.is_float32)  # type: ignore[no-any-return]

    def value_f64(self) -> float | None:
        """The value of a Float64 literal."""
        return self._typed(pa.types.is_float64)  # type: ignore[no-any-return]

    def value_i8(self) -> int | None:
        """The value of an Int8 literal."""
        return self._typed(pa.types.is_int8)  # type: ignore[no-any-return]

    def value_i16(self) -> int | None:
        """The value of an Int16 literal."""
        return self._typed(pa.types.is_int16)  # type: ignore[no-any-return]

    def value_i32(self) -> int | None:
        """The value of an Int32 literal."""
        return self._typed(pa.types.is_int32)  # type: ignore[no-any-return]

    def value_i64(self) -> int | None:
        """The value of an Int64 literal."""
        return self._typed(pa.types.is_int64)  # type: ignore[no-any-return]

    def value_u8(self) -> int | None:
        """The value of a UInt8 literal."""
        return self._typed(pa.types.is_uint8)  # type: ignore[no-any-return]

    def value_u16(self) -> int | None:
        """The value of a UInt16 literal."""
        return self._typed(pa.types.is_uint16)  # type: ignore[no-any-return]

    def value_u32(self) -> int | None:
        """The value of a UInt32 literal."""
        return self._typed(pa.types.is_uint32)  # type: ignore[no-any-return]

    def value_u64(self) -> int | None:
        """The value of a UInt64 literal."""
        return self._typed(pa.types.is_uint64)  # type: ignore[no-any-return]

    def value_string(self) -> str | None:
        """The value of a string literal (Utf8, LargeUtf8 or Utf8View)."""
        return self._typed(  # type: ignore[no-any-return]
            pa.types.is_string, pa.types.is_large_string, pa.types.is_string_view
        )

    def value_date32(self) -> Any:
        """The value of a Date32 literal, as a ``datetime.date``."""
        return self._typed(pa.types.is_date32)

    def value_date64(self) -> Any:
        """The value of a Date64 literal, as a ``datetime.date``."""
        return self._typed(pa.types.is_date64)

    def value_time64(self) -> Any:
        """The value of a Time64 literal, as a ``datetime.time``."""
        return self._typed(pa.types.is_time64)

    def value_timestamp(self) -> Any:
        """The value of a Timestamp literal, as a ``datetime.datetime``."""
        return self._typed(pa.types.is_timestamp)

    def value_decimal128(self) -> Any:
        """The value of a Decimal128 literal, as a ``decimal.Decimal``."""
        return self._typed(pa.types.is_decimal128)

    def value_interval_day_time(self) -> Any:
        """The value of an interval or duration literal."""
        return self._typed(pa.types.is_interval, pa.types.is_duration)


class BinaryExpr(_Variant):
    """``left op right``."""

    __slots__ = ()
    left = _field("left", "The left operand.")
    op = _field("op", "The operator as SQL writes it, such as ``+`` or ``AND``.")
    right = _field("right", "The right operand.")


class Like(_Variant):
    """``expr LIKE pattern``."""

    __slots__ = ()
    expr = _field("expr", "The matched expression.")
    pattern = _field("pattern", "The pattern.")
    escape_char = _field("escape_char", "The escape character, or None.")
    negated = _field("negated", "Whether it is ``NOT LIKE``.")


class ILike(Like):
    """``expr ILIKE pattern``: case-insensitive ``LIKE``."""

    __slots__ = ()


class SimilarTo(Like):
    """``expr SIMILAR TO pattern``."""

    __slots__ = ()


class _Unary(_Variant):
    __slots__ = ()
    expr = _field("expr", "The operand.")


class Not(_Unary):
    """``NOT expr``."""

    __slots__ = ()


class IsNotNull(_Unary):
    """``expr IS NOT NULL``."""

    __slots__ = ()


class IsNull(_Unary):
    """``expr IS NULL``."""

    __slots__ = ()


class IsTrue(_Unary):
    """``expr IS TRUE``."""

    __slots__ = ()


class IsFalse(_Unary):
    """``expr IS FALSE``."""

    __slots__ = ()


class IsUnknown(_Unary):
    """``expr IS UNKNOWN``."""

    __slots__ = ()


class IsNotTrue(_Unary):
    """``expr IS NOT TRUE``."""

    __slots__ = ()


class IsNotFalse(_Unary):
    """``expr IS NOT FALSE``."""

    __slots__ = ()


class IsNotUnknown(_Unary):
    """``expr IS NOT UNKNOWN``."""

    __slots__ = ()


class Negative(_Unary):
    """``-expr``."""

    __slots__ = ()


class UnnestExpr(_Unary):
    """``unnest(expr)``."""

    __slots__ = ()


class Between(_Variant):
    """``expr BETWEEN low AND high``."""

    __slots__ = ()
    expr = _field("expr", "The tested expression.")
    low = _field("low", "The lower bound.")
    high = _field("high", "The upper bound.")
    negated = _field("negated", "Whether it is ``NOT BETWEEN``.")


class Case(_Variant):
    """``CASE [expr] WHEN .. THEN .. [ELSE ..] END``."""

    __slots__ = ()
    expr = _field("expr", "The compared expression of ``CASE expr WHEN``, or None.")
    when_then_expr = _field("when_then_expr", "The ``(when, then)`` pairs.")
    else_expr = _field("else_expr", "The ``ELSE`` expression, or None.")


class Cast(_Variant):
    """``CAST(expr AS data_type)``."""

    __slots__ = ()
    expr = _field("expr", "The cast expression.")
    data_type = _field("data_type", "The target pyarrow type.")


class TryCast(Cast):
    """``TRY_CAST(expr AS data_type)``: NULL where the cast fails."""

    __slots__ = ()


class ScalarFunction(_Variant):
    """A call of a scalar function (a fuseplug addition: the official bindings raise here)."""

    __slots__ = ()
    name = _field("name", "The function's name.")
    args = _field("args", "The argument expressions.")


class AggregateFunction(_Variant):
    """A call of an aggregate function."""

    __slots__ = ()
    aggregate_type = _field("aggregate_type", "The aggregate function's name.")
    args = _field("args", "The argument expressions.")
    is_distinct = _field("is_distinct", "Whether the call is ``DISTINCT``.")
    filter = _field("filter", "The ``FILTER (WHERE ..)`` condition, or None.")
    order_by = _field("order_by", "The ``ORDER BY`` expressions of an ordered aggregate.")


class WindowFunction(_Variant):
    """A call of a window function (a fuseplug addition)."""

    __slots__ = ()
    name = _field("name", "The window function's name.")
    args = _field("args", "The argument expressions.")
    partition_by = _field("partition_by", "The ``PARTITION BY`` expressions.")
    order_by = _field("order_by", "The ``ORDER BY`` expressions.")
    window_frame = _field("window_frame", "The frame as SQL text (``ROWS BETWEEN .. AND ..``).")


class InList(_Variant):
    """``expr IN (list)``."""

    __slots__ = ()
    expr = _field("expr", "The tested expression.")
    list = _field("list", "The candidate expressions.")
    negated = _field("negated", "Whether it is ``NOT IN``.")


def _subquery(self: _Variant) -> Subquery:
    """The subquery."""
    return Subquery({"input": [self._fields["subquery"]]})


class Exists(_Variant):
    """``EXISTS (subquery)``."""

    __slots__ = ()
    subquery = _subquery
    negated = _field("negated", "Whether it is ``NOT EXISTS``.")


class InSubquery(_Variant):
    """``expr IN (subquery)``."""

    __slots__ = ()
    expr = _field("expr", "The tested expression.")
    subquery = _subquery
    negated = _field("negated", "Whether it is ``NOT IN``.")


class ScalarSubquery(_Variant):
    """A subquery used as a value."""

    __slots__ = ()
    subquery = _subquery


class GroupingSet(_Variant):
    """``ROLLUP``, ``CUBE`` or ``GROUPING SETS``. The static methods build one; the others read
    one from ``to_variant()``."""

    __slots__ = ()

    @staticmethod
    def rollup(*exprs: Expr | str) -> Expr:
        """``ROLLUP (exprs)``: every prefix of ``exprs`` as a grouping."""
        return _grouping("rollup", list(exprs))

    @staticmethod
    def cube(*exprs: Expr | str) -> Expr:
        """``CUBE (exprs)``: every subset of ``exprs`` as a grouping."""
        return _grouping("cube", list(exprs))

    @staticmethod
    def grouping_sets(*expr_lists: list[Expr | str]) -> Expr:
        """``GROUPING SETS ((..), (..))``: the given groupings."""
        return _grouping("grouping_sets", [list(group) for group in expr_lists])

    kind = _field("kind", "``rollup``, ``cube`` or ``grouping_sets``.")
    groups = _field("groups", "The expression lists.")


def _grouping(kind: str, values: list[Any]) -> Expr:
    from fuseplug.expr import Expr, to_column_or_expr

    if kind == "grouping_sets":
        lists = [[to_column_or_expr(v)._inner for v in group] for group in values]
        return Expr(_internal.grouping_set(kind, lists))
    return Expr(_internal.grouping_set(kind, [[to_column_or_expr(v)._inner for v in values]]))


class Placeholder(_Variant):
    """A ``$1`` / ``$name`` parameter of a prepared statement."""

    __slots__ = ()
    id = _field("id", "The placeholder's id, such as ``$1``.")
    data_type = _field("data_type", "The inferred pyarrow type, or None.")

    def field(self) -> pa.Field | None:
        """The inferred field, or None."""
        data_type = self._fields["data_type"]
        return None if data_type is None else pa.field(self._fields["id"], data_type)


class HigherOrderFunction(_Variant):
    """A call of a higher-order function such as ``array_transform``."""

    __slots__ = ()
    name = _field("name", "The function's name.")
    args = _field("args", "The arguments; lambdas are :class:`Lambda` expressions.")


class Lambda(_Variant):
    """``(params) -> body``."""

    __slots__ = ()
    params = _field("params", "The parameter names.")
    body = _field("body", "The body expression.")


class LambdaVariable(_Variant):
    """A reference to a lambda parameter."""

    __slots__ = ()
    name = _field("name", "The parameter's name.")


def _unaliased(expr: Expr) -> _Variant:
    """The view of ``expr`` under any ``AS`` aliases."""
    inner = expr_variant(expr._inner)
    while isinstance(inner, Alias):
        inner = expr_variant(inner.expr()._inner)
    return inner


class Subquery(_Variant):
    """A subquery."""

    __slots__ = ()
    input = _input_field()


#: Expression variant name (``Expr.variant_name()``) to view class, where they differ.
_EXPR_CLASSES: dict[str, type[_Variant]] = {
    "OuterReferenceColumn": Column,
    "Unnest": UnnestExpr,
}


def expr_variant(inner: _internal.Expr) -> _Variant:
    """The view of an expression's top node."""
    name, fields = _internal.expr_variant(inner)
    if name == "Like" and fields.get("case_insensitive"):
        return ILike(fields)
    cls = _EXPR_CLASSES.get(name) or globals().get(name)
    if not (isinstance(cls, type) and issubclass(cls, _Variant)):
        raise TypeError(f"no typed view of {name} expressions; use the Expr itself")
    return cls(fields)
