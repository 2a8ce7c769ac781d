"""The Spark-compatible functions: ``fuseplug.functions.spark`` and
``SessionContext.enable_spark_functions``.

Results are compared with values computed in Python, with the DataFusion built-in of the same name
where Spark differs from it, and (in a child process) with the official bindings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import pyarrow as pa
import pytest

import fuseplug
from fuseplug import DataFrame, SessionContext, col, lit
from fuseplug import functions as f
from fuseplug.exceptions import DataFusionError
from fuseplug.functions import spark


def values(df: DataFrame, **exprs: fuseplug.Expr) -> dict[str, list[Any]]:
    return df.select(*(e.alias(k) for k, e in exprs.items())).to_pydict()


@pytest.fixture
def words(ctx: SessionContext) -> DataFrame:
    return ctx.from_pydict({"s": ["hello", "spark", None], "i": [0, 1, 2]}).sort(col("i").sort())


def test_sha2_in_a_plain_session(words: DataFrame) -> None:
    out = values(words, h=spark.sha2(col("s"), 256), h1=spark.sha1(col("s")))
    assert out["h"] == [
        hashlib.sha256(b"hello").hexdigest(),
        hashlib.sha256(b"spark").hexdigest(),
        None,
    ]
    assert out["h1"] == [
        hashlib.sha1(b"hello").hexdigest(),
        hashlib.sha1(b"spark").hexdigest(),
        None,
    ]


def test_substring_counts_from_one_and_from_the_end(words: DataFrame) -> None:
    out = values(
        words,
        head=spark.substring(col("s"), 1, 3),
        tail=spark.substring(col("s"), -3, 2),
        builtin_tail=f.substring(col("s"), lit(-3), lit(2)),
        rest=spark.substr(col("s"), 2),
    )
    assert out["head"] == ["hel", "spa", None]
    assert out["tail"] == ["ll", "ar", None]  # Spark counts a negative start from the end
    assert out["builtin_tail"] == ["", "", None]  # DataFusion does not
    assert out["rest"] == ["ello", "park", None]


def test_round_half_up_keeping_the_decimal_type(ctx: SessionContext) -> None:
    df = ctx.from_arrow(pa.table({"x": pa.array([2.5, -2.5, 0.125, 1.5], pa.float32())}))
    out = values(df, whole=spark.round(col("x")), two=spark.round(col("x"), 2))
    assert out["whole"] == [3.0, -3.0, 0.0, 2.0]  # ties away from zero (HALF_UP)
    assert out["two"] == pytest.approx([2.5, -2.5, 0.13, 1.5])
    decimals = ctx.sql("SELECT CAST(d AS DECIMAL(4, 2)) AS d FROM (VALUES (2.45), (-2.45)) AS t(d)")
    rounded = decimals.select(
        spark.round(col("d"), 1).alias("spark"), f.round(col("d"), lit(1)).alias("builtin")
    )
    assert [str(v) for v in rounded.to_pydict()["spark"]] == ["2.50", "-2.50"]
    assert [str(v) for v in rounded.to_pydict()["builtin"]] == ["2.5", "-2.5"]
    schema = rounded.schema()
    assert schema.field("spark").type == pa.decimal128(4, 2)  # Spark keeps the input's type
    assert schema.field("builtin").type == pa.decimal128(4, 1)


def test_concat_is_null_when_an_argument_is(words: DataFrame) -> None:
    out = values(
        words, spark=spark.concat(col("s"), lit("!")), builtin=f.concat(col("s"), lit("!"))
    )
    assert out["spark"] == ["hello!", "spark!", None]
    assert out["builtin"] == ["hello!", "spark!", "!"]


def test_official_keyword_names_and_conveniences(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [7], "u": ["https://example.com:8080/a?k=v"], "n": [5]})
    day = spark.make_interval  # every part optional, by keyword
    out = values(
        df,
        added=spark.date_add(start=f.to_date(lit("2024-02-28")), days=2),
        months=spark.add_months(start=f.to_date(lit("2024-01-31")), months=1),
        interval=day(days=1, hours=2),
        branch=spark.if_(condition=col("x") > lit(5), if_true="big", if_false="small"),
        rem=spark.modulus(dividend=col("x"), divisor=3),
        pmod=spark.pmod(dividend=-7, divisor=3),
        host=spark.parse_url(url=col("u"), partToExtract=lit("HOST")),
        query=spark.parse_url(url=col("u"), partToExtract=lit("QUERY"), key=lit("k")),
        kv=spark.str_to_map(text=lit("a=1;b=2"), pairDelim=lit(";"), keyValueDelim=lit("=")),
        kv_default=spark.str_to_map(text=lit("a:1,b:2")),
        digest=spark.sha2(col=lit("x"), numBits=224),
        bit=spark.bit_get(col("x"), "n"),  # a str names a column, as in pyspark
        like=spark.like(str=col("u"), pattern=lit("https:%")),
        spaces=spark.space(3),
    )
    assert out["added"] == [dt.date(2024, 3, 1)]
    assert out["months"] == [dt.date(2024, 2, 29)]
    assert out["interval"][0].days == 1 and out["interval"][0].nanoseconds == 2 * 3600 * 10**9
    assert out["branch"] == ["big"] and out["rem"] == [1] and out["pmod"] == [2]
    assert out["host"] == ["example.com"] and out["query"] == ["v"]
    assert out["kv"] == [[("a", "1"), ("b", "2")]] == out["kv_default"]
    assert out["digest"] == [hashlib.sha224(b"x").hexdigest()]
    assert out["bit"] == [0] and out["like"] == [True] and out["spaces"] == ["   "]


def test_spark_aggregates_with_modifiers(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"x": [1, 2, 2, 9]})
    out = df.aggregate(
        [],
        [
            spark.try_sum(col("x")).alias("sum"),
            spark.avg(col("x"), filter=col("x") < lit(5)).alias("avg"),
            spark.collect_set(col("x")).alias("set"),
            spark.collect_list(col("x"), filter=col("x") > lit(1)).alias("list"),
        ],
    ).to_pydict()
    assert out["sum"] == [14] and out["avg"] == [pytest.approx(5 / 3)]
    assert sorted(out["set"][0]) == [1, 2, 9] and sorted(out["list"][0]) == [2, 2, 9]


def test_enable_spark_functions_overrides_builtins_in_that_session_only() -> None:
    query = "SELECT concat('a', NULL) AS c, ceil(2.1) AS up, arrow_typeof(ceil(2.1)) AS t"
    plain, enabled = SessionContext(), SessionContext()
    before = enabled.sql(query).to_pydict()
    enabled.enable_spark_functions()
    assert enabled.sql(query).to_pydict() == {"c": [None], "up": [3], "t": ["Int64"]}
    assert plain.sql(query).to_pydict() == before == {"c": ["a"], "up": [3.0], "t": ["Float64"]}
    digest = enabled.sql("SELECT sha2('hello', 256) AS h").to_pydict()["h"]
    assert digest == [hashlib.sha256(b"hello").hexdigest()]
    with pytest.raises(DataFusionError):
        plain.sql("SELECT sha2('hello', 256)").collect()
    assert {"sha2", "try_sum", "collect_set"} <= set(enabled.udfs()) | set(enabled.udafs())


def test_spark_overrides_survive_a_rebuilt_session() -> None:
    # Installing a query planner rebuilds the session state, which registers every function again
    # in hash order; DataFusion's array_has (alias array_contains) used to take that name back from
    # Spark's at random (crates/fuseplug-engine/src/state.rs). Spark's gives NULL here.
    query = "SELECT array_contains(array(1, NULL, 3), 2) AS c"
    for _ in range(12):
        ctx = SessionContext()
        ctx.enable_spark_functions()
        ctx.set_query_planner(ctx)
        assert ctx.sql(query).to_pydict() == {"c": [None]}
        plain = SessionContext()
        plain.set_query_planner(plain)
        assert plain.sql("SELECT array_contains([1, NULL, 3], 2) AS c").to_pydict() == {
            "c": [False]
        }


def test_spark_is_imported_when_first_asked_for(run_python: Any) -> None:
    proc = run_python(
        """
