"""DataFrame: transformations, set operations, joins, output, display, writing and plans."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fuseplug import DataFrame, SessionConfig, SessionContext, col, lit, udf
from fuseplug import functions as f


@pytest.fixture
def df(ctx: SessionContext) -> DataFrame:
    return ctx.from_pydict(
        {
            "a": [1, 2, 3, 4],
            "b": [10.0, 20.0, None, 40.0],
            "c": ["x", "y", "z", None],
            "g": ["p", "q", "p", "q"],
        }
    )


@pytest.fixture
def left(ctx: SessionContext) -> DataFrame:
    return ctx.from_pydict({"k": [1, 2, 3], "lv": ["one", "two", "three"]})


@pytest.fixture
def right(ctx: SessionContext) -> DataFrame:
    return ctx.from_pydict({"k": [2, 3, 4], "rv": ["deux", "trois", "quatre"]})


def by(df: DataFrame, *keys: str) -> dict[str, list[object]]:
    """Results sorted by ``keys`` (nulls last), as a dict of columns."""
    return df.sort(*[col(k).sort(ascending=True, nulls_first=False) for k in keys]).to_pydict()


def as_arrow_batch(batch: object) -> pa.RecordBatch:
    """A streamed batch as pyarrow (official bindings wrap it and offer ``to_pyarrow``)."""
    arrow = batch.to_pyarrow() if hasattr(batch, "to_pyarrow") else batch
    assert isinstance(arrow, pa.RecordBatch)
    return arrow


# Projection and filtering


def test_select_by_names(df: DataFrame) -> None:
    assert df.select("c", "a").to_pydict() == {"c": ["x", "y", "z", None], "a": [1, 2, 3, 4]}


def test_select_by_exprs(df: DataFrame) -> None:
    out = df.select((col("a") * lit(2)).alias("twice"), col("c")).to_pydict()
    assert out == {"twice": [2, 4, 6, 8], "c": ["x", "y", "z", None]}


def test_select_mixed_names_and_exprs(df: DataFrame) -> None:
    out = df.select("a", (col("a") + lit(1)).alias("next")).to_pydict()
    assert out == {"a": [1, 2, 3, 4], "next": [2, 3, 4, 5]}


def test_select_columns(df: DataFrame) -> None:
    out = df.select_columns("g", "a")
    assert out.schema().names == ["g", "a"]
    assert out.to_pydict() == {"g": ["p", "q", "p", "q"], "a": [1, 2, 3, 4]}


def test_getitem_selects_columns(df: DataFrame) -> None:
    assert df["a"].to_pydict() == {"a": [1, 2, 3, 4]}
    assert df[["c", "a"]].schema().names == ["c", "a"]


def test_filter(df: DataFrame) -> None:
    out = df.filter(col("a") > lit(1), col("g") == lit("q")).to_pydict()
    assert out["a"] == [2, 4]


def test_filter_chain_with_or(df: DataFrame) -> None:
    out = df.filter((col("a") == lit(1)) | (col("c").is_null())).to_pydict()
    assert out["a"] == [1, 4]


def test_with_column(df: DataFrame) -> None:
    out = df.with_column("a_plus_b", col("a") + col("b"))
    assert out.schema().names == ["a", "b", "c", "g", "a_plus_b"]
    assert out.to_pydict()["a_plus_b"] == [11.0, 22.0, None, 44.0]


def test_with_column_replaces_existing(df: DataFrame) -> None:
    out = df.with_column("a", col("a") * lit(100)).to_pydict()
    assert out["a"] == [100, 200, 300, 400]
    assert list(out) == ["a", "b", "c", "g"]


def test_with_columns_positional_and_named(df: DataFrame) -> None:
    out = df.with_columns(
        (col("a") * lit(2)).alias("d"),
        [(col("a") * lit(3)).alias("e")],
        f_col=col("a") - lit(1),
    )
    data = out.to_pydict()
    assert data["d"] == [2, 4, 6, 8]
    assert data["e"] == [3, 6, 9, 12]
    assert data["f_col"] == [0, 1, 2, 3]


def test_with_column_renamed(df: DataFrame) -> None:
    out = df.with_column_renamed("a", "alpha")
    assert out.schema().names == ["alpha", "b", "c", "g"]
    assert out.select("alpha").to_pydict() == {"alpha": [1, 2, 3, 4]}


def test_drop(df: DataFrame) -> None:
    assert df.drop("b", "c").schema().names == ["a", "g"]


# Aggregation, sorting, limits


def test_aggregate_group_by(df: DataFrame) -> None:
    out = df.aggregate(
        [col("g")],
        [
            f.sum(col("a")).alias("total"),
            f.count(col("b")).alias("n_b"),
            f.max(col("c")).alias("max_c"),
        ],
    )
    assert by(out, "g") == {"g": ["p", "q"], "total": [4, 6], "n_b": [1, 2], "max_c": ["z", "y"]}


def test_aggregate_without_group(df: DataFrame) -> None:
    out = df.aggregate([], [f.avg(col("b")).alias("mean"), f.count(lit(1)).alias("rows")])
    assert out.to_pydict() == {"mean": [70.0 / 3], "rows": [4]}


def test_aggregate_group_by_name_string(df: DataFrame) -> None:
    out = df.aggregate("g", [f.min(col("a")).alias("lo")])
    assert by(out, "g") == {"g": ["p", "q"], "lo": [1, 2]}


def test_sort_descending_and_nulls(df: DataFrame) -> None:
    out = df.sort(col("b").sort(ascending=False, nulls_first=True)).select("b").to_pydict()
    assert out == {"b": [None, 40.0, 20.0, 10.0]}
    out = df.sort(col("b").sort(ascending=True, nulls_first=False)).select("b").to_pydict()
    assert out == {"b": [10.0, 20.0, 40.0, None]}


def test_sort_by_several_keys(df: DataFrame) -> None:
    out = df.sort(col("g").sort(), col("a").sort(ascending=False)).select("g", "a").to_pydict()
    assert out == {"g": ["p", "p", "q", "q"], "a": [3, 1, 4, 2]}


def test_sort_accepts_column_names(df: DataFrame) -> None:
    assert df.sort("c").select("c").to_pydict() == {"c": ["x", "y", "z", None]}
    assert df.sort("g", "a").select("a").to_pydict() == {"a": [1, 3, 2, 4]}


def test_limit_and_offset(ctx: SessionContext) -> None:
    df = ctx.sql("SELECT value AS v FROM range(10)").sort(col("v").sort())
    assert df.limit(3).to_pydict() == {"v": [0, 1, 2]}
    assert df.limit(3, offset=4).to_pydict() == {"v": [4, 5, 6]}
    assert df.limit(100, offset=8).to_pydict() == {"v": [8, 9]}


def test_head_and_tail(ctx: SessionContext) -> None:
    df = ctx.sql("SELECT value AS v FROM range(10)").sort(col("v").sort())
    assert df.head(2).to_pydict() == {"v": [0, 1]}
    assert df.head().count() == 5
    assert df.tail(3).to_pydict() == {"v": [7, 8, 9]}


def test_distinct(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [1, 1, 2, 2, 3], "y": ["a", "a", "b", "c", "c"]})
    assert by(df.distinct(), "x", "y") == {"x": [1, 2, 2, 3], "y": ["a", "b", "c", "c"]}


def test_count(df: DataFrame) -> None:
    assert df.count() == 4
    assert df.filter(col("a") > lit(10)).count() == 0


def test_cast(df: DataFrame) -> None:
    out = df.cast({"a": pa.float64(), "b": pa.int32()})
    schema = out.schema()
    assert schema.field("a").type == pa.float64()
    assert schema.field("b").type == pa.int32()
    assert out.to_pydict()["a"] == [1.0, 2.0, 3.0, 4.0]
    assert out.to_pydict()["b"] == [10, 20, None, 40]


def test_fill_null_all_columns(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [1, None, 3], "y": [None, 5, 6]})
    assert df.fill_null(0).to_pydict() == {"x": [1, 0, 3], "y": [0, 5, 6]}


def test_fill_null_subset(df: DataFrame) -> None:
    out = df.fill_null("missing", subset=["c"]).to_pydict()
    assert out["c"] == ["x", "y", "z", "missing"]
    assert out["b"] == [10.0, 20.0, None, 40.0]


def test_unnest_columns(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"id": [1, 2], "items": [[10, 20], [30]]})
    assert by(df.unnest_columns("items"), "items") == {"id": [1, 1, 2], "items": [10, 20, 30]}


def test_unnest_columns_preserve_nulls(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"id": [1, 2], "items": [[10], None]})
    kept = by(df.unnest_columns("items", preserve_nulls=True), "id")
    assert kept == {"id": [1, 2], "items": [10, None]}
    dropped = df.unnest_columns("items", preserve_nulls=False).to_pydict()
    assert dropped == {"id": [1], "items": [10]}


# Set operations


def test_union(ctx: SessionContext) -> None:
    a = ctx.from_pydict({"x": [1, 2]})
    b = ctx.from_pydict({"x": [2, 3]})
    assert by(a.union(b), "x") == {"x": [1, 2, 2, 3]}
    assert by(a.union(b, distinct=True), "x") == {"x": [1, 2, 3]}


def test_union_distinct(ctx: SessionContext) -> None:
    a = ctx.from_pydict({"x": [1, 2, 2]})
    b = ctx.from_pydict({"x": [2, 3]})
    assert by(a.union_distinct(b), "x") == {"x": [1, 2, 3]}


def test_intersect(ctx: SessionContext) -> None:
    a = ctx.from_pydict({"x": [1, 2, 3]})
    b = ctx.from_pydict({"x": [2, 3, 4]})
    assert by(a.intersect(b), "x") == {"x": [2, 3]}
    dup = ctx.from_pydict({"x": [2, 2, 5]})
    assert by(dup.intersect(b, distinct=True), "x") == {"x": [2]}


def test_except_all(ctx: SessionContext) -> None:
    a = ctx.from_pydict({"x": [1, 2, 3]})
    b = ctx.from_pydict({"x": [2]})
    assert by(a.except_all(b), "x") == {"x": [1, 3]}


def test_union_by_name(ctx: SessionContext) -> None:
    a = ctx.from_pydict({"x": [1], "y": ["a"]})
    b = ctx.from_pydict({"y": ["b"], "x": [2]})
    assert by(a.union_by_name(b), "x") == {"x": [1, 2], "y": ["a", "b"]}


def test_describe(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1, 2, 3], "b": ["x", "y", None]})
    out = df.describe().to_pydict()
    stats = dict(zip(out["describe"], out["a"], strict=True))
    assert stats["count"] == 3
    assert stats["null_count"] == 0
    assert stats["mean"] == 2.0
    assert stats["min"] == 1
    assert stats["max"] == 3
    b_stats = dict(zip(out["describe"], out["b"], strict=True))
    assert b_stats["count"] == "2"
    assert b_stats["null_count"] == "1"


def test_into_view_registers_as_table(ctx: SessionContext, df: DataFrame) -> None:
    ctx.register_table("as_view", df.filter(col("a") > lit(2)).into_view())
    assert ctx.sql("SELECT a FROM as_view ORDER BY a").to_pydict() == {"a": [3, 4]}


# Joins


def test_join_inner_on_column(left: DataFrame, right: DataFrame) -> None:
    out = by(left.join(right, on="k", how="inner"), "k")
    assert out == {"k": [2, 3], "lv": ["two", "three"], "rv": ["deux", "trois"]}


def test_join_default_is_inner(left: DataFrame, right: DataFrame) -> None:
    assert left.join(right, on="k").count() == 2


def test_join_left(left: DataFrame, right: DataFrame) -> None:
    out = by(left.join(right, on="k", how="left"), "k")
    assert out == {"k": [1, 2, 3], "lv": ["one", "two", "three"], "rv": [None, "deux", "trois"]}


def test_join_right(left: DataFrame, right: DataFrame) -> None:
    out = by(left.join(right, on="k", how="right").select("rv", "lv"), "rv")
    assert out == {"rv": ["deux", "quatre", "trois"], "lv": ["two", None, "three"]}


def test_join_full(left: DataFrame, right: DataFrame) -> None:
    out = by(left.join(right, on="k", how="full").select("lv", "rv"), "lv", "rv")
    assert out == {
        "lv": ["one", "three", "two", None],
        "rv": [None, "trois", "deux", "quatre"],
    }


def test_join_semi(left: DataFrame, right: DataFrame) -> None:
    out = left.join(right, on="k", how="semi")
    assert out.schema().names == ["k", "lv"]
    assert by(out, "k") == {"k": [2, 3], "lv": ["two", "three"]}


def test_join_anti(left: DataFrame, right: DataFrame) -> None:
    out = left.join(right, on="k", how="anti")
    assert out.to_pydict() == {"k": [1], "lv": ["one"]}


def test_join_left_on_right_on(ctx: SessionContext, left: DataFrame) -> None:
    other = ctx.from_pydict({"rk": [1, 3], "w": [0.1, 0.3]})
    out = by(left.join(other, left_on="k", right_on="rk"), "k")
    assert out == {"k": [1, 3], "lv": ["one", "three"], "rk": [1, 3], "w": [0.1, 0.3]}


def test_join_on_several_columns(ctx: SessionContext) -> None:
    a = ctx.from_pydict({"x": [1, 1, 2], "y": ["a", "b", "a"], "va": [1, 2, 3]})
    b = ctx.from_pydict({"x": [1, 2], "y": ["b", "a"], "vb": [20, 30]})
    out = by(a.join(b, on=["x", "y"]), "va")
    assert out["va"] == [2, 3]
    assert out["vb"] == [20, 30]


def test_join_with_unknown_how_is_value_error(left: DataFrame, right: DataFrame) -> None:
    with pytest.raises(ValueError, match="sideways"):
        left.join(right, on="k", how="sideways")  # type: ignore[arg-type]


def test_join_needs_keys(left: DataFrame, right: DataFrame) -> None:
    with pytest.raises(ValueError, match="on"):
        left.join(right)


def test_join_on_expression(ctx: SessionContext) -> None:
    a = ctx.from_pydict({"a": [1, 2, 3], "x": ["p", "q", "r"]})
    b = ctx.from_pydict({"b": [2, 3, 4], "y": ["P", "Q", "R"]})
    out = by(a.join_on(b, col("a") == col("b"), how="inner"), "a")
    assert out == {"a": [2, 3], "x": ["q", "r"], "b": [2, 3], "y": ["P", "Q"]}


def test_join_on_inequality(ctx: SessionContext) -> None:
    a = ctx.from_pydict({"a": [1, 5]})
    b = ctx.from_pydict({"b": [2, 3, 6]})
    out = a.join_on(b, col("a") < col("b"), how="inner")
    assert out.count() == 4
    left_only = a.join_on(b, col("a") > col("b"), how="left")
    assert by(left_only, "a", "b") == {"a": [1, 5, 5], "b": [None, 2, 3]}


def test_join_on_several_predicates(ctx: SessionContext) -> None:
    a = ctx.from_pydict({"a": [1, 2, 3], "t": [10, 20, 30]})
    b = ctx.from_pydict({"b": [1, 2, 3], "u": [5, 25, 35]})
    out = a.join_on(b, col("a") == col("b"), col("t") < col("u"), how="inner")
    assert by(out, "a")["a"] == [2, 3]


# Collecting and converting


def test_schema(df: DataFrame) -> None:
    schema = df.schema()
    assert isinstance(schema, pa.Schema)
    assert schema.names == ["a", "b", "c", "g"]
    assert schema.field("a").type == pa.int64()
    assert schema.field("b").type == pa.float64()


def test_collect_returns_record_batches(df: DataFrame) -> None:
    batches = df.collect()
    assert all(isinstance(b, pa.RecordBatch) for b in batches)
    assert pa.Table.from_batches(batches).to_pydict()["a"] == [1, 2, 3, 4]


def test_collect_partitioned(ctx: SessionContext) -> None:
    b1 = pa.record_batch({"x": [1, 2]})
    b2 = pa.record_batch({"x": [3]})
    ctx.register_record_batches("parts", [[b1], [b2]])
    parts = ctx.table("parts").collect_partitioned()
    assert isinstance(parts, list)
    assert len(parts) == 2
    values = sorted(v for part in parts for b in part for v in b.column(0).to_pylist())
    assert values == [1, 2, 3]


def test_cache(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE src (v INT)")
    ctx.sql("INSERT INTO src VALUES (1), (2)").collect()
    cached = ctx.table("src").cache()
    ctx.sql("INSERT INTO src VALUES (3)").collect()
    assert cached.count() == 2
    assert ctx.table("src").count() == 3


def test_to_arrow_table(df: DataFrame) -> None:
    table = df.to_arrow_table()
    assert isinstance(table, pa.Table)
    assert table.num_rows == 4
    assert table.column("c").to_pylist() == ["x", "y", "z", None]


def test_to_pandas(df: DataFrame) -> None:
    frame = df.to_pandas()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["a", "b", "c", "g"]
    assert frame["a"].tolist() == [1, 2, 3, 4]
    assert frame["b"].isna().tolist() == [False, False, True, False]


def test_to_polars(df: DataFrame) -> None:
    frame = df.to_polars()
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns == ["a", "b", "c", "g"]
    assert frame["a"].to_list() == [1, 2, 3, 4]
    assert frame["c"].to_list() == ["x", "y", "z", None]


def test_to_pylist(df: DataFrame) -> None:
    rows = df.select("a", "c").to_pylist()
    assert rows == [
        {"a": 1, "c": "x"},
        {"a": 2, "c": "y"},
        {"a": 3, "c": "z"},
        {"a": 4, "c": None},
    ]


def test_to_pydict(df: DataFrame) -> None:
    assert df.select("g").to_pydict() == {"g": ["p", "q", "p", "q"]}


def test_empty_result_conversions(df: DataFrame) -> None:
    empty = df.filter(col("a") > lit(100))
    assert empty.to_pydict() == {"a": [], "b": [], "c": [], "g": []}
    assert empty.to_pylist() == []
    assert empty.to_arrow_table().schema.names == ["a", "b", "c", "g"]
    assert len(empty.to_pandas()) == 0


def test_execute_stream_sync() -> None:
    small = SessionContext(SessionConfig().with_batch_size(100))
    stream = small.sql("SELECT value FROM range(1000)").execute_stream()
    total = 0
    batches = 0
    for batch in stream:
        rb = as_arrow_batch(batch)
        assert rb.num_rows <= 100
        total += sum(rb.column(0).to_pylist())
        batches += 1
    assert total == sum(range(1000))
    assert batches >= 10


def test_execute_stream_async(ctx: SessionContext) -> None:
    df = ctx.sql("SELECT value FROM range(500)")

    async def consume() -> int:
        total = 0
        async for batch in df.execute_stream():
            total += sum(as_arrow_batch(batch).column(0).to_pylist())
        return total

    assert asyncio.run(consume()) == sum(range(500))


def test_streamed_batches_offer_to_pyarrow_like_official(ctx: SessionContext) -> None:
    # Code written for the official bindings calls batch.to_pyarrow() on streamed batches.
    for batch in ctx.sql("SELECT 1 AS a").execute_stream():
        assert batch.to_pyarrow().to_pydict() == {"a": [1]}


def test_stream_error_surfaces_on_the_failing_batch(ctx: SessionContext) -> None:
    class Late(Exception):
        pass

    seen = {"batches": 0}

    def fail_on_third(values: pa.Array) -> pa.Array:
        seen["batches"] += 1
        if seen["batches"] == 3:
            raise Late("third batch")
        return values

    fn = udf(fail_on_third, [pa.int64()], pa.int64(), "volatile", name="fail_on_third")
    batches = [pa.record_batch({"v": [i]}) for i in range(5)]
    ctx.register_record_batches("five", [batches])
    stream = ctx.table("five").select(fn(col("v")).alias("v")).execute_stream()
    got = [as_arrow_batch(next(stream)).num_rows, as_arrow_batch(next(stream)).num_rows]
    assert got == [1, 1]
    with pytest.raises(Late, match="third batch"):
        next(stream)


def test_iterating_dataframe_yields_batches(df: DataFrame) -> None:
    rows = sum(as_arrow_batch(batch).num_rows for batch in df)
    assert rows == 4


# Display


def table_cells(text: str) -> list[list[str]]:
    """The cells of each ``| ... |`` line of a text table (header row first)."""
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.strip().startswith("|")
    ]


def test_show_prints_table(df: DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    df.show()
    cells = table_cells(capsys.readouterr().out)
    assert cells[0] == ["a", "b", "c", "g"]
    assert cells[1:] == [
        ["1", "10.0", "x", "p"],
        ["2", "20.0", "y", "q"],
        ["3", "NULL", "z", "p"],
        ["4", "40.0", "NULL", "q"],
    ]


def test_show_limits_rows(ctx: SessionContext, capsys: pytest.CaptureFixture[str]) -> None:
    ctx.sql("SELECT value AS v FROM range(1000)").show(3)
    cells = table_cells(capsys.readouterr().out)
    assert cells == [["v"], ["0"], ["1"], ["2"]]


def test_repr_is_text_table(df: DataFrame) -> None:
    cells = table_cells(repr(df))
    assert cells[0] == ["a", "b", "c", "g"]
    assert ["4", "40.0", "", "q"] in cells  # nulls print empty, as in the official bindings


def test_repr_is_bounded_for_large_frames(ctx: SessionContext) -> None:
    big = ctx.sql("SELECT value AS v, value * 2 AS w FROM range(10000)")
    text = repr(big)
    assert len(text.splitlines()) < 40
    cells = table_cells(text)
    assert cells[0] == ["v", "w"]
    assert cells[1] == ["0", "0"]
    assert ["9999", "19998"] not in cells


def test_repr_html(df: DataFrame) -> None:
    html = df._repr_html_()
    assert "<table" in html
    assert "</table>" in html
    assert html.count("<tr") == 5
    assert re.findall(r"<th[^>]*>([^<]*)</th>", html) == ["a", "b", "c", "g"]
    assert re.search(r"<td[^>]*>40.0</td>", html)


def test_repr_html_bounded(ctx: SessionContext) -> None:
    html = ctx.sql("SELECT value AS v FROM range(100000)")._repr_html_()
    assert "<table" in html
    assert len(html) < 200_000


# Writing


def test_write_parquet_round_trip(ctx: SessionContext, df: DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "out.parquet"
    df.write_parquet(str(path))
    back = ctx.read_parquet(str(path))
    assert by(back, "a") == df.to_pydict()
    assert pq.read_table(path).num_rows == 4


def test_write_parquet_with_compression(ctx: SessionContext, df: DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "snappy.parquet"
    df.write_parquet(str(path), compression="snappy")
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).column(0).compression == "SNAPPY"
    assert by(ctx.read_parquet(str(path)), "a")["a"] == [1, 2, 3, 4]


def test_write_csv_round_trip(ctx: SessionContext, df: DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    df.select("a", "c").write_csv(str(path), with_header=True)
    back = ctx.read_csv(str(path))
    assert by(back, "a") == {"a": [1, 2, 3, 4], "c": ["x", "y", "z", None]}


def test_write_json_round_trip(ctx: SessionContext, df: DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    df.select("a", "b").write_json(str(path))
    back = ctx.read_json(str(path))
    assert by(back, "a") == {"a": [1, 2, 3, 4], "b": [10.0, 20.0, None, 40.0]}


def test_write_parquet_into_directory(ctx: SessionContext, tmp_path: Path) -> None:
    out_dir = tmp_path / "dir_out"
    ctx.sql("SELECT value AS v FROM range(100)").write_parquet(str(out_dir) + "/")
    assert out_dir.is_dir()
    assert any(out_dir.iterdir())
    assert ctx.read_parquet(str(out_dir)).count() == 100


# Plans


def test_logical_plan_display(df: DataFrame) -> None:
    plan = df.filter(col("a") > lit(1)).select("a").logical_plan()
    text = plan.display_indent()
    assert "Filter" in text
    assert "Projection" in text
    assert "a > Int64(1)" in text


def test_optimized_logical_plan(df: DataFrame) -> None:
    query = df.filter(col("a") > lit(1)).filter(col("a") < lit(4)).select("a")
    logical = query.logical_plan().display_indent()
    optimized = query.optimized_logical_plan().display_indent()
    # The optimizer merges the two filters and pushes the projection into the scan.
    assert logical.count("Filter:") == 2
    assert optimized.count("Filter:") == 1
    assert "a > Int64(1) AND" in optimized
    assert "a < Int64(4)" in optimized
    assert "projection=[a]" in optimized


def test_execution_plan(df: DataFrame) -> None:
    plan = df.filter(col("a") > lit(1)).execution_plan()
    text = plan.display_indent()
    assert "FilterExec" in text
    assert "a@0 > 1" in text


def test_plan_str(df: DataFrame) -> None:
    plan = df.select("a").logical_plan()
    assert "Projection" in str(plan)
    assert "TableScan" in str(plan)


def test_explain_prints_plans(df: DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    df.filter(col("a") > lit(2)).explain()
    out = capsys.readouterr().out
    assert "logical_plan" in out
    assert "physical_plan" in out
    assert "FilterExec" in out


def test_explain_analyze_prints_metrics(df: DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    df.filter(col("a") > lit(2)).explain(analyze=True)
    out = capsys.readouterr().out
    assert "output_rows" in out
    assert "FilterExec" in out


def test_explain_verbose(df: DataFrame, capsys: pytest.CaptureFixture[str]) -> None:
    df.select("a").explain(verbose=True)
    out = capsys.readouterr().out
    assert "initial_logical_plan" in out
