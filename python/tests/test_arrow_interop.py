"""The Arrow PyCapsule interface in both directions, with pyarrow, polars, DuckDB and nanoarrow."""

from __future__ import annotations

import ctypes
import datetime as dt
import decimal

import duckdb
import nanoarrow as na
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from fuseplug import DataFrame, SessionContext, col, lit


@pytest.fixture
def table() -> pa.Table:
    return pa.table({"a": [1, 2, 3], "b": ["x", "y", None]})


class StreamOnly:
    """Exposes nothing but ``__arrow_c_stream__``."""

    def __init__(self, data: pa.Table) -> None:
        self._data = data

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        return self._data.__arrow_c_stream__(requested_schema)


class ArrayOnly:
    """Exposes nothing but ``__arrow_c_array__`` (a struct array, as the protocol asks)."""

    def __init__(self, data: pa.RecordBatch) -> None:
        self._data = data

    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[object, object]:
        return self._data.__arrow_c_array__(requested_schema)


def rows(df: DataFrame) -> dict[str, list[object]]:
    return df.sort(col("a").sort()).to_pydict()


EXPECTED = {"a": [1, 2, 3], "b": ["x", "y", None]}


# Into fuseplug


def test_from_arrow_pyarrow_table(ctx: SessionContext, table: pa.Table) -> None:
    assert rows(ctx.from_arrow(table)) == EXPECTED


def test_from_arrow_record_batch(ctx: SessionContext, table: pa.Table) -> None:
    assert rows(ctx.from_arrow(table.to_batches()[0])) == EXPECTED


def test_from_arrow_record_batch_reader(ctx: SessionContext) -> None:
    batches = [pa.record_batch({"a": [i], "b": [str(i)]}) for i in range(5)]
    reader = pa.RecordBatchReader.from_batches(batches[0].schema, batches)
    df = ctx.from_arrow(reader)
    assert rows(df) == {"a": [0, 1, 2, 3, 4], "b": ["0", "1", "2", "3", "4"]}


def test_from_arrow_chunked_table(ctx: SessionContext) -> None:
    chunks = pa.concat_tables(
        [pa.table({"a": list(range(i * 100, i * 100 + 100))}) for i in range(7)]
    )
    assert chunks.column("a").num_chunks == 7
    df = ctx.from_arrow(chunks)
    assert df.count() == 700
    assert df.aggregate([], [col("a").alias("a")]).schema().names == ["a"]


def test_from_arrow_polars(ctx: SessionContext) -> None:
    frame = pl.DataFrame({"a": [3, 1, 2], "b": [None, "x", "y"]})
    assert rows(ctx.from_arrow(frame)) == EXPECTED


def test_from_arrow_duckdb_relation(ctx: SessionContext) -> None:
    con = duckdb.connect()
    try:
        rel = con.sql("SELECT * FROM (VALUES (1, 'x'), (2, 'y'), (3, NULL)) AS v(a, b)")
        df = ctx.from_arrow(rel)
        assert rows(df) == EXPECTED
    finally:
        con.close()


def test_from_arrow_nanoarrow_stream(ctx: SessionContext, table: pa.Table) -> None:
    stream = na.c_array_stream(table)
    assert rows(ctx.from_arrow(stream)) == EXPECTED


def test_from_arrow_object_with_only_stream(ctx: SessionContext, table: pa.Table) -> None:
    assert rows(ctx.from_arrow(StreamOnly(table))) == EXPECTED


def test_from_arrow_object_with_only_array(ctx: SessionContext, table: pa.Table) -> None:
    df = ctx.from_arrow(ArrayOnly(table.to_batches()[0]))
    assert rows(df) == EXPECTED


def test_from_arrow_struct_array(ctx: SessionContext, table: pa.Table) -> None:
    struct = pa.StructArray.from_arrays(
        [table.column("a").combine_chunks(), table.column("b").combine_chunks()], names=["a", "b"]
    )
    assert rows(ctx.from_arrow(struct)) == EXPECTED


def test_from_arrow_with_name(ctx: SessionContext, table: pa.Table) -> None:
    ctx.from_arrow(table, name="arrow_t")
    assert ctx.sql("SELECT max(a) AS m FROM arrow_t").to_pydict() == {"m": [3]}


