"""The functions module: built-in scalar, aggregate and window functions.

Results are compared with values computed in Python from the same input.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import statistics
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import fuseplug
from fuseplug import DataFrame, SessionConfig, SessionContext, Window, col, lit
from fuseplug import functions as f

NUMBERS = [-3, 0, 2, 7, 7, 11]
FLOATS = [1.5, -2.25, 4.0, 9.0, 0.5, 3.75]
WORDS = ["apple", "Banana", "cherry pie", "date", "elder", "fig"]
OTHER = ["x", None, "z", None, "v", "w"]
LISTS = [[1, 2, 3], [], [4], [5, 6], [7, 8, 9, 10], [0]]
STAMPS = [
    dt.datetime(2024, 1, 15, 10, 30),
    dt.datetime(2024, 2, 29, 23, 59),
    dt.datetime(2023, 12, 31, 0, 0),
    dt.datetime(2024, 7, 4, 12, 0),
    dt.datetime(2024, 7, 20, 8, 15),
    dt.datetime(2025, 3, 1, 1, 1),
]
GROUPS = ["a", "a", "b", "b", "b", "c"]


@pytest.fixture
def data(ctx: SessionContext) -> DataFrame:
    table = pa.table(
        {
            "n": pa.array(NUMBERS, pa.int64()),
            "x": pa.array(FLOATS, pa.float64()),
            "w": pa.array(WORDS, pa.string()),
            "o": pa.array(OTHER, pa.string()),
            "l": pa.array(LISTS, pa.list_(pa.int64())),
            "t": pa.array(STAMPS, pa.timestamp("us")),
            "g": pa.array(GROUPS, pa.string()),
            "i": pa.array(range(6), pa.int64()),
        }
    )
    return ctx.from_arrow(table)


def column_values(df: DataFrame, expr: fuseplug.Expr) -> list[object]:
    return df.sort(col("i").sort()).select(expr.alias("out")).to_pydict()["out"]


def aggregate_value(df: DataFrame, expr: fuseplug.Expr) -> object:
    return df.aggregate([], [expr.alias("out")]).to_pydict()["out"][0]


# Scalar functions


def test_abs(data: DataFrame) -> None:
    assert column_values(data, f.abs(col("n"))) == [abs(v) for v in NUMBERS]


def test_upper_and_lower(data: DataFrame) -> None:
    assert column_values(data, f.upper(col("w"))) == [w.upper() for w in WORDS]
    assert column_values(data, f.lower(col("w"))) == [w.lower() for w in WORDS]


def test_concat_skips_nulls(data: DataFrame) -> None:
    out = column_values(data, f.concat(col("w"), lit("-"), col("o")))
    assert out == [f"{w}-{o or ''}" for w, o in zip(WORDS, OTHER, strict=True)]


def test_coalesce(data: DataFrame) -> None:
    out = column_values(data, f.coalesce(col("o"), col("w")))
    assert out == [o if o is not None else w for w, o in zip(WORDS, OTHER, strict=True)]


def test_character_length(data: DataFrame) -> None:
    assert column_values(data, f.character_length(col("w"))) == [len(w) for w in WORDS]


def test_sqrt_and_power(data: DataFrame) -> None:
    roots = column_values(data, f.sqrt(f.abs(col("x"))))
    assert roots == pytest.approx([math.sqrt(abs(v)) for v in FLOATS])
    squares = column_values(data, f.power(col("x"), lit(2)))
    assert squares == pytest.approx([v**2 for v in FLOATS])


def test_round(data: DataFrame) -> None:
    out = column_values(data, f.round(col("x") * lit(1.01), lit(1)))
    assert out == pytest.approx([round(v * 1.01, 1) for v in FLOATS])


def test_regexp_replace(data: DataFrame) -> None:
    out = column_values(data, f.regexp_replace(col("w"), lit("[aeiou]"), lit("_"), lit("g")))
    assert out == [re.sub("[aeiou]", "_", w) for w in WORDS]


def test_starts_with_and_strpos(data: DataFrame) -> None:
    assert column_values(data, f.starts_with(col("w"), lit("d"))) == [
        w.startswith("d") for w in WORDS
    ]
    assert column_values(data, f.strpos(col("w"), lit("e"))) == [w.find("e") + 1 for w in WORDS]


def test_array_length(data: DataFrame) -> None:
    out = column_values(data, f.array_length(col("l")))
    assert out == [len(v) for v in LISTS]


def test_make_array_and_cardinality(data: DataFrame) -> None:
    out = column_values(data, f.make_array(col("n"), col("i")))
    assert out == [[n, i] for n, i in zip(NUMBERS, range(6), strict=True)]
    assert column_values(data, f.cardinality(col("l"))) == [len(v) for v in LISTS]


def test_date_trunc(data: DataFrame) -> None:
    out = column_values(data, f.date_trunc("month", col("t")))
    assert out == [t.replace(day=1, hour=0, minute=0) for t in STAMPS]


def test_date_part(data: DataFrame) -> None:
    years = column_values(data, f.date_part("year", col("t")))
    assert [int(y) for y in years] == [t.year for t in STAMPS]


def test_nullif(data: DataFrame) -> None:
    out = column_values(data, f.nullif(col("n"), lit(7)))
    assert out == [None if v == 7 else v for v in NUMBERS]


def test_functions_usable_in_filter(data: DataFrame) -> None:
    out = data.filter(f.upper(col("w")) == lit("FIG")).select("i").to_pydict()
    assert out == {"i": [5]}


# Aggregate functions


def test_basic_aggregates(data: DataFrame) -> None:
    assert aggregate_value(data, f.sum(col("n"))) == sum(NUMBERS)
    assert aggregate_value(data, f.avg(col("x"))) == pytest.approx(statistics.mean(FLOATS))
    assert aggregate_value(data, f.count(col("o"))) == sum(v is not None for v in OTHER)
    assert aggregate_value(data, f.min(col("w"))) == min(WORDS)
    assert aggregate_value(data, f.max(col("n"))) == max(NUMBERS)


def test_count_rows(data: DataFrame) -> None:
    assert aggregate_value(data, f.count()) == len(NUMBERS)
    assert aggregate_value(data, f.count_star()) == len(NUMBERS)


def test_median_and_stddev(data: DataFrame) -> None:
    assert aggregate_value(data, f.median(col("x"))) == pytest.approx(statistics.median(FLOATS))
    assert aggregate_value(data, f.stddev(col("x"))) == pytest.approx(statistics.stdev(FLOATS))
    assert aggregate_value(data, f.stddev_pop(col("x"))) == pytest.approx(statistics.pstdev(FLOATS))


def test_array_agg(data: DataFrame) -> None:
    collected = aggregate_value(data, f.array_agg(col("n")))
    assert sorted(collected) == sorted(NUMBERS)


def test_first_value_with_order(data: DataFrame) -> None:
    out = aggregate_value(data, f.first_value(col("w"), order_by=[col("x").sort()]))
    assert out == WORDS[FLOATS.index(min(FLOATS))]


def test_grouped_aggregates(data: DataFrame) -> None:
    out = data.aggregate([col("g")], [f.sum(col("n")).alias("s"), f.count(col("n")).alias("c")])
    rows = {r["g"]: (r["s"], r["c"]) for r in out.to_pylist()}
    expected: dict[str, tuple[int, int]] = {}
    for g, n in zip(GROUPS, NUMBERS, strict=True):
        s, c = expected.get(g, (0, 0))
        expected[g] = (s + n, c + 1)
    assert rows == expected


# Window functions


def test_row_number_and_rank(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"score": [50, 80, 80, 30, 90]})
    order = Window(order_by=[col("score").sort(ascending=False)])
    out = df.select(
        col("score"),
        f.rank().over(order).alias("rank"),
        f.row_number().over(order).alias("rn"),
    ).sort(col("rn").sort())
    data = out.to_pydict()
    assert data["score"] == [90, 80, 80, 50, 30]
    assert data["rank"] == [1, 2, 2, 4, 5]
    assert data["rn"] == [1, 2, 3, 4, 5]


def test_lag_and_lead(data: DataFrame) -> None:
    window = Window(order_by=[col("i").sort()])
    out = data.select(
        col("i"),
        f.lag(col("n")).over(window).alias("prev"),
        f.lead(col("n")).over(window).alias("next"),
    ).sort(col("i").sort())
    result = out.to_pydict()
    assert result["prev"] == [None, *NUMBERS[:-1]]
    assert result["next"] == [*NUMBERS[1:], None]


def test_lag_official_keyword_form(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"g": ["a", "a", "b", "b"], "v": [1, 2, 3, 4]})
    expr = f.lag(
        col("v"), shift_offset=1, default_value=0, partition_by=[col("g")], order_by=[col("v")]
    )
    out = df.select(col("v"), expr.alias("prev")).sort(col("v").sort()).to_pydict()
    assert out["prev"] == [0, 1, 0, 3]


def test_row_number_official_keyword_form(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"v": [30, 10, 20]})
    expr = f.row_number(order_by=[col("v").sort()])
    out = df.select(col("v"), expr.alias("rn")).sort(col("v").sort()).to_pydict()
    assert out["rn"] == [1, 2, 3]


def test_first_value_over_partition(data: DataFrame) -> None:
    window = Window(partition_by=[col("g")], order_by=[col("i").sort()])
    out = data.select(col("i"), f.first_value(col("w")).over(window).alias("first"))
    got = {r["i"]: r["first"] for r in out.to_pylist()}
    first_of: dict[str, str] = {}
    for g, w in zip(GROUPS, WORDS, strict=True):
        first_of.setdefault(g, w)
    assert got == {i: first_of[g] for i, g in enumerate(GROUPS)}


# Coverage of the session's registry


def registered_function_names() -> set[str]:
    ctx = SessionContext(SessionConfig().with_information_schema(True))
    rows = ctx.sql("SELECT DISTINCT routine_name FROM information_schema.routines").to_pydict()[
        "routine_name"
    ]
    return {name for name in rows if name}


def test_every_registered_function_is_in_functions_module() -> None:
    names = registered_function_names()
    assert len(names) > 200
    missing = sorted(name for name in names if name.isidentifier() and not hasattr(f, name))
    assert missing == []


def test_every_registry_function_is_in_functions_module() -> None:
    from fuseplug import _internal

    infos = _internal.builtin_functions()
    assert {info.kind for info in infos} == {"scalar", "aggregate", "window"}
    names = {name for info in infos for name in [info.name, *info.aliases]}
    assert {"abs", "sum", "row_number", "array_agg", "date_trunc"} <= names
    missing = sorted(
        name
        for name in names
        if name.isidentifier()
        and not name.startswith("_")
        and not hasattr(f, name)
        and not hasattr(f, name + "_")
    )
    assert missing == []


def assert_generated(target: Path, fresh: str) -> None:
    on_disk = target.read_text()
    if on_disk != fresh:
        name = f"{target.parent.name}/{target.name}"
        diff = difflib.unified_diff(
            on_disk.splitlines(), fresh.splitlines(), name, "registry", lineterm=""
        )
        pytest.fail(f"{name} is stale:\n" + "\n".join(list(diff)[:40]))


def test_generated_functions_module_is_current() -> None:
    from fuseplug import _codegen

    assert_generated(_codegen.TARGET, _codegen.render())
    assert _codegen.main(["--check"]) == 0


def test_generated_spark_module_is_current() -> None:
    from fuseplug import _codegen

    assert_generated(_codegen.SPARK_TARGET, _codegen.render_spark())
    assert_generated(_codegen.METHODS_TARGET, _codegen.render_expr_methods())


def test_docstrings_carry_the_sql_example() -> None:
    from fuseplug import _internal

    example = {i.name: i.sql_example for i in _internal.builtin_functions()}["abs"]
    assert example is not None and "abs(" in example
    for doc in (f.abs.__doc__, fuseplug.Expr.abs.__doc__):
        assert doc is not None
        assert "Example:" in doc and ".. code-block:: sql" in doc and "```" not in doc
        sql = doc.split(".. code-block:: sql", 1)[1]
        assert "abs(" in sql.lower()
    with_examples = [n for n in f.__all__ if ".. code-block:: sql" in (getattr(f, n).__doc__ or "")]
    assert len(with_examples) > 200


def test_higher_order_functions_are_re_exported() -> None:
    from fuseplug import _codegen, _higher_order

    for name in _codegen.HIGHER_ORDER:
        assert getattr(f, name) is getattr(_higher_order, name), name
        assert name in f.__all__


def test_codegen_check_detects_stale_file(tmp_path: Path) -> None:
    from fuseplug import _codegen

    stale = tmp_path / "functions.py"
    stale.write_text(_codegen.render().replace("def abs(", "def abs_renamed("))
    assert _codegen.main(["--check", "--target", str(stale)]) == 1
    assert _codegen.main(["--target", str(stale)]) == 0
    assert _codegen.main(["--check", "--target", str(stale)]) == 0


def test_functions_compute_what_sql_of_the_same_name_computes(ctx: SessionContext) -> None:
    # Each wrapper must build a call to the SQL function it is named after: one plan per kind
    # (scalar, aggregate, window), compared column by column with the same calls written in SQL.
    table = pa.table(
        {
            "i": pa.array(range(6), pa.int64()),
            "n": pa.array(NUMBERS, pa.int64()),
            "x": pa.array(FLOATS, pa.float64()),
            "w": pa.array(WORDS, pa.string()),
            "o": pa.array(OTHER, pa.string()),
            "l": pa.array(LISTS, pa.list_(pa.int64())),
            "t": pa.array(STAMPS, pa.timestamp("us")),
        }
    )
    df = ctx.from_arrow(table, name="d")
    scalars = {
        "abs": (f.abs(col("n")), "abs(n)"),
        "upper": (f.upper(col("w")), "upper(w)"),
        "concat": (f.concat(col("w"), lit("-"), col("o")), "concat(w, '-', o)"),
        "date_trunc": (f.date_trunc("month", col("t")), "date_trunc('month', t)"),
        "regexp_replace": (
            f.regexp_replace(col("w"), lit("[aeiou]"), lit("_"), lit("g")),
            "regexp_replace(w, '[aeiou]', '_', 'g')",
        ),
        "array_length": (f.array_length(col("l")), "array_length(l)"),
        "coalesce": (f.coalesce(col("o"), col("w")), "coalesce(o, w)"),
    }
    aggregates = {
        "sum": (f.sum(col("n")), "sum(n)"),
        "avg": (f.avg(col("x")), "avg(x)"),
        "count": (f.count(col("o")), "count(o)"),
        "min": (f.min(col("w")), "min(w)"),
        "max": (f.max(col("n")), "max(n)"),
        "median": (f.median(col("x")), "median(x)"),
        "stddev": (f.stddev(col("x")), "stddev(x)"),
        "array_agg": (f.array_agg(col("n"), order_by=[col("i")]), "array_agg(n ORDER BY i)"),
        "first_value": (
            f.first_value(col("w"), order_by=[col("x").sort()]),
            "first_value(w ORDER BY x)",
        ),
    }
    by_score = Window(order_by=[col("n").sort(ascending=False)])
    by_i = Window(order_by=[col("i").sort()])
    windows = {
        "row_number": (f.row_number().over(by_score), "row_number() OVER (ORDER BY n DESC)"),
        "rank": (f.rank().over(by_score), "rank() OVER (ORDER BY n DESC)"),
        "lag": (f.lag(col("n")).over(by_i), "lag(n) OVER (ORDER BY i)"),
        "lead": (f.lead(col("n")).over(by_i), "lead(n) OVER (ORDER BY i)"),
    }

    def via_sql(calls: dict[str, tuple[fuseplug.Expr, str]], tail: str) -> dict[str, Any]:
        select = ", ".join(f'{sql} AS "{name}"' for name, (_, sql) in calls.items())
        return ctx.sql(f"SELECT {select} FROM d {tail}").to_pydict()

    def aliased(calls: dict[str, tuple[fuseplug.Expr, str]]) -> list[fuseplug.Expr]:
        return [expr.alias(name) for name, (expr, _) in calls.items()]

    got = df.select(col("i"), *aliased(scalars)).sort(col("i").sort()).drop("i").to_pydict()
    assert got == via_sql(scalars, "ORDER BY i")
    assert got["abs"] == [abs(v) for v in NUMBERS]

    got = df.aggregate([], aliased(aggregates)).to_pydict()
    assert got == via_sql(aggregates, "")
    assert got["sum"] == [sum(NUMBERS)] and got["array_agg"] == [NUMBERS]

    got = df.select(col("i"), *aliased(windows)).sort(col("i").sort()).drop("i").to_pydict()
    assert got == via_sql(windows, "ORDER BY i")
    assert got["lag"] == [None, *NUMBERS[:-1]]


# Official call shapes: keyword arguments and defaults as in the official bindings.


def test_keyword_calls_written_for_the_official_bindings(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [1.2345, 2.5], "s": ["abcabc", "xbx"], "a": [[1, 2, 3, 4], [5]]})
    out = df.select(
        f.round(col("x"), decimal_places=lit(2)).alias("r"),
        f.round(col("x")).alias("r0"),
        f.regexp_count(col("s"), lit("b"), start=lit(1), flags=lit("i")).alias("n"),
        f.array_slice(col("a"), lit(1), lit(4), stride=lit(2)).alias("sl"),
        f.lpad(col("s"), count=lit(8), characters=lit("*")).alias("p"),
        f.trim(col("s"), characters=lit("x")).alias("t"),
        f.array_sort(col("a"), descending=True).alias("desc"),
    ).to_pydict()
    assert out == {
        "r": [1.23, 2.5],
        "r0": [1.0, 3.0],
        "n": [2, 1],
        "sl": [[1, 3], [5]],
        "p": ["**abcabc", "*****xbx"],
        "t": ["abcabc", "b"],
        "desc": [[4, 3, 2, 1], [5]],
    }


def test_aggregate_and_window_keywords_of_the_official_bindings(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"g": ["a", "a", "b"], "x": [1, 2, None]})
    out = df.aggregate(
        [],
        [
            f.count().alias("rows"),
            f.count(col("x"), distinct=True).alias("distinct"),
            f.count([col("x")], filter=col("x") > lit(1)).alias("filtered"),
            f.count_star(filter=col("g") == lit("a")).alias("a_rows"),
            f.first_value(col("x"), order_by=[col("x").sort(ascending=False)]).alias("first"),
            f.approx_percentile_cont(col("x"), 0.5, num_centroids=100).alias("p50"),
        ],
    ).to_pydict()
    assert out["rows"] == [3] and out["distinct"] == [2] and out["filtered"] == [1]
    assert out["a_rows"] == [2] and out["first"] == [2]
    assert 1 <= out["p50"][0] <= 2
    lagged = (
        df.select(
            col("x"),
            f.lag(col("x"), shift_offset=1, default_value=0, order_by=[col("x")]).alias("prev"),
        )
        .sort(col("x").sort())
        .to_pydict()
    )
    assert lagged["prev"][:2] == [0, 1]


def test_every_official_function_has_its_official_signature() -> None:
    """The surface check for the functions module: names, parameter names, kinds and defaults of
    every official function that fuseplug provides (the gaps are listed in
    docs/compatibility.md)."""
    import inspect

    from fuseplug._official_signatures import SIGNATURES
    from fuseplug._surface import _default

    differ = []
    for name, params in SIGNATURES.items():
        ours = getattr(f, name, None)
        if ours is None:
            continue
        mine = [
            (p.name, p.kind.name, None if p.default is p.empty else _default(p.default))
            for p in inspect.signature(ours).parameters.values()
        ]
        theirs = list(params)
        if mine != theirs:
            differ.append(name)
    assert differ == []
    missing = sorted(name for name in SIGNATURES if not hasattr(f, name))
    assert missing == sorted(NOT_YET_IN_FUNCTIONS)


#: Official names fuseplug's functions module does not have (docs/compatibility.md says why).
NOT_YET_IN_FUNCTIONS = [
    # implementation helpers that the official module happens to expose
    "coerce_to_expr",
    "coerce_to_expr_list",
    "coerce_to_expr_or_none",
    "expr_list_to_raw_expr_list",
    "overload",
    "sort_list_to_raw_sort_list",
    "sort_or_default",
]


def test_official_signatures_file_matches_the_installed_official_wheel(run_python: Any) -> None:
    # in a child process: the official wheel's library stays out of the test run's process
    proc = run_python(
        """
