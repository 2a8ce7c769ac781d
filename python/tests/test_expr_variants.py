"""Looking inside plans and expressions: ``to_variant()``, the ``rex_*`` methods, ``types``,
``column_name``, ``parse_sql_expr``; and the higher-order array functions with their lambdas."""

from __future__ import annotations

import pyarrow as pa
import pytest

from fuseplug import Expr, SessionContext, col, lit
from fuseplug import expr as E
from fuseplug import functions as f
from fuseplug.common import DFSchema, RexType, SqlType
from fuseplug.exceptions import PlanError, SchemaError


@pytest.fixture
def ctx() -> SessionContext:
    ctx = SessionContext()
    ctx.from_pydict({"a": [1, 2, 3], "b": ["x", "y", "x"]}, name="t")
    ctx.from_pydict({"a": [1, 2], "c": [10.0, 20.0]}, name="u")
    return ctx


def top(ctx: SessionContext, sql: str) -> object:
    return ctx.sql(sql).logical_plan().to_variant()


def test_projection_filter_and_scan_views(ctx: SessionContext) -> None:
    projection = top(ctx, "SELECT a + 1 AS x, b FROM t WHERE a > 1")
    assert isinstance(projection, E.Projection)
    assert [e.canonical_name() for e in projection.projections()] == ["t.a + Int64(1) AS x", "t.b"]
    assert projection.schema().field_names() == ["x", "t.b"]
    (filter_plan,) = projection.input()
    filt = filter_plan.to_variant()
    assert isinstance(filt, E.Filter)
    assert filt.predicate().canonical_name() == "t.a > Int64(1)"
    scan = filt.input()[0].to_variant()
    assert isinstance(scan, E.TableScan)
    assert scan.table_name() == "t"
    assert scan.fqn() == (None, None, "t")
    assert scan.fetch() is None


def test_aggregate_sort_limit_views(ctx: SessionContext) -> None:
    limit = top(ctx, "SELECT b, sum(a) AS s FROM t GROUP BY b ORDER BY b LIMIT 1 OFFSET 1")
    assert isinstance(limit, E.Limit)
    assert limit.fetch().canonical_name() == "Int64(1)"
    assert limit.skip().canonical_name() == "Int64(1)"
    sort = limit.input()[0].to_variant()
    assert isinstance(sort, E.Sort)
    (key,) = sort.sort_exprs()
    assert key.expr().canonical_name() == "t.b" and key.ascending() and not key.nulls_first()
    projection = sort.input()[0].to_variant()
    aggregate = projection.input()[0].to_variant()
    assert isinstance(aggregate, E.Aggregate)
    assert [e.canonical_name() for e in aggregate.group_by_exprs()] == ["t.b"]
    (call,) = aggregate.aggregate_exprs()
    assert aggregate.agg_func_name(call) == "sum"
    assert [a.canonical_name() for a in aggregate.aggregation_arguments(call)] == ["t.a"]


def test_join_union_values_distinct_views(ctx: SessionContext) -> None:
    projection = top(ctx, "SELECT * FROM t LEFT JOIN u ON t.a = u.a")
    join = projection.input()[0].to_variant()
    assert isinstance(join, E.Join)
    assert join.join_type() == E.JoinType.Left and join.join_type().is_outer()
    assert join.join_constraint() == E.JoinConstraint.On
    # the unoptimized plan keeps the ON condition as a filter; the optimizer makes it an equi-key
    assert join.filter().canonical_name() == "t.a = u.a" and join.on() == []
    optimized = ctx.sql("SELECT * FROM t LEFT JOIN u ON t.a = u.a").optimized_logical_plan()
    keys = optimized.to_variant().on()
    assert [(left.canonical_name(), right.canonical_name()) for left, right in keys] == [
        ("t.a", "u.a")
    ]
    assert isinstance(join.left().to_variant(), E.TableScan)
    union = top(ctx, "SELECT a FROM t UNION ALL SELECT a FROM u")
    assert isinstance(union, E.Union) and len(union.input()) == 2
    values = top(ctx, "VALUES (1, 'p'), (2, 'q')")
    assert isinstance(values, E.Values)
    assert [[v.canonical_name() for v in row] for row in values.values()] == [
        ["Int64(1)", 'Utf8("p")'],
        ["Int64(2)", 'Utf8("q")'],
    ]
    assert isinstance(top(ctx, "SELECT DISTINCT a FROM t"), E.Distinct)


