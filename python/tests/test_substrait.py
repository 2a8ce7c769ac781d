"""Substrait (``fuseplug.substrait``): the 22 TPC-H queries through Substrait bytes, JSON and files
and back, with the answers of the round-tripped plans checked against the queries run directly; a
plan written by hand to the Substrait specification; plans exchanged with the official
``datafusion`` wheel in both directions; bad input refused with a specific exception, never a
crash (fuzzed in a child process)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from answers import assert_same_answer

from benchmarks import tpch
from fuseplug import LogicalPlan, SessionContext
from fuseplug.exceptions import NotSupportedError, PlanError, SerializationError
from fuseplug.substrait import Consumer, Plan, Producer, Serde

RunPython = Callable[..., Any]


@pytest.fixture(scope="module")
def expected(tpch_ctx: SessionContext) -> Iterator[dict[int, pa.Table]]:
    """Each query's answer, run directly from SQL (computed on first use)."""
    cache: dict[int, pa.Table] = {}

    class Answers(dict):  # type: ignore[type-arg]
        def __missing__(self, n: int) -> pa.Table:
            cache[n] = tpch_ctx.sql(tpch.query(n)).to_arrow_table()
            return cache[n]

    yield Answers()


def run(ctx: SessionContext, plan: LogicalPlan) -> pa.Table:
    return ctx.create_dataframe_from_logical_plan(plan).to_arrow_table()


def fresh_ctx(tpch_dir: Path) -> SessionContext:
    """A session that knows only the tables: a consumed plan brings everything else with it."""
    ctx = SessionContext()
    tpch.register(ctx, tpch_dir)
    return ctx


@pytest.mark.parametrize("n", tpch.QUERIES, ids=lambda n: f"q{n:02d}")
def test_tpch_round_trip_through_bytes(
    n: int, tpch_ctx: SessionContext, tpch_dir: Path, expected: dict[int, pa.Table]
) -> None:
    data = Serde.serialize_bytes(tpch.query(n), tpch_ctx)
    assert isinstance(data, bytes) and data
    plan = Consumer.from_substrait_plan(fresh_ctx(tpch_dir), Serde.deserialize_bytes(data))
    assert isinstance(plan, LogicalPlan)
    answer = run(tpch_ctx, plan)
    assert answer.num_rows > 0
    assert_same_answer(answer, expected[n], f"q{n:02d}", sql=tpch.query(n))


@pytest.mark.parametrize("n", tpch.QUERIES, ids=lambda n: f"q{n:02d}")
def test_tpch_round_trip_through_json(
    n: int, tpch_ctx: SessionContext, tpch_dir: Path, expected: dict[int, pa.Table]
) -> None:
    # from a DataFrame's optimized logical plan, through the Producer, as JSON text
    df = tpch_ctx.sql(tpch.query(n))
    text = Producer.to_substrait_plan(df.optimized_logical_plan(), tpch_ctx).to_json()
    assert json.loads(text)["relations"]
    plan = Plan.from_json(text)
    assert Plan.from_json(plan.to_json()).encode() == plan.encode()
    answer = run(tpch_ctx, Consumer.from_substrait_plan(fresh_ctx(tpch_dir), plan))
    assert_same_answer(answer, expected[n], f"q{n:02d}", sql=tpch.query(n))


#: Queries with correlated subqueries: their unoptimized plans hold outer column references, which
#: Substrait cannot express; the optimizer decorrelates them into joins.
CORRELATED = {2, 4, 17, 20, 21, 22}


@pytest.mark.parametrize("n", tpch.QUERIES, ids=lambda n: f"q{n:02d}")
def test_tpch_unoptimized_plans(
    n: int, tpch_ctx: SessionContext, tpch_dir: Path, expected: dict[int, pa.Table]
) -> None:
    logical = tpch_ctx.sql(tpch.query(n)).logical_plan()
    if n in CORRELATED:
        with pytest.raises(NotSupportedError, match="Cannot convert OuterReferenceColumn"):
            Producer.to_substrait_plan(logical, tpch_ctx)
        return
    plan = Serde.deserialize_bytes(Producer.to_substrait_plan(logical, tpch_ctx).encode())
    answer = run(tpch_ctx, Consumer.from_substrait_plan(fresh_ctx(tpch_dir), plan))
    assert_same_answer(answer, expected[n], f"q{n:02d}", sql=tpch.query(n))


