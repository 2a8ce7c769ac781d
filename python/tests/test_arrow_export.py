"""Arrow export of data already in memory (``crates/fuseplug/src/stored.rs``): a DataFrame whose
plan only reads an in-memory table, keeping or renaming whole columns, hands out the stored
batches themselves through ``to_arrow_table``, ``collect`` and ``__arrow_c_stream__``: as many
chunks as went in, the same buffers. Anything else (filters, limits, computed columns, joins) is
executed and must still give the right rows."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from fuseplug import DataFrame, SessionContext, col, lit

ROWS = 50_000  # more than one batch_size (8192), so executing would re-chunk it


@pytest.fixture
def table() -> pa.Table:
    return pa.table(
        {"id": pa.array(range(ROWS), pa.int64()), "x": pa.array([i * 0.5 for i in range(ROWS)])}
    )


def value_address(column: pa.ChunkedArray | pa.Array, chunk: int = 0) -> int:
    array = column.chunk(chunk) if isinstance(column, pa.ChunkedArray) else column
    return array.buffers()[1].address  # type: ignore[no-any-return]


def via_stream(df: DataFrame) -> pa.Table:
    return pa.RecordBatchReader.from_stream(df).read_all()


EXPORTS = {
    "to_arrow_table": lambda df: df.to_arrow_table(),
    "__arrow_c_stream__": via_stream,
    "collect": lambda df: pa.Table.from_batches(df.collect(), schema=df.schema()),
}


@pytest.mark.parametrize("export", EXPORTS)
def test_in_memory_table_comes_back_as_it_went_in(
    ctx: SessionContext, table: pa.Table, export: str
) -> None:
    out = EXPORTS[export](ctx.from_arrow(table))
    assert out.equals(table)
    assert out.column(0).num_chunks == 1
    # Zero copy: the very buffers pyarrow handed over.
    assert value_address(out.column("id")) == value_address(table.column("id"))
    assert value_address(out.column("x")) == value_address(table.column("x"))


@pytest.mark.parametrize("export", EXPORTS)
def test_chunks_are_kept_as_they_are(ctx: SessionContext, export: str) -> None:
    sizes = [3, 20_000, 1, 9_000]
    batches = [pa.record_batch({"a": pa.array(range(n), pa.int64())}) for n in sizes]
    ctx.register_record_batches("t", [batches[:2], batches[2:]])
    out = EXPORTS[export](ctx.table("t"))
    assert [len(c) for c in out.column("a").chunks] == sizes
    for i, batch in enumerate(batches):
        assert value_address(out.column("a"), i) == value_address(batch.column(0))


def test_named_and_unnamed_tables_and_sql_scans(ctx: SessionContext, table: pa.Table) -> None:
    ctx.from_arrow(table, name="t")
    for df in (ctx.table("t"), ctx.sql("SELECT * FROM t"), ctx.sql("SELECT id, x FROM t AS u")):
        out = df.to_arrow_table()
        assert out.equals(table)
        assert out.column(0).num_chunks == 1


def test_projection_and_rename_keep_the_buffers(ctx: SessionContext, table: pa.Table) -> None:
    df = ctx.from_arrow(table)
    picked = df.select("x", "id").to_arrow_table()
    assert picked.column_names == ["x", "id"]
    assert picked.equals(table.select(["x", "id"]))
    assert value_address(picked.column("x")) == value_address(table.column("x"))

    renamed = df.with_column_renamed("x", "half").to_arrow_table()
    assert renamed.column_names == ["id", "half"]
    assert renamed.column("half").equals(table.column("x"))
    assert value_address(renamed.column("half")) == value_address(table.column("x"))

    aliased = df.select(col("id").alias("key")).to_arrow_table()
    assert aliased.column_names == ["key"]
    assert aliased.column(0).num_chunks == 1


def test_cached_result_comes_back_as_stored(ctx: SessionContext, table: pa.Table) -> None:
    cached = ctx.from_arrow(table).filter(col("id") % lit(2) == lit(0)).cache()
    first = cached.collect()
    out = cached.to_arrow_table()
    assert out.num_rows == ROWS // 2
    assert out.column(0).num_chunks == len(first)
    assert value_address(out.column("id")) == value_address(first[0].column(0))


def test_plans_that_compute_still_run(ctx: SessionContext, table: pa.Table) -> None:
    df = ctx.from_arrow(table)
    filtered = df.filter(col("id") >= lit(ROWS - 10)).to_arrow_table()
    assert filtered.column("id").to_pylist() == list(range(ROWS - 10, ROWS))

    limited = df.limit(5, offset=3).to_arrow_table()
    assert limited.column("id").to_pylist() == [3, 4, 5, 6, 7]

    computed = via_stream(df.select((col("id") * lit(2)).alias("twice")))
    assert computed.num_rows == ROWS
    assert pc.sum(computed.column("twice")).as_py() == 2 * sum(range(ROWS))

    joined = df.join(df.select(col("id").alias("k")), left_on="id", right_on="k")
    assert joined.count() == ROWS
    assert sorted(joined.to_arrow_table().column("id").to_pylist()) == list(range(ROWS))


def test_an_insert_is_seen_by_the_next_export(ctx: SessionContext) -> None:
    ctx.from_arrow(pa.table({"a": pa.array([1, 2], pa.int64())}), name="t")
    df = ctx.table("t")
    ctx.sql("INSERT INTO t VALUES (3)").collect()
    assert sorted(df.to_arrow_table().column("a").to_pylist()) == [1, 2, 3]
    assert sorted(via_stream(df).column("a").to_pylist()) == [1, 2, 3]


def test_empty_table_keeps_its_schema(ctx: SessionContext) -> None:
    schema = pa.schema([("a", pa.int64()), ("b", pa.string())])
    df = ctx.from_arrow(schema.empty_table())
    for export in EXPORTS.values():
        out = export(df)
        assert out.num_rows == 0
        assert out.schema.equals(schema)


def test_stream_capsule_is_single_use_and_independent(ctx: SessionContext, table: pa.Table) -> None:
    df = ctx.from_arrow(table)
    first = via_stream(df)
    second = via_stream(df)  # a new capsule each time, the same data
    assert first.equals(second)
    del first
    assert second.equals(table)