def test_register_table_with_arrow_object(ctx: SessionContext, table: pa.Table) -> None:
    ctx.register_table("from_pl", pl.DataFrame(table))
    assert ctx.sql("SELECT count(*) AS n FROM from_pl").to_pydict() == {"n": [3]}


def test_rich_types_round_trip(ctx: SessionContext) -> None:
    source = pa.table(
        {
            "i8": pa.array([1, None], pa.int8()),
            "u32": pa.array([4_000_000_000, 0], pa.uint32()),
            "f32": pa.array([1.5, None], pa.float32()),
            "dec": pa.array(
                [decimal.Decimal("1.23"), decimal.Decimal("-4.56")], pa.decimal128(10, 2)
            ),
            "bin": pa.array([b"\x00\x01", None], pa.binary()),
            "d": pa.array([dt.date(2024, 1, 1), None], pa.date32()),
            "ts": pa.array(
                [dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc), None],
                pa.timestamp("us", tz="UTC"),
            ),
            "lst": pa.array([[1, 2], None], pa.list_(pa.int32())),
            "st": pa.array(
                [{"p": 1, "q": "r"}, None], pa.struct([("p", pa.int64()), ("q", pa.string())])
            ),
            "big": pa.array(["large", None], pa.large_string()),
            "dict": pa.array(["a", "b"]).dictionary_encode(),
        }
    )
    back = ctx.from_arrow(source).to_arrow_table()
    assert back.schema == source.schema
    assert back.equals(source)


# Out of fuseplug


@pytest.fixture
def df(ctx: SessionContext) -> DataFrame:
    return ctx.sql(
        "SELECT value AS a, CASE WHEN value % 2 = 0 THEN 'even' ELSE 'odd' END AS parity "
        "FROM range(1000)"
    )


def capsule_is_named(capsule: object, name: bytes) -> bool:
    is_valid = ctypes.pythonapi.PyCapsule_IsValid
    is_valid.restype = ctypes.c_int
    is_valid.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return is_valid(capsule, name) == 1


def test_arrow_c_stream_returns_a_readable_stream_capsule(df: DataFrame) -> None:
    capsule = df.__arrow_c_stream__()
    assert capsule_is_named(capsule, b"arrow_array_stream")
    reader = pa.RecordBatchReader._import_from_c_capsule(capsule)
    assert reader.schema.names == ["a", "parity"]
    assert reader.schema.types == [pa.int64(), pa.utf8()]
    table = reader.read_all()
    assert sorted(table.column("a").to_pylist()) == list(range(1000))
    # a requested schema is honoured, as in the official bindings: its fields, in its order
    requested = pa.schema([("parity", pa.utf8()), ("a", pa.int64())])
    other = df.__arrow_c_stream__(requested.__arrow_c_schema__())
    assert pa.RecordBatchReader._import_from_c_capsule(other).schema == requested


def test_pa_table_of_dataframe(df: DataFrame) -> None:
    table = pa.table(df)
    assert table.num_rows == 1000
    assert table.column_names == ["a", "parity"]
    assert sorted(table.column("a").to_pylist()) == list(range(1000))


def test_pa_record_batch_reader_from_dataframe(df: DataFrame) -> None:
    reader = pa.RecordBatchReader.from_stream(df.filter(col("a") < lit(10)))
    assert reader.schema.names == ["a", "parity"]
    assert sorted(reader.read_all().column("a").to_pylist()) == list(range(10))


def test_polars_from_dataframe(df: DataFrame) -> None:
    frame = pl.DataFrame(df)
    assert frame.shape == (1000, 2)
    assert frame.filter(pl.col("parity") == "even").height == 500


def test_duckdb_reads_dataframe(df: DataFrame) -> None:
    con = duckdb.connect()
    try:
        con.register("fp", pa.table(df))
        assert con.sql("SELECT count(*) FROM fp WHERE parity = 'odd'").fetchall() == [(500,)]
        rel = con.from_arrow(df)
        assert rel.aggregate("sum(a)").fetchall() == [(sum(range(1000)),)]
    finally:
        con.close()


