"""Plans to bytes and back through the session's extension codecs (`with_*_extension_codec`).

Cases that install the example plugin's codecs run in a child process (foreign capsules)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import fuseplug
from fuseplug import ExecutionPlan, LogicalPlan, SessionContext
from fuseplug.exceptions import SerializationError

RunPython = Callable[..., Any]


def parquet_ctx(data_dir: Path) -> SessionContext:
    path = data_dir / "t.parquet"
    pq.write_table(pa.table({"x": [1, 2, 3, 4], "g": ["a", "b", "a", "b"]}), path)
    ctx = SessionContext()
    ctx.register_parquet("t", path)
    return ctx


QUERY = "SELECT g, sum(x) AS s FROM t WHERE x > 1 GROUP BY g ORDER BY g"


def test_logical_plan_round_trip(data_dir: Path) -> None:
    ctx = parquet_ctx(data_dir)
    data = ctx.sql(QUERY).logical_plan().to_bytes()
    assert isinstance(data, bytes) and data
    # decoded in another session that has the same table registered
    other = parquet_ctx(data_dir)
    plan = LogicalPlan.from_bytes(other, data)
    assert other.create_dataframe_from_logical_plan(plan).to_pydict() == {
        "g": ["a", "b"],
        "s": [3, 6],
    }


def test_execution_plan_round_trip_and_execute(data_dir: Path) -> None:
    ctx = parquet_ctx(data_dir)
    data = ctx.sql(QUERY).execution_plan().to_bytes(ctx)
    plan = ExecutionPlan.from_bytes(SessionContext(), data)
    reader = SessionContext()
    rows = [
        row
        for partition in range(plan.partition_count)
        for batch in reader.execute(plan, partition)
        for row in batch.to_pyarrow().to_pylist()
    ]
    assert sorted(rows, key=lambda r: r["g"]) == [{"g": "a", "s": 3}, {"g": "b", "s": 6}]
    with pytest.raises(ValueError, match="out of range"):
        reader.execute(plan, plan.partition_count)


def test_python_udfs_travel_by_name_from_a_strict_session(data_dir: Path) -> None:
    def triple() -> fuseplug.ScalarUDF:
        return fuseplug.udf(lambda a: pc.multiply(a, 3), [pa.int64()], pa.int64(), name="triple")

    ctx = parquet_ctx(data_dir).with_python_udf_inlining(enabled=False)
    ctx.register_udf(triple())
    data = ctx.sql("SELECT triple(x) AS y FROM t ORDER BY x").logical_plan().to_bytes(ctx)
    without = parquet_ctx(data_dir)
    with pytest.raises(SerializationError, match="triple"):
        LogicalPlan.from_bytes(without, data)
    with_udf = parquet_ctx(data_dir)
    with_udf.register_udf(triple())
    plan = LogicalPlan.from_bytes(with_udf, data)
    assert with_udf.create_dataframe_from_logical_plan(plan).to_pydict() == {"y": [3, 6, 9, 12]}


@pytest.mark.parametrize("data", [b"", b"\x00garbage\xff" * 10, b"FPc\x01\xff"])
def test_garbage_bytes_are_serialization_errors(data: bytes) -> None:
    ctx = SessionContext()
    with pytest.raises(SerializationError):
        LogicalPlan.from_bytes(ctx, data)
    with pytest.raises(SerializationError):
        ExecutionPlan.from_bytes(ctx, data)


def test_from_bytes_needs_a_session() -> None:
    with pytest.raises(TypeError, match="expected a fuseplug SessionContext"):
        LogicalPlan.from_bytes(object(), b"x")


CODEC_CHAIN = """
import json
import fuseplug
import fuseplug_ffi_example as ex
from fuseplug.exceptions import PlanError, SerializationError

out = {}
codec = ex.CountingLogicalCodec()
ctx = fuseplug.SessionContext()
writer = ctx.with_logical_extension_codec(codec)
out["ids"] = writer.logical_extension_codec_ids()
out["base ids"] = ctx.logical_extension_codec_ids()
try:
    writer.with_logical_extension_codec(ex.CountingLogicalCodec())
except PlanError as e:
    out["duplicate"] = str(e)
two = writer.with_logical_extension_codec(ex.CountingLogicalCodec(), codec_id="second")
out["two ids"] = two.logical_extension_codec_ids()
capsule = ex.CountingLogicalCodec().__datafusion_logical_extension_codec__(ctx)
out["bare"] = ctx.with_logical_extension_codec(capsule).logical_extension_codec_ids()
out["physical ids"] = ctx.with_physical_extension_codec(
    ex.CountingPhysicalCodec(), codec_id="p"
).physical_extension_codec_ids()

