"""The expression half of the query generator: scalars, predicates (subqueries included),
aggregates and window functions over the FROM items in scope. :class:`queries.QueryGen` adds
the FROM items and the queries; each keeps to SQL that DataFusion 55 and DuckDB read alike."""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .tables import DATE, DEC, FLT, INT, POOL, STR, gen_value
from .tree import E, From, Select


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def literal(value: Any, kind: str) -> str:
    if value is None:
        return "NULL"
    if kind == INT:
        return str(value)
    if kind == STR:
        return quote(value)
    if kind == DEC:
        return f"CAST('{value}' AS DECIMAL(9,2))"
    return f"DATE '{value.isoformat()}'"


def one_column(item: E, inner: From, where: Iterable[E], alias: str = "v") -> Select:
    """A subquery of one output column over ``inner``."""
    return Select(((item, alias),), inner, where=tuple(where), fixed=True)


class ExpressionGen:
    """Makes expressions from one random stream; a subclass makes the FROM items (:meth:`source`)
    that subqueries read."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.n = 0

    def source(self, depth: int = 0) -> From:
        raise NotImplementedError  # QueryGen.source

    # small pieces ------------------------------------------------------------------------------
    def alias(self) -> str:
        self.n += 1
        return f"q{self.n}"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def key_of(self, columns: Sequence[str]) -> str:
        """A column to join, correlate or group on: ``k`` most of the time, where there is one."""
        return "k" if "k" in columns and self.chance(0.7) else self.rng.choice(columns)

    def value(self, kind: str, like: E | None = None) -> Any:
        """A value of ``kind``, from the domain of column ``like`` when it is one."""
        column = like.sql().partition(".")[2] if like is not None and not like.kids else ""
        if POOL.get(column) != kind:
            column = {INT: "a", STR: "s", DEC: "d", DATE: "dt"}[kind]
        return gen_value(self.rng, column)

    def lit(self, kind: str, value: Any = None, like: E | None = None) -> E:
        return E(literal(self.value(kind, like) if value is None else value, kind), ty=kind)

    def columns_of(self, scope: Sequence[From], kind: str) -> list[E]:
        return [E(f"{f.alias}.{c}", ty=kind) for f in scope for c in f.columns if POOL[c] == kind]

    def kinds_in(self, scope: Sequence[From]) -> list[str]:
        kinds = [POOL[c] for f in scope for c in f.columns]
        return sorted(set(kinds), key=kinds.index)

    # expressions -------------------------------------------------------------------------------
    def scalar(self, kind: str, scope: Sequence[From], depth: int = 0) -> E:
        columns = self.columns_of(scope, kind)
        if depth >= 2 or self.chance(0.55):
            if columns and self.chance(0.92):
                return self.rng.choice(columns)
            return self.lit(kind)
        d = depth + 1

        def s(k: str = kind) -> E:
            return self.scalar(k, scope, d)

        r = self.rng.random()
        if r < 0.12:
            return E("CASE WHEN {} THEN {} ELSE {} END", (self.pred(scope, d), s(), s()), kind)
        if r < 0.24:
            return E("coalesce({}, {})", (s(), s()), kind)
        if kind == INT:
            forms: list[tuple[str, tuple[str, ...]]] = [
                ("({} + {})", (INT, INT)),
                ("({} - {})", (INT, INT)),
                ("({} * {})", (INT, INT)),
                ("abs({})", (INT,)),
                ("({} % 3)", (INT,)),
                ("length({})", (STR,)),
                ("extract(day FROM {})", (DATE,)),
            ]
        elif kind == STR:
            forms = [
                ("upper({})", (STR,)),
                ("lower({})", (STR,)),
                ("({} || {})", (STR, STR)),
                ("concat({}, {})", (STR, STR)),
                ("substr({}, 1, 2)", (STR,)),
            ]
        elif kind == DEC:
            forms = [
                ("({} + {})", (DEC, DEC)),
                ("({} - {})", (DEC, DEC)),
                ("({} * 2)", (DEC,)),
                ("abs({})", (DEC,)),
            ]
        else:
            forms = [("coalesce({}, {})", (DATE, DATE))]
        template, kinds = self.rng.choice(forms)
        return E(template, tuple(s(k) for k in kinds), kind)

    def pred(
        self, scope: Sequence[From], depth: int = 0, subqueries: bool = False, lists: bool = True
    ) -> E:
        """A predicate. IN lists only where ``lists``: not under AND, OR or NOT, where DataFusion
        55 merges lists without regard to NULL (`x NOT IN (2) OR x NOT IN (4, 5)` becomes TRUE,
        and keeps NULL rows; fixed upstream by apache/datafusion#24258)."""
        r = self.rng.random()
        if subqueries and r < 0.45:
            return self.sub_pred(scope, depth)
        if depth < 2 and r < 0.25:
            d = depth + 1
            form = self.rng.choice(("({} AND {})", "({} OR {})", "({} OR {})", "(NOT {})"))
            kids = tuple(self.pred(scope, d, lists=False) for _ in range(form.count("{}")))
            return E(form, kids)
        kind = self.rng.choice(self.kinds_in(scope) or [INT])
        columns = self.columns_of(scope, kind)
        # mostly a column against a literal or another expression: a predicate over literals
        # alone, or a column against itself, keeps all rows or none
        pick = columns and self.chance(0.7)
        x = self.rng.choice(columns) if pick else self.scalar(kind, scope, depth + 1)
        r = self.rng.random()
        if r < 0.45:
            op = self.rng.choices(("=", "<>", "<", "<=", ">", ">="), (0.6, 2, 1.5, 1.5, 1.5, 1.5))[
                0
            ]
            y = self.lit(kind, like=x) if self.chance(0.5) else self.scalar(kind, scope, depth + 1)
            if y.sql() == x.sql():
                y = self.lit(kind, like=x)
            return E(f"({{}} {op} {{}})", (x, y))
        if r < 0.55:
            return E(f"({{}} IS {self.rng.choice(('', 'NOT ', 'NOT '))}NULL)", (x,))
        if r < 0.62:
            how = self.rng.choice(("", "NOT "))
            y = self.scalar(kind, scope, depth + 1)
            return E(f"({{}} IS {how}DISTINCT FROM {{}})", (x, y))
        if r < 0.72:
            bounds = [self.value(kind, x), self.value(kind, x)]
            if self.chance(0.85):
                bounds.sort()
            low, high = (self.lit(kind, v) for v in bounds)
            return E("({} BETWEEN {} AND {})", (x, low, high))
        if not lists and (r < 0.85 or kind != STR):
            return E("({} <> {})", (x, self.lit(kind, like=x)))
        if r < 0.85 or kind != STR:
            # no NULL in the list: DataFusion 55 folds `x IN (1, 3) AND x NOT IN (9, NULL)` into
            # `x IN (1, 3)`, as if the NULL were not there (NOT IN a list with a NULL is never true)
            items = [self.lit(kind, like=x) for _ in range(self.rng.randint(1, 4))]
            inside = ", ".join("{}" for _ in items)
            how = self.rng.choice(("", "NOT "))
            return E(f"({{}} {how}IN ({inside}))", (x, *items))
        pattern = self.rng.choice(("a%", "%b", "_", "%", "x%y", "%B%"))
        return E(f"({{}} {self.rng.choice(('', 'NOT '))}LIKE {quote(pattern)})", (x,))

    def agg(self, kind: str, scope: Sequence[From], filtered: bool = True, bare: bool = False) -> E:
        """An aggregate of ``kind``. With ``bare``, min and max read a column, never an
        expression: DataFusion 55 builds an ungrouped aggregate's dynamic filter from the min / max
        of columns alone and lets it prune rows that a min / max of an expression still needs
        (`SELECT max(x), min(x + 0)` over two Parquet files; apache/datafusion#24816)."""

        def arg(k: str, minmax: bool = False) -> E:
            columns = self.columns_of(scope, k) if bare and minmax else []
            return self.rng.choice(columns) if columns else self.scalar(k, scope, 1)

        def minmax(names: Sequence[str], k: str) -> E:
            name = self.rng.choice(names)
            if bare and not self.columns_of(scope, k) and "sum" in names:
                name = "sum"
            return E(f"{name}({{}})", (arg(k, name != "sum"),), k)

        if kind == INT:
            r = self.rng.random()
            if r < 0.25:
                e = E("count(*)", ty=INT)
            elif r < 0.4:
                e = E("count({})", (arg(self.rng.choice(self.kinds_in(scope) or [INT])),), INT)
            elif r < 0.5:  # never filtered
                return E(
                    "count(DISTINCT {})",
                    (arg(self.rng.choice(self.kinds_in(scope) or [INT])),),
                    INT,
                )
            else:
                e = minmax(("sum", "min", "max"), INT)
        elif kind == DEC:
            e = minmax(("sum", "min", "max"), DEC)
        elif kind == FLT:
            e = E("avg({})", (arg(self.rng.choice((INT, DEC))),), FLT)
        else:
            e = minmax(("min", "max"), kind)
        if filtered and self.chance(0.12):
            return E(e.template + " FILTER (WHERE {})", (*e.kids, self.pred(scope, 1)), e.ty)
        return e

    def window_expr(self, src: From, floats: bool, positional_ok: bool = True) -> tuple[E, bool]:
        """A window function whose answer does not depend on how ties are broken: row-by-row
        functions sort by every column of the source, rank-like ones may sort by one."""

        def term(c: str) -> str:
            way = self.rng.choice(("ASC", "DESC"))
            return f"{src.alias}.{c} {way} NULLS {self.rng.choice(('FIRST', 'LAST'))}"

        columns = list(src.columns)
        self.rng.shuffle(columns)
        total = "ORDER BY " + ", ".join(term(c) for c in columns)
        partial = "ORDER BY " + term(self.rng.choice(src.columns))
        kinds = self.kinds_in([src])
        kids: list[E] = []
        r = self.rng.random()

        def by_position(r: float) -> bool:
            return r < 0.12 or 0.24 <= r < 0.3 or 0.62 <= r < 0.9 or (r >= 0.9 and not floats)

        while not positional_ok and by_position(r):
            r = self.rng.random()
        if r < 0.12:
            func, order, ty = "row_number()", total, INT
        elif r < 0.24:
            func, order, ty = self.rng.choice(("rank()", "dense_rank()")), partial, INT
        elif r < 0.3:
            func, order, ty = "ntile(2)", total, INT
        elif r < 0.45:
            ty = DEC if DEC in kinds and self.chance(0.4) else INT
            func, order = "sum({})", self.rng.choice(("", partial))
            kids.append(self.scalar(ty, [src], 1))
        elif r < 0.52:
            func, order, ty = "count(*)", self.rng.choice(("", partial)), INT
        elif r < 0.62:
            ty = self.rng.choice(kinds)
            func, order = f"{self.rng.choice(('min', 'max'))}({{}})", self.rng.choice(("", partial))
            kids.append(self.scalar(ty, [src], 1))
        elif r < 0.82:
            ty = self.rng.choice(kinds)
            func = self.rng.choice(("lag({})", "lead({}, 2)", "first_value({})", "lag({}, 1)"))
            order = total
            kids.append(self.scalar(ty, [src], 1))
        elif r < 0.9 or not floats:
            ty = INT
            func = "sum({})"
            order = total + " ROWS BETWEEN 1 PRECEDING AND CURRENT ROW"
            kids.append(self.scalar(INT, [src], 1))
        else:
            func, order, ty = self.rng.choice(("percent_rank()", "cume_dist()")), partial, FLT
        partition = ""
        if self.chance(0.6):
            partition = "PARTITION BY {} "
            kids.append(self.scalar(self.rng.choice(kinds), [src], 1))
        return E(f"{func} OVER ({partition}{order})", tuple(kids), ty), order.startswith(total)

    # subqueries --------------------------------------------------------------------------------
    def sub_pred(self, scope: Sequence[From], depth: int) -> E:
        """EXISTS, NOT EXISTS, IN, NOT IN or a comparison with a scalar subquery, correlated with
        ``scope`` on a shared column most of the time."""
        inner = self.source(depth + 1)
        kind = self.rng.choice(("EXISTS", "NOT EXISTS", "IN", "NOT IN", "scalar", "scalar"))
        # DataFusion 55 plans a correlated NOT IN only on one column, and a correlated scalar
        # subquery only on equalities: keep to those most of the time
        correlated = 0.1 if kind == "NOT IN" else 0.7
        where = list(self.correlation(inner, scope, correlated, kind != "scalar"))
        if self.chance(0.4):
            where.append(self.pred([inner], 1))
        if kind in ("EXISTS", "NOT EXISTS"):
            return E(kind + " ({})", (one_column(E("1", ty=INT), inner, where, "one"),))
        if kind in ("IN", "NOT IN"):
            shared = [k for k in self.kinds_in([inner]) if k in self.kinds_in(scope)] or [INT]
            ty = self.rng.choice(shared)
            sub = one_column(self.scalar(ty, [inner], 1), inner, where)
            # a column on the left: DataFusion 55 answers `3 NOT IN (SELECT ...)` as if the
            # subquery had no NULL (apache/datafusion#25340, fixed upstream by #25348)
            left = self.columns_of(scope, ty) or [self.scalar(ty, scope, 1)]
            return E(f"({{}} {kind} ({{}}))", (self.rng.choice(left), sub))
        ty = self.rng.choice((INT, INT, DEC, STR, DATE))
        sub = one_column(self.agg(ty, [inner], False), inner, where)
        op = self.rng.choice(("=", "<>", "<", ">=", ">"))
        return E(f"({{}} {op} ({{}}))", (self.scalar(ty, scope, 1), sub))

    def correlation(
        self, inner: From, scope: Sequence[From], p: float = 0.7, unequal: bool = False
    ) -> Iterator[E]:
        if not scope or not self.chance(p):
            return
        outer = self.rng.choice(scope)
        shared = [c for c in inner.columns if c in outer.columns]
        if not shared:
            return
        c = self.key_of(shared)
        yield E(f"{inner.alias}.{c} = {outer.alias}.{c}")
        if unequal and self.chance(0.2):
            c = self.rng.choice(shared)
            yield E(f"{inner.alias}.{c} {self.rng.choice(('<', '>', '<>'))} {outer.alias}.{c}")

    def scalar_subquery(self, scope: Sequence[From]) -> E:
        inner = self.source(1)
        where = tuple(self.correlation(inner, scope))
        ty = self.rng.choice((INT, INT, DEC, STR))
        return E("({})", (one_column(self.agg(ty, [inner], False), inner, where),), ty)
