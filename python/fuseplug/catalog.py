"""Catalogs, schemas and tables: ``ctx.catalog("datafusion").schema("public").table_names()``;
and the base classes for catalogs, schemas and table factories written in Python.

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

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Protocol

from fuseplug import _internal
from fuseplug._compat import (  # noqa: F401  (re-exported under the official module's names)
    CatalogProviderExportable,
    CatalogProviderListExportable,
    TableProviderExportable,
    TableProviderFactoryExportable,
)
from fuseplug._internal import Catalog, CatalogList, Schema, Table

if TYPE_CHECKING:
    import pyarrow as pa

    from fuseplug.expr import CreateExternalTable
else:
    from fuseplug._lazy import pyarrow as pa

__all__ = [
    "Catalog",
    "CatalogList",
    "CatalogProvider",
    "CatalogProviderList",
    "Schema",
    "SchemaProvider",
    "Table",
    "TableProviderFactory",
]


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
    found = _table_like(table, session)
    if found is None:
        raise TypeError(
            "expected a Table, DataFrame, pyarrow Dataset, Arrow stream or table provider, "
            f"got {type(table).__name__}"
        )
    return found


def _deregister_table(schema: Any, name: str) -> Any:
    """Calls a Python schema's ``deregister_table`` the way its signature allows."""
    method = schema.deregister_table
    try:
        import inspect  # only plugin tables need it (import fuseplug stays fast)

        inspect.signature(method).bind(name)
    except TypeError:
        return method(name, False)
    except ValueError:  # no signature to read (a builtin): the official calling convention
        pass
    return method(name)


def _table_like(table: Any, session: Any = None) -> Table | None:
    """``table`` as a :class:`Table` (see :func:`_as_table`), or None when it is nothing like one.
    The compiled adapters of Python schemas and table factories call this on what they return."""
    from fuseplug.context import SessionContext, _is_capsule
    from fuseplug.dataframe import DataFrame

    if isinstance(table, Table):
        return table
    if isinstance(table, DataFrame):
        return table.into_view()
    if isinstance(table, _internal.DataFrame):  # the compiled frame (``df.df`` officially)
        return DataFrame(table).into_view()
    if _is_dataset(table):
        # read again on every scan, with the query's columns and filters handed to pyarrow
        return Table.from_dataset(table)
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
    return None


# --- implemented in Python ----------------------------------------------------------------------
# Subclass these (or write a class with the same methods) and hand an instance to
# ``SessionContext.register_catalog_provider_list``, ``register_catalog_provider``,
# ``Catalog.register_schema`` or ``SessionContext.register_table_factory``. Queries call the
# methods, with the GIL held, while they are planned.


class CatalogProviderList(ABC):
    """A list of catalogs written in Python: ``SessionContext.register_catalog_provider_list``
    makes it the session's (its catalogs replace the session's, including ``datafusion``)."""

    @abstractmethod
    def catalog_names(self) -> set[str]:
        """The names of the catalogs."""

    @abstractmethod
    def catalog(self, name: str) -> CatalogProvider | Catalog | Any | None:
        """The catalog ``name`` (a :class:`CatalogProvider`, a :class:`Catalog` or a plugin's), or
        None."""

    def register_catalog(self, name: str, catalog: CatalogProvider | Catalog) -> None:  # noqa: B027
        """Adds a catalog (``register_catalog_provider``, ``CREATE DATABASE``). Optional: the
        default ignores it."""


class CatalogProvider(ABC):
    """A catalog written in Python: ``SessionContext.register_catalog_provider("c", provider)``
    serves ``c.<schema>.<table>`` from it.

    >>> import fuseplug
    >>> import pyarrow as pa
    >>> from fuseplug.catalog import CatalogProvider, SchemaProvider
    >>> class Tables(SchemaProvider):
    ...     def __init__(self, tables):
    ...         self.tables = tables
    ...     def table_names(self):
    ...         return set(self.tables)
    ...     def table(self, name):
    ...         return self.tables.get(name)
    ...     def table_exist(self, name):
    ...         return name in self.tables
    >>> class OneSchema(CatalogProvider):
    ...     def schema_names(self):
    ...         return {"s"}
    ...     def schema(self, name):
    ...         return Tables({"t": pa.table({"a": [1, 2]})}) if name == "s" else None
    >>> ctx = fuseplug.SessionContext()
    >>> ctx.register_catalog_provider("c", OneSchema())
    >>> ctx.sql("SELECT sum(a) AS total FROM c.s.t").to_pydict()
    {'total': [3]}
    """

    @abstractmethod
    def schema_names(self) -> set[str]:
        """The names of the schemas."""

    @abstractmethod
    def schema(self, name: str) -> SchemaProvider | Schema | Any | None:
        """The schema ``name`` (a :class:`SchemaProvider`, a :class:`Schema` or a plugin's), or
        None."""

    def register_schema(self, name: str, schema: SchemaProvider | Schema) -> None:  # noqa: B027
        """Adds a schema (``Catalog.register_schema``, ``CREATE SCHEMA``, which hands a
        :class:`Schema`). Optional: the default ignores it."""

    def deregister_schema(self, name: str, cascade: bool) -> None:  # noqa: B027
        """Removes a schema (``DROP SCHEMA``, which fails unless this returns the schema it
        removed). Optional: the default ignores it."""


class SchemaProvider(ABC):
    """A schema written in Python. :meth:`table` may return a :class:`Table` or anything
    ``Table(...)`` accepts: a DataFrame, a pyarrow Table or Dataset, an Arrow stream or a plugin's
    table provider."""

    def owner_name(self) -> str | None:
        """The schema's owner, if any (asked once)."""
        return None

    @abstractmethod
    def table_names(self) -> set[str]:
        """The names of the tables."""

    @abstractmethod
    def table(self, name: str) -> Table | Any | None:
        """The table ``name``, or None."""

    def register_table(self, name: str, table: Table) -> None:  # noqa: B027
        """Adds a table (``Schema.register_table``, ``CREATE TABLE``, ``CREATE VIEW``). Optional:
        the default ignores it."""

    def deregister_table(self, name: str, cascade: bool) -> None:  # noqa: B027
        """Removes a table (``DROP TABLE``). Called with the name alone when the method accepts
        that (as the official bindings call it), else with ``cascade=False``. Optional: the default
        ignores it."""

    @abstractmethod
    def table_exist(self, name: str) -> bool:
        """Whether the table ``name`` exists."""


class TableProviderFactory(ABC):
    """Makes the tables of ``CREATE EXTERNAL TABLE ... STORED AS <format>``, once registered with
    ``SessionContext.register_table_factory(format, factory)``."""

    @abstractmethod
    def create(self, cmd: CreateExternalTable) -> Table | Any:
        """The table for ``cmd`` (its ``locations()``, ``options()``, ``schema()``, ...): a
        :class:`Table` or anything ``Table(...)`` accepts."""


class SchemaProviderExportable(Protocol):
    """A plugin's schema: ``__datafusion_schema_provider__(codec)``."""

    def __datafusion_schema_provider__(self, session: Any) -> object: ...
