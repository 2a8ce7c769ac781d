"""fuseplug.exceptions: each kind of failure raises its own class with a useful message."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import fuseplug
from fuseplug import RuntimeEnvBuilder, SessionConfig, SessionContext, col, lit
from fuseplug import exceptions as exc
from fuseplug.exceptions import (
    DataFusionError,
    ExecutionError,
    FuseplugError,
    IncompatiblePluginError,
    InputOutputError,
    InternalError,
    NotSupportedError,
    PlanError,
    PluginCapsuleError,
    PluginError,
    ResourcesExhaustedError,
    SchemaError,
    SQLError,
)

ALL_CLASSES = [
    SQLError,
    PlanError,
    SchemaError,
    ExecutionError,
    ResourcesExhaustedError,
    InputOutputError,
    NotSupportedError,
    InternalError,
    PluginError,
    PluginCapsuleError,
    IncompatiblePluginError,
]


# The hierarchy


def test_datafusion_error_is_an_alias() -> None:
    assert DataFusionError is FuseplugError
    assert issubclass(FuseplugError, Exception)


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_every_class_derives_from_fuseplug_error(cls: type[Exception]) -> None:
    assert issubclass(cls, FuseplugError)
    assert getattr(exc, cls.__name__) is cls


def test_builtin_bases() -> None:
    assert issubclass(ResourcesExhaustedError, MemoryError)
    assert issubclass(InputOutputError, OSError)
    assert issubclass(IncompatiblePluginError, PluginError)
    assert issubclass(PluginCapsuleError, PluginError) and issubclass(
        PluginCapsuleError, ValueError
    )


def test_exceptions_reachable_from_package() -> None:
    assert fuseplug.exceptions.PlanError is PlanError


def test_exception_message_round_trip() -> None:
    err = PlanError("table 'x' not found")
    assert str(err) == "table 'x' not found"
    with pytest.raises(FuseplugError, match="not found"):
        raise err


# SQL text


def test_parse_error_is_sql_error(ctx: SessionContext) -> None:
    with pytest.raises(SQLError, match="SELEC"):
        ctx.sql("SELEC 1")


def test_unbalanced_parenthesis_is_sql_error(ctx: SessionContext) -> None:
    with pytest.raises(SQLError, match=r"\)|end of statement|EOF"):
        ctx.sql("SELECT (1 + 2")


# Planning


def test_unknown_table_is_plan_error(ctx: SessionContext) -> None:
    with pytest.raises(PlanError, match="no_such_table"):
        ctx.sql("SELECT * FROM no_such_table").collect()


def test_table_lookup_of_unknown_name_is_key_error(ctx: SessionContext) -> None:
    # a lookup by name, as in the official bindings; a query naming it is a plan error
    with pytest.raises(KeyError, match="missing_t"):
        ctx.table("missing_t")
    with pytest.raises(PlanError, match="missing_t"):
        ctx.sql("SELECT * FROM missing_t")


def test_unknown_function_is_plan_error(ctx: SessionContext) -> None:
    with pytest.raises(PlanError, match="no_such_function"):
        ctx.sql("SELECT no_such_function(1)").collect()


def test_wrong_argument_count_is_plan_error(ctx: SessionContext) -> None:
    with pytest.raises(PlanError, match="abs"):
        ctx.sql("SELECT abs(1, 2, 3)").collect()


def test_show_without_information_schema_is_plan_error() -> None:
    ctx = SessionContext(SessionConfig().with_information_schema(False))
    with pytest.raises(PlanError, match="information_schema"):
        ctx.sql("SHOW TABLES").collect()


def test_creating_existing_table_is_an_error(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE dup AS SELECT 1 AS x")
    with pytest.raises(ExecutionError, match=r"dup.*already exists"):
        ctx.sql("CREATE TABLE dup AS SELECT 2 AS x")


# Schema


def test_unknown_column_in_select_is_schema_error(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1]})
    with pytest.raises(SchemaError, match="no_such_col"):
        df.select(col("no_such_col")).collect()


def test_unknown_column_in_sql_is_schema_error(ctx: SessionContext) -> None:
    ctx.from_pydict({"a": [1]}, name="t")
    with pytest.raises(SchemaError, match="zzz"):
        ctx.sql("SELECT zzz FROM t").collect()


def test_unknown_column_in_filter_is_schema_error(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1]})
    with pytest.raises(SchemaError, match="ghost"):
        df.filter(col("ghost") > lit(0)).collect()


def test_ambiguous_column_is_schema_error(ctx: SessionContext) -> None:
    ctx.from_pydict({"k": [1], "v": [1]}, name="l")
    ctx.from_pydict({"k": [1], "v": [2]}, name="r")
    with pytest.raises(SchemaError, match="v"):
        ctx.sql("SELECT v FROM l JOIN r ON l.k = r.k").collect()


# Execution


def test_execution_error_from_function(ctx: SessionContext) -> None:
    with pytest.raises(ExecutionError, match="granularity"):
        ctx.sql("SELECT date_trunc('fortnight', now())").collect()


def test_execution_error_out_of_range(ctx: SessionContext) -> None:
    with pytest.raises(ExecutionError, match="13"):
        ctx.sql("SELECT make_date(2024, 13, 1)").collect()


def test_bad_cast_is_execution_error(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"s": ["12", "abc"]})
    with pytest.raises(ExecutionError, match="abc"):
        df.select(col("s").cast(pa.int64())).collect()


def test_division_by_zero_is_execution_error(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1], "b": [0]})
    with pytest.raises(ExecutionError, match=r"[Dd]ivide by zero"):
        df.select(col("a") / col("b")).collect()


# Resources


def test_memory_limit_raises_resources_exhausted() -> None:
    runtime = RuntimeEnvBuilder().with_greedy_memory_pool(1_000_000).with_disk_manager_disabled()
    ctx = SessionContext(SessionConfig().with_target_partitions(2), runtime)
    query = "SELECT value, value * 2 AS w FROM range(2000000) ORDER BY value DESC"
    with pytest.raises(ResourcesExhaustedError, match=r"[Rr]esources exhausted|[Mm]emory") as info:
        ctx.sql(query).collect()
    assert isinstance(info.value, MemoryError)


def test_aggregate_over_memory_limit() -> None:
    runtime = RuntimeEnvBuilder().with_greedy_memory_pool(1_000_000).with_disk_manager_disabled()
    ctx = SessionContext(SessionConfig().with_target_partitions(2), runtime)
    query = "SELECT value % 500000 AS k, count(*) AS n FROM range(2000000) GROUP BY 1"
    with pytest.raises(MemoryError):
        ctx.sql(query).collect()


# Files


def test_missing_file_is_input_output_error(ctx: SessionContext, tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    with pytest.raises(InputOutputError, match=r"nope.parquet") as info:
        ctx.read_parquet(str(missing)).collect()
    assert isinstance(info.value, OSError)


def test_missing_csv_is_input_output_error(ctx: SessionContext, tmp_path: Path) -> None:
    with pytest.raises(OSError, match=r"gone.csv"):
        ctx.read_csv(str(tmp_path / "gone.csv")).collect()


def test_write_into_unusable_directory_is_input_output_error(
    ctx: SessionContext, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a directory should be")
    with pytest.raises(InputOutputError, match="blocker") as info:
        ctx.sql("SELECT 1 AS a").write_parquet(str(blocker / "out.parquet"))
    assert isinstance(info.value, OSError)


def test_corrupt_parquet_is_an_error(ctx: SessionContext, tmp_path: Path) -> None:
    path = tmp_path / "garbage.parquet"
    path.write_bytes(b"this is not parquet at all" * 10)
    with pytest.raises(InputOutputError, match=r"[Pp]arquet|magic|footer"):
        ctx.read_parquet(str(path)).collect()


# Unsupported features


def test_unsupported_sql_is_not_supported_error(ctx: SessionContext) -> None:
    ctx.sql("CREATE TABLE t (a INT)")
    with pytest.raises(NotSupportedError, match=r"CreateIndex|CREATE INDEX") as info:
        ctx.sql("CREATE INDEX idx ON t (a)").collect()
    assert isinstance(info.value, NotImplementedError)


# Wrong argument types


def test_sql_with_non_string_is_type_error(ctx: SessionContext) -> None:
    with pytest.raises(TypeError, match=r"^sql\(\) needs a str, got int$"):
        ctx.sql(123)  # type: ignore[arg-type]


def test_filter_with_non_expr_is_type_error(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1]})
    with pytest.raises(TypeError, match=r"^Use col\(\)/column\(\) or lit\(\)/literal\(\)"):
        df.filter(object())  # type: ignore[arg-type]


def test_limit_with_string_is_type_error(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1]})
    with pytest.raises(TypeError, match=r"'str' object cannot be interpreted as an integer"):
        df.limit("ten")  # type: ignore[arg-type]


def test_join_with_non_dataframe_is_type_error(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1]})
    with pytest.raises(TypeError, match=r"^expected a fuseplug DataFrame, got dict$"):
        df.join({"a": [1]}, on="a")  # type: ignore[arg-type]


def test_register_record_batches_with_wrong_shape_is_type_error(ctx: SessionContext) -> None:
    with pytest.raises(TypeError, match=r"'int' object is not an instance of 'Sequence'"):
        ctx.register_record_batches("t", [1, 2, 3])  # type: ignore[list-item]


def test_from_arrow_with_plain_object_is_type_error(ctx: SessionContext) -> None:
    with pytest.raises(
        TypeError,
        match=r"^expected an object exporting __arrow_c_stream__ or __arrow_c_array__, got object$",
    ):
        ctx.from_arrow(object())


def test_cast_with_bad_type_is_type_error() -> None:
    with pytest.raises(
        TypeError, match=r"^cast target must be a pyarrow DataType .*, not 'int64'$"
    ):
        col("a").cast("int64")  # type: ignore[arg-type]


def test_expr_has_no_truth_value() -> None:
    with pytest.raises(
        TypeError, match=r"^an Expr has no truth value: use & \| ~ instead of and/or/not"
    ):
        bool(col("a") > lit(1))


# Errors keep the session usable


def test_session_usable_after_errors(ctx: SessionContext) -> None:
    for bad in ("SELEC", "SELECT * FROM nowhere", "SELECT nofn()"):
        with pytest.raises(FuseplugError):
            ctx.sql(bad).collect()
    assert ctx.sql("SELECT 1 AS ok").to_pydict() == {"ok": [1]}