def test_window_explain_and_subquery_views(ctx: SessionContext) -> None:
    projection = top(ctx, "SELECT a, row_number() OVER (PARTITION BY b ORDER BY a) AS r FROM t")
    window = projection.input()[0].to_variant()
    assert isinstance(window, E.WindowExpr)
    (call,) = window.get_window_expr()
    assert window.window_func_name(call) == "row_number"
    assert [e.canonical_name() for e in window.get_partition_exprs(call)] == ["t.b"]
    assert [e.canonical_name() for e in window.get_sort_exprs(call)] == ["t.a"]
    frame = "RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    assert window.get_frame(call) == frame
    assert window.get_frame(call.alias("renamed")) == frame  # aliases are looked through
    with pytest.raises(TypeError, match="expected a window function call"):
        window.get_frame(col("a"))
    explain = top(ctx, "EXPLAIN SELECT 1")
    assert isinstance(explain, E.Explain)
    assert explain.verbose() is False
    # the unoptimized plan has not been through the optimizer; the optimized one has (both
    # spellings, the official one with its typo, read the same field)
    assert explain.logical_optimization_succeeded() is False
    assert explain.logical_optimization_succceeded() is False
    optimized = ctx.sql("EXPLAIN SELECT 1").optimized_logical_plan().to_variant()
    assert isinstance(optimized, E.Explain)
    assert optimized.logical_optimization_succeeded() is True
    assert optimized.logical_optimization_succceeded() is True
    alias = top(ctx, "SELECT * FROM (SELECT a FROM t) AS s").input()[0].to_variant()
    assert isinstance(alias, E.SubqueryAlias) and alias.alias() == "s"


def explained(ctx: SessionContext, sql: str) -> object:
    """The view of a statement's plan without running it (``ctx.sql`` runs DDL at once)."""
    explain = top(ctx, f"EXPLAIN {sql}")
    assert isinstance(explain, E.Explain)
    return explain.plan().to_variant()


def test_ddl_and_statement_views(ctx: SessionContext) -> None:
    external = explained(ctx, "CREATE EXTERNAL TABLE e (x INT) STORED AS CSV LOCATION '/tmp/e.csv'")
    assert isinstance(external, E.CreateExternalTable)
    assert external.name() == "e" and external.file_type() == "CSV"
    assert external.locations() == ["/tmp/e.csv"]
    with pytest.warns(DeprecationWarning, match=r"location\(\) is deprecated"):
        assert external.location() == "/tmp/e.csv"
    assert external.schema().field_names() == ["x"]
    view = explained(ctx, "CREATE VIEW v AS SELECT a FROM t")
    assert isinstance(view, E.CreateView) and view.name() == "v"
    assert isinstance(view.input()[0].to_variant(), E.Projection)
    drop = explained(ctx, "DROP TABLE IF EXISTS t")
    assert isinstance(drop, E.DropTable) and drop.if_exists() and drop.input() == []
    setting = explained(ctx, "SET datafusion.execution.batch_size = 10")
    assert isinstance(setting, E.SetVariable)
    assert (setting.variable(), setting.value()) == ("datafusion.execution.batch_size", "10")
    insert = explained(ctx, "INSERT INTO t VALUES (4, 'z')")
    assert isinstance(insert, E.DmlStatement) and insert.table_name() == "t"
    assert ctx.table("t").count() == 3  # nothing above ran


