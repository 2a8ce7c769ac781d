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


#: Rows far faster than anyone reads them: without an interrupt the collect grows until memory ends.
ENDLESS_SQL = "SELECT * FROM generate_series(1, 1000000000000000000)"

#: A child that reads ENDLESS_SQL in a worker thread and raises KeyboardInterrupt in that thread
#: (as the official suite's test_collect_or_stream_interrupted does), under a 4 GiB address-space
#: limit so that a read that never stops fails the child instead of the machine.
THREAD_CHILD = """
import ctypes, resource, sys, threading, time
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
import pyarrow as pa
import fuseplug

ctx = fuseplug.SessionContext()
df = ctx.sql({sql!r})
reader = pa.RecordBatchReader.from_stream(df) if {stream!r} else None
started, outcome = threading.Event(), []

def read():
    try:
        started.set()
        reader.read_all() if reader is not None else df.collect()
        outcome.append("finished")
    except KeyboardInterrupt:
        outcome.append("KeyboardInterrupt")
    except BaseException as e:
        outcome.append(f"{{type(e).__name__}}: {{e}}")

thread = threading.Thread(target=read, daemon=True)
thread.start()
started.wait()
time.sleep(0.2)
raised = ctypes.pythonapi.PyThreadState_SetAsyncExc(
    ctypes.c_ulong(thread.ident), ctypes.py_object(KeyboardInterrupt)
)
sent = time.monotonic()
thread.join(30)
print("raised", raised, "outcome", outcome, "alive", thread.is_alive(), flush=True)
print("seconds %.3f" % (time.monotonic() - sent), flush=True)
print("after", ctx.sql("SELECT 40 + 2 AS x").to_pydict()["x"][0], flush=True)
"""


@pytest.mark.parametrize("stream", [False, True], ids=["collect", "arrow_c_stream"])
def test_keyboard_interrupt_raised_in_a_reading_thread_stops_the_query(stream: bool) -> None:
    child = start_child(THREAD_CHILD.format(sql=ENDLESS_SQL, stream=stream))
    try:
        out, err = child.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        pytest.fail(f"the child did not finish: {out}{err[-2000:]}")
    assert child.returncode == 0, err[-2000:]
    # a stream's consumer (pyarrow) raises the stream's error, which names the interrupt
    outcome = (
        "['ArrowInvalid: External error: KeyboardInterrupt: ']"
        if stream
        else "['KeyboardInterrupt']"
    )
    assert f"raised 1 outcome {outcome} alive False" in out, out + err[-2000:]
    seconds = float(out.split("seconds ")[1].split()[0])
    # the wait wakes every 50 ms; 1 s is the promise, the margin is for a loaded machine
    assert seconds < 5, out
    assert "after 42" in out
