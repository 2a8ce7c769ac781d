"""Plans and expressions that travel: Python UDFs inline, in-memory tables as Arrow IPC, strict
mode, pickling and the ``fuseplug.ipc`` contexts (docs/serialization.md).

Worker processes are in test_workers.py, the fuzzer in test_serialization_fuzz.py."""

from __future__ import annotations

import json
import pickle
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fuseplug
from fuseplug import (
    ExecutionPlan,
    Expr,
    LogicalPlan,
    SessionConfig,
    SessionContext,
    col,
    ipc,
    lit,
)
from fuseplug.exceptions import SerializationError

RunPython = Callable[..., Any]

STRICT = "with_python_udf_inlining"
LIMIT_KEY = "fuseplug.serialization.max_inline_table_bytes"


from travel import EXPECTED, frame, triple, udfs  # noqa: E402


def test_expr_round_trip_without_and_with_a_context() -> None:
    expr = (col("a") + lit(1)).alias("b")
    data = expr.to_bytes()
    assert isinstance(data, bytes)
    assert Expr.from_bytes(data).canonical_name() == expr.canonical_name()
    ctx = SessionContext()
    assert Expr.from_bytes(expr.to_bytes(ctx), ctx).canonical_name() == expr.canonical_name()
    assert pickle.loads(pickle.dumps(expr)).canonical_name() == expr.canonical_name()


def test_python_udf_expr_travels_inline_to_a_session_without_it() -> None:
    scalar, _, _ = udfs()
    data = scalar(col("x")).alias("y").to_bytes()
    decoded = Expr.from_bytes(data, SessionContext())
    fresh = SessionContext()
    df = fresh.from_pydict({"x": [1, 2]}).select(decoded)
    assert df.to_pydict() == {"y": [3, 6]}
    assert df.schema().field("y").type == pa.int64()


@pytest.mark.parametrize("physical", [False, True], ids=["logical", "physical"])
def test_plan_with_every_python_udf_kind_and_a_memory_table_decodes_anywhere(
    physical: bool,
) -> None:
    sender = SessionContext()
    df = frame(sender)
    assert df.to_pydict() == EXPECTED
    receiver = SessionContext()  # no table, no UDFs registered
    if physical:
        plan = ExecutionPlan.from_bytes(receiver, df.execution_plan().to_bytes(sender))
        rows = [
            row
            for p in range(plan.partition_count)
            for batch in receiver.execute(plan, p)
            for row in batch.to_pyarrow().to_pylist()
        ]
        assert {r["g"]: (r["s"], r["n"]) for r in rows} == {"a": (27, 3), "b": (18, 2)}
    else:
        plan = LogicalPlan.from_bytes(receiver, df.logical_plan().to_bytes(sender))
        assert receiver.create_dataframe_from_logical_plan(plan).to_pydict() == EXPECTED


def test_name_return_type_and_volatility_survive() -> None:
    ctx = SessionContext()
    ctx.from_pydict({"x": [1, 2]}, name="t")
    stable = fuseplug.udf(triple, [pa.int64()], pa.int32(), "immutable", name="fold_me")
    volatile = fuseplug.udf(triple, [pa.int64()], pa.int32(), "volatile", name="keep_me")
    ctx.register_udf(stable)
    ctx.register_udf(volatile)
    df = ctx.sql("SELECT fold_me(1) AS a, keep_me(1) AS b, fold_me(x) AS c FROM t")
    other = SessionContext()
    decoded = other.create_dataframe_from_logical_plan(
        LogicalPlan.from_bytes(other, df.logical_plan().to_bytes(ctx))
    )
    assert decoded.schema() == pa.schema([("a", pa.int32()), ("b", pa.int32()), ("c", pa.int32())])
    optimized = decoded.optimized_logical_plan().display_indent()
    # an immutable call on a constant is folded by the optimizer, a volatile one is kept
    assert "fold_me(Int64(1))" not in optimized and "keep_me(Int64(1))" in optimized
    assert "fold_me(t.x)" in optimized
    assert decoded.to_pydict() == {"a": [3, 3], "b": [3, 3], "c": [3, 6]}


