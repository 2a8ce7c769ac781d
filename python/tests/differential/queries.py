"""The query half of the generator: FROM items (tables, views, CTEs, VALUES lists, derived
tables), joins, filtered SELECTs, aggregates with ROLLUP / CUBE / GROUPING SETS, windows, set
operations, shared CTEs and views, and the mix :meth:`QueryGen.query` draws from."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from .expressions import ExpressionGen, literal
from .tables import DATE, DEC, FLT, INT, POOL, STR, gen_columns, gen_rows, gen_value
from .tree import E, From, Join, Order, Query, Select, SetOp


@dataclass(frozen=True)
class Source:
    """A table, view or CTE the generator may read, by name."""

    name: str
    columns: tuple[str, ...]


def filterable(scope: Sequence[From], joins: Sequence[Join]) -> list[From]:
    """The FROM items a WHERE clause may read: not the null-supplying side of a RIGHT JOIN, nor
    the right side of a FULL JOIN (which a filter on it turns into a RIGHT JOIN). A filter on
    that side stays above the join, and DataFusion 55's physical filter pushdown maps it by name
    onto the other side's column of the same name (`e RIGHT JOIN r ON e.k = r.k WHERE e.s IS
    NULL AND r.k > 0` loses rows; apache/datafusion#21246, fixed upstream by #25259). A LEFT
    JOIN keeps its sides in place and is filtered freely."""
    allowed = list(scope)
    for i, join in enumerate(joins):
        if join.kind == "RIGHT JOIN":
            allowed = [f for f in allowed if any(f is g for g in scope[i + 1 :])]
        elif join.kind == "FULL JOIN":
            allowed = [f for f in allowed if f is not join.source]
    return allowed


def outer_joins(q: Query) -> bool:
    """Whether ``q`` outer-joins at its top. It is not sorted: DataFusion 55 drops a sort on a
    column that a filter below a join makes constant, though the join's NULLs break it (`SELECT
    b.x FROM t a LEFT JOIN (SELECT x FROM t WHERE x = 1) b ON a.x = b.x ORDER BY 1 NULLS FIRST`
    answers 1, NULL)."""
    selects = q.branches if isinstance(q, SetOp) else (q,)
    return any(j.kind != "JOIN" for s in selects for j in s.joins)


def union_of_constants(q: Query) -> bool:
    """Whether ``q`` is a set operation with an output column that reads no column. It is not
    sorted: DataFusion 55 drops a sort key that each branch holds constant, though the branches
    hold different constants (`SELECT 13 AS c, s FROM t UNION ALL SELECT 8, s FROM u ORDER BY 1
    LIMIT 1` may answer 13; fixed upstream by apache/datafusion#23528)."""
    if not isinstance(q, SetOp):
        return False
    return any(
        not re.search(r"\bq\d+\.", e.sql()) for branch in q.branches for e, _ in branch.items
    )


def _named(exprs: Sequence[E]) -> tuple[tuple[E, str], ...]:
    """Output items ``c0``, ``c1``, ... (a top-level query's columns)."""
    return tuple((e, f"c{i}") for i, e in enumerate(exprs))


class QueryGen(ExpressionGen):
    """Makes queries over ``sources`` (tables and views) from one random stream."""

    def __init__(self, rng: random.Random, sources: Sequence[Source]) -> None:
        super().__init__(rng)
        self.sources = list(sources)
        self.ctes: list[Source] = []
        self.prefer: str | None = None

    # sources -----------------------------------------------------------------------------------
    def values(self, columns: Sequence[str] | None = None) -> From:
        columns = tuple(columns or gen_columns(self.rng))
        rows = gen_rows(self.rng, columns, self.rng.randint(1, 6))
        rows[0] = tuple(gen_value(self.rng, c) for c in columns)  # types come from a full row
        text = ", ".join(
            "(" + ", ".join(literal(v, POOL[c]) for v, c in zip(r, columns, strict=True)) + ")"
            for r in rows
        )
        return From(self.alias(), columns, values=f"VALUES {text}")

    def named(self, source: Source) -> From:
        return From(self.alias(), source.columns, table=source.name)

    def source(self, depth: int = 0) -> From:
        if self.prefer is not None and self.chance(0.6):
            chosen = next(s for s in [*self.ctes, *self.sources] if s.name == self.prefer)
            return self.named(chosen)
        r = self.rng.random()
        if self.ctes and r < 0.1:
            return self.named(self.rng.choice(self.ctes))
        if r < 0.25:
            return self.values()
        if r < 0.4 and depth < 2:
            sub = self.derived(depth + 1)
            return From(self.alias(), tuple(sub.aliases()), sub=sub)
        return self.named(self.rng.choice(self.sources))

    def twin(self, f: From) -> From:
        """A FROM item of the same shape (same alias and columns) over other data, or the same."""
        if f.values is not None:
            return replace(self.values(f.columns), alias=f.alias)
        if f.sub is not None:
            return replace(f, sub=self.retarget(f.sub))
        shapes = [s for s in [*self.sources, *self.ctes] if set(f.columns) <= set(s.columns)]
        if self.chance(0.25):
            return replace(self.values(f.columns), alias=f.alias)
        return replace(f, table=self.rng.choice(shapes).name)

    def retarget(self, q: Query) -> Query:
        """``q`` again, reading a twin of its first source: same text over different data."""
        if isinstance(q, SetOp):
            return replace(q, branches=(self.retarget(q.branches[0]), *q.branches[1:]))  # type: ignore[arg-type]
        return replace(q, source=self.twin(q.source))

    def join(self, scope: list[From], depth: int = 0) -> Join:
        right = self.source(depth)
        left = self.rng.choice(scope)
        kind = self.rng.choice(("JOIN", "JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"))
        shared = [c for c in right.columns if c in left.columns]
        on: list[E] = []
        if shared:
            c = self.key_of(shared)
            on.append(E(f"{left.alias}.{c} = {right.alias}.{c}"))
        if not on or self.chance(0.3):
            on.append(self.pred([left, right], 1))
        scope.append(right)
        return Join(kind, right, tuple(on))

    # queries -----------------------------------------------------------------------------------
    def derived(self, depth: int) -> Query:
        """A table-like query whose columns are named from the pool: a view, CTE or derived
        table. It projects and filters, aggregates by one column, or unions two of those."""
        r = self.rng.random()
        if r < 0.15 and depth < 3:
            first = self.derived_select(depth)
            second = self.retarget(first) if self.chance(0.6) else None
            if second is None or not isinstance(second, Select):
                second = first
            op = self.rng.choice(("UNION ALL", "UNION ALL", "UNION"))
            return SetOp((first, second), (op,), fixed=True)
        return self.derived_select(depth)

    def derived_select(self, depth: int) -> Select:
        src = self.source(depth)
        scope = [src]
        where = (self.pred(scope, 1),) if self.chance(0.35) else ()
        if self.chance(0.5):
            key = self.key_of(src.columns)
            key_e = E(f"{src.alias}.{key}", ty=POOL[key])
            items: list[tuple[E, str]] = [(key_e, key)]
            for c in src.columns:
                if c != key and self.chance(0.7):
                    items.append((self.agg(POOL[c], scope), c))
            having = (E("count(*) > 1"),) if self.chance(0.15) else ()
            return Select(tuple(items), src, where=where, keys=(key_e,), having=having, fixed=True)
        kept = [c for c in src.columns if self.chance(0.75)] or [src.columns[0]]
        items = []
        for c in kept:
            e = (
                self.scalar(POOL[c], scope, 1)
                if self.chance(0.3)
                else E(f"{src.alias}.{c}", ty=POOL[c])
            )
            items.append((e, c))
        q = Select(tuple(items), src, where=where, distinct=self.chance(0.15), fixed=True)
        if self.chance(0.1):
            q = replace(q, **self.total_order(q.aliases()), limit=self.rng.randint(0, 6))
        return q

    def total_order(self, aliases: Sequence[str]) -> dict[str, Any]:
        aliases = list(aliases)
        self.rng.shuffle(aliases)
        return {"order": tuple(Order(a, self.chance(0.5), self.chance(0.5)) for a in aliases)}

    def items_for(self, scope: Sequence[From], n: int) -> list[E]:
        kinds = self.kinds_in(scope) or [INT]
        return [self.scalar(self.rng.choice(kinds), scope) for _ in range(n)]

    def plain(
        self, shape: Sequence[str] | None = None, joins: int = 0, subqueries: bool = False
    ) -> Select:
        src = self.source()
        scope = [src]
        joined = tuple(self.join(scope) for _ in range(joins))
        exprs = (
            [self.scalar(k, scope) for k in shape]
            if shape
            else self.items_for(scope, self.rng.randint(1, 4))
        )
        if subqueries and shape is None and self.chance(0.3):
            exprs.append(self.scalar_subquery(scope))
        n_where = self.rng.choice((1, 1, 2)) if subqueries else self.rng.choice((0, 0, 1, 1, 2))
        where = self.where(filterable(scope, joined), n_where, subqueries)
        return Select(_named(exprs), src, joined, where, distinct=self.chance(0.12))

    def where(self, scope: Sequence[From], n: int, subqueries: bool = False) -> tuple[E, ...]:
        return tuple(self.pred(scope, 0, subqueries) for _ in range(n)) if scope else ()

    def aggregate(
        self,
        shape: Sequence[str] | None = None,
        floats: bool = True,
        subqueries: bool = False,
    ) -> Select:
        # ROLLUP, CUBE and GROUPING SETS only over plain columns of a table that no filter makes
        # constant: DataFusion 55 emits a group early when a key it takes for a constant is
        # NULLed by a grouping set (`WHERE x = 1 GROUP BY ROLLUP (x, y)` answers two grand
        # totals; apache/datafusion#11291 fixed literal keys only).
        tables = [t for t in self.sources if t.name.startswith("t")]
        rolled = self.chance(0.25)
        src = self.named(self.rng.choice(tables)) if rolled else self.source()
        scope = [src]
        joined = (self.join(scope),) if self.chance(0.3) and not rolled else ()
        kinds = self.kinds_in(scope) or [INT]
        if shape is None:
            n_keys = self.rng.randint(0, 2)
            agg_kinds = [INT, DEC, STR, DATE] + ([FLT] if floats else [])
            shape = [self.rng.choice(kinds) for _ in range(n_keys)]
            shape += [self.rng.choice(agg_kinds) for _ in range(self.rng.randint(1, 3))]
            is_key = [True] * n_keys + [False] * (len(shape) - n_keys)
        else:
            is_key = [k != FLT and self.chance(0.4) for k in shape]
        keys: list[E] = []
        slots: list[E | str] = []  # a key, or the kind of an aggregate made below
        for kind, key in zip(shape, is_key, strict=True):
            if key:
                used = {k.sql() for k in keys}
                columns = [c for c in self.columns_of(scope, kind) if c.sql() not in used]
                if rolled and not columns:
                    slots.append(kind)
                    continue
                e = (
                    self.rng.choice(columns)
                    if columns and (rolled or self.chance(0.8))
                    else self.scalar(kind, scope, 1)
                )
                if e.sql() in used or e.sql().lstrip("-").isdigit():
                    # the same key twice would only differ by engine; GROUP BY 2 is a position
                    slots.append(kind)
                    continue
                keys.append(e)
            slots.append(e if key else kind)
        if not keys and not rolled:
            # an ungrouped min / max must read a column (see agg): where no column has the
            # kind, group by a literal of it instead
            for i, slot in enumerate(slots):
                if slot in (STR, DATE) and not self.columns_of(scope, slot):
                    slots[i] = self.lit(slot)
                    keys.append(slots[i])
        bare = not keys
        exprs = [s if isinstance(s, E) else self.agg(s, scope, bare=bare) for s in slots]
        grouping, sets = "plain", ()
        if keys and rolled:
            grouping = self.rng.choice(("rollup", "cube", "sets"))
            if grouping == "sets":
                n = len(keys)
                everything = tuple(range(n))  # every key is grouped by in some set
                candidates = [(), *((i,) for i in range(n))]
                others = [
                    c for c in sorted(set(candidates), key=candidates.index) if c != everything
                ]
                sets = (everything, *self.rng.sample(others, self.rng.randint(0, len(others))))
                sets = tuple(self.rng.sample(sets, len(sets)))
        having = ()
        if self.chance(0.3):
            agg = self.agg(INT, scope, False)
            op = self.rng.choice((">", ">=", ">=", "<", "<>"))
            having = (E(f"{{}} {op} {{}}", (agg, E(str(self.rng.randint(0, 2)), ty=INT))),)
        n_where = self.rng.choice((1, 1, 2)) if subqueries else self.rng.choice((0, 0, 1, 2))
        readable = filterable(scope, joined)
        if grouping != "plain":  # filters read no key column
            named = {k.sql().split(".")[1] for k in keys}
            readable = [replace(src, columns=tuple(c for c in src.columns if c not in named))]
            readable = [f for f in readable if f.columns]
        where = self.where(readable, n_where, subqueries)
        return Select(_named(exprs), src, joined, where, tuple(keys), grouping, tuple(sets), having)

    def with_grouping_column(self, q: Select) -> Select:
        if q.grouping == "plain" or not q.keys:
            return q
        key = self.rng.choice(q.keys)
        e = E("grouping({})", (key,), INT)
        return replace(q, items=(*q.items, (e, f"c{len(q.items)}")))

    def window(self, floats: bool) -> Select:
        src = self.source()
        scope = [src]
        exprs = self.items_for(scope, self.rng.randint(0, 2))
        # Functions of a row's position (row_number, lag, a ROWS frame) tell duplicate rows
        # apart in an order no engine fixes: two of them in one SELECT may pair differently.
        positional = False
        for _ in range(self.rng.randint(1, 2)):
            e, by_position = self.window_expr(src, floats, positional_ok=not positional)
            exprs.append(e)
            positional |= by_position
        where = tuple(self.pred(scope, 0) for _ in range(self.rng.randint(0, 1)))
        return Select(_named(exprs), src, where=where)

    def set_op(self, floats: bool) -> SetOp:
        kinds = [INT, INT, STR, DEC, DATE]
        shape = [self.rng.choice(kinds) for _ in range(self.rng.randint(1, 3))]
        if floats and self.chance(0.2):
            shape.append(FLT)
        width = self.rng.randint(2, 3)

        def branch() -> Select:
            if FLT in shape or self.chance(0.5):
                return self.aggregate(shape, floats=floats)
            return self.plain(shape, joins=int(self.chance(0.2)))

        first = branch()
        branches = [first]
        for _ in range(width - 1):
            other = self.retarget(first) if self.chance(0.5) else branch()
            branches.append(other)  # type: ignore[arg-type]
        if FLT not in shape:
            for i, b in enumerate(branches):
                if self.chance(0.1):
                    tail = self.total_order(b.aliases())
                    branches[i] = replace(b, **tail, limit=self.rng.randint(0, 5))
        ops = (
            "UNION ALL",
            "UNION ALL",
            "UNION ALL",
            "UNION",
            "EXCEPT",
            "INTERSECT",
            "EXCEPT ALL",
            "INTERSECT ALL",
        )
        ops_used = tuple(self.rng.choice(ops) for _ in range(width - 1))
        # a branch keeps its columns: the set operation drops one from every branch at once
        return SetOp(tuple(replace(b, fixed=True) for b in branches), ops_used)

    def shared(self, floats: bool) -> Query:
        """A CTE or a view read twice or more: a self join, union branches or a subquery."""
        views = [s for s in self.sources if s.name.startswith("v")]
        cte = None
        if views and self.chance(0.3):
            self.prefer = self.rng.choice(views).name
        else:
            body = self.derived(1)
            name = f"w{self.n}"
            self.ctes.append(Source(name, tuple(body.aliases())))
            cte = (name, body)
            self.prefer = name
        form = self.rng.choice(("join", "set", "sub", "agg"))
        if form == "join":
            q: Query = self.plain(joins=1)
        elif form == "set":
            q = self.set_op(floats)
        elif form == "sub":
            q = self.plain(subqueries=True)
        else:
            q = self.aggregate(floats=floats, subqueries=True)
        self.prefer = None
        self.ctes = []
        return replace(q, ctes=(cte,)) if cte else q

    def query(self) -> Query:
        ordered = self.chance(0.3)
        floats = not ordered
        kind = self.rng.choices(
            ("filter", "join", "aggregate", "set", "window", "subquery", "shared"),
            (1, 2, 2, 2, 1.2, 2, 1.5),
        )[0]
        if kind == "filter":
            q: Query = self.plain()
        elif kind == "join":
            q = self.plain(joins=self.rng.randint(1, 2))
        elif kind == "aggregate":
            q = self.aggregate(floats=floats)
            if self.chance(0.3):
                q = self.with_grouping_column(q)
        elif kind == "set":
            q = self.set_op(floats)
        elif kind == "window":
            q = self.window(floats)
        elif kind == "subquery":
            sub = self.chance(0.7)
            q = (
                self.plain(subqueries=True)
                if sub
                else self.aggregate(floats=floats, subqueries=True)
            )
        else:
            q = self.shared(floats)
        if ordered and not outer_joins(q) and not union_of_constants(q):
            if self.chance(0.6):
                q = replace(q, **self.total_order(q.aliases()), limit=self.rng.randint(1, 8))
                if self.chance(0.2):
                    q = replace(q, offset=self.rng.randint(1, 3))
            else:
                picked = self.rng.sample(q.aliases(), min(len(q.aliases()), self.rng.randint(1, 2)))
                order = tuple(Order(a, self.chance(0.5), self.chance(0.5)) for a in picked)
                q = replace(q, order=order)
        return q
