"""Tables over objects that export ``__arrow_c_stream__`` (no datafusion-ffi involved): read again on
every scan, and a one-shot reader that refuses a second scan clearly."""

from __future__ import annotations

import duckdb
import polars as pl
import pyarrow as pa
import pytest

from fuseplug import SessionContext, col, lit
from fuseplug.exceptions import ExecutionError


class CountingProducer:
    """An Arrow stream producer that serves its current table and counts how often it is asked."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.calls = 0

    def __arrow_c_stream__(self, requested_schema: object = None) -> object:
        self.calls += 1
        return self.table.__arrow_c_stream__(requested_schema)


def test_duckdb_relation_is_read_again_on_every_scan(ctx: SessionContext) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS x FROM range(5)")
    ctx.register_table("dk", con.table("t"))
    assert ctx.sql("SELECT sum(x) AS s FROM dk").to_pydict() == {"s": [10]}
    con.execute("INSERT INTO t VALUES (100)")
    assert ctx.sql("SELECT sum(x) AS s FROM dk").to_pydict() == {"s": [110]}


def test_polars_frame_and_pyarrow_table_scan_repeatedly(ctx: SessionContext) -> None:
    ctx.register_table("p", pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "x"]}))
    ctx.register_table("t", pa.table({"a": [10, 20], "c": [True, False]}))
    for _ in range(3):
        assert ctx.sql("SELECT b, sum(a) AS s FROM p GROUP BY b ORDER BY b").to_pydict() == {
            "b": ["x", "y"],
            "s": [4, 2],
        }
    joined = ctx.sql("SELECT p.a, t.c FROM p JOIN t ON t.a = p.a * 10 ORDER BY p.a").to_pydict()
    assert joined == {"a": [1, 2], "c": [True, False]}


def test_each_scan_after_the_first_asks_for_a_fresh_stream(ctx: SessionContext) -> None:
    producer = CountingProducer(pa.table({"v": [1, 2, 3]}))
    ctx.register_table("c", producer)
    assert producer.calls == 1  # registration takes the stream that gives the schema
    assert ctx.sql("SELECT sum(v) AS s FROM c").to_pydict() == {"s": [6]}
    assert producer.calls == 1  # ... and the first scan reads it
    producer.table = pa.table({"v": [10, 20]})
    assert ctx.sql("SELECT sum(v) AS s FROM c").to_pydict() == {"s": [30]}
    assert ctx.table("c").filter(col("v") > lit(15)).to_pydict() == {"v": [20]}
    assert producer.calls == 3


def test_one_shot_reader_refuses_a_second_scan(ctx: SessionContext) -> None:
    schema = pa.schema([("v", pa.int64())])
    batches = [pa.record_batch({"v": [1, 2]}), pa.record_batch({"v": [3]})]
    ctx.register_table("r", pa.RecordBatchReader.from_batches(schema, batches))
    assert ctx.sql("SELECT sum(v) AS s FROM r").to_pydict() == {"s": [6]}
    with pytest.raises(ExecutionError, match="one-shot Arrow stream"):
        ctx.sql("SELECT sum(v) AS s FROM r").collect()
    assert ctx.sql("SELECT 1 AS ok").to_pydict() == {"ok": [1]}


def test_producer_whose_schema_changes_is_an_error(ctx: SessionContext) -> None:
    producer = CountingProducer(pa.table({"v": [1]}))
    ctx.register_table("c", producer)
    ctx.sql("SELECT * FROM c").collect()
    producer.table = pa.table({"w": ["changed"]})
    with pytest.raises(ExecutionError, match="now produces schema"):
        ctx.sql("SELECT * FROM c").collect()


def test_producer_that_raises_reaches_the_caller(ctx: SessionContext) -> None:
    class Boom(Exception):
        pass

    producer = CountingProducer(pa.table({"v": [1]}))
    ctx.register_table("c", producer)
    ctx.sql("SELECT * FROM c").collect()

    def fail(requested_schema: object = None) -> object:
        raise Boom("producer failed")

    producer.__arrow_c_stream__ = fail  # type: ignore[method-assign]
    with pytest.raises(Boom, match="producer failed"):
        ctx.sql("SELECT * FROM c").collect()


def test_large_stream_arrives_whole(ctx: SessionContext) -> None:
    n = 200_000
    table = pa.table({"i": pa.array(range(n), pa.int64())})
    ctx.register_table(
        "big", pa.RecordBatchReader.from_batches(table.schema, table.to_batches(5000))
    )
    assert ctx.sql("SELECT count(*) AS n, sum(i) AS s FROM big").to_pydict() == {
        "n": [n],
        "s": [n * (n - 1) // 2],
    }