def test_expression_views() -> None:
    binary = (col("a") + lit(1)).to_variant()
    assert isinstance(binary, E.BinaryExpr)
    assert (binary.left().canonical_name(), binary.op(), binary.right().canonical_name()) == (
        "a",
        "+",
        "Int64(1)",
    )
    alias = col("a").alias("z").to_variant()
    assert (
        isinstance(alias, E.Alias) and alias.alias() == "z" and alias.expr().canonical_name() == "a"
    )
    column = col("t.a").to_variant()
    assert isinstance(column, E.Column)
    assert (column.name(), column.relation(), column.qualified_name()) == ("a", "t", "t.a")
    literal = lit(1.5).to_variant()
    assert isinstance(literal, E.Literal)
    assert literal.data_type() == "Float64" and literal.value_f64() == 1.5
    with pytest.raises(TypeError, match="Float64"):
        literal.value_i64()
    assert lit("s").to_variant().value_string() == "s"
    cast = col("a").cast(pa.int8()).to_variant()
    assert isinstance(cast, E.Cast) and cast.data_type() == pa.int8()
    between = col("a").between(1, 2).to_variant()
    assert (between.low().canonical_name(), between.high().canonical_name(), between.negated()) == (
        "Int64(1)",
        "Int64(2)",
        False,
    )
    assert isinstance(col("a").is_null().to_variant(), E.IsNull)
    assert isinstance((~col("a")).to_variant(), E.Not)
    in_list = col("a").in_list([1, 2], negated=True).to_variant()
    assert isinstance(in_list, E.InList) and in_list.negated() and len(in_list.list()) == 2
    assert isinstance(col("b").ilike("x%").to_variant(), E.ILike)
    case = f.case(col("a")).when(lit(1), lit("one")).otherwise(lit("many")).to_variant()
    assert isinstance(case, E.Case)
    assert [(w.canonical_name(), t.canonical_name()) for w, t in case.when_then_expr()] == [
        ("Int64(1)", 'Utf8View("one")')
    ]
    agg = f.sum(col("a"), distinct=True).to_variant()
    assert isinstance(agg, E.AggregateFunction)
    assert agg.aggregate_type() == "sum" and agg.is_distinct()
    scalar = f.abs(col("a")).to_variant()
    assert isinstance(scalar, E.ScalarFunction) and scalar.name() == "abs"


def test_grouping_set_builders_run(ctx: SessionContext) -> None:
    df = ctx.table("t").aggregate([E.GroupingSet.rollup(col("b"))], [f.count(col("a")).alias("n")])
    rows = sorted(zip(*df.to_pydict().values(), strict=True), key=lambda r: (r[0] is None, r[0]))
    assert rows == [("x", 2), ("y", 1), (None, 3)]
    view = E.GroupingSet.cube("a", "b").to_variant()
    assert view.kind() == "cube" and [[e.canonical_name() for e in g] for g in view.groups()] == [
        ["a", "b"]
    ]


def test_rex_methods() -> None:
    e = col("a") + lit(1)
    assert e.rex_type() == RexType.Call
    assert e.rex_call_operator() == "+"
    assert [o.canonical_name() for o in e.rex_call_operands()] == ["a", "Int64(1)"]
    assert col("a").rex_type() == RexType.Reference
    assert lit(1).rex_type() == RexType.Literal
    assert col("a").alias("x").rex_type() == RexType.Alias
    assert col("a").between(1, 2, negated=True).rex_call_operator() == "not between"
    assert f.abs(col("a")).rex_call_operator() == "abs"
    case = f.case(col("a")).when(lit(1), lit(2)).otherwise(lit(3))
    assert [o.canonical_name() for o in case.rex_call_operands()] == [
        "a = Int64(1)",
        "Int64(2)",
        "Int64(3)",
    ]
    with pytest.raises(TypeError, match="call expression"):
        col("a").rex_call_operator()


def test_types_of_literals_and_casts() -> None:
    assert lit(1.5).types().sql_type == SqlType.FLOAT  # the official mapping of Float64
    assert lit(1).types().sql_type == SqlType.BIGINT
    assert (lit(1) + lit(2)).types().arrow_type.pyarrow_type == pa.int64()
    assert col("a").cast(pa.int8()).types().sql_type == SqlType.TINYINT
    with pytest.raises(SchemaError, match=r"^Schema error: No field named a\.$"):
        col("a").types()  # a column's type needs a schema


def test_column_name(ctx: SessionContext) -> None:
    plan = ctx.sql("SELECT a, b FROM t").logical_plan()
    assert col("a").column_name(plan) == "a"
    assert (col("a") + lit(1)).column_name(plan) == "a + Int64(1)"
    with pytest.raises(SchemaError, match="nope"):
        col("nope").column_name(plan)


def test_parse_sql_expr(ctx: SessionContext) -> None:
    assert ctx.parse_sql_expr("1 + 2", DFSchema.empty()).canonical_name() == "Int64(1) + Int64(2)"
    schema = ctx.sql("SELECT a, b FROM t").logical_plan().to_variant().schema()
    expr = ctx.parse_sql_expr("a * 2", schema)
    assert ctx.table("t").select(expr.alias("d")).to_pydict() == {"d": [2, 4, 6]}
    with pytest.raises(SchemaError, match="nope"):
        ctx.parse_sql_expr("nope + 1", schema)


