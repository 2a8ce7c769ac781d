"""Distributed queries on datafusion-distributed, with fuseplug worker processes on 127.0.0.1.

Every worker here is a real process (``fuseplug worker``) started by ``LocalCluster`` and stopped by
its process id; fault tests run in a child interpreter with a timeout.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from answers import same_value

from conftest import RunPython, child
from fuseplug import SessionConfig, SessionContext, udaf, udf
from fuseplug.distributed import LocalCluster, Worker, ping
from fuseplug.exceptions import NotSupportedError, PlanError, PluginError, WorkerError

TESTS_DIR = Path(__file__).resolve().parent
ROOT = TESTS_DIR.parent.parent

#: TPC-H scale of the distributed suite (the issue's SF 0.1): big enough that Parquet scans split
#: into several tasks per stage.
DIST_SCALE = 0.1
#: Small enough that the SF 0.1 lineitem file (~25 MB) is scanned by several tasks.
BYTES_PER_PARTITION = 2 * 1024 * 1024


def worker_env() -> dict[str, str]:
    """The workers' environment: this one, with ``dist_setup`` importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    return env


@pytest.fixture(scope="module")
def cluster() -> Any:
    with LocalCluster(workers=2, setup="dist_setup:plugin_functions", env=worker_env()) as c:
        yield c


