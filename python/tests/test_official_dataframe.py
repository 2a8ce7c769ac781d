"""DataFrame and Expr behaviour that code written for the official bindings relies on: SQL string
predicates and columns, argument errors, join forms, empty and EXPLAIN output, Parquet compression
checks, the Arrow stream's requested schema and the HTML formatter's styles and memory budget."""

from __future__ import annotations

import ctypes
import re
import warnings

import pyarrow as pa
import pytest

import fuseplug
from fuseplug import SessionContext, Window, WindowFrame, col, lit
from fuseplug import functions as f
from fuseplug.dataframe_formatter import (
    DataFrameHtmlFormatter,
    configure_formatter,
    reset_formatter,
)
from fuseplug.exceptions import NotSupportedError, SchemaError
from fuseplug.expr import EXPR_TYPE_ERROR, ensure_expr


@pytest.fixture
def ctx() -> SessionContext:
    return SessionContext()


@pytest.fixture
def df(ctx: SessionContext) -> fuseplug.DataFrame:
    return ctx.from_pydict({"a": [1, 2, 3], "b": [4, 5, 6], "c": [8, 5, 8]})


@pytest.fixture
def formatter_reset():
    reset_formatter()
    yield
    reset_formatter()


# Expr ---------------------------------------------------------------------------------------------


def test_str_and_repr_of_an_expr_are_the_official_form() -> None:
    assert str(lit(1) + lit(2)) == repr(lit(1) + lit(2)) == "Expr(Int64(1) + Int64(2))"
    assert (col("a") + lit(2)).canonical_name() == "a + Int64(2)"


def test_ensure_expr_returns_the_compiled_expr() -> None:
    e = col("a")
    assert ensure_expr(e) is e.expr
    with pytest.raises(TypeError, match=re.escape(EXPR_TYPE_ERROR)):
        ensure_expr("a")


def test_case_with_literal_results_of_two_types_fails_and_keeps_the_builder() -> None:
    builder = f.when(lit(True), lit(1))
    with pytest.raises(fuseplug.exceptions.PlanError, match="multiple data types"):
        builder.otherwise(lit("bad"))
    # the failed otherwise() left the builder usable
    assert fuseplug.SessionContext().from_pydict({"x": [1]}).select(
        builder.end().alias("r")
    ).to_pydict() == {"r": [1]}


def test_window_frame_units_are_checked() -> None:
    with pytest.raises(NotSupportedError, match="invalid-units"):
        WindowFrame("invalid-units", 0, None)
    # unbounded GROUPS frames work, as in SQL
    WindowFrame("groups", None, 0)


def test_window_partition_by_takes_column_names(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [0, 1, 2, 3], "c": ["A", "A", "B", "B"]})
    expr = f.first_value(col("a")).over(Window(partition_by="c", order_by=col("a")))
    result = df.select(col("a"), expr.alias("fv")).sort("a").to_pydict()
    assert result["fv"] == [0, 0, 2, 2]


# SQL strings and argument checks -------------------------------------------------------------------


def test_filter_takes_sql_strings_and_nothing(df: fuseplug.DataFrame) -> None:
    assert df.filter("a > 1", col("b") != lit(6)).to_pydict() == {"a": [2], "b": [5], "c": [5]}
    assert df.filter("a > 1", "b < 6").to_pydict() == {"a": [2], "b": [5], "c": [5]}
    assert df.filter() is df and df.filter().df is df.df


def test_with_column_and_with_columns_take_sql_strings(df: fuseplug.DataFrame) -> None:
    assert df.with_column("d", "a + b").to_pydict()["d"] == [5, 7, 9]
    out = df.with_columns("a + b as d", ["a * 2 as e"], f="c - 1")
    assert out.schema().names == ["a", "b", "c", "d", "e", "f"]
    assert out.to_pydict()["e"] == [2, 4, 6] and out.to_pydict()["f"] == [7, 4, 7]


def test_non_expressions_are_type_errors(df: fuseplug.DataFrame) -> None:
    expected = f"Expected Expr or column name, found: int. {EXPR_TYPE_ERROR}"
    with pytest.raises(TypeError, match=re.escape(expected)):
        df.select(1)
    with pytest.raises(TypeError, match=re.escape(expected)):
        df.sort(1)
    with pytest.raises(TypeError, match=re.escape(EXPR_TYPE_ERROR)):
        df.aggregate([], "a")
    with pytest.raises(TypeError, match=re.escape(EXPR_TYPE_ERROR)):
        df.join_on(df, "a")
    with pytest.raises(TypeError, match="indexed by string index or indices"):
        df[1]
    assert df["a", "b"].schema().names == ["a", "b"]


def test_join_forms(ctx: SessionContext) -> None:
    left = ctx.from_pydict({"a": [1, 2, 3], "b": [4, 5, 6]})
    right = ctx.from_pydict({"a": [1, 2], "c": [8, 10]})
    expected = {"a": [1, 2], "b": [4, 5], "c": [8, 10]}
    assert left.join(right, (["a"], ["a"])).sort("a").to_pydict() == expected
    with pytest.deprecated_call():
        joined = left.join(right, join_keys=(["a"], ["a"]))
    assert joined.sort("a").to_pydict() == expected
    with pytest.raises(ValueError, match="should not provided with `on`"):
        left.join(right, on="a", right_on="a")
    with pytest.raises(ValueError, match="should both be provided"):
        left.join(right, left_on="a")
    with pytest.raises(ValueError, match="either `on` or `left_on` and `right_on`"):
        left.join(right)


# display -------------------------------------------------------------------------------------------


