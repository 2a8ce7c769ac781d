"""Call shapes written for the official bindings: positional orders, parameter names, module-level
helpers and modules under their official names."""

from __future__ import annotations

import enum
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fuseplug
from fuseplug import SessionConfig, SessionContext, col, lit
from fuseplug import functions as f
from fuseplug.exceptions import FuseplugError, NotSupportedError


def test_module_level_readers_use_the_global_context(data_dir: Path) -> None:
    pq.write_table(pa.table({"a": [1, 2]}), data_dir / "t.parquet")
    (data_dir / "t.csv").write_text("a,b\n1,x\n2,y\n")
    (data_dir / "t.json").write_text('{"a": 1}\n{"a": 3}\n')
    assert fuseplug.read_parquet(data_dir / "t.parquet").count() == 2
    assert fuseplug.read_csv(data_dir / "t.csv").to_pydict() == {"a": [1, 2], "b": ["x", "y"]}
    assert fuseplug.io.read_json(data_dir / "t.json").to_pydict() == {"a": [1, 3]}
    # the global context is the one unpickled plans decode on
    assert fuseplug.SessionContext.global_ctx() is fuseplug.SessionContext.global_ctx()


def test_literal_helpers() -> None:
    ctx = SessionContext()
    out = ctx.from_pydict({"x": [1]}).select(
        fuseplug.str_lit("s").alias("a"),
        fuseplug.string_literal("t").alias("b"),
        fuseplug.lit_with_metadata(5, {"unit": "m"}).alias("c"),
    )
    assert out.to_pydict() == {"a": ["s"], "b": ["t"], "c": [5]}
    assert out.schema().field("c").metadata == {b"unit": b"m"}
    assert fuseplug.literal_with_metadata is fuseplug.lit_with_metadata
    aliased = ctx.from_pydict({"x": [1]}).select(col("x").alias("y", metadata={"k": "v"}))
    assert aliased.schema().field("y").metadata == {b"k": b"v"}
    assert f.alias(col("x"), "z").canonical_name().endswith("AS z")


def test_modules_under_official_names() -> None:
    from fuseplug.record_batch import RecordBatch, RecordBatchStream
    from fuseplug.user_defined import ScalarUDF, udf

    assert RecordBatch is fuseplug.RecordBatch and RecordBatchStream is fuseplug.RecordBatchStream
    assert ScalarUDF is fuseplug.ScalarUDF and udf is fuseplug.udf
    double = fuseplug.ScalarUDF.udf(lambda a: pa.compute.multiply(a, 2), [pa.int64()], pa.int64())
    assert isinstance(double, fuseplug.ScalarUDF)
    assert fuseplug.AggregateUDF.udaf is not None and fuseplug.WindowUDF.udwf is not None


def test_positional_orders_of_the_official_bindings(ctx: SessionContext, data_dir: Path) -> None:
    # from_pydict(data, name): the second positional argument is the name, as there
    ctx.from_pydict({"a": [1]}, "named")
    assert ctx.table("named").to_pydict() == {"a": [1]}
    ctx.from_pylist([{"a": 2}], "listed")
    assert ctx.table("listed").to_pydict() == {"a": [2]}
    empty = ctx.create_dataframe([[]], "empty", pa.schema([("a", pa.int64())]))
    assert empty.count() == 0 and ctx.table_exist("empty")
    # read_csv(path, schema, has_header, delimiter, max_records, extension, partition cols, ...)
    (data_dir / "x.csv").write_text("a;b\n1;2\n")
    assert ctx.read_csv(data_dir / "x.csv", None, True, ";").to_pydict() == {"a": [1], "b": [2]}


def test_renamed_parameters(ctx: SessionContext) -> None:
    config = (
        SessionConfig().with_batch_size(batch_size=512).with_target_partitions(target_partitions=3)
    )
    assert config.get("datafusion.execution.batch_size") == "512"
    assert config.get("datafusion.execution.target_partitions") == "3"
    pruned = SessionConfig().with_parquet_pruning(False).with_repartition_file_min_size(size=1)
    assert pruned.get("datafusion.execution.parquet.pruning") == "false"
    assert pruned.get("datafusion.optimizer.repartition_file_min_size") == "1"
    df = ctx.from_pydict({"g": ["a", "a", "b"], "x": [1, 2, 3]})
    assert df.sort(col("x").sort(ascending=False)).to_pydict()["x"] == [3, 2, 1]
    assert df.with_columns(y=col("x") + lit(1)).select("y").to_pydict() == {"y": [2, 3, 4]}
    one = ctx.from_pydict({"a": [1], "b": [2]})
    other = ctx.from_pydict({"b": [2], "a": [1]})
    assert one.union_by_name(other).count() == 2
    assert one.union_by_name(other, distinct=True).count() == 1


def test_builder_keywords_and_null_treatment_enum(ctx: SessionContext) -> None:
    class NullTreatment(enum.Enum):  # the shape of datafusion.common.NullTreatment
        IGNORE_NULLS = "IGNORE_NULLS"
        RESPECT_NULLS = "RESPECT_NULLS"

    df = ctx.from_pydict({"x": [None, 2, 3]})
    first = (
        f.first_value(col("x"))
        .order_by(col("x").sort(nulls_first=True))
        .null_treatment(null_treatment=NullTreatment.IGNORE_NULLS)
        .build()
    )
    assert df.aggregate([], [first.alias("v")]).to_pydict() == {"v": [2]}
    respected = f.first_value(
        col("x"),
        order_by=[col("x").sort(nulls_first=True)],
        null_treatment=NullTreatment.RESPECT_NULLS,
    )
    assert df.aggregate([], [respected.alias("v")]).to_pydict() == {"v": [None]}
    filtered = f.sum(col("x")).filter(filter=col("x") > lit(2)).build()
    assert df.aggregate([], [filtered.alias("s")]).to_pydict() == {"s": [3]}
    with pytest.raises(ValueError, match="null_treatment must be"):
        f.first_value(col("x")).null_treatment("sometimes")