@pytest.fixture(scope="module")
def tpch_sf01(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from benchmarks import tpch

    return tpch.generate(DIST_SCALE, tmp_path_factory.mktemp("tpch-sf01"))


@pytest.fixture(scope="module")
def local_ctx(tpch_sf01: Path) -> SessionContext:
    from benchmarks import tpch

    ctx = SessionContext()
    tpch.register(ctx, tpch_sf01)
    return ctx


@pytest.fixture(scope="module")
def dist_ctx(local_ctx: SessionContext, cluster: LocalCluster) -> SessionContext:
    return local_ctx.with_distributed(workers=cluster, bytes_per_partition=BYTES_PER_PARTITION)


def same_rows_in_order(actual: pa.Table, expected: pa.Table, label: str) -> None:
    """Row for row, in order; numbers within the answers' tolerance."""
    assert actual.column_names == expected.column_names, label
    assert actual.num_rows == expected.num_rows, (
        f"{label}: {actual.num_rows} != {expected.num_rows}"
    )
    a_rows = list(zip(*[c.to_pylist() for c in actual.columns], strict=True))
    e_rows = list(zip(*[c.to_pylist() for c in expected.columns], strict=True))
    for i, (a, e) in enumerate(zip(a_rows, e_rows, strict=True)):
        assert all(same_value(x, y) for x, y in zip(a, e, strict=True)), (
            f"{label} row {i}: {a} != {e}"
        )


# --------------------------------------------------------------------------- the cluster itself


def test_local_cluster_starts_answering_workers_on_loopback(cluster: LocalCluster) -> None:
    assert len(cluster.urls) == 2 and len(set(cluster.pids)) == 2
    for url in cluster.urls:
        assert url.startswith("http://127.0.0.1:")
        import fuseplug

        assert ping(url) == fuseplug.__version__
    assert os.getpid() not in cluster.pids
    assert "LocalCluster(workers=2, http://127.0.0.1:" in repr(cluster)


def test_context_and_config_name_their_workers(cluster: LocalCluster) -> None:
    ctx = SessionContext()
    assert ctx.distributed_workers == []
    dist = ctx.with_distributed(workers=cluster)
    assert dist.distributed_workers == cluster.urls
    assert ctx.distributed_workers == [], "with_distributed returns a new context"
    config = SessionConfig().with_distributed(",".join(cluster.urls), tasks_per_stage=2)
    assert config.distributed_workers == cluster.urls
    assert config.get("distributed.max_tasks_per_stage") == "2"
    assert SessionContext(config).distributed_workers == cluster.urls


# --------------------------------------------------------------------------- TPC-H


def test_tpch_22_queries_distributed_equal_single_process(
    local_ctx: SessionContext, dist_ctx: SessionContext
) -> None:
    from benchmarks import tpch

    for n in tpch.QUERIES:
        sql = tpch.query(n)
        expected = local_ctx.sql(sql).to_arrow_table()
        actual = dist_ctx.sql(sql).to_arrow_table()
        assert expected.num_rows > 0, f"q{n:02d} has an empty answer at SF {DIST_SCALE}"
        same_rows_in_order(actual, expected, f"q{n:02d}")


def test_repeated_subplans_are_shared_locally_and_not_across_workers(
    local_ctx: SessionContext, dist_ctx: SessionContext
) -> None:
    # q15 reads its revenue view twice: one run serves both locally (test_optimizer_rules.py); a
    # distributed plan's stages run on the workers, so there each stage computes its own
    from benchmarks import tpch

    sql = tpch.query(15)
    assert local_ctx.sql(sql).execution_plan().display_indent().count("SharedExec") == 2
    assert "SharedExec" not in dist_ctx.sql(sql).execution_plan().display_indent()


def test_explain_shows_more_than_one_stage(
    dist_ctx: SessionContext, local_ctx: SessionContext
) -> None:
    from benchmarks import tpch

    sql = tpch.query(3)
    plan = dist_ctx.sql(sql).execution_plan().display_indent()
    assert "DistributedExec" in plan
    stages = {
        line.split("Stage", 1)[1].split()[0] for line in plan.splitlines() if "Stage " in line
    }
    assert len(stages) > 1, plan
    explained = dist_ctx.sql(f"EXPLAIN {sql}").to_arrow_table().to_pydict()
    physical = "\n".join(
        text
        for kind, text in zip(explained["plan_type"], explained["plan"], strict=True)
        if "physical" in kind
    )
    assert "Network" in physical and "Stage" in physical, physical
    local_plan = local_ctx.sql(sql).execution_plan().display_indent()
    assert "DistributedExec" not in local_plan


# --------------------------------------------------------------------------- what travels


def test_python_udfs_and_an_in_memory_table_run_on_the_workers(
    dist_ctx: SessionContext, local_ctx: SessionContext, cluster: LocalCluster
) -> None:
    # Defined here, so cloudpickle sends them by value: the workers cannot import this module.
    def where_am_i(x: pa.Array) -> pa.Array:
        return pa.array([os.getpid()] * len(x), pa.int64())

    def bucket(x: pa.Array) -> pa.Array:
        import pyarrow.compute as pc

        return pc.cast(pc.floor(pc.divide(pc.cast(x, pa.float64()), 10.0)), pa.int64())

    class Spread:
        """max - min of a float column: a Python aggregate with a two-value state."""

        def __init__(self) -> None:
            self.lo: float | None = None
            self.hi: float | None = None

        def _take(self, lo: Any, hi: Any) -> None:
            if lo is not None:
                self.lo = lo if self.lo is None else min(self.lo, lo)
            if hi is not None:
                self.hi = hi if self.hi is None else max(self.hi, hi)

        def update(self, values: pa.Array) -> None:
            import pyarrow.compute as pc

            bounds = pc.min_max(values)
            self._take(bounds["min"].as_py(), bounds["max"].as_py())

        def merge(self, states: list[pa.Array]) -> None:
            for lo, hi in zip(states[0].to_pylist(), states[1].to_pylist(), strict=True):
                self._take(lo, hi)

        def state(self) -> list[pa.Scalar]:
            return [pa.scalar(self.lo, pa.float64()), pa.scalar(self.hi, pa.float64())]

        def evaluate(self) -> pa.Scalar:
            spread = None if self.lo is None else self.hi - self.lo
            return pa.scalar(spread, pa.float64())

    names = pa.table({"flag": ["A", "N", "R"], "label": ["accepted", "none", "returned"]})
    for ctx in (local_ctx, dist_ctx):
        ctx.register_udf(udf(where_am_i, [pa.int64()], pa.int64(), "volatile", name="where_am_i"))
        ctx.register_udf(udf(bucket, [pa.int64()], pa.int64(), "immutable", name="bucket"))
        ctx.register_udaf(
            udaf(
                Spread,
                [pa.float64()],
                pa.float64(),
                [pa.float64(), pa.float64()],
                "immutable",
                name="spread",
            )
        )
    dist_ctx.deregister_table("flags")
    dist_ctx.register_record_batches("flags", [names.to_batches()])

    sql = """
        SELECT f.label, bucket(l_quantity::bigint) AS b, count(*) AS n,
               spread(l_extendedprice::double) AS s
        FROM lineitem l JOIN flags f ON l.l_returnflag = f.flag
        GROUP BY f.label, b ORDER BY f.label, b
    """
    expected = local_ctx.sql(sql).to_arrow_table()
    actual = dist_ctx.sql(sql).to_arrow_table()
    assert expected.num_rows == 18
    same_rows_in_order(actual, expected, "python udfs")

    pids = dist_ctx.sql(
        "SELECT DISTINCT where_am_i(l_orderkey) AS pid FROM lineitem"
    ).to_arrow_table()
    ran_on = set(pids.column("pid").to_pylist())
    assert ran_on <= set(cluster.pids) and os.getpid() not in ran_on, (ran_on, cluster.pids)
    assert len(ran_on) == 2, f"the scan ran on {ran_on}, not on both workers {cluster.pids}"


def test_plugin_udfs_registered_on_the_workers_by_setup(
    dist_ctx: SessionContext, local_ctx: SessionContext
) -> None:
    import fuseplug_ffi_example as ex

    for ctx in (local_ctx, dist_ctx):
        ctx.register_udf(udf(ex.DoubleUdf()))
        ctx.register_udaf(udaf(ex.SumOfSquaresUdaf()))
    sql = """
        SELECT l_linenumber, sum(double(l_quantity::bigint)) AS d, sum_of_squares(l_linenumber::bigint) AS q
        FROM lineitem GROUP BY l_linenumber ORDER BY l_linenumber
    """
    expected = local_ctx.sql(sql).to_arrow_table()
    actual = dist_ctx.sql(sql).to_arrow_table()
    assert expected.num_rows == 7
    same_rows_in_order(actual, expected, "plugin udfs")


def test_a_worker_without_the_plugin_says_what_is_missing(
    tpch_sf01: Path, run_python: RunPython
) -> None:
    code = f"""
import json, sys
from benchmarks import tpch
from fuseplug import SessionContext, udf
from fuseplug.distributed import LocalCluster
import fuseplug_ffi_example as ex
with LocalCluster(workers=2) as cluster:
    ctx = SessionContext()
    tpch.register(ctx, {str(tpch_sf01)!r})
    ctx.register_udf(udf(ex.DoubleUdf()))
    ctx = ctx.with_distributed(workers=cluster, bytes_per_partition={BYTES_PER_PARTITION})
    try:
        ctx.sql("SELECT sum(double(l_quantity::bigint)) FROM lineitem").to_arrow_table()
        print(json.dumps(None))
    except Exception as exc:
        print(json.dumps([type(exc).__name__, str(exc)]))
"""
    result = child(run_python, code, timeout=120, env={"PYTHONPATH": str(ROOT)})
    assert result is not None, "the query ran without the plugin on the worker"
    _name, message = result
    assert "double" in message and "on distributed worker http://127.0.0.1:" in message, message


def test_a_strict_worker_refuses_inline_python(tpch_sf01: Path, local_ctx: SessionContext) -> None:
    with LocalCluster(workers=2, setup="dist_setup:strict", env=worker_env()) as strict:
        ctx = local_ctx.with_distributed(workers=strict, bytes_per_partition=BYTES_PER_PARTITION)
        ctx.register_udf(udf(lambda x: x, [pa.float64()], pa.float64(), "immutable", name="ident"))
        with pytest.raises(
            NotSupportedError,
            match=r"on distributed worker http://127.0.0.1:\d+\ncaused by\n.*scalar function ident",
        ):
            ctx.sql("SELECT sum(ident(l_extendedprice::double)) FROM lineitem").to_arrow_table()
        # what needs no Python still runs there
        sql = "SELECT count(*) AS n FROM lineitem WHERE l_quantity > 10"
        assert ctx.sql(sql).to_pydict() == local_ctx.sql(sql).to_pydict()


def test_a_plugin_table_is_refused_with_a_hint_and_stays_usable_locally(
    dist_ctx: SessionContext, local_ctx: SessionContext
) -> None:
    import fuseplug_ffi_example as ex

    local_ctx.register_table("plugin_rows", ex.MemoryTable())
    with pytest.raises(
        PluginError, match="scan plugin tables from a context without with_distributed"
    ):
        dist_ctx.sql("SELECT count(*) FROM plugin_rows").to_arrow_table()
    assert local_ctx.sql("SELECT count(*) AS n FROM plugin_rows").to_pydict()["n"][0] > 0


# --------------------------------------------------------------------------- failures


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_worker_is_a_worker_error_naming_it(local_ctx: SessionContext) -> None:
    # two workers: with one, the planner keeps every stage in the coordinating process
    url, other = (f"http://127.0.0.1:{closed_port()}" for _ in range(2))
    ctx = local_ctx.with_distributed(
        workers=[url, other], bytes_per_partition=BYTES_PER_PARTITION, connect_timeout=2
    )
    start = time.monotonic()
    with pytest.raises(
        WorkerError, match=r"^distributed worker http://127.0.0.1:\d+ failed: cannot"
    ):
        ctx.sql("SELECT count(*) FROM lineitem WHERE l_quantity > 10").to_arrow_table()
    assert time.monotonic() - start < 10
    with pytest.raises(WorkerError, match=url):
        ping(url, timeout=1)
    # the context still plans and the local one still runs
    assert local_ctx.sql("SELECT count(*) AS n FROM nation").to_pydict() == {"n": [25]}


def test_a_worker_that_accepts_but_never_answers_times_out(local_ctx: SessionContext) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel accepts connections; nobody ever speaks HTTP/2
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        ctx = local_ctx.with_distributed(
            workers=[url, url], bytes_per_partition=BYTES_PER_PARTITION, connect_timeout=1
        )
        start = time.monotonic()
        with pytest.raises(
            WorkerError, match=rf"^distributed worker {url} failed: stopped answering"
        ):
            ctx.sql("SELECT count(*) FROM lineitem WHERE l_quantity > 10").to_arrow_table()
        assert time.monotonic() - start < 30


@pytest.mark.parametrize(
    ("workers", "kwargs", "error", "message"),
    [
        ([], {}, ValueError, r"with_distributed needs at least one worker URL"),
        (
            ["not a url at all"],
            {},
            ValueError,
            r"\"not a url at all\" is not a worker URL: invalid international domain name",
        ),
        (
            ["ftp://127.0.0.1:1"],
            {},
            ValueError,
            r"\"ftp://127\.0\.0\.1:1\" is not a worker URL: expected http://host:port",
        ),
        (
            ["http://127.0.0.1:1"],
            {"compression": "brotli"},
            ValueError,
            r"compression must be 'lz4', 'zstd' or 'none', not \"brotli\"",
        ),
        (
            ["http://127.0.0.1:1"],
            {"tasks_per_stage": 0},
            ValueError,
            r"tasks_per_stage must be at least 1",
        ),
        (
            ["http://127.0.0.1:1"],
            {"connect_timeout": 0},
            ValueError,
            r"connect_timeout must be a positive number of seconds, not 0",
        ),
        # an unknown engine option is a configuration error, as for SessionConfig.set (PlanError,
        # "bad option" in docs/user-guide.md), not a bad argument
        (
            ["http://127.0.0.1:1"],
            {"options": {"no_such_knob": "1"}},
            PlanError,
            r"Invalid or Unsupported Configuration: .*no_such_knob",
        ),
    ],
    ids=[
        "no worker",
        "not a URL",
        "not http",
        "compression",
        "tasks_per_stage",
        "connect_timeout",
        "unknown option",
    ],
)
def test_bad_distributed_settings_are_value_errors(
    workers: list[str], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=rf"^{message}") as info:
        SessionContext().with_distributed(workers=workers, **kwargs)
    assert type(info.value) is error  # not a subclass (a PlanError is no ValueError)
    with pytest.raises(
        TypeError,
        match=r"^workers must be a list of URLs, a comma-separated string or a LocalCluster$",
    ):
        SessionContext().with_distributed(workers=42)


def test_a_killed_worker_fails_the_query_and_a_restarted_one_serves_the_next(
    tpch_sf01: Path, run_python: RunPython, tmp_path: Path
) -> None:
    # The worker is killed once the query is observably running on it: the UDF, which runs on the
    # workers, leaves a file named after its process id, and a thread waits (bounded) for the
    # victim's file before it kills the victim.
    code = f"""
import json, os, threading, time
import pyarrow as pa
from benchmarks import tpch
from fuseplug import SessionContext, udf
from fuseplug.distributed import LocalCluster

MARKS = {str(tmp_path)!r}

def slow(x):
    mark = os.path.join(MARKS, f"running-{{os.getpid()}}")
    if not os.path.exists(mark):
        open(mark, "w").close()
    time.sleep(0.25)
    return x

cluster = LocalCluster(workers=2).start()
out = {{"pids": cluster.pids}}
try:
    ctx = SessionContext()
    tpch.register(ctx, {str(tpch_sf01)!r})
    ctx.register_udf(udf(slow, [pa.float64()], pa.float64(), "volatile", name="slow"))
    dist = ctx.with_distributed(workers=cluster, bytes_per_partition={BYTES_PER_PARTITION})
    victim = cluster.urls[0]
    victim_mark = os.path.join(MARKS, f"running-{{cluster.pids[0]}}")
    killed = threading.Event()

    def kill_once_running():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.path.exists(victim_mark):
                cluster.kill(0)
                killed.set()
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_once_running, daemon=True)
    killer.start()
    start = time.monotonic()
    try:
        dist.sql("SELECT sum(slow(l_extendedprice::double)) FROM lineitem").to_arrow_table()
        out["error"] = None
    except Exception as exc:
        out["error"] = [type(exc).__name__, str(exc)]
    out["seconds"] = time.monotonic() - start
    killer.join(timeout=70)
    out["killed while running"] = killed.is_set()
    out["victim"] = victim
    out["local_after"] = ctx.sql("SELECT count(*) AS n FROM nation").to_pydict()["n"]
    cluster.restart(0)
    out["restarted_same_url"] = cluster.urls[0] == victim
    out["next"] = dist.sql("SELECT count(*) AS n FROM lineitem WHERE l_quantity > 10").to_pydict()["n"]
    out["expected"] = ctx.sql("SELECT count(*) AS n FROM lineitem WHERE l_quantity > 10").to_pydict()["n"]
    out["pids_after"] = cluster.pids
finally:
    cluster.stop()
print(json.dumps(out))
"""
    out = child(run_python, code, timeout=150, env={"PYTHONPATH": str(ROOT)})
    assert out["killed while running"], f"the query never ran on the victim worker: {out}"
    assert out["error"] is not None, "the query survived a killed worker"
    name, message = out["error"]
    assert name == "WorkerError", out["error"]
    assert out["victim"] in message, out
    assert out["seconds"] < 30, out
    assert out["local_after"] == [25]
    assert out["restarted_same_url"]
    assert out["next"] == out["expected"]
    for pid in out["pids"] + out["pids_after"]:
        assert not pid_alive(pid), f"worker {pid} outlived its cluster"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead; its parent (the child interpreter) has exited, so it is reaped
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def test_a_setup_that_fails_stops_the_worker_with_its_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "fuseplug", "worker", "--port", "0", "--setup", "dist_setup:broken"],
        capture_output=True,
        text=True,
        timeout=60,
        env=worker_env(),
        check=False,
    )
    assert proc.returncode == 1
    assert "setup failed on purpose" in proc.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "fuseplug", "worker", "--setup", "no_such_module:setup"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 1 and "cannot be imported" in bad.stderr
    with pytest.raises(WorkerError, match="did not start"):
        LocalCluster(
            workers=1, setup="dist_setup:broken", env=worker_env(), startup_timeout=30
        ).start()


