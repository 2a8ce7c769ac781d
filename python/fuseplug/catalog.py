"""Catalogs, schemas and tables: ``ctx.catalog("datafusion").schema("public").table_names()``."""

from fuseplug._internal import Catalog, Schema, Table

__all__ = ["Catalog", "Schema", "Table"]
