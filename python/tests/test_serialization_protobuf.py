"""The protobuf wire format of serialized plans, read and written in Python with DataFusion's own
schema (the ``.proto`` files of the datafusion-proto crates Cargo.lock pins, as the walk in
``crates/fuseplug/src/serialize/precheck/`` reads them), for
the limit tests (test_serialization_limits.py) and the structure-aware fuzzer
(test_serialization_fuzz.py), which import it; its own tests check the reader and the copies.

A message decodes to a list of ``[number, wire_type, value]`` fields in wire order: ``value`` is
an ``int`` (varint), ``bytes`` (fixed32/64 and length-delimited scalars) or, for fields the schema
types as messages, a :class:`Msg`. ``encode(decode(b)) == b`` for every payload fuseplug writes.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

ROOT = Path(__file__).resolve().parents[2]
PROTO_FILES = {
    "datafusion_common.proto": "datafusion-proto-common",
    "datafusion.proto": "datafusion-proto-models",
}


def _registry_copy(name: str, crate: str) -> Path | None:
    """The file in the cargo registry's copy of the newest version of ``crate`` in Cargo.lock (the
    lock also holds DataFusion 54's, for the bridge)."""
    lock = (ROOT / "Cargo.lock").read_text()
    versions = re.findall(rf'name = "{crate}"\nversion = "([^"]+)"', lock)
    if not versions:
        return None
    version = max(versions, key=lambda v: tuple(int(p) for p in v.split(".")))
    cargo_home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    return next(cargo_home.glob(f"registry/src/*/{crate}-{version}/proto/{name}"), None)


VARINT, FIXED64, BYTES, FIXED32 = 0, 1, 2, 5

# ---------------------------------------------------------------------------------------------
# the schema


@dataclass
class FieldType:
    name: str
    type_name: str  # fully qualified message name, or a scalar / enum name
    repeated: bool
    message: bool


@dataclass
class Schema:
    messages: dict[str, dict[int, FieldType]] = field(default_factory=dict)

    def fields(self, message: str) -> dict[int, FieldType]:
        return self.messages[message]

    def number(self, message: str, name: str) -> int:
        """The number of field ``name`` of ``message``."""
        return next(n for n, f in self.messages[message].items() if f.name == name)


_TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/|"[^"]*"|[\w.\-]+|\S', re.S)
SCALARS = {
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
}  # fmt: skip


class _Reader:
    """A reader of the subset of ``.proto`` syntax DataFusion's files use."""

    def __init__(self) -> None:
        self.declared: list[tuple[str, str, int, str, bool]] = []  # owner, name, number, type, rep.
        self.messages: dict[str, dict[int, FieldType]] = {}
        self.enums: set[str] = set()
        self.tokens: list[str] = []
        self.at = 0

    def take(self) -> str:
        self.at += 1
        return self.tokens[self.at - 1]

    def skip_statement(self) -> None:
        while self.take() != ";":
            pass

    def file(self, text: str) -> None:
        self.tokens = [t for t in _TOKEN.findall(text) if t[:2] not in ("//", "/*")]
        self.at = 0
        package = ""
        while self.at < len(self.tokens):
            word = self.take()
            if word == "package":
                package = self.take()
                self.skip_statement()
            elif word == "message":
                self.message(package)
            elif word == "enum":
                self.enum(package)
            elif word != ";":
                self.skip_statement()

    def enum(self, scope: str) -> None:
        self.enums.add(f"{scope}.{self.take()}")
        while self.take() != "}":  # enums hold no braces inside
            pass

    def message(self, scope: str) -> None:
        full = f"{scope}.{self.take()}"
        self.messages[full] = {}
        self.take()  # {
        self.body(full)

    def body(self, scope: str) -> None:
        while (word := self.take()) != "}":
            if word == ";":
                continue
            if word == "message":
                self.message(scope)
            elif word == "enum":
                self.enum(scope)
            elif word in ("option", "reserved", "extensions"):
                self.skip_statement()
            elif word == "oneof":
                self.take(), self.take()  # name, "{"
                self.body(scope)
            elif word == "map":
                self.take()  # <
                key, _, value, _, name, _, number = (self.take() for _ in range(7))
                entry = f"{scope}.{name}Entry"
                self.messages[entry] = {}
                self.declared += [(entry, "key", 1, key, False), (entry, "value", 2, value, False)]
                self.declared.append((scope, name, int(number), "." + entry, True))
                self.skip_statement()
            else:
                repeated = word == "repeated"
                type_name = self.take() if word in ("repeated", "optional") else word
                name, _ = self.take(), self.take()  # name, "="
                self.declared.append((scope, name, int(self.take()), type_name, repeated))
                self.skip_statement()

    def resolve(self, scope: str, name: str) -> tuple[str, bool]:
        """Protobuf's lookup, from the innermost scope outwards: (full name, is a message)."""
        if name in SCALARS:
            return name, False
        if name.startswith("."):
            candidates = [name[1:]]
        else:
            parts = scope.split(".")
            candidates = [".".join([*parts[:i], name]) for i in range(len(parts), -1, -1)]
        for candidate in candidates:
            if candidate in self.messages or candidate in self.enums:
                return candidate, candidate in self.messages
        raise ValueError(f"unknown type {name} in {scope}")


