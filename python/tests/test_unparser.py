"""The unparser (``fuseplug.unparser``): the 22 TPC-H plans written back to SQL, run again and
checked against the original answers, in DataFusion's dialect (run by fuseplug) and DuckDB's (run
by DuckDB over the same Parquet files); the other dialects' quoting and ``with_pretty``; plans
without a SQL form refused with ``NotSupportedError``."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from answers import assert_same_answer

from benchmarks import tpch
from fuseplug import SessionContext, col, lit
from fuseplug.exceptions import NotSupportedError, SchemaError
from fuseplug.unparser import Dialect, Unparser

QUERY_IDS = [f"q{n:02d}" for n in tpch.QUERIES]


@pytest.fixture(scope="module")
def duck(tpch_dir: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    tpch.register_duckdb(con, tpch_dir)
    return con


@pytest.mark.parametrize("n", tpch.QUERIES, ids=QUERY_IDS)
def test_tpch_unparsed_runs_again_with_the_same_answer(n: int, tpch_ctx: SessionContext) -> None:
    df = tpch_ctx.sql(tpch.query(n))
    expected = df.to_arrow_table()
    sql = Unparser(Dialect.default()).plan_to_sql(df.logical_plan())
    assert sql.upper().startswith(("SELECT", "WITH"))
    assert_same_answer(
        tpch_ctx.sql(sql).to_arrow_table(), expected, f"q{n:02d}: {sql}", sql=tpch.query(n)
    )


#: Optimized plans the DataFusion 55 unparser writes wrongly (the official wheel does the same).
#: Unparse ``df.logical_plan()`` instead: it round-trips for all 22 queries.
OPTIMIZED_PLAN_GAPS = {
    # a column of an aliased table comes out under another qualifier: "nation.n_name" for n1's,
    # "__correlated_sq_5.l_suppkey" for l2's (SchemaError when the SQL is planned again)
    7: SchemaError,
    21: SchemaError,
    # the filters joined in from the decorrelated scalar subquery (c_acctbal > avg) and the
    # phone-prefix IN list are dropped: 25 country codes come back instead of 7
    22: AssertionError,
}


@pytest.mark.parametrize("n", tpch.QUERIES, ids=QUERY_IDS)
def test_tpch_optimized_plans_unparse_too(n: int, tpch_ctx: SessionContext) -> None:
    df = tpch_ctx.sql(tpch.query(n))
    sql = Unparser(Dialect.default()).plan_to_sql(df.optimized_logical_plan())
    gap = OPTIMIZED_PLAN_GAPS.get(n)
    if gap is None:
        assert_same_answer(tpch_ctx.sql(sql).to_arrow_table(), df.to_arrow_table(), sql)
        return
    # a known upstream gap: fails until DataFusion fixes it, then this list must shrink
    with pytest.raises(gap):
        assert_same_answer(tpch_ctx.sql(sql).to_arrow_table(), df.to_arrow_table(), sql)


@pytest.mark.parametrize("n", tpch.QUERIES, ids=QUERY_IDS)
def test_tpch_in_the_duckdb_dialect_runs_in_duckdb(
    n: int, tpch_ctx: SessionContext, duck: duckdb.DuckDBPyConnection
) -> None:
    df = tpch_ctx.sql(tpch.query(n))
    sql = Unparser(Dialect.duckdb()).plan_to_sql(df.logical_plan())
    answer = duck.sql(sql).to_arrow_table()
    # DuckDB names and types some computed columns its own way: compare values by position
    assert_same_answer(
        answer, df.to_arrow_table(), f"q{n:02d}: {sql}", check_names=False, sql=tpch.query(n)
    )


def simple_plan(ctx: SessionContext) -> object:
    df = ctx.from_pydict({"Mixed Case": [1, 2, 3], "b": ["x", "y", "z"]}, name="my table")
    return df.filter((col('"Mixed Case"') > lit(1)) & (col("b") != lit("z"))).logical_plan()


@pytest.mark.parametrize(
    ("dialect", "quote"),
    [
        (Dialect.default(), '"'),
        (Dialect.postgres(), '"'),
        (Dialect.duckdb(), '"'),
        (Dialect.mysql(), "`"),
        (Dialect.sqlite(), "`"),
    ],
    ids=["default", "postgres", "duckdb", "mysql", "sqlite"],
)
def test_dialects_quote_identifiers_their_way(dialect: Dialect, quote: str) -> None:
    plan = simple_plan(SessionContext())
    sql = Unparser(dialect).plan_to_sql(plan)  # type: ignore[arg-type]
    assert f"{quote}Mixed Case{quote}" in sql
    assert f"{quote}my table{quote}" in sql


@pytest.mark.parametrize("n", [1, 6, 14, 19])
def test_other_dialects_write_tpch_and_pretty_drops_parentheses(
    n: int, tpch_ctx: SessionContext
) -> None:
    plan = tpch_ctx.sql(tpch.query(n)).logical_plan()
    for dialect in (Dialect.mysql(), Dialect.postgres(), Dialect.sqlite()):
        plain = Unparser(dialect).plan_to_sql(plan)
        pretty = Unparser(dialect).with_pretty(True).plan_to_sql(plan)
        assert plain.startswith("SELECT") and pretty.startswith("SELECT")
        assert pretty.count("(") < plain.count("("), (plain, pretty)
        assert "lineitem" in pretty


def test_postgres_dialect_runs_in_duckdb(
    tpch_ctx: SessionContext, duck: duckdb.DuckDBPyConnection
) -> None:
    # DuckDB reads PostgreSQL's syntax: the postgres dialect's text runs there too
    for n in (1, 3, 6, 12, 14):
        df = tpch_ctx.sql(tpch.query(n))
        sql = Unparser(Dialect.postgres()).with_pretty(True).plan_to_sql(df.logical_plan())
        assert_same_answer(duck.sql(sql).to_arrow_table(), df.to_arrow_table(), sql, False)


def test_with_pretty_changes_the_unparser_and_returns_it() -> None:
    plan = simple_plan(SessionContext())
    unparser = Unparser(Dialect.default())
    plain = unparser.plan_to_sql(plan)  # type: ignore[arg-type]
    assert unparser.with_pretty(True) is unparser  # as in the official bindings
    pretty = unparser.plan_to_sql(plan)  # type: ignore[arg-type]
    assert pretty != plain and pretty.count("(") < plain.count("(")
    assert unparser.with_pretty(False).plan_to_sql(plan) == plain  # type: ignore[arg-type]


def test_unparsed_sql_of_a_dataframe_pipeline() -> None:
    ctx = SessionContext()
    df = ctx.from_pydict({"g": ["a", "b", "a"], "x": [1, 2, 3]}, name="t")
    df = df.filter(col("x") >= lit(2)).aggregate([col("g")], []).sort(col("g").sort())
    sql = Unparser(Dialect.default()).plan_to_sql(df.logical_plan())
    assert ctx.sql(sql).to_pydict() == df.to_pydict() == {"g": ["a", "b"]}


@pytest.mark.parametrize(
    "query",
    [
        "EXPLAIN SELECT 1",
        "DESCRIBE t",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r",
    ],
    ids=["explain", "describe", "recursive-cte"],
)
def test_plans_without_a_sql_form_are_not_supported(query: str) -> None:
    ctx = SessionContext()
    ctx.from_pydict({"a": [1]}, name="t")
    plan = ctx.sql(query).logical_plan()
    with pytest.raises(NotSupportedError):
        Unparser(Dialect.default()).plan_to_sql(plan)


def test_names_and_reprs() -> None:
    import fuseplug.unparser as u

    assert u.__all__ == ["Dialect", "Unparser"]
    assert repr(Dialect.mysql()) == "Dialect.mysql()"
    assert repr(Unparser(Dialect.sqlite()).with_pretty(True)) == (
        "Unparser(dialect=Dialect.sqlite(), pretty=True)"
    )
    with pytest.raises(TypeError):
        Unparser(Dialect.default()).plan_to_sql(pa.table({"a": [1]}))  # type: ignore[arg-type]
