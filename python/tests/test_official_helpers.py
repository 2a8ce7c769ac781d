"""The small names of the official modules: enums, conversion helpers, ``col`` by attribute, window
frame bounds and the official keyword names of the CASE builder."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fuseplug import SessionContext, TableFunction, col, lit, udf, udtf
from fuseplug import functions as f
from fuseplug.context import DEFAULT_MAX_INFER_SCHEMA, sort_list_to_raw_sort_list
from fuseplug.dataframe import Compression, expr_list_to_raw_expr_list
from fuseplug.expr import WindowFrame, WindowFrameBound
from fuseplug.user_defined import (
    Volatility,
    data_type_or_field_to_field,
    data_types_or_fields_to_field_list,
)


def test_volatility_enum_is_accepted_by_udf() -> None:
    ctx = SessionContext()
    plus = udf(lambda a: pa.compute.add(a, 1), [pa.int64()], pa.int64(), Volatility.Volatile)
    assert ctx.from_pydict({"x": [1, 2]}).select(plus(col("x")).alias("y")).to_pydict() == {
        "y": [2, 3]
    }
    assert [v.value for v in Volatility] == ["immutable", "stable", "volatile"]


def test_compression(tmp_path: Path) -> None:
    assert Compression.from_str("ZSTD") is Compression.ZSTD
    assert [c.get_default_level() for c in (Compression.GZIP, Compression.ZSTD)] == [6, 4]
    assert Compression.SNAPPY.get_default_level() is None
    with pytest.raises(ValueError, match="nope is not a valid Compression"):
        Compression.from_str("nope")
    df = SessionContext().from_pydict({"a": list(range(100))})
    df.write_parquet(tmp_path / "out.parquet", compression=Compression.GZIP)
    assert (
        pq.ParquetFile(tmp_path / "out.parquet").metadata.row_group(0).column(0).compression
        == "GZIP"
    )


def test_raw_list_helpers() -> None:
    assert expr_list_to_raw_expr_list(None) is None
    assert [str(e) for e in expr_list_to_raw_expr_list(["a", col("b") + lit(1)])] == [
        "a",
        "b + Int64(1)",
    ]
    (key,) = sort_list_to_raw_sort_list("a")  # a bare name sorts ascending, nulls last
    assert (key.expr().canonical_name(), key.ascending(), key.nulls_first()) == ("a", True, False)
    assert sort_list_to_raw_sort_list(None) is None
    assert DEFAULT_MAX_INFER_SCHEMA == 1000


def test_field_helpers() -> None:
    field = pa.field("x", pa.int8())
    assert data_type_or_field_to_field(field, "ignored") is field
    assert data_type_or_field_to_field(pa.int8(), "y") == pa.field("y", pa.int8())
    assert data_types_or_fields_to_field_list(pa.utf8()) == [pa.field("value", pa.utf8())]
    assert data_types_or_fields_to_field_list([pa.int8(), field]) == [
        pa.field("value_0", pa.int8()),
        field,
    ]


def test_col_by_attribute_and_by_call() -> None:
    ctx = SessionContext()
    df = ctx.from_pydict({"price": [1, 2]})
    assert df.select(col.price * 2).to_pydict() == df.select(col("price") * 2).to_pydict()
    assert (
        f.col(name="price").canonical_name() == "price"
    )  # the functions module's form takes `name`
    with pytest.raises(AttributeError):
        col.__wrapped__  # noqa: B018  (dunder probes are not columns)


def test_table_function_udtf_is_udtf() -> None:
    assert TableFunction.udtf is udtf  # type: ignore[attr-defined]


def test_window_frame_bounds() -> None:
    frame = WindowFrame("rows", 2, None)
    assert frame.get_frame_units() == "ROWS"
    lower, upper = frame.get_lower_bound(), frame.get_upper_bound()
    assert (lower.is_preceding(), lower.get_offset(), lower.is_unbounded()) == (True, 2, False)
    assert (upper.is_following(), upper.get_offset(), upper.is_unbounded()) == (True, None, True)
    current = WindowFrameBound("current_row")
    assert current.is_current_row() and not current.is_unbounded()
    with pytest.raises(ValueError, match="unknown window frame bound"):
        WindowFrameBound("sideways")


def test_case_builder_takes_the_official_keywords() -> None:
    ctx = SessionContext()
    case = f.case(col("a")).when(when_expr=lit(1), then_expr=lit("one"))
    expr = case.otherwise(else_expr=lit("other")).alias("c")
    assert ctx.from_pydict({"a": [1, 2]}).select(expr).to_pydict() == {"c": ["one", "other"]}