def test_serialize_to_plan_and_serialize_bytes_agree(
    tpch_ctx: SessionContext, expected: dict[int, pa.Table]
) -> None:
    # the encoding is not byte-stable (function extensions are numbered in hash order): compare
    # what the plans answer
    sql = tpch.query(6)
    plan = Serde.serialize_to_plan(sql, tpch_ctx)
    assert isinstance(plan, Plan)
    for decoded in (plan, Serde.deserialize_bytes(Serde.serialize_bytes(sql, tpch_ctx))):
        answer = run(tpch_ctx, Consumer.from_substrait_plan(tpch_ctx, decoded))
        assert_same_answer(answer, expected[6])
    assert Serde.deserialize_bytes(plan.encode()).to_json() == plan.to_json()


def test_files(tmp_path: Path, tpch_ctx: SessionContext, expected: dict[int, pa.Table]) -> None:
    as_path, as_str = tmp_path / "q05.substrait", str(tmp_path / "q05-str.substrait")
    Serde.serialize(tpch.query(5), tpch_ctx, as_path)
    Serde.serialize(tpch.query(5), tpch_ctx, as_str)
    for path in (as_path, as_str):
        plan = Serde.deserialize(path)
        assert_same_answer(run(tpch_ctx, Consumer.from_substrait_plan(tpch_ctx, plan)), expected[5])
    # like the official bindings: never overwrites
    before = as_path.read_bytes()
    with pytest.raises(FileExistsError):
        Serde.serialize(tpch.query(6), tpch_ctx, as_path)
    assert as_path.read_bytes() == before
    with pytest.raises(FileNotFoundError):
        Serde.deserialize(tmp_path / "missing.substrait")


def test_module_names_match_the_official_module() -> None:
    import fuseplug.substrait as s

    assert s.__all__ == ["Consumer", "Plan", "Producer", "Serde"]
    assert s.LogicalPlan is LogicalPlan


# A plan written by hand from the Substrait specification (not by any DataFusion producer; DuckDB's
# Substrait extension would be another, but it is downloaded from DuckDB's extension server):
#   SELECT g, sum(x * 2) AS total, count(*) AS n FROM t WHERE x > 1 GROUP BY g
# read (named table, base schema) -> filter -> project (appends x * 2) -> aggregate -> root names.


def field(i: int) -> dict[str, Any]:
    """A reference to input column ``i``."""
    return {"selection": {"directReference": {"structField": {"field": i}}, "rootReference": {}}}


def of_type(name: str, required: bool = False) -> dict[str, Any]:
    nullability = "NULLABILITY_REQUIRED" if required else "NULLABILITY_NULLABLE"
    return {name: {"nullability": nullability}}


def call(anchor: int, output: str, *args: dict[str, Any]) -> dict[str, Any]:
    return {
        "functionReference": anchor,
        "outputType": of_type(output),
        "arguments": [{"value": a} for a in args],
    }


def function(uri: int, anchor: int, name: str) -> dict[str, Any]:
    spec = {"extensionUriReference": uri, "functionAnchor": anchor, "name": name}
    return {"extensionFunction": spec}


def measure(fn: dict[str, Any]) -> dict[str, Any]:
    phase = {"phase": "AGGREGATION_PHASE_INITIAL_TO_RESULT"}
    return {"measure": {**fn, **phase, "invocation": "AGGREGATION_INVOCATION_ALL"}}


READ = {
    "read": {
        "baseSchema": {
            "names": ["g", "x"],
            "struct": {
                "types": [of_type("string"), of_type("i64")],
                "nullability": "NULLABILITY_REQUIRED",
            },
        },
        "namedTable": {"names": ["t"]},
    }
}
FILTER = {
    "filter": {
        "input": READ,
        "condition": {"scalarFunction": call(1, "bool", field(1), {"literal": {"i64": "1"}})},
    }
}
PROJECT = {
    "project": {
        "input": FILTER,
        "expressions": [{"scalarFunction": call(2, "i64", field(1), {"literal": {"i64": "2"}})}],
    }
}
AGGREGATE = {
    "aggregate": {
        "input": PROJECT,
        "groupings": [{"groupingExpressions": [field(0)]}],
        "measures": [measure(call(3, "i64", field(2))), measure(call(4, "i64"))],
    }
}
HAND_WRITTEN_PLAN = {
    "extensionUris": [
        {"extensionUriAnchor": 1, "uri": "/functions_comparison.yaml"},
        {"extensionUriAnchor": 2, "uri": "/functions_arithmetic.yaml"},
        {"extensionUriAnchor": 3, "uri": "/functions_aggregate_generic.yaml"},
    ],
    "extensions": [
        function(1, 1, "gt"),
        function(2, 2, "multiply"),
        function(2, 3, "sum"),
        function(3, 4, "count"),
    ],
    "relations": [{"root": {"names": ["g", "total", "n"], "input": AGGREGATE}}],
}


