"""Fixtures shared by the fuseplug test suite.

Everything here builds its data in the test (no files are shipped with the suite), and anything
that could take the interpreter down runs in a child process through ``run_python``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fuseplug import SessionConfig, SessionContext

RunPython = Callable[..., "subprocess.CompletedProcess[str]"]


def run_python_code(
    code: str, timeout: float = 60.0, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with this interpreter in a fresh process and capture its output.

    A crash (segfault, abort) in the child shows up as a negative ``returncode`` instead of
    killing the test run. The child inherits the environment, so it imports the same fuseplug.
    """
    child_env = dict(os.environ)
    child_env.setdefault("PYTHONFAULTHANDLER", "1")
    if env:
        child_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=child_env,
        check=False,
    )


def child(
    run_python: RunPython, code: str, timeout: float = 120, env: dict[str, str] | None = None
) -> Any:
    """Runs ``code`` in a fresh interpreter, which must exit cleanly; its last stdout line is a JSON
    result, returned decoded."""
    proc = run_python(code, timeout=timeout, env=env)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture
def run_python() -> RunPython:
    """``run_python(code, timeout=60) -> CompletedProcess`` in a separate interpreter."""
    return run_python_code


@pytest.fixture
def ctx() -> SessionContext:
    """A fresh session with default settings."""
    return SessionContext()


@pytest.fixture
def info_ctx() -> SessionContext:
    """A session with ``information_schema`` on, so SHOW and SET work."""
    return SessionContext(SessionConfig().with_information_schema(True))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty directory for files written by the test."""
    d = tmp_path / "data"
    d.mkdir()
    return d


#: TPC-H scale factor of the ``tpch_dir`` data. At SF 0.01 query 17's answer is NULL (no part
#: qualifies) and query 8's 1995 share is 0; at 0.02 every query has a non-trivial answer.
TPCH_SCALE = 0.02


@pytest.fixture(scope="session")
def tpch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TPC-H data at ``TPCH_SCALE``, one Parquet file per table, generated once per session with
    ``tpchgen-cli`` (the kit in ``benchmarks/tpch``)."""
    from benchmarks import tpch

    return tpch.generate(TPCH_SCALE, tmp_path_factory.mktemp("tpch"))


@pytest.fixture(scope="module")
def tpch_ctx(tpch_dir: Path) -> SessionContext:
    """A session with the ``tpch_dir`` tables registered, one per test module."""
    from benchmarks import tpch

    ctx = SessionContext()
    tpch.register(ctx, tpch_dir)
    return ctx
