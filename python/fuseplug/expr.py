"""Expressions: column references, literals, operators, sorting, CASE and window specifications.

>>> from fuseplug import col, lit
>>> (col("a") + lit(1)).alias("b")
Expr(a + Int64(1) AS b)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from fuseplug import _internal
from fuseplug._expr_introspect import IntrospectionMethods
from fuseplug._expr_methods import FunctionMethods

if TYPE_CHECKING:
    import pyarrow as pa

    from fuseplug.context import SessionContext
else:
    from fuseplug._lazy import pyarrow as pa

__all__ = [
    "lit_with_metadata",
    "literal_with_metadata",
    "str_lit",
    "string_literal",
    "CaseBuilder",
    "Expr",
    "ExprFuncBuilder",
    "SortExpr",
    "Window",
    "WindowFrame",
    "WindowFrameBound",
    "col",
    "column",
    "lit",
    "literal",
]


class Expr(IntrospectionMethods, FunctionMethods):
    """A logical expression. Build with :func:`col` and :func:`lit` and Python operators; the
    single-argument functions are also methods: ``col("name").upper()``."""

    __slots__ = ("_inner",)
    __hash__ = None  # type: ignore[assignment]  # == builds an expression, so Expr is not hashable

    def __init__(self, inner: _internal.Expr) -> None:
        self._inner = inner

    @classmethod
    def _from_inner(cls, inner: _internal.Expr) -> Expr:
        return cls(inner)

    @staticmethod
    def column(value: str) -> Expr:
        """A reference to column ``name`` (``"t.a"`` refers to column ``a`` of table ``t``)."""
        return Expr(_internal.Expr.column(value))

    @staticmethod
    def literal(value: Any) -> Expr:
        """A constant: None, bool, int, float, str, bytes, date/time values, Decimal or a pyarrow scalar."""
        return Expr(_internal.Expr.literal(value))

    # operators -------------------------------------------------------------------------------
    def _op(self, op: str, other: Any) -> Expr:
        return Expr(self._inner.binary_op(op, to_expr(other)._inner))

    def _rop(self, op: str, other: Any) -> Expr:
        return Expr(to_expr(other)._inner.binary_op(op, self._inner))

    def __add__(self, other: Any) -> Expr:
        return self._op("+", other)

    def __radd__(self, other: Any) -> Expr:
        return self._rop("+", other)

    def __sub__(self, other: Any) -> Expr:
        return self._op("-", other)

    def __rsub__(self, other: Any) -> Expr:
        return self._rop("-", other)

    def __mul__(self, other: Any) -> Expr:
        return self._op("*", other)

    def __rmul__(self, other: Any) -> Expr:
        return self._rop("*", other)

    def __truediv__(self, other: Any) -> Expr:
        return self._op("/", other)

    def __rtruediv__(self, other: Any) -> Expr:
        return self._rop("/", other)

    def __mod__(self, other: Any) -> Expr:
        return self._op("%", other)

    def __rmod__(self, other: Any) -> Expr:
        return self._rop("%", other)

    def __and__(self, other: Any) -> Expr:
        return self._op("and", other)

    def __rand__(self, other: Any) -> Expr:
        return self._rop("and", other)

    def __or__(self, other: Any) -> Expr:
        return self._op("or", other)

    def __ror__(self, other: Any) -> Expr:
        return self._rop("or", other)

    def __invert__(self) -> Expr:
        return Expr(self._inner.not_())

    def __neg__(self) -> Expr:
        return Expr(self._inner.negate())

    def __eq__(self, other: Any) -> Expr:  # type: ignore[override]
        return self._op("=", other)

    def __ne__(self, other: Any) -> Expr:  # type: ignore[override]
        return self._op("!=", other)

    def __lt__(self, other: Any) -> Expr:
        return self._op("<", other)

    def __le__(self, other: Any) -> Expr:
        return self._op("<=", other)

    def __gt__(self, other: Any) -> Expr:
        return self._op(">", other)

    def __ge__(self, other: Any) -> Expr:
        return self._op(">=", other)

    def __bool__(self) -> bool:
        raise TypeError(
            "an Expr has no truth value: use & | ~ instead of and/or/not, "
            "and a.between(lo, hi) instead of lo < a < hi"
        )

    def __getitem__(self, key: str | int | slice) -> Expr:
        """``expr["field"]`` reads a struct field; ``expr[i]`` a list element and ``expr[i:j:k]``
        a slice of a list, both 0-based with Python's meaning of negative and omitted bounds (the
        bounds may be expressions)."""
        from fuseplug import functions as f

        if isinstance(key, str):
            return f.get_field(self, key)
        if isinstance(key, int):
            return f.array_element(self, lit(key + 1 if key >= 0 else key))
        if isinstance(key, slice):
            return f.array_slice(self, *_slice_bounds(key))
        raise TypeError(f"index an Expr with a str, an int or a slice, not {type(key).__name__}")

    # methods ---------------------------------------------------------------------------------
    def alias(self, name: str, metadata: dict[str, str] | None = None) -> Expr:
        """Names the expression's output column (with optional field ``metadata``)."""
        return Expr(self._inner.alias(name, metadata))

    def cast(self, to: pa.DataType | type) -> Expr:
        """Converts to ``to`` (a pyarrow type, or ``int``, ``float``, ``str``, ``bool``); fails on bad values."""
        return Expr(self._inner.cast(_arrow_type(to)))

    def try_cast(self, to: pa.DataType | type) -> Expr:
        """Like :meth:`cast`, but a value that cannot be converted becomes null."""
        return Expr(self._inner.try_cast(_arrow_type(to)))

    def sort(self, ascending: bool = True, nulls_first: bool = False) -> SortExpr:
        """A sort key for :meth:`DataFrame.sort` and window ``order_by``."""
        return SortExpr(self._inner.sort(ascending, nulls_first))

    def is_null(self) -> Expr:
        return Expr(self._inner.is_null())

    def is_not_null(self) -> Expr:
        return Expr(self._inner.is_not_null())

    def between(self, low: Any, high: Any, negated: bool = False) -> Expr:
        """``low <= self <= high`` (both ends included)."""
        return Expr(self._inner.between(to_expr(low)._inner, to_expr(high)._inner, negated))

    def in_list(self, values: Iterable[Any], negated: bool = False) -> Expr:
        """True where the value equals one of ``values``."""
        return Expr(self._inner.in_list([to_expr(v)._inner for v in values], negated))

    def isin(self, values: Iterable[Any]) -> Expr:
        return self.in_list(values)

    def like(
        self,
        pattern: Any,
        negated: bool = False,
        escape_char: str | None = None,
        case_insensitive: bool = False,
    ) -> Expr:
        """SQL ``LIKE`` with ``%`` and ``_`` wildcards."""
        return Expr(
            self._inner.like(to_expr(pattern)._inner, negated, escape_char, case_insensitive)
        )

    def ilike(self, pattern: Any) -> Expr:
        return self.like(pattern, case_insensitive=True)

    def not_like(self, pattern: Any) -> Expr:
        return self.like(pattern, negated=True)

    def over(self, window: Window) -> Expr:
        """Evaluates this aggregate or window function over ``window``."""
        return Expr(
            self._inner.over(
                [to_expr(e)._inner for e in window.partition_by],
                [to_sort(e)._inner for e in window.order_by],
                window.window_frame._inner if window.window_frame is not None else None,
                window.null_treatment,
            )
        )

    # aggregate / window modifiers ------------------------------------------------------------
    def filter(self, filter: Expr) -> ExprFuncBuilder:
        """Aggregates only the rows where ``condition`` holds; finish with ``.build()``."""
        return ExprFuncBuilder(self._inner.filter(to_expr(filter)._inner))

    def order_by(self, *exprs: Any) -> ExprFuncBuilder:
        return ExprFuncBuilder(self._inner.order_by([to_sort(k)._inner for k in _flatten(exprs)]))

    def distinct(self) -> ExprFuncBuilder:
        return ExprFuncBuilder(self._inner.distinct())

    def null_treatment(self, null_treatment: Any) -> ExprFuncBuilder:
        """``True`` (or the official ``NullTreatment.IGNORE_NULLS``) ignores nulls."""
        return ExprFuncBuilder(self._inner.null_treatment(_ignore_nulls(null_treatment)))

    def partition_by(self, *partition_by: Any) -> ExprFuncBuilder:
        """Starts a window call partitioned by ``exprs``; finish with ``.build()``."""
        return ExprFuncBuilder(
            self._inner.partition_by([to_expr(e)._inner for e in _flatten(partition_by)])
        )

    def window_frame(self, window_frame: WindowFrame) -> ExprFuncBuilder:
        return ExprFuncBuilder(self._inner.window_frame(window_frame._inner))

    # introspection ---------------------------------------------------------------------------
    def schema_name(self) -> str:
        """The output column name DataFusion derives for this expression."""
        return self._inner.schema_name()

    def canonical_name(self) -> str:
        return self._inner.canonical_name()

    def variant_name(self) -> str:
        """The kind of expression, e.g. ``Column``, ``Literal``, ``BinaryExpr``."""
        return self._inner.variant_name()

    def _call(self, name: str) -> Expr:
        return Expr(_internal.call_builtin(name, [self._inner]))

    def python_value(self) -> Any:
        """A literal's value, as a pyarrow scalar (``TypeError`` for other expressions)."""
        return self._inner.python_value()

    def is_nan(self) -> Expr:
        """Whether the value is NaN (``isnan``)."""
        return self._call("isnan")

    def fill_null(self, value: Any = None) -> Expr:
        """This expression with nulls replaced by ``value`` (``nvl``)."""
        return Expr(_internal.call_builtin("nvl", [self._inner, to_expr(value)._inner]))

    def fill_nan(self, value: Any = None) -> Expr:
        """This expression with NaN replaced by ``value`` (``nanvl``)."""
        return Expr(_internal.call_builtin("nanvl", [self._inner, to_expr(value)._inner]))

    @staticmethod
    def literal_with_metadata(value: Any, metadata: dict[str, str]) -> Expr:
        """A literal whose field carries ``metadata``."""
        return Expr(_internal.Expr.literal_with_metadata(value, metadata))

    @staticmethod
    def string_literal(value: str) -> Expr:
        """A string literal (``Utf8``); :meth:`literal` makes a ``Utf8View`` one of a str."""
        return Expr(_internal.Expr.string_literal(value))

    # serialization -----------------------------------------------------------------------------
    def to_bytes(self, ctx: SessionContext | None = None) -> bytes:
        """This expression as bytes, to send to another process (``pickle.dumps`` does the same).

        With ``ctx``, that session's codecs encode (its plugin codecs, its
        ``with_python_udf_inlining`` setting); without one, Python UDFs travel inline and plugin
        functions by name. Decoding inline Python UDFs runs code: see ``docs/serialization.md``.

        >>> from fuseplug import col, lit
        >>> Expr.from_bytes((col("a") + lit(1)).to_bytes()).canonical_name()
        'a + Int64(1)'
        """
        return _internal.expr_to_bytes(self._inner, _ctx_inner(ctx))

    @classmethod
    def from_bytes(cls, buf: bytes, ctx: SessionContext | None = None) -> Expr:
        """An expression from :meth:`to_bytes` output, resolved against ``ctx``, else this thread's
        worker context (:mod:`fuseplug.ipc`), else the global context. Raises
        :class:`~fuseplug.exceptions.SerializationError` for bytes that do not decode."""
        from fuseplug.ipc import _resolve_ctx

        return cls(_internal.expr_from_bytes(_resolve_ctx(ctx)._inner, bytes(buf)))

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        """Pickles through this thread's sender context (:mod:`fuseplug.ipc`); unpickles on the
        worker context, else the global one."""
        from fuseplug.ipc import get_sender_ctx

        return (Expr._reconstruct, (self.to_bytes(get_sender_ctx()),))

    @classmethod
    def _reconstruct(cls, buf: bytes) -> Expr:
        return cls.from_bytes(buf)

    @property
    def expr(self) -> _internal.Expr:
        """The compiled expression (the official bindings' name for it)."""
        return self._inner

    def __repr__(self) -> str:
        """``Expr(...)`` around the expression's display; ``str()`` gives the same, as in the
        official bindings (:meth:`canonical_name` is the bare text)."""
        return f"Expr({self._inner})"


