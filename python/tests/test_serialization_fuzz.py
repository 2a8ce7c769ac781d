"""Fuzzing every decoder, in child processes, so a crash fails the test instead of ending the run;
in the children, every failure must be a ``SerializationError`` (docs/serialization.md, "Errors").

- Byte level: mutated real payloads (bit flips, truncations, splices, insertions) go to every
  ``from_bytes`` and, wrapped in a well-formed pickle, to ``pickle.loads``.
- Structure-aware: real payloads are decoded as protobuf messages and mutated field by field
  (below), then decoded by fuseplug; what decodes is displayed and encoded again."""

from __future__ import annotations

import datetime
import decimal
import faulthandler
import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from test_serialization_limits import binary, compressed_literal, nested_fsl, null_literal
from test_serialization_protobuf import ROOTS, SCHEMA, Msg, clone, decode, encode, walk

import fuseplug
from fuseplug import ExecutionPlan, Expr, LogicalPlan, SessionContext, col, lit
from fuseplug import functions as f
from fuseplug.exceptions import SerializationError

RunPython = Callable[..., Any]

MUTATIONS = 2_400

FUZZ = """
import json, pickle, random, sys
import pyarrow as pa, pyarrow.compute as pc
import fuseplug
from fuseplug import ExecutionPlan, Expr, LogicalPlan, SessionContext, col, ipc
from fuseplug.exceptions import SerializationError

random.seed(20261130)
ctx = SessionContext()
ctx.from_pydict({"g": ["a", "b", "a"], "x": [1, 2, 3]}, name="t")
ctx.register_udf(fuseplug.udf(lambda a: pc.multiply(a, 2), [pa.int64()], pa.int64(), name="dbl"))
df = ctx.sql("SELECT g, sum(dbl(x)) AS s FROM t WHERE x > 1 GROUP BY g ORDER BY g")
seeds = {
    "logical": df.logical_plan().to_bytes(ctx),
    "physical": df.execution_plan().to_bytes(ctx),
    "expr": ctx.function("dbl")(col("x") + 1).to_bytes(ctx),
}
decoders = {
    "logical": lambda b: LogicalPlan.from_bytes(ctx, b),
    "physical": lambda b: ExecutionPlan.from_bytes(ctx, b),
    "expr": lambda b: Expr.from_bytes(b, ctx),
}
unpicklers = {
    "logical": ipc._logical_plan_from_bytes,
    "physical": ipc._execution_plan_from_bytes,
    "expr": Expr._reconstruct,
    "dataframe": ipc._dataframe_from_bytes,
}

class Reduced:
    # a well-formed pickle around a mutated payload, as a tampered pickle of our objects would be
    def __init__(self, fn, data):
        self.fn, self.data = fn, data
    def __reduce__(self):
        return (self.fn, (self.data,))

all_seeds = list(seeds.values())

def mutate(data):
    kind = random.randrange(4)
    b = bytearray(data)
    if kind == 0:  # bit flips
        for _ in range(random.randint(1, 8)):
            i = random.randrange(len(b))
            b[i] ^= 1 << random.randrange(8)
    elif kind == 1:  # truncation
        b = b[: random.randrange(len(b))]
    elif kind == 2:  # splice with another real payload
        other = random.choice(all_seeds)
        b = b[: random.randrange(len(b) + 1)] + other[random.randrange(len(other)):]
    else:  # random bytes inserted
        i = random.randrange(len(b) + 1)
        b[i:i] = random.randbytes(random.randint(1, 16))
    return bytes(b)

counts = {"mutations": 0, "decoded": 0, "refused": 0, "other": []}
for n in range(MUTATIONS):
    name = random.choice(list(seeds))
    data = mutate(seeds[name])
    counts["mutations"] += 1
    for target, call in (
        ("from_bytes", lambda: decoders[name](data)),
        ("pickle", lambda: pickle.loads(pickle.dumps(Reduced(
            unpicklers["dataframe" if name == "logical" and n % 2 else name], data)))),
    ):
        try:
            call()
            counts["decoded"] += 1
        except SerializationError:
            counts["refused"] += 1
        except BaseException as e:  # anything else is a finding
            counts["other"].append(f"{target} {name}: {type(e).__name__}: {e}"[:300])
print(json.dumps(counts))
"""


