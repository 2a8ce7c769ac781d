"""Catalogs, schemas, catalog lists and table factories written in Python: SQL over
``catalog.schema.table`` calls into them, DDL reaches their ``register_*`` methods, and their
failures reach the caller with the provider's own exception."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pytest

import fuseplug
from fuseplug import SessionContext, Table
from fuseplug.catalog import (
    Catalog,
    CatalogList,
    CatalogProvider,
    CatalogProviderList,
    Schema,
    SchemaProvider,
    TableProviderFactory,
)
from fuseplug.exceptions import ExecutionError, PlanError
from fuseplug.expr import CreateExternalTable

RunPython = Callable[..., Any]


class Tables(SchemaProvider):
    """A schema over a dict of table-like values, recording every call."""

    def __init__(self, tables: dict[str, Any] | None = None) -> None:
        self.tables: dict[str, Any] = dict(tables or {})
        self.calls: list[tuple[Any, ...]] = []

    def table_names(self) -> set[str]:
        return set(self.tables)

    def table(self, name: str) -> Any:
        self.calls.append(("table", name))
        return self.tables.get(name)

    def table_exist(self, name: str) -> bool:
        return name in self.tables

    def register_table(self, name: str, table: Table) -> None:
        self.calls.append(("register_table", name, type(table)))
        self.tables[name] = table

    def deregister_table(self, name: str, cascade: bool) -> None:
        self.calls.append(("deregister_table", name))
        self.tables.pop(name)


class Schemas(CatalogProvider):
    """A catalog over a dict of schemas, recording every call."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = dict(schemas)
        self.calls: list[tuple[Any, ...]] = []

    def schema_names(self) -> set[str]:
        return set(self.schemas)

    def schema(self, name: str) -> Any:
        return self.schemas.get(name)

    def register_schema(self, name: str, schema: Any) -> None:
        self.calls.append(("register_schema", name, type(schema)))
        self.schemas[name] = schema

    def deregister_schema(self, name: str, cascade: bool) -> Any:
        self.calls.append(("deregister_schema", name, cascade))
        return self.schemas.pop(name)


class Catalogs(CatalogProviderList):
    def __init__(self, catalogs: dict[str, Any]) -> None:
        self.catalogs = dict(catalogs)

    def catalog_names(self) -> set[str]:
        return set(self.catalogs)

    def catalog(self, name: str) -> Any:
        return self.catalogs.get(name)

    def register_catalog(self, name: str, catalog: Any) -> None:
        self.catalogs[name] = catalog


def total(ctx: SessionContext, table: str, column: str = "a") -> Any:
    return ctx.sql(f"SELECT sum({column}) AS s FROM {table}").to_pydict()["s"][0]


# --- catalog -> schema -> table -----------------------------------------------------------------


def test_sql_reads_every_kind_of_table_through_a_python_chain(ctx: SessionContext) -> None:
    schema = Tables(
        {
            "frame": ctx.from_pydict({"a": [1, 2, 3]}),
            "arrow": pa.table({"a": [10, 20]}),
            "batches": pa.RecordBatch.from_pydict({"a": [7]}),
            "dataset": ds.dataset(pa.table({"a": [100, 200]})),
            "table": Table(ctx.from_pydict({"a": [5]})),
        }
    )
    ctx.register_catalog_provider("c", Schemas({"s": schema}))
    assert total(ctx, "c.s.frame") == 6
    assert total(ctx, "c.s.arrow") == 30
    assert total(ctx, "c.s.batches") == 7
    assert total(ctx, "c.s.dataset") == 300
    assert total(ctx, "c.s.table") == 5
    # Every query asks the Python schema for its table again, so a table it replaced between two
    # queries is what the second one reads.
    asked = schema.calls.count(("table", "arrow"))
    assert asked >= 1
    schema.tables["arrow"] = pa.table({"a": [1000, 2000]})
    assert total(ctx, "c.s.arrow") == 3000
    assert schema.calls.count(("table", "arrow")) > asked
    joined = ctx.sql("SELECT f.a, t.a AS b FROM c.s.frame f JOIN c.s.table t ON f.a = t.a - 4")
    assert joined.to_pydict() == {"a": [1], "b": [5]}
    with pytest.raises(PlanError, match=r"c\.s\.missing"):
        ctx.sql("SELECT * FROM c.s.missing")