class ExprFuncBuilder:
    """Collects modifiers of an aggregate or window call; :meth:`build` makes the expression."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _internal.ExprFuncBuilder) -> None:
        self._inner = inner

    def filter(self, filter: Expr) -> ExprFuncBuilder:
        return ExprFuncBuilder(self._inner.filter(to_expr(filter)._inner))

    def order_by(self, *exprs: Any) -> ExprFuncBuilder:
        return ExprFuncBuilder(self._inner.order_by([to_sort(k)._inner for k in _flatten(exprs)]))

    def distinct(self) -> ExprFuncBuilder:
        return ExprFuncBuilder(self._inner.distinct())

    def null_treatment(self, null_treatment: Any) -> ExprFuncBuilder:
        """``True`` (or the official ``NullTreatment.IGNORE_NULLS``) ignores nulls."""
        return ExprFuncBuilder(self._inner.null_treatment(_ignore_nulls(null_treatment)))

    def partition_by(self, *partition_by: Any) -> ExprFuncBuilder:
        return ExprFuncBuilder(
            self._inner.partition_by([to_expr(e)._inner for e in _flatten(partition_by)])
        )

    def window_frame(self, window_frame: WindowFrame) -> ExprFuncBuilder:
        return ExprFuncBuilder(self._inner.window_frame(window_frame._inner))

    def build(self) -> Expr:
        return Expr(self._inner.build())


class SortExpr:
    """A sort key: an expression, a direction and where nulls go."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _internal.SortExpr) -> None:
        self._inner = inner

    def expr(self) -> Expr:
        return Expr(self._inner.expr())

    def ascending(self) -> bool:
        return self._inner.ascending()

    def nulls_first(self) -> bool:
        return self._inner.nulls_first()

    def __repr__(self) -> str:
        return repr(self._inner)


