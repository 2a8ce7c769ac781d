"""Native extensions over Daft's stable C ABI: shared libraries that export ``daft_module_magic``
and define scalar and aggregate functions over the Arrow C Data Interface only, so one build works
with any DataFusion (and with Daft itself).

>>> import fuseplug
>>> fuseplug.native.DAFT_ABI_VERSION
1
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from fuseplug import _internal
from fuseplug.exceptions import PluginError

if TYPE_CHECKING:
    from fuseplug.context import SessionContext

__all__ = [
    "DAFT_ABI_VERSION",
    "NativeExtension",
    "NativeFunction",
    "find_library",
    "load_extension",
]

#: The Daft native-extension ABI version fuseplug speaks.
DAFT_ABI_VERSION = 1

_MAGIC = b"daft_module_magic"
_SUFFIXES = (".so", ".dylib", ".dll", ".pyd")


@dataclass(frozen=True)
class NativeFunction:
    """One function of a loaded extension, with the identity a plan codec can send it by:
    ``(extension, library, name)``."""

    extension: str
    library: str
    name: str
    kind: str


class NativeExtension:
    """A loaded extension library (opened once per process, never closed)."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _internal.NativeExtension) -> None:
        self._inner = inner

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def path(self) -> str:
        return os.fspath(self._inner.path)

    @property
    def functions(self) -> list[NativeFunction]:
        """The functions the extension defines."""
        return [
            NativeFunction(self.name, self.path, name, kind)
            for kind, name in self._inner.functions()
        ]

    def __repr__(self) -> str:
        return f"NativeExtension(name={self.name!r}, path={self.path!r})"


def _exports_magic(path: Path) -> bool:
    try:
        return _MAGIC in path.read_bytes()
    except OSError:
        return False


def find_library(module_or_path: str | os.PathLike[str] | ModuleType) -> Path:
    """The shared library of an extension: ``module_or_path`` itself when it is a file, else the one
    library exporting ``daft_module_magic`` in the package's directory. An installed package is found
    without importing it (extension packages often import ``daft`` at the top)."""
    if isinstance(module_or_path, ModuleType):
        origin = getattr(module_or_path, "__file__", None)
        if origin is None:
            raise PluginError(f"module {module_or_path.__name__!r} has no file to search")
        directories = [Path(origin).parent]
        label = module_or_path.__name__
    else:
        candidate = Path(os.fspath(module_or_path))
        if candidate.is_file():
            return candidate
        name = os.fspath(module_or_path)
        if os.sep in name or candidate.suffix in _SUFFIXES:
            raise PluginError(f"no such native extension library: {name}")
        directories = _package_dirs(name)
        label = name
    found = sorted(
        path
        for directory in directories
        for path in directory.rglob("*")
        if path.suffix in _SUFFIXES and path.is_file() and _exports_magic(path)
    )
    if not found:
        raise PluginError(f"package {label!r} has no shared library exporting daft_module_magic")
    if len(found) > 1:
        listed = ", ".join(str(p) for p in found)
        raise PluginError(
            f"package {label!r} has several extension libraries ({listed}): pass one path"
        )
    return found[0]


def _package_dirs(name: str) -> list[Path]:
    """The directories of an installed package, found without importing it (nor, for a dotted name,
    its parents: find_spec would import those)."""
    top, _, rest = name.partition(".")
    spec = importlib.util.find_spec(top)
    if spec is None:
        raise PluginError(f"no installed package or file named {name!r}")
    if spec.submodule_search_locations:
        bases = [Path(p) for p in spec.submodule_search_locations]
    elif spec.origin:
        bases = [Path(spec.origin).parent]
    else:
        raise PluginError(f"package {top!r} has no files to search")
    if not rest:
        return bases
    found = [Path(b, *rest.split(".")) for b in bases if Path(b, *rest.split(".")).is_dir()]
    if not found:
        raise PluginError(f"no installed package named {name!r}")
    return found


def load_extension(
    module_or_path: str | os.PathLike[str] | ModuleType | NativeExtension,
    ctx: SessionContext | None = None,
) -> NativeExtension:
    """Opens a native extension (once per process) and, given ``ctx``, defines its functions on that
    session only. Loading it again, in the same session or another, is harmless.

    ``module_or_path`` is an installed package's name (found without importing it), an imported
    module, a path to the shared library, or a :class:`NativeExtension`."""
    if isinstance(module_or_path, NativeExtension):
        extension = module_or_path
    else:
        extension = NativeExtension(_internal.NativeExtension.open(find_library(module_or_path)))
    if ctx is not None:
        extension._inner.register(ctx._inner)
    return extension
