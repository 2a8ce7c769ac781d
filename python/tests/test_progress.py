"""The progress line of long queries: driven by the scans' metrics, shown only where asked.

The engine calls ``fuseplug._progress.open`` once the query has run ``fuseplug.progress.delay_ms``;
these tests put a recording reporter there and run real queries over real Parquet files, slowed by
a Python UDF that sleeps per batch so that the scan moves on while the reporter watches.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fuseplug import SessionConfig, SessionContext, _progress, udf

FILES = 4
ROWS_PER_FILE = 60_000
BATCH = 4096


class Recorder:
    """A reporter that keeps every update."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.updates: list[tuple[float | None, int, int | None, int, float]] = []
        self.closed = 0

    def update(self, *args) -> None:
        self.updates.append(args)

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def recorders(monkeypatch: pytest.MonkeyPatch) -> list[Recorder]:
    opened: list[Recorder] = []

    def open_recorder(mode: str) -> Recorder:
        opened.append(Recorder(mode))
        return opened[-1]

    monkeypatch.setattr(_progress, "open", open_recorder)
    return opened


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("progress")
    for i in range(FILES):
        start = i * ROWS_PER_FILE
        table = pa.table(
            {
                "id": pa.array(range(start, start + ROWS_PER_FILE), pa.int64()),
                "v": pa.array([float(x % 97) for x in range(ROWS_PER_FILE)], pa.float64()),
            }
        )
        pq.write_table(table, out / f"part-{i}.parquet", row_group_size=BATCH)
    return out


def slow_context(
    delay_ms: int = 0, enabled: str = "true", sleep: float = 0.01, partitions: int = 1
) -> SessionContext:
    """One partition, small batches, and a UDF that sleeps per batch: about a second per query."""
    config = (
        SessionConfig()
        .with_target_partitions(partitions)
        .with_batch_size(BATCH)
        .set("fuseplug.progress.enabled", enabled)
        .set("fuseplug.progress.delay_ms", str(delay_ms))
    )
    ctx = SessionContext(config)

    def sleepy(values: pa.Array) -> pa.Array:
        time.sleep(sleep)
        return values

    ctx.register_udf(udf(sleepy, [pa.float64()], pa.float64(), "immutable", name="sleepy"))
    return ctx


def test_updates_follow_the_parquet_scan_to_the_end(
    parquet_dir: Path, recorders: list[Recorder]
) -> None:
    ctx = slow_context()
    ctx.register_parquet("t", str(parquet_dir))
    out = ctx.sql("SELECT sum(sleepy(v)) AS s, count(*) AS n FROM t").to_pydict()
    assert out["n"] == [FILES * ROWS_PER_FILE]

    assert len(recorders) == 1
    rec = recorders[0]
    assert rec.mode == "true"
    assert rec.closed == 1
    assert len(rec.updates) >= 3, rec.updates
    total_bytes = sum(p.stat().st_size for p in parquet_dir.iterdir())
    fractions = [u[0] for u in rec.updates]
    assert all(f is not None and 0.0 <= f <= 1.0 for f in fractions), fractions
    assert fractions == sorted(fractions), "progress never goes back"
    assert any(0.0 < f < 1.0 for f in fractions), fractions
    for _fraction, bytes_read, total, rows, elapsed in rec.updates:
        assert total == total_bytes
        assert 0 <= bytes_read <= total_bytes
        assert 0 <= rows <= FILES * ROWS_PER_FILE
        assert elapsed >= 0
    rows_seen = [u[3] for u in rec.updates]
    assert rows_seen == sorted(rows_seen)
    assert rows_seen[-1] > 0, "the rows read are counted"
    # The rows read stay a lower bound of the share done.
    assert all(f >= rows / (FILES * ROWS_PER_FILE) - 1e-9 for f, _, _, rows, _ in rec.updates)


def test_show_and_to_arrow_table_report_too(parquet_dir: Path, recorders: list[Recorder]) -> None:
    ctx = slow_context()
    ctx.register_parquet("t", str(parquet_dir))
    ctx.sql("SELECT sleepy(v) AS v FROM t ORDER BY v DESC").show(3)
    ctx.sql("SELECT sum(sleepy(v)) AS s FROM t").to_arrow_table()
    assert len(recorders) == 2
    assert all(r.closed == 1 and r.updates for r in recorders)


def test_in_memory_tables_show_a_line_without_a_share(recorders: list[Recorder]) -> None:
    """An in-memory table counts no rows as it is read: the line shows time only, never 0 %."""
    ctx = slow_context(sleep=0.02)
    batches = [pa.record_batch({"v": pa.array([1.0] * BATCH)}) for _ in range(40)]
    ctx.register_record_batches("m", [batches])
    assert ctx.sql("SELECT sum(sleepy(v)) AS s FROM m").to_pydict() == {"s": [40.0 * BATCH]}
    (rec,) = recorders
    assert rec.updates and rec.closed == 1
    assert {u[0] for u in rec.updates} == {None}
    assert [u[4] for u in rec.updates] == sorted(u[4] for u in rec.updates)


