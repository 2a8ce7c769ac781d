"""What one seed makes: tables, views and a session configuration, and its queries on demand."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from .queries import QueryGen, Source
from .tables import TableSpec, gen_tables
from .tree import Query

QUERIES_PER_CASE = 40


def sources(
    tables: Sequence[TableSpec], views: Sequence[tuple[str, str, tuple[str, ...]]] = ()
) -> list[Source]:
    return [Source(t.name, t.columns) for t in tables] + [
        Source(name, columns) for name, _, columns in views
    ]


def view_ddl(name: str, body: str) -> str:
    return f"CREATE VIEW {name} AS {body}"


@dataclass
class Case:
    """A seed's tables, views and session configuration; query ``i`` is drawn from its own
    random stream, so it does not depend on the queries before it."""

    seed: int
    tables: list[TableSpec]
    views: list[tuple[str, str, tuple[str, ...]]]  # name, body SQL, columns
    target_partitions: int
    batch_size: int

    def sources(self) -> list[Source]:
        return sources(self.tables, self.views)

    def query(self, index: int) -> Query:
        return QueryGen(random.Random(f"{self.seed}/{index}"), self.sources()).query()

    def view_sql(self) -> list[str]:
        return [view_ddl(name, body) for name, body, _ in self.views]


def make_case(seed: int) -> Case:
    rng = random.Random(seed)
    tables = gen_tables(rng)
    gen = QueryGen(rng, sources(tables))
    views = []
    for i in range(rng.randint(0, 2)):
        body = gen.derived(1)
        views.append((f"v{i}", body.sql(), tuple(body.aliases())))
    batch_size = rng.choice((8192, 8192, 3))
    return Case(seed, tables, views, (1, 2, 4)[seed % 3], batch_size)