def small_ctx() -> SessionContext:
    ctx = SessionContext()
    ctx.from_pydict({"g": ["a", "b", "a", "c", "b", None], "x": [1, 2, 3, 4, 5, 6]}, name="t")
    return ctx


def test_a_hand_written_plan_reads_filters_projects_and_aggregates() -> None:
    ctx = small_ctx()
    plan = Plan.from_json(json.dumps(HAND_WRITTEN_PLAN))
    answer = run(ctx, Consumer.from_substrait_plan(ctx, plan))
    direct = ctx.sql(
        "SELECT g, sum(x * 2) AS total, count(*) AS n FROM t WHERE x > 1 GROUP BY g"
    ).to_arrow_table()
    assert_same_answer(answer, direct)
    assert sorted(answer.to_pylist(), key=lambda r: (r["g"] is None, r["g"] or "")) == [
        {"g": "a", "total": 6, "n": 1},
        {"g": "b", "total": 14, "n": 2},
        {"g": "c", "total": 8, "n": 1},
        {"g": None, "total": 12, "n": 1},
    ]
    # and it survives our own encoding
    again = Serde.deserialize_bytes(plan.encode())
    assert_same_answer(run(ctx, Consumer.from_substrait_plan(ctx, again)), direct)


def test_a_plan_from_the_substrait_python_builders() -> None:
    # another producer: the Substrait project's own plan builders (the `substrait` package), which
    # write a newer version of the specification (function extensions by URN)
    import substrait.algebra_pb2 as algebra
    import substrait.builders.extended_expression as e
    import substrait.builders.plan as b
    import substrait.builders.type as types
    from substrait.extension_registry import ExtensionRegistry

    cmp, arith, generic = (
        f"extension:io.substrait:functions_{name}"
        for name in ("comparison", "arithmetic", "aggregate_generic")
    )
    schema = types.named_struct(["g", "x"], types.struct([types.string(), types.i64()], False))
    kept = b.filter(
        b.read_named_table("t", schema),
        e.scalar_function(cmp, "gt", [e.column("x"), e.literal(1, types.i64())]),
    )
    doubled = e.scalar_function(arith, "multiply", [e.column("x"), e.literal(2, types.i64())])
    projected = b.project(kept, [e.column("g"), e.alias(doubled, "x2")])
    totals = b.aggregate(
        projected,
        [e.column("g")],
        [
            e.aggregate_function(arith, "sum", [e.column("x2")], alias="total"),
            e.aggregate_function(generic, "count", [], alias="n"),
        ],
    )
    descending = algebra.SortField.SORT_DIRECTION_DESC_NULLS_LAST
    top = b.fetch(
        b.sort(totals, [(e.column("total"), descending)]), None, e.literal(3, types.i64())
    )
    data = top(ExtensionRegistry(load_default_extensions=True)).SerializeToString()

    ctx = small_ctx()
    answer = run(ctx, Consumer.from_substrait_plan(ctx, Serde.deserialize_bytes(data)))
    assert answer.to_pydict() == {"g": ["b", None, "c"], "total": [14, 12, 8], "n": [2, 1, 1]}
    direct = ctx.sql(
        "SELECT g, sum(x * 2) AS total, count(*) AS n FROM t WHERE x > 1 GROUP BY g"
        " ORDER BY total DESC LIMIT 3"
    )
    assert answer.to_pydict() == direct.to_pydict()


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"\xff\xff\xff\xff", b"not a substrait plan at all", b"\x0a\xff\xff\xff\xff\x0f"],
    ids=["ff", "text", "huge-length"],
)
def test_garbage_bytes_are_a_serialization_error(data: bytes) -> None:
    with pytest.raises(SerializationError, match="Failed to decode plan"):
        Serde.deserialize_bytes(data)


