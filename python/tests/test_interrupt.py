"""Ctrl-C interrupts a running query.

Each case starts a child interpreter that runs a query lasting far longer than the test, waits
for it to print ``started``, sends SIGINT and expects the child to end with KeyboardInterrupt
within a few seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

# Roughly 10**10 joined rows: minutes of work even on a fast machine.
SLOW_SQL = (
    "SELECT count(*) AS n, sum(a.value * b.value) AS s "
    "FROM range(100000) AS a CROSS JOIN range(100000) AS b"
)

GRACE_SECONDS = 1.0
DEADLINE_SECONDS = 10.0


def start_child(code: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONFAULTHANDLER="1")
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for_started(child: subprocess.Popen[str], timeout: float = 60.0) -> None:
    assert child.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if line.strip() == "started":
            return
        if not line and child.poll() is not None:
            break
    child.kill()
    _, err = child.communicate()
    pytest.fail(f"child never printed 'started' (exit {child.returncode}): {err[-2000:]}")


def interrupt(child: subprocess.Popen[str]) -> tuple[float, str, str]:
    """Sends SIGINT once the query is under way; returns (seconds to exit, stdout, stderr)."""
    wait_for_started(child)
    time.sleep(GRACE_SECONDS)
    assert child.poll() is None, "the slow query ended before it was interrupted"
    sent = time.monotonic()
    child.send_signal(signal.SIGINT)
    try:
        out, err = child.communicate(timeout=DEADLINE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        pytest.fail(f"query still running {DEADLINE_SECONDS}s after SIGINT: {err[-2000:]}")
    return time.monotonic() - sent, out, err


def test_ctrl_c_interrupts_sql_collect() -> None:
    child = start_child(
        f"""
        import fuseplug
        ctx = fuseplug.SessionContext()
        df = ctx.sql({SLOW_SQL!r})
        print("started", flush=True)
        df.collect()
        print("finished", flush=True)
        """
    )
    elapsed, out, err = interrupt(child)
    assert "finished" not in out
    assert "KeyboardInterrupt" in err
    assert child.returncode != 0
    assert elapsed < DEADLINE_SECONDS


def test_ctrl_c_interrupts_stream_iteration() -> None:
    child = start_child(
        f"""
        import fuseplug
        ctx = fuseplug.SessionContext()
        stream = ctx.sql({SLOW_SQL!r}).execute_stream()
        print("started", flush=True)
        for batch in stream:
            pass
        print("finished", flush=True)
        """
    )
    _, out, err = interrupt(child)
    assert "finished" not in out
    assert "KeyboardInterrupt" in err
    assert child.returncode != 0


def test_ctrl_c_interrupts_query_with_slow_python_udf() -> None:
    child = start_child(
        """
        import time
        import pyarrow as pa
        import fuseplug
        from fuseplug import col

        def slow(values):
            time.sleep(0.05)
            return values

        slow_udf = fuseplug.udf(slow, [pa.int64()], pa.int64(), "volatile", name="slow")
        ctx = fuseplug.SessionContext(fuseplug.SessionConfig().with_batch_size(10))
        # 100000 batches of 10 rows at 50 ms each: well over an hour if nothing stops it.
        df = ctx.sql("SELECT value FROM range(1000000)").select(slow_udf(col("value")))
        print("started", flush=True)
        df.collect()
        print("finished", flush=True)
        """
    )
    _, out, err = interrupt(child)
    assert "finished" not in out
    assert "KeyboardInterrupt" in err
    assert child.returncode != 0


def test_session_usable_after_interrupt() -> None:
    child = start_child(
        f"""
        import fuseplug
        ctx = fuseplug.SessionContext()
        df = ctx.sql({SLOW_SQL!r})
        print("started", flush=True)
        try:
            df.collect()
            print("finished", flush=True)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        print("after", ctx.sql("SELECT 40 + 2 AS x").to_pydict()["x"][0], flush=True)
        """
    )
    _, out, err = interrupt(child)
    assert child.returncode == 0, err[-2000:]
    assert "interrupted" in out
    assert "after 42" in out
    assert "finished" not in out