writer.register_udf(fuseplug.udf(ex.DoubleUdf()))
data = writer.sql("SELECT double(2) AS d").logical_plan().to_bytes(writer)
# a session without the codec that wrote the payload says which codec it needs
try:
    fuseplug.LogicalPlan.from_bytes(fuseplug.SessionContext(), data)
except SerializationError as e:
    out["missing codec"] = str(e)
# a session with another codec under another id does not hand it the payload
other = fuseplug.SessionContext().with_logical_extension_codec(
    ex.CountingLogicalCodec(), codec_id="someone.else"
)
try:
    fuseplug.LogicalPlan.from_bytes(other, data)
except SerializationError as e:
    out["wrong codec"] = str(e)
reader = fuseplug.SessionContext().with_logical_extension_codec(codec)
plan = fuseplug.LogicalPlan.from_bytes(reader, data)
out["rows"] = reader.create_dataframe_from_logical_plan(plan).to_pydict()
print(json.dumps(out))
"""


def test_codec_chain_ids_and_tagged_payloads(run_python: RunPython) -> None:
    proc = run_python(CODEC_CHAIN, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["ids"] == ["fuseplug_ffi_example.CountingLogicalCodec"]
    assert out["base ids"] == []
    assert "already installed" in out["duplicate"]
    assert out["two ids"] == ["fuseplug_ffi_example.CountingLogicalCodec", "second"]
    assert out["bare"] == ["fuseplug_ffi_example._internal:logical_extension_codec"]
    assert out["physical ids"] == ["p"]
    assert "fuseplug_ffi_example.CountingLogicalCodec" in out["missing codec"]
    assert "not installed" in out["missing codec"]
    assert "someone.else" in out["wrong codec"]
    assert out["rows"] == {"d": [4]}


def test_metrics_of_an_executed_plan(ctx: SessionContext) -> None:
    import datetime

    df = ctx.from_pydict({"a": list(range(10))}).filter(fuseplug.col("a") > fuseplug.lit(6))
    plan = df.execution_plan()
    assert plan.display().startswith("FilterExec")  # the operator whose metrics are read below
    before = datetime.datetime.now(datetime.timezone.utc)
    rows = sum(
        batch.num_rows for p in range(plan.partition_count) for batch in ctx.execute(plan, p)
    )
    after = datetime.datetime.now(datetime.timezone.utc)
    assert rows == 3
    collected = plan.collect_metrics()
    names = [name for name, _ in collected]
    assert any(name.startswith("FilterExec") for name in names)
    filter_metrics = next(m for name, m in collected if name.startswith("FilterExec"))
    assert isinstance(filter_metrics, fuseplug.MetricsSet)
    assert filter_metrics.output_rows == 3
    assert filter_metrics.sum_by_name("output_rows") == 3
    assert filter_metrics.sum_by_name("no_such_metric") is None
    assert filter_metrics.elapsed_compute is not None and filter_metrics.elapsed_compute >= 0
    by_name = {m.name: m for m in filter_metrics.metrics()}
    assert by_name["output_rows"].value == 3 and by_name["output_rows"].partition == 0
    assert isinstance(by_name["output_rows"].labels(), dict)
    # every partition of an operator records when it started and ended (DataFusion's baseline
    # metrics), as UTC datetimes within the run
    partitions = set(range(plan.partition_count))
    start = {
        m.partition: m.value_as_datetime
        for m in filter_metrics.metrics()
        if m.name == "start_timestamp"
    }
    end = {
        m.partition: m.value_as_datetime
        for m in filter_metrics.metrics()
        if m.name == "end_timestamp"
    }
    assert set(start) == set(end) == partitions
    slack = datetime.timedelta(milliseconds=1)  # the datetimes are rounded to microseconds
    for p in partitions:
        assert start[p].tzinfo == end[p].tzinfo == datetime.timezone.utc
        assert before - slack <= start[p] <= end[p] <= after + slack
    assert by_name["output_rows"].value_as_datetime is None
    # the plan's own operator is the FilterExec that ran: its metrics are the ones collected first
    top = plan.metrics()
    assert isinstance(top, fuseplug.MetricsSet)
    assert top.output_rows == 3
    assert names[0] == plan.display().strip()
    assert sorted(map(repr, top.metrics())) == sorted(map(repr, filter_metrics.metrics()))


def test_output_partitioning_of_each_operator() -> None:
    ctx = SessionContext(fuseplug.SessionConfig().with_target_partitions(4))
    ctx.from_pydict({"g": ["a", "b"] * 50, "x": list(range(100))}, name="t")
    plan = ctx.sql("SELECT g, sum(x) AS s FROM t GROUP BY g").execution_plan()
    seen = {}
    pending = [plan]
    while pending:
        node = pending.pop()
        seen[node.display().split(":")[0]] = node.output_partitioning
        pending.extend(node.children())
    hashed = seen["RepartitionExec"]
    assert isinstance(hashed, fuseplug.PhysicalPartitioning)
    assert (hashed.scheme, hashed.partition_count, hashed.hash_expressions) == ("Hash", 4, ["g@0"])
    assert repr(hashed) == "Hash([g@0], 4)"
    scan = seen["DataSourceExec"]
    assert scan.scheme in ("UnknownPartitioning", "RoundRobinBatch")
    assert scan.hash_expressions is None
    assert plan.output_partitioning.partition_count == plan.partition_count


def test_python_value_of_literals() -> None:
    import pyarrow as pa

    assert fuseplug.lit(3).python_value() == pa.scalar(3)
    assert fuseplug.lit("s").python_value().as_py() == "s"
    with pytest.raises(TypeError, match="needs a literal"):
        fuseplug.col("a").python_value()


BARE_CAPSULE_WRITER = """
import json
import fuseplug
import fuseplug_ffi_example as ex