@pytest.mark.timeout(900)
def test_mutated_payloads_never_crash_and_only_raise_serialization_errors(
    run_python: RunPython,
) -> None:
    proc = run_python(FUZZ.replace("MUTATIONS", str(MUTATIONS)), timeout=600)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr[-4000:]}"
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert counts["mutations"] == MUTATIONS >= 2_000
    assert counts["other"] == [], counts["other"][:20]
    # most mutations must be refused, and every call ended one way or the other
    assert counts["refused"] > MUTATIONS
    assert counts["decoded"] + counts["refused"] == 2 * MUTATIONS


# ---------------------------------------------------------------------------------------------
# The structure-aware fuzzer: real payloads of many kinds of plans and expressions are decoded as
# protobuf messages with DataFusion's schema (test_serialization_protobuf.py), mutated field by
# field (delete, duplicate, reorder, renumber, extreme varints, other payloads, deep nesting,
# splices from other messages, blown-up repeated fields, patched Arrow IPC), re-encoded and
# decoded by fuseplug. Batches run in child processes, two at a time; before each input the
# child writes it to a file, so a crash fails the test with the batch, input number and input.

STRUCTURE_SEED = 20261207
BATCHES = 4
PER_BATCH = 2_600  # 10,400 inputs in all
INPUT_SECONDS = 30  # an input that takes longer to decode, display and encode is a hang

SQL = [
    "SELECT g, sum(x) AS s, count(*) AS n FROM t WHERE x > 1 AND y < 10.5 OR s = 'a' GROUP BY g",
    "SELECT t.g, u.id, p.v FROM t JOIN u ON t.x = u.id LEFT JOIN p ON p.k = t.x ORDER BY u.id",
    "SELECT x, row_number() OVER (PARTITION BY g ORDER BY x) AS r, sum(y) OVER () FROM t",
    "SELECT x FROM t UNION ALL SELECT id FROM u UNION ALL SELECT k FROM p",
    "SELECT make_array(1, 2, x) AS a, named_struct('a', 1, 'b', 'x') AS st, "
    "arrow_cast(make_array(1, 2), 'FixedSizeList(2, Int64)') AS f, map(['k'], [1]) AS m, "
    "arrow_cast('x', 'Dictionary(Int32, Utf8)') AS d, CAST(1.25 AS DECIMAL(10, 2)) AS dec, "
    "make_array(make_array(1), make_array(2, 3)) AS ll FROM t",
    "SELECT CASE WHEN x IN (1, 2, 3) THEN 'a' WHEN x BETWEEN 4 AND 6 THEN 'b' ELSE NULL END, "
    "s LIKE 'a%', CAST(x AS VARCHAR), -x, NOT (x = 1) FROM t "
    "WHERE s IS NOT NULL AND x NOT IN (SELECT id FROM u)",
    "SELECT * FROM u ORDER BY id DESC LIMIT 2",
    "SELECT g, s, sum(x), dbl(x) FROM t GROUP BY ROLLUP(g, s), dbl(x)",
    "SELECT id, l[1], st['a'], m['k'], fsl, dict, dec FROM u WHERE l[1] > 0 AND st['a'] = 1",
    "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(a, b) WHERE a > 1",
    "SELECT k, v FROM p WHERE k > 1 AND v <> 'q' AND k IN (2, 3, 5)",
    "SELECT x + 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8, x * y - x / 2 FROM t",
]

