"""The DataFusion 54 bridge's scan overhead: the same Parquet files read by fuseplug natively and
through a DataFusion 54 plugin served by the bridge wheel (``fuseplug_bridge54``).

TPC-H ``lineitem`` is written once as an Iceberg table (pyiceberg, a SQL catalog on SQLite). The
bridged variant registers pyiceberg-core 0.11's provider (DataFusion 54), so every batch is read by
DataFusion 54 and handed to the 55 host through the Arrow C data interface; the native variant
registers the table's own data files with ``register_parquet``. Two queries: a full scan of two
columns, and the filtered aggregate of ``plugin_overhead`` (where the filter is pushed down to the
54 provider). Reported: median and spread per variant, the bridge's overhead
(``bridged / native - 1``) and the bridge library's size. Build time is in docs/development.md.

    python -m benchmarks.bridge54 --scale 1 --repeat 7

Measured on the 2-core dev machine (2026-12-01, **dev** builds of fuseplug and the bridge, SF 1,
5 runs, other builds running on the same cores):

| query | native Parquet (55) | pyiceberg-core through the bridge (54) | overhead |
|---|---|---|---|
| scan | 57.3 ms ±13% | 317 ms ±5% | +452 % |
| filtered aggregate | 641 ms ±22% | 1.53 s ±30% | +139 % |

Most of the difference is not the bridge, whose batches cross without copies: pyiceberg-core's
provider plans one partition (the native scan reads two in parallel), reads with iceberg-rust's own
Parquet reader and takes no filters (fuseplug filters above it).
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


def runners(data: Path, out: Path) -> dict[str, Any]:
    from pyiceberg_core.datafusion import IcebergDataFusionTable

    import fuseplug

    location, files = iceberg_table(data, out)
    native, bridged = fuseplug.SessionContext(), fuseplug.SessionContext()
    native.register_parquet("lineitem", str(files))
    bridged.register_table("lineitem", IcebergDataFusionTable(["tpch", "lineitem"], location, {}))
    return {
        "native Parquet (55)": lambda q: native.sql(QUERIES[q]).to_arrow_table(),
        "pyiceberg-core through the bridge (54)": lambda q: bridged.sql(
            QUERIES[q]
        ).to_arrow_table(),
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
        native, bridged = row.values()
        r = h.ratio(bridged["median"] if bridged else None, native["median"] if native else None)
        rows.append([case, "n/a" if r is None else f"{(r - 1) * 100:+.1f} %"])
    report.table(["query", "overhead"], rows)
    report.text(
        "Both variants gave the same answers."
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
