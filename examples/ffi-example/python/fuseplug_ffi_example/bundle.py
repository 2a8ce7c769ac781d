"""An extension bundle for ``SessionContext.with_extensions``: the example's counting codecs and its
counting query planner, installed in one call in fuseplug or in the official ``datafusion`` wheel.

A bundle is configuration only: each call of a hook makes fresh components bound to the context
it is handed, and the bundle keeps nothing but what it counts with.
"""

from __future__ import annotations

import importlib
from typing import Any

from fuseplug_ffi_example._internal import (
    CountingLogicalCodec,
    CountingPhysicalCodec,
    CountingPlanner,
)

__all__ = ["ExampleExtension"]


def _components_class(ctx: Any) -> Any:
    """The host's ``SessionExtensionComponents``: a bundle returns the class of the host that calls
    it (``fuseplug.extensions`` or ``datafusion.extensions``), found from the context's module."""
    host = type(ctx).__module__.partition(".")[0]
    return importlib.import_module(f"{host}.extensions").SessionExtensionComponents


class _LogicalCodec:
    """The logical codec under an id of the bundle's own, so two bundles never collide."""

    def __init__(self, codec_id: str, codec: CountingLogicalCodec) -> None:
        self.__datafusion_codec_id__ = codec_id
        self._codec = codec

    def __datafusion_logical_extension_codec__(self, session: Any) -> object:
        return self._codec.__datafusion_logical_extension_codec__(session)


class _PhysicalCodec:
    """The physical codec under an id of the bundle's own."""

    def __init__(self, codec_id: str, codec: CountingPhysicalCodec) -> None:
        self.__datafusion_codec_id__ = codec_id
        self._codec = codec

    def __datafusion_physical_extension_codec__(self, session: Any) -> object:
        return self._codec.__datafusion_physical_extension_codec__(session)


class ExampleExtension:
    """``ExampleExtension(name, codecs=True, planner=True)``: contributes a logical and a physical
    counting codec (ids ``<name>.logical`` / ``<name>.physical``) and a :class:`CountingPlanner`
    wrapping the fallback planner it is handed. ``planner`` holds the latest planner made, to read
    its ``calls``."""

    def __init__(self, name: str = "example", *, codecs: bool = True, planner: bool = True) -> None:
        self.name = name
        self.logical_codec = CountingLogicalCodec()
        self.physical_codec = CountingPhysicalCodec()
        self.planner: CountingPlanner | None = None
        self._codecs = codecs
        self._planner = planner

    def __datafusion_session_components__(self, ctx: Any) -> Any:
        components = _components_class(ctx)
        if not self._codecs:
            return components()
        return components(
            logical_extension_codecs=(_LogicalCodec(f"{self.name}.logical", self.logical_codec),),
            physical_extension_codecs=(
                _PhysicalCodec(f"{self.name}.physical", self.physical_codec),
            ),
        )

    def __datafusion_session_planner__(self, ctx: Any, fallback: object) -> CountingPlanner | None:
        if not self._planner:
            return None
        self.planner = CountingPlanner(fallback)
        return self.planner

    def __repr__(self) -> str:
        return f"ExampleExtension({self.name!r})"