def test_truncated_bytes_are_a_serialization_error(tpch_ctx: SessionContext) -> None:
    data = Serde.serialize_bytes(tpch.query(9), tpch_ctx)
    for cut in (len(data) // 3, len(data) // 2, len(data) - 1):
        with pytest.raises(SerializationError):
            Serde.deserialize_bytes(data[:cut])


@pytest.mark.parametrize(
    "text",
    ["{", "[1, 2]", '{"relations": 5}', '{"relations": [{"root": {"input": {"read": 7}}}]}', ""],
    ids=["unclosed", "array", "wrong-type", "wrong-nested-type", "empty"],
)
def test_invalid_json_is_a_serialization_error(text: str) -> None:
    with pytest.raises(SerializationError, match="JSON"):
        Plan.from_json(text)


@pytest.mark.parametrize(
    ("relation", "error", "message"),
    [
        # an unknown field is skipped by the JSON reader, which leaves the relation empty
        ({"root": {"input": {"nope": {}}}}, SerializationError, "rel must set rel_type"),
        # the crate unwraps the missing input: the panic is caught and reported
        ({"root": {}}, SerializationError, "consuming a Substrait plan failed"),
        ({}, PlanError, "Cannot parse plan relation"),
        (
            {"root": {"input": {"read": {"namedTable": {"names": ["t"]}}}}},
            SerializationError,
            "No base schema",
        ),
    ],
    ids=["unknown-rel", "root-without-input", "empty-relation", "read-without-schema"],
)
def test_malformed_plans_are_refused_by_the_consumer(
    relation: dict[str, Any], error: type[Exception], message: str
) -> None:
    plan = Plan.from_json(json.dumps({"relations": [relation]}))
    with pytest.raises(error, match=message):
        Consumer.from_substrait_plan(small_ctx(), plan)


def test_a_plan_over_a_table_the_session_lacks_is_a_plan_error() -> None:
    plan = Plan.from_json(json.dumps(HAND_WRITTEN_PLAN))
    with pytest.raises(PlanError, match="No table named 't'"):
        Consumer.from_substrait_plan(SessionContext(), plan)


def test_a_plan_without_relations_is_refused() -> None:
    plan = Plan.from_json('{"relations": []}')
    assert plan.encode() == b""
    with pytest.raises(NotSupportedError):
        Consumer.from_substrait_plan(small_ctx(), plan)


def test_an_unknown_function_is_refused() -> None:
    doc = json.loads(json.dumps(HAND_WRITTEN_PLAN))
    doc["extensions"][0]["extensionFunction"]["name"] = "no_such_function"
    with pytest.raises(NotSupportedError, match="no_such_function"):
        Consumer.from_substrait_plan(small_ctx(), Plan.from_json(json.dumps(doc)))


def test_a_context_of_another_kind_is_a_type_error(tpch_ctx: SessionContext) -> None:
    with pytest.raises(TypeError, match="expected a fuseplug SessionContext"):
        Serde.serialize_bytes("SELECT 1", object())  # type: ignore[arg-type]
    plan = Serde.serialize_to_plan("SELECT 1", tpch_ctx)
    with pytest.raises(TypeError, match="expected a fuseplug SessionContext"):
        Consumer.from_substrait_plan(object(), plan)  # type: ignore[arg-type]


FUZZ = """
import json, random, sys
from fuseplug import SessionContext
from fuseplug.exceptions import FuseplugError
from fuseplug.substrait import Consumer, Plan, Serde

random.seed(20261201)
ctx = SessionContext()
ctx.from_pydict({"g": ["a", "b", "a"], "x": [1, 2, 3]}, name="t")
ctx.from_pydict({"g": ["a", "b"], "y": [10.5, 20.5]}, name="u")
seeds = [
    Serde.serialize_bytes(sql, ctx)
    for sql in (
        "SELECT g, sum(x) AS s FROM t WHERE x > 1 GROUP BY g ORDER BY g",
        "SELECT t.g, x * y AS p FROM t JOIN u ON t.g = u.g WHERE y < 20 LIMIT 2",
        "SELECT g, count(DISTINCT x), max(x) FROM t GROUP BY g HAVING count(*) > 1",
        "SELECT CASE WHEN x > 1 THEN 'big' ELSE g END AS c FROM t UNION ALL SELECT g FROM u",
    )
]

def mutate(data):
    b = bytearray(data)
    kind = random.randrange(4)
    if kind == 0:
        for _ in range(random.randint(1, 6)):
            i = random.randrange(len(b))
            b[i] ^= 1 << random.randrange(8)
    elif kind == 1:
        b = b[: random.randrange(len(b))]
    elif kind == 2:
        other = random.choice(seeds)
        b = b[: random.randrange(len(b) + 1)] + other[random.randrange(len(other)):]
    else:
        i = random.randrange(len(b) + 1)
        b[i:i] = random.randbytes(random.randint(1, 12))
    return bytes(b)

docs = [json.loads(Serde.deserialize_bytes(seed).to_json()) for seed in seeds]

def nodes(doc):
    # (container, key) of every value in a JSON document
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    for key, value in items:
        yield doc, key
        yield from nodes(value)

def mutate_json(doc):
    # a well-formed plan with one value changed or removed: reaches the consumer's checks
    doc = json.loads(json.dumps(doc))
    container, key = random.choice(list(nodes(doc)))
    value, kind = container[key], random.randrange(3)
    if kind == 0 and isinstance(container, dict):
        del container[key]
    elif isinstance(value, int) and not isinstance(value, bool):
        container[key] = random.choice([0, 1, 2, 7, 99, -1, 2**31, value + 1])
    elif isinstance(value, str):
        container[key] = random.choice(["", "t", "x", "sum", "1", "-5", value[::-1]])
    elif isinstance(value, (dict, list)):
        container[key] = random.choice([{}, [], None, 3])
    return Plan.from_json(json.dumps(doc)).encode()

counts = {"decode": 0, "consume": 0, "ran": 0, "refused": 0, "other": []}
for n in range(MUTATIONS):
    try:
        if n % 2:
            data = mutate(random.choice(seeds))
        else:
            data = mutate_json(random.choice(docs))
        plan = Serde.deserialize_bytes(data)
        counts["decode"] += 1
        logical = Consumer.from_substrait_plan(ctx, plan)
        counts["consume"] += 1
        Plan.from_json(plan.to_json())
        ctx.create_dataframe_from_logical_plan(logical).collect()
        counts["ran"] += 1
    except FuseplugError:
        counts["refused"] += 1
    except Exception as e:
        counts["other"].append(f"{type(e).__name__}: {e}"[:200])
print(json.dumps(counts))
"""


def test_fuzzed_plans_never_crash(run_python: RunPython) -> None:
    # half the mutations are of the bytes, half change one value of the plan's JSON form (which
    # still decodes, so the consumer's own checks are what refuse it)
    proc = run_python(FUZZ.replace("MUTATIONS", "1500"), timeout=150)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr[-3000:]}"
    counts = json.loads(proc.stdout.strip().splitlines()[-1])
    assert counts["other"] == [], counts["other"][:10]
    # the mutations reach every stage: some fail to decode, some decode but are refused by the
    # consumer or at run time, and some still run
    assert counts["refused"] > 300 and counts["decode"] > 300, counts
    assert counts["consume"] > 80 and counts["ran"] > 50, counts