class CaseBuilder:
    """``CASE [base] WHEN ... THEN ... [ELSE ...] END``; finish with :meth:`otherwise` or :meth:`end`."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _internal.CaseBuilder) -> None:
        self._inner = inner

    def when(self, when_expr: Any, then_expr: Any) -> CaseBuilder:
        return CaseBuilder(self._inner.when(to_expr(when_expr)._inner, to_expr(then_expr)._inner))

    def otherwise(self, else_expr: Any) -> Expr:
        return Expr(self._inner.otherwise(to_expr(else_expr)._inner))

    def end(self) -> Expr:
        """Finishes the CASE; rows matching no branch are null."""
        return Expr(self._inner.end())


class WindowFrame:
    """Which rows of the partition a window function sees.

    ``units`` is ``"rows"``, ``"range"`` or ``"groups"``. A bound of ``None`` is unbounded, ``0`` the
    current row, ``n`` ``n`` units before the current row (start) or after it (end).
    """

    __slots__ = ("_bounds", "_inner", "_units")

    def __init__(self, units: str, start_bound: Any | None = None, end_bound: Any | None = None):
        if not isinstance(units, str) or units.lower() not in ("rows", "range", "groups"):
            from fuseplug.exceptions import NotSupportedError

            raise NotSupportedError(
                f"window frame units {units!r} are not supported: use 'rows', 'range' or 'groups'"
            )
        self._inner = _internal.WindowFrame(units, start_bound, end_bound)
        self._units = units
        self._bounds = (start_bound, end_bound)

    def get_frame_units(self) -> str:
        """``ROWS``, ``RANGE`` or ``GROUPS``."""
        return self._units.upper()

    def get_lower_bound(self) -> WindowFrameBound:
        """Where the frame starts: ``n`` rows (or units) preceding, or unbounded."""
        return WindowFrameBound("preceding", self._bounds[0])

    def get_upper_bound(self) -> WindowFrameBound:
        """Where the frame ends: ``n`` rows (or units) following, or unbounded."""
        return WindowFrameBound("following", self._bounds[1])

    def __repr__(self) -> str:
        return repr(self._inner)


class WindowFrameBound:
    """One end of a :class:`WindowFrame`: ``direction`` is ``preceding``, ``following`` or
    ``current_row``; an ``offset`` of None is unbounded."""

    __slots__ = ("_direction", "_offset")

    def __init__(self, frame_bound: str, offset: Any | None = None) -> None:
        if frame_bound not in ("preceding", "following", "current_row"):
            raise ValueError(f"unknown window frame bound: {frame_bound!r}")
        self._direction = frame_bound
        self._offset = offset

    def get_offset(self) -> int | None:
        """The offset in units, or None when unbounded (or the current row)."""
        return None if self._offset is None else int(self._offset)

    def is_current_row(self) -> bool:
        """Whether the bound is ``CURRENT ROW``."""
        return self._direction == "current_row"

    def is_following(self) -> bool:
        """Whether the bound is ``n FOLLOWING`` or ``UNBOUNDED FOLLOWING``."""
        return self._direction == "following"

    def is_preceding(self) -> bool:
        """Whether the bound is ``n PRECEDING`` or ``UNBOUNDED PRECEDING``."""
        return self._direction == "preceding"

    def is_unbounded(self) -> bool:
        """Whether the bound is ``UNBOUNDED``."""
        return self._offset is None and self._direction != "current_row"

    def __repr__(self) -> str:
        return f"WindowFrameBound({self._direction!r}, {self._offset!r})"


class Window:
    """A window specification for :meth:`Expr.over`."""

    def __init__(
        self,
        partition_by: Any = None,
        window_frame: WindowFrame | None = None,
        order_by: Any = None,
        null_treatment: bool | None = None,
    ) -> None:
        # a string is a column name, as in sort keys
        self.partition_by = (
            [to_column_or_expr(e) for e in _flatten([partition_by])]
            if partition_by is not None
            else []
        )
        self.order_by = list(_flatten([order_by])) if order_by is not None else []
        self.window_frame = window_frame
        self.null_treatment = null_treatment


# A string, so that evaluating the alias does not import pyarrow (see _lazy.py).
ExprLike: TypeAlias = "Expr | str | int | float | bool | bytes | pa.Scalar | None"


class Col:
    """Column references, by call or by attribute: ``col("price")`` and ``col.price`` are the same.

    >>> col("price"), col.price
    (Expr(price), Expr(price))
    """

    __slots__ = ()

    def __call__(self, value: str) -> Expr:
        """A reference to column ``value`` (``"t.a"`` is column ``a`` of table ``t``)."""
        return Expr.column(value)

    def __getattr__(self, value: str) -> Expr:
        if value.startswith("__"):  # keep copy, pickle and IPython's probes working
            raise AttributeError(value)
        return Expr.column(value)


col = Col()


def lit(value: Any) -> Expr:
    """A constant.

    >>> lit(3)
    Expr(Int64(3))
    """
    if isinstance(value, Expr):
        return value
    return Expr.literal(value)


column = col
literal = lit


def to_expr(value: Any) -> Expr:
    """An :class:`Expr` as is; any other value as a literal."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, SortExpr):
        raise TypeError("a sort key (from .sort()) is not allowed here; pass the expression")
    return lit(value)


