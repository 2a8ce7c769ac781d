"""Plugin overhead: the same scan, filter and aggregate on a table fuseplug owns and on the same
data handed over by a plugin as a datafusion-ffi capsule, where every batch crosses the FFI.

- **deltalake**: TPC-H ``lineitem`` written once as a Delta table with ``write_deltalake``; the
  Delta table's own Parquet files are read natively (``register_parquet`` on the table's
  directory, which skips ``_delta_log``) and through the capsule (``register_table`` of a
  ``deltalake.DeltaTable``). The official ``datafusion`` wheel runs both too, as a peer.
- **ffi-example** (``fuseplug_ffi_example``, built by ``make develop``): its ``example_range(n)``
  table function (a capsule; it builds one batch of ``0..n`` on each scan) against the same
  column as a native in-memory table (``register_record_batches``, built once) and DataFusion's
  built-in ``range(n)`` (generated on each scan, like the plugin's).

Cases run interleaved after a warm-up. Reported: median and spread per variant and the capsule's
overhead, ``capsule / native - 1``.

    python -m benchmarks.plugin_overhead --scale 1 --repeat 7
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks import _harness as h
from benchmarks import tpch
from benchmarks.tpch.answers import difference

LINEITEM_QUERY = """
SELECT l_returnflag, l_linestatus, count(*) AS n, sum(l_extendedprice) AS price,
       avg(l_discount) AS discount
FROM lineitem
WHERE l_shipdate <= date '1998-09-02' AND l_quantity < 30
GROUP BY l_returnflag, l_linestatus
"""
RANGE_QUERY = "SELECT count(*) AS n, sum(i) AS s FROM {source} WHERE i % 3 = 0"


def delta_table(data: Path, out: Path) -> Path:
    """``lineitem`` of ``data`` as a Delta table (written on first use, then kept)."""
    import deltalake

    where = out / "data" / f"delta-lineitem-{data.name}"
    if not (where / "_delta_log").is_dir():
        shutil.rmtree(where, ignore_errors=True)
        deltalake.write_deltalake(where, pq.read_table(tpch.paths(data)["lineitem"]))
    return where


def delta_cases(data: Path, out: Path) -> dict[str, Any]:
    import datafusion
    import deltalake

    import fuseplug

    where = delta_table(data, out)
    runners = {}
    for name, module in (("fuseplug", fuseplug), ("datafusion", datafusion)):
        native, capsule = module.SessionContext(), module.SessionContext()
        native.register_parquet("lineitem", str(where))
        capsule.register_table("lineitem", deltalake.DeltaTable(str(where)))
        runners[f"{name} native"] = lambda _c, ctx=native: ctx.sql(LINEITEM_QUERY).to_arrow_table()
        runners[f"{name} capsule"] = lambda _c, ctx=capsule: ctx.sql(
            LINEITEM_QUERY
        ).to_arrow_table()
    return runners


def range_cases(rows: int) -> dict[str, Any]:
    import fuseplug_ffi_example as ex

    import fuseplug

    native = fuseplug.SessionContext()
    column = pa.array(np.arange(rows, dtype=np.int64))
    native.register_record_batches("memory", [[pa.record_batch([column], names=["i"])]])
    capsule = fuseplug.SessionContext()
    capsule.register_table_function("example_range", ex.RangeFunction())

    def run(ctx: Any, source: str) -> Any:
        return ctx.sql(RANGE_QUERY.format(source=source)).to_arrow_table()

    return {
        "fuseplug native (memory)": lambda _c: run(native, "memory"),
        "fuseplug native (range)": lambda _c: run(native, f"range({rows}) AS r(i)"),
        "fuseplug capsule": lambda _c: run(capsule, f"example_range({rows})"),
    }


def main() -> None:
    p = h.parser(__doc__, repeat=7)
    p.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor of lineitem (1)")
    p.add_argument("--data", help="directory of the TPC-H Parquet files (default: under --out)")
    p.add_argument("--rows", type=int, default=10_000_000, help="rows of example_range (1e7)")
    args = p.parse_args()
    if args.smoke:
        args.scale, args.rows = 0.01, 10_000
    times = h.repetitions(args)
    data = h.tpch_data(args.scale, args.out, args.data)

    raw: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    answers: dict[str, dict[str, pa.Table]] = {}

    def keep(case: str, variant: str, result: pa.Table) -> None:
        answers.setdefault(case, {})[variant] = result

    for case, build in (
        ("deltalake lineitem", lambda: delta_cases(data, args.out)),
        ("ffi-example range", lambda: range_cases(args.rows)),
    ):
        try:
            runners = build()
        except Exception as e:  # a plugin that is not installed or cannot load is reported
            skipped[case] = h.error_text(e)
            continue
        raw.update(h.interleave([case], runners, times, on_result=keep))
    mismatches = {}
    for case, by_variant in answers.items():
        (first, expected), *others = by_variant.items()
        for variant, table in others:
            problem = difference(table, expected, f"{variant} against {first}")
            if problem:
                mismatches[f"{case} / {variant}"] = problem

    stats = {
        case: {v: h.summary(t) if isinstance(t, list) else None for v, t in row.items()}
        for case, row in raw.items()
    }

    def overhead(case: str, capsule: str, native: str) -> str:
        a, b = stats[case].get(capsule), stats[case].get(native)
        r = h.ratio(a["median"] if a else None, b["median"] if b else None)
        return "n/a" if r is None else f"{(r - 1) * 100:+.1f} %"

    report = h.Report(
        "plugin_overhead", "Plugin overhead: native table against capsule", args, __doc__
    )
    report.data.update(scale=args.scale, rows=args.rows, times=raw, stats=stats, skipped=skipped)
    report.data["mismatches"] = mismatches
    report.heading("Time")
    report.table(
        ["case", "variant", "median"],
        [
            [case, variant, h.cell(s) if s else raw[case][variant]]
            for case, row in stats.items()
            for variant, s in row.items()
        ],
    )
    report.heading("Capsule overhead (capsule / native - 1)")
    rows = []
    if "deltalake lineitem" in stats:
        for name in ("fuseplug", "datafusion"):
            rows.append(
                [
                    "deltalake lineitem",
                    name,
                    overhead("deltalake lineitem", f"{name} capsule", f"{name} native"),
                ]
            )
    if "ffi-example range" in stats:
        for native in ("fuseplug native (memory)", "fuseplug native (range)"):
            rows.append(
                [
                    "ffi-example range",
                    f"against {native}",
                    overhead("ffi-example range", "fuseplug capsule", native),
                ]
            )
    report.table(["case", "host / baseline", "overhead"], rows)
    # For the suite's headline (benchmarks/__main__.py): capsule / native - 1, as numbers.
    report.data["overhead"] = {
        f"{row[0]} / {row[1]}": float(row[2].rstrip(" %")) / 100 for row in rows if row[2] != "n/a"
    }
    report.text(
        "Every variant of a case gave the same answer."
        if not mismatches
        else "Answers that differ: " + "; ".join(mismatches.values())
    )
    if skipped:
        report.heading("Cases not run")
        report.table(["case", "why"], sorted(skipped.items()))

    labels = [f"{c}\n{v}" for c, row in stats.items() for v in row]
    values = [s["median"] if s else None for row in stats.values() for s in row.values()]
    report.plot(
        "variants",
        "median time per variant",
        lambda ax: h.bars(ax, labels, {"median": values}, "seconds"),
    )
    report.write()


if __name__ == "__main__":
    main()
