"""Compares fuseplug's public surface with the installed official ``datafusion`` wheel.

``python -m fuseplug._surface`` prints, one per line, every public name of the official package
(module level, the main classes, and the submodules fuseplug mirrors) that fuseplug lacks, and every
shared function or method whose parameters differ in name, kind or default. The test suite runs it
in a child process (the official wheel's library stays out of the test run) and compares the result
with the list of known gaps in ``python/tests/test_surface.py``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from typing import Any

#: Classes compared member by member: (official location, fuseplug location).
CLASSES = [
    ("datafusion.SessionContext", "fuseplug.SessionContext"),
    ("datafusion.SessionConfig", "fuseplug.SessionConfig"),
    ("datafusion.RuntimeEnvBuilder", "fuseplug.RuntimeEnvBuilder"),
    ("datafusion.DataFrame", "fuseplug.DataFrame"),
    ("datafusion.Expr", "fuseplug.Expr"),
    ("datafusion.LogicalPlan", "fuseplug.LogicalPlan"),
    ("datafusion.ExecutionPlan", "fuseplug.ExecutionPlan"),
    ("datafusion.catalog.Catalog", "fuseplug.Catalog"),
    ("datafusion.catalog.Schema", "fuseplug.Schema"),
    ("datafusion.catalog.Table", "fuseplug.Table"),
    ("datafusion.ScalarUDF", "fuseplug.ScalarUDF"),
    ("datafusion.AggregateUDF", "fuseplug.AggregateUDF"),
    ("datafusion.WindowUDF", "fuseplug.WindowUDF"),
    ("datafusion.Accumulator", "fuseplug.Accumulator"),
    ("datafusion.SQLOptions", "fuseplug.SQLOptions"),
]

#: Modules compared by their public names, and every class they share compared member by member.
MODULES = [
    ("datafusion", "fuseplug"),
    ("datafusion.catalog", "fuseplug.catalog"),
    ("datafusion.common", "fuseplug.common"),
    ("datafusion.context", "fuseplug.context"),
    ("datafusion.dataframe", "fuseplug.dataframe"),
    ("datafusion.dataframe_formatter", "fuseplug.dataframe_formatter"),
    ("datafusion.expr", "fuseplug.expr"),
    ("datafusion.extensions", "fuseplug.extensions"),
    ("datafusion.functions", "fuseplug.functions"),
    ("datafusion.functions.spark", "fuseplug.functions.spark"),
    ("datafusion.input", "fuseplug.input"),
    ("datafusion.input.base", "fuseplug.input.base"),
    ("datafusion.input.location", "fuseplug.input.location"),
    ("datafusion.io", "fuseplug.io"),
    ("datafusion.ipc", "fuseplug.ipc"),
    ("datafusion.object_store", "fuseplug.object_store"),
    ("datafusion.options", "fuseplug.options"),
    ("datafusion.plan", "fuseplug.plan"),
    ("datafusion.record_batch", "fuseplug.record_batch"),
    ("datafusion.substrait", "fuseplug.substrait"),
    ("datafusion.unparser", "fuseplug.unparser"),
    ("datafusion.user_defined", "fuseplug.user_defined"),
]


def _defined_here(module: Any, name: str) -> bool:
    """Whether a public name of an official module without ``__all__`` belongs to its API, rather
    than being an import (``Enum``, ``pa``, ``DataFrameInternal``, ...)."""
    value = getattr(module, name)
    if inspect.ismodule(value):
        return False
    if name.endswith("Internal") or name in ("TYPE_CHECKING", "annotations"):
        return False
    owner = getattr(value, "__module__", None)
    # imports from elsewhere (typing.TypeGuard, enum.Enum, ...) are not the module's API
    return not (isinstance(owner, str) and not owner.startswith("datafusion"))


def _resolve(path: str) -> Any:
    module, _, attr = path.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def _public(obj: Any) -> set[str]:
    names = getattr(obj, "__all__", None)
    if names is None or inspect.isclass(obj):
        names = [n for n in dir(obj) if not n.startswith("_")]
    return {n for n in names if not n.startswith("_")}


def _default(value: Any) -> str:
    """A default as comparable text: an enum member as ``Class.MEMBER`` (the official bindings'
    enums wrap compiled values whose repr differs from an equivalent Python enum's)."""
    name = getattr(value, "name", None)
    if name is not None and not isinstance(value, (str, type)):
        return f"{type(value).__name__}.{name}"
    return repr(value)


def _params(fn: Any) -> list[tuple[str, str, str | None]] | None:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    out = []
    for p in signature.parameters.values():
        if p.name == "self":
            continue  # positional-only in compiled classes; nobody passes self by keyword
        default = None if p.default is p.empty else _default(p.default)
        out.append((p.name, p.kind.name, default))
    return out


def _import(path: str) -> Any:
    try:
        return importlib.import_module(path)
    except ImportError:
        return None


def differences() -> list[str]:
    """One line per gap: ``missing <place>.<name>``, ``signature <place>.<name>``, or
    ``invisible <place>.<name>`` (a module serves the name but ``dir()`` does not list it)."""
    out: list[str] = []
    classes = list(CLASSES)
    for official_path, ours_path in MODULES:
        official = importlib.import_module(official_path)
        ours = _import(ours_path)
        if ours is None:
            out.append(f"missing {official_path}")
            continue
        explicit = getattr(official, "__all__", None) is not None
        names = [n for n in sorted(_public(official)) if explicit or _defined_here(official, n)]
        out += _compare(official_path, official, ours, names)
        for name in names:
            theirs, mine = getattr(official, name, None), getattr(ours, name, None)
            pair = (f"{official_path}.{name}", f"{ours_path}.{name}")
            if inspect.isclass(theirs) and inspect.isclass(mine) and pair not in classes:
                classes.append(pair)
    seen: set[int] = set()
    for official_path, ours_path in classes:
        official, ours = _resolve(official_path), _resolve(ours_path)
        if id(official) in seen:
            continue  # the same class under another module (datafusion.context.SessionContext)
        seen.add(id(official))
        out += _compare(official_path, official, ours, sorted(_public(official)))
    return sorted(set(out))


def _compare(place: str, official: Any, ours: Any, names: list[str]) -> list[str]:
    out = []
    # Read before any lookup below, which would put a lazily served name into the module's globals.
    listed = set(dir(ours)) if inspect.ismodule(ours) else None
    for name in names:
        theirs = getattr(official, name, None)
        if inspect.ismodule(theirs) and not theirs.__name__.startswith("datafusion"):
            continue  # re-exported third-party modules (importlib_metadata, ...)
        if not hasattr(ours, name):
            out.append(f"missing {place}.{name}")
            continue
        if listed is not None and name not in listed:
            out.append(f"invisible {place}.{name}")
        mine = getattr(ours, name)
        if callable(theirs) and callable(mine) and not inspect.isclass(theirs):
            a, b = _params(theirs), _params(mine)
            if a is not None and b is not None and a != b:
                out.append(f"signature {place}.{name}")
    return out


def main() -> int:
    json.dump(differences(), sys.stdout, indent=0)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