def test_a_distributed_query_sums_what_its_workers_scanned(
    parquet_dir: Path, recorders: list[Recorder]
) -> None:
    """Two worker processes scan the files. The total comes from the coordinating side's copy of
    the plan; what was read comes from the workers' answers, summed."""
    from fuseplug.distributed import LocalCluster

    with LocalCluster(workers=2) as cluster:
        ctx = slow_context(sleep=0.05, partitions=2).with_distributed(
            workers=cluster, bytes_per_partition=256 * 1024
        )
        ctx.register_parquet("t", str(parquet_dir))
        df = ctx.sql("SELECT sum(sleepy(v)) AS s, count(*) AS n FROM t")
        assert df.to_pydict()["n"] == [FILES * ROWS_PER_FILE]
        assert "NetworkCoalesceExec" in df.execution_plan().display_indent()
    (rec,) = recorders
    assert rec.closed == 1
    answered = [u for u in rec.updates if u[0] is not None]
    assert answered, rec.updates
    total_bytes = sum(p.stat().st_size for p in parquet_dir.iterdir())
    for fraction, bytes_read, total, rows, _elapsed in answered:
        assert total == total_bytes
        assert 0 <= bytes_read <= total_bytes
        assert 0 <= rows <= FILES * ROWS_PER_FILE
        assert 0.0 <= fraction <= 1.0
    fractions = [u[0] for u in answered]
    assert fractions == sorted(fractions), "progress never goes back"
    assert any(0.0 < f < 1.0 for f in fractions), fractions
    assert [u[3] for u in answered] == sorted(u[3] for u in answered)
    assert answered[-1][3] > 0, "the workers count the rows they read"


def test_false_never_watches(parquet_dir: Path, recorders: list[Recorder]) -> None:
    ctx = slow_context(enabled="false")
    ctx.register_parquet("t", str(parquet_dir))
    ctx.sql("SELECT sum(sleepy(v)) AS s FROM t").collect()
    assert recorders == []


def test_nothing_shows_before_the_delay(parquet_dir: Path, recorders: list[Recorder]) -> None:
    ctx = slow_context(delay_ms=60_000)
    ctx.register_parquet("t", str(parquet_dir))
    ctx.sql("SELECT sum(sleepy(v)) AS s FROM t").collect()
    assert recorders == []


def test_set_turns_it_on_and_off(parquet_dir: Path, recorders: list[Recorder]) -> None:
    ctx = slow_context(enabled="false")
    ctx.register_parquet("t", str(parquet_dir))
    ctx.sql("SET fuseplug.progress.enabled = true")
    ctx.sql("SELECT sum(sleepy(v)) AS s FROM t").collect()
    ctx.sql("SET fuseplug.progress.enabled = off")
    ctx.sql("SELECT sum(sleepy(v)) AS s FROM t").collect()
    assert len(recorders) == 1
    assert ctx.sql("SHOW fuseplug.progress.enabled").to_pydict()["value"] == ["false"]


def test_default_is_auto_after_two_seconds() -> None:
    config = SessionConfig().with_information_schema(True)
    ctx = SessionContext(config)
    shown = ctx.sql("SHOW fuseplug.progress.enabled").to_pydict()["value"]
    delay = ctx.sql("SHOW fuseplug.progress.delay_ms").to_pydict()["value"]
    assert (shown, delay) == (["auto"], ["2000"])


def test_a_bad_mode_is_refused() -> None:
    with pytest.raises(Exception, match="must be one of auto, true") as info:
        SessionConfig().set("fuseplug.progress.enabled", "sometimes")
    assert not isinstance(info.value, SystemError)
    ctx = SessionContext()
    with pytest.raises(Exception, match="must be one of auto, true"):
        ctx.sql("SET fuseplug.progress.enabled = 'maybe'")


def test_a_failing_query_closes_the_line(parquet_dir: Path, recorders: list[Recorder]) -> None:
    ctx = slow_context()
    ctx.register_parquet("t", str(parquet_dir))
    calls = []

    def fails_later(values: pa.Array) -> pa.Array:
        calls.append(1)
        time.sleep(0.01)
        if len(calls) > 20:
            raise ValueError("stop here")
        return values

    ctx.register_udf(udf(fails_later, [pa.float64()], pa.float64(), "immutable", name="fails"))
    with pytest.raises(Exception, match="stop here"):
        ctx.sql("SELECT sum(fails(v)) FROM t").collect()
    (rec,) = recorders
    assert rec.updates and rec.closed == 1


