"""Python UDFs: scalar, aggregate, window and table functions, per session."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from fuseplug import (
    Accumulator,
    DataFrame,
    Expr,
    SessionConfig,
    SessionContext,
    Window,
    WindowEvaluator,
    WindowFrame,
    col,
    lit,
    udaf,
    udf,
    udtf,
    udwf,
)
from fuseplug.exceptions import ExecutionError, PlanError


@pytest.fixture
def table_ctx(ctx: SessionContext) -> SessionContext:
    """``ctx`` with table ``t(g, x)``: groups a/b, x = 1..5."""
    ctx.from_pydict({"g": ["a", "a", "b", "b", "b"], "x": [1, 2, 3, 4, 5]}, name="t")
    return ctx


def double_array(values: pa.Array) -> pa.Array:
    return pc.multiply(values, 2)


# Scalar UDFs


def test_scalar_udf_call_form_in_dataframe(table_ctx: SessionContext) -> None:
    double = udf(double_array, [pa.int64()], pa.int64(), "immutable", name="double")
    df = table_ctx.table("t").select(double(col("x")).alias("d"))
    assert df.to_pydict() == {"d": [2, 4, 6, 8, 10]}


def test_scalar_udf_registered_for_sql(table_ctx: SessionContext) -> None:
    double = udf(double_array, [pa.int64()], pa.int64(), "immutable", name="double")
    table_ctx.register_udf(double)
    out = table_ctx.sql("SELECT double(x) AS d FROM t WHERE double(x) > 6 ORDER BY d").to_pydict()
    assert out == {"d": [8, 10]}


def test_scalar_udf_decorator_form(table_ctx: SessionContext) -> None:
    @udf([pa.int64()], pa.int64(), "immutable")
    def plus_ten(values: pa.Array) -> pa.Array:
        return pc.add(values, 10)

    out = table_ctx.table("t").select(plus_ten(col("x")).alias("p")).to_pydict()
    assert out == {"p": [11, 12, 13, 14, 15]}


def test_scalar_udf_decorator_registered_for_sql(table_ctx: SessionContext) -> None:
    @udf([pa.int64()], pa.int64(), "immutable", name="plus_ten")
    def plus_ten(values: pa.Array) -> pa.Array:
        return pc.add(values, 10)

    table_ctx.register_udf(plus_ten)
    assert table_ctx.sql("SELECT plus_ten(1) AS v").to_pydict() == {"v": [11]}


def test_scalar_udf_several_arguments_and_types(ctx: SessionContext) -> None:
    def label(names: pa.Array, counts: pa.Array) -> pa.Array:
        return pa.array(
            [f"{n}:{c}" for n, c in zip(names.to_pylist(), counts.to_pylist(), strict=True)],
            pa.string(),
        )

    label_udf = udf(label, [pa.string(), pa.int64()], pa.string(), "immutable", name="label")
    df = ctx.from_pydict({"n": ["a", "b"], "c": [1, 2]})
    assert df.select(label_udf(col("n"), col("c")).alias("l")).to_pydict() == {"l": ["a:1", "b:2"]}


def test_scalar_udf_receives_nulls(ctx: SessionContext) -> None:
    def null_to_minus_one(values: pa.Array) -> pa.Array:
        return pc.fill_null(values, -1)

    fn = udf(null_to_minus_one, [pa.int64()], pa.int64(), "immutable", name="nz")
    df = ctx.from_pydict({"v": [1, None, 3]})
    assert df.select(fn(col("v")).alias("o")).to_pydict() == {"o": [1, -1, 3]}


def test_scalar_udf_sees_every_batch(ctx: SessionContext) -> None:
    seen: list[int] = []

    def record(values: pa.Array) -> pa.Array:
        seen.append(len(values))
        return values

    fn = udf(record, [pa.int64()], pa.int64(), "volatile", name="record")
    batches = [pa.record_batch({"v": list(range(i * 10, i * 10 + 10))}) for i in range(3)]
    ctx.register_record_batches("b", [batches])
    out = ctx.table("b").select(fn(col("v")).alias("v"))
    assert sorted(out.to_pydict()["v"]) == list(range(30))
    assert sum(seen) == 30


@pytest.mark.parametrize("volatility", ["immutable", "stable", "volatile"])
def test_scalar_udf_volatility_values(ctx: SessionContext, volatility: str) -> None:
    fn = udf(double_array, [pa.int64()], pa.int64(), volatility, name=f"d_{volatility}")
    ctx.register_udf(fn)
    assert ctx.sql(f"SELECT d_{volatility}(21) AS v").to_pydict() == {"v": [42]}


def test_volatile_udf_is_not_folded_into_a_constant(ctx: SessionContext) -> None:
    calls = {"immutable": 0, "volatile": 0}

    def counter(kind: str):
        def fn(values: pa.Array) -> pa.Array:
            calls[kind] += 1
            return values

        return fn

    imm = udf(counter("immutable"), [pa.int64()], pa.int64(), "immutable", name="imm")
    vol = udf(counter("volatile"), [pa.int64()], pa.int64(), "volatile", name="vol")
    batches = [pa.record_batch({"v": [i]}) for i in range(4)]
    ctx.register_record_batches("four", [batches])
    df = ctx.table("four").select(imm(lit(1)).alias("i"), vol(lit(1)).alias("v"))
    assert df.to_pydict() == {"i": [1, 1, 1, 1], "v": [1, 1, 1, 1]}
    # The immutable call on a constant is evaluated once at planning; the volatile one per batch.
    assert calls["immutable"] == 1
    assert calls["volatile"] == 4


def test_udf_name_property(ctx: SessionContext) -> None:
    fn = udf(double_array, [pa.int64()], pa.int64(), "immutable", name="twice")
    assert fn.name == "twice"


def test_udf_registered_in_one_context_is_not_visible_in_another() -> None:
    first, second = SessionContext(), SessionContext()
    first.register_udf(udf(double_array, [pa.int64()], pa.int64(), "immutable", name="only_here"))
    assert first.sql("SELECT only_here(2) AS v").to_pydict() == {"v": [4]}
    with pytest.raises(PlanError, match=r"Invalid function 'only_here'"):
        second.sql("SELECT only_here(2) AS v").collect()


def test_udf_with_same_name_differs_per_context() -> None:
    first, second = SessionContext(), SessionContext()
    first.register_udf(udf(double_array, [pa.int64()], pa.int64(), "immutable", name="f"))
    second.register_udf(
        udf(lambda v: pc.add(v, 1), [pa.int64()], pa.int64(), "immutable", name="f")
    )
    assert first.sql("SELECT f(5) AS v").to_pydict() == {"v": [10]}
    assert second.sql("SELECT f(5) AS v").to_pydict() == {"v": [6]}


def test_deregister_udf(ctx: SessionContext) -> None:
    ctx.register_udf(udf(double_array, [pa.int64()], pa.int64(), "immutable", name="gone"))
    assert ctx.sql("SELECT gone(1) AS v").to_pydict() == {"v": [2]}
    ctx.deregister_udf("gone")
    with pytest.raises(PlanError, match=r"Invalid function 'gone'"):
        ctx.sql("SELECT gone(1) AS v").collect()


# Aggregate UDFs


class SumOfSquares(Accumulator):
    """Sum of x*x, with the running sum as state."""

    def __init__(self) -> None:
        self._total = 0.0

    def state(self) -> list[pa.Scalar]:
        return [pa.scalar(self._total)]

    def update(self, values: pa.Array) -> None:
        squares = pc.multiply(values, values)
        self._total += pc.sum(squares).as_py() or 0.0

    def merge(self, states: list[pa.Array]) -> None:
        self._total += pc.sum(states[0]).as_py() or 0.0

    def evaluate(self) -> pa.Scalar:
        return pa.scalar(self._total)


def sum_of_squares_udaf():
    return udaf(
        SumOfSquares, [pa.float64()], pa.float64(), [pa.float64()], "immutable", name="sumsq"
    )


def test_udaf_in_dataframe_aggregate(table_ctx: SessionContext) -> None:
    sumsq = sum_of_squares_udaf()
    df = table_ctx.table("t").aggregate([col("g")], [sumsq(col("x")).alias("s")])
    rows = {r["g"]: r["s"] for r in df.to_pylist()}
    assert rows == {"a": 1.0 + 4.0, "b": 9.0 + 16.0 + 25.0}


def test_udaf_registered_for_sql(table_ctx: SessionContext) -> None:
    table_ctx.register_udaf(sum_of_squares_udaf())
    out = table_ctx.sql("SELECT sumsq(x) AS s FROM t").to_pydict()
    assert out == {"s": [55.0]}


def test_udaf_merges_partial_states() -> None:
    ctx = SessionContext(SessionConfig().with_target_partitions(4))
    partitions = [[pa.record_batch({"k": [i % 3] * 5, "x": [float(i)] * 5})] for i in range(8)]
    ctx.register_record_batches("parts", partitions)
    ctx.register_udaf(sum_of_squares_udaf())
    out = ctx.sql("SELECT k, sumsq(x) AS s FROM parts GROUP BY k ORDER BY k").to_pydict()
    expected = {k: sum(5 * float(i) ** 2 for i in range(8) if i % 3 == k) for k in range(3)}
    assert out == {"k": [0, 1, 2], "s": [expected[0], expected[1], expected[2]]}


def test_udaf_with_accumulator_factory(ctx: SessionContext) -> None:
    class Offset(Accumulator):
        def __init__(self, start: float) -> None:
            self._total = start

        def state(self) -> list[pa.Scalar]:
            return [pa.scalar(self._total)]

        def update(self, values: pa.Array) -> None:
            self._total += pc.sum(values).as_py() or 0.0

        def merge(self, states: list[pa.Array]) -> None:
            self._total += pc.sum(states[0]).as_py() or 0.0

        def evaluate(self) -> pa.Scalar:
            return pa.scalar(self._total)

    offset = udaf(
        lambda: Offset(100.0),
        [pa.float64()],
        pa.float64(),
        [pa.float64()],
        "immutable",
        name="offset_sum",
    )
    df = ctx.from_pydict({"x": [1.0, 2.0]})
    assert df.aggregate([], [offset(col("x")).alias("s")]).to_pydict() == {"s": [103.0]}


# Window UDFs


class RunningCount(WindowEvaluator):
    """1, 2, 3, ... within each partition, times the argument of the first row."""

    def evaluate_all(self, values: list[pa.Array], num_rows: int) -> pa.Array:
        first = values[0][0].as_py() if num_rows else 0
        return pa.array([first * (i + 1) for i in range(num_rows)], pa.int64())


def running_count_udwf():
    return udwf(RunningCount, [pa.int64()], pa.int64(), "immutable", name="running_count")


def test_udwf_over_window(table_ctx: SessionContext) -> None:
    running = running_count_udwf()
    window = Window(partition_by=[col("g")], order_by=[col("x").sort()])
    df = table_ctx.table("t").select(col("g"), col("x"), running(col("x")).over(window).alias("r"))
    rows = sorted(df.to_pylist(), key=lambda r: r["x"])
    assert [r["r"] for r in rows] == [1, 2, 3, 6, 9]


def test_udwf_registered_for_sql(table_ctx: SessionContext) -> None:
    table_ctx.register_udwf(running_count_udwf())
    out = table_ctx.sql(
        "SELECT x, running_count(x) OVER (PARTITION BY g ORDER BY x) AS r FROM t ORDER BY x"
    ).to_pydict()
    assert out == {"x": [1, 2, 3, 4, 5], "r": [1, 2, 3, 6, 9]}


def test_udwf_with_frame_evaluate(ctx: SessionContext) -> None:
    class FrameSum(WindowEvaluator):
        def uses_window_frame(self) -> bool:
            return True

        def evaluate(self, values: list[pa.Array], eval_range: tuple[int, int]) -> pa.Scalar:
            start, end = eval_range
            return pa.scalar(sum(values[0][start:end].to_pylist()), pa.int64())

    frame_sum = udwf(FrameSum, [pa.int64()], pa.int64(), "immutable", name="frame_sum")
    ctx.register_udwf(frame_sum)
    ctx.from_pydict({"x": [1, 2, 3, 4]}, name="w")
    out = ctx.sql(
        "SELECT x, frame_sum(x) OVER (ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s "
        "FROM w ORDER BY x"
    ).to_pydict()
    assert out == {"x": [1, 2, 3, 4], "s": [1, 3, 5, 7]}


# Table UDFs


def test_udtf_from_sql(ctx: SessionContext) -> None:
    def numbers(n: Expr) -> pa.Table:  # arguments arrive as expressions, as in the official API
        return pa.table({"n": list(range(n.to_variant().value_i64()))})

    ctx.register_udtf(udtf(numbers, name="numbers"))
    out = ctx.sql("SELECT sum(n) AS s, count(*) AS c FROM numbers(5)").to_pydict()
    assert out == {"s": [10], "c": [5]}


def test_udtf_returning_dataframe(ctx: SessionContext) -> None:
    source = ctx.from_pydict({"v": [1, 2, 3]})

    def evens() -> DataFrame:
        return source.filter(col("v") % lit(2) == lit(0))

    ctx.register_udtf(udtf(evens, name="evens"))
    assert ctx.sql("SELECT v FROM evens()").to_pydict() == {"v": [2]}


def test_udtf_not_visible_in_other_context() -> None:
    first, second = SessionContext(), SessionContext()
    first.register_udtf(udtf(lambda: pa.table({"a": [1]}), name="one_row"))
    assert first.sql("SELECT a FROM one_row()").to_pydict() == {"a": [1]}
    with pytest.raises(PlanError, match=r"table function 'one_row' not found"):
        second.sql("SELECT a FROM one_row()").collect()


# Errors raised inside UDFs


class Boom(Exception):
    """A user's exception type that must reach the caller as is."""


