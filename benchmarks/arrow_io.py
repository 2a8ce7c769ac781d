"""Arrow in and out: handing an in-memory Arrow table to an engine and getting it back, in
fuseplug, the official ``datafusion`` wheel, Polars and DuckDB, for 1e3, 1e5 and 1e7 rows (1e8 with
``--huge``: it needs several GiB of memory).

The table has an int64 and a float64 column, one chunk each. Per engine and size:

- ``from_arrow``: the table into the engine (``ctx.from_arrow``, ``pl.from_arrow``,
  ``duckdb.from_arrow``; DuckDB's and DataFusion's are lazy, Polars' wraps the buffers);
- ``to_arrow_table``: an Arrow table out of that (``df.to_arrow_table()``, ``df.to_arrow()``,
  ``rel.to_arrow_table()``);
- ``round trip``: both in one go, what a user writing ``engine(table) -> table`` pays;
- ``__arrow_c_stream__``: the same data read through the Arrow PyCapsule stream with
  ``pyarrow.RecordBatchReader.from_stream(obj).read_all()``.

The engines are interleaved within each case. Reported: median and spread, how many chunks the
returned table has (1 means the data came back as it went in), and whether it shares the input's
buffers (zero copy). fuseplug hands out the stored batches of a DataFrame that only reads
in-memory data (``crates/fuseplug/src/stored.rs``); a plan that computes anything is executed
and comes back in ``batch_size`` pieces.

    python -m benchmarks.arrow_io --repeat 7 [--huge]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from benchmarks import _harness as h

SIZES = (1_000, 100_000, 10_000_000)
HUGE = 100_000_000
SMOKE_SIZES = (1_000, 100_000)
OPERATIONS = ("from_arrow", "to_arrow_table", "round trip", "__arrow_c_stream__")


def engines() -> dict[str, tuple[Callable[[pa.Table], Any], Callable[[Any], pa.Table]]]:
    """Per engine: (Arrow table in, Arrow table out)."""
    import datafusion
    import duckdb
    import polars as pl

    import fuseplug

    fctx = fuseplug.SessionContext()
    octx = datafusion.SessionContext()
    con = duckdb.connect()
    return {
        "fuseplug": (fctx.from_arrow, lambda df: df.to_arrow_table()),
        "datafusion": (octx.from_arrow, lambda df: df.to_arrow_table()),
        "polars": (pl.from_arrow, lambda df: df.to_arrow()),
        "duckdb": (con.from_arrow, lambda rel: rel.to_arrow_table()),
    }


def make_table(rows: int) -> pa.Table:
    rng = np.random.default_rng(rows)
    return pa.table(
        {"id": np.arange(rows, dtype=np.int64), "x": rng.standard_normal(rows)}
    ).combine_chunks()


def same_buffers(source: pa.Table, result: pa.Table) -> bool:
    """Whether ``result``'s first column is ``source``'s first column's values, not a copy."""
    column = result.column(0)
    if column.num_chunks != 1 or source.column(0).num_chunks != 1:
        return False
    ours, theirs = column.chunk(0).buffers()[1], source.column(0).chunk(0).buffers()[1]
    return ours is not None and theirs is not None and ours.address == theirs.address


def label(rows: int) -> str:
    return f"1e{len(str(rows)) - 1}"


def main() -> None:
    p = h.parser(__doc__, repeat=7)
    p.add_argument("--huge", action="store_true", help=f"add {HUGE:.0e} rows (several GiB)")
    args = p.parse_args()
    sizes = SMOKE_SIZES if args.smoke else SIZES + ((HUGE,) if args.huge else ())
    times = h.repetitions(args)
    io = engines()

    raw: dict[str, Any] = {}
    chunks: dict[str, dict[str, int]] = {}
    shared: dict[str, dict[str, bool]] = {}
    for rows in sizes:
        table = make_table(rows)
        frames = {name: ingest(table) for name, (ingest, _) in io.items()}

        def step(case: str, name: str, table: pa.Table = table, frames: dict = frames) -> Any:
            ingest, out = io[name]
            op = case.split(" ", 1)[1]
            if op == "from_arrow":
                return ingest(table)
            if op == "to_arrow_table":
                return out(frames[name])
            if op == "round trip":
                return out(ingest(table))
            return pa.RecordBatchReader.from_stream(frames[name]).read_all()

        def count(case: str, name: str, result: Any, table: pa.Table = table) -> None:
            if isinstance(result, pa.Table):
                chunks.setdefault(case, {})[name] = result.column(0).num_chunks
                shared.setdefault(case, {})[name] = same_buffers(table, result)

        cases = [f"{label(rows)} {op}" for op in OPERATIONS]
        raw.update(
            h.interleave(
                cases,
                {name: (lambda c, name=name: step(c, name)) for name in io},
                times,
                on_result=count,
            )
        )
        del table, frames

    stats = {
        case: {e: h.summary(v) if isinstance(v, list) else None for e, v in row.items()}
        for case, row in raw.items()
    }
    errors = {
        f"{case} / {e}": v
        for case, row in raw.items()
        for e, v in row.items()
        if isinstance(v, str)
    }
    report = h.Report("arrow_io", "Arrow in and out", args, __doc__)
    report.data.update(
        sizes=list(sizes), times=raw, stats=stats, chunks=chunks, shared=shared, errors=errors
    )

    names = list(io)
    report.heading("Time")
    report.text("Median of the timed runs, ± half their range relative to the median.")
    report.table(
        ["rows", "operation", *names, "fuseplug / official"],
        [
            [
                *case.split(" ", 1),
                *(h.cell(stats[case][n]) for n in names),
                h.times_x(
                    h.ratio(
                        (stats[case]["fuseplug"] or {}).get("median"),
                        (stats[case]["datafusion"] or {}).get("median"),
                    )
                ),
            ]
            for case in raw
        ],
    )
    report.heading("Chunks of the returned table")
    report.text("The input is one chunk per column.")
    report.table(
        ["rows", "operation", *names],
        [
            [*case.split(" ", 1), *(str(by.get(n, "-")) for n in names)]
            for case, by in chunks.items()
        ],
    )
    report.heading("Zero copy")
    report.text("Whether the returned table's first column uses the input's value buffer.")
    report.table(
        ["rows", "operation", *names],
        [
            [*case.split(" ", 1), *({True: "yes", False: "no"}.get(by.get(n), "-") for n in names)]
            for case, by in shared.items()
        ],
    )
    if errors:
        report.heading("Errors")
        report.table(["case / engine", "error"], sorted(errors.items()))

    trips = [c for c in raw if c.endswith("round trip")]

    def median(case: str, name: str) -> float | None:
        s = stats[case][name]
        return s["median"] if s else None

    report.plot(
        "round-trip",
        "round trip time by size (log scale)",
        lambda ax: h.bars(
            ax,
            [c.split(" ")[0] for c in trips],
            {n: [median(c, n) for c in trips] for n in names},
            "seconds",
            log=True,
        ),
    )
    report.write()


if __name__ == "__main__":
    main()