def to_column_or_expr(value: Any) -> Expr:
    """A string is a column name; an :class:`Expr` is itself."""
    if isinstance(value, str):
        return col(value)
    if isinstance(value, Expr):
        return value
    raise TypeError(
        f"Expected Expr or column name, found: {type(value).__name__}. {EXPR_TYPE_ERROR}."
    )


def to_sort(value: Any) -> SortExpr:
    """A :class:`SortExpr` as is; a column name or expression sorts as ``.sort()`` does (ascending,
    nulls last, the official bindings' default)."""
    if isinstance(value, SortExpr):
        return value
    return to_column_or_expr(value).sort()


def _slice_bounds(key: slice) -> list[Any]:
    """A Python slice as ``array_slice``'s 1-based, inclusive ``begin``, ``end`` (and ``stride``);
    an expression bound is taken as a 0-based start and an exclusive stop, as an int is."""
    start, stop, step = key.start, key.stop, key.step
    if start is None:
        begin: Any = 1
    elif isinstance(start, int) and start < 0:
        begin = start  # -1 is the last element in both conventions
    else:
        begin = to_expr(start) + 1 if isinstance(start, Expr) else start + 1
    if stop is None:
        end: Any = -1
    elif isinstance(stop, int) and stop < 0:
        end = stop - 1
    else:
        end = stop
    return [begin, end] if step is None else [begin, end, step]


