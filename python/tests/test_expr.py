"""Expr: column references, literals, operators, casts, predicates, CASE, windows, aggregates."""

from __future__ import annotations

import datetime as dt
import decimal

import pyarrow as pa
import pytest

from fuseplug import DataFrame, Expr, SessionContext, Window, WindowFrame, col, column, lit, literal
from fuseplug import functions as f


@pytest.fixture
def nums(ctx: SessionContext) -> DataFrame:
    return ctx.from_pydict(
        {
            "a": [1, 2, 3, 4, None],
            "b": [7, 5, 3, 1, 9],
            "s": ["apple", "banana", "cherry", "Apple", None],
        }
    )


@pytest.fixture
def grouped(ctx: SessionContext) -> DataFrame:
    return ctx.from_pydict(
        {
            "g": ["a", "a", "a", "b", "b"],
            "x": [1, 2, 3, 10, 20],
        }
    )


def values(df: DataFrame, expr: Expr) -> list[object]:
    """Evaluate one expression over ``df`` and return its values in row order."""
    return df.select(expr.alias("out")).to_pydict()["out"]


# References and literals


def test_col_and_column_are_equivalent(nums: DataFrame) -> None:
    assert values(nums, col("b")) == values(nums, column("b")) == [7, 5, 3, 1, 9]


def test_quoted_mixed_case_column(ctx: SessionContext) -> None:
    # As in the official bindings, col() reads its argument as an SQL identifier.
    df = ctx.from_pydict({"MixedCase": [1, 2]})
    assert values(df, col('"MixedCase"')) == [1, 2]


@pytest.mark.parametrize(
    ("value", "arrow_type"),
    [
        (7, pa.int64()),
        (2.5, pa.float64()),
        ("text", None),
        (True, pa.bool_()),
        (dt.date(2024, 2, 29), pa.date32()),
    ],
)
def test_lit_python_values(
    ctx: SessionContext, value: object, arrow_type: pa.DataType | None
) -> None:
    df = ctx.from_pydict({"one": [1]}).select(lit(value).alias("v"))
    assert df.to_pydict() == {"v": [value]}
    if arrow_type is not None:
        assert df.schema().field("v").type == arrow_type
    else:
        assert df.schema().field("v").type in (pa.string(), pa.large_string(), pa.string_view())


def test_lit_none_is_null(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"one": [1]}).select(lit(None).alias("v"))
    assert df.to_pydict() == {"v": [None]}


def test_lit_pyarrow_scalar_keeps_type(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"one": [1]}).select(lit(pa.scalar(3, pa.int8())).alias("v"))
    assert df.schema().field("v").type == pa.int8()
    assert df.to_pydict() == {"v": [3]}


def test_literal_is_lit(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"one": [1]})
    assert values(df, literal(5)) == values(df, lit(5)) == [5]


# Operators


def test_arithmetic(nums: DataFrame) -> None:
    assert values(nums, col("a") + col("b")) == [8, 7, 6, 5, None]
    assert values(nums, col("b") - col("a")) == [6, 3, 0, -3, None]
    assert values(nums, col("a") * lit(10)) == [10, 20, 30, 40, None]
    assert values(nums, col("b") / lit(2)) == [3, 2, 1, 0, 4]
    assert values(nums, col("b") % lit(3)) == [1, 2, 0, 1, 0]


def test_float_division(nums: DataFrame) -> None:
    assert values(nums, col("b").cast(pa.float64()) / lit(2)) == [3.5, 2.5, 1.5, 0.5, 4.5]


def test_operators_accept_plain_python_values(nums: DataFrame) -> None:
    assert values(nums, col("b") + 1) == [8, 6, 4, 2, 10]
    assert values(nums, col("b") > 4) == [True, True, False, False, True]


