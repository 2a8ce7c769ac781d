"""TPC-H: the 22 queries as SQL in fuseplug, the official ``datafusion`` wheel, DuckDB and Polars,
on the same Parquet files from ``tpchgen-cli``.

Each engine registers the eight files once (fuseplug and datafusion with ``register_parquet``,
DuckDB as views over ``read_parquet``, Polars as a ``SQLContext`` over ``scan_parquet``
LazyFrames); then each query runs in every engine in turn, the engines interleaved, after one
untimed warm-up. A timed run is planning, execution and the whole answer in memory (an Arrow table
for fuseplug, datafusion and DuckDB, a Polars DataFrame for Polars). All engines share this
process and its cores: fuseplug and the official wheel load side by side, each library with its
own copy of DataFusion. Reported: per-query median and spread, the geometric mean per engine
over the queries every engine ran, the ratios fuseplug / official and fuseplug / DuckDB, and
fuseplug's answers checked against DuckDB's (a mismatch is reported, not raised). A query an
engine cannot run is n/a with its error.

``--defaults`` picks fuseplug's session settings: ``fuseplug`` (its own planning changes: joins
tuned to the machine and its optimizer rules, ``crates/fuseplug-engine/src/optimizer``),
``official`` (every ``fuseplug.optimizer`` switch off, as the official wheel plans), ``both``
(both sessions, as engines ``fuseplug`` and ``fuseplug@official``, interleaved: the before / after
per query) or ``steps``
(every step from the one to the other, each adding one change: ``fuseplug@official``,
``fuseplug@joins``, ``fuseplug@rowfilter``, ``fuseplug``), each checked against ``fuseplug``'s
answers.

    python -m benchmarks.tpch_queries --scale 1 --repeat 5 [--defaults both|steps]
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import _harness as h
from benchmarks import tpch
from benchmarks.tpch.answers import difference

ENGINES = ("fuseplug", "datafusion", "duckdb", "polars")
#: fuseplug's planning changes off: joins planned as DataFusion plans them (docs/compatibility.md,
#: "Session defaults") and fuseplug's optimizer rules (docs/compatibility.md, "Optimizer rules").
OFFICIAL_DEFAULTS = {
    "fuseplug.optimizer.collect_joins": "false",
    "fuseplug.optimizer.dynamic_filter_rows": "false",
    "fuseplug.optimizer.share_repeated_subplans": "false",
}
#: ``--defaults steps``: from DataFusion's stock settings to fuseplug's, one change at a time
#: (each entry undoes one more of ``OFFICIAL_DEFAULTS``); the last step is ``fuseplug`` itself.
STEPS = {
    "fuseplug@official": OFFICIAL_DEFAULTS,
    "fuseplug@joins": {
        k: v for k, v in OFFICIAL_DEFAULTS.items() if k != "fuseplug.optimizer.collect_joins"
    },
    "fuseplug@rowfilter": {"fuseplug.optimizer.share_repeated_subplans": "false"},
}


def engines(
    names: list[str], data: Path, defaults: str = "fuseplug"
) -> dict[str, Callable[[str], Any]]:
    """A function per engine that runs one SQL text and returns its whole answer."""
    runners: dict[str, Callable[[str], Any]] = {}
    if "fuseplug" in names:
        import fuseplug

        official = fuseplug.SessionConfig(OFFICIAL_DEFAULTS)
        configs = {"fuseplug": fuseplug.SessionConfig()}
        if defaults == "official":
            configs = {"fuseplug": official}
        elif defaults == "both":
            configs["fuseplug@official"] = official
        elif defaults == "steps":
            configs = {name: fuseplug.SessionConfig(o) for name, o in STEPS.items()} | configs
        for name, config in configs.items():
            fctx = fuseplug.SessionContext(config)
            tpch.register(fctx, data)
            runners[name] = lambda sql, fctx=fctx: fctx.sql(sql).to_arrow_table()
    if "datafusion" in names:
        import datafusion

        octx = datafusion.SessionContext()
        tpch.register(octx, data)
        runners["datafusion"] = lambda sql: octx.sql(sql).to_arrow_table()
    if "duckdb" in names:
        import duckdb

        con = duckdb.connect()
        tpch.register_duckdb(con, data)
        runners["duckdb"] = lambda sql: con.sql(sql).to_arrow_table()
    if "polars" in names:
        import polars as pl

        sctx = pl.SQLContext({name: pl.scan_parquet(p) for name, p in tpch.paths(data).items()})
        runners["polars"] = lambda sql: sctx.execute(sql).collect()
    return runners


def main() -> None:
    p = h.parser(__doc__, repeat=5)
    p.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor (1)")
    p.add_argument("--data", help="directory of the Parquet files (default: under --out)")
    p.add_argument("--queries", type=int, nargs="+", default=list(tpch.QUERIES))
    p.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    p.add_argument(
        "--defaults",
        choices=("fuseplug", "official", "both", "steps"),
        default="fuseplug",
        help="fuseplug's session settings: its own, DataFusion's stock ones, both, or every step "
        "from the one to the other (fuseplug)",
    )
    args = p.parse_args()
    if args.smoke:
        args.scale = 0.01
    times = h.repetitions(args)
    data = h.tpch_data(args.scale, args.out, args.data)
    runners = engines(args.engines, data, args.defaults)
    cases = [f"q{n:02d}" for n in args.queries]
    sql = {f"q{n:02d}": tpch.query(n) for n in args.queries}

    answers: dict[tuple[str, str], Any] = {}

    def keep(case: str, engine: str, result: Any) -> None:
        if engine.startswith("fuseplug") or engine == "duckdb":
            answers[case, engine] = result

    raw = h.interleave(
        cases, {e: (lambda c, e=e: runners[e](sql[c])) for e in runners}, times, on_result=keep
    )

    stats: dict[str, dict[str, dict[str, float] | None]] = {}
    errors: dict[str, dict[str, str]] = {}
    for case, row in raw.items():
        stats[case] = {}
        for engine, value in row.items():
            if isinstance(value, str):
                errors.setdefault(engine, {})[case] = value
                stats[case][engine] = None
            else:
                stats[case][engine] = h.summary(value)

    mismatches = {}
    for case in cases:
        ours, theirs = answers.get((case, "fuseplug")), answers.get((case, "duckdb"))
        if ours is not None and theirs is not None:
            # DuckDB names some computed columns differently; compare values only.
            problem = difference(ours, theirs, case, check_names=False)
            if problem:
                mismatches[case] = problem
        for variant in (e for e in runners if e.startswith("fuseplug@")):
            other = answers.get((case, variant))
            if ours is not None and other is not None:
                problem = difference(ours, other, f"{case} ({variant})")
                if problem:
                    mismatches[f"{case} {variant}"] = problem

    common = [c for c in cases if all(stats[c].get(e) for e in runners)]
    geo = {e: h.geomean(stats[c][e]["median"] for c in common) for e in runners}  # type: ignore[index]

    def med(case: str, engine: str) -> float | None:
        s = stats[case].get(engine)
        return s["median"] if s else None

    report = h.Report("tpch", f"TPC-H SF {args.scale:g}", args, __doc__)
    report.data.update(
        scale=args.scale,
        data=str(data),
        engines=list(runners),
        defaults=args.defaults,
        times=raw,
        stats=stats,
        errors=errors,
        geomean=geo,
        geomean_queries=common,
        mismatches=mismatches,
        answers_checked=sorted(
            c for c in cases if (c, "fuseplug") in answers and (c, "duckdb") in answers
        ),
    )

    report.heading("Geometric mean")
    report.text(f"Over the {len(common)} queries every engine ran.")
    report.table(
        ["engine", "geomean", "fuseplug / engine"],
        [[e, h.seconds(geo[e]), h.times_x(h.ratio(geo.get("fuseplug"), geo[e]))] for e in runners],
    )
    report.heading("Per query")
    report.text("Median of the timed runs, ± half their range relative to the median.")
    header = ["query", *runners]
    if "datafusion" in runners:
        header.append("fuseplug / official")
    if "duckdb" in runners:
        header.append("fuseplug / DuckDB")
    # each variant's time against the one before it (fuseplug last): the effect of each step
    variants = [e for e in runners if e.startswith("fuseplug@")] + ["fuseplug"]
    steps = list(itertools.pairwise(variants))
    header.extend(f"{after} / {before}" for before, after in steps)
    rows = []
    for case in cases:
        row = [case, *(h.cell(stats[case][e]) for e in runners)]
        if "datafusion" in runners:
            row.append(h.times_x(h.ratio(med(case, "fuseplug"), med(case, "datafusion"))))
        if "duckdb" in runners:
            row.append(h.times_x(h.ratio(med(case, "fuseplug"), med(case, "duckdb"))))
        row.extend(h.times_x(h.ratio(med(case, a), med(case, b))) for b, a in steps)
        rows.append(row)
    report.table(header, rows)

    report.heading("Answers: fuseplug against DuckDB")
    checked = report.data["answers_checked"]
    if not checked:
        report.text("Not checked (fuseplug or DuckDB did not run).")
    elif mismatches:
        report.text(f"{len(mismatches)} of {len(checked)} answers differ:")
        report.table(["query", "difference"], sorted(mismatches.items()))
    else:
        report.text(f"All {len(checked)} answers agree (values within 1e-6, rows in any order).")

    report.heading("Queries an engine could not run")
    if errors:
        report.table(
            ["engine", "query", "error"],
            [[e, c, msg] for e, by_case in errors.items() for c, msg in sorted(by_case.items())],
        )
    else:
        report.text("None: every engine ran every query.")

    report.plot(
        "queries",
        "median time per query",
        lambda ax: h.bars(ax, cases, {e: [med(c, e) for c in cases] for e in runners}, "seconds"),
    )
    report.write()


if __name__ == "__main__":
    main()
