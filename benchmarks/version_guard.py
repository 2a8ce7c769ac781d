"""Cost of the version guard's scan of plugin libraries, first call and cached.

The guard reads the DataFusion major of the library behind every capsule from the library's file
(docs/plugins.md, "How the guard finds a library's major"). The first look at a file maps it and
searches it once; later looks hit a per-process cache keyed by path, size and modification time.

For each real plugin library in the dev environment this reports its size, the first-call time (in a
fresh process, so no cache is warm) and the cached-call time (median of many calls in one process),
and, as a peer measured in the same run, reading the whole file into memory (what the previous guard
did before scanning it byte by byte). Nothing is asserted. Run with `make bench`.

Measured on the 2-core dev machine (2026-12-01, dev build, files in the page cache):

| package | MiB | major | first call | cached call | read() alone |
|---|---|---|---|---|---|
| sedonadb 0.5.0 | 236 | 54 | 117 ms | 5 us | 261 ms |
| datafusion 55.0.0 (official) | 121 | 55 | 44 ms | 7 us | 127 ms |
| deltalake 1.6.6 | 128 | 55 | 57 ms | 6 us | 157 ms |
| pyiceberg-core 0.11.0 | 38 | 54 | 9 ms | 6 us | 33 ms |
| fuseplug (dev) | 152 | 55 | 60 ms | 6 us | 183 ms |
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

PACKAGES = [
    "sedonadb",
    "deltalake",
    "datafusion",
    "pyiceberg_core",
    "datafusion_extra_functions_ffi",
    "geodatafusion",
    "fuseplug",
]
FIRST_RUNS = 3
CACHED_RUNS = 200

CHILD = """
import json, sys, time
from fuseplug import plugins
path = sys.argv[1]
start = time.perf_counter()
majors = plugins.datafusion_majors_of(path)
first = time.perf_counter() - start
cached = []
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    plugins.datafusion_majors_of(path)
    cached.append(time.perf_counter() - start)
start = time.perf_counter()
with open(path, "rb") as f:
    f.read()
read_all = time.perf_counter() - start
print(json.dumps({"majors": majors, "first": first, "cached": cached, "read_all": read_all}))
"""


def library(package: str) -> Path | None:
    spec = find_spec(package)
    if spec is None or spec.origin is None:
        return None
    return max(Path(spec.origin).parent.glob("*.so"), key=lambda p: p.stat().st_size, default=None)


def measure(path: Path) -> dict[str, object]:
    runs = []
    for _ in range(FIRST_RUNS):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), str(CACHED_RUNS)],
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout))
    return {
        "majors": runs[0]["majors"],
        "first_ms": statistics.median(r["first"] for r in runs) * 1e3,
        "cached_us": statistics.median(t for r in runs for t in r["cached"]) * 1e6,
        "read_all_ms": statistics.median(r["read_all"] for r in runs) * 1e3,
    }


def main() -> None:
    print(
        f"{'package':<34} {'MiB':>6} {'majors':>8} {'first ms':>9} {'cached us':>10} {'read() ms':>10}"
    )
    for package in PACKAGES:
        path = library(package)
        if path is None:
            print(f"{package:<34} not installed")
            continue
        # Warm the page cache so the first call measures the scan, not the disk.
        path.read_bytes()
        m = measure(path)
        mib = path.stat().st_size / 2**20
        print(
            f"{package:<34} {mib:>6.0f} {m['majors']!s:>8} {m['first_ms']:>9.1f} "
            f"{m['cached_us']:>10.1f} {m['read_all_ms']:>10.1f}"
        )


if __name__ == "__main__":
    main()