def test_nanoarrow_reads_dataframe(df: DataFrame) -> None:
    array = na.ArrayStream(df.filter(col("a") < lit(3))).read_all()
    got = sorted(array.to_pylist(), key=lambda r: r["a"])
    assert got == [
        {"a": 0, "parity": "even"},
        {"a": 1, "parity": "odd"},
        {"a": 2, "parity": "even"},
    ]


def test_pandas_through_arrow(df: DataFrame) -> None:
    frame = pa.table(df).to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert frame["a"].sum() == sum(range(1000))


def test_export_twice_reruns_query(ctx: SessionContext) -> None:
    # Each export runs the plan again: rows inserted between two reads show up in the second one.
    ctx.sql("CREATE TABLE grows (a BIGINT)").collect()
    ctx.sql("INSERT INTO grows VALUES (1), (2)").collect()
    df = ctx.sql("SELECT a FROM grows")
    assert sorted(pa.table(df).column("a").to_pylist()) == [1, 2]
    ctx.sql("INSERT INTO grows VALUES (3)").collect()
    assert sorted(pa.table(df).column("a").to_pylist()) == [1, 2, 3]
    assert sorted(pl.DataFrame(df)["a"].to_list()) == [1, 2, 3]


def test_round_trip_through_polars(ctx: SessionContext, df: DataFrame) -> None:
    frame = pl.DataFrame(df).with_columns((pl.col("a") * 2).alias("doubled"))
    back = ctx.from_arrow(frame)
    out = back.filter(col("a") == lit(21)).select("doubled").to_pydict()
    assert out == {"doubled": [42]}


# Malformed producers and lifetimes: run in a child so that a crash fails one test only.


def test_wrongly_named_capsule_is_refused(run_python) -> None:
    result = run_python(
        """
        import pyarrow as pa
        import fuseplug

        class Liar:
            def __arrow_c_stream__(self, requested_schema=None):
                # A schema capsule where a stream capsule belongs.
                return pa.schema([("a", pa.int64())]).__arrow_c_schema__()

        try:
            fuseplug.SessionContext().from_arrow(Liar())
        except (TypeError, ValueError) as e:
            print("refused", type(e).__name__)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused" in result.stdout


def test_producer_exception_propagates(run_python) -> None:
    result = run_python(
        """
        import fuseplug

        class Broken(Exception):
            pass

        class Failing:
            def __arrow_c_stream__(self, requested_schema=None):
                raise Broken("producer failed")

        try:
            fuseplug.SessionContext().from_arrow(Failing())
        except Broken as e:
            print("propagated", e)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "propagated producer failed" in result.stdout


def test_non_struct_array_is_refused(run_python) -> None:
    result = run_python(
        """
        import pyarrow as pa
        import fuseplug

        class Ints:
            def __arrow_c_array__(self, requested_schema=None):
                return pa.array([1, 2, 3]).__arrow_c_array__(requested_schema)

        try:
            fuseplug.SessionContext().from_arrow(Ints())
            print("accepted")
        except (TypeError, ValueError) as e:
            print("refused", type(e).__name__)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused" in result.stdout


def test_stream_outlives_context_and_dataframe(run_python) -> None:
    result = run_python(
        """
        import gc
        import fuseplug

        ctx = fuseplug.SessionContext()
        stream = ctx.sql("SELECT value FROM range(100000)").execute_stream()
        del ctx
        gc.collect()
        total = 0
        for batch in stream:
            arrow = batch.to_pyarrow() if hasattr(batch, "to_pyarrow") else batch
            total += sum(arrow.column(0).to_pylist())
        print("total", total)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"total {sum(range(100000))}" in result.stdout


def test_exported_capsule_is_single_use(run_python) -> None:
    # The Arrow C stream interface moves the stream out of the capsule on import and marks the struct
    # released; importing the same capsule again is refused, never a second read or a crash.
    result = run_python(
        """
        import pyarrow as pa
        import fuseplug

        df = fuseplug.SessionContext().sql("SELECT 1 AS a")
        capsule = df.__arrow_c_stream__()
        first = pa.RecordBatchReader._import_from_c_capsule(capsule).read_all()
        print("first", first.num_rows)
        try:
            pa.RecordBatchReader._import_from_c_capsule(capsule).read_all()
            print("second read worked")
        except pa.ArrowInvalid as e:
            print("second refused:", e)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == [
        "first 1",
        "second refused: Cannot import released Arrow Stream",
    ]
