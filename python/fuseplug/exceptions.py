"""The exceptions fuseplug raises, one class per kind of failure.

Every error from the engine derives from :class:`FuseplugError` (also importable as ``DataFusionError``,
the name the official bindings use). Python exceptions raised inside your UDFs are not wrapped: they reach
the caller unchanged, traceback included. Wrong argument types raise ``TypeError`` and bad argument values
``ValueError``, as usual in Python. A query that cannot be parsed or planned (:class:`SQLError`,
:class:`SchemaError`, :class:`PlanError`) is a bad argument too, so those are also ``ValueError``, as in
the official bindings.

>>> import fuseplug
>>> try:
...     fuseplug.SessionContext().sql("SELEC 1")
... except fuseplug.exceptions.SQLError as e:
...     print(type(e).__name__)
SQLError
"""

from __future__ import annotations

__all__ = [
    "DataFusionError",
    "ExecutionError",
    "FuseplugError",
    "IncompatiblePluginError",
    "InputOutputError",
    "InternalError",
    "NotSupportedError",
    "PlanError",
    "PluginCapsuleError",
    "PluginError",
    "PluginExecutionError",
    "ResourcesExhaustedError",
    "SQLError",
    "SchemaError",
    "SerializationError",
    "WorkerError",
]


class FuseplugError(Exception):
    """Base class of every error the engine reports."""


DataFusionError = FuseplugError


class SQLError(FuseplugError, ValueError):
    """The SQL text could not be parsed."""


class PlanError(FuseplugError, ValueError):
    """The query could not be planned: an unknown table or function, a type mismatch, a bad option."""


class SchemaError(FuseplugError, ValueError):
    """A column is unknown, ambiguous or duplicated."""


class ExecutionError(FuseplugError):
    """The query failed while running."""


class ResourcesExhaustedError(ExecutionError, MemoryError):
    """The query needed more memory (or spill space) than the runtime allows."""


class WorkerError(ExecutionError):
    """A distributed worker could not be reached, or failed (died, stopped answering) while it
    ran part of the query. The message names the worker's URL. An error the query itself raised on
    a worker (a failing UDF, a missing file) keeps its own class instead."""


class InputOutputError(FuseplugError, OSError):
    """Reading or writing files or object stores failed, for example a missing file."""


class NotSupportedError(FuseplugError, NotImplementedError):
    """The engine does not implement what was asked."""


class InternalError(FuseplugError):
    """An invariant inside the engine broke; please report it."""


class PluginError(FuseplugError):
    """A plugin (a capsule from another wheel) failed or is malformed."""


class PluginCapsuleError(PluginError, ValueError):
    """A capsule is not what its use needs: another kind's name, no name, or a null pointer. Also a
    ``ValueError``, which the official bindings raise for a capsule of the wrong name."""


class PluginExecutionError(PluginError, ExecutionError):
    """A plugin failed while the query ran (an error or a caught panic in its code): catch it as
    either a :class:`PluginError` or an :class:`ExecutionError`."""


class IncompatiblePluginError(PluginError):
    """A plugin was built against a DataFusion major that this fuseplug cannot load."""


class SerializationError(FuseplugError, ValueError, RuntimeError):
    """A plan or expression could not be serialized or deserialized: corrupt, truncated or hostile
    bytes, a payload from another fuseplug wire version or Python minor version, an inline payload
    refused by a strict session (``with_python_udf_inlining(enabled=False)``), or an in-memory table
    over ``fuseplug.serialization.max_inline_table_bytes``. It is also a ``ValueError`` and a
    ``RuntimeError``, the classes the official bindings raise for these (``RuntimeError`` when
    ``from_bytes`` cannot decode)."""
