"""fuseplug's own physical optimizer rules (crates/fuseplug-engine/src/optimizer): dynamic filters applied
to scan rows, and an aggregate that a plan reads twice run once. Each is checked on real Parquet
files against the same query with the rule turned off, and against answers computed here."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fuseplug
from fuseplug import ExecutionPlan, SessionConfig, SessionContext
from fuseplug.exceptions import ExecutionError, PlanError, SerializationError

ROW_FILTER = "fuseplug.optimizer.dynamic_filter_rows"
SHARING = "fuseplug.optimizer.share_repeated_subplans"

FACT_ROWS = 200_000
KEYS = 20_000

#: q17's shape: the aggregate over `facts` sits between its scan and the join that filters it.
ACROSS_AN_AGGREGATE = """
SELECT d.k, a.s
FROM dims d JOIN (SELECT k, sum(v) AS s FROM facts GROUP BY k) a ON d.k = a.k
WHERE d.tag = 'x'
ORDER BY d.k
"""
#: q15's shape: one aggregate read twice.
READ_TWICE = """
WITH r AS (SELECT k, sum(v) AS s FROM facts GROUP BY k)
SELECT k, s FROM r WHERE s = (SELECT max(s) FROM r)
"""


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("optimizer")
    v = pa.array(range(FACT_ROWS), pa.int64())
    facts = pa.table({"k": pa.array([i % KEYS for i in range(FACT_ROWS)], pa.int64()), "v": v})
    pq.write_table(facts, where / "facts.parquet", row_group_size=16_384)
    tags = ["x" if k % 1000 == 0 else "y" for k in range(KEYS)]
    dims = pa.table({"k": pa.array(range(KEYS), pa.int64()), "tag": tags})
    pq.write_table(dims, where / "dims.parquet")
    return where


def context(tables: Path, **options: str) -> SessionContext:
    config = SessionConfig()
    for key, value in options.items():
        config = config.set(key, value)
    ctx = SessionContext(config)
    ctx.register_parquet("facts", str(tables / "facts.parquet"))
    ctx.register_parquet("dims", str(tables / "dims.parquet"))
    return ctx


def rule_off(tables: Path) -> SessionContext:
    return context(tables, **{ROW_FILTER: "false", SHARING: "false"})


def analyzed(ctx: SessionContext, sql: str) -> str:
    table = ctx.sql(f"EXPLAIN ANALYZE {sql}").to_arrow_table()
    return "\n".join(table.column("plan").to_pylist())


def metric(line: str, name: str) -> float:
    """A metric of one EXPLAIN ANALYZE line, with DataFusion's K / M suffixes undone."""
    found = re.search(rf"{name}=([0-9.]+)\s*([KM]?)", line)
    assert found, f"no {name} in {line}"
    return float(found.group(1)) * {"": 1, "K": 1e3, "M": 1e6}[found.group(2)]


def sum_for_key(k: int) -> int:
    """sum(v) of the rows with key k: v = k, k + KEYS, k + 2 KEYS, ..."""
    repeats = FACT_ROWS // KEYS
    return repeats * k + KEYS * repeats * (repeats - 1) // 2


def test_the_switches_are_options_with_defaults_on() -> None:
    config = SessionConfig()
    assert config.get(ROW_FILTER) == "true"
    assert config.get(SHARING) == "true"
    assert config.set(ROW_FILTER, False).get(ROW_FILTER) == "false"
    ctx = SessionContext()
    ctx.sql(f"SET {SHARING} = false").collect()
    shown = ctx.sql(f"SHOW {SHARING}").to_arrow_table().to_pydict()
    assert shown["value"] == ["false"]
    with pytest.raises(PlanError, match="no_such_rule"):
        config.set("fuseplug.optimizer.no_such_rule", "true")
    # as for DataFusion's own boolean options
    with pytest.raises(ExecutionError, match="sometimes"):
        config.set(ROW_FILTER, "sometimes")


def test_a_join_filter_prunes_rows_below_the_aggregate(tables: Path) -> None:
    ctx = context(tables)
    plan = ctx.sql(ACROSS_AN_AGGREGATE).execution_plan().display_indent()
    assert "DynamicRowFilterExec: below=AggregateExec" in plan, plan
    text = analyzed(ctx, ACROSS_AN_AGGREGATE)
    line = next(x for x in text.splitlines() if "DynamicRowFilterExec: below=AggregateExec" in x)
    # 20 of the 20,000 keys are tagged 'x': all but their 200 rows are dropped before the aggregate
    assert metric(line, "rows_pruned") == FACT_ROWS - 200, line
    assert metric(line, "output_rows") == 200, line

    expected = {
        "k": list(range(0, KEYS, 1000)),
        "s": [sum_for_key(k) for k in range(0, KEYS, 1000)],
    }
    assert ctx.sql(ACROSS_AN_AGGREGATE).to_arrow_table().to_pydict() == expected
    off = rule_off(tables)
    assert (
        "DynamicRowFilterExec" not in off.sql(ACROSS_AN_AGGREGATE).execution_plan().display_indent()
    )
    assert off.sql(ACROSS_AN_AGGREGATE).to_arrow_table().to_pydict() == expected


