"""Native extensions over Daft's stable C ABI: shared libraries that export ``daft_module_magic``
and define scalar and aggregate functions over the Arrow C Data Interface only, so one build works
with any DataFusion (and with Daft itself).

>>> import fuseplug
>>> fuseplug.native.DAFT_ABI_VERSION
1
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, BinaryIO

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


_ELF_MAGIC = b"\x7fELF"
_SHT_DYNSYM = 11
#: Mach-O (both byte orders, 32 and 64 bit, and universal binaries) and PE (``MZ``) libraries.
_OTHER_LIBRARY_MAGICS = (
    b"\xfe\xed\xfa\xce",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa\xcf",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"MZ",
)


def _read_at(f: BinaryIO, offset: int, size: int) -> bytes:
    if offset + size > f.seek(0, os.SEEK_END):
        raise ValueError("truncated ELF file")
    f.seek(offset)
    data = f.read(size)
    if len(data) != size:
        raise ValueError("truncated ELF file")
    return data


def _elf_dynamic_symbols(f: BinaryIO) -> set[bytes] | None:
    """The names an ELF file defines in its dynamic symbol table (``.dynsym`` through
    ``.dynstr``), reading only the header, the section headers and those two sections; None when
    ``f`` is not an ELF shared library (ELF type ``ET_DYN``)."""
    ident = f.read(16)
    if (
        len(ident) < 16
        or ident[:4] != _ELF_MAGIC
        or ident[4] not in (1, 2)
        or ident[5] not in (1, 2)
    ):
        return None
    wide = ident[4] == 2
    order = "<" if ident[5] == 1 else ">"
    # the rest of the file header: e_type first, e_shoff, e_shentsize and e_shnum further on
    header = _read_at(f, 16, 48 if wide else 36)
    (e_type,) = struct.unpack_from(order + "H", header, 0)
    if e_type != 3:  # ET_DYN
        return None
    if wide:
        (shoff,) = struct.unpack_from(order + "Q", header, 24)
        shentsize, shnum = struct.unpack_from(order + "HH", header, 42)
        section = struct.Struct(order + "IIQQQQIIQQ")  # name type flags addr offset size link ...
    else:
        (shoff,) = struct.unpack_from(order + "I", header, 16)
        shentsize, shnum = struct.unpack_from(order + "HH", header, 30)
        section = struct.Struct(order + "IIIIIIIIII")
    if shoff == 0 or shnum == 0 or shentsize < section.size:
        return set()
    table = _read_at(f, shoff, shentsize * shnum)
    sections = [section.unpack_from(table, i * shentsize) for i in range(shnum)]
    names: set[bytes] = set()
    for _, kind, _, _, offset, size, link, _, _, entsize in sections:
        if kind != _SHT_DYNSYM or entsize == 0 or link >= shnum:
            continue
        symbols = _read_at(f, offset, size)
        strings = _read_at(f, sections[link][4], sections[link][5])
        shndx_at = 6 if wide else 14  # st_shndx: 0 (SHN_UNDEF) for a symbol the file imports
        for i in range(size // entsize):
            (name,) = struct.unpack_from(order + "I", symbols, i * entsize)  # st_name
            (shndx,) = struct.unpack_from(order + "H", symbols, i * entsize + shndx_at)
            if shndx == 0:
                continue
            end = strings.find(b"\0", name)
            names.add(strings[name : end if end >= 0 else len(strings)])
    return names


def _exports_magic(path: Path) -> bool:
    """Whether ``path`` is a shared library exporting ``daft_module_magic``. An ELF file is read
    only as far as its dynamic symbol table; anything else that is not a shared library by its
    first bytes is not read further."""
    try:
        with open(path, "rb") as f:
            found = _elf_dynamic_symbols(f)
            if found is not None:
                return _MAGIC in found
            f.seek(0)
            start = f.read(4)
    except (OSError, ValueError, struct.error):
        return False
    if not start.startswith(_OTHER_LIBRARY_MAGICS):
        return False
    # Mach-O and PE: ask the dynamic loader (this opens the library, as loading it would).
    try:
        return hasattr(ctypes.CDLL(os.fspath(path)), _MAGIC.decode())
    except OSError:
        return False


def _candidates(directories: list[Path]) -> Iterator[Path]:
    for directory in directories:
        for path in directory.rglob("*"):
            if path.suffix in _SUFFIXES and path.is_file():
                yield path


def find_library(module_or_path: str | os.PathLike[str] | ModuleType) -> Path:
    """The shared library of an extension: ``module_or_path`` itself when it is a file, else the one
    library exporting ``daft_module_magic`` in the package's directory (for a module that is a
    single file, that file). An installed package is found without importing it (extension packages
    often import ``daft`` at the top). Only shared libraries are looked into, and only as far as
    their dynamic symbol tables."""
    if isinstance(module_or_path, ModuleType):
        origin = getattr(module_or_path, "__file__", None)
        if origin is None:
            raise PluginError(f"module {module_or_path.__name__!r} has no file to search")
        package = getattr(module_or_path, "__path__", None)
        candidates = (
            _candidates([Path(p) for p in package]) if package is not None else iter([Path(origin)])
        )
        label = module_or_path.__name__
    else:
        candidate = Path(os.fspath(module_or_path))
        if candidate.is_file():
            return candidate
        name = os.fspath(module_or_path)
        if os.sep in name or candidate.suffix in _SUFFIXES:
            raise PluginError(f"no such native extension library: {name}")
        candidates = _package_files(name)
        label = name
    found = sorted(path for path in candidates if _exports_magic(path))
    if not found:
        raise PluginError(f"package {label!r} has no shared library exporting daft_module_magic")
    if len(found) > 1:
        listed = ", ".join(str(p) for p in found)
        raise PluginError(
            f"package {label!r} has several extension libraries ({listed}): pass one path"
        )
    return found[0]


def _package_files(name: str) -> Iterator[Path]:
    """The library files of an installed package, or the file of a single-file module, found
    without importing it (nor, for a dotted name, its parents: find_spec would import those)."""
    top, _, rest = name.partition(".")
    spec = importlib.util.find_spec(top)
    if spec is None:
        raise PluginError(f"no installed package or file named {name!r}")
    if spec.submodule_search_locations:
        bases = [Path(p) for p in spec.submodule_search_locations]
    elif spec.origin and not rest:
        return iter([Path(spec.origin)])  # a single-file module: never its neighbours
    else:
        raise PluginError(f"package {top!r} has no files to search")
    if not rest:
        return _candidates(bases)
    found = [Path(b, *rest.split(".")) for b in bases if Path(b, *rest.split(".")).is_dir()]
    if not found:
        raise PluginError(f"no installed package named {name!r}")
    return _candidates(found)


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