def _flatten(values: Iterable[Any]) -> Iterable[Any]:
    for value in values:
        if isinstance(value, (list, tuple)):
            yield from value
        elif value is not None:
            yield value


# The pyarrow type factory per Python type, called when needed (import fuseplug loads no pyarrow).
_PYTHON_TYPES: dict[type, str] = {
    int: "int64",
    float: "float64",
    str: "string",
    bool: "bool_",
    bytes: "binary",
}


def _arrow_type(to: pa.DataType | type) -> pa.DataType:
    if isinstance(to, pa.DataType):
        return to
    if isinstance(to, type) and to in _PYTHON_TYPES:
        return getattr(pa, _PYTHON_TYPES[to])()
    raise TypeError(
        f"cast target must be a pyarrow DataType or int/float/str/bool/bytes, not {to!r}"
    )


def exprs_of(values: Sequence[Any]) -> list[_internal.Expr]:
    """Inner expressions for a sequence of column names and expressions."""
    return [to_column_or_expr(v)._inner for v in _flatten(values)]


def _ctx_inner(ctx: SessionContext | None) -> _internal.SessionContext | None:
    return None if ctx is None else ctx._inner


def _ignore_nulls(value: Any) -> bool:
    """A bool, or the official bindings' ``NullTreatment`` enum, as "ignore nulls"."""
    if isinstance(value, bool):
        return value
    name = str(getattr(value, "name", value)).upper()
    if "IGNORE" in name or "RESPECT" in name:
        return "IGNORE" in name
    raise ValueError(f"null_treatment must be a bool or NullTreatment, got {value!r}")


