"""fuseplug quickstart: SQL, the DataFrame API and Arrow export on a small Parquet file.

Run it with ``make demo`` or ``python examples/quickstart.py [--out DIR]``. It writes
``DIR/quickstart.parquet`` (a temporary directory by default), prints its path, queries it and
checks the answers against plain Python.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from fuseplug import SessionContext, col, lit
from fuseplug import functions as f

ROWS = 5_000
GROUPS = ["alpha", "beta", "gamma", "delta"]


def make_data(out_dir: Path) -> tuple[Path, pa.Table]:
    """Write a small deterministic table to ``out_dir/quickstart.parquet``."""
    rng = random.Random(42)
    table = pa.table(
        {
            "id": pa.array(range(ROWS), pa.int64()),
            "g": pa.array([GROUPS[rng.randrange(len(GROUPS))] for _ in range(ROWS)]),
            "x": pa.array([rng.randrange(10) for _ in range(ROWS)], pa.int64()),
            "y": pa.array([round(rng.uniform(0, 100), 2) for _ in range(ROWS)], pa.float64()),
        }
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "quickstart.parquet"
    pq.write_table(table, path)
    return path, table


def expected_totals(table: pa.Table) -> dict[str, int]:
    """sum(x) per group over rows with x > 3, computed in plain Python."""
    totals: dict[str, int] = defaultdict(int)
    for g, x in zip(table.column("g").to_pylist(), table.column("x").to_pylist(), strict=True):
        if x > 3:
            totals[g] += x
    return dict(sorted(totals.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="directory for quickstart.parquet (default: temp)")
    args = parser.parse_args()
    out_dir: Path = args.out or Path(tempfile.mkdtemp(prefix="fuseplug-quickstart-"))

    path, data = make_data(out_dir)
    print(f"wrote {data.num_rows} rows to {path}")

    ctx = SessionContext()

    # 1. SQL over a registered Parquet file.
    ctx.register_parquet("events", str(path))
    print("\n-- SQL: rows and average y per group")
    ctx.sql(
        "SELECT g, count(*) AS n, round(avg(y), 2) AS avg_y FROM events GROUP BY g ORDER BY g"
    ).show()

    # 2. The same data through the DataFrame API.
    df = (
        ctx.table("events")
        .filter(col("x") > lit(3))
        .aggregate([col("g")], [f.sum(col("x")).alias("total")])
        .sort(col("g").sort())
    )
    print("-- DataFrame: sum(x) per group where x > 3")
    df.show()

    # 3. Arrow export: pyarrow reads the DataFrame through __arrow_c_stream__, without copies.
    result = pa.table(df)
    print(f"-- Arrow: {result.num_rows} rows, schema {result.schema.names}")
    got = dict(zip(result.column("g").to_pylist(), result.column("total").to_pylist(), strict=True))
    want = expected_totals(data)
    if got != want:
        raise SystemExit(f"mismatch: fuseplug gave {got}, plain Python gave {want}")
    print("totals match plain Python")

    # 4. pandas (optional extra: pip install 'fuseplug[pandas]').
    try:
        import pandas  # noqa: F401
    except ImportError:
        print("-- pandas not installed; skipping to_pandas()")
    else:
        print("-- pandas")
        print(df.to_pandas().to_string(index=False))

    print(f"\nTry the CLI: fuseplug \"SELECT * FROM '{path}' LIMIT 5\"")


if __name__ == "__main__":
    main()
