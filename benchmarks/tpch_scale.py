"""TPC-H at two scales under a memory limit: how fuseplug and DuckDB grow from SF 1 to SF 10 when
neither may hold more than ``--memory`` in memory and both may spill to disk.

fuseplug runs with ``RuntimeEnvBuilder().with_fair_spill_pool(memory)`` and a spill directory,
DuckDB with ``memory_limit`` and ``temp_directory`` set to the same; both use every core. Each
engine and scale runs in a process of its own (so its peak resident memory is its own): the 22
queries in order, each once after the files were read once into the page cache (SF 10 is too long
to repeat; ``--repeat`` adds runs). A query that fails (``ResourcesExhausted``) is reported with its
error: every query must answer. Reported: per query the time at each scale and the ratio SF 10 /
SF 1 (linear growth is 10x) for each engine, fuseplug / DuckDB at SF 10, the geometric means, the
peak RSS of each process, and fuseplug's answers at SF 10 checked against DuckDB's.

    python -m benchmarks.tpch_scale [--scales 1 10] [--memory 4GiB] [--data-root DIR]

``make bench-sf10`` runs it on a release build (about an hour on 2 cores, with SF 10 generated
once into ~/.cache/fuseplug/tpch); it is too long for CI and not part of ``python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness as h
from benchmarks import tpch
from benchmarks.tpch.answers import difference

ENGINES = ("fuseplug", "duckdb")
UNITS = {"kib": 2**10, "mib": 2**20, "gib": 2**30, "kb": 10**3, "mb": 10**6, "gb": 10**9}


def parse_size(text: str) -> int:
    lowered = text.strip().lower()
    for unit, factor in UNITS.items():
        if lowered.endswith(unit):
            return int(float(lowered.removesuffix(unit)) * factor)
    return int(lowered)


def runner(engine: str, data: Path, memory: int, spill: Path) -> Any:
    """A function that runs one SQL text in ``engine`` under the memory limit."""
    if engine == "fuseplug":
        import fuseplug

        runtime = (
            fuseplug.RuntimeEnvBuilder()
            .with_fair_spill_pool(memory)
            .with_disk_manager_specified(str(spill))
        )
        ctx = fuseplug.SessionContext(fuseplug.SessionConfig(), runtime)
        tpch.register(ctx, data)
        return lambda sql: ctx.sql(sql).to_arrow_table()
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory // 2**20}MiB'")
    con.execute(f"SET temp_directory = '{spill}'")
    tpch.register_duckdb(con, data)
    return lambda sql: con.sql(sql).to_arrow_table()


def child(engine: str, data: Path, memory: int, repeat: int, answers: Path) -> None:
    """Runs the 22 queries in one engine; prints a JSON line of times, errors and peak RSS."""
    import pyarrow.parquet as pq

    for path in tpch.paths(data).values():  # into the page cache, untimed
        with open(path, "rb") as f:
            while f.read(1 << 24):
                pass
    with tempfile.TemporaryDirectory(prefix=f"spill-{engine}-") as spill:
        run = runner(engine, data, memory, Path(spill))
        times: dict[str, list[float]] = {}
        errors: dict[str, str] = {}
        for n in tpch.QUERIES:
            case = f"q{n:02d}"
            sql = tpch.query(n)
            try:
                for _ in range(repeat):
                    start = time.perf_counter()
                    table = run(sql)
                    times.setdefault(case, []).append(time.perf_counter() - start)
                pq.write_table(table, answers / f"{engine}-{case}.parquet")
            except Exception as e:  # reported, the next query still runs
                errors[case] = h.error_text(e)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"times": times, "errors": errors, "peak_rss": peak}))


def main() -> None:
    p = h.parser(__doc__, repeat=1)
    p.add_argument("--scales", type=float, nargs=2, default=[1.0, 10.0], metavar=("SMALL", "BIG"))
    p.add_argument("--memory", default="4GiB", help="memory limit of each engine (4GiB)")
    p.add_argument("--data-root", help="where the TPC-H files are kept (default: under --out)")
    p.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    p.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        engine, data, repeat, answers = args.child
        child(engine, Path(data), parse_size(args.memory), int(repeat), Path(answers))
        return
    if args.smoke:
        args.scales = [0.01, 0.02]
    small, big = args.scales
    root = Path(args.data_root) if args.data_root else args.out / "data"
    datas = {s: h.tpch_data(s, args.out, str(root / f"tpch-sf{s:g}")) for s in (small, big)}
    repeat = h.repetitions(args)

    results: dict[str, dict[float, dict[str, Any]]] = {e: {} for e in args.engines}
    with tempfile.TemporaryDirectory(prefix="tpch-answers-") as tmp:
        for scale in (small, big):
            for engine in args.engines:
                answers = Path(tmp) / f"sf{scale:g}"
                answers.mkdir(exist_ok=True)
                command = [sys.executable, "-m", "benchmarks.tpch_scale", "--memory", args.memory]
                command += ["--child", engine, str(datas[scale]), str(repeat), str(answers)]
                print(f"SF {scale:g}: {engine}", flush=True)
                done = subprocess.run(command, capture_output=True, text=True, cwd=h.ROOT)
                if done.returncode != 0:
                    results[engine][scale] = {
                        "times": {},
                        "errors": {"all": f"exit {done.returncode}: {done.stderr[-2000:]}"},
                        "peak_rss": None,
                    }
                    continue
                results[engine][scale] = json.loads(done.stdout.strip().splitlines()[-1])
        differ = compare_answers(Path(tmp) / f"sf{big:g}", args.engines)

    report = h.Report(
        "tpch_scale",
        f"TPC-H SF {small:g} and SF {big:g} under a {args.memory} memory limit",
        args,
        __doc__,
    )
    write_report(report, results, small, big, args.engines, differ, args.memory)


def compare_answers(answers: Path, engines: list[str]) -> dict[str, str]:
    """fuseplug's answers at the big scale against DuckDB's: case -> difference."""
    import pyarrow.parquet as pq

    if set(engines) != set(ENGINES):
        return {}
    out = {}
    for n in tpch.QUERIES:
        case = f"q{n:02d}"
        ours, theirs = answers / f"fuseplug-{case}.parquet", answers / f"duckdb-{case}.parquet"
        if ours.is_file() and theirs.is_file():
            problem = difference(
                pq.read_table(ours), pq.read_table(theirs), case, sql=tpch.query(n)
            )
            if problem:
                out[case] = problem
    return out


def write_report(
    report: h.Report,
    results: dict[str, dict[float, dict[str, Any]]],
    small: float,
    big: float,
    engines: list[str],
    differ: dict[str, str],
    memory: str,
) -> None:
    def median(engine: str, scale: float, case: str) -> float | None:
        times = results[engine].get(scale, {}).get("times", {}).get(case)
        return h.summary(times)["median"] if times else None

    cases = [f"q{n:02d}" for n in tpch.QUERIES]
    rows, geo = [], {}
    for case in cases:
        row = [case]
        for engine in engines:
            a, b = median(engine, small, case), median(engine, big, case)
            row += [h.seconds(a), h.seconds(b), h.times_x(h.ratio(b, a))]
        if len(engines) == 2:
            row.append(
                h.times_x(h.ratio(median(engines[0], big, case), median(engines[1], big, case)))
            )
        rows.append(row)
    answered = [c for c in cases if all(median(e, s, c) for e in engines for s in (small, big))]
    for engine in engines:
        for scale in (small, big):
            values = [median(engine, scale, c) for c in answered]
            geo[f"{engine}@{scale:g}"] = h.geomean(v for v in values if v) if answered else None
    errors = {
        f"{engine} SF {scale:g} {case}": text
        for engine in engines
        for scale, result in results[engine].items()
        for case, text in result.get("errors", {}).items()
    }
    report.data.update(
        memory=memory,
        scales=[small, big],
        results={e: {f"{s:g}": r for s, r in by.items()} for e, by in results.items()},
        geomean=geo,
        errors=errors,
        differ=differ,
        answered=len(answered),
    )
    report.heading("Summary")
    summary = []
    for engine in engines:
        a, b = geo.get(f"{engine}@{small:g}"), geo.get(f"{engine}@{big:g}")
        peaks = [results[engine].get(s, {}).get("peak_rss") for s in (small, big)]
        summary.append(
            [
                engine,
                h.seconds(a),
                h.seconds(b),
                h.times_x(h.ratio(b, a)),
                " / ".join(h.size(p) if p else "n/a" for p in peaks),
                str(sum(1 for k in errors if k.startswith(engine))),
            ]
        )
    report.table(
        [
            "engine",
            f"SF {small:g} geomean",
            f"SF {big:g} geomean",
            f"SF {big:g} / SF {small:g}",
            "peak RSS (small / big)",
            "queries failed",
        ],
        summary,
    )
    report.text(
        f"Geometric means over the {len(answered)} queries every engine answered at both scales; "
        f"memory limit {memory} for each engine."
    )
    report.heading("Per query")
    header = ["query"]
    for engine in engines:
        header += [f"{engine} SF {small:g}", f"{engine} SF {big:g}", f"{engine} ratio"]
    if len(engines) == 2:
        header.append(f"{engines[0]} / {engines[1]} at SF {big:g}")
    report.table(header, rows)
    report.plot(
        "ratios",
        f"SF {big:g} / SF {small:g} time per query (linear: {big / small:g}x)",
        lambda ax: h.bars(
            ax,
            answered,
            {
                e: [h.ratio(median(e, big, c), median(e, small, c)) for c in answered]
                for e in engines
            },
            f"SF {big:g} / SF {small:g}",
        ),
    )
    report.heading("Failures and answers")
    if errors:
        report.table(["engine, scale, query", "error"], sorted(errors.items()))
    else:
        report.text("Every query answered in every engine at both scales.")
    if differ:
        report.table(["query", "fuseplug against DuckDB"], sorted(differ.items()))
    elif len(engines) == 2:
        report.text(
            f"fuseplug's answers at SF {big:g} agree with DuckDB's on every query both answered."
        )
    report.write()


if __name__ == "__main__":
    main()
