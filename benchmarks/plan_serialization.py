"""Plan serialization: ``to_bytes`` and ``from_bytes`` of the 22 TPC-H logical plans and physical
plans in fuseplug and in the official ``datafusion`` wheel, in time and in bytes.

Both bindings register the same Parquet files and build the plans from the same SQL:
``df.optimized_logical_plan()`` and ``df.execution_plan()`` (DataFusion 55's protobuf cannot
encode the subqueries of the unoptimized plans of eight queries; the report lists them). Timed,
with the plan already built: ``plan.to_bytes(ctx)`` and ``LogicalPlan.from_bytes(ctx, data)`` /
``ExecutionPlan.from_bytes(ctx, data)`` (both wheels name them so; ``to_proto`` / ``from_proto``
are their deprecated aliases). A timed run is ``--calls`` calls, divided by their number; the two
bindings take turns. Reported: median time per call and spread, the encoded sizes, whether the
two bindings wrote the same bytes, and the geometric mean per operation.

    python -m benchmarks.plan_serialization --repeat 5
"""

from __future__ import annotations

from typing import Any

from benchmarks import _harness as h
from benchmarks import tpch

OPERATIONS = ("logical to_bytes", "logical from_bytes", "physical to_bytes", "physical from_bytes")


def bindings(data: Any) -> dict[str, Any]:
    import datafusion

    import fuseplug

    out = {}
    for name, module in (("fuseplug", fuseplug), ("datafusion", datafusion)):
        ctx = module.SessionContext()
        tpch.register(ctx, data)
        out[name] = (module, ctx)
    return out


