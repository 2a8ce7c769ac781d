"""Which session encodes and which decodes when plans, expressions and DataFrames travel between
processes without one being named.

``pickle.dumps`` of an :class:`~fuseplug.Expr`, :class:`~fuseplug.LogicalPlan`,
:class:`~fuseplug.ExecutionPlan` or :class:`~fuseplug.DataFrame` encodes through this thread's
*sender* context (or, without one, the Python codec layer alone: Python UDFs and in-memory tables
inline, no plugin codecs). ``pickle.loads`` and ``from_bytes`` without a context decode on this
thread's *worker* context, or else on :meth:`SessionContext.global_ctx`. Install a worker context once
per worker process, e.g. from a ``multiprocessing.Pool`` initializer, when the plans it receives name
functions, tables or codecs that must be registered first:

>>> import pickle
>>> from fuseplug import SessionContext, col, lit
>>> from fuseplug.ipc import clear_worker_ctx, set_worker_ctx
>>> set_worker_ctx(SessionContext())
>>> try:
...     print(pickle.loads(pickle.dumps(col("a") + lit(1))))
... finally:
...     clear_worker_ctx()
Expr(a + Int64(1))

Both slots are thread-local and hold a strong reference to their context until cleared.

.. warning::
   Unpickling, and ``from_bytes`` of bytes that carry inline Python UDFs, runs code from those
   bytes. Only decode payloads you trust, or decode on a context made with
   ``with_python_udf_inlining(enabled=False)``, which refuses inline Python. See
   ``docs/serialization.md``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fuseplug.context import SessionContext
    from fuseplug.dataframe import DataFrame
    from fuseplug.plan import ExecutionPlan, LogicalPlan

__all__ = [
    "clear_sender_ctx",
    "clear_worker_ctx",
    "get_sender_ctx",
    "get_worker_ctx",
    "set_sender_ctx",
    "set_worker_ctx",
]

_local = threading.local()


def set_worker_ctx(ctx: SessionContext) -> None:
    """Decode plans and expressions that arrive without a context on ``ctx`` (this thread only)."""
    _local.worker = ctx


def clear_worker_ctx() -> None:
    """Forget this thread's worker context; decoding falls back to the global context."""
    _local.__dict__.pop("worker", None)


def get_worker_ctx() -> SessionContext | None:
    """This thread's worker context, or ``None``."""
    return getattr(_local, "worker", None)


def set_sender_ctx(ctx: SessionContext) -> None:
    """Encode pickled plans and expressions through ``ctx``'s codecs (this thread only): its plugin
    codecs, its inline-table limit and its ``with_python_udf_inlining`` setting apply."""
    _local.sender = ctx


def clear_sender_ctx() -> None:
    """Forget this thread's sender context; pickling falls back to the Python codec layer alone."""
    _local.__dict__.pop("sender", None)


def get_sender_ctx() -> SessionContext | None:
    """This thread's sender context, or ``None``."""
    return getattr(_local, "sender", None)


def _resolve_ctx(ctx: SessionContext | None = None) -> SessionContext:
    """The context to decode on: ``ctx``, else the worker context, else the global context."""
    if ctx is not None:
        return ctx
    worker = get_worker_ctx()
    if worker is not None:
        return worker
    from fuseplug.context import SessionContext

    return SessionContext.global_ctx()


# Unpickling entry points (named by the objects' __reduce__).


def _logical_plan_from_bytes(data: bytes) -> LogicalPlan:
    from fuseplug.plan import LogicalPlan

    return LogicalPlan.from_bytes(_resolve_ctx(), data)


def _execution_plan_from_bytes(data: bytes) -> ExecutionPlan:
    from fuseplug.plan import ExecutionPlan

    return ExecutionPlan.from_bytes(_resolve_ctx(), data)


def _dataframe_from_bytes(data: bytes) -> DataFrame:
    from fuseplug.plan import LogicalPlan

    ctx = _resolve_ctx()
    return ctx.create_dataframe_from_logical_plan(LogicalPlan.from_bytes(ctx, data))
