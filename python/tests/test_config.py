"""SessionConfig and RuntimeEnvBuilder: settings that change what queries do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fuseplug import RuntimeEnvBuilder, SessionConfig, SessionContext
from fuseplug.exceptions import PlanError, ResourcesExhaustedError

SORT_QUERY = "SELECT value, value * 2 AS doubled FROM range({n}) ORDER BY value DESC"


def show(ctx: SessionContext, key: str) -> str:
    out = ctx.sql(f"SHOW {key}").to_pydict()
    assert out["name"] == [key]
    return out["value"][0]


def spill_count(ctx: SessionContext, query: str) -> int:
    """Sum of the ``spill_count`` metrics in ``EXPLAIN ANALYZE`` output."""
    plan = "\n".join(ctx.sql(f"EXPLAIN ANALYZE {query}").to_pydict()["plan"])
    return sum(int(m) for m in re.findall(r"spill_count=(\d+)", plan))


def test_with_batch_size_limits_batch_rows() -> None:
    ctx = SessionContext(SessionConfig().with_batch_size(10))
    batches = ctx.sql("SELECT * FROM range(35)").collect()
    assert [b.num_rows for b in batches] == [10, 10, 10, 5]


def test_with_batch_size_visible_in_show() -> None:
    config = SessionConfig().with_batch_size(321).with_information_schema(True)
    assert show(SessionContext(config), "datafusion.execution.batch_size") == "321"


def test_with_target_partitions() -> None:
    config = SessionConfig().with_target_partitions(3).with_information_schema(True)
    ctx = SessionContext(config)
    assert show(ctx, "datafusion.execution.target_partitions") == "3"
    plan = ctx.sql("SELECT value % 5 AS k, count(*) FROM range(100) GROUP BY 1").execution_plan()
    assert "partitions=3" in plan.display_indent()


def test_with_information_schema_enables_information_schema() -> None:
    ctx = SessionContext(SessionConfig().with_information_schema(True))
    ctx.sql("CREATE TABLE t AS SELECT 1 AS x")
    out = ctx.sql(
        "SELECT table_name FROM information_schema.tables WHERE table_name = 't'"
    ).to_pydict()
    assert out == {"table_name": ["t"]}


def test_with_information_schema_false_disables_show() -> None:
    ctx = SessionContext(SessionConfig().with_information_schema(False))
    with pytest.raises(PlanError, match="information_schema"):
        ctx.sql("SHOW TABLES").collect()


def test_set_key_value() -> None:
    config = (
        SessionConfig()
        .set("datafusion.execution.batch_size", "77")
        .set("datafusion.sql_parser.enable_ident_normalization", "false")
        .with_information_schema(True)
    )
    ctx = SessionContext(config)
    assert show(ctx, "datafusion.execution.batch_size") == "77"
    # Identifiers keep their case once normalization is off.
    ctx.sql('CREATE TABLE "MixedCase" AS SELECT 1 AS "Col"')
    assert ctx.sql("SELECT Col FROM MixedCase").to_pydict() == {"Col": [1]}


def test_config_from_dict() -> None:
    config = SessionConfig({"datafusion.execution.batch_size": "50"})
    ctx = SessionContext(config)
    sizes = [b.num_rows for b in ctx.sql("SELECT * FROM range(120)").collect()]
    assert sizes == [50, 50, 20]


def test_config_builders_chain_and_combine() -> None:
    config = (
        SessionConfig()
        .with_batch_size(16)
        .with_target_partitions(2)
        .with_information_schema(True)
        .with_repartition_joins(False)
        .with_repartition_aggregations(False)
    )
    ctx = SessionContext(config)
    assert show(ctx, "datafusion.execution.batch_size") == "16"
    assert show(ctx, "datafusion.execution.target_partitions") == "2"
    assert show(ctx, "datafusion.optimizer.repartition_joins") == "false"
    assert show(ctx, "datafusion.optimizer.repartition_aggregations") == "false"


# Joins fuseplug plans without repartitioning at <= 2 partitions (crates/fuseplug-engine/src/
# optimizer/joins.rs, docs/compatibility.md "Session defaults"): at planning time, leaving the
# session's options as DataFusion's.
JOINS = "datafusion.optimizer.repartition_joins"
COLLECT = "fuseplug.optimizer.collect_joins"
JOIN_QUERY = (
    "SELECT a.value % 7 AS k, count(*) AS n FROM range(5000) a "
    "JOIN range(5000) b ON a.value = b.value * 2 GROUP BY 1 ORDER BY 1"
)


def join_plan(partitions: int, **options: object) -> tuple[str, dict]:
    config = (
        SessionConfig()
        .with_target_partitions(partitions)
        # No small-input shortcut: with repartitioning allowed, the join is partitioned.
        .set("datafusion.optimizer.hash_join_single_partition_threshold", 0)
        .set("datafusion.optimizer.hash_join_single_partition_threshold_rows", 0)
    )
    for key, value in options.items():
        config = config.set(key.replace("__", "."), value)
    ctx = SessionContext(config)
    return ctx.sql(JOIN_QUERY).execution_plan().display_indent(), ctx.sql(JOIN_QUERY).to_pydict()


def test_the_session_keeps_datafusions_repartition_joins() -> None:
    for partitions in (1, 2, 8):
        assert SessionConfig().with_target_partitions(partitions).get(JOINS) == "true"
    assert SessionConfig().get(COLLECT) == "true"
    ctx = SessionContext(SessionConfig().with_target_partitions(2))
    assert show(ctx, JOINS) == "true"


def test_joins_collect_at_two_partitions_and_repartition_above() -> None:
    answers = []
    for partitions, collected in ((1, True), (2, True), (3, False), (8, False)):
        plan, answer = join_plan(partitions)
        assert ("mode=CollectLeft" in plan) is collected, (partitions, plan)
        answers.append(answer)
    assert all(a == answers[0] for a in answers)
    assert sum(answers[0]["n"]) == 2500


def test_collect_joins_steps_aside_for_sort_merge_joins_and_its_switch() -> None:
    # prefer_hash_join off asks for sort-merge joins, which spill under a memory limit
    plan, merged = join_plan(2, datafusion__optimizer__prefer_hash_join="false")
    assert "SortMergeJoin" in plan and "HashJoinExec" not in plan, plan
    plan, partitioned = join_plan(2, fuseplug__optimizer__collect_joins="false")
    assert "mode=Partitioned" in plan, plan
    plan, collected = join_plan(2, datafusion__optimizer__repartition_joins="false")
    assert "mode=CollectLeft" in plan, plan
    assert merged == partitioned == collected


def test_a_sort_merge_join_under_a_memory_limit_spills_as_on_stock_datafusion() -> None:
    # DataFusion's sort_merge_join_spill.slt: a RIGHT JOIN of 2,000 wide rows, one key, in 64 KiB
    ctx = SessionContext()
    for statement in (
        "SET datafusion.execution.target_partitions = 2",
        "SET datafusion.execution.batch_size = 200",
        "SET datafusion.optimizer.prefer_hash_join = false",
        "SET datafusion.runtime.memory_limit = '64K'",
        "CREATE VIEW probe AS SELECT value AS k, 500 AS x FROM generate_series(1, 3)",
        "CREATE VIEW wide AS SELECT 2 AS k, value AS v, "
        "lpad(cast(value AS varchar), 512, 'x') AS p FROM generate_series(1, 2000)",
    ):
        ctx.sql(statement).collect()
    sql = "SELECT p.k, w.v, length(w.p) AS n FROM wide w RIGHT JOIN probe p ON p.k = w.k"
    assert "SortMergeJoin" in ctx.sql(sql).execution_plan().display_indent()
    table = ctx.sql(sql).to_arrow_table()
    assert table.num_rows == 2002
    assert sorted(set(table.column("k").to_pylist())) == [1, 2, 3]


def test_with_default_catalog_and_schema() -> None:
    config = SessionConfig().with_default_catalog_and_schema("shop", "sales")
    ctx = SessionContext(config)
    ctx.sql("CREATE TABLE orders AS SELECT 1 AS id")
    assert "shop" in ctx.catalog_names()
    assert "orders" in set(ctx.catalog("shop").schema("sales").names())
    assert ctx.sql("SELECT id FROM shop.sales.orders").to_pydict() == {"id": [1]}


def test_set_unknown_key_is_plan_error() -> None:
    with pytest.raises(PlanError, match="no_such_option"):
        SessionConfig().set("datafusion.execution.no_such_option", "1")


def test_set_statement_with_unknown_key_is_plan_error(ctx: SessionContext) -> None:
    with pytest.raises(PlanError, match="no_such_option"):
        ctx.sql("SET datafusion.execution.no_such_option = 1").collect()


def test_with_batch_size_zero_is_value_error() -> None:
    with pytest.raises(ValueError, match="batch size"):
        SessionConfig().with_batch_size(0)


def test_memory_pool_of_zero_bytes_is_value_error() -> None:
    with pytest.raises(ValueError, match="pool"):
        RuntimeEnvBuilder().with_fair_spill_pool(0)


def test_with_batch_size_rejects_wrong_type() -> None:
    with pytest.raises(TypeError):
        SessionConfig().with_batch_size("ten")  # type: ignore[arg-type]


def test_fair_spill_pool_spills_to_temp_file_path(tmp_path: Path) -> None:
    spill_dir = tmp_path / "spill"
    spill_dir.mkdir()
    runtime = RuntimeEnvBuilder().with_fair_spill_pool(30_000_000).with_temp_file_path(spill_dir)
    ctx = SessionContext(SessionConfig().with_target_partitions(2), runtime)
    query = SORT_QUERY.format(n=1_000_000)
    table = ctx.sql(query).to_arrow_table()
    assert table.num_rows == 1_000_000
    assert table.column("value")[0].as_py() == 999_999
    assert table.column("value")[-1].as_py() == 0
    assert table.column("doubled")[0].as_py() == 1_999_998
    # The sort did not fit in memory: it spilled into a directory under the path we gave.
    assert spill_count(ctx, query) > 0
    assert any(p.is_dir() for p in spill_dir.iterdir())


def test_greedy_pool_with_os_disk_manager_spills() -> None:
    runtime = RuntimeEnvBuilder().with_greedy_memory_pool(40_000_000).with_disk_manager_os()
    ctx = SessionContext(SessionConfig().with_target_partitions(1), runtime)
    query = SORT_QUERY.format(n=1_000_000)
    out = ctx.sql(query).to_arrow_table()
    assert out.num_rows == 1_000_000
    assert out.column("value")[0].as_py() == 999_999
    assert spill_count(ctx, query) > 0


def test_unbounded_pool_does_not_spill() -> None:
    runtime = RuntimeEnvBuilder().with_unbounded_memory_pool().with_disk_manager_disabled()
    ctx = SessionContext(SessionConfig().with_target_partitions(2), runtime)
    query = SORT_QUERY.format(n=200_000)
    out = ctx.sql(query).to_arrow_table()
    assert out.num_rows == 200_000
    assert out.column("value")[0].as_py() == 199_999
    assert spill_count(ctx, query) == 0


def test_runtime_builder_is_reusable() -> None:
    # A sort of 200,000 rows needs a few MB: a 1 MB pool without spilling refuses it in every
    # context built from the same builder, and the same query fits a 64 MB pool.
    query = SORT_QUERY.format(n=200_000)
    config = SessionConfig().with_target_partitions(1)
    small = RuntimeEnvBuilder().with_greedy_memory_pool(1_000_000).with_disk_manager_disabled()
    for ctx in (SessionContext(config, small), SessionContext(config, small)):
        with pytest.raises(ResourcesExhaustedError, match=r"Memory Exhausted while Sorting"):
            ctx.sql(query).collect()
    big = RuntimeEnvBuilder().with_greedy_memory_pool(64_000_000).with_disk_manager_disabled()
    for ctx in (SessionContext(config, big), SessionContext(config, big)):
        out = ctx.sql(query).to_arrow_table()
        assert out.num_rows == 200_000
        assert out.column("value")[0].as_py() == 199_999
