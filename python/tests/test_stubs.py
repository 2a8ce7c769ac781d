"""The type stub of the compiled module matches the extension, and the package type-checks with it.

``mypy.stubtest`` imports ``fuseplug._internal`` and compares every class, method, signature and
property with ``python/fuseplug/_internal.pyi``; ``mypy`` then checks the package in strict mode
(``[tool.mypy]`` in pyproject.toml). Both run in a child process from the repository root.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mypy")

ROOT = Path(__file__).resolve().parents[2]
PYTHON_SOURCE = ROOT / "python"
STUB = PYTHON_SOURCE / "fuseplug" / "_internal.pyi"
CONFIG = ROOT / "pyproject.toml"

# A cold mypy run analyses pyarrow, pandas and polars too: give it more than the default timeout.
MYPY_TIMEOUT = 900


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m <args>`` from the repository root, with the stub in the source tree first on the
    search path (so an installed wheel is checked against the stub being edited)."""
    env = dict(os.environ)
    env["MYPYPATH"] = str(PYTHON_SOURCE)
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=MYPY_TIMEOUT,
        env=env,
        check=False,
    )


def report(result: subprocess.CompletedProcess[str]) -> str:
    return (
        f"exit code {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n"
        f"--- stderr ---\n{result.stderr}"
    )


def test_stub_and_py_typed_exist() -> None:
    assert STUB.is_file(), f"missing {STUB}"
    assert STUB.with_name("py.typed").is_file(), "missing py.typed"


@pytest.mark.timeout(MYPY_TIMEOUT)
def test_stubtest_matches_extension() -> None:
    # With the project's mypy config, so the stub is analysed as for Python 3.10 in strict mode.
    result = run_tool("mypy.stubtest", "--mypy-config-file", str(CONFIG), "fuseplug._internal")
    if result.returncode != 0:
        print(report(result))
    assert result.returncode == 0, report(result)


@pytest.mark.timeout(MYPY_TIMEOUT)
def test_mypy_package() -> None:
    result = run_tool("mypy", "--config-file", str(CONFIG), "python/fuseplug")
    if result.returncode != 0:
        print(report(result))
    assert result.returncode == 0, report(result)
