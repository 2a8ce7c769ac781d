"""Session options on TPC-H: each variant is a fuseplug session with some options changed from
fuseplug's defaults, every variant runs every query (interleaved, after a warm-up), and each
variant's answers are checked against the first variant's. This is how fuseplug's session defaults
were chosen (docs/compatibility.md, "Session defaults"); it is not part of ``python -m benchmarks``.

    python -m benchmarks.session_options --scale 1 --repeat 5 \\
        --variant pushdown datafusion.execution.parquet.pushdown_filters=true \\
        --variant joins fuseplug.optimizer.collect_joins=false

The first variant is always ``defaults`` (nothing changed). Reported: per query the median of
each variant and its ratio to ``defaults``, the geometric mean, and any answer that differs.
"""

from __future__ import annotations

from typing import Any

from benchmarks import _harness as h
from benchmarks import tpch
from benchmarks.tpch.answers import difference


def parse_variants(raw: list[list[str]]) -> dict[str, dict[str, str]]:
    """``[[name, key=value, ...], ...]`` as ``{name: {key: value}}``, after ``defaults``."""
    variants: dict[str, dict[str, str]] = {"defaults": {}}
    for name, *settings in raw:
        if name in variants:
            raise SystemExit(f"variant {name!r} given twice")
        options = {}
        for setting in settings:
            key, sep, value = setting.partition("=")
            if not sep:
                raise SystemExit(f"variant {name!r}: expected key=value, got {setting!r}")
            options[key] = value
        variants[name] = options
    return variants


def parser(description: str | None) -> Any:
    """The command line of this benchmark and of those built on it (``benchmarks.progress``)."""
    p = h.parser(description, repeat=5)
    p.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor (1)")
    p.add_argument("--data", help="directory of the Parquet files (default: under --out)")
    p.add_argument("--queries", type=int, nargs="+", default=list(tpch.QUERIES))
    return p


def main() -> None:
    p = parser(__doc__)
    p.add_argument(
        "--variant",
        nargs="+",
        action="append",
        default=[],
        metavar="NAME KEY=VALUE",
        help="a named variant and the options it sets (repeatable)",
    )
    args = p.parse_args()
    run(args, parse_variants(args.variant), "session_options", "Session options", __doc__)


def run(
    args: Any, variants: dict[str, dict[str, str]], report_name: str, title: str, doc: str | None
) -> None:
    """Times every variant on every query, interleaved, and writes the report ``report_name``."""
    import fuseplug

    base = next(iter(variants))  # what the others are compared with
    if args.smoke:
        args.scale = 0.01
    data = h.tpch_data(args.scale, args.out, args.data)
    contexts = {}
    for name, options in variants.items():
        config = fuseplug.SessionConfig()
        for key, value in options.items():
            config = config.set(key, value)
        contexts[name] = fuseplug.SessionContext(config)
        tpch.register(contexts[name], data)

    cases = [f"q{n:02d}" for n in args.queries]
    sql = {f"q{n:02d}": tpch.query(n) for n in args.queries}
    answers: dict[tuple[str, str], Any] = {}
    raw = h.interleave(
        cases,
        {v: (lambda c, v=v: contexts[v].sql(sql[c]).to_arrow_table()) for v in contexts},
        h.repetitions(args),
        on_result=lambda case, v, result: answers.__setitem__((case, v), result),
    )
    stats = {
        case: {v: h.summary(t) if isinstance(t, list) else None for v, t in row.items()}
        for case, row in raw.items()
    }
    differ = {
        f"{case} / {v}": problem
        for case in cases
        for v in contexts
        if v != base
        and (case, v) in answers
        and (case, base) in answers
        and (problem := difference(answers[case, v], answers[case, base], case))
    }
    common = [c for c in cases if all(stats[c][v] for v in contexts)]
    geo = {v: h.geomean(stats[c][v]["median"] for c in common) for v in contexts}  # type: ignore[index]

    report = h.Report(report_name, f"{title}, TPC-H SF {args.scale:g}", args, doc)
    report.data.update(variants=variants, times=raw, stats=stats, geomean=geo, differ=differ)
    report.heading("Variants")
    report.table(
        ["variant", "options"],
        [[v, ", ".join(f"`{k}={x}`" for k, x in o.items()) or "-"] for v, o in variants.items()],
    )
    report.heading("Geometric mean")
    report.table(
        ["variant", "geomean", f"/ {base}"],
        [[v, h.seconds(geo[v]), h.times_x(h.ratio(geo[v], geo[base]))] for v in contexts],
    )
    report.plot(
        "ratios",
        f"Each query's median against `{base}`",
        lambda ax: h.bars(
            ax,
            common,
            {
                v: [h.ratio(stats[c][v]["median"], stats[c][base]["median"]) for c in common]  # type: ignore[index]
                for v in contexts
                if v != base
            },
            f"time / {base}",
        ),
    )
    report.heading("Per query")
    report.text(f"Median of the timed runs, and the ratio to `{base}`.")

    def cell(case: str, v: str) -> str:
        s, first = stats[case][v], stats[case][base]
        if not s or not first:
            return str(raw[case][v]) if isinstance(raw[case][v], str) else "-"
        if v == base:
            return h.seconds(s["median"])
        return f"{h.seconds(s['median'])} ({h.times_x(h.ratio(s['median'], first['median']))})"

    report.table(["query", *contexts], [[c, *(cell(c, v) for v in contexts)] for c in cases])
    report.heading("Answers")
    if differ:
        report.table(["query / variant", "difference"], sorted(differ.items()))
    else:
        report.text(f"Every variant gave the same answers as `{base}` (rows in any order).")
    report.write()


if __name__ == "__main__":
    main()
