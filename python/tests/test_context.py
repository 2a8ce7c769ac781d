"""SessionContext: construction, SQL (queries, DDL, DML, SET/SHOW) and the table registry."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from fuseplug import DataFrame, RuntimeEnvBuilder, SessionConfig, SessionContext, col, lit
from fuseplug.exceptions import PlanError


def test_default_context_runs_sql(ctx: SessionContext) -> None:
    df = ctx.sql("SELECT 1 AS one, 'x' AS letter, 2.5 AS half")
    assert isinstance(df, DataFrame)
    assert df.to_pydict() == {"one": [1], "letter": ["x"], "half": [2.5]}


def test_context_accepts_config_and_runtime_by_keyword() -> None:
    config = SessionConfig().with_target_partitions(3).with_information_schema(True)
    ctx = SessionContext(config=config, runtime=RuntimeEnvBuilder())
    out = ctx.sql("SHOW datafusion.execution.target_partitions").to_pydict()
    assert out["value"] == ["3"]


def test_context_accepts_config_and_runtime_positionally() -> None:
    ctx = SessionContext(SessionConfig().with_batch_size(7), RuntimeEnvBuilder())
    sizes = [b.num_rows for b in ctx.sql("SELECT * FROM range(20)").collect()]
    assert sum(sizes) == 20
    assert max(sizes) <= 7


def test_context_none_arguments_mean_defaults() -> None:
    ctx = SessionContext(None, None)
    assert ctx.sql("SELECT 40 + 2 AS x").to_pydict() == {"x": [42]}


def test_default_context_has_information_schema_like_official(ctx: SessionContext) -> None:
    # The official bindings turn information_schema on when no config is given.
    ctx.sql("CREATE TABLE listed AS SELECT 1 AS x")
    assert "listed" in ctx.sql("SHOW TABLES").to_pydict()["table_name"]
    assert ctx.sql("SHOW datafusion.execution.batch_size").to_pydict()["value"] == ["8192"]


def test_contexts_do_not_share_tables() -> None:
    a, b = SessionContext(), SessionContext()
    a.sql("CREATE TABLE only_in_a AS SELECT 1 AS x")
    assert a.table_exist("only_in_a")
    assert not b.table_exist("only_in_a")


def test_sql_query_over_values(ctx: SessionContext) -> None:
    df = ctx.sql(
        "SELECT x, upper(y) AS y FROM (VALUES (1, 'a'), (2, 'b'), (3, 'c')) AS v(x, y) "
        "WHERE x >= 2 ORDER BY x DESC"
    )
    assert df.to_pydict() == {"x": [3, 2], "y": ["C", "B"]}


def test_sql_result_can_be_refined_with_dataframe_api(ctx: SessionContext) -> None:
    df = ctx.sql("SELECT value AS v FROM range(10)")
    out = df.filter(col("v") % lit(3) == lit(0)).sort(col("v").sort()).to_pydict()
    assert out == {"v": [0, 3, 6, 9]}


def test_create_table_as_select(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE t AS SELECT * FROM (VALUES (1, 'one'), (2, 'two')) AS v(n, word)")
    assert ctx.table_exist("t")
    out = ctx.sql("SELECT n, word FROM t ORDER BY n").to_pydict()
    assert out == {"n": [1, 2], "word": ["one", "two"]}


def test_create_table_then_insert_into_memory_table(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE t (a INT, b VARCHAR)")
    assert ctx.sql("SELECT count(*) AS n FROM t").to_pydict() == {"n": [0]}
    inserted = ctx.sql("INSERT INTO t VALUES (1, 'x'), (2, 'y')").to_pydict()
    assert inserted == {"count": [2]}
    ctx.sql("INSERT INTO t VALUES (3, NULL)").collect()
    out = ctx.sql("SELECT a, b FROM t ORDER BY a").to_pydict()
    assert out == {"a": [1, 2, 3], "b": ["x", "y", None]}
    schema = ctx.table("t").schema()
    assert schema.field("a").type == pa.int32()


def test_insert_into_select_from_other_table(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE src AS SELECT value AS v FROM range(5)")
    ctx.sql("CREATE TABLE dst (v BIGINT)")
    ctx.sql("INSERT INTO dst SELECT v * 10 FROM src WHERE v > 2").collect()
    assert ctx.sql("SELECT v FROM dst ORDER BY v").to_pydict() == {"v": [30, 40]}


def test_create_view_sees_later_inserts(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE base (n INT)")
    ctx.sql("INSERT INTO base VALUES (1), (2), (3)").collect()
    ctx.sql("CREATE VIEW evens AS SELECT n FROM base WHERE n % 2 = 0")
    assert ctx.sql("SELECT n FROM evens").to_pydict() == {"n": [2]}
    ctx.sql("INSERT INTO base VALUES (4)").collect()
    assert ctx.sql("SELECT n FROM evens ORDER BY n").to_pydict() == {"n": [2, 4]}


def test_drop_table_and_view(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE t AS SELECT 1 AS x")
    ctx.sql("CREATE VIEW v AS SELECT x FROM t")
    ctx.sql("DROP VIEW v")
    ctx.sql("DROP TABLE t")
    assert not ctx.table_exist("t")
    assert not ctx.table_exist("v")


def test_create_external_table_parquet(ctx: SessionContext, tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(pa.table({"k": [1, 2], "v": ["a", "b"]}), folder / "part-0.parquet")
    pq.write_table(pa.table({"k": [3], "v": ["c"]}), folder / "part-1.parquet")
    ctx.sql(f"CREATE EXTERNAL TABLE ext STORED AS PARQUET LOCATION '{folder}/'")
    out = ctx.sql("SELECT k, v FROM ext ORDER BY k").to_pydict()
    assert out == {"k": [1, 2, 3], "v": ["a", "b", "c"]}


def test_create_external_table_csv(ctx: SessionContext, tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    pacsv.write_csv(pa.table({"city": ["oslo", "rome"], "pop": [700, 2800]}), path)
    ctx.sql(
        f"CREATE EXTERNAL TABLE cities STORED AS CSV LOCATION '{path}' "
        "OPTIONS ('format.has_header' 'true')"
    )
    out = ctx.sql("SELECT city, pop FROM cities WHERE pop > 1000").to_pydict()
    assert out == {"city": ["rome"], "pop": [2800]}


def test_create_external_table_with_explicit_columns(ctx: SessionContext, tmp_path: Path) -> None:
    path = tmp_path / "nohead.csv"
    path.write_text("1,alpha\n2,beta\n")
    ctx.sql(
        f"CREATE EXTERNAL TABLE words (id BIGINT, word VARCHAR) STORED AS CSV LOCATION '{path}' "
        "OPTIONS ('format.has_header' 'false')"
    )
    out = ctx.sql("SELECT id, word FROM words ORDER BY id").to_pydict()
    assert out == {"id": [1, 2], "word": ["alpha", "beta"]}


def test_set_and_show_with_information_schema(info_ctx: SessionContext) -> None:
    info_ctx.sql("SET datafusion.execution.batch_size = 1234")
    out = info_ctx.sql("SHOW datafusion.execution.batch_size").to_pydict()
    assert out == {"name": ["datafusion.execution.batch_size"], "value": ["1234"]}
    sizes = [b.num_rows for b in info_ctx.sql("SELECT * FROM range(3000)").collect()]
    assert max(sizes) <= 1234
    assert sum(sizes) == 3000


def test_show_tables_lists_registered_tables(info_ctx: SessionContext) -> None:
    info_ctx.sql("CREATE TABLE visible AS SELECT 1 AS x")
    out = info_ctx.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    ).to_pydict()
    assert "visible" in out["table_name"]
    shown = info_ctx.sql("SHOW TABLES").to_pydict()
    assert "visible" in shown["table_name"]


def test_show_columns(info_ctx: SessionContext) -> None:
    info_ctx.sql("CREATE TABLE t (a INT, b VARCHAR)")
    out = info_ctx.sql("SHOW COLUMNS FROM t").to_pydict()
    assert out["column_name"] == ["a", "b"]
    assert out["data_type"][0] == "Int32"
    assert out["data_type"][1].startswith("Utf8")


def test_register_view(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1, 2, 3, 4]})
    ctx.register_view("big_a", df.filter(col("a") > lit(2)))
    assert ctx.table_exist("big_a")
    assert ctx.sql("SELECT a FROM big_a ORDER BY a").to_pydict() == {"a": [3, 4]}


def test_register_table_with_dataframe(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1, 2], "b": ["x", "y"]})
    ctx.register_table("tbl", df)
    assert ctx.table_exist("tbl")
    assert ctx.table("tbl").sort(col("a").sort()).to_pydict() == {"a": [1, 2], "b": ["x", "y"]}
    assert ctx.sql("SELECT b FROM tbl WHERE a = 2").to_pydict() == {"b": ["y"]}


def test_deregister_table(ctx: SessionContext) -> None:
    ctx.register_table("tbl", ctx.from_pydict({"a": [1]}))
    assert ctx.table_exist("tbl")
    ctx.deregister_table("tbl")
    assert not ctx.table_exist("tbl")
    with pytest.raises(PlanError, match="tbl"):
        ctx.sql("SELECT * FROM tbl").collect()


def test_table_returns_dataframe(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE t AS SELECT 5 AS five")
    df = ctx.table("t")
    assert isinstance(df, DataFrame)
    assert df.to_pydict() == {"five": [5]}


def test_table_exist_false_for_unknown(ctx: SessionContext) -> None:
    assert ctx.table_exist("no_such_table") is False


def test_from_pydict_with_name_registers_table(ctx: SessionContext) -> None:
    ctx.from_pydict({"a": [1, 2, 3]}, name="named")
    assert ctx.table_exist("named")
    assert ctx.sql("SELECT sum(a) AS s FROM named").to_pydict() == {"s": [6]}


def test_catalog_names(ctx: SessionContext) -> None:
    names = ctx.catalog_names()
    assert "datafusion" in names


def test_catalog_schema_table_names(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE first_t AS SELECT 1 AS x")
    ctx.register_table("second_t", ctx.from_pydict({"y": [2]}))
    schema = ctx.catalog("datafusion").schema("public")
    assert {"first_t", "second_t"} <= set(schema.table_names())


def test_catalog_schema_names_official_spelling(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE first_t AS SELECT 1 AS x")
    names = ctx.catalog("datafusion").schema("public").names()
    assert "first_t" in set(names)


def test_catalog_and_schema_default_arguments(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE t AS SELECT 1 AS x")
    assert "t" in set(ctx.catalog().schema().names())


def test_catalog_lists_schemas(ctx: SessionContext) -> None:
    assert "public" in set(ctx.catalog("datafusion").names())


def test_create_schema_via_sql(ctx: SessionContext) -> None:
    ctx.sql("CREATE SCHEMA staging")
    ctx.sql("CREATE TABLE staging.t AS SELECT 1 AS x")
    assert "staging" in set(ctx.catalog("datafusion").names())
    assert "t" in set(ctx.catalog("datafusion").schema("staging").names())
    assert ctx.sql("SELECT x FROM staging.t").to_pydict() == {"x": [1]}
