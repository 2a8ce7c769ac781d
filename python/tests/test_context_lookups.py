"""SessionContext lookups and sources that match the official bindings: functions by kind,
session facts, empty and batch DataFrames, Arrow IPC files, listing tables and datasets."""

from __future__ import annotations

import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import fuseplug
from fuseplug import SessionConfig, SessionContext, col
from fuseplug.exceptions import InputOutputError, PlanError


def test_functions_by_kind_include_builtins_and_registered_ones(ctx: SessionContext) -> None:
    ctx.register_udf(fuseplug.udf(lambda a: pc.negate(a), [pa.int64()], pa.int64(), name="neg"))
    scalars, aggregates, windows = ctx.udfs(), ctx.udafs(), ctx.udwfs()
    assert scalars == sorted(scalars) and "abs" in scalars and "neg" in scalars
    assert "sum" in aggregates and "neg" not in aggregates
    assert "row_number" in windows
    neg = ctx.udf("neg")
    assert isinstance(neg, fuseplug.ScalarUDF) and neg.name == "neg"
    assert ctx.from_pydict({"x": [1, 2]}).select(neg(col("x")).alias("y")).to_pydict() == {
        "y": [-1, -2]
    }
    assert isinstance(ctx.udaf("sum"), fuseplug.AggregateUDF)
    assert isinstance(ctx.udwf("row_number"), fuseplug.WindowUDF)
    for lookup, label in ((ctx.udf, "UDF"), (ctx.udaf, "UDAF"), (ctx.udwf, "UDWF")):
        with pytest.raises(KeyError, match=f"no {label} named 'nope'"):
            lookup("nope")


def test_deregistering_aggregate_window_and_table_functions(ctx: SessionContext) -> None:
    class Count(fuseplug.Accumulator):
        def __init__(self) -> None:
            self.n = 0

        def update(self, *values: pa.Array) -> None:
            self.n += len(values[0])

        def merge(self, states: list[pa.Array]) -> None:
            self.n += pc.sum(states[0]).as_py() or 0

        def state(self) -> list[int]:
            return [self.n]

        def evaluate(self) -> int:
            return self.n

    class Ones(fuseplug.WindowEvaluator):
        def evaluate_all(self, values: list[pa.Array], num_rows: int) -> pa.Array:
            return pa.array([1] * num_rows, pa.int64())

    ctx.register_udaf(fuseplug.udaf(Count, [pa.int64()], pa.int64(), [pa.int64()], name="my_count"))
    ctx.register_udwf(fuseplug.udwf(Ones, [pa.int64()], pa.int64(), name="ones"))
    ctx.register_udtf(fuseplug.udtf(lambda: pa.table({"a": [1]}), name="one_row"))
    assert ctx.sql("SELECT * FROM one_row()").to_pydict() == {"a": [1]}
    assert "my_count" in ctx.udafs() and "ones" in ctx.udwfs()
    ctx.deregister_udaf("my_count")
    ctx.deregister_udwf("ones")
    ctx.deregister_udtf("one_row")
    assert "my_count" not in ctx.udafs() and "ones" not in ctx.udwfs()
    with pytest.raises(PlanError, match="one_row"):
        ctx.sql("SELECT * FROM one_row()")
    # removing what is not there is not an error, as in the official bindings
    ctx.deregister_udaf("my_count")


def test_session_facts(ctx: SessionContext) -> None:
    started = datetime.datetime.fromisoformat(ctx.session_start_time())
    now = datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(0) <= now - started < datetime.timedelta(minutes=5)
    assert ctx.enable_ident_normalization() is True
    off = SessionContext(
        SessionConfig().set("datafusion.sql_parser.enable_ident_normalization", False)
    )
    assert off.enable_ident_normalization() is False
    ctx.sql("SET datafusion.execution.batch_size = 1234")
    copied = ctx.copied_config()
    assert isinstance(copied, SessionConfig)
    assert copied.get("datafusion.execution.batch_size") == "1234"


def test_remove_optimizer_rule_changes_the_plan(ctx: SessionContext) -> None:
    ctx.from_pydict({"a": [1, 2, 3, 3]}, name="t")
    # a filter on a grouping key: push_down_filter moves it below the aggregate
    query = "SELECT * FROM (SELECT a, count(*) AS n FROM t GROUP BY a) WHERE a > 1"

    def nodes() -> list[str]:
        """The optimized plan's node kinds, top down."""
        plan = ctx.sql(query).optimized_logical_plan().display_indent()
        return [line.strip().split(":")[0] for line in plan.splitlines()]

    def answer() -> list[tuple[int, int]]:
        got = ctx.sql(query).to_pydict()
        return sorted(zip(got["a"], got["n"], strict=True))

    assert nodes() == ["Projection", "Aggregate", "Filter", "TableScan"]
    assert answer() == [(2, 1), (3, 2)]
    assert ctx.remove_optimizer_rule("no_such_rule") is False
    assert nodes() == ["Projection", "Aggregate", "Filter", "TableScan"]
    assert ctx.remove_optimizer_rule("push_down_filter") is True
    assert ctx.remove_optimizer_rule("push_down_filter") is False
    # without the rule the filter stays above the aggregate it was written over; same answer
    assert nodes() == ["Filter", "Projection", "Aggregate", "TableScan"]
    assert answer() == [(2, 1), (3, 2)]
    # other sessions keep the rule
    other = SessionContext()
    other.from_pydict({"a": [1]}, name="t")
    plan = other.sql(query).optimized_logical_plan().display_indent()
    assert [line.strip().split(":")[0] for line in plan.splitlines()] == [
        "Projection",
        "Aggregate",
        "Filter",
        "TableScan",
    ]