def memory_frames(ctx: SessionContext) -> dict[str, fuseplug.DataFrame]:
    batch = pa.record_batch({"k": [1, 2, 3], "v": ["x", "y", None]})
    ctx.register_record_batches("batches", [[batch], [batch.slice(0, 1)]])
    return {
        "from_pydict": ctx.from_pydict({"k": [1, 2], "v": ["p", "q"]}),
        "from_arrow": ctx.from_arrow(pa.table({"k": [7], "v": ["z"]})),
        "from_pandas": ctx.from_pandas(pd.DataFrame({"k": [4, 5], "v": ["a", None]})),
        "record_batches": ctx.table("batches"),
        "cache": ctx.sql("SELECT k * 10 AS k, v FROM batches").cache(),
    }


@pytest.mark.parametrize(
    "source", ["from_pydict", "from_arrow", "from_pandas", "record_batches", "cache"]
)
def test_in_memory_tables_travel_inside_the_plan(source: str) -> None:
    ctx = SessionContext()
    df = memory_frames(ctx)[source]
    expected = df.sort(col("k")).to_pydict()
    data = df.logical_plan().to_bytes(ctx)
    other = SessionContext()
    decoded = other.create_dataframe_from_logical_plan(LogicalPlan.from_bytes(other, data))
    assert decoded.sort(col("k")).to_pydict() == expected
    assert pickle.loads(pickle.dumps(df)).sort(col("k")).to_pydict() == expected


def test_inline_table_limit_is_a_session_option() -> None:
    config = SessionConfig().set(LIMIT_KEY, 1000)
    assert config.get(LIMIT_KEY) == "1000"
    assert SessionConfig().get(LIMIT_KEY) == str(64 * 1024 * 1024)
    small = SessionContext(config)
    big = small.from_pydict({"x": list(range(10_000))})
    with pytest.raises(SerializationError, match=LIMIT_KEY):
        big.logical_plan().to_bytes(small)
    with pytest.raises(SerializationError, match=LIMIT_KEY):
        big.execution_plan().to_bytes(small)
    # SET raises it for the session; the same plan then travels
    small.sql(f"SET {LIMIT_KEY} = 1000000")
    plan = LogicalPlan.from_bytes(SessionContext(), big.logical_plan().to_bytes(small))
    assert SessionContext().create_dataframe_from_logical_plan(plan).count() == 10_000


def test_live_arrow_stream_tables_are_refused_with_a_clear_error() -> None:
    ctx = SessionContext()
    reader = pa.RecordBatchReader.from_batches(
        pa.schema([("x", pa.int64())]), [pa.record_batch({"x": [1]})]
    )
    ctx.register_table("once", reader)
    with pytest.raises(SerializationError, match=r"live Arrow stream.*from_arrow"):
        ctx.table("once").logical_plan().to_bytes(ctx)


def test_file_tables_travel_by_path(data_dir: Path) -> None:
    pq.write_table(pa.table({"x": [1, 2, 3]}), data_dir / "f.parquet")
    ctx = SessionContext()
    df = ctx.read_parquet(data_dir / "f.parquet").filter(col("x") > 1)
    assert pickle.loads(pickle.dumps(df)).to_pydict() == {"x": [2, 3]}


# strict mode -------------------------------------------------------------------------------------


def test_strict_sender_sends_python_udfs_by_name() -> None:
    sender = SessionContext()
    df = frame(sender)
    strict = sender.with_python_udf_inlining(enabled=False)
    assert sender.python_udf_inlining and not strict.python_udf_inlining
    data = df.logical_plan().to_bytes(strict)
    assert b"DFPYUDF" not in data and b"DFPYUDA" not in data and b"DFPYUDW" not in data
    assert b"DFPYUDF" in df.logical_plan().to_bytes(sender)
    with pytest.raises(
        SerializationError, match=r"calls the \w+ function \"(triple|total|running)\" by name"
    ):
        LogicalPlan.from_bytes(SessionContext(), data)
    receiver = SessionContext()
    for f in udfs():
        if isinstance(f, fuseplug.ScalarUDF):
            receiver.register_udf(f)
        elif isinstance(f, fuseplug.AggregateUDF):
            receiver.register_udaf(f)
        else:
            receiver.register_udwf(f)
    plan = LogicalPlan.from_bytes(receiver, data)
    assert receiver.create_dataframe_from_logical_plan(plan).to_pydict() == EXPECTED


