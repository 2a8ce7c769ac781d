"""Catalogs, schemas and tables: ``ctx.catalog("datafusion").schema("public").table_names()``.

>>> import fuseplug
>>> ctx = fuseplug.SessionContext()
>>> schema = fuseplug.Schema.memory_schema()
>>> schema.register_table("t", ctx.from_pydict({"a": [1, 2]}))
>>> catalog = fuseplug.Catalog.memory_catalog()
>>> catalog.register_schema("s", schema)
>>> ctx.register_catalog_provider("c", catalog)
>>> ctx.sql("SELECT sum(a) AS total FROM c.s.t").to_pydict()
{'total': [3]}
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from fuseplug._internal import Catalog, Schema, Table

__all__ = ["Catalog", "Schema", "Table"]


class _DatasetStream:
    """A pyarrow Dataset as an Arrow stream that is read again on every scan."""

    def __init__(self, dataset: Any) -> None:
        self._dataset = dataset

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        reader = self._dataset.scanner().to_reader()
        return reader.__arrow_c_stream__(requested_schema)


def _is_dataset(obj: object) -> bool:
    try:
        import pyarrow.dataset as ds
    except ImportError:
        return False
    return isinstance(obj, ds.Dataset)


def _as_table(table: Any, session: Any = None) -> Table:
    """What ``Table(...)``, ``Schema.register_table`` and ``Table.from_dataset`` accept, as a
    :class:`Table`: a DataFrame becomes a view, a Dataset or Arrow stream a table read again on
    every scan, a plugin's provider a view over it in ``session`` (a context, compiled or not;
    the global context when ``None``)."""
    from fuseplug.context import SessionContext, _is_capsule
    from fuseplug.dataframe import DataFrame

    if isinstance(table, Table):
        return table
    if isinstance(table, DataFrame):
        return table.into_view()
    if _is_dataset(table):
        return Table.from_arrow_stream(_DatasetStream(table), False)
    if _is_capsule(table) or hasattr(table, "__datafusion_table_provider__"):
        if session is None:
            ctx = SessionContext.global_ctx()
        elif isinstance(session, SessionContext):
            ctx = session
        else:
            ctx = SessionContext._from_inner(session)
        return ctx.read_table(table).into_view()
    if hasattr(table, "__arrow_c_stream__"):
        return Table.from_arrow_stream(table, isinstance(table, pa.RecordBatchReader))
    if hasattr(table, "__arrow_c_array__"):
        return Table.from_arrow(table)
    raise TypeError(
        "expected a Table, DataFrame, pyarrow Dataset, Arrow stream or table provider, "
        f"got {type(table).__name__}"
    )
