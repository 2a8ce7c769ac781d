"""A process made by ``fork()`` after fuseplug ran a query: the child inherits the tokio runtime's
state but none of its threads, so fuseplug starts a runtime of its own there. Run in a separate
interpreter: a failure here would hang or crash."""

from __future__ import annotations

from conftest import RunPython, child

FORKED_QUERIES = """
import json, multiprocessing as mp, warnings
from fuseplug import SessionConfig, SessionContext

warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads running

def answer(n):
    # Two partitions: the plan spawns tasks (repartitioning) besides the one collect() runs.
    ctx = SessionContext(SessionConfig().with_target_partitions(2))
    df = ctx.sql(f"SELECT value % 3 AS k, sum(value) AS s FROM range({n}) GROUP BY 1")
    return sorted(df.to_pydict()["s"])

parent = answer(1000)  # the parent's runtime is started and busy before the fork
with mp.get_context("fork").Pool(2) as pool:
    children = pool.map(answer, [1000, 3000])
print(json.dumps({"parent": parent, "children": children}))
"""


def test_a_forked_child_runs_queries(run_python: RunPython) -> None:
    out = child(run_python, FORKED_QUERIES, timeout=120)
    expected = sorted(sum(v for v in range(1000) if v % 3 == k) for k in range(3))
    assert out["parent"] == expected
    assert out["children"][0] == expected
    assert out["children"][1] == sorted(sum(v for v in range(3000) if v % 3 == k) for k in range(3))
