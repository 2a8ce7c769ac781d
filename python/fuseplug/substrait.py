"""Substrait: logical plans in the cross-engine `Substrait <https://substrait.io/>`_ format, as
protobuf bytes or JSON, so a plan made here runs in another engine (or the official ``datafusion``
bindings) and the other way round.

>>> import fuseplug
>>> from fuseplug.substrait import Consumer, Serde
>>> ctx = fuseplug.SessionContext()
>>> _ = ctx.from_pydict({"g": ["a", "b", "a"], "x": [1, 2, 3]}, name="t")
>>> data = Serde.serialize_bytes("SELECT g, sum(x) AS s FROM t GROUP BY g ORDER BY g", ctx)
>>> plan = Consumer.from_substrait_plan(ctx, Serde.deserialize_bytes(data))
>>> ctx.create_dataframe_from_logical_plan(plan).to_pydict()
{'g': ['a', 'b'], 's': [4, 2]}

Bytes or JSON that do not decode raise :class:`~fuseplug.exceptions.SerializationError`; a plan
over a table the session lacks raises :class:`~fuseplug.exceptions.PlanError`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from fuseplug import _internal
from fuseplug.plan import LogicalPlan

if TYPE_CHECKING:
    from fuseplug.context import SessionContext

__all__ = ["Consumer", "Plan", "Producer", "Serde"]


class Plan:
    """A Substrait plan, made by :class:`Serde` or :class:`Producer`, or read with
    :meth:`from_json`.

    >>> plan = Plan.from_json('{"version": {"minorNumber": 63}, "relations": []}')
    >>> Plan.from_json(plan.to_json()).encode() == plan.encode()
    True
    """

    __slots__ = ("_inner",)

    def __init__(self, plan: _internal.SubstraitPlan) -> None:
        self._inner = plan

    def encode(self) -> bytes:
        """The plan as Substrait protobuf bytes."""
        return self._inner.encode()

    def to_json(self) -> str:
        """The plan in Substrait's JSON form (the protobuf JSON mapping, camelCase field names)."""
        return self._inner.to_json()

    @staticmethod
    def from_json(json: str) -> Plan:
        """A plan from Substrait's JSON form; malformed JSON raises ``SerializationError``."""
        return Plan(_internal.SubstraitPlan.from_json(json))

    def __repr__(self) -> str:
        return repr(self._inner)


class Serde:
    """SQL to Substrait (as a :class:`Plan`, bytes or a file), and Substrait bytes or files back
    to a :class:`Plan`."""

    @staticmethod
    def serialize(sql: str, ctx: SessionContext, path: str | os.PathLike[str]) -> None:
        """Plans ``sql`` on ``ctx`` and writes its Substrait bytes to a new file at ``path`` (an
        existing file raises ``FileExistsError``)."""
        data = Serde.serialize_bytes(sql, ctx)
        with open(path, "xb") as f:
            f.write(data)

    @staticmethod
    def serialize_to_plan(sql: str, ctx: SessionContext) -> Plan:
        """Plans ``sql`` on ``ctx`` and converts its optimized logical plan to Substrait."""
        return Plan(_internal.SubstraitPlan.from_sql(sql, ctx))

    @staticmethod
    def serialize_bytes(sql: str, ctx: SessionContext) -> bytes:
        """Like :meth:`serialize_to_plan`, as protobuf bytes."""
        return Serde.serialize_to_plan(sql, ctx).encode()

    @staticmethod
    def deserialize(path: str | os.PathLike[str]) -> Plan:
        """A plan from a file of Substrait protobuf bytes."""
        with open(path, "rb") as f:
            return Serde.deserialize_bytes(f.read())

    @staticmethod
    def deserialize_bytes(proto_bytes: bytes) -> Plan:
        """A plan from Substrait protobuf bytes; bytes that do not decode raise
        ``SerializationError``."""
        return Plan(_internal.SubstraitPlan.decode(proto_bytes))


class Producer:
    """DataFusion logical plans to Substrait."""

    @staticmethod
    def to_substrait_plan(logical_plan: LogicalPlan, ctx: SessionContext) -> Plan:
        """The Substrait form of ``logical_plan``, with functions resolved against ``ctx``."""
        return Plan(_internal.SubstraitPlan.from_logical_plan(logical_plan, ctx))


class Consumer:
    """Substrait plans to DataFusion logical plans."""

    @staticmethod
    def from_substrait_plan(ctx: SessionContext, plan: Plan) -> LogicalPlan:
        """The logical plan ``plan`` describes, with its tables and functions resolved against
        ``ctx``; run it with :meth:`SessionContext.create_dataframe_from_logical_plan`."""
        return plan._inner.to_logical_plan(ctx)
