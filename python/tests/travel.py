"""Python UDFs and a query over an in-memory table that the serialization tests send between
sessions and processes (imported by test_serialization.py and test_workers.py; spawned workers
import it by name, so it is a module of its own)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

import fuseplug
from fuseplug import Accumulator, SessionContext, WindowEvaluator

# Functions defined here travel by reference when cloudpickle sees them importable, so the
# tests also use lambdas and closures, which travel by value.


def triple(a: pa.Array) -> pa.Array:
    return pc.multiply(a, 3)


class Total(Accumulator):
    def __init__(self) -> None:
        self.total = 0

    def update(self, *values: pa.Array) -> None:
        self.total += pc.sum(values[0]).as_py() or 0

    def merge(self, states: list[pa.Array]) -> None:
        self.total += pc.sum(states[0]).as_py() or 0

    def state(self) -> list[Any]:
        return [self.total]

    def evaluate(self) -> Any:
        return self.total


class RunningCount(WindowEvaluator):
    def evaluate_all(self, values: list[pa.Array], num_rows: int) -> pa.Array:
        return pa.array(range(1, num_rows + 1), pa.int64())


def udfs() -> tuple[fuseplug.ScalarUDF, fuseplug.AggregateUDF, fuseplug.WindowUDF]:
    scalar = fuseplug.udf(triple, [pa.int64()], pa.int64(), "immutable", name="triple")
    aggregate = fuseplug.udaf(
        Total, [pa.int64()], pa.int64(), [pa.int64()], "immutable", name="total"
    )
    window = fuseplug.udwf(RunningCount, [pa.int64()], pa.int64(), "immutable", name="running")
    return scalar, aggregate, window


def frame(ctx: SessionContext) -> fuseplug.DataFrame:
    """Python scalar, aggregate and window UDFs over an in-memory table."""
    scalar, aggregate, window = udfs()
    ctx.register_udf(scalar)
    ctx.register_udaf(aggregate)
    ctx.register_udwf(window)
    ctx.from_pydict({"g": ["a", "b", "a", "b", "a"], "x": [1, 2, 3, 4, 5]}, name="t")
    return ctx.sql(
        "SELECT g, total(triple(x)) AS s, max(n) AS n FROM "
        "(SELECT g, x, running(x) OVER (PARTITION BY g ORDER BY x) AS n FROM t) "
        "GROUP BY g ORDER BY g"
    )


EXPECTED = {"g": ["a", "b"], "s": [27, 18], "n": [3, 2]}
