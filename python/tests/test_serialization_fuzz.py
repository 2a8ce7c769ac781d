"""Fuzzing every decoder: mutated real payloads (bit flips, truncations, splices, insertions) go to
every ``from_bytes`` and, wrapped in a well-formed pickle, to ``pickle.loads``. The run happens in a
child process, so a crash fails the test instead of ending the run; in the child, every failure
must be a ``SerializationError``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

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