def test_a_table_may_be_made_by_a_query_inside_the_callback(ctx: SessionContext) -> None:
    class Lazy(SchemaProvider):
        def table_names(self) -> set[str]:
            return {"one"}

        def table(self, name: str) -> Any:
            return ctx.sql("SELECT 1 AS a UNION ALL SELECT 2") if name == "one" else None

        def table_exist(self, name: str) -> bool:
            return name == "one"

    ctx.register_catalog_provider("c", Schemas({"s": Lazy()}))
    assert total(ctx, "c.s.one") == 3


def test_catalog_views_call_the_python_provider(ctx: SessionContext) -> None:
    tables = Tables({"t": pa.table({"a": [1]})})
    provider = Schemas({"s": tables})
    ctx.register_catalog_provider("c", provider)
    assert "c" in ctx.catalog_names()
    catalog = ctx.catalog("c")
    assert isinstance(catalog, Catalog)
    assert catalog.names() == catalog.schema_names() == {"s"}
    assert catalog.schema("s") is tables  # a Python schema comes back as itself
    provider.schemas["later"] = Tables()
    assert catalog.schema_names() == {"s", "later"}
    with pytest.raises(PlanError, match="no schema named"):
        catalog.schema("nope")


def test_python_schema_in_a_memory_catalog(ctx: SessionContext) -> None:
    tables = Tables({"t": ctx.from_pydict({"a": [4, 5]})})
    catalog = Catalog.memory_catalog(ctx)
    assert catalog.register_schema("py", tables) is None
    ctx.register_catalog_provider("m", catalog)
    assert total(ctx, "m.py.t") == 9
    assert catalog.schema("py") is tables
    assert catalog.register_schema("py", Schema.memory_schema()) is tables
    assert isinstance(catalog.schema("py"), Schema)


def test_ddl_reaches_the_python_schema_and_catalog(ctx: SessionContext) -> None:
    tables = Tables()
    provider = Schemas({"s": tables})
    ctx.register_catalog_provider("c", provider)
    ctx.sql("CREATE TABLE c.s.made AS SELECT 1 AS a UNION ALL SELECT 2").collect()
    assert ("register_table", "made", Table) in tables.calls
    assert isinstance(tables.tables["made"], Table)
    assert total(ctx, "c.s.made") == 3
    ctx.sql("CREATE VIEW c.s.v AS SELECT a * 10 AS a FROM c.s.made").collect()
    assert tables.tables["v"].kind == "view"
    assert total(ctx, "c.s.v") == 30
    ctx.sql("DROP TABLE c.s.made").collect()
    assert ("deregister_table", "made") in tables.calls and "made" not in tables.tables
    ctx.sql("CREATE SCHEMA c.extra").collect()
    assert ("register_schema", "extra", Schema) in provider.calls
    ctx.sql("CREATE TABLE c.extra.t AS SELECT 42 AS a").collect()
    assert total(ctx, "c.extra.t") == 42
    ctx.sql("DROP SCHEMA c.extra CASCADE").collect()
    assert ("deregister_schema", "extra", True) in provider.calls
    assert provider.schema_names() == {"s"}


def test_drop_table_calls_deregister_table_as_its_signature_allows(ctx: SessionContext) -> None:
    class NameOnly(Tables):
        def deregister_table(self, name: str) -> None:  # type: ignore[override]
            self.calls.append(("name only", name))
            self.tables.pop(name)

    class WithCascade(Tables):
        def deregister_table(self, name: str, cascade: bool) -> None:
            self.calls.append(("with cascade", name, cascade))
            self.tables.pop(name)

    name_only = NameOnly({"t": Table.from_arrow(pa.table({"a": [1]}))})  # a base table
    with_cascade = WithCascade({"t": Table.from_arrow(pa.table({"a": [1]}))})
    for schema in (name_only, with_cascade):
        ctx.register_catalog_provider("c", Schemas({"s": schema}))
        ctx.sql("DROP TABLE c.s.t").collect()
        assert schema.tables == {}
    assert name_only.calls[-1] == ("name only", "t")
    assert with_cascade.calls[-1] == ("with cascade", "t", False)


def test_ctx_register_table_and_schema_methods_use_the_python_schema(
    ctx: SessionContext,
) -> None:
    tables = Tables()
    catalog = Catalog.memory_catalog(ctx)
    catalog.register_schema("s", tables)
    ctx.register_catalog_provider("c", catalog)
    ctx.register_table("c.s.t", ctx.from_pydict({"a": [3]}))
    assert tables.calls == [("register_table", "t", Table)]
    assert ctx.table_exist("c.s.t")
    assert total(ctx, "c.s.t") == 3
    ctx.deregister_table("c.s.t")
    assert not ctx.table_exist("c.s.t")


