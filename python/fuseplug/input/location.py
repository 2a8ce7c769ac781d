"""An input plugin for files named by a path or a glob."""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

from fuseplug.common import DataTypeMap, SqlTable
from fuseplug.input.base import BaseInputSource

__all__ = ["BaseInputSource", "LocationInputPlugin"]


class LocationInputPlugin(BaseInputSource):
    """Files by path: Parquet (types and row count from the footer, without reading data) and CSV
    (types inferred by pyarrow, rows counted). A glob such as ``data/*.parquet`` names several
    files, which must share a schema; the row count is their total."""

    def is_correct_input(self, input_item: Any, table_name: str, **kwargs: Any) -> bool:
        """Whether ``input_item`` is a path (a string)."""
        return isinstance(input_item, str)

    def build_table(self, input_item: str, table_name: str, **kwargs: Any) -> SqlTable:
        """The :class:`~fuseplug.common.SqlTable` of the file(s) at ``input_item``."""
        files = sorted(glob.glob(input_item)) or [input_item]
        suffix = Path(files[0]).suffix.lstrip(".").lower()
        if suffix == "parquet":
            columns, rows = _parquet(files)
        elif suffix == "csv":
            columns, rows = _csv(files)
        else:
            raise ValueError(
                f"cannot describe {input_item!r}: only .parquet and .csv files are supported"
            )
        return SqlTable(table_name, columns, rows, files)


def _parquet(files: list[str]) -> tuple[list[tuple[str, DataTypeMap]], int]:
    import pyarrow.parquet as pq

    schema = pq.read_schema(files[0])
    rows = sum(pq.read_metadata(f).num_rows for f in files)
    return [(field.name, DataTypeMap.arrow(field.type)) for field in schema], rows


def _csv(files: list[str]) -> tuple[list[tuple[str, DataTypeMap]], int]:
    import pyarrow.csv as pacsv

    tables = [pacsv.read_csv(f) for f in files]
    schema = tables[0].schema
    return [(field.name, DataTypeMap.arrow(field.type)) for field in schema], sum(
        t.num_rows for t in tables
    )
