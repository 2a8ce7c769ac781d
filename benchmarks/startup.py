"""Start-up: how long ``import <package>`` takes in a fresh interpreter, and the native libraries
the import maps, for fuseplug, the official ``datafusion`` wheel, DuckDB and Polars.

Each run is a new ``python`` process that times its own ``import`` with ``perf_counter`` (the
interpreter's start is not counted) and lists the shared libraries the import added to the
process's memory map (``/proc/self/maps``), with their sizes on disk. The packages take turns in
each round. Reported: the median and spread of the import time, the size of the package's largest
library and of all libraries the import loaded (pyarrow's, for instance, if the package imports
pyarrow), and for fuseplug the modules ``python -X importtime`` charges the most time to.

The children measure what users see: Python's bytecode cache is on. A machine that sets
``PYTHONDONTWRITEBYTECODE=1`` would make every import compile its sources again, so each child
runs without that variable and with ``PYTHONPYCACHEPREFIX`` pointing at a cache directory of this
benchmark (the same for every package; the untimed first round fills it).

    python -m benchmarks.startup --repeat 10
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks import _harness as h

PACKAGES = ("fuseplug", "datafusion", "duckdb", "polars")
TOP_MODULES = 15
PROFILE_RUNS = 5
#: Packages ``import fuseplug`` should not load (python/tests/test_import.py checks the same).
HEAVY = ("pyarrow", "pandas", "polars", "numpy", "asyncio", "ssl", "cloudpickle")

CHILD = """
import json, sys, time
def libraries():
    try:
        with open("/proc/self/maps") as f:
            return {line.split()[-1] for line in f if ".so" in line.rsplit("/", 1)[-1]}
    except OSError:
        return set()
before = libraries()
start = time.perf_counter()
__import__(sys.argv[1])
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "libraries": sorted(libraries() - before)}))
"""


def child_env(cache: Path) -> dict[str, str]:
    """The environment of every child: bytecode cached under ``cache``, as a user's install has it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def run_child(package: str, env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, package], capture_output=True, text=True, check=True, env=env
    )
    return json.loads(out.stdout)


def import_profile(package: str, env: dict[str, str], runs: int) -> list[dict[str, Any]]:
    """``python -X importtime -c 'import package'``: one entry per module, in microseconds (the
    median of ``runs`` runs per module, so one slow run does not decide the ranking)."""
    profiles = [_importtime(package, env) for _ in range(runs)]
    modules = []
    for entry in profiles[0]:
        name = entry["module"]
        same = [m for run in profiles for m in run if m["module"] == name]
        modules.append(
            {
                "module": name,
                "self_us": int(statistics.median(m["self_us"] for m in same)),
                "cumulative_us": int(statistics.median(m["cumulative_us"] for m in same)),
            }
        )
    return modules


def _importtime(package: str, env: dict[str, str]) -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {package}"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    modules = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|")
        modules.append(
            {"module": name.strip(), "self_us": int(self_us), "cumulative_us": int(cumulative_us)}
        )
    return modules


def main() -> None:
    p = h.parser(__doc__, repeat=10)
    p.add_argument("--packages", nargs="+", default=list(PACKAGES))
    args = p.parse_args()
    times = h.repetitions(args)
    env = child_env(args.out / "pycache")

    samples: dict[str, list[float]] = {pkg: [] for pkg in args.packages}
    libraries: dict[str, list[str]] = {}
    failed: dict[str, str] = {}
    for rep in range(times + 1):  # the first round warms the page cache and is not counted
        for pkg in args.packages:
            if pkg in failed:
                continue
            try:
                result = run_child(pkg, env)
            except subprocess.CalledProcessError as e:
                lines = (e.stderr or "").strip().splitlines()
                failed[pkg] = lines[-1] if lines else f"exit status {e.returncode}"
                continue
            libraries[pkg] = result["libraries"]
            if rep > 0:
                samples[pkg].append(result["seconds"])

    sizes = {}
    for pkg, libs in libraries.items():
        existing = {lib: os.path.getsize(lib) for lib in libs if os.path.isfile(lib)}
        largest = max(existing, key=existing.__getitem__, default=None)
        sizes[pkg] = {
            "largest": largest,
            "largest_bytes": existing.get(largest, 0) if largest else 0,
            "total_bytes": sum(existing.values()),
            "libraries": existing,
        }
    stats = {pkg: h.summary(s) for pkg, s in samples.items() if s}
    profile_runs = 1 if args.smoke else PROFILE_RUNS
    profile = import_profile("fuseplug", env, profile_runs) if "fuseplug" in args.packages else []

    report = h.Report("startup", "Start-up: import time and native libraries", args, __doc__)
    report.data.update(times=samples, stats=stats, libraries=sizes, errors=failed)
    report.data["fuseplug_importtime"] = profile

    report.heading("import time (fresh process) and libraries loaded")
    report.table(
        ["package", "import", "largest library", "size", "all libraries loaded"],
        [
            [
                pkg,
                h.cell(stats.get(pkg)),
                os.path.basename(sizes[pkg]["largest"] or "-") if pkg in sizes else "-",
                h.size(sizes[pkg]["largest_bytes"]) if pkg in sizes else "-",
                f"{h.size(sizes[pkg]['total_bytes'])} in {len(sizes[pkg]['libraries'])}"
                if pkg in sizes
                else failed.get(pkg, "-"),
            ]
            for pkg in args.packages
        ],
    )
    if profile:
        total = max((m["cumulative_us"] for m in profile), default=0)
        report.heading("fuseplug: modules by own import time (`python -X importtime`)")
        report.text(
            f"Median of {profile_runs} run(s) per module; `import fuseplug` took "
            f"{total / 1e3:.1f} ms in all (a run with the profiler on is slower than one without). "
            f"The {TOP_MODULES} modules with the most own time:"
        )
        top = sorted(profile, key=lambda m: m["self_us"], reverse=True)[:TOP_MODULES]
        report.table(
            ["module", "self", "cumulative"],
            [
                [
                    f"`{m['module']}`",
                    f"{m['self_us'] / 1e3:.1f} ms",
                    f"{m['cumulative_us'] / 1e3:.1f} ms",
                ]
                for m in top
            ],
        )
        by_package: dict[str, int] = {}
        for m in profile:
            top_level = m["module"].split(".")[0]
            by_package[top_level] = by_package.get(top_level, 0) + m["self_us"]
        report.data["fuseplug_importtime_by_package"] = by_package
        report.text("Own time summed by top-level package:")
        report.table(
            ["package", "self"],
            [
                [f"`{name}`", f"{us / 1e3:.1f} ms"]
                for name, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:TOP_MODULES]
            ],
        )
        heavy = [name for name in HEAVY if any(m["module"] == name for m in profile)]
        report.text(
            "Heavy packages imported by `import fuseplug`: "
            + (", ".join(f"`{n}`" for n in heavy) if heavy else "none of " + ", ".join(HEAVY))
            + "."
        )
    if stats:
        names = list(stats)
        report.plot(
            "import",
            "median import time",
            lambda ax: h.bars(
                ax, names, {"import": [stats[n]["median"] for n in names]}, "seconds"
            ),
        )
    if failed:
        report.heading("Packages that failed to import")
        report.table(["package", "error"], sorted(failed.items()))
    print("  ".join(f"{pkg} {h.seconds(statistics.median(s))}" for pkg, s in samples.items() if s))
    report.write()


if __name__ == "__main__":
    main()
