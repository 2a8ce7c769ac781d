"""Catalogs, schemas and tables with the official bindings' shapes: in-memory catalogs and
schemas built in Python, name listings as sets, Table(...) from anything table-like."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from fuseplug import Catalog, Schema, SessionContext, Table
from fuseplug.exceptions import PlanError

RunPython = Callable[..., Any]


def test_memory_catalog_and_schema_serve_sql(ctx: SessionContext) -> None:
    schema = Schema.memory_schema(ctx)
    schema.register_table("t", ctx.from_pydict({"a": [1, 2, 3]}))
    schema.register_table("arrow", pa.table({"b": ["x"]}))
    assert schema.names() == schema.table_names() == {"t", "arrow"}
    catalog = Catalog.memory_catalog()
    assert catalog.register_schema("s", schema) is None
    ctx.register_catalog_provider("c", catalog)
    assert "c" in ctx.catalog_names() and isinstance(ctx.catalog_names(), set)
    assert ctx.sql("SELECT sum(a) AS total FROM c.s.t").to_pydict() == {"total": [6]}
    assert ctx.sql("SELECT b FROM c.s.arrow").to_pydict() == {"b": ["x"]}
    assert ctx.catalog("c").schema("s").table("t").kind == "view"
    schema.deregister_table("t")
    assert not schema.table_exist("t")
    with pytest.raises(PlanError, match="t"):
        ctx.sql("SELECT * FROM c.s.t")


def test_register_and_deregister_schema_return_the_old_one(ctx: SessionContext) -> None:
    catalog = ctx.catalog()
    first, second = Schema.memory_schema(), Schema.memory_schema()
    first.register_table("one", ctx.from_pydict({"a": [1]}))
    assert catalog.register_schema("extra", first) is None
    replaced = catalog.register_schema("extra", second)
    assert replaced is not None and replaced.names() == {"one"}
    assert "extra" in catalog.names() and isinstance(catalog.schema_names(), set)
    removed = catalog.deregister_schema("extra")
    assert removed is not None and "extra" not in catalog.names()
    assert catalog.deregister_schema("never_there") is None


def test_table_from_anything_table_like(ctx: SessionContext, data_dir: Path) -> None:
    df = ctx.from_pydict({"a": [1, 2]})
    assert Table(df).kind == "view"
    assert Table(Table(df)).schema == pa.schema([("a", pa.int64())])
    pq.write_table(pa.table({"v": [5, 6]}), data_dir / "d.parquet")
    dataset = ds.dataset(data_dir)
    for table in (Table(dataset), Table.from_dataset(dataset)):
        ctx.register_table("from_ds", table)
        assert ctx.sql("SELECT sum(v) AS s FROM from_ds").to_pydict() == {"s": [11]}
        ctx.deregister_table("from_ds")
    with pytest.raises(TypeError, match="expected a Table, DataFrame"):
        Table(42)


def test_into_view_temporary(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1]})
    assert df.into_view().kind == "view"
    assert df.into_view(temporary=True).kind == "temporary"
    ctx.register_table("tmp", df.into_view(temporary=True))
    assert ctx.table("tmp").to_pydict() == {"a": [1]}


def test_table_from_a_table_provider_capsule(ctx: SessionContext) -> None:
    # a provider capsule (here fuseplug's own export) is read through a session: `ctx` when
    # given, else the global context
    capsule = ctx.from_pydict({"a": [1, 2, 3]}).__datafusion_table_provider__(ctx)
    for table in (Table(capsule, ctx), Table(capsule)):
        assert table.schema == pa.schema([("a", pa.int64())])
        ctx.register_table("from_capsule", table)
        assert ctx.sql("SELECT sum(a) AS s FROM from_capsule").to_pydict() == {"s": [6]}
        ctx.deregister_table("from_capsule")
    with pytest.raises(TypeError, match="expected a fuseplug SessionContext"):
        Table(capsule, object())


EXPORTED_TABLES_PLAN_ON_THEIR_SESSION = """
import json
import datafusion
import fuseplug

# generate_series makes batches of the planning session's batch_size
owner = fuseplug.SessionContext(fuseplug.SessionConfig().with_batch_size(7))
owner.sql("CREATE VIEW series AS SELECT value FROM generate_series(1, 30)").collect()
tables = {
    "into_view": owner.sql("SELECT value FROM generate_series(1, 30)").into_view(),
    "catalog table": owner.catalog().schema().table("series"),
    "table_provider": owner.table_provider("series"),
    "Table(df)": fuseplug.Table(owner.sql("SELECT value FROM generate_series(1, 30)")),
}
out = {}
for label, table in tables.items():
    ours = fuseplug.SessionContext()
    ours.register_table("t", table.__datafusion_table_provider__(ours))
    out[label] = [b.num_rows for b in ours.sql("SELECT value FROM t").collect()]
    theirs = datafusion.SessionContext()
    theirs.register_table("t", table)
    out[label + " (official)"] = [b.num_rows for b in theirs.sql("SELECT value FROM t").collect()]
print(json.dumps(out))
"""


def test_an_exported_table_plans_on_the_session_it_came_from(run_python: RunPython) -> None:
    # queried from another fuseplug session (through the FFI capsule) and from the official host
    proc = run_python(EXPORTED_TABLES_PLAN_ON_THEIR_SESSION, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(out) == 8
    for label, sizes in out.items():
        assert sorted(sizes, reverse=True) == [7, 7, 7, 7, 2], label