# --------------------------------------------------------------------------- in-process worker, CLI


def test_an_in_process_worker_serves_a_coordinator_in_the_same_process(
    local_ctx: SessionContext,
) -> None:
    with Worker(port=0) as worker:
        assert worker.running and worker.url.startswith("http://127.0.0.1:")
        ctx = local_ctx.with_distributed(
            workers=[worker.url], bytes_per_partition=BYTES_PER_PARTITION
        )
        sql = "SELECT l_returnflag, count(*) AS n FROM lineitem GROUP BY 1 ORDER BY 1"
        same_rows_in_order(
            ctx.sql(sql).to_arrow_table(), local_ctx.sql(sql).to_arrow_table(), "in-process"
        )
    assert not worker.running


def test_cli_runs_sql_on_workers(
    cluster: LocalCluster, tpch_sf01: Path, local_ctx: SessionContext
) -> None:
    path = tpch_sf01 / "lineitem.parquet"
    sql = f"SELECT l_returnflag, count(*) AS n FROM '{path}' GROUP BY 1 ORDER BY 1"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "fuseplug", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    # small tasks, so the scan is split across the workers
    script = f"SET distributed.file_scan_config_bytes_per_partition = 1048576; {sql}"
    proc = cli("--workers", ",".join(cluster.urls), "--format", "csv", script)
    assert proc.returncode == 0, proc.stderr
    expected = local_ctx.enable_url_table().sql(sql).to_pydict()
    rows = [f'"{f}",{n}' for f, n in zip(expected["l_returnflag"], expected["n"], strict=True)]
    assert proc.stdout.splitlines() == ['"l_returnflag","n"', *rows]

    dead = ",".join(f"http://127.0.0.1:{closed_port()}" for _ in range(2))
    failed = cli("--workers", dead, script)
    assert failed.returncode == 1
    assert "error: WorkerError: distributed worker http://127.0.0.1:" in failed.stderr
    # a query with nothing to distribute runs in the coordinating process
    assert cli("--workers", dead, "SELECT 1 AS one").returncode == 0