# -- the official wheel -------------------------------------------------------------------------

EXCHANGE = """
import json, sys
import pyarrow.feather as feather
import datafusion, datafusion.substrait as theirs
import fuseplug, fuseplug.substrait as ours
from benchmarks import tpch

data, out = sys.argv[1], sys.argv[2]
official, host = datafusion.SessionContext(), fuseplug.SessionContext()
tpch.register(official, data)
tpch.register(host, data)
errors = {}
for n in tpch.QUERIES:
    sql = tpch.query(n)
    try:  # the official wheel produces, fuseplug consumes and runs
        plan = ours.Serde.deserialize_bytes(theirs.Serde.serialize_bytes(sql, official))
        logical = ours.Consumer.from_substrait_plan(host, plan)
        feather.write_feather(host.create_dataframe_from_logical_plan(logical).to_arrow_table(),
                              f"{out}/official-to-fuseplug-{n}.arrow")
    except Exception as e:
        errors[f"official-to-fuseplug-{n}"] = f"{type(e).__name__}: {e}"
    try:  # fuseplug produces, the official wheel consumes and runs
        plan = theirs.Serde.deserialize_bytes(ours.Serde.serialize_bytes(sql, host))
        logical = theirs.Consumer.from_substrait_plan(official, plan)
        feather.write_feather(official.create_dataframe_from_logical_plan(logical).to_arrow_table(),
                              f"{out}/fuseplug-to-official-{n}.arrow")
    except Exception as e:
        errors[f"fuseplug-to-official-{n}"] = f"{type(e).__name__}: {e}"
print(json.dumps(errors))
"""


def test_plans_travel_between_fuseplug_and_the_official_wheel(
    run_python: RunPython, tpch_dir: Path, tmp_path: Path, expected: dict[int, pa.Table]
) -> None:
    import pyarrow.feather as feather

    root = Path(tpch.__file__).resolve().parents[2]
    script = f"import sys; sys.path.insert(0, {str(root)!r}); sys.argv[1:] = {[str(tpch_dir), str(tmp_path)]!r}\n"
    proc = run_python(script + EXCHANGE, timeout=150)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stderr[-3000:]}"
    errors = json.loads(proc.stdout.strip().splitlines()[-1])
    assert errors == {}
    for n in tpch.QUERIES:
        for direction in ("official-to-fuseplug", "fuseplug-to-official"):
            answer = feather.read_table(tmp_path / f"{direction}-{n}.arrow")
            assert_same_answer(answer, expected[n], f"{direction} q{n:02d}", sql=tpch.query(n))
