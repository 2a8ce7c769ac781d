"""Distributed TPC-H: the 22 queries in one fuseplug process, and distributed over a
``LocalCluster`` of 1 and of 2 fuseplug worker processes on this machine (datafusion-distributed,
Arrow Flight over loopback).

All three setups share the machine's cores, so on a small machine this measures what distribution
costs (planning stages, encoding plan fragments, Arrow Flight between processes), not how it
scales: more workers than cores cannot be faster. Runs are interleaved per query after one warm-up;
answers are checked against the single-process ones. Reported: per-query medians, the geometric
mean per setup, the ratio to one process, the number of stages per query, and the overhead per
stage (distributed minus local time, divided by the stages).

    python -m benchmarks.distributed --scale 1 --repeat 3
"""

from __future__ import annotations

import re
from typing import Any

from benchmarks import _harness as h
from benchmarks import tpch
from benchmarks.tpch.answers import difference

SETUPS = ("local", "1 worker", "2 workers")


def stages(ctx: Any, sql: str) -> int:
    """How many stages the distributed plan of ``sql`` has (0 when it is not distributed)."""
    plan = ctx.sql(sql).execution_plan().display_indent()
    return len(set(re.findall(r"Stage (\d+)", plan)))


def main() -> None:
    p = h.parser(__doc__, repeat=3)
    p.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor (1)")
    p.add_argument("--data", help="directory with the TPC-H Parquet files (generated if missing)")
    args = p.parse_args()
    scale = 0.01 if args.smoke else args.scale
    data = h.tpch_data(scale, args.out, args.data)
    queries = (1, 3, 6) if args.smoke else tpch.QUERIES

    import fuseplug
    from fuseplug.distributed import LocalCluster

    # the smoke data is tiny: small scan tasks, so its plans still have stages
    split = 256 * 1024 if args.smoke else 16 * 1024 * 1024
    local = fuseplug.SessionContext()
    tpch.register(local, data)
    with LocalCluster(workers=1) as one, LocalCluster(workers=2) as two:
        runners = {
            "local": local,
            "1 worker": local.with_distributed(workers=one, bytes_per_partition=split),
            "2 workers": local.with_distributed(workers=two, bytes_per_partition=split),
        }
        answers: dict[str, Any] = {}
        mismatches: list[str] = []

        def check(case: str, setup: str, result: Any) -> None:
            if setup == "local":
                answers[case] = result
            elif case in answers:
                problem = difference(result, answers[case], f"{case} {setup}")
                if problem:
                    mismatches.append(problem)

        cases = [f"q{n:02d}" for n in queries]
        sql = {f"q{n:02d}": tpch.query(n) for n in queries}
        # "local" first in every repetition's first turn, so the answers exist before the checks
        times = h.interleave(
            cases,
            {s: (lambda case, c=c: c.sql(sql[case]).to_arrow_table()) for s, c in runners.items()},
            h.repetitions(args),
            on_result=check,
        )
        stage_counts = {case: stages(runners["2 workers"], sql[case]) for case in cases}

    report = h.Report("distributed", f"Distributed TPC-H SF {scale:g}", args, __doc__)
    stats = {
        case: {s: h.summary(v) for s, v in row.items() if isinstance(v, list) and v}
        for case, row in times.items()
    }
    errors = {
        case: {s: v for s, v in row.items() if isinstance(v, str)} for case, row in times.items()
    }
    common = [c for c in cases if all(s in stats[c] for s in SETUPS)]
    geo = {s: h.geomean(stats[c][s]["median"] for c in common) for s in SETUPS} if common else {}
    per_stage = {}
    for case in common:
        n = stage_counts[case]
        if n:
            extra = stats[case]["2 workers"]["median"] - stats[case]["local"]["median"]
            per_stage[case] = extra / n
    report.data.update(
        scale=scale,
        stats=stats,
        errors=errors,
        geomean=geo,
        stages=stage_counts,
        overhead_per_stage=per_stage,
        mismatches=mismatches,
    )
    report.heading("Geometric mean")
    report.table(
        ["setup", "geomean", "x local"],
        [
            [s, h.seconds(geo.get(s)), h.times_x(h.ratio(geo.get(s), geo.get("local")))]
            for s in SETUPS
        ],
    )
    if per_stage:
        values = sorted(per_stage.values())
        report.text(
            f"Overhead per stage with 2 workers (distributed median - local median, divided by the stages): "
            f"median {h.seconds(values[len(values) // 2])} over {len(values)} queries."
        )
    report.heading("Per query (median and spread)")
    report.table(
        ["query", "stages", *SETUPS, "2 workers x local"],
        [
            [
                case,
                stage_counts.get(case, "?"),
                *(
                    h.cell(stats[case].get(s)) if s in stats[case] else errors[case].get(s, "n/a")
                    for s in SETUPS
                ),
                h.times_x(
                    h.ratio(
                        stats[case].get("2 workers", {}).get("median"),
                        stats[case].get("local", {}).get("median"),
                    )
                ),
            ]
            for case in cases
        ],
    )
    report.heading("Answers")
    report.text(
        "All distributed answers equal the single-process ones."
        if not mismatches
        else "Mismatches:\n\n" + "\n".join(f"- {m}" for m in mismatches)
    )
    if common:
        report.plot(
            "per-query",
            "median per query and setup",
            lambda ax: h.bars(
                ax, common, {s: [stats[c][s]["median"] for c in common] for s in SETUPS}, "seconds"
            ),
        )
    report.write()


if __name__ == "__main__":
    main()
