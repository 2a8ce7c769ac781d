"""Python UDF overhead per batch: what calling a trivial scalar Python UDF costs per batch in
fuseplug and in the official ``datafusion`` wheel.

The UDF is the identity on an int64 column (``lambda a: a``), so nearly all its time is the
crossing: the batch's array handed to Python, the call, the result checked and taken back. The
table holds ``--rows`` int64 values in batches of the size being measured, and the session's batch
size is set to match. Timed: ``SELECT f(x) FROM t`` and, as the baseline without the UDF,
``SELECT x FROM t WHERE true``, both collected as record batches; the two bindings and the two
queries take turns. Reported: both medians and the overhead per batch, ``(udf - baseline) / batches``.

    python -m benchmarks.python_udf --rows 1000000 --repeat 7
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from benchmarks import _harness as h

BATCH_SIZES = (1_024, 8_192, 65_536)


#: The baseline runs the plan the UDF query runs, minus the UDF. ``WHERE true`` (which the optimizer
#: removes) keeps fuseplug from handing out the stored batches of a plain in-memory scan without
#: executing anything (crates/fuseplug/src/stored.rs).
BASELINE = "SELECT x FROM t WHERE true"


def sessions(rows: int, batch: int) -> dict[str, Any]:
    """Per binding, a session with table ``t`` of ``rows`` int64 in batches of ``batch`` and the
    identity UDF ``f``."""
    import datafusion

    import fuseplug

    values = pa.array(np.arange(rows, dtype=np.int64))
    batches = [
        pa.record_batch([values.slice(start, batch)], names=["x"])
        for start in range(0, rows, batch)
    ]
    out = {}
    for name, module in (("fuseplug", fuseplug), ("datafusion", datafusion)):
        ctx = module.SessionContext(module.SessionConfig().with_batch_size(batch))
        ctx.register_record_batches("t", [batches])
        ctx.register_udf(module.udf(lambda a: a, [pa.int64()], pa.int64(), "immutable", name="f"))
        out[name] = ctx
    return out


def main() -> None:
    p = h.parser(__doc__, repeat=7)
    p.add_argument("--rows", type=int, default=1_000_000, help="rows in the table (1e6)")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=list(BATCH_SIZES))
    args = p.parse_args()
    if args.smoke:
        args.rows, args.batch_sizes = 10_000, [1_024]
    times = h.repetitions(args)

    raw: dict[str, Any] = {}
    results = []
    for batch in args.batch_sizes:
        ctxs = sessions(args.rows, batch)
        batches = -(-args.rows // batch)
        runners = {
            f"{name} {kind}": (lambda _case, ctx=ctx, sql=sql: ctx.sql(sql).collect())
            for name, ctx in ctxs.items()
            for kind, sql in (("udf", "SELECT f(x) FROM t"), ("baseline", BASELINE))
        }
        case = f"batch {batch}"
        raw[case] = h.interleave([case], runners, times)[case]
        for name in ctxs:
            udf, base = raw[case][f"{name} udf"], raw[case][f"{name} baseline"]
            if isinstance(udf, str) or isinstance(base, str):
                results.append(
                    {
                        "binding": name,
                        "batch": batch,
                        "error": udf if isinstance(udf, str) else base,
                    }
                )
                continue
            u, b = h.summary(udf), h.summary(base)
            results.append(
                {
                    "binding": name,
                    "batch": batch,
                    "batches": batches,
                    "udf": u,
                    "baseline": b,
                    "per_batch": max(0.0, u["median"] - b["median"]) / batches,
                }
            )

    report = h.Report("python_udf", "Python UDF overhead per batch", args, __doc__)
    report.data.update(rows=args.rows, times=raw, results=results)
    report.heading(f"Identity UDF over {args.rows:,} int64 rows")
    report.table(
        ["batch size", "batches", "binding", "with UDF", "baseline", "overhead per batch"],
        [
            [
                r["batch"],
                r.get("batches", "-"),
                r["binding"],
                h.cell(r.get("udf")),
                h.cell(r.get("baseline")),
                h.seconds(r["per_batch"]) if "per_batch" in r else r["error"],
            ]
            for r in results
        ],
    )
    per = {(r["binding"], r["batch"]): r["per_batch"] for r in results if "per_batch" in r}
    ratios = [
        [b, h.times_x(h.ratio(per.get(("fuseplug", b)), per.get(("datafusion", b))))]
        for b in args.batch_sizes
    ]
    report.text("Overhead per batch, fuseplug / official:")
    report.table(["batch size", "fuseplug / official"], ratios)
    report.plot(
        "per-batch",
        "overhead per batch",
        lambda ax: h.bars(
            ax,
            [str(b) for b in args.batch_sizes],
            {n: [per.get((n, b)) for b in args.batch_sizes] for n in ("fuseplug", "datafusion")},
            "seconds per batch",
        ),
    )
    report.write()


if __name__ == "__main__":
    main()