from pathlib import Path
from fuseplug import _codegen
current = Path(_codegen.__file__).with_name("_official_signatures.py").read_text()
print("same" if current == _codegen.render_official_signatures() else "stale")
"""
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["same"], "run python -m fuseplug._codegen --extract-official"


def test_official_spellings_of_registry_functions(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [1.0, math.nan], "d": ["2024-03-05", "2025-01-01"]})
    out = df.select(
        f.range(3).alias("r"),
        f.range(start=1, stop=7, step=3).alias("r2"),
        f.generate_series(1, stop=3).alias("g"),
        f.gen_series(start=2, stop=6, step=2).alias("gs"),
        f.array(1, 2).alias("a"),
        f.is_nan(col("x")).alias("nan"),
        f.list_min(f.array(3, 1)).alias("min"),
        f.list_overlap(f.array(1, 2), f.array(2, 5)).alias("overlap"),
        f.make_map({"x": 1}).alias("m1"),
        f.make_map(["x", "y"], [1, 2]).alias("m2"),
        f.make_map("x", 1, "y", 2).alias("m3"),
        f.extract("year", f.to_date(col("d"))).alias("year"),
    ).to_pydict()
    assert out["r"][0] == [0, 1, 2] and out["r2"][0] == [1, 4]
    assert out["g"][0] == [1, 2, 3] and out["gs"][0] == [2, 4, 6]
    assert out["a"][0] == [1, 2] and out["nan"] == [False, True]
    assert out["min"][0] == 1 and out["overlap"][0] is True
    assert out["m1"][0] == [("x", 1)] and out["m2"][0] == out["m3"][0] == [("x", 1), ("y", 2)]
    assert out["year"] == [2024, 2025]
    with pytest.raises(TypeError, match="needs stop"):
        f.range(start=3)
    with pytest.raises(TypeError, match="unexpected keyword argument 'end'"):
        f.generate_series(1, end=3)
    with pytest.raises(ValueError, match="same length"):
        f.make_map(["x"], [1, 2])
