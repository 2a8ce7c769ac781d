"""Facts about plugin wheels, for diagnosing a refused capsule.

datafusion-ffi objects only work between libraries built on the same DataFusion major. fuseplug reads
a plugin library's major from the library file itself (the DataFusion crate paths and version string
compiled into it), so it can refuse a mismatched capsule without touching the struct inside. A
library whose major cannot be determined is refused too, unless ``FUSEPLUG_TRUST_UNVERSIONED_PLUGINS=1``
is set (docs/plugins.md, "The version guard").

>>> from fuseplug import plugins
>>> plugins.HOST_DATAFUSION_MAJOR
55
"""

from __future__ import annotations

import dis
import importlib.machinery
import importlib.util
import os
import sys
import types
from pathlib import Path

from fuseplug import _internal

__all__ = ["HOST_DATAFUSION_MAJOR", "datafusion_majors_of", "libraries_behind"]

#: The DataFusion major this fuseplug is built on; plugins must be built on the same one.
HOST_DATAFUSION_MAJOR: int = _internal.host_datafusion_major()


def datafusion_majors_of(library: str | os.PathLike[str]) -> list[int]:
    """The DataFusion majors a compiled plugin library (``.so``) was built against: normally one;
    empty when the file names none (or cannot be read)."""
    return _internal.datafusion_majors_of(os.fspath(library))


# Packages never searched for plugin libraries: this one, and the interpreter's own.
_NOT_PLUGINS = frozenset({"fuseplug", "builtins", "__main__"}) | frozenset(sys.stdlib_module_names)
# A package directory with more compiled files than this is not globbed (only its loaded modules count).
_MAX_GLOBBED = 64


def libraries_behind(obj: object, dunder: str | None = None) -> list[str]:
    """The compiled libraries a Python-level dunder of ``obj`` may call into.

    These are the libraries holding the code of ``obj``'s class, of the classes of the objects it
    holds in its attributes and of the objects the ``dunder`` method's code names (its globals and
    closure); the packages that code imports when it runs (found on disk without importing them);
    the extension modules of the packages defining those classes (found on disk too, so a
    module not imported yet counts); and the loaded extension modules of the packages those packages
    import. A script or notebook (``__main__``) imports everything, so its imports do not count,
    only what the object holds and the dunder names. fuseplug checks each library that contains
    DataFusion before calling a dunder written in Python with its session.
    """
    own: set[str] = set()
    found: dict[str, None] = {}
    method = getattr(type(obj), dunder, None) if dunder else None
    reached = [*_held(obj), *_named_by(method)]
    own.update(_top(v.__name__) for v in reached if isinstance(v, types.ModuleType))
    # `from pyiceberg_core.datafusion import ...` inside the dunder: a package it imports when called.
    own.update(_top(name) for name in _imported_by(method))
    for value in [obj, *(v for v in reached if not isinstance(v, types.ModuleType))]:
        _add_packages(type(value), own)
        # A compiled class may not say which module it belongs to (PyO3 classes often report
        # `builtins`): its code does.
        for cls in type(value).__mro__:
            if (library := _internal.type_library(cls)) is not None:
                found[library] = None
    own -= _NOT_PLUGINS
    imported: set[str] = set()
    modules = list(sys.modules.items())
    for name, module in modules:
        if _top(name) in own:
            for value in list(vars(module).values()):
                if isinstance(value, types.ModuleType):
                    imported.add(_top(value.__name__))
                elif isinstance(value, type):
                    _add_packages(value, imported)
    imported -= _NOT_PLUGINS
    for name, module in modules:
        if _top(name) in own | imported and (path := _extension_file(module)):
            found[path] = None
    for package in own:
        for path in _package_libraries(package):
            found[path] = None
    return list(found)


def _named_by(function: object) -> list[object]:
    """The global and closure values a Python function's code refers to."""
    code = getattr(function, "__code__", None)
    if code is None:
        return []
    scope = getattr(function, "__globals__", {})
    named = [scope[name] for name in code.co_names if name in scope]
    for cell in getattr(function, "__closure__", None) or ():
        try:
            named.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    return named


def _imported_by(function: object) -> list[str]:
    """The modules a Python function's code imports when it runs (its nested functions' too)."""
    code = getattr(function, "__code__", None)
    if code is None:
        return []
    names: list[str] = []
    pending = [code]
    while pending:
        current = pending.pop()
        for instruction in dis.get_instructions(current):
            if instruction.opname == "IMPORT_NAME" and isinstance(instruction.argval, str):
                names.append(instruction.argval)
        pending += [c for c in current.co_consts if isinstance(c, types.CodeType)]
    return names


def _top(name: str) -> str:
    return name.partition(".")[0]


def _add_packages(cls: type, into: set[str]) -> None:
    for base in getattr(cls, "__mro__", (cls,)):
        module = getattr(base, "__module__", None)
        if isinstance(module, str):
            into.add(_top(module))


def _held(obj: object) -> list[object]:
    held = list(getattr(obj, "__dict__", {}).values())
    for slot in getattr(type(obj), "__slots__", ()):
        if isinstance(slot, str) and hasattr(obj, slot):
            held.append(getattr(obj, slot))
    return held


def _extension_file(module: object) -> str | None:
    path = getattr(module, "__file__", None)
    if isinstance(path, str) and path.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)):
        return path
    return None


def _package_libraries(package: str) -> list[str]:
    module = sys.modules.get(package)
    directories = getattr(module, "__path__", None)
    if directories is None and module is None:
        # Not imported yet (a dunder that imports it when called): found without running it.
        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        directories = spec.submodule_search_locations if spec is not None else None
    if not directories:
        return []
    found: list[str] = []
    for directory in directories:
        for path in Path(directory).rglob("*.so"):
            found.append(str(path))
            if len(found) > _MAX_GLOBBED:
                return []
    return found