def read_schema() -> Schema:
    """The messages of the two ``.proto`` files, with every field type resolved."""
    reader = _Reader()
    for name, crate in PROTO_FILES.items():
        path = _registry_copy(name, crate)
        assert path is not None, (
            f"{name} of {crate} is not in the cargo registry: build fuseplug first"
        )
        reader.file(path.read_text())
    for owner, name, number, type_name, repeated in reader.declared:
        resolved, is_message = reader.resolve(owner, type_name)
        reader.messages[owner][number] = FieldType(name, resolved, repeated, is_message)
    return Schema(reader.messages)


SCHEMA = read_schema()
ROOTS = {
    "logical": "datafusion.LogicalPlanNode",
    "physical": "datafusion.PhysicalPlanNode",
    "expr": "datafusion.LogicalExprNode",
}

# ---------------------------------------------------------------------------------------------
# the wire format

Value = Union[int, bytes, "Msg"]


@dataclass
class Msg:
    type_name: str
    fields: list[list] = field(default_factory=list)  # [number, wire_type, Value]


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise ValueError("bad varint")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value & ((1 << 64) - 1), at


def raw_fields(data: bytes) -> list[list]:
    """The fields of ``data`` without a schema: length-delimited values stay bytes."""
    fields, at = [], 0
    while at < len(data):
        key, at = read_varint(data, at)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("field 0")
        if wire == VARINT:
            value, at = read_varint(data, at)
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            if at + size > len(data):
                raise ValueError("truncated")
            value, at = data[at : at + size], at + size
        elif wire == BYTES:
            size, at = read_varint(data, at)
            if at + size > len(data):
                raise ValueError("truncated")
            value, at = data[at : at + size], at + size
        else:
            raise ValueError(f"wire type {wire}")
        fields.append([number, wire, value])
    return fields


def decode(data: bytes, type_name: str) -> Msg:
    """``data`` as a message of ``type_name``; a message field that does not parse stays bytes."""
    msg = Msg(type_name, raw_fields(data))
    known = SCHEMA.messages.get(type_name, {})
    for f in msg.fields:
        ftype = known.get(f[0])
        if ftype is not None and ftype.message and f[1] == BYTES:
            try:
                f[2] = decode(f[2], ftype.type_name)
            except (ValueError, RecursionError):
                pass
    return msg


def encode(msg: Msg) -> bytes:
    out = bytearray()
    for number, wire, value in msg.fields:
        out += varint(number << 3 | wire)
        if isinstance(value, Msg):
            value = encode(value)
        if wire == VARINT:
            out += varint(value)
        elif wire == BYTES:
            out += varint(len(value)) + value
        else:
            out += value
    return bytes(out)