ctx = fuseplug.SessionContext()
logical = ex.CountingLogicalCodec().__datafusion_logical_extension_codec__(ctx)
physical = ex.CountingPhysicalCodec().__datafusion_physical_extension_codec__(ctx)
writer = ctx.with_logical_extension_codec(logical).with_physical_extension_codec(physical)
writer.register_udf(fuseplug.udf(ex.DoubleUdf()))
writer.from_pydict({"x": [2]}, name="t")
df = writer.sql("SELECT double(x) AS d FROM t")
print(json.dumps({
    "ids": writer.logical_extension_codec_ids() + writer.physical_extension_codec_ids(),
    "logical": df.logical_plan().to_bytes(writer).hex(),
    "physical": df.execution_plan().to_bytes(writer).hex(),
}))
"""

BARE_CAPSULE_READER = """
import json
import fuseplug
import fuseplug_ffi_example as ex

written = json.loads(WRITTEN)
ctx = fuseplug.SessionContext()
logical = ex.CountingLogicalCodec().__datafusion_logical_extension_codec__(ctx)
physical = ex.CountingPhysicalCodec().__datafusion_physical_extension_codec__(ctx)
reader = ctx.with_logical_extension_codec(logical).with_physical_extension_codec(physical)
plan = fuseplug.LogicalPlan.from_bytes(reader, bytes.fromhex(written["logical"]))
executed = fuseplug.ExecutionPlan.from_bytes(reader, bytes.fromhex(written["physical"]))
rows = [b.to_pydict() for b in reader.execute(executed, 0)]
print(json.dumps({
    "ids": reader.logical_extension_codec_ids() + reader.physical_extension_codec_ids(),
    "logical rows": reader.create_dataframe_from_logical_plan(plan).to_pydict(),
    "physical rows": rows,
}))
"""


def test_a_bare_codec_capsule_has_the_same_id_in_every_process(run_python: RunPython) -> None:
    # the id names the library that made the capsule and the codec's kind, so what one process
    # writes through a bare capsule decodes in another that installs the same capsule
    writer = run_python(BARE_CAPSULE_WRITER, timeout=120)
    assert writer.returncode == 0, f"exit {writer.returncode}\n{writer.stdout}\n{writer.stderr}"
    written = json.loads(writer.stdout.strip().splitlines()[-1])
    assert written["ids"] == [
        "fuseplug_ffi_example._internal:logical_extension_codec",
        "fuseplug_ffi_example._internal:physical_extension_codec",
    ]
    reader = run_python(f"WRITTEN = {json.dumps(written)!r}\n" + BARE_CAPSULE_READER, timeout=120)
    assert reader.returncode == 0, f"exit {reader.returncode}\n{reader.stdout}\n{reader.stderr}"
    # both payloads went through the bare capsules (tagged with their ids)
    for kind, id_ in zip(["logical", "physical"], written["ids"], strict=True):
        assert id_.encode().hex() in written[kind]
    out = json.loads(reader.stdout.strip().splitlines()[-1])
    assert out["ids"] == written["ids"]
    assert out["logical rows"] == {"d": [4]}
    assert out["physical rows"] == [{"d": [4]}]