def test_show_says_when_there_are_no_rows(df: fuseplug.DataFrame, capsys) -> None:
    df.filter(col("a") > lit(3)).show()
    assert capsys.readouterr().out == "DataFrame has no rows\n"
    df.show()
    assert "| 1 | 4 | 8 |" in capsys.readouterr().out


def test_explain_output_can_be_shown(ctx: SessionContext, capsys) -> None:
    ctx.sql("explain select 1").show()
    assert "1 as Int64(1)" in capsys.readouterr().out
    ctx.sql("explain analyze select 1").show()
    assert "1 as Int64(1)" in capsys.readouterr().out


def test_explain_prints_the_plans_as_a_table(df: fuseplug.DataFrame, capsys) -> None:
    df.explain(format="pgjson")
    out = capsys.readouterr().out
    assert out.startswith("DataFrame()\n+") and "| plan_type " in out and '"Plan"' in out


def test_show_of_an_empty_batch_has_the_header(ctx: SessionContext, capsys) -> None:
    batch = pa.record_batch([pa.array([], pa.int32())], ["a"])
    ctx.create_dataframe([[batch]]).show()
    assert "| a |" in capsys.readouterr().out


def test_empty_batches_are_collected(ctx: SessionContext) -> None:
    batch = pa.record_batch([pa.array([], pa.int64()), pa.array([], pa.string())], ["a", "b"])
    [result] = ctx.create_dataframe([[batch]]).fill_null(0).collect()
    assert result.num_rows == 0 and result.schema.names == ["a", "b"]


def test_styles_never_come_as_a_style_element(df: fuseplug.DataFrame, formatter_reset) -> None:
    for shared in (True, False):
        configure_formatter(use_shared_styles=shared)
        markup = df._repr_html_()
        assert "df-styles" in markup and "<script>" in markup and "<style>" not in markup


def test_repr_rows_warning_and_conflict() -> None:
    with pytest.warns(DeprecationWarning, match="repr_rows parameter is deprecated"):
        assert DataFrameHtmlFormatter(repr_rows=15, min_rows=10).max_rows == 15
    with (
        pytest.raises(ValueError, match="Cannot specify both repr_rows and max_rows"),
        pytest.warns(DeprecationWarning, match="repr_rows parameter is deprecated"),
    ):
        DataFrameHtmlFormatter(repr_rows=5, max_rows=10)


def test_memory_budget_counts_the_buffers_a_kept_batch_holds(
    ctx: SessionContext, formatter_reset
) -> None:
    # each 10,000-row batch reaches the display as a copy of 8,192 rows and a slice of the rest,
    # which holds all of its parent's buffers: 100,000 rows hold more than 3 MB
    batches = [
        pa.record_batch({"a": list(range(i, i + 10_000)), "b": [f"s-{n}" for n in range(10_000)]})
        for i in range(0, 100_000, 10_000)
    ]
    ctx.register_record_batches("many", [batches])
    configure_formatter(max_memory_bytes=100 * 1024 * 1024, min_rows=1, max_rows=200_000)
    everything = ctx.table("many")._repr_html_().count("<tr")
    configure_formatter(max_memory_bytes=2 * 1024 * 1024, min_rows=1, max_rows=200_000)
    limited = ctx.table("many")._repr_html_()
    assert everything == 100_001
    assert 2 <= limited.count("<tr") < everything and "Data truncated" in limited


# writing and exporting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("compression", "level"), [("gzip", 12), ("brotli", 15), ("zstd", 23), ("snappy", 1)]
)
def test_bad_compression_level_is_a_value_error_before_writing(
    df: fuseplug.DataFrame, tmp_path, compression: str, level: int
) -> None:
    target = tmp_path / "out"
    with pytest.raises(ValueError, match="compression"):
        df.write_parquet(str(target), compression=compression, compression_level=level)
    assert not target.exists()


def test_unknown_compression_is_a_value_error(df: fuseplug.DataFrame, tmp_path) -> None:
    with pytest.raises(ValueError, match="not a valid Compression"):
        df.write_parquet(str(tmp_path / "out"), compression="wrong")


def _schema_capsule(schema: pa.Schema) -> object:
    return schema.__arrow_c_schema__()


def test_requested_schema_is_projected_and_null_filled(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1, 2], "b": [3, 4], "c": [5, 6]})
    requested = pa.schema([("c", pa.int64()), ("a", pa.int64())])
    reader = pa.RecordBatchReader.from_stream(df, schema=requested)
    assert reader.schema == requested
    assert reader.read_all().to_pydict() == {"c": [5, 6], "a": [1, 2]}
    missing = pa.table(df, schema=pa.schema([("g", pa.string())]))
    assert missing.to_pydict() == {"g": [None, None]}
    # the capsule the protocol passes works the same as a schema object
    capsule = df.__arrow_c_stream__(_schema_capsule(requested))
    assert pa.RecordBatchReader._import_from_c_capsule(capsule).schema == requested


def test_requested_schema_with_another_type_fails(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1, 2]})
    with pytest.raises(SchemaError, match="Fail to merge schema"):
        df.__arrow_c_stream__(_schema_capsule(pa.schema([("a", pa.string())])))
    with pytest.raises(TypeError, match="arrow_schema"):
        wrong = ctypes.pythonapi.PyCapsule_New
        wrong.restype = ctypes.py_object
        wrong.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        df.__arrow_c_stream__(wrong(ctypes.c_void_p(1), b"not_a_schema", None))


def test_no_warnings_from_plain_joins(ctx: SessionContext) -> None:
    left = ctx.from_pydict({"a": [1]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        left.join(ctx.from_pydict({"a": [1]}), on="a").collect()
