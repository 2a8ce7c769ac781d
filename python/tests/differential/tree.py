"""The query tree: expressions, FROM items, SELECTs and set operations, each rendered as SQL and
each listing its one-step *reductions* (a clause, branch, join or column dropped, an expression
replaced by a smaller one), which the minimiser tries in order."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from .tables import BOOL


@dataclass(frozen=True, eq=False)
class E:
    """An expression: ``template`` with one ``{}`` per kid, a kid being an expression or a
    subquery. Minimising replaces an expression by a kid of its type, or a kid by a smaller one."""

    template: str
    kids: tuple[Any, ...] = ()
    ty: str = BOOL

    def sql(self) -> str:
        return self.template.format(*(k.sql() for k in self.kids))

    def reductions(self) -> Iterator[E]:
        for kid in self.kids:
            if isinstance(kid, E) and kid.ty == self.ty:
                yield kid
        for i, kid in enumerate(self.kids):
            for smaller in kid.reductions():
                yield replace(self, kids=_with(self.kids, i, smaller))


@dataclass(frozen=True, eq=False)
class From:
    """A FROM item: a table, view or CTE by name, a VALUES list or a derived table."""

    alias: str
    columns: tuple[str, ...]
    table: str | None = None
    values: str | None = None
    sub: Query | None = None

    def sql(self) -> str:
        if self.table is not None:
            return f"{self.table} AS {self.alias}"
        if self.values is not None:
            return f"({self.values}) AS {self.alias}({', '.join(self.columns)})"
        assert self.sub is not None
        return f"({self.sub.sql()}) AS {self.alias}"

    def reductions(self) -> Iterator[From]:
        if self.sub is not None:
            for smaller in self.sub.reductions():
                yield replace(self, sub=smaller)


@dataclass(frozen=True, eq=False)
class Join:
    kind: str
    source: From
    on: tuple[E, ...]

    def sql(self) -> str:
        on = " AND ".join(e.sql() for e in self.on) or "TRUE"
        return f"{self.kind} {self.source.sql()} ON {on}"


@dataclass(frozen=True)
class Order:
    """A sort key, by output column alias; rendered by position, which no input column shadows."""

    alias: str
    desc: bool
    nulls_first: bool

    def sql(self, aliases: Sequence[str]) -> str:
        way = "DESC" if self.desc else "ASC"
        return (
            f"{aliases.index(self.alias) + 1} {way} NULLS {'FIRST' if self.nulls_first else 'LAST'}"
        )


@dataclass(frozen=True, eq=False)
class Select:
    items: tuple[tuple[E, str], ...]
    source: From
    joins: tuple[Join, ...] = ()
    where: tuple[E, ...] = ()
    keys: tuple[E, ...] = ()
    grouping: str = "plain"  # or "rollup", "cube", "sets"
    sets: tuple[tuple[int, ...], ...] = ()
    having: tuple[E, ...] = ()
    distinct: bool = False
    order: tuple[Order, ...] = ()
    limit: int | None = None
    offset: int | None = None
    ctes: tuple[tuple[str, Query], ...] = ()
    #: Its output columns are read by name (a derived table, a CTE, a subquery): keep them all.
    fixed: bool = False

    def aliases(self) -> list[str]:
        return [alias for _, alias in self.items]

    def sql(self) -> str:
        out = _with_sql(self.ctes) + "SELECT " + ("DISTINCT " if self.distinct else "")
        out += ", ".join(f"{e.sql()} AS {alias}" for e, alias in self.items)
        out += " FROM " + self.source.sql()
        for join in self.joins:
            out += " " + join.sql()
        if self.where:
            out += " WHERE " + " AND ".join(e.sql() for e in self.where)
        if self.keys:
            keys = [k.sql() for k in self.keys]
            if self.grouping == "plain":
                out += " GROUP BY " + ", ".join(keys)
            elif self.grouping == "sets":
                sets = ", ".join("(" + ", ".join(keys[i] for i in s) + ")" for s in self.sets)
                out += f" GROUP BY GROUPING SETS ({sets})"
            else:
                out += f" GROUP BY {self.grouping.upper()} ({', '.join(keys)})"
        if self.having:
            out += " HAVING " + " AND ".join(e.sql() for e in self.having)
        return out + _tail_sql(self)

    def reductions(self) -> Iterator[Query]:
        s = self
        for name in ("ctes", "joins", "where", "having"):
            yield from _drops(s, name)
        yield from _tail_reductions(s)
        if s.distinct:
            yield replace(s, distinct=False)
        if s.grouping != "plain":
            yield replace(s, grouping="plain", sets=())
        for i, join in enumerate(s.joins):
            if join.kind != "JOIN":
                yield replace(s, joins=_with(s.joins, i, replace(join, kind="JOIN")))
            for j in range(len(join.on)):
                smaller = replace(join, on=_without(join.on, j))
                yield replace(s, joins=_with(s.joins, i, smaller))
        if not s.fixed:
            if s.grouping == "plain":
                for key in s.keys:
                    items = tuple(it for it in s.items if it[0] is not key)
                    if items:
                        yield s._drop_items(items, keys=tuple(k for k in s.keys if k is not key))
            if len(s.items) > 1:
                for i in range(len(s.items)):
                    yield s._drop_items(_without(s.items, i), keys=s.keys)
        keys = set(map(id, s.keys))
        for i, (e, alias) in enumerate(s.items):
            if id(e) not in keys:
                for smaller in e.reductions():
                    yield replace(s, items=_with(s.items, i, (smaller, alias)))
        for name in ("where", "having"):
            exprs = getattr(s, name)
            for i, e in enumerate(exprs):
                for smaller in e.reductions():
                    yield replace(s, **{name: _with(exprs, i, smaller)})
        for i, join in enumerate(s.joins):
            for j, e in enumerate(join.on):
                for smaller in e.reductions():
                    on = _with(join.on, j, smaller)
                    yield replace(s, joins=_with(s.joins, i, replace(join, on=on)))
            for smaller_source in join.source.reductions():
                yield replace(s, joins=_with(s.joins, i, replace(join, source=smaller_source)))
        for smaller_source in s.source.reductions():
            yield replace(s, source=smaller_source)
        yield from _cte_reductions(s)

    def _drop_items(self, items: tuple[tuple[E, str], ...], keys: tuple[E, ...]) -> Select:
        return _narrowed(self, {alias for _, alias in items}, items=items, keys=keys)


@dataclass(frozen=True, eq=False)
class SetOp:
    """Branches combined left to right by ``ops`` (UNION [ALL], EXCEPT, INTERSECT), parenthesised
    where operators differ, so precedence never matters."""

    branches: tuple[Select, ...]
    ops: tuple[str, ...]
    order: tuple[Order, ...] = ()
    limit: int | None = None
    offset: int | None = None
    ctes: tuple[tuple[str, Query], ...] = ()
    fixed: bool = False

    def aliases(self) -> list[str]:
        return self.branches[0].aliases()

    def sql(self) -> str:
        def branch(b: Select) -> str:
            return f"({b.sql()})" if _has_tail(b) else b.sql()

        body = branch(self.branches[0])
        for i, (op, b) in enumerate(zip(self.ops, self.branches[1:], strict=True)):
            if i and op != self.ops[i - 1]:
                body = f"({body})"
            body = f"{body} {op} {branch(b)}"
        return _with_sql(self.ctes) + body + _tail_sql(self)

    def reductions(self) -> Iterator[Query]:
        s = self
        for i in range(len(s.branches)):
            rest = _without(s.branches, i)
            if len(rest) == 1:
                only = rest[0]
                ctes = (*s.ctes, *only.ctes)
                if _has_tail(only):
                    yield replace(only, ctes=ctes, fixed=s.fixed)
                else:
                    tail = {"order": s.order, "limit": s.limit, "offset": s.offset}
                    yield replace(only, ctes=ctes, fixed=s.fixed, **tail)
            else:
                yield replace(s, branches=rest, ops=_without(s.ops, max(i - 1, 0)))
        yield from _tail_reductions(s)
        yield from _drops(s, "ctes")
        for i, op in enumerate(s.ops):
            if op != "UNION ALL":
                yield replace(s, ops=_with(s.ops, i, "UNION ALL"))
        width = len(s.branches[0].items)
        if not s.fixed and width > 1:
            for c in range(width):
                branches = tuple(
                    b._drop_items(_without(b.items, c), keys=b.keys) for b in s.branches
                )
                yield _narrowed(s, branches[0].aliases(), branches=branches)
        for i, b in enumerate(s.branches):
            for smaller in b.reductions():
                if isinstance(smaller, Select):
                    yield replace(s, branches=_with(s.branches, i, smaller))
        yield from _cte_reductions(s)


Query = Select | SetOp
Q = TypeVar("Q", Select, SetOp)


def order_keys(q: Query) -> list[int] | None:
    """The output columns a top-level ORDER BY sorts by, or None when order does not count."""
    if not q.order:
        return None
    aliases = q.aliases()
    return [aliases.index(o.alias) for o in q.order]


# --- shared by Select and SetOp -----------------------------------------------------------------


def _without(items: Sequence[Any], i: int) -> tuple[Any, ...]:
    return (*items[:i], *items[i + 1 :])


def _with(items: Sequence[Any], i: int, item: Any) -> tuple[Any, ...]:
    """``items`` with its ``i``-th replaced by ``item``."""
    return (*items[:i], item, *items[i + 1 :])


def _has_tail(q: Query) -> bool:
    return bool(q.order) or q.limit is not None or q.offset is not None


def _tail_sql(q: Query) -> str:
    out = ""
    if q.order:
        out += " ORDER BY " + ", ".join(o.sql(q.aliases()) for o in q.order)
    if q.limit is not None:
        out += f" LIMIT {q.limit}"
    if q.offset is not None:
        out += f" OFFSET {q.offset}"
    return out


def _with_sql(ctes: Sequence[tuple[str, Query]]) -> str:
    if not ctes:
        return ""
    return "WITH " + ", ".join(f"{name} AS ({q.sql()})" for name, q in ctes) + " "


def _drops(q: Q, name: str) -> Iterator[Q]:
    """``q`` without one of its ``name`` (CTEs, joins, filters), each in turn."""
    items = getattr(q, name)
    for i in range(len(items)):
        changes: dict[str, Any] = {name: _without(items, i)}
        yield replace(q, **changes)


def _tail_reductions(q: Q) -> Iterator[Q]:
    if _has_tail(q):
        yield replace(q, order=(), limit=None, offset=None)
    if q.limit is not None or q.offset is not None:
        yield replace(q, limit=None, offset=None)


def _cte_reductions(q: Q) -> Iterator[Q]:
    for i, (name, body) in enumerate(q.ctes):
        for smaller in body.reductions():
            yield replace(q, ctes=_with(q.ctes, i, (name, smaller)))


def _narrowed(q: Q, left: Collection[str], **changes: Any) -> Q:
    """``q`` with ``changes`` that leave only the ``left`` output columns: the sort keys on the
    others go, and so does a LIMIT, as the order over all output columns is no longer total."""
    order = tuple(o for o in q.order if o.alias in left)
    if q.limit is not None:
        changes.update(limit=None, offset=None)
    return replace(q, order=order, **changes)