EXTREMES = [
    0, 1, 2, 3, 7, 8, 100, 127, 128, 255, 256, 1 << 15, 1 << 16, (1 << 31) - 1, 1 << 31,
    (1 << 32) - 1, 1 << 32, 1 << 40, 1 << 53, (1 << 63) - 1, 1 << 63, (1 << 64) - 1,
    (1 << 64) - 2, (1 << 64) - (1 << 31), (1 << 64) - 256,
]  # fmt: skip

#: Length-delimited fields that hold Arrow IPC (message, field numbers).
IPC_FIELDS = {
    ("datafusion_common.ScalarNestedValue", 1),
    ("datafusion_common.ScalarNestedValue", 2),
    ("datafusion_common.ScalarNestedValue.Dictionary", 1),
    ("datafusion_common.ScalarNestedValue.Dictionary", 2),
    ("datafusion.MemoryScanExecNode", 1),
}


def structure_seeds(workdir: str) -> tuple[SessionContext, dict[str, list[bytes]]]:
    """A session with tables of many types, and real payloads of plans and expressions by root."""
    ctx = SessionContext()
    ctx.from_pydict(
        {"g": ["a", "b", "a", None], "x": [1, 2, 3, 4], "y": [0.5, 1.5, None, 3.5],
         "s": ["a", "bb", None, "ccc"]},
        name="t",
    )  # fmt: skip
    ctx.from_arrow(
        pa.table({
            "id": pa.array([1, 2, 3], pa.int64()),
            "l": pa.array([[1, 2], None, [3]]),
            "st": pa.array([{"a": 1, "b": "x"}, None, {"a": 3, "b": None}]),
            "m": pa.array([[("k", 1)], [], None], pa.map_(pa.string(), pa.int64())),
            "fsl": pa.array([[1, 2], None, [5, 6]], pa.list_(pa.int32(), 2)),
            "dict": pa.array(["p", "q", "p"]).dictionary_encode(),
            "dec": pa.array([decimal.Decimal("1.5"), None, decimal.Decimal("-2.25")],
                            pa.decimal128(12, 2)),
            "n": pa.array([None, None, None]),
            "sv": pa.array(["a", None, "a string longer than twelve"], pa.string_view()),
            "ts": pa.array([datetime.datetime(2026, 1, 1)] * 3, pa.timestamp("us", "UTC")),
        }),
        name="u",
    )  # fmt: skip
    path = f"{workdir}/p.parquet"
    pq.write_table(pa.table({"k": [1, 2, 3, 4], "v": ["q", "r", "s", "t"]}), path)
    os.utime(path, (1_700_000_000, 1_700_000_000))  # plans carry it: the same bytes every run
    ctx.register_parquet("p", path)
    ctx.register_udf(
        fuseplug.udf(lambda a: pc.multiply(a, 2), [pa.int64()], pa.int64(), "immutable", "dbl")
    )
    seeds: dict[str, list[bytes]] = {"logical": [], "physical": [], "expr": []}
    for sql in SQL:
        df = ctx.sql(sql)
        seeds["logical"].append(df.optimized_logical_plan().to_bytes(ctx))
        seeds["physical"].append(df.execution_plan().to_bytes(ctx))
        try:
            seeds["logical"].append(df.logical_plan().to_bytes(ctx))
        except SerializationError:
            pass  # outer references (correlated subqueries) do not serialize unoptimized
    values = [
        pa.scalar([1, 2, 3]),
        pa.scalar([[1, 2], [3, 4]], pa.list_(pa.list_(pa.int64(), 2), 2)),
        pa.scalar(None, pa.list_(pa.list_(pa.int32(), 3), 2)),
        pa.scalar({"a": 1, "b": [1.5, None]}),
        pa.scalar([("k", 1)], pa.map_(pa.string(), pa.int64())),
        pa.scalar(["a", "b", "a"], pa.list_(pa.dictionary(pa.int32(), pa.string()))),
        pa.scalar("x", pa.dictionary(pa.int32(), pa.string())),
        pa.scalar([decimal.Decimal("1.23")], pa.list_(pa.decimal128(10, 2))),
        pa.scalar(decimal.Decimal("-7.5"), pa.decimal256(40, 3)),
        pa.scalar(b"abcd", pa.binary(4)),
        pa.scalar(["x", None, "a string longer than twelve"], pa.list_(pa.string_view())),
        pa.scalar([1, 2], pa.list_view(pa.int32())),
        pa.scalar([1, 2], pa.large_list(pa.int16())),
        pa.scalar([None, None], pa.list_(pa.null())),
        pa.scalar([datetime.date(2026, 1, 1)], pa.list_(pa.date32())),
    ]
    exprs = [lit(v) for v in values] + [
        col("x") + lit(1) * col("y") - lit(2.5),
        (col("x") > 1) & (col("s") == "a") | col("y").is_null(),
        f.concat(col("s"), lit("!")).alias("c"),
        f.sum(col("x")).alias("total"),
        col("x").cast(pa.list_(pa.int64(), 3)),
        f.case(col("x")).when(lit(1), lit("one")).otherwise(lit("many")),
        col("x").between(lit(1), lit(5)),
        col("x").isin([lit(1), lit(2), lit(3)]),
        ctx.function("dbl")(col("x")),
    ]
    seeds["expr"] = [e.to_bytes(ctx) for e in exprs]
    seeds["expr"] += [
        compressed_literal("lz4"),
        null_literal(nested_fsl([3, 2])),
        binary(100),
    ]
    return ctx, seeds


