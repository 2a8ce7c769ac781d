"""The benchmark suite still runs: every benchmark in smoke mode (tiny data, one repetition), in a
child process, writing its report to a temporary directory. Only the reports' shape and sanity are
checked here; no speed is ever asserted (benchmarks report numbers, ``make bench`` measures)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from benchmarks.tpch.answers import difference, order_by_keys

ROOT = Path(__file__).resolve().parents[2]
#: Benchmark module -> report name.
REPORTS = {
    "tpch_queries": "tpch",
    "startup": "startup",
    "arrow_io": "arrow_io",
    "plan_serialization": "plan_serialization",
    "python_udf": "python_udf",
    "plugin_overhead": "plugin_overhead",
    "progress": "progress",
    "distributed": "distributed",
    "bridge54": "bridge54",
}


#: Seconds the whole smoke suite may take (one child process, run once per module).
SMOKE_TIMEOUT = 300
#: The suite's pytest timeout (180 s) would stop the first test, which runs the ``results``
#: fixture, before the child's own limit: each test here gets the child's limit plus a minute,
#: so a slow or hung suite is reported by the child's timeout, with its output.
pytestmark = pytest.mark.timeout(SMOKE_TIMEOUT + 60)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks", "--smoke", "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=SMOKE_TIMEOUT,
            env={**os.environ, "PYTHONFAULTHANDLER": "1"},
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        # what the child wrote so far (bytes, even with text=True)
        output = "".join(
            (part.decode(errors="replace") if isinstance(part, bytes) else part)[-3000:]
            for part in (e.stdout or b"", e.stderr or b"")
        )
        pytest.fail(f"the smoke suite took over {SMOKE_TIMEOUT} s\n{output}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return out


def report(results: Path, name: str) -> dict[str, Any]:
    return json.loads((results / f"{name}.json").read_text())


def positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


def test_the_suite_lists_every_benchmark() -> None:
    from benchmarks.__main__ import REPORT, SUITE

    assert {m: REPORT.get(m, m) for m in SUITE} == REPORTS


@pytest.mark.parametrize("module", REPORTS)
def test_each_benchmark_writes_markdown_json_and_plots(results: Path, module: str) -> None:
    name = REPORTS[module]
    data = report(results, name)
    assert data["benchmark"] == name
    assert data["smoke"] is True
    assert data["repeat"] == 1
    assert "smoke run" in (results / f"{name}.md").read_text()
    assert data["plots"], name
    for plot in data["plots"]:
        assert (results / plot).read_bytes().startswith(b"\x89PNG")


def test_index_has_the_headline_table(results: Path) -> None:
    index = (results / "report.md").read_text()
    assert "TPC-H SF 0.01 geomean" in index
    assert "`import`" in index
    assert index.count("ok in") == len(REPORTS)


def test_tpch_times_every_engine_and_checks_answers(results: Path) -> None:
    data = report(results, "tpch")
    # the suite runs every step from DataFusion's stock settings to fuseplug's (--defaults steps)
    steps = ["fuseplug@official", "fuseplug@joins", "fuseplug@rowfilter", "fuseplug"]
    assert data["defaults"] == "steps"
    assert data["engines"] == [*steps, "datafusion", "duckdb", "polars"]
    assert len(data["stats"]) == 22
    for engine in (*steps, "datafusion", "duckdb"):
        assert positive(data["geomean"][engine]), engine
        assert engine not in data["errors"], data["errors"][engine]
    assert "fuseplug@rowfilter / fuseplug@joins" in (results / "tpch.md").read_text()
    for case in data["stats"].values():
        assert positive(case["fuseplug"]["median"])
    # fuseplug against DuckDB, and each step against fuseplug: a mismatch is reported, never
    # raised; at SF 0.01 all 22 agree.
    assert len(data["answers_checked"]) == 22
    assert data["mismatches"] == {}


def test_startup_measures_imports_and_libraries(results: Path) -> None:
    data = report(results, "startup")
    for package in ("fuseplug", "datafusion", "duckdb", "polars"):
        assert 0 < data["stats"][package]["median"] < 60, package
        assert data["libraries"][package]["largest_bytes"] > 1_000_000, package
    modules = {m["module"] for m in data["fuseplug_importtime"]}
    assert {"fuseplug", "fuseplug._internal"} <= modules
    assert not modules & {"pyarrow", "pandas", "polars", "numpy"}


def test_arrow_io_counts_chunks(results: Path) -> None:
    data = report(results, "arrow_io")
    assert data["errors"] == {}
    for case, by_engine in data["stats"].items():
        for engine, stats in by_engine.items():
            assert positive(stats["median"]), (case, engine)
    assert data["chunks"]["1e3 round trip"] == {
        "fuseplug": 1,
        "datafusion": 1,
        "polars": 1,
        "duckdb": 1,
    }
    # fuseplug hands in-memory data back as it went in: one chunk, the input's own buffers.
    for op in ("to_arrow_table", "round trip", "__arrow_c_stream__"):
        assert data["chunks"][f"1e5 {op}"]["fuseplug"] == 1, op
        assert data["shared"][f"1e5 {op}"]["fuseplug"] is True, op


def test_plan_serialization_sizes_and_times(results: Path) -> None:
    data = report(results, "plan_serialization")
    assert data["errors"] == {}
    for query, sizes in data["sizes"].items():
        for binding in ("fuseplug", "datafusion"):
            assert sizes[binding]["logical"] > 0, (query, binding)
            assert sizes[binding]["physical"] > 0, (query, binding)
    for op, by_binding in data["geomean"].items():
        assert all(positive(v) for v in by_binding.values()), op


def test_python_udf_overhead_per_batch(results: Path) -> None:
    data = report(results, "python_udf")
    assert {r["binding"] for r in data["results"]} == {"fuseplug", "datafusion"}
    for r in data["results"]:
        assert "error" not in r, r
        assert r["per_batch"] >= 0
        assert positive(r["udf"]["median"])


def test_plugin_overhead_runs_native_and_capsule(results: Path) -> None:
    data = report(results, "plugin_overhead")
    assert data["skipped"] == {}
    assert data["mismatches"] == {}
    assert set(data["stats"]["deltalake lineitem"]) == {
        "fuseplug native",
        "fuseplug capsule",
        "datafusion native",
        "datafusion capsule",
    }
    assert "fuseplug capsule" in data["stats"]["ffi-example range"]
    for row in data["stats"].values():
        assert all(positive(s["median"]) for s in row.values())


def test_distributed_runs_every_setup_and_counts_stages(results: Path) -> None:
    data = report(results, "distributed")
    assert set(data["geomean"]) == {"local", "1 worker", "2 workers"}
    assert all(positive(v) for v in data["geomean"].values())
    assert data["mismatches"] == []
    assert any(n > 1 for n in data["stages"].values()), data["stages"]


def test_bridge54_runs_native_and_bridged(results: Path) -> None:
    data = report(results, "bridge54")
    assert data["mismatches"] == {}
    for row in data["stats"].values():
        assert set(row) == {
            "native table (55)",
            "ffi-example54 MemTable through the bridge (54)",
            "native Parquet (55)",
            "pyiceberg-core through the bridge (54)",
        }
        assert all(s is not None and positive(s["median"]) for s in row.values()), row
    assert data["library_bytes"] > 1_000_000


# the answer comparison (benchmarks/tpch/answers.py) ------------------------------------------------


def test_order_by_keys_are_those_of_the_top_level_order_by() -> None:
    assert order_by_keys("SELECT a FROM t") == []
    assert order_by_keys("SELECT a, b FROM t ORDER BY b DESC NULLS LAST, t.a ASC LIMIT 5") == [
        "b",
        "a",
    ]
    assert order_by_keys('SELECT a AS "Big" FROM t ORDER BY "Big", 1, a + 1, f(a), A') == [
        "Big",
        1,
        None,
        None,
        "a",
    ]
    # ORDER BYs of subqueries, common table expressions, windows and aggregates order nothing
    # the caller sees; nor does text in strings and comments
    assert order_by_keys("SELECT * FROM (SELECT a FROM t ORDER BY a) AS s") == []
    assert order_by_keys("WITH s AS (SELECT a FROM t ORDER BY a) SELECT a FROM s") == []
    assert order_by_keys("SELECT row_number() OVER (ORDER BY a) AS r FROM t") == []
    assert order_by_keys("SELECT array_agg(a ORDER BY a) AS l FROM t") == []
    assert order_by_keys("SELECT 'ORDER BY a' AS s -- ORDER BY b\nFROM t /* ORDER BY c */") == []
    assert order_by_keys("SELECT $$ORDER BY a$$ AS s FROM t") == []
    # the last statement's
    assert order_by_keys("SELECT a FROM t ORDER BY a; SELECT b FROM t") == []
    assert order_by_keys("SELECT a FROM t; SELECT b FROM t ORDER BY b;") == ["b"]


def test_every_tpch_order_by_key_is_a_column_of_the_answer(tpch_ctx: Any) -> None:
    """So the ordered comparison covers all the keys of every ordered TPC-H query (a key that is
    not a column would leave the rows tying on the keys before it unordered)."""
    from benchmarks import tpch

    ordered = 0
    for n in tpch.QUERIES:
        keys = order_by_keys(tpch.query(n))
        names = tpch_ctx.sql(tpch.query(n)).schema().names
        assert all(isinstance(k, str) and names.count(k) == 1 for k in keys), (n, keys, names)
        ordered += bool(keys)
    assert ordered == 18  # all but Q6, Q14, Q17 and Q19, which answer one row


SQL = "SELECT g, sum(x) AS s FROM t GROUP BY g ORDER BY s DESC"
EXPECTED = pa.table({"g": ["b", "a", "c", "d"], "s": [5, 3, 3, 1]})


def answer(*rows: tuple[str, float]) -> pa.Table:
    return pa.table({"g": [g for g, _ in rows], "s": [s for _, s in rows]})


def test_an_ordered_answer_must_keep_its_order() -> None:
    same = answer(("b", 5), ("a", 3), ("c", 3), ("d", 1))
    assert difference(same, EXPECTED, "q", sql=SQL) is None
    # the ORDER BY dropped: the same rows in another order
    shuffled = answer(("d", 1), ("a", 3), ("b", 5), ("c", 3))
    assert difference(shuffled, EXPECTED, "q") is None  # without the SQL the order is free
    assert difference(shuffled, EXPECTED, "q", sql=SQL) == (
        "q: row 0 differs in its ORDER BY keys: (1,) != (5,) (row ('d', 1))"
    )
    assert difference(shuffled, EXPECTED, "q", sql=SQL.replace(" ORDER BY s DESC", "")) is None
    # numbers within the tolerance, as before
    close = answer(("b", 5.000000001), ("a", 3), ("c", 2.9999999999), ("d", 1))
    assert difference(close, EXPECTED, "q", sql=SQL) is None
    far = answer(("b", 5.001), ("a", 3), ("c", 3), ("d", 1))
    assert difference(far, EXPECTED, "q", sql=SQL) == (
        "q: row 0 differs in its ORDER BY keys: (5.001,) != (5,) (row ('b', 5.001))"
    )


def test_rows_tying_on_the_order_by_keys_may_come_in_any_order() -> None:
    swapped = answer(("b", 5), ("c", 3), ("a", 3), ("d", 1))
    assert difference(swapped, EXPECTED, "q", sql=SQL) is None
    # but only among themselves, and still the same rows
    assert difference(answer(("b", 5), ("c", 3), ("d", 1), ("a", 3)), EXPECTED, "q", sql=SQL) == (
        "q: row 2 differs in its ORDER BY keys: (1,) != (3,) (row ('d', 1))"
    )
    assert difference(answer(("b", 5), ("c", 3), ("e", 3), ("d", 1)), EXPECTED, "q", sql=SQL) == (
        "q: row 1 differs among the rows tying on the ORDER BY keys (3,): ('c', 3) != ('a', 3)"
    )
    # with a second key there is no tie left
    both = SQL + ", g"
    assert difference(swapped, EXPECTED, "q", sql=both) == (
        "q: row 1 differs in its ORDER BY keys: (3, 'c') != (3, 'a') (row ('c', 3))"
    )
    # a key that is not a column of the answer (an expression) ends what the order is known by
    assert difference(swapped, EXPECTED, "q", sql=SQL + ", lower(g)") is None


def test_the_allocator_study_runs_two_children_beside_pyarrows_mimalloc(tmp_path: Path) -> None:
    """``benchmarks.allocator`` needs two builds; smoke mode pits this build against itself, which
    still runs the interleaved queries, the round trip and the co-load check beside pyarrow's own
    mimalloc (docs/development.md, "The allocator")."""
    command = [sys.executable, "-m", "benchmarks.allocator", "--smoke", "--other", sys.executable]
    done = subprocess.run(
        [*command, "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=SMOKE_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads((tmp_path / "allocator.json").read_text())
    assert data["allocators"] == ["system (1)", "system (2)"]
    assert all(data["same_answers"].values()) and len(data["same_answers"]) == 22
    assert data["exits"] == [0, 0]
    assert all(run["failures"] == [] for run in data["co_load"].values())
    assert all(positive(t) for times in data["round_trip"].values() for t in times)
