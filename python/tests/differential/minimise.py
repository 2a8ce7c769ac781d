"""Making a divergence small and pasteable: the query minimised greedily, the tables it reads
shrunk row by row, and the result printed as a pytest function that calls :func:`assert_answer`."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .case import Case, view_ddl
from .compare import ENGINES, diverges, same_answer
from .engines import Answer, Env, loaded
from .tables import TableSpec
from .tree import Query, order_keys


def minimise(query: Query, diverges: Callable[[Query], bool], budget: int = 400) -> Query:
    """Greedy: take the first smaller query that still diverges, start again from it; stop when
    none does (or after ``budget`` tries)."""
    tries = 0
    progress = True
    while progress and tries < budget:
        progress = False
        for smaller in query.reductions():
            tries += 1
            if diverges(smaller):
                query, progress = smaller, True
                break
            if tries >= budget:
                break
    return query


def _referenced(sql: str, names: Iterable[str]) -> list[str]:
    return [n for n in names if re.search(rf"\b{re.escape(n)}\b", sql)]


@dataclass
class Divergence:
    kind: str
    case: Case
    index: int
    sql: str
    minimal: str
    keys: list[int] | None
    tables: list[TableSpec]
    views: list[str]
    answers: tuple[Answer, Answer, Answer]

    def test_code(self) -> str:
        """A pytest function asserting the right answer (rules off, or DuckDB's where the two
        fuseplug variants agree), to paste into a test file that imports ``TableSpec`` and
        ``assert_answer`` from this package."""
        _, off, duck = self.answers
        right = duck if self.kind == ENGINES or off.error is not None else off
        expected = right.rows if right.rows is not None else []
        views = self.views
        tables = ",\n".join(textwrap.indent(t.code(), "        ") for t in self.tables)
        rows = "".join(f"\n        {r!r}," for r in expected)
        return (
            f"def test_differential_seed_{self.case.seed}_query_{self.index}(tmp_path: Path) -> None:\n"
            f"    # {self.kind}; expected: "
            f"{'DuckDB' if right is duck else 'fuseplug with its rules off'}\n"
            f"    tables = [\n{tables},\n    ]\n"
            f"    views: list[str] = {views!r}\n"
            f"    sql = {self.minimal!r}\n"
            f"    expected = [{rows}\n    ]\n"
            f"    assert_answer(\n        tables, views, sql, expected, tmp_path,\n"
            f"        target_partitions={self.case.target_partitions}, "
            f"batch_size={self.case.batch_size}, order={self.keys!r},\n    )\n"
        )

    def report(self) -> str:
        shipped, off, duck = self.answers
        return (
            f"DIVERGENCE ({self.kind}) seed {self.case.seed} query {self.index} "
            f"(target_partitions={self.case.target_partitions}, "
            f"batch_size={self.case.batch_size})\n"
            f"  original: {self.sql}\n"
            f"  minimised: {self.minimal}\n"
            f"  fuseplug: {shipped.show()}\n"
            f"  fuseplug-rules-off: {off.show()}\n"
            f"  duckdb: {duck.show()}\n"
            f"  reproduce: cd python/tests && python -m differential --seed {self.case.seed} "
            f"--only {self.index}\n" + textwrap.indent(self.test_code(), "  | ")
        )


def shrink_rows(
    case: Case,
    tables: list[TableSpec],
    views: list[str],
    sql: str,
    kind: str,
    keys: list[int] | None,
    budget: int = 120,
) -> list[TableSpec]:
    """Drops rows from the tables ``sql`` reads while the divergence persists (halves first,
    then single rows)."""

    def still(candidate: list[TableSpec]) -> bool:
        with Env(case, candidate, views) as env:
            return diverges(env, sql, keys, kind)

    tries = 0
    for t in range(len(tables)):
        chunk = max(1, len(tables[t].rows) // 2)
        while chunk >= 1 and tries < budget:
            i, changed = 0, False
            while i < len(tables[t].rows) and tries < budget:
                rows = tables[t].rows[:i] + tables[t].rows[i + chunk :]
                candidate = [*tables[:t], replace(tables[t], rows=rows), *tables[t + 1 :]]
                tries += 1
                if still(candidate):
                    tables, changed = candidate, True
                else:
                    i += chunk
            if not changed:
                chunk //= 2
    return tables


def investigate(env: Env, index: int, query: Query, kind: str) -> Divergence:
    """The divergence of ``kind`` that ``query`` (number ``index`` of ``env``'s case) shows,
    minimised: a smaller query, the tables and views it reads, fewer rows."""
    sql = query.sql()
    small = minimise(query, lambda q: diverges(env, q.sql(), order_keys(q), kind))
    minimal = small.sql()
    keys = order_keys(small)
    used = set(_referenced(minimal, [t.name for t in env.tables]))
    views = []
    for name, body, _ in env.case.views:  # a view reads tables of its own
        if _referenced(minimal, [name]):
            views.append(view_ddl(name, body))
            used |= set(_referenced(body, [t.name for t in env.tables]))
    tables = [t for t in env.tables if t.name in used]
    tables = shrink_rows(env.case, tables, views, minimal, kind, keys)
    with Env(env.case, tables, views) as small_env:
        answers = small_env.answers(minimal)
    return Divergence(kind, env.case, index, sql, minimal, keys, tables, views, answers)


def assert_answer(
    tables: Sequence[TableSpec],
    views: Sequence[str],
    sql: str,
    expected: Sequence[tuple[Any, ...]],
    where: Path,
    target_partitions: int = 2,
    batch_size: int = 8192,
    order: Sequence[int] | None = None,
) -> None:
    """Runs ``sql`` on fuseplug as shipped and with its rules off, over ``tables`` (stored as
    each says) and ``views``; both must answer ``expected`` (in order, by the ``order`` columns)."""
    for rules in (True, False):
        ctx = loaded(target_partitions, batch_size, rules, tables, views, where)
        got = Env.fuseplug_answer(ctx, sql)
        label = "as shipped" if rules else "with its rules off"
        assert got.error is None, f"fuseplug {label}: {got.error}"
        assert got.rows is not None
        assert same_answer(got.rows, list(expected), order), (
            f"fuseplug {label} answered\n{Answer(got.rows).show(50)}\nexpected {list(expected)}"
        )
