"""Runs the docstring examples of the official ``datafusion`` wheel on fuseplug.

The official package's ``.py`` files are read as text: each docstring with ``>>>`` examples is
parsed by :mod:`doctest` and run with ``datafusion`` (and every ``datafusion.X`` submodule) aliased
to ``fuseplug`` (``fuseplug.X``), so the official library itself is never imported. Each example
runs in the globals of the matching fuseplug module plus the names the official repository's
``conftest.py`` hands its doctests (``dfn``, ``np``, ``pa``, ``col``, ``lit``, ``F``), with the
same option flags (``ELLIPSIS``, ``NORMALIZE_WHITESPACE``).

Run as a script (``python official_docstrings.py [PACKAGE_DIR]``), it prints one JSON object:
``{"package": dir, "docstrings": {name: {"attempted": n, "failed": n, "output": text}}}`` where
``name`` is the official module and the qualified name of the function or class (the module
itself for its own docstring). Without ``PACKAGE_DIR`` the installed wheel is found through its
distribution metadata, which imports nothing.
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import importlib
import importlib.abc
import importlib.machinery
import importlib.metadata
import importlib.util
import io
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

OFFICIAL = "datafusion"
OURS = "fuseplug"

#: Option flags of the official repository's doctest run.
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

#: Characters of one docstring's doctest report kept in the result.
MAX_OUTPUT = 4000


@dataclass(frozen=True)
class Result:
    attempted: int
    failed: int
    output: str


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``datafusion[.X]`` as the already imported module ``fuseplug[.X]``."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != OFFICIAL and not fullname.startswith(OFFICIAL + "."):
            return None
        ours = _our_name(fullname)
        if importlib.util.find_spec(ours) is None:
            return None  # an official module fuseplug lacks: ModuleNotFoundError
        return importlib.util.spec_from_loader(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(_our_name(spec.name))

    def exec_module(self, module: ModuleType) -> None:
        pass  # already run by its own import


def _our_name(official: str) -> str:
    return OURS + official[len(OFFICIAL) :]


def official_package_dir() -> Path:
    """The installed official package's directory, found without importing it."""
    dist = importlib.metadata.distribution(OFFICIAL)
    init = next(
        (f for f in dist.files or () if f.parts == (OFFICIAL, "__init__.py")),
        None,
    )
    if init is None:
        raise FileNotFoundError(f"the {OFFICIAL} distribution lists no {OFFICIAL}/__init__.py")
    return Path(str(dist.locate_file(init))).parent


def install_alias() -> ModuleType:
    """Makes ``import datafusion`` give fuseplug, and returns it. Refuses to run once the
    official package has been imported into this process."""
    loaded = sys.modules.get(OFFICIAL)
    if loaded is not None and not loaded.__name__.startswith(OURS):
        raise RuntimeError("the official datafusion package is already imported in this process")
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Alias())
    module = importlib.import_module(OFFICIAL)
    assert module.__name__ == OURS, module
    return module


@dataclass(frozen=True)
class Docstring:
    module: str  # the official module, e.g. ``datafusion.context``
    qualname: str  # e.g. ``SessionContext.sql``; empty for the module's own docstring
    path: Path
    line: int
    text: str

    @property
    def name(self) -> str:
        return f"{self.module}.{self.qualname}" if self.qualname else self.module


_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def docstrings(package_dir: Path) -> Iterator[Docstring]:
    """Every docstring holding ``>>>`` in the package's files, in file order."""
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        yield from _walk(tree, ".".join(parts), "", path)


def _walk(node: ast.AST, module: str, qualname: str, path: Path) -> Iterator[Docstring]:
    if isinstance(node, (ast.Module, *_DEFINITIONS)):
        text = ast.get_docstring(node, clean=True)
        if text and ">>>" in text:
            yield Docstring(module, qualname, path, getattr(node, "lineno", 0), text)
    for child in ast.iter_child_nodes(node):
        if isinstance(child, _DEFINITIONS):
            yield from _walk(child, module, f"{qualname}.{child.name}".lstrip("."), path)
        elif isinstance(child, ast.stmt):  # `if TYPE_CHECKING:`, `try:` ... may hold definitions
            yield from _walk(child, module, qualname, path)


def run(package_dir: Path) -> dict[str, Result]:
    """Runs every docstring's examples of the official package in ``package_dir`` on fuseplug."""
    dfn = install_alias()
    import numpy as np
    import pyarrow as pa

    namespace: dict[str, Any] = {
        "dfn": dfn,
        "np": np,
        "pa": pa,
        "col": dfn.col,
        "lit": dfn.lit,
        "F": dfn.functions,
    }
    parser = doctest.DocTestParser()
    results: dict[str, Result] = {}
    for doc in docstrings(package_dir):
        try:
            globs = dict(vars(importlib.import_module(doc.module)))
        except ImportError:
            globs = {}  # an official module fuseplug lacks: its examples fail on their names
        globs.update(namespace)
        test = parser.get_doctest(doc.text, globs, doc.name, str(doc.path), doc.line)
        runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
        report = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()):  # stray output outside the examples
            outcome = runner.run(test, out=report.write)
        name = doc.name if doc.name not in results else f"{doc.name}@{doc.line}"
        results[name] = Result(outcome.attempted, outcome.failed, report.getvalue()[:MAX_OUTPUT])
    official = [
        name
        for name, module in list(sys.modules.items())
        if Path(getattr(module, "__file__", None) or "/").is_relative_to(package_dir)
    ]
    if official:
        raise RuntimeError(f"the official package was imported: {official}")
    return results


def main(argv: Sequence[str]) -> int:
    package_dir = Path(argv[0]) if argv else official_package_dir()
    results = run(package_dir)
    out = {"package": str(package_dir), "docstrings": {k: asdict(v) for k, v in results.items()}}
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