# --- catalog lists ------------------------------------------------------------------------------


def test_python_catalog_list_replaces_the_sessions_catalogs(ctx: SessionContext) -> None:
    catalogs = Catalogs({"c": Schemas({"s": Tables({"t": pa.table({"a": [1, 2]})})})})
    ctx.register_catalog_provider_list(catalogs)
    assert ctx.catalog_names() == {"c"}
    assert total(ctx, "c.s.t") == 3
    memory = Catalog.memory_catalog(ctx)
    ctx.register_catalog_provider("mem", memory)
    assert catalogs.catalogs["mem"] is memory
    python = Schemas({})
    ctx.register_catalog_provider("py", python)
    assert catalogs.catalogs["py"] is python
    assert ctx.catalog_names() == {"c", "mem", "py"}
    with pytest.raises(KeyError, match="no catalog named"):
        ctx.catalog("datafusion")


def test_catalog_list_is_a_live_view(ctx: SessionContext) -> None:
    catalogs = CatalogList.memory_catalog(ctx)
    assert catalogs.names() == catalogs.catalog_names() == set()
    first = Catalog.memory_catalog(ctx)
    first.register_schema("s", Tables({"t": pa.table({"a": [1]})}))
    assert catalogs.register_catalog("first", first) is None
    python = Schemas({"s": Tables({"t": pa.table({"a": [2]})})})
    assert catalogs.register_catalog("python", python) is None
    assert catalogs.catalog("python") is python
    assert isinstance(catalogs.catalog("first"), Catalog)
    ctx.register_catalog_provider_list(catalogs)
    assert total(ctx, "first.s.t") + total(ctx, "python.s.t") == 3
    # Catalogs added to the list later are visible to the session, and the other way round.
    catalogs.register_catalog("later", Schemas({"s": Tables({"t": pa.table({"a": [5]})})}))
    assert total(ctx, "later.s.t") == 5
    ctx.sql("CREATE DATABASE made").collect()
    assert "made" in catalogs.names()
    replaced = catalogs.register_catalog("first", Catalog.memory_catalog())
    assert isinstance(replaced, Catalog) and replaced.names() == {"s"}
    with pytest.raises(KeyError, match="no catalog named"):
        catalogs.catalog("nope")
    assert "later" in repr(catalogs)


def test_catalog_list_wraps_a_python_list(ctx: SessionContext) -> None:
    # CatalogList.register_catalog on a session whose list is written in Python reaches it.
    catalogs = Catalogs({})
    ctx.register_catalog_provider_list(catalogs)
    ctx.register_catalog_provider("c", Schemas({"s": Tables({"t": pa.table({"a": [8]})})}))
    assert total(ctx, "c.s.t") == 8


# --- table factories ----------------------------------------------------------------------------


class Repeat(TableProviderFactory):
    """``LOCATION 'n'`` makes a table of 0..n-1; ``OPTIONS ('scale' 'k')`` multiplies it."""

    def __init__(self) -> None:
        self.seen: list[CreateExternalTable] = []

    def create(self, cmd: CreateExternalTable) -> Any:
        self.seen.append(cmd)
        scale = int(cmd.options().get("format.scale", "1"))
        return pa.table({"a": [i * scale for i in range(int(cmd.locations()[0]))]})


def test_python_table_factory_serves_create_external_table(ctx: SessionContext) -> None:
    factory = Repeat()
    assert isinstance(factory, fuseplug.TableProviderFactory)
    ctx.register_table_factory("myfmt", factory)
    ctx.sql("CREATE EXTERNAL TABLE r STORED AS myfmt LOCATION '4' OPTIONS ('scale' '10')")
    assert total(ctx, "r") == 60
    (cmd,) = factory.seen
    assert isinstance(cmd, CreateExternalTable)
    assert (cmd.name(), cmd.file_type(), cmd.locations()) == ("r", "MYFMT", ["4"])
    assert cmd.options() == {"format.scale": "10"}
    ctx.sql("CREATE EXTERNAL TABLE IF NOT EXISTS r STORED AS MYFMT LOCATION '100'")
    assert len(factory.seen) == 1 and total(ctx, "r") == 60