def test_comparisons(nums: DataFrame) -> None:
    assert values(nums, col("a") == lit(2)) == [False, True, False, False, None]
    assert values(nums, col("a") != lit(2)) == [True, False, True, True, None]
    assert values(nums, col("a") < col("b")) == [True, True, False, False, None]
    assert values(nums, col("a") <= lit(3)) == [True, True, True, False, None]
    assert values(nums, col("a") > lit(3)) == [False, False, False, True, None]
    assert values(nums, col("a") >= lit(3)) == [False, False, True, True, None]


def test_boolean_and_or_not(nums: DataFrame) -> None:
    big_a = col("a") > lit(1)
    big_b = col("b") > lit(2)
    assert values(nums, big_a & big_b) == [False, True, True, False, None]
    assert values(nums, big_a | big_b) == [True, True, True, True, True]
    assert values(nums, ~big_a) == [True, False, False, False, None]


def test_alias(nums: DataFrame) -> None:
    out = nums.select((col("a") + lit(1)).alias("renamed"))
    assert out.schema().names == ["renamed"]


def test_expr_names(nums: DataFrame) -> None:
    expr = col("a") + lit(1)
    assert "a + Int64(1)" in repr(expr)
    assert expr.schema_name() == "a + Int64(1)"
    assert nums.select(expr).schema().names[0].endswith("a + Int64(1)")


def test_negation(nums: DataFrame) -> None:
    assert values(nums, -col("b")) == [-7, -5, -3, -1, -9]


def test_getitem_struct_field_and_list_element(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"s": [{"x": 1, "y": "p"}, {"x": 2, "y": "q"}], "l": [[10, 20], [30]]})
    assert values(df, col("s")["y"]) == ["p", "q"]
    # Official bindings: an int index is 0-based.
    assert values(df, col("l")[0]) == [10, 30]
    assert values(df, col("l")[1]) == [20, None]


@pytest.mark.parametrize(
    ("value", "arrow_type"),
    [
        (decimal.Decimal("1.25"), pa.decimal128(3, 2)),
        (b"ab", pa.binary()),
        (dt.datetime(2024, 1, 1, 5), pa.timestamp("us")),
    ],
)
def test_lit_more_python_values(
    ctx: SessionContext, value: object, arrow_type: pa.DataType
) -> None:
    df = ctx.from_pydict({"one": [1]}).select(lit(value).alias("v"))
    assert df.schema().field("v").type == arrow_type
    assert df.to_pydict() == {"v": [value]}


# Casts


def test_cast(nums: DataFrame) -> None:
    out = nums.select(col("a").cast(pa.float64()).alias("f"), col("b").cast(pa.string()).alias("t"))
    assert out.schema().field("f").type == pa.float64()
    assert out.to_pydict() == {
        "f": [1.0, 2.0, 3.0, 4.0, None],
        "t": ["7", "5", "3", "1", "9"],
    }


def test_try_cast_bad_string_is_null(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"s": ["12", "x", "-3", None, "4.5"]})
    assert values(df, col("s").try_cast(pa.int64())) == [12, None, -3, None, None]


# Predicates


def test_sort_keys(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [3, None, 1]})
    key = col("a").sort(ascending=False, nulls_first=True)
    assert key.ascending() is False
    assert key.nulls_first() is True
    assert df.sort(key).to_pydict() == {"a": [None, 3, 1]}
    assert df.sort(col("a").sort(ascending=True, nulls_first=True)).to_pydict() == {
        "a": [None, 1, 3]
    }
    assert df.sort(col("a").sort(ascending=False, nulls_first=False)).to_pydict() == {
        "a": [3, 1, None]
    }


def test_sort_default_puts_nulls_last_like_official(ctx: SessionContext) -> None:
    # The official bindings default to nulls_first=False in both directions.
    df = ctx.from_pydict({"a": [3, None, 1]})
    assert df.sort(col("a").sort()).to_pydict() == {"a": [1, 3, None]}
    assert df.sort(col("a").sort(ascending=False)).to_pydict() == {"a": [3, 1, None]}
    assert df.sort("a").to_pydict() == {"a": [1, 3, None]}


