"""The limits every ``from_bytes`` checks before DataFusion decodes anything
(``crates/fuseplug/src/serialize/precheck``, docs/serialization.md "Limits"): the crafted inputs
that used to abort the process or overflow its stack (each in a child process), each limit at and
just over its boundary, and real plans (TPC-H, every nested literal type) well within them."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
from test_serialization_protobuf import (
    ROOTS,
    SCHEMA,
    Msg,
    alias_depth,
    decode,
    encode,
    ld,
    nesting,
    tree_depth,
    vi,
    walk,
)

from conftest import RunPython, child
from fuseplug import ExecutionPlan, Expr, LogicalPlan, SessionContext, col, lit
from fuseplug.exceptions import SerializationError

TESTS = Path(__file__).resolve().parent

MAX_NESTING = 100
MAX_TREE_DEPTH = 2_048
MAX_LITERAL_VALUES = 1 << 24
MAX_ALIAS_DEPTH = 16

EXPR = "datafusion.LogicalExprNode"
SCALAR = "datafusion_common.ScalarValue"
ARROW_TYPE = "datafusion_common.ArrowType"


def n(message: str, field: str) -> int:
    return SCHEMA.number(message, field)


# ---------------------------------------------------------------------------------------------
# payload builders (also imported by the child processes and the fuzzer)


def column(name: str = "x", relation: str | None = None) -> bytes:
    """A ``LogicalExprNode`` naming a column (of ``relation``: one message deeper)."""
    qualified = ld(1, name.encode()) + (ld(2, ld(1, relation.encode())) if relation else b"")
    return ld(n(EXPR, "column"), qualified)


def binary(operands: int, op: str = "Plus") -> bytes:
    """A ``LogicalExprNode``: one binary expression of ``operands`` column operands."""
    node = "datafusion.BinaryExprNode"
    body = ld(n(node, "operands"), column()) * operands + ld(n(node, "op"), op.encode())
    return ld(n(EXPR, "binary_expr"), body)


def negated(levels: int, relation: str | None = None) -> bytes:
    """A ``LogicalExprNode``: a column under ``levels`` negations (two messages each)."""
    data = column("x", relation)
    for _ in range(levels):
        data = ld(n(EXPR, "negative"), ld(n("datafusion.NegativeNode", "expr"), data))
    return data


def arrow_type(kind: str, *, size: int = 0, child: bytes = b"") -> bytes:
    """An ``ArrowType``: ``int64``, ``null``, a fixed-size list of ``child`` or a fixed-size binary."""
    if kind == "int64":
        return ld(n(ARROW_TYPE, "INT64"), b"")
    if kind == "null":
        return ld(n(ARROW_TYPE, "NONE"), b"")
    if kind == "fsb":
        return vi(n(ARROW_TYPE, "FIXED_SIZE_BINARY"), size)
    field = ld(1, b"item") + ld(2, child) + vi(3, 1)  # Field { name, arrow_type, nullable }
    return ld(n(ARROW_TYPE, "FIXED_SIZE_LIST"), ld(1, field) + vi(2, size))


def nested_fsl(sizes: list[int], leaf: str = "int64") -> bytes:
    """``ArrowType`` of fixed-size lists of the ``sizes``, innermost first."""
    data = arrow_type(leaf)
    for size in sizes:
        data = arrow_type("fsl", size=size, child=data)
    return data


def null_literal(type_bytes: bytes) -> bytes:
    """A ``LogicalExprNode``: the null literal of an ``ArrowType``."""
    return ld(n(EXPR, "literal"), ld(n(SCALAR, "null_value"), type_bytes))


def ipc_messages(stream: bytes) -> list[tuple[bytes, bytes]]:
    """The (flatbuffer metadata, body) of each message of an IPC stream."""
    reader = pa.ipc.MessageReader.open_stream(pa.py_buffer(stream))
    out = []
    while True:
        try:
            message = reader.read_next_message()
        except StopIteration:
            return out
        if message is None:
            return out
        body = message.body.to_pybytes() if message.body is not None else b""
        out.append((message.metadata.to_pybytes(), body))


def nested_literal(value: pa.Scalar) -> Msg:
    """The decoded ``LogicalExprNode`` of ``lit(value)``, whose ``ScalarNestedValue`` is
    ``.fields[0][2].fields[0][2]``."""
    return decode(lit(value).to_bytes(), EXPR)


def replace_ipc(literal: Msg, message: bytes, body: bytes) -> bytes:
    nested = literal.fields[0][2].fields[0][2]
    nested.fields = [f for f in nested.fields if f[0] not in (1, 2)]
    nested.fields += [[1, 2, message], [2, 2, body]]
    return encode(literal)


def compressed_literal(codec: str) -> bytes:
    """A fixed-size list literal whose compressed buffers declare 16 TiB uncompressed each."""
    value = pa.array([[1, 2]], type=pa.list_(pa.int64(), 2))
    literal = nested_literal(value[0])
    sink = pa.BufferOutputStream()
    batch = pa.record_batch([value], names=["field_name"])
    with pa.ipc.new_stream(
        sink, batch.schema, options=pa.ipc.IpcWriteOptions(compression=codec)
    ) as w:
        w.write_batch(batch)
    (_, _), (message, body) = ipc_messages(sink.getvalue().to_pybytes())
    body = bytearray(body)
    for at in range(0, len(body) - 8, 8):  # each compressed buffer starts with its int64 size
        if 0 < int.from_bytes(body[at : at + 8], "little") <= 4096:
            body[at : at + 8] = (1 << 44).to_bytes(8, "little")
    return replace_ipc(literal, message, bytes(body))


def field_nodes_patched(value: pa.Scalar, nodes: dict[tuple[int, int], tuple[int, int]]) -> bytes:
    """``lit(value)`` with the field nodes (length, null count) of its IPC replaced as mapped."""
    literal = nested_literal(value)
    nested = literal.fields[0][2].fields[0][2]
    message = bytearray(next(f[2] for f in nested.fields if f[0] == 1))
    for old, new in nodes.items():
        at = message.find(old[0].to_bytes(8, "little") + old[1].to_bytes(8, "little"))
        assert at >= 0, old
        message[at : at + 16] = new[0].to_bytes(8, "little") + new[1].to_bytes(8, "little")
    body = next((f[2] for f in nested.fields if f[0] == 2), b"")
    return replace_ipc(literal, bytes(message), body)


#: Inputs that aborted the process or overflowed its stack before the limits (the issue's list).
CRASHERS: dict[str, tuple[Callable[[], bytes], str]] = {
    # dropping (and planning) the million-level tree overflowed the stack: SIGSEGV
    "binary expression of 1,000,000 operands": (lambda: binary(1_000_000), "tree depth limit"),
    # arrow-ipc allocated each buffer's declared decompressed size: "memory allocation of
    # 17592186044416 bytes failed", SIGABRT
    "lz4 buffer declaring 16 TiB": (lambda: compressed_literal("lz4"), "compressed"),
    "zstd buffer declaring 16 TiB": (lambda: compressed_literal("zstd"), "compressed"),
    # a null literal allocates its fixed-size lists: "memory allocation of 8000000000000 bytes
    # failed", SIGABRT
    "null literal of nested fixed-size lists": (
        lambda: null_literal(nested_fsl([1_000_000, 1_000_000])),
        "literal size limit",
    ),
}

CRASHER = """
import json, sys
sys.path.insert(0, TESTS)
from test_serialization_limits import CRASHERS
from fuseplug import Expr, SessionContext
from fuseplug.exceptions import SerializationError

