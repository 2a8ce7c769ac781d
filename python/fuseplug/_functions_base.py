"""What the generated :mod:`fuseplug.functions` and :mod:`fuseplug.functions.spark` build on: calling a
registry function by name, the aggregate and window modifiers, the argument conversions of the official
Spark wrappers, and the few helpers that are not registry functions (CASE, IN, aliases)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from fuseplug import _internal
from fuseplug.expr import (
    CaseBuilder,
    Expr,
    ExprLike,
    SortExpr,
    Window,
    WindowFrame,
    _flatten,
    _ignore_nulls,
    lit,
    literal,
    string_literal,
    to_expr,
    to_sort,
)

if TYPE_CHECKING:
    import pyarrow as pa
else:
    from fuseplug._lazy import pyarrow as pa

__all__ = [
    "ExprLike",
    "SortLike",
    "alias",
    "array",
    "case",
    "col",
    "column",
    "count_star",
    "extract",
    "gen_series",
    "in_list",
    "is_nan",
    "list_min",
    "list_overlap",
    "lit",
    "literal",
    "make_map",
    "order_by",
    "when",
]

SortLike: TypeAlias = SortExpr | Expr | str

#: Calls a registry function by name: ``_internal.call_builtin`` or ``_internal.call_spark``.
_Call: TypeAlias = Callable[[str, list[_internal.Expr]], _internal.Expr]

#: Arguments a call gets when it is given none (``f.count()`` counts rows, as ``count(*)``).
_DEFAULT_ARGS: dict[str, tuple[Any, ...]] = {"count": (1,)}


def _args(name: str, args: Sequence[Any]) -> list[_internal.Expr]:
    if not args:
        args = _DEFAULT_ARGS.get(name, ())
    return [to_expr(a)._inner for a in args]


def _trim(args: Sequence[Any]) -> list[Any]:
    """Arguments without the trailing ``None``s of omitted optional parameters."""
    args = list(args)
    while args and args[-1] is None:
        args.pop()
    return args


def _default_if(value: Any, default: Any, *later: Any) -> Any:
    """``value``; when it is omitted (``None``) but a later parameter is given, ``default``, so
    that the later argument keeps its position in the call."""
    if value is None and any(v is not None for v in later):
        return default
    return value


def _native(value: Any, function: str, parameter: str, stacklevel: int = 3) -> Any:
    """A parameter that takes a plain Python value (a date part, an encoding, a type name), as
    it is; an :class:`Expr` still works but is deprecated, as in the official bindings."""
    if isinstance(value, Expr):
        warnings.warn(
            f"Passing Expr for {function}() argument {parameter!r} is deprecated; "
            "pass a Python literal instead.",
            DeprecationWarning,
            stacklevel=stacklevel,
        )
    return value


def _native_utf8(value: Any, function: str, parameter: str) -> Any:
    """:func:`_native`, with a str as a ``Utf8`` literal (what the function's signature takes)."""
    value = _native(value, function, parameter, stacklevel=4)
    return string_literal(value) if isinstance(value, str) else value


def _utf8(value: Any) -> Any:
    """A str as a ``Utf8`` literal (plain literals of a str are ``Utf8View``), for the parameters
    whose planning wants ``Utf8``: ``date_bin``'s interval and timestamps, a union's field name."""
    return string_literal(value) if isinstance(value, str) else value


def _sort_value(value: Any) -> Any:
    """The expression of a sort key (``col("x").sort()``); anything else as it is."""
    return value.expr() if isinstance(value, SortExpr) else value


def _many(value: Any) -> list[Any]:
    """A parameter that takes one expression, a list of them, or ``None`` (none)."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _null_treatment(value: Any) -> bool | None:
    """``null_treatment`` as a bool (ignore nulls), or ``None`` when it is not given."""
    return None if value is None else _ignore_nulls(value)


def _sort_args(array: Any, descending: Any, null_first: Any) -> list[Any]:
    direction = "DESC" if descending else "ASC"
    nulls = "NULLS FIRST" if null_first else "NULLS LAST"
    return [array, string_literal(direction), string_literal(nulls)]


def _scalar(name: str, args: Sequence[Any], call: _Call = _internal.call_builtin) -> Expr:
    return Expr(call(name, _args(name, args)))


def _aggregate(
    name: str,
    args: Sequence[Any],
    distinct: bool | None,
    filter: Expr | None,
    order_by: SortLike | Sequence[SortLike] | None,
    null_treatment: bool | None,
    call: _Call = _internal.call_builtin,
) -> Expr:
    # Expr and ExprFuncBuilder share the modifier methods, so the chain starts on the call itself.
    called: Any = call(name, _args(name, args))
    built = called
    if distinct:
        built = built.distinct()
    if filter is not None:
        built = built.filter(to_expr(filter)._inner)
    if order_by is not None:
        built = built.order_by([to_sort(k)._inner for k in _flatten([order_by])])
    if null_treatment is not None:
        built = built.null_treatment(null_treatment)
    return Expr(called if built is called else built.build())


def _window(
    name: str,
    args: Sequence[Any],
    partition_by: ExprLike | Sequence[ExprLike] | None,
    order_by: SortLike | Sequence[SortLike] | None,
    window_frame: WindowFrame | None,
    null_treatment: bool | None,
    call: _Call = _internal.call_builtin,
) -> Expr:
    expr = Expr(call(name, _args(name, args)))
    if (
        partition_by is None
        and order_by is None
        and window_frame is None
        and null_treatment is None
    ):
        return expr
    partitions = [col(p) if isinstance(p, str) else p for p in _flatten([partition_by])]
    return expr.over(Window(partitions, window_frame, order_by, null_treatment))


# The Spark-compatible functions (datafusion-spark), and what their official wrappers do to arguments.


def _spark_scalar(name: str, args: Sequence[Any]) -> Expr:
    return _scalar(name, args, _internal.call_spark)


def _spark_aggregate(
    name: str,
    args: Sequence[Any],
    distinct: bool | None,
    filter: Expr | None,
    order_by: SortLike | Sequence[SortLike] | None,
    null_treatment: bool | None,
) -> Expr:
    return _aggregate(name, args, distinct, filter, order_by, null_treatment, _internal.call_spark)


def _spark_window(
    name: str,
    args: Sequence[Any],
    partition_by: ExprLike | Sequence[ExprLike] | None,
    order_by: SortLike | Sequence[SortLike] | None,
    window_frame: WindowFrame | None,
    null_treatment: bool | None,
) -> Expr:
    return _window(
        name, args, partition_by, order_by, window_frame, null_treatment, _internal.call_spark
    )


def _i32(value: Any) -> Any:
    """A Python int as an Int32 literal (Spark's date and interval functions take no Int64)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return lit(pa.scalar(value, pa.int32()))
    return value


def _name(value: Any) -> Any:
    """A str as the column of that name, as pyspark reads it; anything else as it is."""
    return col(value) if isinstance(value, str) else value


def _names(values: Iterable[Any]) -> list[Any]:
    return [_name(v) for v in values]


def _seed(value: Any) -> Any:
    """A shuffle seed: the crate's ``shuffle`` takes an Int64 constant (``None`` is no seed)."""
    if isinstance(value, bool) or not (value is None or isinstance(value, (int, Expr))):
        raise TypeError(f"seed must be an int, got {type(value).__name__}")
    return value


def _spark_like(name: str, value: Any, pattern: Any, escape_char: str | None) -> Expr:
    """Spark ``like`` / ``ilike``. The crate's function (and DataFusion's LIKE) know only the
    backslash as escape character, so with another ``escapeChar`` the pattern is rewritten to
    backslash escapes: its backslashes doubled, then ``escapeChar`` + c made ``\\`` + c."""
    pattern = _name(pattern)
    if escape_char is not None and escape_char != "\\":
        if not isinstance(escape_char, str) or len(escape_char) != 1:
            raise ValueError(f"escapeChar must be a single character, got {escape_char!r}")
        doubled = _scalar("replace", [pattern, "\\", "\\\\"])
        pattern = _scalar(
            "regexp_replace", [doubled, re.escape(escape_char) + "(?s:(.))", "\\${1}", "g"]
        )
    return _spark_scalar(name, [value, pattern])


def case(expr: Expr) -> CaseBuilder:
    """``CASE expr WHEN value THEN result ... END``: compare ``expr`` with each ``when`` value."""
    return CaseBuilder(_internal.CaseBuilder(to_expr(expr)._inner))


def when(when: Expr, then: Any) -> CaseBuilder:
    """``CASE WHEN when THEN then ... END``: chain ``.when(...)``, finish with ``.otherwise(...)``
    or ``.end()``."""
    return CaseBuilder(_internal.CaseBuilder()).when(when, then)


def alias(expr: Expr, name: str, metadata: dict[str, str] | None = None) -> Expr:
    """``expr`` under the output name ``name``, with optional field ``metadata``."""
    return to_expr(expr).alias(name, metadata)


def in_list(arg: Expr, values: Iterable[Any], negated: bool = False) -> Expr:
    return to_expr(arg).in_list(values, negated)


def count_star(filter: Expr | None = None) -> Expr:
    """``count(*)``: the number of rows (of those where ``filter`` holds)."""
    return _aggregate("count", (), False, filter, None, None)


def order_by(expr: Expr, ascending: bool = True, nulls_first: bool = False) -> SortExpr:
    return to_expr(expr).sort(ascending, nulls_first)


def _series(name: str, args: Sequence[Any], kwargs: dict[str, Any]) -> Expr:
    """``range`` / ``generate_series`` as the official bindings take them: ``(stop)``,
    ``(start, stop)``, ``(start, stop, step)`` or by keyword; ``start`` defaults to 0."""
    params = ("start", "stop", "step")
    if len(args) > len(params):
        raise TypeError(f"{name}() takes at most 3 arguments ({len(args)} given)")
    if len(args) == 1 and not kwargs:
        args = (0, *args)
    bound = dict(zip(params, args, strict=False))
    for key, value in kwargs.items():
        if key not in params:
            raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
        if key in bound:
            raise TypeError(f"{name}() got multiple values for argument {key!r}")
        bound[key] = value
    bound.setdefault("start", 0)
    if bound.get("stop") is None:
        raise TypeError(f"{name}() needs stop")
    call = [bound["start"], bound["stop"]]
    if bound.get("step") is not None:
        call.append(bound["step"])
    return _scalar(name, call)


# Functions whose official wrappers take their arguments in a shape of their own.


def _arrow_cast(name: str, expr: Any, data_type: Any) -> Expr:
    """``arrow_cast`` / ``arrow_try_cast``: a pyarrow ``DataType`` casts as ``Expr.cast`` does;
    a str is the name of an Arrow type (``"Float64"``, ``"Timestamp(Nanosecond, None)"``)."""
    data_type = _native(data_type, name, "data_type", stacklevel=4)
    if isinstance(data_type, pa.DataType):
        target = to_expr(expr)
        return target.cast(data_type) if name == "arrow_cast" else target.try_cast(data_type)
    if isinstance(data_type, str):
        data_type = string_literal(data_type)
    return _scalar(name, [expr, data_type])


def _with_metadata(expr: Any, metadata: dict[str, str]) -> Expr:
    """``expr`` with ``metadata`` added to its field; an empty dict leaves it as it is."""
    if not metadata:
        return to_expr(expr)
    args: list[Any] = [expr]
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise ValueError("with_metadata keys must be non-empty strings")
        if not isinstance(value, str):
            raise TypeError(f"with_metadata values must be str, got {type(value).__name__}")
        args += [string_literal(key), string_literal(value)]
    return _scalar("with_metadata", args)


def _named_struct(name_pairs: Iterable[tuple[str, Any]]) -> Expr:
    """A struct from ``(name, expression)`` pairs: ``named_struct([("a", col("a"))])``."""
    args: list[Any] = []
    for pair in name_pairs:
        if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not isinstance(pair[0], str):
            raise TypeError(f"named_struct takes (name, expression) pairs, got {pair!r}")
        args += [string_literal(pair[0]), pair[1]]
    return _scalar("named_struct", args)


def _get_field(expr: Any, names: Sequence[Any]) -> Expr:
    """The field at the path ``names`` (str or expressions) of a struct or map."""
    if not names:
        raise ValueError("get_field requires at least one field name")
    return _scalar(
        "get_field", [expr, *(string_literal(n) if isinstance(n, str) else n for n in names)]
    )


# Names of the official functions module that are spellings of registry functions.


def array(*args: ExprLike) -> Expr:
    """Same as ``make_array``: an array of the arguments."""
    return _scalar("make_array", args)


def extract(part: ExprLike, date: ExprLike) -> Expr:
    """Same as ``date_part``: the ``part`` (``"year"``, ``"month"``, ...) of ``date``."""
    return _scalar("date_part", [_native(part, "extract", "part"), date])


def gen_series(*args: Any, **kwargs: Any) -> Expr:
    """Same as ``generate_series``: ``start`` to ``stop`` inclusive, by ``step``."""
    return _series("generate_series", args, kwargs)


def is_nan(expr: ExprLike) -> Expr:
    """Same as ``isnan``."""
    return _scalar("isnan", [expr])


def list_min(array: ExprLike) -> Expr:
    """Same as ``array_min``."""
    return _scalar("array_min", [array])


def list_overlap(first_array: ExprLike, second_array: ExprLike) -> Expr:
    """Whether the arrays share an element (``array_has_any``)."""
    return _scalar("array_has_any", [first_array, second_array])


def make_map(*args: Any) -> Expr:
    """A map from a dict, from a list of keys and a list of values, or from alternating keys and
    values: ``make_map({"x": 1})``, ``make_map(["x"], [1])``, ``make_map("x", 1, "y", 2)``."""
    if len(args) == 1 and isinstance(args[0], dict):
        keys, values = list(args[0]), list(args[0].values())
    elif len(args) == 2 and isinstance(args[0], list) and isinstance(args[1], list):
        if len(args[0]) != len(args[1]):
            raise ValueError("make_map requires key and value lists to be the same length")
        keys, values = args[0], args[1]
    elif len(args) >= 2 and len(args) % 2 == 0:
        keys, values = list(args[0::2]), list(args[1::2])
    else:
        raise ValueError(
            "make_map expects a dict, two lists, or an even number of key-value arguments"
        )
    return _scalar("map", [_scalar("make_array", keys), _scalar("make_array", values)])


def col(name: str) -> Expr:
    """A reference to column ``name`` (the functions module's form of :data:`fuseplug.col`)."""
    return Expr.column(name)


def column(name: str) -> Expr:
    """Alias of :func:`col`."""
    return Expr.column(name)