def test_helpers_of_the_expr_module() -> None:
    assert isinstance(E.coerce_to_expr(3), Expr)
    assert [e.canonical_name() for e in E.coerce_to_expr_list([1, col("a")])] == ["Int64(1)", "a"]
    assert E.coerce_to_expr_or_none(None) is None
    with pytest.raises(TypeError, match="col"):
        E.ensure_expr("a")
    assert len(E.ensure_expr_list([col("a"), [col("b"), col("c")]])) == 3


# --- higher-order functions --------------------------------------------------------------------


@pytest.fixture
def lists(ctx: SessionContext) -> object:
    return ctx.from_pydict({"a": [[1, 2, 3, 4], [], None, [5]]})


def test_array_transform_with_callable_and_explicit_lambda(lists: object) -> None:
    doubled = lists.select(  # type: ignore[attr-defined]
        f.array_transform(col("a"), lambda v: v * 2).alias("d"),
        f.list_transform(col("a"), f.lambda_(["x"], f.lambda_var("x") + lit(100))).alias("p"),
    ).to_pydict()
    assert doubled["d"] == [[2, 4, 6, 8], [], None, [10]]
    assert doubled["p"] == [[101, 102, 103, 104], [], None, [105]]


def test_filter_first_any_match(lists: object) -> None:
    out = lists.select(  # type: ignore[attr-defined]
        f.array_filter(col("a"), lambda v: v % 2 == 0).alias("even"),
        f.list_filter(col("a"), lambda v: v > 3).alias("big"),
        f.array_first(col("a"), lambda v: v > 1).alias("first"),
        f.list_first(col("a"), lambda v: v > 10).alias("none"),
        f.array_any_match(col("a"), lambda v: v == 5).alias("five"),
        f.any_match(col("a"), lambda v: v == 1).alias("one"),
        f.list_any_match(col("a"), lambda v: v < 0).alias("neg"),
    ).to_pydict()
    assert out["even"] == [[2, 4], [], None, []]
    assert out["big"] == [[4], [], None, [5]]
    assert out["first"] == [2, None, None, 5]
    assert out["none"] == [None, None, None, None]
    assert out["five"] == [False, False, None, True]
    assert out["one"] == [True, False, None, False]
    assert out["neg"] == [False, False, None, False]


def test_higher_order_in_filter_and_with_column(lists: object) -> None:
    out = (
        lists.filter(f.array_any_match(col("a"), lambda v: v > 4))  # type: ignore[attr-defined]
        .with_column("t", f.array_transform(col("a"), lambda v: v - 1))
        .to_pydict()
    )
    assert out == {"a": [[5]], "t": [[4]]}


def test_higher_order_expression_travels(ctx: SessionContext) -> None:
    e = f.array_transform(col("a"), lambda v: v * 3)
    back = Expr.from_bytes(e.to_bytes(), ctx)
    assert str(back) == str(e)
    view = e.to_variant()
    assert isinstance(view, E.HigherOrderFunction) and view.name() == "array_transform"
    lam = view.args()[1].to_variant()
    assert isinstance(lam, E.Lambda) and lam.params() == ["v"]


def test_bad_lambdas_are_refused() -> None:
    # a callable without parameters is a bad value (ValueError), as in the official bindings
    with pytest.raises(ValueError, match="at least one parameter"):
        f.array_transform(col("a"), lambda: 1)
    with pytest.raises(TypeError, match="plain positional"):
        f.array_transform(col("a"), lambda *v: v[0])
    with pytest.raises(TypeError, match="lambda"):
        f.array_filter(col("a"), 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of parameter names"):
        f.lambda_("v", lit(1))  # type: ignore[arg-type]


def test_unbound_lambda_variable_is_a_plan_error(lists: object) -> None:
    with pytest.raises(PlanError, match="unresolved LambdaVariable v"):
        lists.select(f.lambda_var("v").alias("x")).collect()  # type: ignore[attr-defined]


def test_lazily_loaded_view_names_match_their_modules() -> None:
    from fuseplug import _plan_variants, _variants

    assert sorted(E._expr_names) == sorted(_variants.__all__)
    assert sorted(E._plan_names) == sorted(_plan_variants.__all__)
    assert all(hasattr(E, name) for name in E.__all__)


def test_import_does_not_load_the_views_formatter_or_schema_classes(run_python: object) -> None:
    proc = run_python(  # type: ignore[operator]
        "import sys, fuseplug; print(sorted(m for m in sys.modules if m in ("
        "'fuseplug._variants', 'fuseplug._plan_variants', 'fuseplug._common_schema', "
        "'fuseplug._common_types', 'fuseplug.dataframe_formatter', 'fuseplug.functions.spark')))"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