import sys
import fuseplug
assert "fuseplug.functions.spark" not in sys.modules
import fuseplug.functions as f
from fuseplug import functions
assert "fuseplug.functions.spark" not in sys.modules
from fuseplug.functions import spark
assert f.spark is spark is functions.spark is sys.modules["fuseplug.functions.spark"]
assert "spark" in f.__all__ and callable(spark.sha2)
try:
    f.no_such_function
except AttributeError as e:
    print("AttributeError", e)
"""
    )
    assert proc.returncode == 0, proc.stderr
    assert "has no attribute 'no_such_function'" in proc.stdout


def test_every_official_spark_function_has_its_official_signature() -> None:
    import inspect

    from fuseplug._official_signatures import SPARK_SIGNATURES
    from fuseplug._surface import _default

    assert len(SPARK_SIGNATURES) > 100
    missing = sorted(name for name in SPARK_SIGNATURES if not hasattr(spark, name))
    assert missing == []
    differ = [
        name
        for name, params in SPARK_SIGNATURES.items()
        if [
            (p.name, p.kind.name, None if p.default is p.empty else _default(p.default))
            for p in inspect.signature(getattr(spark, name)).parameters.values()
        ]
        != list(params)
    ]
    assert differ == []


#: The same calls, run by the official bindings and by fuseplug: results must agree.
SAME_RESULTS = """
import json, sys
import {module} as m
from {module}.functions import spark as s
ctx = m.SessionContext()
df = ctx.from_pydict({{"s": ["Hello", "x y", None], "n": [3, -7, 12], "d": [1.25, -2.5, 0.5]}})
exprs = {{
    "sha2": s.sha2(m.col("s"), 256), "crc32": s.crc32(m.col("s")), "hex": s.hex(m.col("n")),
    "substr": s.substr(m.col("s"), 2, 2), "ascii": s.ascii(m.col("s")), "bin": s.bin(m.col("n")),
    "url": s.url_encode(m.col("s")), "base64": s.base64(m.col("s")), "len": s.length(m.col("s")),
    "pmod": s.pmod(m.col("n"), 5), "ceil": s.ceil(m.col("d")), "round": s.round(m.col("d"), 1),
    "expm1": s.expm1(m.col("d")), "negative": s.negative(m.col("n")),
    "xx": s.xxhash64(m.col("s")), "concat_ws": s.concat_ws("-", m.col("s"), m.col("s")),
    "elt": s.elt(m.lit(2), m.lit("a"), m.lit("b")), "fmt": s.format_string("%d!", m.col("n")),
    "shl": s.shiftleft(m.col("n"), 2), "soundex": s.soundex(m.col("s")),
    "days": s.date_add(s.last_day(m.functions.to_date(m.lit("2024-02-03"))), 1),
    "arr": s.array_contains(s.array(m.col("n"), m.lit(3)), 3), "size": s.size(s.array(m.col("n"))),
}}
out = df.select(*[e.alias(k) for k, e in exprs.items()]).to_pydict()
json.dump(out, sys.stdout, default=str, sort_keys=True)
"""


def test_spark_functions_agree_with_the_official_bindings(run_python: Any) -> None:
    results = []
    for module in ("datafusion", "fuseplug"):
        proc = run_python(SAME_RESULTS.format(module=module))
        assert proc.returncode == 0, proc.stderr
        results.append(json.loads(proc.stdout))
    official, ours = results
    assert ours == official
