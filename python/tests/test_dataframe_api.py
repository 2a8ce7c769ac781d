"""DataFrame methods with the official bindings' names and call shapes: SQL expression strings,
qualified columns and aliases, NaN filling, transform, window columns, repartitioning, distinct_on,
sort_by and collect_column."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from fuseplug import DataFrame, SessionContext, col, lit
from fuseplug import functions as f
from fuseplug.exceptions import FuseplugError, SchemaError


@pytest.fixture
def df(ctx: SessionContext) -> DataFrame:
    return ctx.from_pydict(
        {"g": ["a", "b", "a", "b", "c"], "x": [1, 2, 3, 4, 5], "y": [1.0, math.nan, 3.0, None, 5.0]}
    )


def test_select_exprs_and_parse_sql_expr(df: DataFrame) -> None:
    out = df.select_exprs("x", "x * 10 AS tens").sort_by("x").limit(2)
    assert out.to_pydict() == {"x": [1, 2], "tens": [10, 20]}
    expr = df.parse_sql_expr("x + 1 > 3")
    assert df.filter(expr).count() == 3
    with pytest.raises(FuseplugError, match="nope"):
        df.parse_sql_expr("nope + 1")


def test_alias_and_qualified_columns(ctx: SessionContext, df: DataFrame) -> None:
    left = df.alias("l")
    right = ctx.from_pydict({"g": ["a", "c"], "label": ["A", "C"]}).alias("r")
    assert left.column("g").canonical_name() == "l.g" and left.col("x").canonical_name() == "l.x"
    assert [e.canonical_name() for e in left.find_qualified_columns("g", "x")] == ["l.g", "l.x"]
    joined = left.join_on(right, left.column("g") == right.column("g")).select(
        left.column("x"), right.column("label")
    )
    assert joined.sort_by("x").to_pydict() == {"x": [1, 3, 5], "label": ["A", "A", "C"]}
    with pytest.raises((SchemaError, FuseplugError), match="missing"):
        df.column("missing")


def test_fill_nan_replaces_nan_but_not_null(df: DataFrame) -> None:
    filled = df.fill_nan(0.0).sort_by("x").to_pydict()
    assert filled["y"] == [1.0, 0.0, 3.0, None, 5.0]
    assert filled["x"] == [1, 2, 3, 4, 5]
    subset = df.fill_nan(-1, subset=["x"]).sort_by("x").to_pydict()
    assert math.isnan(subset["y"][1])  # y not in the subset
    with pytest.raises(ValueError, match="no column named 'z'"):
        df.fill_nan(0.0, subset=["z"])
    with pytest.raises(TypeError, match="needs a number"):
        df.fill_nan("0")  # type: ignore[arg-type]


def test_transform_chains_functions(df: DataFrame) -> None:
    def above(frame: DataFrame, limit: int) -> DataFrame:
        return frame.filter(col("x") > lit(limit))

    assert df.transform(above, 3).count() == 2
    with pytest.raises(TypeError, match="not a DataFrame"):
        df.transform(lambda frame: 1)


def test_window_adds_columns(df: DataFrame) -> None:
    numbered = df.window(
        f.row_number(partition_by=[col("g")], order_by=[col("x")]).alias("n")
    ).sort_by("x")
    assert numbered.select("g", "x", "n").to_pydict() == {
        "g": ["a", "b", "a", "b", "c"],
        "x": [1, 2, 3, 4, 5],
        "n": [1, 1, 2, 2, 1],
    }


def test_repartition(df: DataFrame) -> None:
    # DataFusion's physical optimizer drops a repartition that nothing downstream needs (the
    # official bindings behave the same), so the plan node and the rows are what is checked.
    spread = df.repartition(3)
    assert (
        "Repartition: RoundRobinBatch partition_count=3" in spread.logical_plan().display_indent()
    )
    assert spread.count() == 5
    by_hash = df.repartition_by_hash("g", num=2)
    assert "Repartition: Hash(g) partition_count=2" in by_hash.logical_plan().display_indent()
    assert sorted(by_hash.to_pydict()["x"]) == [1, 2, 3, 4, 5]
    with pytest.raises(ValueError, match="at least one partition"):
        df.repartition(0)
    with pytest.raises(ValueError, match="at least one partition"):
        df.repartition_by_hash("g", num=0)


def test_distinct_on_keeps_the_first_row_per_key(df: DataFrame) -> None:
    out = df.distinct_on(
        [col("g")], [col("g"), col("x")], [col("g").sort(), col("x").sort(ascending=False)]
    )
    assert out.sort_by("g").to_pydict() == {"g": ["a", "b", "c"], "x": [3, 4, 5]}


def test_sort_by_is_ascending_with_nulls_last(ctx: SessionContext) -> None:
    frame = ctx.from_pydict({"v": [3, None, 1]})
    assert frame.sort_by("v").to_pydict() == {"v": [1, 3, None]}
    assert frame.sort_by(col("v") * -1).to_pydict() == {"v": [3, 1, None]}


def test_collect_column(df: DataFrame) -> None:
    column = df.sort_by("x").collect_column("x")
    assert isinstance(column, (pa.Array, pa.ChunkedArray))
    assert column.to_pylist() == [1, 2, 3, 4, 5]
    assert column.type == pa.int64()


def test_unnest_columns_with_recursions(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"id": [1, 2], "nested": [[[1, 2], [3]], [[4]]]})
    once = df.unnest_columns("nested").sort_by("id").to_pydict()
    assert once["nested"] == [[1, 2], [3], [4]]
    deep = (
        df.unnest_columns("nested", recursions=[("nested", "nested", 2)])
        .sort_by("nested")
        .to_pydict()
    )
    assert deep == {"id": [1, 1, 1, 2], "nested": [1, 2, 3, 4]}
