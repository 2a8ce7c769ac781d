"""SessionContext behaviour that code written for the official bindings relies on: the tables the
``from_*`` methods register, lookups that raise ``KeyError``, ``object_store=`` on the file methods,
pyarrow Datasets scanned with their filters, and CSV argument checks."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest

from fuseplug import SessionConfig, SessionContext, Table
from fuseplug.exceptions import PlanError, SchemaError, SQLError
from fuseplug.object_store import LocalFileSystem


def _names(ctx: SessionContext) -> set[str]:
    return set(ctx.catalog().schema().names())


def test_from_methods_register_a_fresh_table_each(ctx: SessionContext) -> None:
    batch = pa.record_batch({"a": [1, 2]})
    frames = [
        ctx.from_pydict({"a": [1, 2]}),
        ctx.from_pylist([{"a": 1}, {"a": 2}]),
        ctx.from_arrow(pa.table({"a": [1, 2]})),
        ctx.create_dataframe([[batch]]),
    ]
    names = _names(ctx)
    assert len(names) == 4
    assert all(re.fullmatch("c[0-9a-f]{32}", name) for name in names)
    for name in names:  # each name reads its own data
        assert ctx.table(name).to_pydict() == {"a": [1, 2]}
    assert [f.count() for f in frames] == [2, 2, 2, 2]
    ctx.from_pydict({"b": [3]}, name="given")
    assert ctx.table("given").to_pydict() == {"b": [3]}
    # read_batch and read_batches register nothing
    before = _names(ctx)
    assert ctx.read_batch(batch).count() == 2
    assert ctx.read_batches([batch, batch]).count() == 4
    assert _names(ctx) == before


def test_missing_table_and_catalog_raise_key_error(ctx: SessionContext) -> None:
    with pytest.raises(KeyError, match="No table named 'nope'"):
        ctx.table("nope")
    with pytest.raises(KeyError, match="no catalog named"):
        ctx.catalog("nope")
    named = SessionContext(SessionConfig().with_default_catalog_and_schema("foo", "bar"))
    assert named.catalog("foo").schema("bar").names() == set()
    with pytest.raises(KeyError):
        named.catalog("datafusion")


def test_query_errors_are_value_errors(ctx: SessionContext) -> None:
    with pytest.raises(PlanError, match=r"^Error during planning: table 'datafusion.public.b'"):
        ctx.sql("SELECT a FROM b")
    for cls, query in [(SQLError, "SELEC 1"), (SchemaError, "SELECT x"), (PlanError, "SELECT f()")]:
        with pytest.raises(ValueError) as raised:
            ctx.sql(query)
        assert isinstance(raised.value, cls)


def test_register_record_batches_needs_a_batch(ctx: SessionContext) -> None:
    for partitions in ([[]], []):
        with pytest.raises(ValueError, match="no record batches"):
            ctx.register_record_batches("t", partitions)
    ctx.register_record_batches("t", [[], [pa.record_batch({"a": [1, 2]})]])
    assert ctx.table("t").to_pydict() == {"a": [1, 2]}


def test_object_store_for_a_path(ctx: SessionContext, tmp_path: Path) -> None:
    calls: list[tuple[str, object, str | None]] = []
    ctx.register_object_store = lambda scheme, store, host=None: calls.append((scheme, store, host))  # type: ignore[method-assign]
    store = object()
    ctx._register_object_store_for_path("s3://bucket/key.parquet", store)
    ctx._register_object_store_for_path("file:///tmp/x.parquet", store)
    assert calls == [("s3://", store, "bucket"), ("file://", store, None)]
    for path, message in [
        ("/local/x.parquet", "Cannot determine object store URL"),
        (Path("relative.parquet"), "Cannot determine object store URL"),
        ("s3:///key.parquet", "must include a host or bucket"),
    ]:
        with pytest.raises(ValueError, match=message):
            ctx._register_object_store_for_path(path, store)
    # the file methods register the store for the first path, before reading
    calls.clear()
    with pytest.raises(Exception):  # noqa: B017  (no store is really registered for s3)
        ctx.register_csv("t", ["s3://bucket/a.csv", "s3://other/b.csv"], object_store=store)
    assert calls == [("s3://", store, "bucket")]


def test_object_store_parameter_reads_a_local_file(tmp_path: Path) -> None:
    ctx = SessionContext()
    pacsv.write_csv(pa.table({"v": [10, 20]}), tmp_path / "d.csv")
    df = ctx.read_csv((tmp_path / "d.csv").as_uri(), object_store=LocalFileSystem())
    assert df.to_pydict() == {"v": [10, 20]}
    with pytest.raises(TypeError, match="object store must be one of"):
        ctx.register_object_store("s3://", object(), "bucket")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Cannot determine object store URL"):
        ctx.read_csv(tmp_path / "d.csv", object_store=LocalFileSystem())


def test_register_csv_checks_and_lists(ctx: SessionContext, tmp_path: Path) -> None:
    for name in ("a.csv", "b.csv"):
        pacsv.write_csv(pa.table({"n": [1, 2]}), tmp_path / name)
    ctx.register_csv("both", [tmp_path / "a.csv", tmp_path / "b.csv"])
    assert ctx.sql("SELECT sum(n) AS s FROM both").to_pydict() == {"s": [6]}
    assert ctx.catalog().schema().table("both").kind == "physical"
    with pytest.raises(ValueError, match="delimiter must be a single character"):
        ctx.register_csv("x", tmp_path / "a.csv", delimiter="||")
    with pytest.raises(ValueError, match="file_compression_type must be one of: gzip"):
        ctx.register_csv("x", tmp_path / "a.csv", file_compression_type="rar")
    with pytest.raises(ValueError, match="file_compression_type must be one of: gzip"):
        ctx.read_json(tmp_path / "a.csv", file_compression_type="rar")


def test_partition_type_names_are_deprecated(ctx: SessionContext, tmp_path: Path) -> None:
    (tmp_path / "g=x").mkdir()
    pacsv.write_csv(pa.table({"n": [1]}), tmp_path / "g=x" / "f.csv")
    with pytest.warns(DeprecationWarning, match="table_partition_cols"):
        ctx.register_csv("p", tmp_path, table_partition_cols=[("g", "string")])
    assert ctx.table("p").to_pydict() == {"n": [1], "g": ["x"]}
    with pytest.raises(ValueError, match="type name 'float'"):
        ctx.register_csv("q", tmp_path, table_partition_cols=[("g", "float")])


def test_dataset_scans_push_columns_and_filters_to_pyarrow(ctx: SessionContext) -> None:
    dataset = ds.dataset([pa.record_batch({"a": [1, 2, 3], "b": [4, 5, 6], "c": [7, None, 9]})])
    ctx.register_dataset("t", dataset)
    assert ctx.catalog().schema().table("t").kind == "physical"
    query = ctx.sql("SELECT a + b AS s FROM t WHERE a BETWEEN 2 AND 3 AND b > 5")
    plan = query.execution_plan().display_indent()
    assert (
        "DatasetExec: filter_expr=(((a >= 2) and (a <= 3)) and (b > 5)), projection=[a, b]" in plan
    )
    assert query.to_pydict() == {"s": [9]}
    nulls = ctx.sql("SELECT a FROM t WHERE c IS NULL")
    assert "filter_expr=is_null(c, {nan_is_null=false})" in nulls.execution_plan().display_indent()
    assert nulls.to_pydict() == {"a": [2]}
    # IN lists, negation and a filter pyarrow cannot take (arithmetic stays in DataFusion)
    assert ctx.sql("SELECT a FROM t WHERE a IN (1, 3) ORDER BY a").to_pydict() == {"a": [1, 3]}
    assert ctx.sql("SELECT a FROM t WHERE NOT a = 1 ORDER BY a").to_pydict() == {"a": [2, 3]}
    assert ctx.sql("SELECT a FROM t WHERE a + b = 7").to_pydict() == {"a": [2]}
    assert ctx.sql("SELECT count(*) AS n FROM t").to_pydict() == {"n": [3]}
    assert ctx.read_table(dataset).count() == 3


def test_dataset_filter_skips_fragments_by_partition(ctx: SessionContext, tmp_path: Path) -> None:
    kind = pa.timestamp("ns", "+00:00")
    y2000 = pa.scalar(dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), kind)
    filesystem = pafs.SubTreeFileSystem(str(tmp_path), pafs.LocalFileSystem())
    fmt = ds.ParquetFileFormat()
    # a fragment whose file does not exist: only skipping it by its partition lets the query run
    fragment = fmt.make_fragment(
        "missing.parquet", filesystem=filesystem, partition_expression=ds.field("a") <= y2000
    )
    dataset = ds.FileSystemDataset([fragment], pa.schema([("a", kind)]), fmt, filesystem)
    ctx.register_dataset("t", dataset)
    assert ctx.sql("SELECT * FROM t WHERE a > '2024-01-01T00:00:00+00:00'").collect() == []


def test_table_from_the_compiled_dataframe(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1, 2]})
    table = Table(df._inner)
    assert table.kind == "view"
    ctx.register_table("v", table)
    assert ctx.table("v").to_pydict() == {"a": [1, 2]}
    assert ctx.ctx is ctx._inner
