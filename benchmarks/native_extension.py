"""Cost of calling a Daft-ABI native extension from fuseplug, against peers measured in the same run.

- example_reverse(s) (native extension: arrays cross the C ABI, strings cast to LargeUtf8) against
  DataFusion's built-in reverse(s) on the same data;
- example_l2_distance(a, b) over FixedSizeList<float32> vectors against numpy on the same arrays;
- example_longest(s) (a native aggregate) grouped into GROUPS groups and into one group, against
  DataFusion's built-in max(s) on the same data: the per-group cost of the ABI's aggregate calls
  (see `aggregate_per_group` below).

Reports the median of several runs and the ratios; nothing is asserted. Run with `make bench`.

Measured on the 2-core dev machine (dev build, 2026-12-01): 100k groups take ~4.7 s with
example_longest against ~0.45 s with max (about 46 us per group). Buffering each group's rows so
that the module's `aggregate` runs once per group instead of once per group per batch (about 10
times fewer calls here) measured 4734 ms before and 4677 ms after: no gain, so it was not kept. A
profile shows the time in allocation and copying inside DataFusion's adapter for row accumulators
(`GroupsAccumulatorAdapter`: malloc / free / memmove about a third of the samples), not in the
calls; a native GroupsAccumulator would need group ids in the ABI, which it does not have.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa

import fuseplug

ROWS = 1_000_000
DIM = 16
REPEAT = 5
GROUPS = 100_000


def median_seconds(run: Callable[[], object]) -> float:
    run()  # warm up
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def aggregate_per_group(ctx: fuseplug.SessionContext, words: pa.Array) -> None:
    """A native aggregate over GROUPS groups (and over one), against the built-in max(s).

    The Daft ABI's `aggregate` turns the rows it is handed into one state: it has no group ids, so
    the host calls it once per group present in each input batch (then `combine` and `finalize` once
    per group); a built-in aggregate updates every group of a batch in one vectorized call."""
    rng = np.random.default_rng(1)
    groups = pa.array(rng.integers(0, GROUPS, size=ROWS))
    ctx.register_table("g", pa.table({"k": groups, "s": words}))
    per_group = "SELECT k, {f}(s) FROM g GROUP BY k"
    one_group = "SELECT {f}(s) FROM g"
    timings = {}
    for f in ("example_longest", "max"):
        for label, query in (("groups", per_group), ("one", one_group)):
            sql = query.format(f=f)
            timings[f, label] = median_seconds(lambda sql=sql: ctx.sql(sql).collect())
    native_groups = timings[("example_longest", "groups")]
    builtin_groups = timings[("max", "groups")]
    print(f"aggregate over {ROWS:,} strings; median of {REPEAT} runs")
    print(f"example_longest, {GROUPS:,} groups  {native_groups * 1e3:8.1f} ms")
    print(f"max (builtin), {GROUPS:,} groups    {builtin_groups * 1e3:8.1f} ms")
    print(f"  ratio native / builtin        {native_groups / builtin_groups:8.2f}")
    print(f"example_longest, one group      {timings[('example_longest', 'one')] * 1e3:8.1f} ms")
    print(f"max (builtin), one group        {timings[('max', 'one')] * 1e3:8.1f} ms")
    extra = native_groups - timings[("example_longest", "one")]
    print(f"  native cost per group         {extra / GROUPS * 1e6:8.2f} us")


def main() -> None:
    rng = np.random.default_rng(0)
    words = pa.array(
        ["".join(map(chr, rng.integers(97, 123, size=12))) for _ in range(ROWS // 10)] * 10
    )
    a = rng.normal(size=(ROWS, DIM)).astype(np.float32)
    b = rng.normal(size=(ROWS, DIM)).astype(np.float32)
    fa = pa.FixedSizeListArray.from_arrays(pa.array(a.ravel()), DIM)
    fb = pa.FixedSizeListArray.from_arrays(pa.array(b.ravel()), DIM)

    ctx = fuseplug.SessionContext()
    ctx.load_extension("fuseplug_native_example")
    ctx.register_table("w", pa.table({"s": words}))
    ctx.register_table("v", pa.table({"a": fa, "b": fb}))

    native_reverse = median_seconds(lambda: ctx.sql("SELECT example_reverse(s) FROM w").collect())
    builtin_reverse = median_seconds(lambda: ctx.sql("SELECT reverse(s) FROM w").collect())
    native_l2 = median_seconds(lambda: ctx.sql("SELECT example_l2_distance(a, b) FROM v").collect())
    numpy_l2 = median_seconds(
        lambda: np.linalg.norm(a.astype(np.float64) - b.astype(np.float64), axis=1)
    )

    print(f"rows: {ROWS:,}; vectors of {DIM} float32; median of {REPEAT} runs")
    print(f"example_reverse (native ABI) {native_reverse * 1e3:8.1f} ms")
    print(f"reverse (DataFusion builtin) {builtin_reverse * 1e3:8.1f} ms")
    print(f"  ratio native / builtin     {native_reverse / builtin_reverse:8.2f}")
    print(f"example_l2_distance (native) {native_l2 * 1e3:8.1f} ms")
    print(f"numpy norm(a - b)            {numpy_l2 * 1e3:8.1f} ms")
    print(f"  ratio native / numpy       {native_l2 / numpy_l2:8.2f}")
    aggregate_per_group(ctx, words)


if __name__ == "__main__":
    main()