def test_factory_may_return_any_table_like_value(ctx: SessionContext, tmp_path: Path) -> None:
    frame = ctx.from_pydict({"a": [1, 2]})

    class Frames(TableProviderFactory):
        def create(self, cmd: CreateExternalTable) -> Any:
            return frame if cmd.locations()[0] == "frame" else Table(frame)

    ctx.register_table_factory("FRAMES", Frames())
    ctx.sql("CREATE EXTERNAL TABLE f STORED AS frames LOCATION 'frame'")
    ctx.sql("CREATE EXTERNAL TABLE g STORED AS frames LOCATION 'table'")
    assert total(ctx, "f") + total(ctx, "g") == 6


# --- failures -----------------------------------------------------------------------------------


class Broken(SchemaProvider):
    def table_names(self) -> set[str]:
        return {"t"}

    def table(self, name: str) -> Any:
        raise LookupError(f"no backend for {name}")

    def table_exist(self, name: str) -> bool:
        return True


def test_a_raising_provider_fails_the_query_with_its_own_exception(ctx: SessionContext) -> None:
    class Flaky(CatalogProvider):
        def schema_names(self) -> set[str]:
            raise RuntimeError("listing is down")

        def schema(self, name: str) -> Any:
            if name == "broken":
                return Broken()
            raise KeyError(f"schema lookup failed: {name}")

    ctx.register_catalog_provider("c", Flaky())
    with pytest.raises(LookupError, match="no backend for t"):
        ctx.sql("SELECT * FROM c.broken.t")
    with pytest.raises(KeyError, match="schema lookup failed: other"):
        ctx.sql("SELECT * FROM c.other.t")
    with pytest.raises(RuntimeError, match="listing is down"):
        ctx.catalog("c").schema_names()
    with pytest.raises(KeyError, match="schema lookup failed"):
        ctx.catalog("c").schema("other")
    # The session still works.
    assert ctx.sql("SELECT 1 AS one").to_pydict() == {"one": [1]}


def test_a_wrong_return_type_names_the_method_and_the_type(ctx: SessionContext) -> None:
    class Wrong(SchemaProvider):
        def table_names(self) -> set[str]:
            return {"t"}

        def table(self, name: str) -> Any:
            return 42

        def table_exist(self, name: str) -> bool:
            return True

    class WrongCatalog(CatalogProvider):
        def schema_names(self) -> Any:
            return 7

        def schema(self, name: str) -> Any:
            return Wrong() if name == "s" else ctx.from_pydict({"a": [1]})

    ctx.register_catalog_provider("c", WrongCatalog())
    with pytest.raises(TypeError, match=r'Wrong\.table\("t"\) returned int, expected a Table'):
        ctx.sql("SELECT * FROM c.s.t")
    with pytest.raises(TypeError, match=r'WrongCatalog\.schema\("x"\) returned DataFrame'):
        ctx.sql("SELECT * FROM c.x.t")
    with pytest.raises(TypeError, match=r"WrongCatalog\.schema_names\(\) returned int"):
        ctx.catalog("c").names()


def test_factory_failures(ctx: SessionContext) -> None:
    class Raises(TableProviderFactory):
        def create(self, cmd: CreateExternalTable) -> Any:
            raise PermissionError(f"cannot open {cmd.locations()[0]}")

    class ReturnsNone(TableProviderFactory):
        def create(self, cmd: CreateExternalTable) -> Any:
            return None

    ctx.register_table_factory("RAISES", Raises())
    ctx.register_table_factory("NONE", ReturnsNone())
    with pytest.raises(PermissionError, match="cannot open secret"):
        ctx.sql("CREATE EXTERNAL TABLE t STORED AS raises LOCATION 'secret'")
    with pytest.raises(TypeError, match=r"ReturnsNone\.create\(cmd\) returned None"):
        ctx.sql("CREATE EXTERNAL TABLE t STORED AS none LOCATION 'x'")
    with pytest.raises(ExecutionError, match="Unable to find factory for OTHER"):
        ctx.sql("CREATE EXTERNAL TABLE t STORED AS other LOCATION 'x'")
    assert not ctx.table_exist("t")


