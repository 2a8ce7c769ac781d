"""Several threads share one SessionContext and run queries at the same time."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from fuseplug import SessionConfig, SessionContext, col, lit, udf
from fuseplug import functions as f


def test_parallel_sql_queries_on_one_context(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE nums AS SELECT value AS v FROM range(200000)")

    def query(k: int) -> tuple[int, int]:
        out = ctx.sql(f"SELECT count(*) AS n, sum(v) AS s FROM nums WHERE v % 16 = {k}")
        row = out.to_pylist()[0]
        return row["n"], row["s"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(query, range(16)))
    expected = [(len(range(k, 200000, 16)), sum(range(k, 200000, 16))) for k in range(16)]
    assert results == expected


def test_parallel_dataframe_pipelines(ctx: SessionContext) -> None:
    base = ctx.from_pydict({"g": [i % 5 for i in range(10000)], "x": list(range(10000))})

    def pipeline(threshold: int) -> dict[int, int]:
        df = base.filter(col("x") >= lit(threshold)).aggregate(
            [col("g")], [f.sum(col("x")).alias("s")]
        )
        return {r["g"]: r["s"] for r in df.to_pylist()}

    thresholds = [0, 100, 2500, 5000, 7500, 9999, 42, 1234]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(pipeline, thresholds))
    for threshold, got in zip(thresholds, results, strict=True):
        expected: dict[int, int] = {}
        for x in range(threshold, 10000):
            expected[x % 5] = expected.get(x % 5, 0) + x
        assert got == expected


def test_parallel_queries_calling_a_python_udf() -> None:
    # fuseplug's tokio runtime has one worker thread per CPU; with several partitions the UDF runs
    # on those workers, so it must see more than one thread whenever there is more than one CPU.
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cpus or 1) < 2:
        pytest.skip("one CPU: the runtime has a single worker thread")
    ctx = SessionContext(SessionConfig().with_target_partitions(4))
    calls_by_thread: set[int] = set()
    lock = threading.Lock()

    def add_one(values: pa.Array) -> pa.Array:
        with lock:
            calls_by_thread.add(threading.get_ident())
        return pc.add(values, 1)

    ctx.register_udf(udf(add_one, [pa.int64()], pa.int64(), "immutable", name="add_one"))
    ctx.sql("CREATE TABLE t AS SELECT value AS v FROM range(50000)")
    plan = "\n".join(ctx.sql("EXPLAIN SELECT v FROM t").to_pydict()["plan"])
    assert "partitions=4" in plan

    def query(k: int) -> int:
        sql = f"SELECT sum(add_one(v)) AS s FROM t WHERE v < {k * 1000}"
        return ctx.sql(sql).to_pylist()[0]["s"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(query, range(1, 13)))
    assert results == [sum(range(1, k * 1000 + 1)) for k in range(1, 13)]
    assert len(calls_by_thread) > 1


def test_parallel_registration_and_queries(ctx: SessionContext) -> None:
    def register_and_read(i: int) -> int:
        name = f"t{i}"
        ctx.from_pydict({"v": list(range(i + 1))}, name=name)
        return ctx.sql(f"SELECT sum(v) AS s FROM {name}").to_pylist()[0]["s"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(register_and_read, range(20)))
    assert results == [sum(range(i + 1)) for i in range(20)]
    assert all(ctx.table_exist(f"t{i}") for i in range(20))


def test_parallel_streams(ctx: SessionContext) -> None:
    def stream_sum(n: int) -> int:
        total = 0
        for batch in ctx.sql(f"SELECT value FROM range({n})").execute_stream():
            arrow = batch.to_pyarrow() if hasattr(batch, "to_pyarrow") else batch
            total += pc.sum(arrow.column(0)).as_py() or 0
        return total

    sizes = [10, 1000, 50000, 123456]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(stream_sum, sizes))
    assert results == [n * (n - 1) // 2 for n in sizes]