def test_parse_capacity_limit() -> None:
    parse = SessionContext.parse_capacity_limit
    assert parse("datafusion.runtime.memory_limit", "512K") == 512 * 1024
    assert parse("datafusion.runtime.memory_limit", "1.5G") == 3 * 512 * 1024 * 1024
    assert parse("datafusion.runtime.memory_limit", "0") == 0
    with pytest.raises(PlanError, match=r"Unsupported unit 'T'.*my.limit"):
        parse("my.limit", "2T")
    with pytest.raises(PlanError, match="Empty limit value"):
        parse("my.limit", "")


def test_empty_and_batch_frames(ctx: SessionContext) -> None:
    for empty in (ctx.read_empty(), ctx.empty_table()):
        assert empty.schema() == pa.schema([]) and empty.count() == 1
    batch = pa.record_batch({"a": [1, 2], "b": ["x", "y"]})
    assert ctx.read_batch(batch).to_pydict() == {"a": [1, 2], "b": ["x", "y"]}
    assert ctx.read_batches(iter([batch, batch])).count() == 4
    with pytest.raises(ValueError, match="at least one batch"):
        ctx.read_batches([])
    ctx.register_batch("b", batch)
    assert ctx.sql("SELECT sum(a) AS s FROM b").to_pydict() == {"s": [3]}


def test_execute_logical_plan(ctx: SessionContext) -> None:
    plan = ctx.sql("SELECT 1 AS one").logical_plan()
    assert ctx.execute_logical_plan(plan).to_pydict() == {"one": [1]}


def test_table_provider_lookup_and_registration(ctx: SessionContext) -> None:
    ctx.from_pydict({"a": [1, 2]}, name="t")
    table = ctx.table_provider("t")
    assert isinstance(table, fuseplug.Table)
    assert table.schema == pa.schema([("a", pa.int64())])
    ctx.register_table_provider("again", table)
    assert ctx.table("again").to_pydict() == {"a": [1, 2]}
    ctx.register_table_provider("view", ctx.table("t").filter(col("a") > 1))
    assert ctx.table("view").to_pydict() == {"a": [2]}
    with pytest.raises(KeyError, match="no table named 'missing'"):
        ctx.table_provider("missing")


def test_register_dataset_reads_it_again_on_every_scan(ctx: SessionContext, data_dir: Path) -> None:
    pq.write_table(pa.table({"a": [1, 2]}), data_dir / "one.parquet")
    ctx.register_dataset("d", ds.dataset(data_dir))
    assert ctx.sql("SELECT sum(a) AS s FROM d").to_pydict() == {"s": [3]}
    assert ctx.sql("SELECT count(*) AS n FROM d").to_pydict() == {"n": [2]}
    # A file of the dataset rewritten between scans: the next scan reads the new rows, nothing was
    # kept. (CSV: pyarrow keeps a Parquet fragment's footer once scanned, so a rewritten Parquet
    # file no longer reads through the same Dataset object, with or without fuseplug.)
    csv_dir = data_dir / "csv"
    csv_dir.mkdir()
    (csv_dir / "one.csv").write_text("a\n1\n2\n")
    ctx.register_dataset("c", ds.dataset(csv_dir, format="csv"))
    assert ctx.sql("SELECT sum(a) AS s, count(*) AS n FROM c").to_pydict() == {"s": [3], "n": [2]}
    (csv_dir / "one.csv").write_text("a\n10\n20\n30\n")
    assert ctx.sql("SELECT sum(a) AS s, count(*) AS n FROM c").to_pydict() == {"s": [60], "n": [3]}


def test_listing_table_over_a_directory_with_partitions(
    ctx: SessionContext, data_dir: Path
) -> None:
    for year, values in ((2024, [1, 2]), (2025, [3])):
        part = data_dir / f"year={year}"
        part.mkdir()
        pq.write_table(pa.table({"v": values}), part / "data.parquet")
    (data_dir / "notes.txt").write_text("not a parquet file")
    ctx.register_listing_table("l", data_dir, table_partition_cols=[("year", pa.int32())])
    assert ctx.sql("SELECT year, sum(v) AS s FROM l GROUP BY year ORDER BY year").to_pydict() == {
        "year": [2024, 2025],
        "s": [3, 3],
    }


def test_arrow_ipc_files(ctx: SessionContext, data_dir: Path) -> None:
    table = pa.table({"a": [1, 2, 3], "s": ["x", None, "z"]})
    feather.write_feather(table, data_dir / "t.arrow", compression="uncompressed")
    assert ctx.read_arrow(data_dir / "t.arrow").to_arrow_table() == table
    ctx.register_arrow("ipc", data_dir / "t.arrow")
    assert ctx.sql("SELECT count(s) AS n FROM ipc").to_pydict() == {"n": [2]}
    with pytest.raises(InputOutputError):
        ctx.read_arrow(data_dir / "missing.arrow").collect()
