"""Cost of calling a Daft-ABI native extension from fuseplug, against peers measured in the same run.

- example_reverse(s) (native extension: arrays cross the C ABI, strings cast to LargeUtf8) against
  DataFusion's built-in reverse(s) on the same data;
- example_l2_distance(a, b) over FixedSizeList<float32> vectors against numpy on the same arrays.

Reports the median of several runs and the ratios; nothing is asserted. Run with `make bench`.
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


def median_seconds(run: Callable[[], object]) -> float:
    run()  # warm up
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


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


if __name__ == "__main__":
    main()
