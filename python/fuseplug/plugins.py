"""Facts about plugin wheels, for diagnosing a refused capsule.

datafusion-ffi objects only work between libraries built on the same DataFusion major. fuseplug reads
a plugin library's major from the library file itself (the datafusion-ffi crate path compiled into it),
so it can refuse a mismatched capsule without touching the struct inside.

>>> from fuseplug import plugins
>>> plugins.HOST_DATAFUSION_MAJOR
55
"""

from __future__ import annotations

import os

from fuseplug import _internal

__all__ = ["HOST_DATAFUSION_MAJOR", "datafusion_majors_of"]

#: The DataFusion major this fuseplug is built on; plugins must be built on the same one.
HOST_DATAFUSION_MAJOR: int = _internal.host_datafusion_major()


def datafusion_majors_of(library: str | os.PathLike[str]) -> list[int]:
    """The DataFusion majors a compiled plugin library (``.so``) was built against: normally one;
    empty when the file names none (or cannot be read)."""
    return _internal.datafusion_majors_of(os.fspath(library))
