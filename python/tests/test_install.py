"""`pip install <checkout>` works in a clean virtual environment without uv.

The wheel is built through maturin's PEP 517 backend exactly as a user's pip would build it, except for
the profile: the dev profile reuses the shared Cargo target directory, where a cold release build (thin LTO)
takes ~57 minutes (the profile is the only difference; see docs/development.md).
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(900)
def test_pip_install_checkout_into_clean_venv(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["MATURIN_PEP517_ARGS"] = "--profile dev"
    # The Makefile's build settings, for a run outside make: the shared target dir and the fixed
    # PyO3 config, so the build reuses every compiled dependency.
    cache = Path.home() / ".cache" / "fuseplug"
    env.setdefault("CARGO_TARGET_DIR", str(cache / "target"))
    if (cache / "pyo3-config.txt").exists():
        env.setdefault("PYO3_CONFIG_FILE", str(cache / "pyo3-config.txt"))
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(REPO)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    assert not (env_dir / "bin" / "uv").exists()

    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import fuseplug, sys; "
            "print(fuseplug.__file__); "
            "print(fuseplug.SessionContext().sql('SELECT 40 + 2 AS x').to_pydict())",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    installed_from, result = probe.stdout.splitlines()
    assert str(env_dir) in installed_from  # the wheel, not the checkout's editable copy
    assert result == "{'x': [42]}"

    cli = subprocess.run(
        [str(env_dir / "bin" / "fuseplug"), "--format", "csv", "SELECT 7 AS seven"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0, cli.stderr
    assert list(csv.reader(io.StringIO(cli.stdout))) == [["seven"], ["7"]]

    # The DataFusion 54 bridge is a wheel of its own (the `fuseplug[bridge54]` extra); from a
    # checkout it installs from its crate directory.
    bridge = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            str(REPO / "crates" / "fuseplug-bridge54"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    assert bridge.returncode == 0, bridge.stdout[-3000:] + bridge.stderr[-3000:]
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import fuseplug_bridge54 as b; print(b.__file__); "
            "print(b.KINDS, b.PLUGIN_DATAFUSION_MAJOR, b.HOST_DATAFUSION_MAJOR)",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    installed_from, result = probe.stdout.splitlines()
    assert str(env_dir) in installed_from
    kinds = (
        "table_provider",
        "scalar_udf",
        "aggregate_udf",
        "window_udf",
        "table_function",
        "catalog_provider",
        "schema_provider",
        "catalog_provider_list",
    )
    assert result == f"{kinds} 54 55"