def lit_with_metadata(value: Any, metadata: dict[str, str]) -> Expr:
    """A literal whose field carries ``metadata``."""
    return Expr.literal_with_metadata(value, metadata)


literal_with_metadata = lit_with_metadata


def string_literal(value: str) -> Expr:
    """A string literal."""
    return Expr.string_literal(value)


str_lit = string_literal


#: The message of the ``TypeError`` that :func:`ensure_expr` raises.
EXPR_TYPE_ERROR = "Use col()/column() or lit()/literal() to construct expressions"

#: What sorting APIs accept: an expression, a sort key or a column name.
SortKey: TypeAlias = "Expr | SortExpr | str"


def ensure_expr(value: Expr | Any) -> _internal.Expr:
    """The compiled expression of an :class:`Expr`; anything else is a ``TypeError`` (where
    :func:`coerce_to_expr` would make a literal of it)."""
    if not isinstance(value, Expr):
        raise TypeError(EXPR_TYPE_ERROR)
    return value._inner


def ensure_expr_list(exprs: Iterable[Expr | Iterable[Expr]]) -> list[_internal.Expr]:
    """:func:`ensure_expr` over ``exprs``, with nested iterables flattened (strings are refused)."""
    out: list[_internal.Expr] = []
    for item in exprs:
        if isinstance(item, Iterable) and not isinstance(item, (str, bytes, Expr)):
            out.extend(ensure_expr(e) for e in item)
        else:
            out.append(ensure_expr(item))
    return out