def ld(number: int, payload: bytes) -> bytes:
    """A length-delimited field."""
    return varint(number << 3 | BYTES) + varint(len(payload)) + payload


def vi(number: int, value: int) -> bytes:
    """A varint field."""
    return varint(number << 3 | VARINT) + varint(value)


def clone(msg: Msg) -> Msg:
    """A deep copy, several times faster than ``copy.deepcopy``."""
    fields = [[n, w, clone(v) if isinstance(v, Msg) else v] for n, w, v in msg.fields]
    return Msg(msg.type_name, fields)


def walk(msg: Msg, depth: int = 0):
    """Every message below ``msg`` (included) with its nesting depth, depth first."""
    yield msg, depth
    for f in msg.fields:
        if isinstance(f[2], Msg):
            yield from walk(f[2], depth + 1)


def nesting(msg: Msg) -> int:
    return max(depth for _, depth in walk(msg))


def tree_depth(msg: Msg) -> int:
    """The tree depth the Rust walk counts: one per message level, plus ``n - 1`` for the ``n``
    chained operands of a binary expression or inputs of a union."""
    chained = {"datafusion.BinaryExprNode", "datafusion.UnionNode"}
    extra = 0
    if msg.type_name in chained:
        extra = max(sum(1 for f in msg.fields if f[0] == 1) - 1, 0)
    below = [
        1 + (extra if f[0] == 1 else 0) + tree_depth(f[2])
        for f in msg.fields
        if isinstance(f[2], Msg)
    ]
    return max(below, default=0)


def alias_depth(msg: Msg, depth: int = 0) -> int:
    """The most aliases nested one inside another, counted within each logical plan node."""
    if msg.type_name == "datafusion.LogicalPlanNode":
        depth = 0
    elif msg.type_name == "datafusion.AliasNode":
        depth += 1
    below = [alias_depth(f[2], depth) for f in msg.fields if isinstance(f[2], Msg)]
    return max(below, default=depth)


# ---------------------------------------------------------------------------------------------
# tests of the reader and of the vendored files


def test_the_schema_has_the_messages_the_walk_names() -> None:
    for name in [
        *ROOTS.values(),
        "datafusion.BinaryExprNode",
        "datafusion.UnionNode",
        "datafusion.MemoryScanExecNode",
        "datafusion_common.ArrowType",
        "datafusion_common.ScalarNestedValue",
        "datafusion_common.ScalarFixedSizeBinary",
    ]:
        assert name in SCHEMA.messages, name
    binary = SCHEMA.fields("datafusion.BinaryExprNode")[1]
    assert (binary.type_name, binary.repeated) == ("datafusion.LogicalExprNode", True)
    entry = SCHEMA.fields("datafusion.CreateExternalTableNode")[13]
    assert entry.repeated and SCHEMA.fields(entry.type_name)[2].type_name == (
        "datafusion.LogicalExprNode"
    )
    dictionaries = SCHEMA.fields("datafusion_common.ScalarNestedValue")[4]
    assert dictionaries.type_name == "datafusion_common.ScalarNestedValue.Dictionary"


def test_real_payloads_decode_and_encode_to_the_same_bytes() -> None:
    import pyarrow as pa

    from fuseplug import SessionContext, col, lit

    ctx = SessionContext()
    ctx.from_pydict({"a": [1, 2], "b": ["x", "y"]}, name="t")
    df = ctx.sql("SELECT b, sum(a) + 1 AS s FROM t WHERE a > 0 OR b = 'y' GROUP BY b")
    payloads = {
        "logical": df.logical_plan().to_bytes(ctx),
        "physical": df.execution_plan().to_bytes(ctx),
        "expr": (col("a") + lit(pa.scalar([1, 2], pa.list_(pa.int32(), 2)))).to_bytes(ctx),
    }
    for root, data in payloads.items():
        msg = decode(data, ROOTS[root])
        assert encode(msg) == data
        assert nesting(msg) > 3