@pytest.mark.parametrize("kind", ["scalar", "aggregate", "window"])
def test_strict_receiver_refuses_inline_python(kind: str) -> None:
    scalar, aggregate, window = udfs()
    call = {
        "scalar": scalar(col("x")),
        "aggregate": aggregate(col("x")),
        "window": window(col("x")),
    }[kind]
    data = call.to_bytes()
    strict = SessionContext().with_python_udf_inlining(enabled=False)
    with pytest.raises(SerializationError) as info:
        Expr.from_bytes(data, strict)
    message = str(info.value)
    assert f"inline Python {kind} UDF" in message
    assert "with_python_udf_inlining(enabled=False)" in message
    assert "never runs inline Python" in message


STRICT_CODEC_CONTEXTS = """
import json
import pyarrow as pa
import fuseplug
import fuseplug_ffi_example as ex
from fuseplug import Expr, LogicalPlan, col
from fuseplug.exceptions import SerializationError

def codecs(ctx):
    return ctx.with_logical_extension_codec(ex.CountingLogicalCodec()).with_physical_extension_codec(
        ex.CountingPhysicalCodec()
    )

def refusal(decode):
    try:
        decode()
    except SerializationError as e:
        return str(e)
    return None

out = {}
same = fuseplug.udf(lambda a: a, [pa.int64()], pa.int64(), "immutable", name="same")
inline_expr = same(col("x")).to_bytes()  # the global context sends Python UDFs inline
out["inline frame"] = b"DFPYUDF" in inline_expr
# codecs installed on a strict context, and a strict context made from one with codecs
strict = fuseplug.SessionContext().with_python_udf_inlining(enabled=False)
for name, ctx in {
    "codecs after": codecs(strict),
    "codecs before": codecs(fuseplug.SessionContext()).with_python_udf_inlining(enabled=False),
}.items():
    ctx.register_udf(same)
    ctx.from_pydict({"x": [1, 2]}, name="t")
    df = ctx.sql("SELECT same(x) AS y FROM t")
    by_name = df.logical_plan().to_bytes(ctx)
    inline_plan = df.logical_plan().to_bytes(fuseplug.SessionContext())
    out[name] = {
        "ids": [ctx.logical_extension_codec_ids(), ctx.physical_extension_codec_ids()],
        "inlining": ctx.python_udf_inlining,
        "sends by name": b"DFPYUDF" not in by_name and b"DFPYUDF" not in df.execution_plan().to_bytes(ctx),
        "inline plan": b"DFPYUDF" in inline_plan,
        "refuses expr": refusal(lambda: Expr.from_bytes(inline_expr, ctx)),
        "refuses plan": refusal(lambda: LogicalPlan.from_bytes(ctx, inline_plan)),
        "rows by name": ctx.create_dataframe_from_logical_plan(
            LogicalPlan.from_bytes(ctx, by_name)
        ).to_pydict(),
    }
# turning inlining back on keeps the codecs
again = codecs(strict).with_python_udf_inlining(enabled=True)
out["again"] = [again.python_udf_inlining, again.logical_extension_codec_ids()]
out["strict unchanged"] = strict.python_udf_inlining
print(json.dumps(out))
"""