def coerce_to_expr(value: Any) -> Expr:
    """An :class:`Expr` as is; any other value as a literal."""
    return to_expr(value)


def coerce_to_expr_list(values: Iterable[Any]) -> list[Expr]:
    """:func:`coerce_to_expr` over ``values``."""
    return [coerce_to_expr(v) for v in values]


def coerce_to_expr_or_none(value: Any | None) -> Expr | None:
    """None as is; anything else through :func:`coerce_to_expr`."""
    return None if value is None else coerce_to_expr(value)


#: The typed views of ``to_variant()``, loaded on first use so that ``import fuseplug`` stays fast.
_expr_names = [
    "Alias", "AggregateFunction", "Between", "BinaryExpr", "Case", "Cast", "Column", "Exists",
    "GroupingSet", "HigherOrderFunction", "ILike", "InList", "InSubquery", "IsFalse", "IsNotFalse",
    "IsNotNull", "IsNotTrue", "IsNotUnknown", "IsNull", "IsTrue", "IsUnknown", "Lambda",
    "LambdaVariable", "Like", "Literal", "Negative", "Not", "Placeholder", "ScalarFunction",
    "ScalarSubquery", "ScalarVariable", "SimilarTo", "Subquery", "TryCast", "UnnestExpr",
    "WindowFunction",
]  # fmt: skip
_plan_names = [
    "Aggregate", "Analyze", "CopyTo", "CreateCatalog", "CreateCatalogSchema",
    "CreateExternalTable", "CreateFunction", "CreateFunctionBody", "CreateIndex",
    "CreateMemoryTable", "CreateView", "Deallocate", "DescribeTable", "Distinct", "DmlStatement",
    "DropCatalogSchema", "DropFunction", "DropTable", "DropView", "EmptyRelation", "Execute",
    "Explain", "Extension", "FileType", "Filter", "Join", "JoinConstraint", "JoinType", "Limit",
    "OperateFunctionArg", "Partitioning", "Prepare", "Projection", "RecursiveQuery",
    "Repartition", "ResetVariable", "SetVariable", "Sort", "SubqueryAlias", "TableScan",
    "TransactionAccessMode", "TransactionConclusion", "TransactionEnd",
    "TransactionIsolationLevel", "TransactionStart", "Union", "Unnest", "Values", "WindowExpr",
]  # fmt: skip

if TYPE_CHECKING:
    from fuseplug._plan_variants import *  # noqa: F403
    from fuseplug._variants import *  # noqa: F403


def __getattr__(name: str) -> Any:
    if name in _expr_names:
        from fuseplug import _variants as source
    elif name in _plan_names:
        from fuseplug import _plan_variants as source  # type: ignore[no-redef]
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(source, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Lists the variant classes served on first use too, for ``dir()`` and tab completion."""
    return sorted(set(globals()) | set(_expr_names) | set(_plan_names))


__all__ += [
    "EXPR_TYPE_ERROR",
    "SortKey",
    "coerce_to_expr",
    "coerce_to_expr_list",
    "coerce_to_expr_or_none",
    "ensure_expr",
    "ensure_expr_list",
    *_expr_names,
    *_plan_names,
]
