"""The official bindings' behaviour of user-defined functions, executed plans and plan equality:
default window UDF names, table-function arguments as expressions and the ``with_session``
injection, scalar UDFs over pyarrow Fields (nullability, extension types), the metrics of the plan a
DataFrame ran, the inline UDF frame of a pickled expression, and ``LogicalPlan`` equality."""

from __future__ import annotations

import datetime
import pickle
import sys
import uuid
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from fuseplug import (
    DataFrame,
    Expr,
    LogicalPlan,
    ScalarUDF,
    SessionContext,
    WindowEvaluator,
    WindowFrame,
    col,
    udf,
    udtf,
    udwf,
)
from fuseplug.exceptions import ExecutionError, SerializationError
from fuseplug.user_defined import TableFunction


class Counter(WindowEvaluator):
    def __init__(self, base: int = 0) -> None:
        self.base = base

    def evaluate_all(self, values: list[pa.Array], num_rows: int) -> pa.Array:
        return pa.array(range(self.base, self.base + num_rows), pa.int64())


# window UDFs -------------------------------------------------------------------------------------

# at module level a lambda's qualified name is just "<lambda>"
MODULE_LAMBDA = udwf(lambda: Counter(10), pa.int64(), pa.int64(), "immutable")


def test_a_module_level_lambda_window_udf_is_named_lambda() -> None:
    assert MODULE_LAMBDA.name == "<lambda>"
    df = SessionContext().from_pydict({"a": [7, 8, 9]})
    call = MODULE_LAMBDA(col("a")).window_frame(WindowFrame("rows", None, None)).build()
    assert df.select(call.alias("n")).to_pydict() == {"n": [10, 11, 12]}


def test_a_window_udf_factory_must_make_window_evaluators() -> None:
    class NotAnEvaluator:
        def evaluate_all(self, values: list[pa.Array], num_rows: int) -> pa.Array:
            return pa.array([0] * num_rows)

    message = "`func` must implement the abstract base class WindowEvaluator"
    with pytest.raises(TypeError, match=message):
        udwf(NotAnEvaluator, pa.int64(), pa.int64(), "immutable")
    # a factory is called once to check what it makes
    made: list[object] = []

    def factory() -> object:
        made.append(NotAnEvaluator())
        return made[-1]

    with pytest.raises(TypeError, match=message):
        udwf(factory, pa.int64(), pa.int64(), "immutable", name="f")
    assert len(made) == 1


# table functions ---------------------------------------------------------------------------------


def test_table_function_arguments_arrive_as_simplified_expressions() -> None:
    seen: list[Expr] = []

    @udtf("echo")
    def echo(*args: Expr) -> pa.Table:
        seen.extend(args)
        return pa.table({"n": [len(args)]})

    ctx = SessionContext()
    ctx.register_udtf(echo)
    assert ctx.sql("SELECT * FROM echo(5, 'x', 1 + 2)").to_pydict() == {"n": [3]}
    assert all(isinstance(a, Expr) for a in seen)
    assert [a.variant_name() for a in seen] == ["Literal"] * 3
    assert seen[0].to_variant().value_i64() == 5
    assert seen[1].to_variant().value_string() == "x"
    assert seen[2].to_variant().value_i64() == 3  # the planner folded 1 + 2


def test_with_session_passes_the_calling_session() -> None:
    ctx = SessionContext()
    ctx.from_pydict({"x": [1]}, name="base")
    sessions: list[SessionContext] = []

    class Tables:
        def __call__(self, n: Expr, *, session: SessionContext) -> pa.Table:
            sessions.append(session)
            names = sorted(session.catalog().schema().names())
            return pa.table({"name": names * n.to_variant().value_i64()})

    ctx.register_udtf(udtf(Tables(), "tables", with_session=True))
    assert ctx.sql("SELECT * FROM tables(2)").to_pydict() == {"name": ["base", "base"]}
    assert len(sessions) == 1 and isinstance(sessions[0], SessionContext)
    # the injected session shares the caller's catalogs
    sessions[0].from_pydict({"y": [2]}, name="made_inside")
    assert ctx.table("made_inside").to_pydict() == {"y": [2]}


def test_without_with_session_no_session_is_passed() -> None:
    def plain(*args: Expr, **kwargs: object) -> pa.Table:
        return pa.table({"kwargs": [len(kwargs)]})

    ctx = SessionContext()
    ctx.register_udtf(udtf(plain, "plain"))
    assert ctx.sql("SELECT * FROM plain()").to_pydict() == {"kwargs": [0]}