def test_strict_setting_is_kept_by_codec_contexts(run_python: RunPython) -> None:
    strict = SessionContext().with_python_udf_inlining(enabled=False)
    assert strict.with_python_udf_inlining(enabled=True).python_udf_inlining
    # the original context is unchanged
    base = SessionContext()
    base.with_python_udf_inlining(enabled=False)
    assert base.python_udf_inlining
    # contexts made with with_*_extension_codec (a plugin's codecs: in a child process) keep the
    # strict setting, whichever came first, and with it the refusal of inline Python
    proc = run_python(STRICT_CODEC_CONTEXTS, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["inline frame"] is True
    logical_id = "fuseplug_ffi_example.CountingLogicalCodec"
    physical_id = "fuseplug_ffi_example.CountingPhysicalCodec"
    for name in ("codecs after", "codecs before"):
        got = out[name]
        assert got["ids"] == [[logical_id], [physical_id]], name
        assert got["inlining"] is False, name
        assert got["sends by name"] is True, name
        assert got["inline plan"] is True, name
        for refused in ("refuses expr", "refuses plan"):
            message = got[refused]
            assert message is not None, (name, refused)
            assert "inline Python scalar UDF" in message, message
            assert "with_python_udf_inlining(enabled=False)" in message, message
        assert got["rows by name"] == {"y": [1, 2]}, name
    assert out["again"] == [True, [logical_id]]
    assert out["strict unchanged"] is False


# the frame's fields ------------------------------------------------------------------------------


def scalar_payload() -> tuple[bytes, int]:
    """A serialized expression calling a Python UDF, and where its frame starts."""
    scalar, _, _ = udfs()
    data = scalar(col("x")).to_bytes()
    return data, data.index(b"DFPYUDF")


def test_wrong_wire_version_is_refused() -> None:
    data, at = scalar_payload()
    patched = bytearray(data)
    patched[at + 7] = 99
    with pytest.raises(SerializationError, match=r"wire version 99.*version 1"):
        Expr.from_bytes(bytes(patched))


def test_another_python_minor_is_refused_naming_both_versions() -> None:
    data, at = scalar_payload()
    assert data[at + 8 : at + 10] == bytes(sys.version_info[:2])
    patched = bytearray(data)
    patched[at + 9] = (sys.version_info.minor + 1) % 256
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    sent = f"{sys.version_info.major}.{(sys.version_info.minor + 1) % 256}"
    with pytest.raises(SerializationError, match=f"Python {sent} but this is Python {here}"):
        Expr.from_bytes(bytes(patched))


def test_corrupt_pickle_bytes_are_refused_with_the_cause() -> None:
    data, at = scalar_payload()
    patched = bytearray(data)
    start = at + 10
    patched[start : start + 16] = b"\xff" * 16
    with pytest.raises(SerializationError, match="could not be unpickled") as info:
        Expr.from_bytes(bytes(patched))
    assert info.value.__cause__ is not None


def test_missing_cloudpickle_is_its_own_error(run_python: RunPython) -> None:
    data, _ = scalar_payload()
    proc = run_python(
        f"""
import sys
sys.modules["cloudpickle"] = None  # as if it were not installed
from fuseplug import Expr, col
from fuseplug.exceptions import SerializationError
try:
    Expr.from_bytes({data!r})
except SerializationError as e:
    print("decode:", e)
import fuseplug, pyarrow as pa
f = fuseplug.udf(lambda a: a, [pa.int64()], pa.int64(), name="ident")
try:
    f(col("x")).to_bytes()
except SerializationError as e:
    print("encode:", e)
"""
    )
    assert proc.returncode == 0, proc.stderr
    assert "decode:" in proc.stdout and "encode:" in proc.stdout
    assert proc.stdout.count("pip install cloudpickle") == 2


@pytest.mark.parametrize(
    "data", [b"", b"\x00garbage\xff" * 10, b"FPc\x01\xff", b"DFPYUDF", b"\x12\x04FPmt"]
)
def test_garbage_is_a_serialization_error_everywhere(data: bytes) -> None:
    ctx = SessionContext()
    for decode in (
        lambda: LogicalPlan.from_bytes(ctx, data),
        lambda: ExecutionPlan.from_bytes(ctx, data),
        lambda: Expr.from_bytes(data, ctx),
        lambda: ipc._dataframe_from_bytes(data),
    ):
        with pytest.raises(SerializationError):
            decode()


# API shapes --------------------------------------------------------------------------------------


def test_plan_to_proto_and_from_proto_are_deprecated_aliases() -> None:
    ctx = SessionContext()
    df = ctx.sql("SELECT 1 AS one")
    assert not hasattr(Expr, "to_proto")  # as in the official bindings: plans only
    with pytest.warns(DeprecationWarning, match="use to_bytes"):
        logical = df.logical_plan().to_proto()
    with pytest.warns(DeprecationWarning, match="use from_bytes"):
        LogicalPlan.from_proto(ctx, logical)
    with pytest.warns(DeprecationWarning, match="use to_bytes"):
        physical = df.execution_plan().to_proto()
    with pytest.warns(DeprecationWarning, match="use from_bytes"):
        ExecutionPlan.from_proto(ctx, physical)


def test_ipc_slots_are_per_thread_and_clearable() -> None:
    import threading

    ctx = SessionContext()
    ipc.set_worker_ctx(ctx)
    ipc.set_sender_ctx(ctx)
    seen: list[object] = []
    thread = threading.Thread(
        target=lambda: seen.extend([ipc.get_worker_ctx(), ipc.get_sender_ctx()])
    )
    thread.start()
    thread.join()
    try:
        assert ipc.get_worker_ctx() is ctx and ipc.get_sender_ctx() is ctx
        assert seen == [None, None]
    finally:
        ipc.clear_worker_ctx()
        ipc.clear_sender_ctx()
    assert ipc.get_worker_ctx() is None and ipc.get_sender_ctx() is None
    assert SessionContext.global_ctx() is SessionContext.global_ctx()


def test_pickle_uses_the_sender_and_worker_contexts() -> None:
    sender = SessionContext()
    df = frame(sender)
    strict = sender.with_python_udf_inlining(enabled=False)
    ipc.set_sender_ctx(strict)
    try:
        blobs = {
            "df": pickle.dumps(df),
            "logical": pickle.dumps(df.logical_plan()),
            "physical": pickle.dumps(df.execution_plan()),
        }
    finally:
        ipc.clear_sender_ctx()
    for blob in blobs.values():
        assert b"DFPYUDF" not in blob  # by name: the sender was strict
        with pytest.raises(SerializationError, match=r"triple|total|running"):
            pickle.loads(blob)  # the global context has none of them
    worker = SessionContext()
    worker.register_udf(udfs()[0])
    worker.register_udaf(udfs()[1])
    worker.register_udwf(udfs()[2])
    ipc.set_worker_ctx(worker)
    try:
        restored = pickle.loads(blobs["df"])
        assert restored.to_pydict() == EXPECTED
        logical = pickle.loads(blobs["logical"])
        assert worker.create_dataframe_from_logical_plan(logical).to_pydict() == EXPECTED
        physical = pickle.loads(blobs["physical"])
        assert isinstance(physical, ExecutionPlan)
        # the query ends in ORDER BY g: one sorted partition, run on the worker context whose
        # functions the plan was decoded with
        assert physical.partition_count == 1
        batches = [batch.to_pyarrow() for batch in worker.execute(physical, 0)]
        assert pa.Table.from_batches(batches).to_pydict() == EXPECTED
    finally:
        ipc.clear_worker_ctx()


# plugins -----------------------------------------------------------------------------------------

PLUGIN_AND_NATIVE = """
import json, sys
import fuseplug
import fuseplug_ffi_example as ex
from fuseplug import LogicalPlan

mode = sys.argv[1] if len(sys.argv) > 1 else "{mode}"
out = {{}}
if mode == "encode":
    lc, pc = ex.CountingLogicalCodec(), ex.CountingPhysicalCodec()
    ctx = (
        fuseplug.SessionContext()
        .with_logical_extension_codec(lc)
        .with_physical_extension_codec(pc)
    )
    ctx.register_udf(fuseplug.udf(ex.DoubleUdf()))
    ctx.load_extension("fuseplug_native_example")
    ctx.from_pydict({{"x": [1, 2], "s": ["ab", "xyz"]}}, name="t")
    df = ctx.sql("SELECT double(x) AS d, example_reverse(s) AS r FROM t ORDER BY x")
    out["expected"] = df.to_pydict()
    before = (dict(lc.calls), dict(pc.calls))
    out["logical"] = df.logical_plan().to_bytes(ctx).hex()
    out["physical"] = df.execution_plan().to_bytes(ctx).hex()
    out["encode calls"] = [lc.calls.get("try_encode_udf", 0) - before[0].get("try_encode_udf", 0),
                           pc.calls.get("try_encode_udf", 0) - before[1].get("try_encode_udf", 0)]
else:
    data = json.loads(sys.stdin.read())
    lc, pc = ex.CountingLogicalCodec(), ex.CountingPhysicalCodec()
    ctx = (
        fuseplug.SessionContext()
        .with_logical_extension_codec(lc)
        .with_physical_extension_codec(pc)
    )
    plan = LogicalPlan.from_bytes(ctx, bytes.fromhex(data["logical"]))
    out["rows"] = ctx.create_dataframe_from_logical_plan(plan).to_pydict()
    physical = fuseplug.ExecutionPlan.from_bytes(ctx, bytes.fromhex(data["physical"]))
    out["physical rows"] = [
        row for p in range(physical.partition_count)
        for b in ctx.execute(physical, p) for row in b.to_pyarrow().to_pylist()
    ]
    out["decode calls"] = [lc.calls.get("try_decode_udf", 0), pc.calls.get("try_decode_udf", 0)]
    out["native loaded"] = ctx.function("example_longest").name
    strict = fuseplug.SessionContext().with_logical_extension_codec(
        ex.CountingLogicalCodec()
    ).with_python_udf_inlining(enabled=False)
    try:
        LogicalPlan.from_bytes(strict, bytes.fromhex(data["logical"]))
    except fuseplug.exceptions.SerializationError as e:
        out["strict"] = str(e)
    # a strict session that already loaded the extension uses its registered function
    ready = fuseplug.SessionContext().with_logical_extension_codec(
        ex.CountingLogicalCodec()
    ).with_python_udf_inlining(enabled=False)
    ready.load_extension("fuseplug_native_example")
    plan = LogicalPlan.from_bytes(ready, bytes.fromhex(data["logical"]))
    out["strict, loaded"] = ready.create_dataframe_from_logical_plan(plan).to_pydict()
print(json.dumps(out))
"""


def test_plugin_and_native_functions_decode_in_a_fresh_process(tmp_path: Path) -> None:
    import subprocess

    script = tmp_path / "plugin_and_native.py"
    script.write_text(PLUGIN_AND_NATIVE.format(mode="encode"))
    encoded = subprocess.run(
        [sys.executable, str(script), "encode"], capture_output=True, text=True, timeout=120
    )
    assert encoded.returncode == 0, encoded.stderr
    sent = json.loads(encoded.stdout.strip().splitlines()[-1])
    assert sent["expected"] == {"d": [2, 4], "r": ["ba", "zyx"]}
    # the counting codecs wrote the plugin UDF's payload in both plans
    assert sent["encode calls"][0] >= 1 and sent["encode calls"][1] >= 1
    decoded = subprocess.run(
        [sys.executable, str(script), "decode"],
        input=json.dumps(sent),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert decoded.returncode == 0, decoded.stderr
    got = json.loads(decoded.stdout.strip().splitlines()[-1])
    assert got["rows"] == sent["expected"]
    assert sorted(got["physical rows"], key=lambda r: r["d"]) == [
        {"d": 2, "r": "ba"},
        {"d": 4, "r": "zyx"},
    ]
    assert got["decode calls"][0] >= 1 and got["decode calls"][1] >= 1
    # the decoding session loaded the extension the plan named: all its functions are there
    assert got["native loaded"] == "example_longest"
    assert "refusing to load the native library" in got["strict"]
    assert got["strict, loaded"] == sent["expected"]
    assert STRICT in got["strict"]


def test_copying_a_dataframe_keeps_its_session() -> None:
    import copy

    ctx = SessionContext()
    ctx.register_udf(fuseplug.udf(triple, [pa.int64()], pa.int64(), name="triple"))
    df = ctx.sql("SELECT triple(2) AS v")
    assert copy.copy(df) is df and copy.deepcopy(df) is df
