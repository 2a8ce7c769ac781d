"""Modules that ``import fuseplug`` does not load: a stand-in that imports the real module on first
attribute access. pyarrow (with numpy and cloudpickle behind it) is the largest part of an eager
import, and most of what fuseplug does hands Arrow data over through the PyCapsule interface,
which needs no pyarrow at all.

Modules write::

    if TYPE_CHECKING:
        import pyarrow as pa
    else:
        from fuseplug._lazy import pyarrow as pa

so type checkers see the real module and the first ``pa.<name>`` at run time imports it.
``python/tests/test_import.py`` checks that a fresh ``import fuseplug`` leaves pyarrow unloaded.
"""

from __future__ import annotations

import importlib
import types
from typing import Any

__all__ = ["LazyModule", "pyarrow"]


class LazyModule(types.ModuleType):
    """Stands for the module ``name`` and imports it on the first attribute access; after that the
    module's attributes are copied here, so later lookups cost what a plain module's do."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__dict__["_lazy_name"] = name

    def __getattr__(self, attr: str) -> Any:
        module = importlib.import_module(self.__dict__["_lazy_name"])
        for key, value in module.__dict__.items():
            if not (key.startswith("__") and key.endswith("__")):
                self.__dict__.setdefault(key, value)
        # Submodules imported later (``pyarrow.compute``) are found on the module itself.
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self.__dict__['_lazy_name']!r}>"


pyarrow = LazyModule("pyarrow")