def test_with_session_is_refused_for_a_plugin_table_function() -> None:
    class Plugin:
        def __datafusion_table_function__(self, session: object) -> object:
            raise AssertionError("never exported")

    with pytest.raises(TypeError, match="FFI-exported table functions"):
        udtf(Plugin(), "p", with_session=True)
    with pytest.raises(TypeError, match="FFI-exported table functions"):
        TableFunction("p", Plugin(), with_session=True)


# scalar UDFs over fields -------------------------------------------------------------------------


def test_an_extension_type_reaches_the_udf_as_its_extension_array() -> None:
    @udf([pa.string()], pa.uuid(), "stable")
    def parse(text: pa.Array) -> pa.Array:
        return pa.array((uuid.UUID(s).bytes for s in text.to_pylist()), pa.uuid())

    seen: list[pa.DataType] = []

    @udf([pa.uuid()], pa.int64(), "stable")
    def version(ids: pa.Array) -> pa.Array:
        seen.append(ids.type)
        return pa.array([u.version for u in ids.to_pylist()], pa.int64())

    ctx = SessionContext()
    df = ctx.from_pydict({"s": [str(uuid.uuid4()), str(uuid.uuid1())]})
    ids = df.select(parse(col("s")).alias("u"))
    assert ids.schema().field("u").type == pa.uuid()
    assert ids.to_arrow_table().column("u").type == pa.uuid()
    assert ids.select(version(col("u")).alias("v")).to_pydict() == {"v": [4, 1]}
    assert seen == [pa.uuid()]


def test_the_return_field_sets_the_result_nullability() -> None:
    maybe = pa.field("maybe", pa.int64(), nullable=True)
    never = pa.field("never", pa.int64(), nullable=False)
    nullable_abs = udf([maybe], maybe, "immutable", name="nullable_abs")(pc.abs)
    strict_abs = udf([never], never, "immutable", name="strict_abs")(pc.abs)
    ctx = SessionContext()
    batch = pa.record_batch(
        {"maybe": pa.array([-2, None]), "never": pa.array([-1, 3])},
        schema=pa.schema([maybe, never]),
    )
    ctx.register_record_batches("t", [[batch]])
    df = ctx.table("t")
    assert df.select(nullable_abs(col("never"))).schema().field(0).nullable
    out = df.select(strict_abs(col("never")).alias("a"))
    assert not out.schema().field(0).nullable
    assert out.to_pydict() == {"a": [1, 3]}
    # a declared non-nullable result that holds nulls is refused when the batch is built
    bad = df.select(strict_abs(col("maybe")).alias("a"))
    with pytest.raises(ExecutionError, match="Invalid argument error"):
        bad.collect()


def test_fields_survive_the_inline_pickle() -> None:
    never = pa.field("never", pa.int64(), nullable=False)
    strict_abs = udf([never], never, "immutable", name="strict_abs")(pc.abs)
    restored = pickle.loads(pickle.dumps(strict_abs(col("x"))))
    out = SessionContext().from_pydict({"x": [-4]}).select(restored.alias("a"))
    assert not out.schema().field(0).nullable
    assert out.to_pydict() == {"a": [4]}


# the metrics of the plan that ran ----------------------------------------------------------------


