"""When `ShareRepeatedSubplans` may run one subplan for two places (crates/fuseplug-engine/src/
optimizer/identity.rs): only when both read the very same data. Two subplans that render alike
but read different in-memory batches or different files are run apart, and answer as DataFusion
does with the rule off. The first cases are the wrong answers the rule once gave by default."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import fuseplug
from fuseplug import SessionConfig, SessionContext, col
from fuseplug import functions as f

SHARING = "fuseplug.optimizer.share_repeated_subplans"

#: Two aggregates of the same shape over different VALUES lists.
TWO_VALUES = """
SELECT x, count(*) AS c FROM (VALUES (1),(1),(2)) t(x) GROUP BY x
UNION ALL
SELECT x, count(*) AS c FROM (VALUES (5),(6),(6)) t(x) GROUP BY x
"""


def register(ctx: SessionContext, name: str, data: dict) -> None:
    ctx.register_record_batches(name, [[pa.RecordBatch.from_pydict(data)]])


def rows(ctx: SessionContext, sql: str) -> list[tuple]:
    table = ctx.sql(sql).to_arrow_table()
    return sorted(zip(*table.to_pydict().values(), strict=True))


def plan_of(ctx: SessionContext, sql: str) -> str:
    return ctx.sql(sql).execution_plan().display_indent()


def without_sharing() -> SessionContext:
    return SessionContext(SessionConfig().set(SHARING, "false"))


@pytest.mark.parametrize("partitions", [1, 2, 4])
def test_two_values_lists_of_one_shape_are_not_merged(partitions: int) -> None:
    ctx = SessionContext(SessionConfig().with_target_partitions(partitions))
    expected = [(1, 2), (2, 1), (5, 1), (6, 2)]
    assert rows(ctx, TWO_VALUES) == expected
    assert "SharedExec" not in plan_of(ctx, TWO_VALUES)
    assert rows(without_sharing(), TWO_VALUES) == expected


def test_two_dataframes_of_one_shape_are_not_merged() -> None:
    ctx = SessionContext()
    first = ctx.from_pydict({"x": [1, 1, 2]})
    second = ctx.from_pydict({"x": [5, 6, 6]})

    def counted(df: fuseplug.DataFrame) -> fuseplug.DataFrame:
        return df.aggregate([col("x")], [f.count(col("x")).alias("c")])

    union = counted(first).union(counted(second))
    table = union.to_arrow_table()
    got = sorted(zip(table.column("x").to_pylist(), table.column("c").to_pylist(), strict=True))
    assert got == [(1, 2), (2, 1), (5, 1), (6, 2)]
    assert "SharedExec" not in union.execution_plan().display_indent()


def test_union_of_two_excepts_keeps_both_sides() -> None:
    # DataFusion's union.slt: each EXCEPT is an aggregate over an anti join of the same two tables
    ctx = SessionContext()
    ctx.sql("CREATE TABLE t1(id INT, name TEXT) AS VALUES (1, 'Alex'), (2, 'Bob'), (3, 'Alice')")
    ctx.sql("CREATE TABLE t2(id TINYINT, name TEXT) AS VALUES (1, 'Alex'), (2, 'Bob'), (3, 'John')")
    sql = """
    (SELECT name FROM t1 EXCEPT SELECT name FROM t2)
    UNION ALL
    (SELECT name FROM t2 EXCEPT SELECT name FROM t1)
    """
    assert rows(ctx, sql) == [("Alice",), ("John",)]
    sql = "(SELECT * FROM t1 EXCEPT SELECT * FROM t2) UNION ALL (SELECT * FROM t2 EXCEPT SELECT * FROM t1)"
    assert rows(ctx, sql) == [(3, "Alice"), (3, "John")]


def test_two_ctes_over_values_gain_no_row() -> None:
    # DataFusion's order.slt, issue 5970: at 2 partitions with repartition_sorts on
    ctx = SessionContext()
    ctx.sql("SET datafusion.execution.target_partitions = 2").collect()
    ctx.sql("SET datafusion.optimizer.repartition_sorts = true").collect()
    sql = """
    WITH
        m0(t) AS (VALUES (0), (1), (2)),
        m1(t) AS (VALUES (0), (1)),
        u AS (SELECT 0 as m, t FROM m0 GROUP BY 1, 2),
        v AS (SELECT 1 as m, t FROM m1 GROUP BY 1, 2)
    SELECT * FROM u UNION ALL SELECT * FROM v ORDER BY 1, 2
    """
    table = ctx.sql(sql).to_arrow_table()
    got = list(zip(*table.to_pydict().values(), strict=True))
    assert got == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]


def test_one_in_memory_table_read_twice_is_shared() -> None:
    ctx = SessionContext()
    register(ctx, "t", {"k": [1, 1, 2, 3, 3, 3], "v": [1, 2, 3, 4, 5, 6]})
    sql = """
    WITH s AS (SELECT k, sum(v) AS total FROM t GROUP BY k)
    SELECT k, total FROM s WHERE total = (SELECT max(total) FROM s)
    """
    assert rows(ctx, sql) == [(3, 15)]
    assert plan_of(ctx, sql).count("SharedExec") == 2
    plain = without_sharing()
    register(plain, "t", {"k": [1, 1, 2, 3, 3, 3], "v": [1, 2, 3, 4, 5, 6]})
    assert rows(plain, sql) == [(3, 15)]
    assert "SharedExec" not in plan_of(plain, sql)


def test_equal_values_in_other_buffers_are_not_proven_the_same() -> None:
    # the same numbers in two tables: the same answer either way, but nothing proves it, so the
    # rule leaves the two aggregates apart
    ctx = SessionContext()
    register(ctx, "a", {"k": [1, 2, 2]})
    register(ctx, "b", {"k": [1, 2, 2]})
    sql = """
    SELECT k, count(*) AS n FROM a GROUP BY k
    UNION ALL
    SELECT k, count(*) AS n FROM b GROUP BY k
    """
    assert rows(ctx, sql) == [(1, 1), (1, 1), (2, 2), (2, 2)]
    assert "SharedExec" not in plan_of(ctx, sql)


def write_csv(path: Path, values: list[int]) -> None:
    path.write_text("k,v\n" + "".join(f"{i % 3},{v}\n" for i, v in enumerate(values)))


def test_csv_files_of_one_shape_are_not_merged_and_one_file_is(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", [1, 2, 3, 4, 5, 6])
    write_csv(tmp_path / "b.csv", [10, 20, 30, 40, 50, 60])
    ctx = SessionContext()
    ctx.register_csv("a", str(tmp_path / "a.csv"))
    ctx.register_csv("b", str(tmp_path / "b.csv"))
    two_files = """
    SELECT k, sum(v) AS s FROM a GROUP BY k
    UNION ALL
    SELECT k, sum(v) AS s FROM b GROUP BY k
    """
    assert rows(ctx, two_files) == [(0, 5), (0, 50), (1, 7), (1, 70), (2, 9), (2, 90)]
    assert "SharedExec" not in plan_of(ctx, two_files)
    one_file = """
    WITH s AS (SELECT k, sum(v) AS s FROM a GROUP BY k)
    SELECT k, s FROM s WHERE s = (SELECT max(s) FROM s)
    """
    assert rows(ctx, one_file) == [(2, 9)]
    assert plan_of(ctx, one_file).count("SharedExec") == 2


def test_two_python_functions_of_one_name_are_not_merged() -> None:
    ctx = SessionContext()
    register(ctx, "t", {"k": [1, 2, 3]})
    double = fuseplug.udf(
        lambda a: pa.compute.multiply(a, 2), [pa.int64()], pa.int64(), "immutable", "f"
    )
    triple = fuseplug.udf(
        lambda a: pa.compute.multiply(a, 3), [pa.int64()], pa.int64(), "immutable", "f"
    )
    t = ctx.table("t")
    first = t.aggregate([], [f.sum(double(col("k"))).alias("s")])
    second = t.aggregate([], [f.sum(triple(col("k"))).alias("s")])
    table = first.union(second).to_arrow_table()
    assert sorted(table.column("s").to_pylist()) == [12, 18]


def test_not_in_and_not_exists_over_the_same_tables_are_not_merged() -> None:
    # the same anti join of the same tables, but NOT IN is null-aware (no row survives a null on
    # the other side) and NOT EXISTS is not: a field the join's Debug form leaves out
    ctx = SessionContext()
    register(ctx, "t", {"a": pa.array([1, 2, None], pa.int64())})
    register(ctx, "s", {"b": pa.array([2, None], pa.int64())})
    sql = """
    SELECT 'in' AS how, count(*) AS n FROM t WHERE a NOT IN (SELECT b FROM s)
    UNION ALL
    SELECT 'exists' AS how, count(*) AS n FROM t WHERE NOT EXISTS (SELECT 1 FROM s WHERE s.b = t.a)
    """
    assert rows(ctx, sql) == [("exists", 2), ("in", 0)]
