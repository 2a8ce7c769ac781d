"""Runs the benchmark suite and writes ``report.md``, an index with the headline numbers.

    python -m benchmarks [--smoke] [--out DIR] [--scale SF] [--repeat N] [--only NAME ...]

Each benchmark runs in its own process (``python -m benchmarks.<name>``) and writes its own
markdown, JSON and plots; one that fails is reported in the index and the others still run.
``make bench`` calls this after building fuseplug in release mode. The older scripts
(``native_extension``, ``version_guard``) print their tables; without ``--smoke`` they run too and
their output is kept as ``<name>.txt``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness as h

#: The suite in the order it runs (the issue's priorities first).
SUITE = (
    "tpch_queries",
    "startup",
    "arrow_io",
    "plan_serialization",
    "python_udf",
    "plugin_overhead",
    "progress",
    "distributed",
    "bridge54",
)
#: Benchmarks that take ``--scale`` (TPC-H data).
SCALED = (
    "tpch_queries",
    "plan_serialization",
    "plugin_overhead",
    "progress",
    "distributed",
    "bridge54",
)
#: Options the suite gives one benchmark: TPC-H runs every step of fuseplug's tuning, from
#: DataFusion's stock settings to fuseplug's own, so the report shows what each one gains.
EXTRA = {"tpch_queries": ["--defaults", "steps"]}
#: Report names, where they differ from the module's.
REPORT = {"tpch_queries": "tpch"}
#: Scripts that print instead of writing a report; not run with --smoke.
PRINTING = ("native_extension", "version_guard")
ENGINES = ("fuseplug", "datafusion", "duckdb", "polars")


def load(out: Path, name: str) -> dict[str, Any] | None:
    path = out / f"{REPORT.get(name, name)}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def headline(out: Path) -> list[list[str]]:
    """The README's table: one row per measure, one column per engine, from the reports in ``out``."""
    rows = []
    tpch = load(out, "tpch_queries")
    if tpch:
        geo = tpch["geomean"]
        rows.append(
            [f"TPC-H SF {tpch['scale']:g} geomean", *(h.seconds(geo.get(e)) for e in ENGINES)]
        )
    startup = load(out, "startup")
    if startup:
        stats, libs = startup["stats"], startup["libraries"]
        rows.append(
            [
                "`import` (fresh process, median)",
                *(h.seconds(stats[e]["median"]) if e in stats else "n/a" for e in ENGINES),
            ]
        )
        rows.append(
            [
                "native library",
                *(h.size(libs[e]["largest_bytes"]) if e in libs else "n/a" for e in ENGINES),
            ]
        )
    scale = load(out, "tpch_scale")  # `make bench-sf10`, when its report is in the same place
    if scale:
        small, big = scale["scales"]
        geo = scale["geomean"]

        def grew(engine: str) -> str:
            a, b = geo.get(f"{engine}@{small:g}"), geo.get(f"{engine}@{big:g}")
            failed = sum(1 for k in scale["errors"] if k.startswith(engine))
            if not b:
                return "n/a"
            return f"{h.seconds(b)} ({h.times_x(h.ratio(b, a))} SF {small:g}, {failed} failed)"

        rows.append(
            [
                f"TPC-H SF {big:g} geomean, {scale['memory']} memory limit",
                grew("fuseplug"),
                "n/a",
                grew("duckdb"),
                "n/a",
            ]
        )
    arrow = load(out, "arrow_io")
    if arrow:
        case = next((c for c in reversed(list(arrow["stats"])) if c.endswith("round trip")), None)
        if case:
            cells = []
            for e in ENGINES:
                s = arrow["stats"][case].get(e)
                chunks = arrow["chunks"].get(case, {}).get(e)
                cells.append("n/a" if not s else f"{h.seconds(s['median'])}, {chunks} chunk(s)")
            rows.append([f"Arrow round trip, {case.split()[0]} rows", *cells])
    overhead = (load(out, "plugin_overhead") or {}).get("overhead", {})
    if overhead:

        def pct(key: str) -> str:
            return f"{overhead[key] * 100:+.1f} %" if key in overhead else "n/a"

        ours = [pct("deltalake lineitem / fuseplug")]
        ours.append(pct("ffi-example range / against fuseplug native (range)"))
        rows.append(
            [
                "capsule scan overhead (deltalake; ffi-example)",
                "; ".join(ours),
                pct("deltalake lineitem / datafusion"),
                "n/a",
                "n/a",
            ]
        )
    serial = load(out, "plan_serialization")
    if serial:
        geo = serial["geomean"]
        cells = {
            e: " / ".join(
                h.seconds(geo[op].get(e)) for op in ("physical to_bytes", "physical from_bytes")
            )
            for e in ("fuseplug", "datafusion")
        }
        rows.append(
            [
                "TPC-H physical plans to_bytes / from_bytes",
                cells["fuseplug"],
                cells["datafusion"],
                "n/a",
                "n/a",
            ]
        )
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--smoke", action="store_true", help="every benchmark in smoke mode")
    p.add_argument("--out", type=Path, default=h.RESULTS)
    p.add_argument("--scale", type=float, help="TPC-H scale factor (each benchmark's default: 1)")
    p.add_argument("--repeat", type=int, help="timed runs per case (each benchmark's default)")
    p.add_argument("--only", nargs="+", choices=SUITE + PRINTING, help="run only these")
    args = p.parse_args()

    chosen = args.only or SUITE + (() if args.smoke else PRINTING)
    outcome: dict[str, str] = {}
    for name in chosen:
        command = [sys.executable, "-m", f"benchmarks.{name}"]
        if name in SUITE:
            command += ["--out", str(args.out)]
            if args.smoke:
                command.append("--smoke")
            if args.repeat:
                command += ["--repeat", str(args.repeat)]
            if args.scale and name in SCALED:
                command += ["--scale", str(args.scale)]
            command += EXTRA.get(name, [])
        print(f"== {name}", flush=True)
        start = time.perf_counter()
        if name in PRINTING:
            done = subprocess.run(command, cwd=h.ROOT, capture_output=True, text=True)
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{name}.txt").write_text(done.stdout + done.stderr)
            print(done.stdout, end="")
        else:
            done = subprocess.run(command, cwd=h.ROOT)
        took = time.perf_counter() - start
        outcome[name] = (
            f"ok in {took:.0f} s" if done.returncode == 0 else f"failed ({done.returncode})"
        )
        print(f"== {name}: {outcome[name]}", flush=True)

    env = h.environment()
    lines = [
        "# fuseplug benchmarks",
        "",
        f"{env['date']} · {env['system']} · {env['cpus']} CPUs · Python {env['python']} · "
        f"fuseplug build: {env['fuseplug_profile']}"
        + (" · **smoke run: not a measurement**" if args.smoke else ""),
        "",
        "## Headline",
        "",
    ]
    rows = headline(args.out)
    if rows:
        lines += [
            "| measure | fuseplug | official `datafusion` | DuckDB | Polars |",
            "|---|---|---|---|---|",
        ]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
    else:
        lines.append("No headline numbers: the TPC-H, start-up and Arrow reports are missing.")
    lines += ["", "## Reports", ""]
    for name in chosen:
        file = f"{REPORT.get(name, name)}.md" if name in SUITE else f"{name}.txt"
        lines.append(f"- [{name}]({file}): {outcome[name]}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out / 'report.md'}")
    sys.exit(0 if all(v.startswith("ok") for v in outcome.values()) else 1)


if __name__ == "__main__":
    main()
