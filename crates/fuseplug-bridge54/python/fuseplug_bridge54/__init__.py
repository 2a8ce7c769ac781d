"""Serves DataFusion 54 datafusion-ffi objects in the DataFusion 55 fuseplug host.

datafusion-ffi objects only work between libraries built on the same DataFusion major. This wheel
links both majors: it reads a plugin's DataFusion 54 capsule with datafusion-ffi 54 and publishes the
same object with datafusion-ffi 55. fuseplug uses it by itself when it is installed
(``pip install 'fuseplug[bridge54]'``); calling :func:`adapt` by hand is only needed to hand a 54
object to another DataFusion 55 host.

>>> import fuseplug_bridge54
>>> fuseplug_bridge54.PLUGIN_DATAFUSION_MAJOR, fuseplug_bridge54.HOST_DATAFUSION_MAJOR
(54, 55)
"""

from __future__ import annotations

from fuseplug_bridge54 import _internal
from fuseplug_bridge54._internal import (
    BridgedAggregateUDF,
    BridgedCatalog,
    BridgedCatalogList,
    BridgedScalarUDF,
    BridgedSchema,
    BridgedTable,
    BridgedTableFunction,
    BridgedWindowUDF,
    Session54,
    adapt,
)

__all__ = [
    "HOST_DATAFUSION_MAJOR",
    "KINDS",
    "LIBRARY",
    "PLUGIN_DATAFUSION_MAJOR",
    "BridgedAggregateUDF",
    "BridgedCatalog",
    "BridgedCatalogList",
    "BridgedScalarUDF",
    "BridgedSchema",
    "BridgedTable",
    "BridgedTableFunction",
    "BridgedWindowUDF",
    "Session54",
    "adapt",
]

#: The DataFusion major of the plugins the bridge adapts.
PLUGIN_DATAFUSION_MAJOR: int = _internal.plugin_datafusion_major()
#: The DataFusion major of the hosts it serves them to.
HOST_DATAFUSION_MAJOR: int = _internal.host_datafusion_major()
#: The kinds :func:`adapt` accepts (capsule names without their ``datafusion_`` prefix).
KINDS: tuple[str, ...] = tuple(_internal.kinds())
#: The compiled library whose capsules the host accepts as the bridge's.
LIBRARY: str = _internal.__file__