#: The mutations of :class:`Mutator`, by method name, with their weights.
KINDS = {
    "delete": 3, "duplicate": 3, "reorder": 1, "renumber": 2, "varint": 5, "payload": 4,
    "ipc": 4, "nest": 2, "splice": 3, "confuse": 1, "blow_up": 1, "wire": 1, "unknown": 1,
}  # fmt: skip


class Mutator:
    """Field-level mutations of decoded messages (``Msg`` trees)."""

    def __init__(self, rng: random.Random, pool: dict[str, list[Msg]]) -> None:
        self.rng = rng
        self.pool = pool  # every message of every seed, by type name

    def mutate(self, root: Msg) -> list[str]:
        done = []
        for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3))):
            nodes = [m for m, _ in walk(root)]
            node = self.rng.choice(nodes)
            kind = self.rng.choices(list(KINDS), weights=list(KINDS.values()))[0]
            if getattr(self, kind)(node, nodes):
                done.append(f"{kind}@{node.type_name}")
        return done

    def delete(self, node: Msg, nodes: list[Msg]) -> bool:
        if not node.fields:
            return False
        del node.fields[self.rng.randrange(len(node.fields))]
        return True

    def duplicate(self, node: Msg, nodes: list[Msg]) -> bool:
        if not node.fields:
            return False
        i = self.rng.randrange(len(node.fields))
        number, wire, value = node.fields[i]
        node.fields.insert(i, [number, wire, clone(value) if isinstance(value, Msg) else value])
        return True

    def reorder(self, node: Msg, nodes: list[Msg]) -> bool:
        self.rng.shuffle(node.fields)
        return len(node.fields) > 1

    def renumber(self, node: Msg, nodes: list[Msg]) -> bool:
        known = list(SCHEMA.messages.get(node.type_name, {}))
        if not node.fields or not known:
            return False
        self.rng.choice(node.fields)[0] = self.rng.choice(known)
        return True

    def varint(self, node: Msg, nodes: list[Msg]) -> bool:
        candidates = [f for m in nodes for f in m.fields if f[1] == 0]
        if not candidates:
            return False
        target = self.rng.choice(candidates)
        target[2] = self.rng.choice(EXTREMES) if self.rng.random() < 0.8 else target[2] ^ 1
        return True

    def payload(self, node: Msg, nodes: list[Msg]) -> bool:
        candidates = [f for m in nodes for f in m.fields if f[1] == 2 and isinstance(f[2], bytes)]
        if not candidates:
            return False
        target = self.rng.choice(candidates)
        target[2] = self.bytes_mutation(target[2])
        return True

    def bytes_mutation(self, data: bytes) -> bytes:
        rng, b = self.rng, bytearray(data)
        kind = rng.randrange(5)
        if kind == 0 and b:  # bit flips
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)
        elif kind == 1:  # truncate
            b = b[: rng.randrange(len(b) + 1)]
        elif kind == 2:  # extend
            b += rng.randbytes(rng.randint(1, 64))
        elif kind == 3:  # random bytes
            b = bytearray(rng.randbytes(rng.randint(0, 32)))
        elif b:  # an aligned integer to an extreme value
            width = rng.choice((4, 8))
            i = rng.randrange(0, max(len(b) - width, 0) + 1, width)
            b[i : i + width] = (rng.choice(EXTREMES) & ((1 << (8 * width)) - 1)).to_bytes(
                width, "little"
            )[: len(b) - i]
        return bytes(b)

    def ipc(self, node: Msg, nodes: list[Msg]) -> bool:
        """Patches integers of Arrow IPC: field node lengths and null counts, buffer offsets and
        lengths, body lengths, compressed sizes all live in aligned little-endian integers."""
        candidates = [
            f
            for m in nodes
            for f in m.fields
            if (m.type_name, f[0]) in IPC_FIELDS and isinstance(f[2], bytes) and f[2]
        ]
        if not candidates:
            return False
        target = self.rng.choice(candidates)
        b = bytearray(target[2])
        for _ in range(self.rng.randint(1, 3)):
            width = self.rng.choice((8, 8, 4))
            i = self.rng.randrange(0, max(len(b) - width, 0) + 1, width)
            value = self.rng.choice(EXTREMES) if self.rng.random() < 0.7 else self.rng.randrange(64)
            b[i : i + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
        target[2] = bytes(b[: len(target[2])])
        return True

    def nest(self, node: Msg, nodes: list[Msg]) -> bool:
        """Replaces a descendant of the same type by the node itself, many times over (up to
        about 250 levels more: far past the nesting limit, within Python's recursion limit)."""

        def slots(inner: Msg) -> list[tuple[int, list]]:
            return [(depth, f) for m, depth in walk(inner) for f in m.fields
                    if isinstance(f[2], Msg) and f[2].type_name == node.type_name]  # fmt: skip

        if not slots(node):
            return False
        levels, added = self.rng.choice((2, 10, 30, 60, 120)), 0
        template = clone(node)
        inner = node
        for _ in range(levels):
            candidates = slots(inner)
            if not candidates or added > 250:
                break
            depth, slot = self.rng.choice(candidates)
            slot[2] = clone(template)
            inner, added = slot[2], added + depth + 1
        return True

    def splice(self, node: Msg, nodes: list[Msg]) -> bool:
        """Replaces a message field by a message of the same type from any seed."""
        fields = [f for f in node.fields if isinstance(f[2], Msg)]
        if not fields:
            return False
        target = self.rng.choice(fields)
        donors = self.pool.get(target[2].type_name)
        if not donors:
            return False
        target[2] = clone(self.rng.choice(donors))
        return True

    def confuse(self, node: Msg, nodes: list[Msg]) -> bool:
        """Puts a message of another type where a message belongs."""
        fields = [f for f in node.fields if isinstance(f[2], Msg)]
        if not fields:
            return False
        donors = self.pool[self.rng.choice(list(self.pool))]
        self.rng.choice(fields)[2] = clone(self.rng.choice(donors))
        return True

    def blow_up(self, node: Msg, nodes: list[Msg]) -> bool:
        """Repeats one field hundreds to thousands of times (operands, inputs, columns...)."""
        if not node.fields:
            return False
        i = self.rng.randrange(len(node.fields))
        count = self.rng.choice((100, 1000, 3000))
        # the same field object, so later mutations of it change every copy alike
        node.fields[i + 1 : i + 1] = [node.fields[i]] * count
        return True

    def wire(self, node: Msg, nodes: list[Msg]) -> bool:
        if not node.fields:
            return False
        target = self.rng.choice(node.fields)
        target[1], target[2] = self.rng.choice(
            [(0, self.rng.choice(EXTREMES)), (1, self.rng.randbytes(8)), (5, self.rng.randbytes(4)),
             (2, self.rng.randbytes(self.rng.randrange(16)))]
        )  # fmt: skip
        return True

    def unknown(self, node: Msg, nodes: list[Msg]) -> bool:
        number = self.rng.choice((99, 1000, (1 << 29) - 1))
        node.fields.insert(self.rng.randrange(len(node.fields) + 1), [number, 2, b"\x08\x01"])
        return True


def fuzz_batch(batch: int, count: int, progress: str, workdir: str) -> dict[str, Any]:
    """Runs ``count`` mutated inputs; writes each to ``progress`` before decoding it, and each
    that raises another class than ``SerializationError`` to ``workdir``."""
    sys.setrecursionlimit(10_000)  # the trees of nested mutations are a few hundred levels deep
    rng = random.Random(STRUCTURE_SEED * 100 + batch)
    ctx, seeds = structure_seeds(workdir)
    decoded = {root: [decode(b, ROOTS[root]) for b in seeds[root]] for root in seeds}
    pool: dict[str, list[Msg]] = {}
    for msgs in decoded.values():
        for msg in msgs:
            for m, _ in walk(msg):
                pool.setdefault(m.type_name, []).append(m)
    mutator = Mutator(rng, pool)
    decoders = {
        "logical": lambda b: LogicalPlan.from_bytes(ctx, b),
        "physical": lambda b: ExecutionPlan.from_bytes(ctx, b),
        "expr": lambda b: Expr.from_bytes(b, ctx),
    }
    counts: dict[str, Any] = {"inputs": 0, "decoded": 0, "refused": 0, "other": []}
    counts.update(kinds={}, reasons={})
    fd = os.open(progress, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    for i in range(count):
        root = rng.choice(("logical", "logical", "physical", "physical", "expr"))
        msg = clone(rng.choice(decoded[root]))
        done = mutator.mutate(msg)
        data = encode(msg)
        header = json.dumps({"batch": batch, "input": i, "root": root, "mutations": done})
        os.ftruncate(fd, 0)
        os.pwrite(fd, header.encode() + b"\n" + data, 0)
        counts["inputs"] += 1
        for kind in done:
            name = kind.split("@")[0]
            counts["kinds"][name] = counts["kinds"].get(name, 0) + 1
        # a hang is a finding too: the child exits with a traceback, the parent reports the input
        faulthandler.dump_traceback_later(INPUT_SECONDS, exit=True)
        try:
            obj = decoders[root](data)
        except SerializationError as e:
            counts["refused"] += 1
            reason = re.sub(r"\d+", "N", str(e).partition(": ")[2])[:50]
            counts["reasons"][reason] = counts["reasons"].get(reason, 0) + 1
            faulthandler.cancel_dump_traceback_later()
            continue
        except BaseException as e:  # anything else is a finding
            counts["other"].append(finding(workdir, header, data, e))
            faulthandler.cancel_dump_traceback_later()
            continue
        counts["decoded"] += 1
        try:  # what was decoded must display and encode again
            try:
                str(obj)
            except BaseException as e:
                # DataFusion builds a Parquet scan's pruning predicate to render it and panics on
                # operands of incompatible types, which its physical decoder does not check:
                # ExecutionPlan's display turns that panic into an ExecutionError
                rendering = "rendering an execution plan" in str(e)
                if root != "physical" or type(e).__name__ != "ExecutionError" or not rendering:
                    raise
                counts["unrenderable"] = counts.get("unrenderable", 0) + 1
            obj.to_bytes(ctx)
        except SerializationError:
            pass
        except BaseException as e:
            counts["other"].append(finding(workdir, header, data, e, " (after decoding)"))
        finally:
            faulthandler.cancel_dump_traceback_later()
    os.close(fd)
    return counts


def finding(workdir: str, header: str, data: bytes, error: BaseException, when: str = "") -> str:
    """Saves an input that raised ``error`` and describes it."""
    where = json.loads(header)
    path = Path(workdir) / f"finding-{where['batch']}-{where['input']}.bin"
    path.write_bytes(data)
    return f"{header}{when}: {type(error).__name__}: {error} (input saved to {path})"[:800]


STRUCTURE_CHILD = """
import json, sys
sys.path.insert(0, TESTS)
from test_serialization_fuzz import fuzz_batch
print(json.dumps(fuzz_batch(BATCH, COUNT, PROGRESS, WORKDIR)))
"""


@pytest.mark.timeout(600)
def test_structure_aware_fuzzing_never_crashes_and_only_raises_serialization_errors(
    tmp_path: Path,
) -> None:
    tests = str(Path(__file__).resolve().parent)
    # a caught panic's backtrace costs more than the input in a dev build; a crash still reports
    env = dict(os.environ, PYTHONFAULTHANDLER="1", RUST_BACKTRACE="0")
    started = time.monotonic()
    running: list[tuple[int, subprocess.Popen[str], Path]] = []
    results: dict[int, dict[str, Any]] = {}
    pending = list(range(BATCHES))

    def finish(batch: int, proc: subprocess.Popen[str], progress: Path) -> None:
        out, _ = proc.communicate(timeout=300)
        errors = (tmp_path / f"stderr-{batch}").read_text(errors="replace")[-3000:]
        if proc.returncode != 0:
            header, _, data = (progress.read_bytes() if progress.exists() else b"").partition(b"\n")
            saved = tmp_path / f"crash-{STRUCTURE_SEED}-{batch}.bin"
            saved.write_bytes(data)
            pytest.fail(
                f"batch {batch} (seed {STRUCTURE_SEED}) exited {proc.returncode} on input "
                f"{header.decode()} ({len(data)} bytes, saved to {saved}: {data[:200].hex()})\n"
                f"{errors}"
            )
        results[batch] = json.loads(out.strip().splitlines()[-1])

    try:
        while pending or running:
            while pending and len(running) < 2:
                batch = pending.pop(0)
                progress = tmp_path / f"input-{batch}"
                workdir = tmp_path / f"work-{batch}"
                workdir.mkdir()
                code = (
                    STRUCTURE_CHILD.replace("TESTS", repr(tests))
                    .replace("BATCH", str(batch))
                    .replace("COUNT", str(PER_BATCH))
                    .replace("PROGRESS", repr(str(progress)))
                    .replace("WORKDIR", repr(str(workdir)))
                )
                with open(tmp_path / f"stderr-{batch}", "w") as stderr:
                    proc = subprocess.Popen(
                        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=stderr,
                        text=True, env=env,
                    )  # fmt: skip
                running.append((batch, proc, progress))
            batch, proc, progress = running.pop(0)
            finish(batch, proc, progress)
    finally:  # a failed batch stops the others
        for _, proc, _ in running:
            proc.kill()
            proc.communicate()

    elapsed = time.monotonic() - started
    total = {k: sum(r[k] for r in results.values()) for k in ("inputs", "decoded", "refused")}
    other = [o for r in results.values() for o in r["other"]]
    kinds: dict[str, int] = {}
    for r in results.values():
        for k, v in r["kinds"].items():
            kinds[k] = kinds.get(k, 0) + v
    print(json.dumps({**total, "seconds": round(elapsed, 1), "mutations": kinds}))
    assert total["inputs"] == BATCHES * PER_BATCH >= 10_000
    assert other == [], other[:20]
    assert total["decoded"] + total["refused"] == total["inputs"]
    # the mutations reach past the checks: some inputs still decode, most are refused
    assert total["refused"] > total["inputs"] // 2
    assert total["decoded"] > total["inputs"] // 50
    assert set(kinds) == set(KINDS)
