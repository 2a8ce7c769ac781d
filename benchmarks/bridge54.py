"""The DataFusion 54 bridge's scan overhead: the same data read by fuseplug natively and through a
DataFusion 54 plugin served by the bridge wheel (``fuseplug_bridge54``).

Two pairs, on TPC-H ``lineitem``:

- **in memory**: the same record batches (8192 rows each, the columns the queries read) in a native
  fuseplug table, and in ``examples/ffi-example54``'s ``ArrowTable``, a DataFusion 54 ``MemTable``
  holding the very same buffers (read through the Arrow C stream interface, not copied). The only
  difference is the path of every batch: DataFusion 54's scan, datafusion-ffi 54, the bridge,
  datafusion-ffi 55. This pair measures the bridge itself.
- **Iceberg**: the table written once as an Iceberg table (pyiceberg, a SQL catalog on SQLite),
  read by pyiceberg-core 0.11's provider (DataFusion 54) through the bridge, against its own data
  files registered with ``register_parquet``. This pair is what a user sees with a real 54 wheel.

Two queries: a full scan of three columns, and the filtered aggregate of ``plugin_overhead``.
Reported: median and spread per variant, the overhead of each bridged variant against its native
one (``bridged / native - 1``), and the bridge library's size. Build time is in
docs/development.md.

    python -m benchmarks.bridge54 --scale 1 --repeat 7

Measured on the 2-core dev machine (2026-12-01 10:58 UTC, **dev** builds of fuseplug and the
bridge, whose own crates are not optimised; SF 1, 5 runs, a release build running on the same
cores, hence the spread):

| query | pair | native (55) | through the bridge (54) | overhead |
|---|---|---|---|---|
| scan | in memory (733 batches) | 22.0 ms ±52% | 69.5 ms ±64% | +217 % |
| filtered aggregate | in memory | 370 ms ±19% | 597 ms ±18% | +62 % |
| scan | Iceberg | 66.4 ms ±47% | 402 ms ±41% | +505 % |
| filtered aggregate | Iceberg | 374 ms ±6% | 2.02 s ±5% | +440 % |

The in-memory pair puts the bridge's own cost at about 65 us per batch in this build: each batch
crosses the Arrow C data interface three times (datafusion-ffi 54, the bridge's arrow 58 to 59
hand-over, datafusion-ffi 55), every crossing exporting its schema again. Most of the Iceberg
pair's difference is not the bridge: pyiceberg-core's provider plans one partition (the native scan
reads two in parallel), reads with iceberg-rust's own Parquet reader and takes no filters
(fuseplug filters above it).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks import _harness as h
from benchmarks import tpch
from benchmarks.tpch.answers import difference

QUERIES = {
    "scan": "SELECT count(*) AS n, sum(l_quantity) AS q, max(l_shipdate) AS d FROM lineitem",
    "filtered aggregate": """
        SELECT l_returnflag, l_linestatus, count(*) AS n, sum(l_extendedprice) AS price,
               avg(l_discount) AS discount
        FROM lineitem
        WHERE l_shipdate <= date '1998-09-02' AND l_quantity < 30
        GROUP BY l_returnflag, l_linestatus
        ORDER BY l_returnflag, l_linestatus
    """,
}


def plain_types(table: pa.Table) -> pa.Table:
    """``table`` with string views as plain strings (what an Iceberg schema can hold)."""
    fields = [
        pa.field(f.name, pa.string()) if pa.types.is_string_view(f.type) else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields))


def iceberg_table(data: Path, out: Path) -> tuple[str, Path]:
    """``lineitem`` of ``data`` as an Iceberg table (written on first use, then kept): its metadata
    location and the directory of its Parquet data files."""
    from pyiceberg.catalog.sql import SqlCatalog

    where = out / "data" / f"iceberg-lineitem-{data.name}"
    marker = where / "metadata-location"
    if not marker.is_file():
        shutil.rmtree(where, ignore_errors=True)
        where.mkdir(parents=True)
        catalog = SqlCatalog(
            "bench",
            uri=f"sqlite:///{where / 'catalog.db'}",
            warehouse=(where / "warehouse").as_uri(),
        )
        catalog.create_namespace("tpch")
        rows = plain_types(pq.read_table(tpch.paths(data)["lineitem"]))
        table = catalog.create_table("tpch.lineitem", schema=rows.schema)
        table.append(rows)
        marker.write_text(str(table.metadata_location))
    location = marker.read_text()
    # <table>/metadata/<version>.metadata.json; the data files are in <table>/data
    table_dir = Path(location.removeprefix("file://")).parent.parent
    return location, table_dir / "data"


#: The columns the queries read.
COLUMNS = [
    "l_quantity",
    "l_shipdate",
    "l_returnflag",
    "l_linestatus",
    "l_extendedprice",
    "l_discount",
]
#: Variant pairs: (native, bridged).
PAIRS = {
    "in memory": ("native table (55)", "ffi-example54 MemTable through the bridge (54)"),
    "Iceberg": ("native Parquet (55)", "pyiceberg-core through the bridge (54)"),
}


def runners(data: Path, out: Path) -> dict[str, Any]:
    from fuseplug_ffi_example54 import ArrowTable
    from pyiceberg_core.datafusion import IcebergDataFusionTable

    import fuseplug

    rows = plain_types(pq.read_table(tpch.paths(data)["lineitem"], columns=COLUMNS))
    batches = pa.Table.from_batches(rows.to_batches(max_chunksize=8192), rows.schema)
    location, files = iceberg_table(data, out)
    contexts = {name: fuseplug.SessionContext() for pair in PAIRS.values() for name in pair}
    memory_native, memory_bridged = PAIRS["in memory"]
    contexts[memory_native].register_record_batches("lineitem", [batches.to_batches()])
    contexts[memory_bridged].register_table("lineitem", ArrowTable(batches))
    parquet_native, iceberg_bridged = PAIRS["Iceberg"]
    contexts[parquet_native].register_parquet("lineitem", str(files))
    contexts[iceberg_bridged].register_table(
        "lineitem", IcebergDataFusionTable(["tpch", "lineitem"], location, {})
    )
    return {
        name: (lambda q, ctx=ctx: ctx.sql(QUERIES[q]).to_arrow_table())
        for name, ctx in contexts.items()
    }


def main() -> None:
    p = h.parser(__doc__, repeat=7)
    p.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor of lineitem (1)")
    p.add_argument("--data", help="directory of the TPC-H Parquet files (default: under --out)")
    args = p.parse_args()
    if args.smoke:
        args.scale = 0.01
    times = h.repetitions(args)
    data = h.tpch_data(args.scale, args.out, args.data)

    import fuseplug_bridge54

    answers: dict[str, dict[str, pa.Table]] = {}

    def keep(case: str, variant: str, result: pa.Table) -> None:
        answers.setdefault(case, {})[variant] = result

    raw = h.interleave(list(QUERIES), runners(data, args.out), times, on_result=keep)
    mismatches = {}
    for case, by_variant in answers.items():
        (first, expected), *others = by_variant.items()
        for variant, table in others:
            problem = difference(table, expected, f"{variant} against {first}")
            if problem:
                mismatches[case] = problem
    stats = {
        case: {v: h.summary(t) if isinstance(t, list) else None for v, t in row.items()}
        for case, row in raw.items()
    }
    library = os.path.getsize(fuseplug_bridge54.LIBRARY)

    report = h.Report("bridge54", "DataFusion 54 bridge: scan overhead", args, __doc__)
    report.data.update(
        scale=args.scale, times=raw, stats=stats, mismatches=mismatches, library_bytes=library
    )
    report.heading("Time")
    report.table(
        ["query", "variant", "median"],
        [
            [case, variant, h.cell(s) if s else raw[case][variant]]
            for case, row in stats.items()
            for variant, s in row.items()
        ],
    )
    report.heading("Bridge overhead (bridged / native - 1)")
    rows = []
    for case, row in stats.items():
        for pair, (native_name, bridged_name) in PAIRS.items():
            native, bridged = row.get(native_name), row.get(bridged_name)
            r = h.ratio(
                bridged["median"] if bridged else None, native["median"] if native else None
            )
            rows.append([case, pair, "n/a" if r is None else f"{(r - 1) * 100:+.1f} %"])
    report.table(["query", "pair", "overhead"], rows)
    report.text(
        "Every variant gave the same answers."
        if not mismatches
        else "Answers that differ: " + "; ".join(mismatches.values())
    )
    report.text(f"Bridge library (`fuseplug_bridge54`): {h.size(library)}.")
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