def main() -> None:
    p = h.parser(__doc__, repeat=5)
    p.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor of the files (1)")
    p.add_argument("--data", help="directory of the Parquet files (default: under --out)")
    p.add_argument("--calls", type=int, default=20, help="calls per timed run (20)")
    args = p.parse_args()
    if args.smoke:
        args.scale, args.calls = 0.01, 1
    times = h.repetitions(args)
    data = h.tpch_data(args.scale, args.out, args.data)
    libs = bindings(data)

    # (binding, query) -> [logical plan, physical plan, logical bytes, physical bytes]; an item that
    # could not be built is the exception, raised again when a timed step needs it.
    plans: dict[tuple[str, str], list[Any]] = {}
    unoptimized: dict[str, dict[str, str]] = {}
    for name, (_module, ctx) in libs.items():
        for n in tpch.QUERIES:
            df = ctx.sql(tpch.query(n))
            items: list[Any] = [df.optimized_logical_plan(), df.execution_plan()]
            try:
                df.logical_plan().to_bytes(ctx)
            except Exception as e:
                unoptimized.setdefault(f"q{n:02d}", {})[name] = h.error_text(e)
            for plan in list(items):
                try:
                    items.append(plan.to_bytes(ctx))
                except Exception as e:
                    items.append(e)
            plans[name, f"q{n:02d}"] = items

    def step(case: str, name: str) -> Any:
        query, op = case.split(" ", 1)
        module, ctx = libs[name]
        logical, physical, logical_bytes, physical_bytes = plans[name, query]
        encoded = logical_bytes if op.startswith("logical") else physical_bytes
        if isinstance(encoded, Exception):
            raise encoded
        if op == "logical to_bytes":
            call = lambda: logical.to_bytes(ctx)  # noqa: E731
        elif op == "logical from_bytes":
            call = lambda: module.LogicalPlan.from_bytes(ctx, logical_bytes)  # noqa: E731
        elif op == "physical to_bytes":
            call = lambda: physical.to_bytes(ctx)  # noqa: E731
        else:
            call = lambda: module.ExecutionPlan.from_bytes(ctx, physical_bytes)  # noqa: E731
        return h.per_call(call, args.calls)()

    queries = [f"q{n:02d}" for n in tpch.QUERIES]
    cases = [f"{q} {op}" for q in queries for op in OPERATIONS]
    raw = h.interleave(cases, {name: (lambda c, name=name: step(c, name)) for name in libs}, times)
    stats = {
        case: {
            e: (h.summary([t / args.calls for t in v]) if isinstance(v, list) else None)
            for e, v in row.items()
        }
        for case, row in raw.items()
    }
    errors = {
        f"{c} / {e}": v for c, row in raw.items() for e, v in row.items() if isinstance(v, str)
    }

    def length(item: Any) -> int | None:
        return len(item) if isinstance(item, bytes) else None

    sizes = {
        q: {
            name: {"logical": length(plans[name, q][2]), "physical": length(plans[name, q][3])}
            for name in libs
        }
        for q in queries
    }
    same = {
        q: {
            kind: plans["fuseplug", q][i] == plans["datafusion", q][i]
            for kind, i in (("logical", 2), ("physical", 3))
        }
        for q in queries
    }

    def med(case: str, name: str) -> float | None:
        s = stats[case][name]
        return s["median"] if s else None

    geo = {
        op: {
            name: h.geomean(m for q in queries if (m := med(f"{q} {op}", name)) is not None)
            for name in libs
        }
        for op in OPERATIONS
    }

    report = h.Report("plan_serialization", "Plan serialization (TPC-H plans)", args, __doc__)
    report.data.update(
        scale=args.scale,
        calls=args.calls,
        times=raw,
        stats=stats,
        sizes=sizes,
        same_bytes=same,
        geomean=geo,
        errors=errors,
        unoptimized_errors=unoptimized,
    )
    report.heading("Geometric mean over the 22 queries, time per call")
    report.table(
        ["operation", "fuseplug", "datafusion", "fuseplug / official"],
        [
            [
                op,
                h.seconds(geo[op]["fuseplug"]),
                h.seconds(geo[op]["datafusion"]),
                h.times_x(h.ratio(geo[op]["fuseplug"], geo[op]["datafusion"])),
            ]
            for op in OPERATIONS
        ],
    )
    different = [
        f"{q} {kind}"
        for q in queries
        for kind, ok in same[q].items()
        if not ok and sizes[q]["fuseplug"][kind] is not None
    ]
    report.text(
        "Both bindings wrote the same bytes for every plan."
        if not different
        else "The bindings wrote different bytes for: " + ", ".join(different) + "."
    )
    if unoptimized:
        report.text(
            "Unoptimized logical plans (`df.logical_plan()`) that neither binding can encode, "
            "which is why the optimized plans are measured:"
        )
        report.table(
            ["query", "fuseplug's error"],
            [[q, errs.get("fuseplug", "-")] for q, errs in sorted(unoptimized.items())],
        )
    report.heading("Per query")
    report.text(
        "Sizes are fuseplug's (the official wheel's where they differ); times are the median per "
        "call, fuseplug / official."
    )
    rows = []
    for q in queries:
        row = [q]
        for kind in ("logical", "physical"):
            ours, theirs = sizes[q]["fuseplug"][kind], sizes[q]["datafusion"][kind]
            if ours is None:
                row.append("n/a")
            else:
                row.append(h.size(ours) if ours == theirs else f"{h.size(ours)} ({theirs})")
        for op in OPERATIONS:
            case = f"{q} {op}"
            row.append(f"{h.seconds(med(case, 'fuseplug'))} / {h.seconds(med(case, 'datafusion'))}")
        rows.append(row)
    report.table(["query", "logical bytes", "physical bytes", *OPERATIONS], rows)
    if errors:
        report.heading("Errors")
        report.table(["case / binding", "error"], sorted(errors.items()))
    report.plot(
        "geomean",
        "geometric mean time per call",
        lambda ax: h.bars(
            ax, list(OPERATIONS), {n: [geo[op][n] for op in OPERATIONS] for n in libs}, "seconds"
        ),
    )
    report.write()


if __name__ == "__main__":
    main()
