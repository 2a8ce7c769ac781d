"""Plans that travel to worker processes (multiprocessing, spawn and forkserver; never fork, which
deadlocks with tokio): DataFrames, expressions and physical-plan partitions with Python scalar,
aggregate and window UDFs (module-level and closures) over in-memory tables. Every result is
compared row by row with the same query run in this process."""

from __future__ import annotations

import multiprocessing
import pickle
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from travel import EXPECTED, frame

import fuseplug
from fuseplug import ExecutionPlan, SessionConfig, SessionContext, col, ipc

METHODS = [m for m in ("spawn", "forkserver") if m in multiprocessing.get_all_start_methods()]

# Worker start-up imports fuseplug and pyarrow: give the pool time on a loaded 2-core machine.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(params=METHODS)
def pool(request: pytest.FixtureRequest) -> Iterator[Any]:
    context = multiprocessing.get_context(request.param)
    with context.Pool(2, initializer=init_worker) as workers:
        yield workers


# What runs in the workers (module level, so spawn can import it by name).


def init_worker() -> None:
    """Each worker decodes on its own context, with 4 target partitions."""
    ipc.set_worker_ctx(SessionContext(SessionConfig().with_target_partitions(4)))


def collect_frame(df: fuseplug.DataFrame) -> dict[str, list[Any]]:
    return df.to_pydict()


def select_over(expr: fuseplug.Expr, data: dict[str, list[Any]]) -> dict[str, list[Any]]:
    ctx = ipc.get_worker_ctx()
    assert ctx is not None
    return ctx.from_pydict(data).select(expr.alias("y")).to_pydict()


def run_partition(plan: ExecutionPlan, partition: int) -> list[dict[str, Any]]:
    ctx = ipc.get_worker_ctx()
    assert ctx is not None
    return [row for batch in ctx.execute(plan, partition) for row in batch.to_pyarrow().to_pylist()]


def closure_udf(factor: int) -> fuseplug.ScalarUDF:
    """A UDF whose body and captured value only exist by value: cloudpickle must inline them."""
    return fuseplug.udf(
        lambda a: pc.add(pc.multiply(a, factor), 1), [pa.int64()], pa.int64(), name="affine"
    )


def test_dataframe_with_every_udf_kind_runs_in_a_worker(pool: Any) -> None:
    df = frame(SessionContext())
    assert pool.apply(collect_frame, (df,)) == EXPECTED == df.to_pydict()


def test_closures_travel_by_value(pool: Any) -> None:
    affine = closure_udf(5)
    data = {"x": [1, 2, 3]}
    local = SessionContext().from_pydict(data).select(affine(col("x")).alias("y")).to_pydict()
    assert pool.apply(select_over, (affine(col("x")), data)) == local == {"y": [6, 11, 16]}


def test_partitions_of_one_plan_run_in_separate_workers(pool: Any) -> None:
    ctx = SessionContext(SessionConfig().with_target_partitions(4))
    affine = closure_udf(2)
    table = pa.table({"k": [i % 7 for i in range(1_000)], "v": list(range(1_000))})
    ctx.from_arrow(table, name="t")
    ctx.register_udf(affine)
    df = ctx.sql("SELECT k, sum(affine(v)) AS s, count(*) AS n FROM t GROUP BY k")
    plan = df.execution_plan()
    assert plan.partition_count > 1
    expected = sorted(df.to_pylist(), key=lambda r: r["k"])
    # each job pickles the plan (Python UDF and in-memory table inline) for its worker
    jobs = [pool.apply_async(run_partition, (plan, p)) for p in range(plan.partition_count)]
    rows = [row for job in jobs for row in job.get(timeout=240)]
    assert sorted(rows, key=lambda r: r["k"]) == expected
    assert len(expected) == 7


def test_strict_worker_refuses_inline_python(pool: Any) -> None:
    df = frame(SessionContext())
    blob = pickle.dumps(df)
    result = pool.apply(decode_strictly, (blob,))
    assert "with_python_udf_inlining(enabled=False)" in result


def decode_strictly(blob: bytes) -> str:
    ipc.set_worker_ctx(SessionContext().with_python_udf_inlining(enabled=False))
    try:
        pickle.loads(blob)
    except fuseplug.exceptions.SerializationError as e:
        return str(e)
    finally:
        init_worker()
    return "decoded"