def exploding(values: pa.Array) -> pa.Array:
    raise Boom("kaboom from the udf")


def frames(exc: BaseException) -> list[str]:
    names = []
    tb = exc.__traceback__
    while tb is not None:
        names.append(tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return names


def test_scalar_udf_exception_reaches_caller_unchanged(ctx: SessionContext) -> None:
    fn = udf(exploding, [pa.int64()], pa.int64(), "volatile", name="exploding")
    df = ctx.from_pydict({"x": [1, 2]}).select(fn(col("x")))
    with pytest.raises(Boom, match="kaboom from the udf") as info:
        df.collect()
    assert type(info.value) is Boom
    assert "exploding" in frames(info.value)


def test_scalar_udf_exception_from_sql(ctx: SessionContext) -> None:
    ctx.register_udf(udf(exploding, [pa.int64()], pa.int64(), "volatile", name="exploding"))
    ctx.from_pydict({"x": [1]}, name="one")
    with pytest.raises(Boom, match="kaboom from the udf") as info:
        ctx.sql("SELECT exploding(x) FROM one").to_pydict()
    assert type(info.value) is Boom
    assert "exploding" in frames(info.value)


def test_udaf_exception_reaches_caller(ctx: SessionContext) -> None:
    class Broken(Accumulator):
        def state(self) -> list[pa.Scalar]:
            return [pa.scalar(0.0)]

        def update(self, values: pa.Array) -> None:
            raise Boom("update failed")

        def merge(self, states: list[pa.Array]) -> None:
            pass

        def evaluate(self) -> pa.Scalar:
            return pa.scalar(0.0)

    broken = udaf(Broken, [pa.float64()], pa.float64(), [pa.float64()], "immutable", name="brk")
    df = ctx.from_pydict({"x": [1.0]}).aggregate([], [broken(col("x"))])
    with pytest.raises(Boom, match="update failed") as info:
        df.collect()
    assert "update" in frames(info.value)


def test_udtf_exception_reaches_caller(ctx: SessionContext) -> None:
    def failing() -> pa.Table:
        raise Boom("no table today")

    ctx.register_udtf(udtf(failing, name="failing"))
    with pytest.raises(Boom, match="no table today") as info:
        ctx.sql("SELECT * FROM failing()").collect()
    assert "failing" in frames(info.value)


def test_udf_wrong_return_length_is_an_error(ctx: SessionContext) -> None:
    def too_short(values: pa.Array) -> pa.Array:
        return values.slice(0, 1)

    fn = udf(too_short, [pa.int64()], pa.int64(), "volatile", name="too_short")
    df = ctx.from_pydict({"x": [1, 2, 3]}).select(fn(col("x")))
    with pytest.raises(ExecutionError, match=r"Python UDF returned 1 rows for 3 input rows"):
        df.collect()


def test_udf_returning_none_is_type_error(ctx: SessionContext) -> None:
    fn = udf(lambda v: None, [pa.int64()], pa.int64(), "volatile", name="gives_none")
    with pytest.raises(
        TypeError, match=r"^function returned None; it must return an array of Int64"
    ):
        ctx.from_pydict({"x": [1]}).select(fn(col("x"))).collect()


def test_udf_returning_python_list_is_converted(ctx: SessionContext) -> None:
    fn = udf(
        lambda v: [n * 3 for n in v.to_pylist()], [pa.int64()], pa.int64(), "volatile", name="l3"
    )
    out = ctx.from_pydict({"x": [1, 2]}).select(fn(col("x")).alias("o")).to_pydict()
    assert out == {"o": [3, 6]}


def test_udf_returning_wrong_type_is_an_error(run_python) -> None:
    # Declared Int64, returns strings: must fail loudly; neither crash nor turn values into nulls.
    result = run_python(
        """
        import pyarrow as pa
        import fuseplug
        from fuseplug import col

        fn = fuseplug.udf(
            lambda v: pa.array(["a", "b", "c"]), [pa.int64()], pa.int64(), "volatile", name="wt"
        )
        df = fuseplug.SessionContext().from_pydict({"x": [1, 2, 3]})
        try:
            print("result", df.select(fn(col("x")).alias("o")).to_pydict())
        except TypeError as e:
            print("refused", type(e).__name__, e)
        """
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(
        "refused TypeError function returned Utf8 but declared Int64: Cast error: "
        "Cannot cast string 'a' to value of Int64 type"
    ), result.stdout


def test_udwf_returning_wrong_length_is_execution_error(ctx: SessionContext) -> None:
    class Short(WindowEvaluator):
        def evaluate_all(self, values: list[pa.Array], num_rows: int) -> pa.Array:
            return pa.array([1], pa.int64())

    short = udwf(Short, [pa.int64()], pa.int64(), "immutable", name="short")
    df = ctx.from_pydict({"x": [1, 2, 3]})
    with pytest.raises(
        ExecutionError, match=r"window UDF evaluate_all returned 1 rows for a partition of 3 rows"
    ):
        df.select(short(col("x")).over(Window(order_by=[col("x")]))).collect()


def test_udf_called_with_wrong_argument_count_is_plan_error(ctx: SessionContext) -> None:
    fn = udf(double_array, [pa.int64()], pa.int64(), "immutable", name="one_arg")
    df = ctx.from_pydict({"x": [1]})
    with pytest.raises(PlanError, match=r"argument types 'one_arg\(Int64, Int64\)'"):
        df.select(fn(col("x"), col("x"))).collect()


def test_udf_called_with_wrong_argument_type_in_sql_is_plan_error(ctx: SessionContext) -> None:
    ctx.register_udf(udf(double_array, [pa.int64()], pa.int64(), "immutable", name="ints_only"))
    with pytest.raises(PlanError, match=r"argument types 'ints_only\(Utf8\)'"):
        ctx.sql("SELECT ints_only('abc')").collect()


def test_udaf_and_udwf_are_per_context() -> None:
    first, second = SessionContext(), SessionContext()
    first.register_udaf(sum_of_squares_udaf())
    first.register_udwf(running_count_udwf())
    assert first.sql("SELECT sumsq(3.0) AS s").to_pydict() == {"s": [9.0]}
    with pytest.raises(PlanError, match=r"Invalid function 'sumsq'"):
        second.sql("SELECT sumsq(3.0) AS s").collect()
    with pytest.raises(PlanError, match=r"Invalid function 'running_count'"):
        second.sql("SELECT running_count(1) OVER () AS r").collect()


def test_udf_rejects_non_callable() -> None:
    with pytest.raises(TypeError, match=r"^udf needs a callable, got int$"):
        udf(42, [pa.int64()], pa.int64(), "immutable", name="nope")  # type: ignore[call-overload]


def test_default_names_follow_the_official_bindings() -> None:
    class MyEvaluator(WindowEvaluator):
        def evaluate_all(self, values: list[pa.Array], num_rows: int) -> pa.Array:
            return pa.array(range(num_rows), pa.int64())

    def Shout(v: pa.Array) -> pa.Array:  # a mixed-case name on purpose
        return v

    assert udf(Shout, [pa.int64()], pa.int64()).name == "shout"
    assert udwf(MyEvaluator, [pa.int64()], pa.int64()).name == "myevaluator"
    # a lambda is named by its qualified name, as in the official bindings
    assert udf(lambda v: v, [pa.int64()], pa.int64()).name.endswith("<lambda>")
    window = udwf(lambda: MyEvaluator(), [pa.int64()], pa.int64())
    assert window.name.endswith("<lambda>")
    ctx = SessionContext()
    df = ctx.from_pydict({"x": [5, 6]})
    assert df.select(window(col("x")).alias("n")).to_pydict() == {"n": [0, 1]}
    with pytest.raises(ValueError, match=r"give the function a name with name="):
        udtf(lambda: pa.table({"a": [1]}))


def test_window_evaluator_hooks_reach_bounded_execution(ctx: SessionContext) -> None:
    """``supports_bounded_execution``, ``get_range``, ``memoize`` and ``is_causal`` are DataFusion's
    hooks: with bounded execution, ``evaluate`` sees the rows ``get_range`` asks for, ``is_causal``
    is asked at every step (each input batch of a partition), and ``memoize`` is called after each
    step whose frame has a fixed (unbounded) start, and never when the start moves."""

    def run(frame: WindowFrame | None) -> tuple[list[int], dict[str, int]]:
        calls: dict[str, int] = {"get_range": 0, "memoize": 0, "is_causal": 0}

        class PairSum(WindowEvaluator):
            def supports_bounded_execution(self) -> bool:
                return True

            def is_causal(self) -> bool:
                calls["is_causal"] += 1
                return True

            def memoize(self) -> None:
                calls["memoize"] += 1

            def get_range(self, idx: int, num_rows: int) -> tuple[int, int]:
                calls["get_range"] += 1
                return (max(0, idx - 1), idx + 1)  # this row and the one before

            def evaluate(self, values: list[pa.Array], eval_range: tuple[int, int]) -> int:
                start, end = eval_range
                return sum(values[0].to_pylist()[start:end])

        pair_sum = udwf(PairSum, [pa.int64()], pa.int64(), "immutable", name="pair_sum")
        df = ctx.from_pydict({"x": [1, 2, 3, 4, 5]}).sort(col("x"))
        window = Window(order_by=[col("x")], window_frame=frame)
        out = df.select(col("x"), pair_sum(col("x")).over(window).alias("s"))
        return out.sort(col("x")).to_pydict()["s"], calls

    # the default frame with ORDER BY starts at UNBOUNDED PRECEDING
    sums, calls = run(None)
    assert sums == [1, 3, 5, 7, 9]
    assert calls["get_range"] >= 5
    assert calls["is_causal"] >= 1
    assert calls["memoize"] == calls["is_causal"]
    # ROWS BETWEEN 1 PRECEDING AND CURRENT ROW: the start moves, so nothing is memoized
    sums, calls = run(WindowFrame("rows", 1, 0))
    assert sums == [1, 3, 5, 7, 9]
    assert calls["get_range"] >= 5
    assert calls["is_causal"] >= 1
    assert calls["memoize"] == 0


def test_window_evaluator_get_range_must_stay_in_the_partition(ctx: SessionContext) -> None:
    class Bad(WindowEvaluator):
        def supports_bounded_execution(self) -> bool:
            return True

        def get_range(self, idx: int, num_rows: int) -> tuple[int, int]:
            return (0, num_rows + 5)

        def evaluate(self, values: list[pa.Array], eval_range: tuple[int, int]) -> int:
            return 0

    bad = udwf(Bad, [pa.int64()], pa.int64(), "immutable", name="bad_range")
    df = ctx.from_pydict({"x": [1, 2, 3]}).sort(col("x"))
    with pytest.raises(ValueError, match=r"get_range\(0, \d+\) returned \(0, \d+\), not a range"):
        df.select(bad(col("x")).over(Window(order_by=[col("x")]))).collect()