def test_a_direct_probe_input_leaves_hash_table_lookups_to_the_join(tables: Path) -> None:
    # 19,980 build keys: DataFusion's filter probes the join's hash table, as the join itself does
    sql = "SELECT count(*) AS n FROM facts f JOIN dims d ON f.k = d.k WHERE d.tag = 'y'"
    ctx = context(tables)
    text = analyzed(ctx, sql)
    line = next(x for x in text.splitlines() if "DynamicRowFilterExec" in x)
    assert "below=none" in line and "hash_lookup" in line, line
    assert metric(line, "rows_pruned") == 0 and metric(line, "batches_unfiltered") > 0, line
    assert ctx.sql(sql).to_arrow_table().to_pydict() == {"n": [FACT_ROWS - 200]}


def test_row_level_pushdown_leaves_the_scans_as_they_are(tables: Path) -> None:
    ctx = context(tables, **{"datafusion.execution.parquet.pushdown_filters": "true"})
    plan = ctx.sql(ACROSS_AN_AGGREGATE).execution_plan().display_indent()
    assert "DynamicRowFilterExec" not in plan
    assert ctx.sql(ACROSS_AN_AGGREGATE).to_arrow_table().num_rows == 20


def test_an_aggregate_read_twice_runs_once(tables: Path) -> None:
    rows_seen = []

    def times_one(values: pa.Array) -> pa.Array:
        rows_seen.append(len(values))
        return values

    def query(ctx: SessionContext) -> dict:
        ctx.register_udf(
            fuseplug.udf(times_one, [pa.int64()], pa.int64(), "immutable", "times_one")
        )
        sql = READ_TWICE.replace("sum(v)", "sum(times_one(v))")
        rows_seen.clear()
        answer = ctx.sql(sql).to_arrow_table().to_pydict()
        return {"answer": answer, "rows": sum(rows_seen), "plan": ctx.sql(sql).execution_plan()}

    expected = {"k": [KEYS - 1], "s": [sum_for_key(KEYS - 1)]}
    shared, plain = query(context(tables)), query(rule_off(tables))
    assert shared["answer"] == plain["answer"] == expected
    # the Python function ran over the facts once with the rule, twice without it
    assert (shared["rows"], plain["rows"]) == (FACT_ROWS, 2 * FACT_ROWS)

    runs = re.findall(r"SharedExec: run=(\S+)", shared["plan"].display_indent())
    assert len(runs) == 2 and runs[0] == runs[1], shared["plan"].display_indent()
    assert "SharedExec" not in plain["plan"].display_indent()


def test_volatile_and_different_aggregates_are_not_shared(tables: Path) -> None:
    ctx = context(tables)
    # random() inside the aggregate: each read of the view draws its own numbers
    volatile = READ_TWICE.replace("sum(v)", "sum(v * random())")
    assert "SharedExec" not in ctx.sql(volatile).execution_plan().display_indent()
    assert ctx.sql(volatile).to_arrow_table().num_rows <= 1
    # random() above it: the aggregate itself is shared, each read adds its own numbers
    above = READ_TWICE.replace("sum(v)", "sum(v) + random()")
    assert ctx.sql(above).execution_plan().display_indent().count("SharedExec") == 2
    different = """
    SELECT k, sum(v) AS s FROM facts GROUP BY k
    HAVING sum(v) = (SELECT max(t.m) FROM (SELECT k, max(v) AS m FROM facts GROUP BY k) t)
    """
    assert "SharedExec" not in ctx.sql(different).execution_plan().display_indent()


def test_plans_with_the_rules_nodes_travel_as_plain_plans(tables: Path) -> None:
    ctx = context(tables)
    for sql in (ACROSS_AN_AGGREGATE, READ_TWICE):
        plan = ctx.sql(sql).execution_plan()
        assert re.search("DynamicRowFilterExec|SharedExec", plan.display_indent())
        decoded = ExecutionPlan.from_bytes(ctx, plan.to_bytes(ctx))
        text = decoded.display_indent()
        assert "DynamicRowFilterExec" not in text and "SharedExec" not in text, text
        batches = [
            b.to_pyarrow() for p in range(decoded.partition_count) for b in ctx.execute(decoded, p)
        ]
        got = pa.Table.from_batches(batches, schema=batches[0].schema).sort_by("k").to_pydict()
        assert got == ctx.sql(sql).to_arrow_table().sort_by("k").to_pydict()


@pytest.mark.parametrize(("sql", "magic"), [(ACROSS_AN_AGGREGATE, b"FPrf"), (READ_TWICE, b"FPsp")])
def test_a_node_frame_of_another_wire_version_is_refused(
    tables: Path, sql: str, magic: bytes
) -> None:
    ctx = context(tables)
    data = bytearray(ctx.sql(sql).execution_plan().to_bytes(ctx))
    at = data.index(magic)
    data[at + 4] = 99
    with pytest.raises(SerializationError, match=r"wire version 99"):
        ExecutionPlan.from_bytes(ctx, bytes(data))
