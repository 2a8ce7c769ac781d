"""Differential SQL tests (the ``differential`` package beside this file): seeded random tables
and queries, each run on fuseplug as shipped, on fuseplug with its own rules and defaults off, and
on DuckDB.

The seeded runs must find no divergence at all. The regression tests pin the wrong answer that a
rule sharing "equal" subplans once gave (LESSONS.md, item 25): two aggregates of the same shape
over different data, unioned. A divergence found by ``python -m differential`` (run from
``python/tests``; ``make fuzz-sql``) prints a test function that can be pasted at the end of this
file as it is.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from differential import (
    KINDS,
    PRODUCT,
    STORAGES,
    Answer,
    Env,
    TableSpec,
    assert_answer,
    make_case,
    minimise,
    rules_off,
    run,
    same_answer,
    session,
)

import fuseplug
from conftest import RunPython, child
from fuseplug import SessionConfig, SessionContext, col, lit
from fuseplug import functions as f

#: Seeds run by the suite: each group is one test, 40 queries a seed, well inside the per-test
#: timeout on a 2-core machine with a dev build. Seed s runs with target_partitions (1, 2, 4)[s % 3].
SEED_GROUPS = [range(start, start + 15) for start in range(0, 90, 15)]
QUERIES_PER_SEED = 40


def groups_id(seeds: range) -> str:
    return f"seeds-{seeds.start}-{seeds.stop - 1}"


@pytest.mark.parametrize("seeds", SEED_GROUPS, ids=groups_id)
def test_random_queries_agree(seeds: range) -> None:
    summary = run(seeds, per_case=QUERIES_PER_SEED, examine=2)
    reports = "\n\n".join(d.report() for d in summary.divergences)
    assert not any(summary.count(kind) for kind in KINDS), f"{summary.line()}\n\n{reports}"
    assert summary.queries == len(seeds) * QUERIES_PER_SEED
    # a build that fails every query would skip them all: the generator keeps to SQL that runs
    assert summary.skipped <= summary.queries * 0.05, (summary.line(), summary.skip_reasons)
    assert summary.not_compared <= summary.queries * 0.15, summary.line()


def test_the_queries_reach_fuseplugs_rules() -> None:
    """A clean run means something only if the queries meet the rules: the first seed group
    plans some with a shared aggregate and some with join filters applied to Parquet rows."""
    seen = {"SharedExec": 0, "DynamicRowFilterExec": 0}
    for seed in SEED_GROUPS[0]:
        case = make_case(seed)
        with Env(case) as env:
            for index in range(QUERIES_PER_SEED):
                try:
                    plan = env.shipped.sql(case.query(index).sql()).execution_plan()
                except fuseplug.DataFusionError:
                    continue
                text = plan.display_indent()
                for node in seen:
                    seen[node] += node in text
    assert all(n >= 10 for n in seen.values()), seen


# --- regressions: same-shaped data, different rows ---------------------------------------------

#: Two aggregates of the same shape over different VALUES lists: a rule that took them for one
#: subplan answered the first one twice.
VALUES_UNION = (
    "SELECT x, count(*) FROM (VALUES (1),(1),(2)) t(x) GROUP BY x "
    "UNION ALL SELECT x, count(*) FROM (VALUES (5),(6),(6)) t(x) GROUP BY x"
)
VALUES_UNION_ROWS = [(1, 2), (2, 1), (5, 1), (6, 2)]


#: The session as shipped (``SessionContext()``), and as shipped with 1, 2 and 4 target partitions.
PARTITIONS = [None, 1, 2, 4]


def context(partitions: int | None) -> SessionContext:
    if partitions is None:
        return SessionContext()
    return SessionContext(SessionConfig().with_target_partitions(partitions))


def partitions_id(partitions: int | None) -> str:
    return "default" if partitions is None else f"target_partitions={partitions}"


def sorted_rows(df: fuseplug.DataFrame) -> list[tuple[object, ...]]:
    table = df.to_arrow_table()
    return sorted(zip(*(c.to_pylist() for c in table.columns), strict=True))


@pytest.mark.parametrize("partitions", PARTITIONS, ids=partitions_id)
def test_unioned_aggregates_of_two_values_lists(partitions: int | None) -> None:
    assert sorted_rows(context(partitions).sql(VALUES_UNION)) == VALUES_UNION_ROWS


@pytest.mark.parametrize("partitions", PARTITIONS, ids=partitions_id)
def test_unioned_aggregates_of_two_same_shaped_dataframes(partitions: int | None) -> None:
    ctx = context(partitions)
    first = ctx.from_pydict({"x": [1, 1, 2], "d": [Decimal("1.50"), Decimal("2.25"), None]})
    second = ctx.from_pydict(
        {"x": [5, 6, 6], "d": [Decimal("0.50"), Decimal("1.00"), Decimal("3.00")]}
    )

    def per_x(df: fuseplug.DataFrame) -> fuseplug.DataFrame:
        return df.aggregate([col("x")], [f.count(lit(1)).alias("n"), f.sum(col("d")).alias("s")])

    expected = [
        (1, 2, Decimal("3.75")),
        (2, 1, None),
        (5, 1, Decimal("0.50")),
        (6, 2, Decimal("4.00")),
    ]
    assert sorted_rows(per_x(first).union(per_x(second))) == expected


@pytest.mark.parametrize("partitions", PARTITIONS, ids=partitions_id)
def test_unioned_aggregates_of_two_same_shaped_tables_in_sql(partitions: int | None) -> None:
    ctx = context(partitions)
    ctx.from_pydict({"x": [1, 1, 2]}, name="first")
    ctx.from_pydict({"x": [5, 6, 6]}, name="second")
    sql = (
        "SELECT x, count(*) AS n FROM first GROUP BY x "
        "UNION ALL SELECT x, count(*) AS n FROM second GROUP BY x"
    )
    assert sorted_rows(ctx.sql(sql)) == VALUES_UNION_ROWS
    shared = (
        "WITH a AS (SELECT x, count(*) AS n FROM first GROUP BY x), "
        "b AS (SELECT x, count(*) AS n FROM second GROUP BY x) "
        "SELECT a.x, a.n, b.x AS bx FROM a JOIN b ON a.n = b.n"
    )
    assert sorted_rows(ctx.sql(shared)) == [(1, 2, 6), (2, 1, 5)]


@pytest.mark.parametrize("storage", STORAGES)
def test_same_shaped_tables_in_every_storage(storage: str, tmp_path: Path) -> None:
    """The trap again through ``assert_answer``, the helper a pasted divergence calls: the same
    aggregate over two tables of one shape, each stored as ``storage`` in several pieces."""
    day = datetime.date(2024, 1, 1)
    tables = [
        TableSpec("t0", ("k", "dt"), [(1, day), (1, day), (2, None)], storage, pieces=2),
        TableSpec("t1", ("k", "dt"), [(5, day), (6, None), (6, day)], storage, pieces=2),
    ]
    sql = (
        "SELECT k, count(*) AS n, max(dt) AS m FROM t0 GROUP BY k "
        "UNION ALL SELECT k, count(*) AS n, max(dt) AS m FROM t1 GROUP BY k"
    )
    expected = [(1, 2, day), (2, 1, None), (5, 1, day), (6, 2, day)]
    for partitions in (1, 2, 4):
        assert_answer(tables, [], sql, expected, tmp_path, target_partitions=partitions)


# --- the tester itself ---------------------------------------------------------------------------


def fingerprint(seed: int, queries: int) -> list[str]:
    case = make_case(seed)
    tables = [repr(t) for t in case.tables]
    return [*tables, *case.view_sql(), f"{case.target_partitions}/{case.batch_size}"] + [
        case.query(i).sql() for i in range(queries)
    ]


def test_the_generator_is_deterministic_for_a_seed(run_python: RunPython) -> None:
    first = fingerprint(1234, 40)
    assert fingerprint(1234, 40) == first
    assert fingerprint(1235, 40) != first
    # nor on the interpreter's string hashing
    here = str(Path(__file__).parent)
    code = (
        f"import json, sys; sys.path.insert(0, {here!r}); from test_differential import "
        "fingerprint; print(json.dumps(fingerprint(1234, 40)))"
    )
    for hash_seed in ("1", "2"):
        assert child(run_python, code, env={"PYTHONHASHSEED": hash_seed}) == first


def test_the_rules_off_variant_turns_every_fuseplug_switch_off() -> None:
    off = rules_off()
    for switch in (
        "fuseplug.optimizer.share_repeated_subplans",
        "fuseplug.optimizer.dynamic_filter_rows",
        "fuseplug.optimizer.collect_joins",
    ):
        assert off[switch] == "false"
    ctx = session(2, 8192, rules=False)
    listed = ctx.sql(
        "SELECT name, value FROM information_schema.df_settings "
        "WHERE name LIKE 'fuseplug.optimizer.%' OR name = 'datafusion.optimizer.repartition_joins'"
    ).to_pylist()
    settings = {row["name"]: row["value"] for row in listed}
    assert settings.pop("datafusion.optimizer.repartition_joins") == "true"
    switches = {name: value for name, value in settings.items() if value in ("true", "false")}
    assert switches and all(value == "false" for value in switches.values()), switches


def test_the_comparison_normalises_types_and_respects_order() -> None:
    assert same_answer([(1, Decimal("1.50"))], [(1.0, 1.5)], None)
    assert same_answer([(2,), (1,)], [(1,), (2,)], None)
    assert not same_answer([(2,), (1,)], [(1,), (2,)], [0])
    # rows with equal sort keys may come in any order
    assert same_answer([(1, "b"), (1, "a"), (2, "c")], [(1, "a"), (1, "b"), (2, "c")], [0])
    assert same_answer([(None, 1.0000001)], [(None, 1.0)], None)
    assert not same_answer([(None,)], [(0,)], None)
    assert not same_answer([(True,)], [(1,)], None)
    assert not same_answer([("1",)], [(1,)], None)
    assert same_answer([(datetime.date(2024, 1, 2),)], [(datetime.date(2024, 1, 2),)], None)


def test_a_planted_bug_is_found_minimised_and_printed_as_a_test(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Drops the last row of every answer of two rows or more that fuseplug-as-shipped gives:
    the run must report it as a product divergence, with a smaller query and a pasteable test."""
    answer = Env.fuseplug_answer
    shipped: list[SessionContext] = []

    def planted(ctx: SessionContext, sql: str) -> Answer:
        got = answer(ctx, sql)
        if any(ctx is s for s in shipped) and got.rows is not None and len(got.rows) >= 2:
            return Answer(rows=got.rows[:-1])
        return got

    original_init = Env.__init__

    def init(self: Env, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)  # type: ignore[arg-type]
        shipped.append(self.shipped)

    monkeypatch.setattr(Env, "fuseplug_answer", staticmethod(planted))
    monkeypatch.setattr(Env, "__init__", init)
    summary = run([3], per_case=12, examine=1)
    assert summary.count(PRODUCT) >= 1, summary.line()
    found = summary.divergences[0]
    assert found.kind == PRODUCT
    assert len(found.minimal) <= len(found.sql)
    code = found.test_code()
    assert code.startswith(f"def test_differential_seed_3_query_{found.index}(tmp_path: Path)")
    assert "assert_answer(" in code and repr(found.minimal) in code
    compile(code, "<pasted>", "exec")


def test_minimising_keeps_what_the_divergence_needs() -> None:
    case = make_case(7)
    query = next(
        q for q in map(case.query, range(200)) if "EXCEPT" in q.sql() and "JOIN" in q.sql()
    )
    smaller = minimise(query, lambda q: "EXCEPT" in q.sql())
    assert "EXCEPT" in smaller.sql()
    assert "JOIN" not in smaller.sql()
    assert len(smaller.sql()) < len(query.sql())