build, _ = CRASHERS[NAME]
try:
    Expr.from_bytes(build(), SessionContext())
    print(json.dumps({"decoded": True}))
except SerializationError as e:
    print(json.dumps({"refused": str(e)}))
"""


@pytest.mark.parametrize("name", sorted(CRASHERS))
def test_known_crashers_are_refused_in_a_child_process(name: str, run_python: RunPython) -> None:
    code = CRASHER.replace("TESTS", repr(str(TESTS))).replace("NAME", repr(name))
    result = child(run_python, code)
    assert CRASHERS[name][1] in result.get("refused", ""), result


# ---------------------------------------------------------------------------------------------
# each limit at and just over its boundary


def refused(data: bytes, root: str = "expr") -> str:
    ctx = SessionContext()
    with pytest.raises(SerializationError) as info:
        decoder(root, ctx)(data)
    return str(info.value)


def decoder(root: str, ctx: SessionContext) -> Callable[[bytes], object]:
    return {
        "expr": lambda b: Expr.from_bytes(b, ctx),
        "logical": lambda b: LogicalPlan.from_bytes(ctx, b),
        "physical": lambda b: ExecutionPlan.from_bytes(ctx, b),
    }[root]


def test_nesting_limit_is_prosts_and_named() -> None:
    # negations nest two messages each, the column one more and its relation one more
    at_limit, over = negated(49, relation="t"), negated(50)
    assert nesting(decode(at_limit, EXPR)) == MAX_NESTING
    assert nesting(decode(over, EXPR)) == MAX_NESTING + 1
    # prost (whose limit this is) and DataFusion decode 100 levels; the walk refuses 101
    assert str(Expr.from_bytes(at_limit, SessionContext())).count("(- ") == 49
    assert f"nesting limit of {MAX_NESTING} levels" in refused(over)
    assert f"nesting limit of {MAX_NESTING} levels" in refused(negated(100_000))


def test_tree_depth_limit_counts_chained_operands() -> None:
    # root, binary node and operand: 3 levels, plus one per chained operand after the first
    at_limit, over = binary(MAX_TREE_DEPTH - 2), binary(MAX_TREE_DEPTH - 1)
    assert tree_depth(decode(at_limit, EXPR)) == MAX_TREE_DEPTH
    assert tree_depth(decode(over, EXPR)) == MAX_TREE_DEPTH + 1
    ctx = SessionContext()
    ctx.from_pydict({"x": [1]}, name="t")
    assert Expr.from_bytes(at_limit, ctx).canonical_name().count("x") == MAX_TREE_DEPTH - 2
    assert f"tree depth limit of {MAX_TREE_DEPTH} levels" in refused(over)
    message = refused(binary(MAX_TREE_DEPTH + 1))
    assert f"a binary expression has {MAX_TREE_DEPTH + 1} operands" in message
    assert f"tree depth limit of {MAX_TREE_DEPTH} levels" in message
    # chains below chains add up: 40 nested chains of 60 operands pass none alone
    node = "datafusion.BinaryExprNode"
    operand, op = n(node, "operands"), n(node, "op")
    nested = column()
    for _ in range(40):
        chain = ld(operand, nested) + ld(operand, column()) * 59 + ld(op, b"Plus")
        nested = ld(n(EXPR, "binary_expr"), chain)
    assert "tree depth limit" in refused(nested)


def aliased(levels: int) -> bytes:
    """A ``LogicalExprNode``: a column under ``levels`` aliases, one inside another."""
    data = column()
    for i in range(levels):
        alias = ld(n("datafusion.AliasNode", "expr"), data)
        data = ld(n(EXPR, "alias"), alias + ld(n("datafusion.AliasNode", "alias"), b"a%d" % i))
    return data


def test_alias_limit() -> None:
    # DataFusion types nested aliases in time doubling with each one (2^40 would never end)
    ctx = SessionContext()
    ctx.from_pydict({"x": [1]}, name="t")
    ctx.table("t").select(Expr.from_bytes(aliased(MAX_ALIAS_DEPTH), ctx))
    message = refused(aliased(MAX_ALIAS_DEPTH + 1))
    assert f"alias limit of {MAX_ALIAS_DEPTH}" in message
    assert "alias limit" in refused(aliased(40))


def test_tree_depth_limit_counts_union_inputs() -> None:
    plan = "datafusion.LogicalPlanNode"
    empty = ld(n(plan, "empty_relation"), vi(1, 1))
    union = ld(n(plan, "union"), ld(1, empty) * (MAX_TREE_DEPTH + 10))
    assert f"a union has {MAX_TREE_DEPTH + 10} inputs" in refused(union, "logical")


def test_literal_size_limit_on_fixed_size_types() -> None:
    # 4096 * 4096 int64 values per row: exactly the limit
    Expr.from_bytes(null_literal(nested_fsl([4096, 4096])), SessionContext())
    message = refused(null_literal(nested_fsl([4097, 4096])))
    assert f"literal size limit of {MAX_LITERAL_VALUES} values" in message
    assert "literal size limit" in refused(null_literal(arrow_type("fsb", size=(1 << 24) + 1)))
    # struct fields add up
    field = ld(1, b"a") + ld(2, nested_fsl([1 << 23])) + vi(3, 1)
    strukt = ld(n(ARROW_TYPE, "STRUCT"), ld(1, field) * 3)
    assert "25165824 values per row" in refused(null_literal(strukt))
    # a null dictionary literal is a null of its value type
    dictionary = ld(n(ARROW_TYPE, "DICTIONARY"), ld(1, arrow_type("int64")) + ld(2, strukt))
    assert "literal size limit" in refused(null_literal(dictionary))
    # and a cast names a type as well as a literal does
    cast = ld(n(EXPR, "cast"), ld(1, column()) + ld(2, nested_fsl([1 << 25])))
    assert "literal size limit" in refused(cast)


@pytest.mark.parametrize(
    "type_bytes",
    [arrow_type("fsb", size=(1 << 64) - 1), nested_fsl([(1 << 64) - 5])],
    ids=["fixed-size binary of width -1", "fixed-size list of size -5"],
)
def test_negative_sizes_are_refused(type_bytes: bytes) -> None:
    assert "of -" in refused(null_literal(type_bytes))


def test_fixed_size_binary_literal_must_hold_its_length() -> None:
    node = ld(n(SCALAR, "fixed_size_binary_value"), ld(1, b"abc") + vi(2, 1 << 30))
    assert "of 3 bytes declares 1073741824" in refused(ld(n(EXPR, "literal"), node))
    ok = ld(n(SCALAR, "fixed_size_binary_value"), ld(1, b"abc") + vi(2, 3))
    Expr.from_bytes(ld(n(EXPR, "literal"), ok), SessionContext())


def test_timezones_must_parse() -> None:
    timestamp = "datafusion_common.ScalarTimestampValue"
    good = ld(n(SCALAR, "timestamp_value"), vi(1, 5) + ld(n(timestamp, "timezone"), b"+02:00"))
    Expr.from_bytes(ld(n(EXPR, "literal"), good), SessionContext())
    bad = ld(n(SCALAR, "timestamp_value"), vi(1, 5) + ld(n(timestamp, "timezone"), b"\x14c"))
    assert "an invalid timezone" in refused(ld(n(EXPR, "literal"), bad))
    in_type = ld(n(ARROW_TYPE, "TIMESTAMP"), vi(1, 2) + ld(2, b"Mars/Olympus"))
    assert "an invalid timezone" in refused(null_literal(in_type))


def test_a_singular_message_field_twice_is_refused() -> None:
    data = lit(1).to_bytes()
    assert "occurs twice" in refused(data + data)


def test_literal_ipc_lengths_must_fit_their_types() -> None:
    fsl = pa.scalar([[None, None], [None, None]], pa.list_(pa.list_(pa.null(), 2), 2))
    # the inner list's child of 4 nulls declares 2^40
    message = refused(field_nodes_patched(fsl, {(4, 4): (1 << 40, 1 << 40)}))
    assert "where 4 belong" in message
    # more nulls than values
    ints = pa.scalar([1, 2, 3], pa.list_(pa.int64()))
    assert "declares 9 nulls" in refused(field_nodes_patched(ints, {(3, 0): (3, 9)}))
    # a literal is one row
    assert "has 5 values where 1 belong" in refused(field_nodes_patched(ints, {(1, 0): (5, 0)}))
    # 1 + 4096 + 4096 * 4096 values: the type is within the limit, the arrays together are not
    big = pa.scalar(None, pa.list_(pa.list_(pa.null(), 4096), 4096))
    assert "literal size limit" in refused(lit(big).to_bytes())


def test_memory_scan_ipc_is_checked() -> None:
    ctx = SessionContext()
    table = pa.table({"a": pa.array([1, 2, 3])})
    ctx.from_arrow(table, name="t")
    plan = decode(ctx.sql("SELECT a FROM t").execution_plan().to_bytes(ctx), ROOTS["physical"])
    scans = [m for m, _ in walk(plan) if m.type_name == "datafusion.MemoryScanExecNode"]
    assert scans
    sink = pa.BufferOutputStream()
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    for scan in scans:
        for f in scan.fields:
            if f[0] == 1:
                f[2] = sink.getvalue().to_pybytes()
    message = refused(encode(plan), "physical")
    assert "memory scan holds invalid Arrow IPC: compressed" in message


# ---------------------------------------------------------------------------------------------
# real plans and literals are well within the limits

LITERALS = [
    pa.scalar([1, 2, 3]),
    pa.scalar([1, None], pa.large_list(pa.int64())),
    pa.scalar([[1, 2], [3, 4]], pa.list_(pa.list_(pa.int64(), 2), 2)),
    pa.scalar(None, pa.list_(pa.list_(pa.int32(), 3), 2)),
    pa.scalar({"a": 1, "b": "x"}),
    pa.scalar([("k", 1)], pa.map_(pa.string(), pa.int64())),
    pa.scalar(["a", "b", "a"], pa.list_(pa.dictionary(pa.int32(), pa.string()))),
    pa.scalar("x", pa.dictionary(pa.int32(), pa.string())),
    pa.scalar([decimal.Decimal("1.23")], pa.list_(pa.decimal128(10, 2))),
    pa.scalar(b"abcd", pa.binary(4)),
    pa.scalar(["x", None, "a long string, longer than twelve bytes"], pa.list_(pa.string_view())),
    pa.scalar([1, 2], pa.list_view(pa.int32())),
    pa.scalar([None, None], pa.list_(pa.null())),
]


@pytest.mark.parametrize("value", LITERALS, ids=[str(v.type) for v in LITERALS])
def test_nested_literals_of_every_kind_round_trip(value: pa.Scalar) -> None:
    expr = col("x") == lit(value)
    assert Expr.from_bytes(expr.to_bytes(), SessionContext()).canonical_name() == (
        expr.canonical_name()
    )


def test_tpch_plans_are_within_the_limits(tpch_ctx: SessionContext) -> None:
    from benchmarks import tpch

    deepest = {"nesting": 0, "tree": 0, "aliases": 0}
    for q in tpch.QUERIES:
        df = tpch_ctx.sql(tpch.query(q))
        # (unoptimized plans with correlated subqueries do not serialize: DataFusion's
        # protobuf has no outer references)
        for root, plan, back in [
            ("logical", df.optimized_logical_plan(), LogicalPlan.from_bytes),
            ("physical", df.execution_plan(), ExecutionPlan.from_bytes),
        ]:
            data = plan.to_bytes(tpch_ctx)
            back(tpch_ctx, data)
            msg = decode(data, ROOTS[root])
            deepest["nesting"] = max(deepest["nesting"], nesting(msg))
            deepest["tree"] = max(deepest["tree"], tree_depth(msg))
            deepest["aliases"] = max(deepest["aliases"], alias_depth(msg))
    # measured: nesting 46, tree 47 (q8's optimized logical plan), aliases 2 (q1)
    assert deepest["nesting"] < MAX_NESTING * 3 // 4, deepest
    assert deepest["tree"] < MAX_TREE_DEPTH // 20, deepest
    assert deepest["aliases"] < MAX_ALIAS_DEPTH // 4, deepest
