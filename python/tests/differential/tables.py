"""The tables of a case: the column pool, random rows, and the five ways a table is stored."""

from __future__ import annotations

import datetime
import decimal
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

import fuseplug

INT, STR, DEC, DATE, FLT, BOOL = "int", "str", "dec", "date", "float", "bool"
#: Every table, view, VALUES list and derived table names its columns from this pool, so a name
#: has one type everywhere.
POOL = {"k": INT, "a": INT, "s": STR, "d": DEC, "dt": DATE}
ARROW_TYPES = {INT: pa.int64(), STR: pa.string(), DEC: pa.decimal128(9, 2), DATE: pa.date32()}
#: Non-ASCII, mixed case and a space; the empty string only where CSV cannot confuse it with NULL.
STRINGS = ("a", "b", "ab", "B", "x y", "é", "")
BASE_DATE = datetime.date(2024, 1, 1)
STORAGES = ("pydict", "arrow", "batches", "parquet", "csv")


@dataclass
class TableSpec:
    """One table: its rows and how it is stored. ``pieces`` is the row-group size (Parquet) or
    the number of partitions (``batches``); ``files`` splits Parquet and CSV tables into files."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    storage: str = "arrow"
    pieces: int = 1
    files: int = 1

    def schema(self) -> pa.Schema:
        return pa.schema([(c, ARROW_TYPES[POOL[c]]) for c in self.columns])

    def arrow(self, rows: Sequence[tuple[Any, ...]] | None = None) -> pa.Table:
        rows = self.rows if rows is None else rows
        data = {c: [r[i] for r in rows] for i, c in enumerate(self.columns)}
        return pa.Table.from_pydict(data, schema=self.schema())

    def code(self) -> str:
        rows = ",\n".join(f"        {r!r}" for r in self.rows)
        body = f"[\n{rows},\n    ]" if self.rows else "[]"
        return (
            f"TableSpec(\n    {self.name!r},\n    {self.columns!r},\n    {body},\n"
            f"    {self.storage!r},\n    pieces={self.pieces},\n    files={self.files},\n)"
        )


def _chunks(rows: Sequence[Any], n: int) -> list[Sequence[Any]]:
    size = max(1, math.ceil(len(rows) / n))
    return [rows[i : i + size] for i in range(0, len(rows), size)] or [rows[:0]]


def _files(
    spec: TableSpec, where: Path, suffix: str, write: Callable[[pa.Table, Path], None]
) -> str:
    """The folder of ``spec``'s ``spec.files`` files under ``where``, written the first time."""
    folder = where / spec.name
    if not folder.exists():
        folder.mkdir(parents=True)
        for i, rows in enumerate(_chunks(spec.rows, spec.files)):
            write(spec.arrow(rows), folder / f"part{i}.{suffix}")
    return str(folder)


def register(ctx: fuseplug.SessionContext, spec: TableSpec, where: Path) -> None:
    """Registers ``spec`` in ``ctx``, writing its files under ``where`` first (once)."""
    table = spec.arrow()
    if spec.storage == "pydict":
        ctx.from_pydict(table.to_pydict(), name=spec.name, schema=table.schema)
    elif spec.storage == "arrow":
        ctx.from_arrow(table, name=spec.name)
    elif spec.storage == "batches":
        parts = [spec.arrow(rows).to_batches() for rows in _chunks(spec.rows, spec.pieces)]
        empty = [[pa.RecordBatch.from_pylist([], schema=table.schema)]]
        ctx.register_record_batches(spec.name, [p for p in parts if p] or empty)
    elif spec.storage == "parquet":

        def parquet(data: pa.Table, path: Path) -> None:
            pq.write_table(data, path, row_group_size=spec.pieces)

        folder = _files(spec, where, "parquet", parquet)
        ctx.register_parquet(spec.name, folder, schema=table.schema)
    elif spec.storage == "csv":
        ctx.register_csv(
            spec.name, _files(spec, where, "csv", pa_csv.write_csv), schema=table.schema
        )
    else:
        raise ValueError(f"unknown storage {spec.storage!r}")


def gen_value(rng: random.Random, column: str, csv: bool = False) -> Any:
    kind = POOL[column]
    if column == "k":
        return rng.randint(0, 5)
    if kind == INT:
        return rng.randint(-9, 9)
    if kind == STR:
        return rng.choice(STRINGS[:-1] if csv else STRINGS)
    if kind == DEC:
        return decimal.Decimal(rng.randint(-12, 12) * 50).scaleb(-2)
    return BASE_DATE + datetime.timedelta(days=rng.randint(0, 14))


def gen_rows(
    rng: random.Random, columns: Sequence[str], n: int, csv: bool = False, nulls: bool = True
) -> list[tuple[Any, ...]]:
    null_rate = {c: rng.choice((0.0, 0.1, 0.3)) if nulls else 0.0 for c in columns}
    rows: list[tuple[Any, ...]] = []
    for _ in range(n):
        if rows and rng.random() < 0.15:
            rows.append(rng.choice(rows))  # a duplicate row
            continue
        rows.append(
            tuple(None if rng.random() < null_rate[c] else gen_value(rng, c, csv) for c in columns)
        )
    return rows


def gen_columns(rng: random.Random) -> tuple[str, ...]:
    others = [c for c in ("a", "s", "d", "dt") if rng.random() < 0.6] or [rng.choice("asd")]
    return ("k", *others)


def gen_tables(rng: random.Random) -> list[TableSpec]:
    """Five tables, one per storage kind; some share another's shape (with different data)."""
    storages = list(STORAGES)
    rng.shuffle(storages)
    tables: list[TableSpec] = []
    for i, storage in enumerate(storages):
        twin = tables and rng.random() < 0.45
        columns = rng.choice(tables).columns if twin else gen_columns(rng)
        n = 0 if rng.random() < 0.04 else rng.randint(3, 30)
        rows = gen_rows(rng, columns, n, csv=storage == "csv")
        pieces = rng.randint(1, 6) if storage == "parquet" else rng.randint(1, 4)
        files = rng.randint(1, 2) if storage in ("parquet", "csv") else 1
        tables.append(TableSpec(f"t{i}", columns, rows, storage, pieces, files))
    if len({t.columns for t in tables}) == len(tables):  # no two of a shape: make one
        last = tables[-1]
        rows = gen_rows(rng, tables[0].columns, len(last.rows), csv=last.storage == "csv")
        tables[-1] = replace(last, columns=tables[0].columns, rows=rows)
    return tables