def filtered(ctx: SessionContext) -> DataFrame:
    ctx.sql("CREATE TABLE t AS VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    return ctx.sql("SELECT * FROM t WHERE column1 > 1")


def output_rows(df: DataFrame) -> dict[str, int]:
    return {
        name.split(":")[0]: ms.output_rows
        for name, ms in df.execution_plan().collect_metrics()
        if ms.output_rows is not None
    }


@pytest.mark.parametrize(
    "run",
    [
        lambda df: df.collect(),
        lambda df: df.collect_partitioned(),
        lambda df: list(df.execute_stream()),
        lambda df: [list(s) for s in df.execute_stream_partitioned()],
    ],
    ids=["collect", "collect_partitioned", "execute_stream", "execute_stream_partitioned"],
)
def test_execution_plan_after_a_run_is_the_plan_that_ran(
    run: Callable[[DataFrame], object],
) -> None:
    df = filtered(SessionContext())
    assert output_rows(df).get("FilterExec") in (None, 0)  # not run yet: a fresh plan
    run(df)
    assert output_rows(df)["FilterExec"] == 2
    run(df)  # the second run's plan replaces the first: its counts start again
    assert output_rows(df)["FilterExec"] == 2


def test_a_derived_dataframe_starts_without_a_run() -> None:
    df = filtered(SessionContext())
    df.collect()
    assert output_rows(df.limit(1)).get("GlobalLimitExec") in (None, 0)


def test_metric_values_and_timestamps() -> None:
    df = filtered(SessionContext())
    df.collect()
    metrics = {
        m.name: m
        for name, ms in df.execution_plan().collect_metrics()
        if name.startswith("FilterExec")
        for m in ms.metrics()
    }
    assert metrics["output_rows"].value == 2
    assert isinstance(metrics["elapsed_compute"].value, int)
    start = metrics["start_timestamp"].value
    assert isinstance(start, datetime.datetime) and start.tzinfo == datetime.timezone.utc
    assert start == metrics["start_timestamp"].value_as_datetime
    assert metrics["output_rows"].labels() == {}


# session codecs, the inline UDF frame, plan equality ---------------------------------------------


def test_ctx_is_the_compiled_session_exporting_codecs() -> None:
    ctx = SessionContext()
    assert ctx.ctx is ctx._inner
    for dunder in (
        "__datafusion_logical_extension_codec__",
        "__datafusion_physical_extension_codec__",
    ):
        capsule = getattr(ctx.ctx, dunder)()
        assert type(capsule).__name__ == "PyCapsule"


def double_udf() -> ScalarUDF:
    return udf(lambda a: pc.multiply(a, 2), [pa.int64()], pa.int64(), "immutable", name="double")


def test_inline_python_udfs_use_the_official_frame_layout() -> None:
    blob = double_udf()(col("a")).to_bytes()
    at = blob.index(b"DFPYUDF")
    assert blob[at + 7] == 1  # wire version
    assert blob[at + 8 : at + 10] == bytes(sys.version_info[:2])
    tampered = bytearray(blob)
    tampered[at + 9] = (sys.version_info.minor + 1) % 256
    with pytest.raises(SerializationError, match="not portable across Python minor versions"):
        Expr.from_bytes(bytes(tampered))
    strict = SessionContext().with_python_udf_inlining(enabled=False)
    assert b"DFPYUDF" not in double_udf()(col("a")).to_bytes(strict)


def test_a_strict_receiver_refusal_is_also_a_runtime_error() -> None:
    blob = double_udf()(col("a")).to_bytes()
    strict = SessionContext().with_python_udf_inlining(enabled=False)
    with pytest.raises(RuntimeError, match="inlining is disabled") as info:
        Expr.from_bytes(blob, ctx=strict)
    assert isinstance(info.value, SerializationError)


def test_logical_plans_compare_by_structure() -> None:
    ctx = SessionContext()
    ctx.from_pydict({"a": [1, 2]}, name="t")
    first = ctx.sql("SELECT a FROM t WHERE a > 1").logical_plan()
    again = ctx.sql("SELECT a FROM t WHERE a > 1").logical_plan()
    other = ctx.sql("SELECT a FROM t WHERE a > 2").logical_plan()
    assert isinstance(first, LogicalPlan)
    assert first == again and hash(first) == hash(again)
    assert first != other
    assert first != "not a plan"
    assert LogicalPlan.from_bytes(ctx, first.to_bytes()) == first


def test_decorated_udfs_carry_the_decorated_name_and_doc() -> None:
    import pyarrow as pa

    from fuseplug import udaf, udf, udwf
    from fuseplug.user_defined import Accumulator, WindowEvaluator

    @udf([pa.int64()], pa.int64(), "immutable")
    def double(x: pa.Array) -> pa.Array:
        """Twice x."""
        return x

    class Count(WindowEvaluator):
        """Counts rows."""

        def evaluate_all(self, values: list[pa.Array], num_rows: int) -> pa.Array:
            return pa.array(range(num_rows))

    class Total(Accumulator):
        def __init__(self) -> None:
            self.total = 0

        def update(self, values: pa.Array) -> None:
            self.total += 1

        def merge(self, states: list[pa.Array]) -> None:
            pass

        def state(self) -> list[pa.Scalar]:
            return [pa.scalar(self.total)]

        def evaluate(self) -> pa.Scalar:
            return pa.scalar(self.total)

    window = udwf(pa.int64(), pa.int64(), "immutable")(Count)
    total = udaf(pa.int64(), pa.int64(), [pa.int64()], "immutable")(Total)
    assert (double.__name__, double.__doc__, double.name) == ("double", "Twice x.", "double")
    assert (window.__name__, window.__doc__, window.__wrapped__) == ("Count", "Counts rows.", Count)
    assert total.__name__ == "Total"