def test_is_null_and_is_not_null(nums: DataFrame) -> None:
    assert values(nums, col("a").is_null()) == [False, False, False, False, True]
    assert values(nums, col("s").is_not_null()) == [True, True, True, True, False]


def test_between(nums: DataFrame) -> None:
    assert values(nums, col("b").between(lit(3), lit(7))) == [True, True, True, False, False]
    negated = col("b").between(lit(3), lit(7), negated=True)
    assert values(nums, negated) == [False, False, False, True, True]


def test_in_list_function(nums: DataFrame) -> None:
    assert values(nums, f.in_list(col("b"), [lit(1), lit(9)])) == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert values(nums, f.in_list(col("b"), [lit(1), lit(9)], negated=True)) == [
        True,
        True,
        True,
        False,
        False,
    ]


def test_in_list_method(nums: DataFrame) -> None:
    assert values(nums, col("b").in_list([lit(5), lit(3)])) == [False, True, True, False, False]
    out = values(nums, col("b").in_list([lit(5), lit(3)], negated=True))
    assert out == [True, False, False, True, True]


def test_like(nums: DataFrame) -> None:
    assert values(nums, col("s").like(lit("%an%"))) == [False, True, False, False, None]
    assert values(nums, col("s").like(lit("a%"))) == [True, False, False, False, None]


def test_filter_with_like_in_sql_string(ctx: SessionContext, nums: DataFrame) -> None:
    ctx.register_table("nums", nums)
    out = ctx.sql("SELECT s FROM nums WHERE s ILIKE 'a%' ORDER BY s").to_pydict()
    assert out == {"s": ["Apple", "apple"]}


# CASE


def test_case_on_value(nums: DataFrame) -> None:
    expr = f.case(col("b")).when(lit(7), lit("seven")).when(lit(1), lit("one")).otherwise(lit("?"))
    assert values(nums, expr) == ["seven", "?", "?", "one", "?"]


def test_case_end_without_else_is_null(nums: DataFrame) -> None:
    expr = f.case(col("b")).when(lit(5), lit("five")).end()
    assert values(nums, expr) == [None, "five", None, None, None]


def test_searched_when(nums: DataFrame) -> None:
    expr = (
        f.when(col("b") > lit(6), lit("high"))
        .when(col("b") > lit(2), lit("mid"))
        .otherwise(lit("low"))
    )
    assert values(nums, expr) == ["high", "mid", "mid", "low", "high"]


# Window expressions


def test_row_number_over_window(grouped: DataFrame) -> None:
    window = Window(partition_by=[col("g")], order_by=[col("x").sort(ascending=False)])
    out = grouped.select(col("g"), col("x"), f.row_number().over(window).alias("rn"))
    rows = sorted(out.to_pylist(), key=lambda r: (r["g"], r["x"]))
    assert [(r["g"], r["x"], r["rn"]) for r in rows] == [
        ("a", 1, 3),
        ("a", 2, 2),
        ("a", 3, 1),
        ("b", 10, 2),
        ("b", 20, 1),
    ]


def test_running_sum_with_window_frame(grouped: DataFrame) -> None:
    window = Window(
        partition_by=[col("g")],
        order_by=[col("x").sort()],
        window_frame=WindowFrame("rows", None, 0),
    )
    out = grouped.select(col("g"), col("x"), f.sum(col("x")).over(window).alias("running"))
    rows = sorted(out.to_pylist(), key=lambda r: (r["g"], r["x"]))
    assert [r["running"] for r in rows] == [1, 3, 6, 10, 30]


def test_sliding_window_frame(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [1, 2, 3, 4, 5]})
    window = Window(order_by=[col("x").sort()], window_frame=WindowFrame("rows", 1, 1))
    out = df.select(col("x"), f.sum(col("x")).over(window).alias("s")).sort(col("x").sort())
    assert out.to_pydict()["s"] == [3, 6, 9, 12, 9]