def test_registering_something_else_is_a_type_error(ctx: SessionContext) -> None:
    with pytest.raises(TypeError, match=r"expected a Catalog, a CatalogProvider .*got int"):
        ctx.register_catalog_provider("c", 42)
    with pytest.raises(TypeError, match=r"expected a Schema, a SchemaProvider .*got str"):
        ctx.catalog().register_schema("s", "nope")
    with pytest.raises(TypeError, match="expected a CatalogList, a CatalogProviderList"):
        ctx.register_catalog_provider_list(object())
    with pytest.raises(TypeError, match="expected a TableProviderFactory"):
        ctx.register_table_factory("X", object())
    with pytest.raises(TypeError, match="expected a Catalog"):
        CatalogList.memory_catalog().register_catalog("c", Tables())


def test_listing_failures_are_reported_not_raised_where_sql_cannot_fail(
    run_python: RunPython,
) -> None:
    # information_schema lists every catalog; a listing that raises is reported through
    # sys.unraisablehook (DataFusion's listings cannot fail) and the query goes on.
    proc = run_python(
        """
        import json
        import fuseplug
        from fuseplug.catalog import CatalogProvider

        class Flaky(CatalogProvider):
            def schema_names(self):
                raise RuntimeError("listing is down")
            def schema(self, name):
                return None

        ctx = fuseplug.SessionContext(fuseplug.SessionConfig().with_information_schema(True))
        ctx.register_catalog_provider("flaky", Flaky())
        rows = ctx.sql(
            "SELECT DISTINCT table_catalog FROM information_schema.tables ORDER BY 1"
        ).to_pydict()
        print(json.dumps(rows))
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"table_catalog": ["datafusion", "flaky"]}
    assert "Exception ignored" in proc.stderr and "RuntimeError: listing is down" in proc.stderr


# --- the same program on both wheels ------------------------------------------------------------

SAME_PROGRAM = """
import json
import pyarrow as pa
import pyarrow.dataset as ds
from {module} import SessionContext, Table, TableProviderFactory
from {module}.catalog import CatalogProvider, CatalogProviderList, SchemaProvider

ctx = SessionContext()

class Tables(SchemaProvider):
    def __init__(self, tables):
        self.tables = tables
    def table_names(self):
        return set(self.tables)
    def table(self, name):
        return self.tables.get(name)
    def table_exist(self, name):
        return name in self.tables
    def register_table(self, name, table):
        self.tables[name] = table
    def deregister_table(self, name, cascade=True):
        self.tables.pop(name)

class Schemas(CatalogProvider):
    def __init__(self, schemas):
        self.schemas = schemas
    def schema_names(self):
        return set(self.schemas)
    def schema(self, name):
        return self.schemas.get(name)

class Factory(TableProviderFactory):
    def __init__(self, table):
        self.table = table
    def create(self, cmd):
        return self.table

frame = ctx.from_pydict({{"a": [1, 2, 3]}})
tables = Tables({{"frame": frame, "data": ds.dataset(pa.table({{"a": [10, 20]}}))}})
schemas = Schemas({{"s": tables}})
ctx.register_catalog_provider("c", schemas)
ctx.register_table_factory("MYFMT", Factory(Table(frame)))
ctx.sql("CREATE TABLE c.s.made AS SELECT 5 AS a").collect()
ctx.sql("CREATE EXTERNAL TABLE ext STORED AS MYFMT LOCATION 'anywhere'").collect()
out = {{
    "frame": ctx.sql("SELECT sum(a) AS s FROM c.s.frame").to_pydict(),
    "data": ctx.sql("SELECT sum(a) AS s FROM c.s.data").to_pydict(),
    "made": ctx.sql("SELECT a FROM c.s.made").to_pydict(),
    "ext": ctx.sql("SELECT sum(a) AS s FROM ext").to_pydict(),
    "names": sorted(ctx.catalog("c").schema_names()),
    "same_schema": ctx.catalog("c").schema("s") is tables,
    "tables": sorted(tables.table_names()),
}}
ctx.sql("DROP TABLE c.s.made").collect()
out["after_drop"] = sorted(tables.table_names())
try:
    ctx.sql("SELECT * FROM c.s.nope").collect()
except Exception as e:
    out["missing"] = "not found" in str(e)
print(json.dumps(out))
"""


def test_the_same_program_gives_the_same_answers_on_both_wheels(run_python: RunPython) -> None:
    results = {}
    for module in ("datafusion", "fuseplug"):
        proc = run_python(SAME_PROGRAM.format(module=module), timeout=120)
        assert proc.returncode == 0, f"{module}: {proc.stderr}"
        results[module] = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results["fuseplug"] == results["datafusion"]
    assert results["fuseplug"]["ext"] == {"s": [6]}
