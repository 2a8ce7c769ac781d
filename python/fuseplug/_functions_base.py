"""What the generated :mod:`fuseplug.functions` builds on: calling a built-in by name, the aggregate and
window modifiers, and the few helpers that are not registry functions (CASE, IN, aliases)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

from fuseplug import _internal
from fuseplug.expr import (
    CaseBuilder,
    Expr,
    ExprLike,
    SortExpr,
    Window,
    WindowFrame,
    _flatten,
    col,
    column,
    lit,
    literal,
    to_expr,
    to_sort,
)

__all__ = [
    "ExprLike",
    "SortLike",
    "alias",
    "case",
    "col",
    "column",
    "count_star",
    "in_list",
    "lit",
    "literal",
    "order_by",
    "when",
]

SortLike: TypeAlias = SortExpr | Expr | str

#: Arguments a call gets when it is given none (``f.count()`` counts rows, as ``count(*)``).
_DEFAULT_ARGS: dict[str, tuple[Any, ...]] = {"count": (1,)}


def _args(name: str, args: Sequence[Any]) -> list[_internal.Expr]:
    if not args:
        args = _DEFAULT_ARGS.get(name, ())
    return [to_expr(a)._inner for a in args]


def _scalar(name: str, args: Sequence[Any]) -> Expr:
    return Expr(_internal.call_builtin(name, _args(name, args)))


def _aggregate(
    name: str,
    args: Sequence[Any],
    distinct: bool,
    filter: Expr | None,
    order_by: SortLike | Sequence[SortLike] | None,
    null_treatment: bool | None,
) -> Expr:
    # Expr and ExprFuncBuilder share the modifier methods, so the chain starts on the call itself.
    call: Any = _internal.call_builtin(name, _args(name, args))
    built = call
    if distinct:
        built = built.distinct()
    if filter is not None:
        built = built.filter(to_expr(filter)._inner)
    if order_by is not None:
        built = built.order_by([to_sort(k)._inner for k in _flatten([order_by])])
    if null_treatment is not None:
        built = built.null_treatment(null_treatment)
    return Expr(call if built is call else built.build())


def _window(
    name: str,
    args: Sequence[Any],
    extra: Sequence[tuple[Any, Any]],
    partition_by: ExprLike | Sequence[ExprLike] | None,
    order_by: SortLike | Sequence[SortLike] | None,
    window_frame: WindowFrame | None,
    null_treatment: bool | None,
) -> Expr:
    # Optional trailing arguments given by keyword (lag/lead: shift_offset, default_value), as
    # (value, stand-in) pairs: an omitted one takes its stand-in when a later one is given.
    given = [value for value, _ in extra]
    while given and given[-1] is None:
        given.pop()
    filled = [
        standin if value is None else value
        for value, (_, standin) in zip(given, extra, strict=False)
    ]
    expr = Expr(_internal.call_builtin(name, _args(name, [*args, *filled])))
    if (
        partition_by is None
        and order_by is None
        and window_frame is None
        and null_treatment is None
    ):
        return expr
    partitions = [col(p) if isinstance(p, str) else p for p in _flatten([partition_by])]
    return expr.over(Window(partitions, window_frame, order_by, null_treatment))


def case(expr: Expr) -> CaseBuilder:
    """``CASE expr WHEN value THEN result ... END``: compare ``expr`` with each ``when`` value."""
    return CaseBuilder(_internal.CaseBuilder(to_expr(expr)._inner))


def when(condition: Expr, value: Any) -> CaseBuilder:
    """``CASE WHEN condition THEN value ... END``: chain ``.when(...)``, finish with ``.otherwise(...)``
    or ``.end()``."""
    return CaseBuilder(_internal.CaseBuilder()).when(condition, value)


def alias(expr: Expr, name: str) -> Expr:
    return to_expr(expr).alias(name)


def in_list(expr: Expr, values: Iterable[Any], negated: bool = False) -> Expr:
    return to_expr(expr).in_list(values, negated)


def count_star() -> Expr:
    """``count(*)``: the number of rows."""
    return _scalar("count", ())


def order_by(expr: Expr, ascending: bool = True, nulls_first: bool = False) -> SortExpr:
    return to_expr(expr).sort(ascending, nulls_first)