def test_window_over_whole_partition(grouped: DataFrame) -> None:
    window = Window(partition_by=[col("g")])
    out = grouped.select(col("x"), f.max(col("x")).over(window).alias("top"))
    rows = sorted(out.to_pylist(), key=lambda r: r["x"])
    assert [r["top"] for r in rows] == [3, 3, 3, 20, 20]


# Aggregate modifiers


def test_aggregate_filter_argument(grouped: DataFrame) -> None:
    out = grouped.aggregate([], [f.sum(col("x"), filter=col("x") > lit(2)).alias("s")])
    assert out.to_pydict() == {"s": [33]}


def test_array_agg_order_by_argument(grouped: DataFrame) -> None:
    out = grouped.aggregate(
        [col("g")], [f.array_agg(col("x"), order_by=[col("x").sort(ascending=False)]).alias("xs")]
    )
    rows = sorted(out.to_pylist(), key=lambda r: r["g"])
    assert rows == [{"g": "a", "xs": [3, 2, 1]}, {"g": "b", "xs": [20, 10]}]


def test_count_distinct_argument(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [1, 1, 2, 2, 2, None]})
    out = df.aggregate(
        [], [f.count(col("x"), distinct=True).alias("d"), f.count(col("x")).alias("n")]
    )
    assert out.to_pydict() == {"d": [2], "n": [5]}


def test_aggregate_builder_filter(grouped: DataFrame) -> None:
    expr = f.sum(col("x")).filter(col("g") == lit("a")).build()
    assert grouped.aggregate([], [expr.alias("s")]).to_pydict() == {"s": [6]}


def test_aggregate_builder_order_by(grouped: DataFrame) -> None:
    expr = f.array_agg(col("x")).order_by(col("x").sort(ascending=False)).build()
    out = grouped.filter(col("g") == lit("b")).aggregate([], [expr.alias("xs")])
    assert out.to_pydict() == {"xs": [[20, 10]]}


def test_aggregate_builder_distinct(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [3, 3, 4]})
    expr = f.sum(col("x")).distinct().build()
    assert df.aggregate([], [expr.alias("s")]).to_pydict() == {"s": [7]}


def test_single_argument_functions_are_methods_as_in_the_official_bindings() -> None:
    from fuseplug._official_signatures import EXPR_FUNCTION_METHODS

    ctx = SessionContext()
    df = ctx.from_pydict({"x": [-1.5, 4.0], "s": ["Ab", " c "], "a": [[1, 1, 2], [3]]})
    out = df.select(
        col("x").abs().alias("abs"),
        col("x").abs().sqrt().alias("sqrt"),
        col("s").upper().alias("upper"),
        col("s").trim().alias("trim"),
        col("s").md5().alias("md5"),
        col("a").array_distinct().alias("distinct"),
        col("a").cardinality().alias("n"),
    ).to_pydict()
    assert out["abs"] == [1.5, 4.0]
    assert out["sqrt"][1] == 2.0  # sqrt(abs(4.0))
    assert out["upper"] == ["AB", " C "] and out["trim"] == ["Ab", "c"]
    assert out["md5"][0] == "0e4c46df226b9c0cb391311c54f28efe"  # md5("Ab")
    assert out["distinct"] == [[1, 2], [3]] and out["n"] == [3, 1]
    # every official method form exists
    missing = [name for name in EXPR_FUNCTION_METHODS if not hasattr(Expr, name)]
    assert missing == []


def test_fill_null_fill_nan_and_string_literal() -> None:
    ctx = SessionContext()
    df = ctx.from_pydict({"x": [1.0, None, float("nan")]})
    out = df.select(
        col("x").fill_null(0.0).alias("f"), col("x").fill_nan(-1.0).alias("n")
    ).to_pydict()
    assert out["f"][:2] == [1.0, 0.0] and out["n"] == [1.0, None, -1.0]
    assert Expr.string_literal("hi").canonical_name() == 'Utf8("hi")'