def test_a_failing_reporter_does_not_fail_the_query(
    parquet_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def update(self, *args) -> None:
            raise OSError("stderr went away")

        def close(self) -> None:
            raise AssertionError("a reporter that failed is not called again")

    monkeypatch.setattr(_progress, "open", lambda mode: Broken())
    ctx = slow_context()
    ctx.register_parquet("t", str(parquet_dir))
    with pytest.warns(RuntimeWarning, match="the progress line stopped: OSError: stderr went away"):
        out = ctx.sql("SELECT count(sleepy(v)) AS n FROM t").to_pydict()
    assert out == {"n": [FILES * ROWS_PER_FILE]}


# Where it is drawn ---------------------------------------------------------------------------


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_draws_only_in_the_cli_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", FakeTerminal())
    assert _progress.open("auto") is None  # a script
    monkeypatch.setattr(_progress, "cli_active", True)
    assert isinstance(_progress.open("auto"), _progress.TerminalLine)
    monkeypatch.setattr("sys.stderr", io.StringIO())  # the CLI with stderr redirected
    assert _progress.open("auto") is None
    assert isinstance(_progress.open("true"), _progress.TerminalLine)


def test_terminal_line_is_redrawn_in_place_and_cleared() -> None:
    term = FakeTerminal()
    line = _progress.TerminalLine(term)
    line.update(0.25, 250_000_000, 1_000_000_000, 1_500_000, 3.2)
    line.update(0.5, 500_000_000, 1_000_000_000, 3_000_000, 4.0)
    line.close()
    text = term.getvalue()
    assert text.startswith("\r[######------------------]  25%  250.0 MB of 1.0 GB  1.5M rows  0:03")
    assert "\r[############------------]  50%  500.0 MB of 1.0 GB  3.0M rows  0:04\x1b[K" in text
    assert text.endswith("\r\x1b[K")


def test_terminal_line_without_a_total_and_into_a_file() -> None:
    out = io.StringIO()
    line = _progress.TerminalLine(out)
    line.update(None, 0, None, 12_345, 65.0)
    line.update(None, 0, None, 12_400, 65.1)  # within a second: not written again
    line.close()
    assert out.getvalue().splitlines() == ["[" + " " * 16 + "#" + " " * 7 + "] 12.3k rows  1:05"]


def test_notebook_html() -> None:
    html = _progress.NotebookLine.html(0.5, 10, 20, 7, 2.5)
    assert '<progress max="1" value="0.5000"' in html
    assert "50%  10 B of 20 B  7 rows  0:02" in html
    assert "value=" not in _progress.NotebookLine.html(None, 0, None, 7, 2.5)


# In a real Jupyter kernel ---------------------------------------------------------------------

KERNEL_CODE = """
import time, pyarrow as pa
from fuseplug import SessionConfig, SessionContext, udf
config = (SessionConfig().with_target_partitions(1).with_batch_size({batch})
          .set("fuseplug.progress.delay_ms", "300"))
ctx = SessionContext(config)
def sleepy(v):
    time.sleep(0.01)
    return v
ctx.register_udf(udf(sleepy, [pa.float64()], pa.float64(), "immutable", name="sleepy"))
ctx.register_parquet("t", {path!r})
print(ctx.sql("SELECT count(sleepy(v)) AS n FROM t").to_pydict())
"""


@pytest.mark.timeout(180)
def test_a_jupyter_cell_shows_the_line_in_place(parquet_dir: Path) -> None:
    """`auto` in a kernel: one display, updated in place with a rising <progress>, then emptied."""
    import re

    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3")
    try:
        msg_id = client.execute(KERNEL_CODE.format(batch=BATCH, path=str(parquet_dir)))
        displays, updates, printed = [], [], []
        while True:
            msg = client.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "display_data":
                displays.append(content)
            elif kind == "update_display_data":
                updates.append(content)
            elif kind == "stream":
                printed.append(content["text"])
            elif kind == "error":
                pytest.fail("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                break
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    assert "".join(printed).strip() == f"{{'n': [{FILES * ROWS_PER_FILE}]}}"
    assert len(displays) == 1  # one line, created once
    display_id = displays[0]["transient"]["display_id"]
    assert all(u["transient"]["display_id"] == display_id for u in updates)
    html = [u["data"]["text/html"] for u in updates]
    assert len(html) >= 3, html
    values = [float(v) for h in html for v in re.findall(r'<progress max="1" value="([0-9.]+)"', h)]
    assert len(values) >= 2 and values == sorted(values) and 0 < values[-1] <= 1, values
    assert 'class="fuseplug-progress"' in html[0]
    assert html[-1] == ""  # removed when the query ended