def test_write_options_and_write_table(ctx: SessionContext, data_dir: Path) -> None:
    from fuseplug import DataFrameWriteOptions, InsertOp

    df = ctx.from_pydict({"g": ["a", "b", "a"], "x": [3, 1, 2]})
    out = data_dir / "parts"
    df.write_parquet(out, write_options=DataFrameWriteOptions(partition_by="g"))
    assert sorted(p.name for p in out.iterdir()) == ["g=a", "g=b"]
    single = data_dir / "sorted.csv"
    df.write_csv(
        single,
        True,
        DataFrameWriteOptions(single_file_output=True, sort_by=col("x").sort()),
    )
    assert single.read_text().splitlines() == ["g,x", "b,1", "a,2", "a,3"]
    # write_table appends to a registered table, or overwrites it
    ctx.sql("CREATE TABLE target (g VARCHAR, x BIGINT)")
    df.write_table("target")
    df.write_table("target", DataFrameWriteOptions(insert_operation=InsertOp.APPEND))
    assert ctx.table("target").count() == 6
    # DataFusion's in-memory tables cannot be overwritten: a clear NotSupportedError, rows kept
    with pytest.raises(NotSupportedError, match="Overwrite"):
        df.write_table("target", DataFrameWriteOptions(insert_operation=InsertOp.OVERWRITE))
    assert ctx.table("target").count() == 6
    with pytest.raises(FuseplugError):
        df.write_table("no_such_table")


def test_explain_formats(ctx: SessionContext, capsys: pytest.CaptureFixture[str]) -> None:
    from fuseplug import ExplainFormat

    df = ctx.from_pydict({"a": [1, 2]}).filter(col("a") > lit(1))
    df.explain(format=ExplainFormat.TREE)
    tree = capsys.readouterr().out
    assert "FilterExec" in tree and "┌" in tree  # the tree format draws boxes
    df.explain(format="pgjson")
    assert '"Plan"' in capsys.readouterr().out
    df.explain()
    assert "FilterExec: a@0 > 1" in capsys.readouterr().out
    with pytest.raises(ValueError, match="show_statistics cannot be combined"):
        df.explain(analyze=True, show_statistics=True)
    with pytest.raises(FuseplugError, match="nope"):
        df.explain(format="nope")


def test_explain_analyze_level_and_categories(
    ctx: SessionContext, capsys: pytest.CaptureFixture[str]
) -> None:
    from fuseplug.dataframe import ExplainAnalyzeLevel, ExplainMetricCategory

    df = ctx.from_pydict({"a": list(range(100))}).filter(col("a") > lit(10))
    df.explain(analyze=True, analyze_categories=[ExplainMetricCategory.ROWS])
    rows_only = capsys.readouterr().out
    assert "output_rows=89" in rows_only and "elapsed_compute" not in rows_only
    df.explain(analyze=True, analyze_categories=[ExplainMetricCategory.TIMING])
    timing_only = capsys.readouterr().out
    assert "elapsed_compute" in timing_only and "output_rows" not in timing_only
    df.explain(analyze=True, analyze_categories=[])
    assert "output_rows" not in capsys.readouterr().out
    df.explain(analyze=True, analyze_level=ExplainAnalyzeLevel.DEV)
    dev = capsys.readouterr().out
    df.explain(analyze=True, analyze_level=ExplainAnalyzeLevel.SUMMARY)
    summary = capsys.readouterr().out
    assert "output_rows=89" in summary and len(summary) < len(dev)
    with pytest.raises(ValueError, match="need analyze=True"):
        df.explain(analyze_level=ExplainAnalyzeLevel.DEV)
    with pytest.raises(ValueError, match="ExplainMetricCategory"):
        df.explain(analyze=True, analyze_categories=["nope"])  # type: ignore[list-item]


def test_parquet_writer_options(ctx: SessionContext, data_dir: Path) -> None:
    from fuseplug import ParquetColumnOptions, ParquetWriterOptions

    df = ctx.from_pydict({"a": list(range(1000)), "s": [f"v{i % 7}" for i in range(1000)]})
    options = ParquetWriterOptions(
        compression="snappy",
        max_row_group_size=300,
        created_by="fuseplug-test",
        column_specific_options={"s": ParquetColumnOptions(compression="zstd(5)")},
    )
    path = data_dir / "opts.parquet"
    df.write_parquet_with_options(path, options)
    meta = pq.ParquetFile(path).metadata
    assert meta.num_rows == 1000 and meta.num_row_groups == 4
    assert meta.created_by == "fuseplug-test"
    group = meta.row_group(0)
    assert group.column(0).compression == "SNAPPY" and group.column(1).compression == "ZSTD"
    # the same through write_parquet, as the official bindings allow
    other = data_dir / "again.parquet"
    df.write_parquet(other, ParquetWriterOptions(compression="gzip", compression_level=4))
    assert pq.ParquetFile(other).metadata.row_group(0).column(0).compression == "GZIP"
    with pytest.raises(ValueError, match="compression_level must be None"):
        df.write_parquet(other, ParquetWriterOptions(), 3)
    with pytest.raises(FuseplugError):
        df.write_parquet_with_options(other, ParquetWriterOptions(writer_version="9.9"))
