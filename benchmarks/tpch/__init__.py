"""The TPC-H kit shared by the tests and benchmarks: data from ``tpchgen-cli`` (a pinned dev
dependency), the eight tables registered on a session, and the 22 queries in DataFusion SQL with
the specification's validation parameters (``queries/q01.sql`` ... ``queries/q22.sql``).

    from benchmarks import tpch
    tpch.generate(0.01, "/tmp/tpch")
    ctx = fuseplug.SessionContext()
    tpch.register(ctx, "/tmp/tpch")
    ctx.sql(tpch.query(1)).show()

``register`` takes any context with the official ``register_parquet(name, path)`` method, so the
same data serves fuseplug and the official ``datafusion`` bindings.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["QUERIES", "TABLES", "generate", "paths", "query", "register", "register_duckdb"]

#: The eight TPC-H tables, in the order the specification lists them.
TABLES = ("part", "supplier", "partsupp", "customer", "orders", "lineitem", "nation", "region")

#: Query numbers, 1 to 22.
QUERIES = tuple(range(1, 23))

QUERY_DIR = Path(__file__).resolve().parent / "queries"


def _tpchgen() -> str:
    """``tpchgen-cli`` beside this interpreter (the venv's bin), else the one on ``PATH``."""
    here = Path(sys.executable).with_name("tpchgen-cli")
    if here.exists():
        return str(here)
    found = shutil.which("tpchgen-cli")
    if found is None:
        raise FileNotFoundError("tpchgen-cli not found: install the dev dependencies (make deps)")
    return found


def generate(scale: float, out_dir: str | os.PathLike[str]) -> Path:
    """Writes the eight tables at scale factor ``scale`` as ``<out_dir>/<table>.parquet`` (one
    file each, overwriting) and returns ``out_dir``. SF 0.01 takes about a second and 3 MB."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [_tpchgen(), "parquet", "-s", str(scale), f"--output-dir={out}", "--overwrite"],
        check=True,
        capture_output=True,
        text=True,
    )
    missing = [t for t in TABLES if not (out / f"{t}.parquet").is_file()]
    if missing:
        raise FileNotFoundError(f"tpchgen-cli wrote no file for {missing} in {out}")
    return out


def paths(data_dir: str | os.PathLike[str]) -> dict[str, Path]:
    """Table name to Parquet file, for the data ``generate`` wrote to ``data_dir``."""
    return {t: Path(data_dir) / f"{t}.parquet" for t in TABLES}


def register(ctx: Any, data_dir: str | os.PathLike[str]) -> None:
    """Registers the eight tables of ``data_dir`` on ``ctx`` under their TPC-H names."""
    for name, path in paths(data_dir).items():
        ctx.register_parquet(name, str(path))


def register_duckdb(con: Any, data_dir: str | os.PathLike[str]) -> None:
    """Makes the eight tables of ``data_dir`` views of DuckDB connection ``con`` under their names."""
    for name, path in paths(data_dir).items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")


def query(n: int) -> str:
    """The SQL text of TPC-H query ``n`` (1 to 22)."""
    if n not in QUERIES:
        raise ValueError(f"TPC-H has queries 1 to 22, not {n!r}")
    return (QUERY_DIR / f"q{n:02d}.sql").read_text()
