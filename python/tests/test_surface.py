"""The drop-in promise, checked: fuseplug's public surface against the installed official
``datafusion`` wheel (every public name of the package and of each of its modules, every member of
each class they share, and the parameter names, kinds and defaults of everything both have).

``python -m fuseplug._surface`` lists the differences; it runs in a child process so the official
wheel's library stays out of this process. The differences must equal the list below exactly: a new
gap fails the test, and so does a closed one until it is removed from the list.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

RunPython = Callable[..., Any]

#: Deliberate differences, each explained in docs/compatibility.md.
DELIBERATE = [
    "signature datafusion.DataFrame.write_csv",
    "signature datafusion.DataFrame.write_json",
    "signature datafusion.DataFrame.write_parquet",
    "signature datafusion.SessionContext.from_pydict",
    "signature datafusion.SessionContext.from_pylist",
    "signature datafusion.SessionContext.register_csv",
    "signature datafusion.SessionContext.register_udtf",
    "signature datafusion.TableFunction.udtf",
    "signature datafusion.udtf",
    "signature datafusion.user_defined.udtf",
]


def test_public_surface_matches_the_official_bindings(run_python: RunPython) -> None:
    proc = run_python(
        "import sys; from fuseplug import _surface; sys.exit(_surface.main())", timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    found = sorted(json.loads(proc.stdout))
    expected = sorted(DELIBERATE)
    new = sorted(set(found) - set(expected))
    closed = sorted(set(expected) - set(found))
    assert not new, f"new differences from the official bindings: {new}"
    assert not closed, f"closed gaps: remove them from the list in this file: {closed}"
