"""The functions whose official wrappers take their arguments in a shape of their own: sort keys of
the percentile aggregates, name/expression pairs, pyarrow types, plain Python values in place of
literals, Python slices of lists, and the Spark ``like`` escape character and ``shuffle`` seed.

Results are compared with values computed in Python from the same input.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pytest

import fuseplug
from fuseplug import DataFrame, Expr, SessionContext, col, lit
from fuseplug import functions as f
from fuseplug.functions import spark
from fuseplug.udf import Accumulator, udaf


def one(df: DataFrame, expr: Expr) -> Any:
    return df.select(expr.alias("v")).to_pydict()["v"]


@pytest.fixture
def lists(ctx: SessionContext) -> DataFrame:
    return ctx.from_pydict({"a": [[1, 2, 3, 4, 5], [6, 7], []], "i": [1, 0, 0]})


# literals ------------------------------------------------------------------------------------


def test_a_str_literal_is_utf8view_and_string_literal_is_utf8(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [1]})
    out = df.select(lit("a").alias("view"), Expr.string_literal("a").alias("plain")).collect()[0]
    assert out.schema.field("view").type == pa.string_view()
    assert out.schema.field("plain").type == pa.string()
    assert lit("a").canonical_name() == 'Utf8View("a")'
    assert Expr.string_literal("a").canonical_name() == 'Utf8("a")'
    # concatenating a Utf8 column with a str literal gives Utf8View, as in the official bindings
    words = ctx.from_pydict({"w": ["ab", "c"]})
    table = words.select(f.concat(col("w"), lit("!")).alias("c")).collect()[0]
    assert table.column(0) == pa.array(["ab!", "c!"], type=pa.string_view())


# slices --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        slice(None, 3),
        slice(1, 3),
        slice(1, 4, 2),
        slice(-2, None),
        slice(None, -1),
        slice(-3, -1),
        slice(0, 0),
        slice(None, None),
        slice(3, 1),
    ],
    ids=str,
)
def test_a_python_slice_of_a_list_expression(lists: DataFrame, key: slice) -> None:
    data = [[1, 2, 3, 4, 5], [6, 7], []]
    assert one(lists, col("a")[key]) == [row[key] for row in data]


def test_a_slice_with_expression_bounds(lists: DataFrame) -> None:
    assert one(lists, col("a")[col("i") : col("i") + 2]) == [[2, 3], [6, 7], []]
    assert one(lists, col("a")[lit(1) : lit(4) : lit(2)]) == [[2, 4], [7], []]


# sort keys, pairs, paths, types ---------------------------------------------------------------


def test_percentiles_take_a_sort_key_or_an_expression(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"b": [4.0, 4.0, 6.0], "w": [1.0, 1.0, 1.0]})
    exprs = {
        "cont": f.percentile_cont(col("b").sort(ascending=False), 0.5),
        "cont_expr": f.percentile_cont(col("b"), 0.5),
        "quantile": f.quantile_cont(col("b").sort(), 0.5),
        "approx": f.approx_percentile_cont(col("b").sort(), 0.5, num_centroids=2),
        "weighted": f.approx_percentile_cont_with_weight(col("b").sort(), col("w"), 0.5),
    }
    out = df.aggregate([], [e.alias(k) for k, e in exprs.items()]).to_pydict()
    assert out["cont"] == out["cont_expr"] == out["quantile"] == [4.0]
    assert out["approx"] == [4.75] and out["weighted"] == [4.0]  # t-digest with 2 centroids


def test_named_struct_and_get_field(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": ["x", "y"], "b": [1, 2]})
    df = df.with_column(
        "s", f.named_struct([("outer", f.named_struct([("a", col("a")), ("b", col("b"))]))])
    )
    out = df.select(
        f.get_field(col("s"), "outer", "a").alias("a"),
        f.get_field(col("s"), lit("outer"), "b").alias("b"),
        col("s")["outer"]["b"].alias("c"),
    ).to_pydict()
    assert out == {"a": ["x", "y"], "b": [1, 2], "c": [1, 2]}
    with pytest.raises(ValueError, match="at least one field name"):
        f.get_field(col("s"))
    with pytest.raises(TypeError, match="pairs"):
        f.named_struct([col("a")])  # type: ignore[list-item]


@pytest.mark.parametrize("cast", [f.arrow_cast, f.arrow_try_cast], ids=lambda c: c.__name__)
def test_arrow_cast_takes_a_pyarrow_type_or_a_type_name(
    ctx: SessionContext, cast: Callable[..., Expr]
) -> None:
    df = ctx.from_pydict({"x": [1, 2]})
    for target in (pa.float64(), "Float64"):
        table = df.select(cast(col("x"), target).alias("y")).collect()[0]
        assert table.column(0) == pa.array([1.0, 2.0])
    stamps = df.select(cast(col("x"), pa.timestamp("s")).alias("t")).to_pydict()["t"]
    assert stamps == [dt.datetime(1970, 1, 1, 0, 0, 1), dt.datetime(1970, 1, 1, 0, 0, 2)]


def test_with_metadata(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [1]})
    tagged = df.select(f.with_metadata(col("x"), {"unit": "m"}).alias("x"))
    assert tagged.schema().field("x").metadata == {b"unit": b"m"}
    assert f.with_metadata(col("x"), {}) is not None
    plain = df.select(f.with_metadata(col("x"), {}).alias("x"))
    assert not plain.schema().field("x").metadata
    with pytest.raises(ValueError, match="non-empty"):
        f.with_metadata(col("x"), {"": "v"})


def test_make_map_refuses_an_odd_number_of_arguments() -> None:
    with pytest.raises(ValueError, match="make_map expects"):
        f.make_map("x", 1, "y")
    with pytest.raises(ValueError, match="same length"):
        f.make_map(["x"], [1, 2])


def test_regexp_instr_keeps_a_later_argument_in_its_place(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": ["Hello", "World", "!"]})
    assert one(df, f.regexp_instr(col("a"), lit("([lr])"), n=2)) == [4, 4, 0]
    assert one(df, f.regexp_instr(col("a"), "([hw])", flags="i")) == [1, 1, 0]
    assert one(df, f.regexp_instr(col("a"), "(x)?([HW])", sub_expr=2)) == [1, 1, 0]
    assert one(df, f.regexp_count(col("a"), "L", flags="i")) == [2, 1, 0]


# plain values in place of literals -------------------------------------------------------------


DEPRECATED_EXPR_ARGUMENTS = [
    ("date_part", "part", lambda: f.date_part(lit("year"), col("a"))),
    ("datepart", "part", lambda: f.datepart(lit("year"), col("a"))),
    ("extract", "part", lambda: f.extract(lit("year"), col("a"))),
    ("date_trunc", "part", lambda: f.date_trunc(lit("month"), col("a"))),
    ("datetrunc", "part", lambda: f.datetrunc(lit("month"), col("a"))),
    ("encode", "encoding", lambda: f.encode(col("a"), lit("base64"))),
    ("decode", "encoding", lambda: f.decode(col("a"), lit("base64"))),
    ("digest", "method", lambda: f.digest(col("a"), lit("sha256"))),
    ("arrow_cast", "data_type", lambda: f.arrow_cast(col("a"), lit("Float64"))),
    ("arrow_try_cast", "data_type", lambda: f.arrow_try_cast(col("a"), lit("Float64"))),
    ("arrow_metadata", "key", lambda: f.arrow_metadata(col("a"), lit("k"))),
]


@pytest.mark.parametrize(
    ("name", "parameter", "build"),
    DEPRECATED_EXPR_ARGUMENTS,
    ids=[c[0] for c in DEPRECATED_EXPR_ARGUMENTS],
)
def test_an_expr_for_a_plain_value_parameter_is_deprecated(
    name: str, parameter: str, build: Callable[[], Expr]
) -> None:
    with pytest.warns(DeprecationWarning, match=rf"{name}\(\) argument '{parameter}'") as caught:
        assert isinstance(build(), Expr)
    assert caught[0].filename == __file__  # the warning points at the caller


def test_plain_values_do_not_warn(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"s": ["hello"], "t": [dt.datetime(2021, 7, 15, 12, 34)]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        out = df.select(
            f.encode(col("s"), "base64").alias("e"),
            f.digest(col("s"), "md5").alias("d"),
            f.date_part("year", col("t")).alias("y"),
            f.date_trunc("month", col("t")).alias("m"),
            f.arrow_metadata(col("s"), "k").alias("k"),
        ).to_pydict()
    assert out["e"] == ["aGVsbG8"] and out["y"] == [2021]
    assert out["m"] == [dt.datetime(2021, 7, 1)] and out["k"] == [None]
    assert out["d"] == [bytes.fromhex("5d41402abc4b2a76b9719d911017c592")]


# lambdas and aggregate UDFs ------------------------------------------------------------------


def test_bad_lambdas(lists: DataFrame) -> None:
    with pytest.raises(TypeError, match="expected an Expr or callable"):
        f.array_transform(col("a"), 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one parameter"):
        f.array_transform(col("a"), lambda: lit(1))


class _Collect(Accumulator):
    def __init__(self) -> None:
        self.values: list[Any] = []

    def state(self) -> list[Any]:
        return [pa.array(self.values, type=pa.timestamp("ns"))]

    def update(self, values: pa.Array) -> None:
        self.values += values.to_pylist()

    def merge(self, states: list[pa.Array]) -> None:
        for state in states[0].to_pylist():
            self.values += state

    def evaluate(self) -> Any:
        return pa.array(sorted(self.values), type=pa.timestamp("ns"))


def test_an_accumulator_may_return_a_list_as_an_array(ctx: SessionContext) -> None:
    stamps = [dt.datetime(2024, 1, d) for d in (3, 1, 2)]
    df = ctx.from_pydict({"ts": pa.array(stamps, type=pa.timestamp("ns"))})
    list_type = pa.list_(pa.timestamp("ns"))
    collect = udaf(_Collect, pa.timestamp("ns"), list_type, [list_type], "immutable")
    out = df.aggregate([], [collect(col("ts")).alias("all")]).to_pydict()
    assert out["all"] == [sorted(stamps)]


def test_udaf_refuses_what_is_not_an_accumulator() -> None:
    class NotAnAccumulator:
        pass

    with pytest.raises(TypeError, match="Accumulator"):
        udaf(NotAnAccumulator, pa.int64(), pa.int64(), [pa.int64()], "immutable")
    with pytest.raises(TypeError, match="Accumulator"):
        udaf(lambda: NotAnAccumulator(), pa.int64(), pa.int64(), [pa.int64()], "immutable")


# Spark ---------------------------------------------------------------------------------------


def test_spark_like_with_an_escape_character(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"s": ["a%b", "axb", "A%B", "a!b", "a\\b"], "p": ["a!%b"] * 5})
    out = df.select(
        spark.like(col("s"), lit("a!%b"), escapeChar="!").alias("like"),
        spark.ilike(col("s"), "p", escapeChar="!").alias("ilike"),  # a str names a column
        spark.like(col("s"), lit("a!!b"), escapeChar="!").alias("escaped_escape"),
        spark.like(col("s"), lit("a\\b"), escapeChar="!").alias("plain_backslash"),
        spark.like(col("s"), lit("a\\%b"), escapeChar="\\").alias("backslash"),
    ).to_pydict()
    assert out["like"] == [True, False, False, False, False]
    assert out["ilike"] == [True, False, True, False, False]
    assert out["escaped_escape"] == [False, False, False, True, False]
    assert out["plain_backslash"] == [False, False, False, False, True]
    assert out["backslash"] == out["like"]
    with pytest.raises(ValueError, match="single character"):
        spark.like(col("s"), lit("x"), escapeChar="!!")


def test_spark_shuffle_with_a_seed_is_repeatable(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [list(range(20))]})
    first = one(df, spark.shuffle(col("a"), seed=42))
    assert first == one(df, spark.shuffle(col("a"), seed=lit(42)))
    assert sorted(first[0]) == list(range(20))
    assert one(df, spark.shuffle(col("a"), seed=7)) != first
    with pytest.raises(TypeError, match="seed must be an int"):
        spark.shuffle(col("a"), seed="x")  # type: ignore[arg-type]


def test_str_literals_still_work_where_utf8_is_needed(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"t": [dt.datetime(2024, 1, 1, 10, 7)], "a": [[3, 1, 2]]})
    out = df.select(
        f.date_bin("15 minutes", col("t"), "2024-01-01T00:00:00").alias("bin"),
        f.array_to_string(col("a"), "-").alias("joined"),
        f.array_sort(col("a"), descending=True).alias("sorted"),
    ).to_pydict()
    assert out == {
        "bin": [dt.datetime(2024, 1, 1, 10, 0)],
        "joined": ["3-1-2"],
        "sorted": [[3, 2, 1]],
    }
    assert fuseplug.functions.union_extract is f.union_extract
