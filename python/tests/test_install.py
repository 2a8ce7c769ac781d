"""The wheels a checkout builds pass the release checks, installed into a clean venv without uv.

The wheels are built through maturin's PEP 517 backend exactly as a user's pip would build them, except
for the profile: the dev profile reuses the shared Cargo target directory, where a cold release build
(thin LTO) takes ~57 minutes (the profile is the only difference; `make dist` runs the same checks on
release builds; see docs/development.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def build_env() -> dict[str, str]:
    """The environment of the builds: this one without the dev venv, in the dev profile, with the
    Makefile's settings for a run outside make (the shared target dir and the fixed PyO3 config,
    so the build reuses every compiled dependency)."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["MATURIN_PEP517_ARGS"] = "--profile dev"
    cache = Path.home() / ".cache" / "fuseplug"
    env.setdefault("CARGO_TARGET_DIR", str(cache / "target"))
    if (cache / "pyo3-config.txt").exists():
        env.setdefault("PYO3_CONFIG_FILE", str(cache / "pyo3-config.txt"))
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run(
    command: list[str], env: dict[str, str], timeout: float, cwd: Path = REPO
) -> subprocess.CompletedProcess[str]:
    """``command`` with its output captured as text; the caller checks the exit code."""
    return subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout, check=False
    )


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """``done``, after asserting that it exited 0 (the output's ends as the message)."""
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.mark.timeout(1500)
def test_wheels_from_a_checkout_pass_the_release_checks(tmp_path: Path) -> None:
    """maturin builds fuseplug's and the bridge's wheels and the sdist as `make dist` does (in the
    dev profile), and tools/dist_check.py audits them, installs them into a fresh venv with pip and
    runs the quickstart, the CLI and the bridge there."""
    env = build_env()
    dist = tmp_path / "dist"
    maturin = Path(sys.executable).with_name("maturin")
    for command in (
        ["build", "--profile", "dev", "--out", str(dist)],
        [
            "build",
            "--profile",
            "dev",
            "-m",
            "crates/fuseplug-bridge54/Cargo.toml",
            "--out",
            str(dist),
        ],
        ["sdist", "--out", str(dist)],
    ):
        ok(run([str(maturin), *command], env, 900))
    names = sorted(p.name for p in dist.iterdir())
    assert len(names) == 3, names

    check = run([sys.executable, str(REPO / "tools" / "dist_check.py"), str(dist)], env, 900)
    assert check.returncode == 0, check.stdout + check.stderr
    lines = check.stdout.splitlines()
    wheels = [line for line in lines if ".whl: manylinux_" in line]
    assert len(wheels) == 2, lines
    assert any(line.startswith("fuseplug-0.1.0.tar.gz: ") for line in lines), lines
    assert any(line.startswith("quickstart ran") for line in lines), lines
    assert any(line.startswith("fuseplug --version: fuseplug 0.1.0") for line in lines), lines
    assert "the bridge imports and serves DataFusion 54" in lines


@pytest.mark.timeout(900)
def test_pip_install_of_the_checkout(tmp_path: Path) -> None:
    """`pip install <checkout>`: maturin's PEP 517 backend builds the wheel, as for a user."""
    env = build_env()
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    ok(run([str(python), "-m", "pip", "install", "--quiet", str(REPO)], env, 900))
    assert not (env_dir / "bin" / "uv").exists()
    probe = run(
        [
            str(python),
            "-c",
            "import fuseplug; print(fuseplug.__file__); "
            "print(fuseplug.SessionContext().sql('SELECT 40 + 2 AS x').to_pydict())",
        ],
        env,
        120,
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    installed_from, result = probe.stdout.splitlines()
    assert str(env_dir) in installed_from  # the wheel, not the checkout's editable copy
    assert result == "{'x': [42]}"


#: Run by the lean wheel: what `make demo` does, then each part the lean build leaves out.
LEAN_PROBE = """
import subprocess, sys
import fuseplug
from fuseplug import _internal, col
from fuseplug.exceptions import NotSupportedError
assert "{site}" in fuseplug.__file__, fuseplug.__file__
assert list(_internal.FEATURES) == [], _internal.FEATURES
subprocess.run([sys.executable, "{repo}/examples/quickstart.py", "--out", "{out}"], check=True)
query = "SELECT g, count(*) AS n FROM '{out}/quickstart.parquet' GROUP BY g ORDER BY g"
cli = subprocess.run([sys.executable, "-m", "fuseplug", "--max-rows", "10", query], check=True,
                     capture_output=True, text=True)
assert "alpha" in cli.stdout, cli.stdout
ctx = fuseplug.SessionContext()

def refused(feature, call):
    try:
        call()
    except NotSupportedError as e:
        assert f"without its `{{feature}}` feature" in str(e), e
        print("refused", feature)
    else:
        raise AssertionError(f"{{feature}}: no error")

from fuseplug.functions import spark
from fuseplug.distributed import Worker
from fuseplug.substrait import Serde
refused("substrait", lambda: Serde.serialize_bytes("SELECT 1", ctx))
refused("distributed", lambda: ctx.with_distributed(workers=["127.0.0.1:1"]))
refused("distributed", lambda: Worker().__enter__())
refused("spark", lambda: spark.substring(col("g"), 1, 2))
refused("spark", lambda: ctx.enable_spark_functions())
try:
    _internal.no_such_name
except AttributeError:
    print("AttributeError for other names")
"""


@pytest.mark.timeout(900)
def test_the_lean_wheel_of_make_demo(tmp_path: Path) -> None:
    """`make demo` builds fuseplug without its `substrait`, `distributed` and `spark` Cargo features.
    That wheel runs the demo, and each left-out part raises NotSupportedError naming its feature.
    (Unpacked beside the dev venv's packages rather than pip-installed: pyarrow comes from there.)"""
    env = build_env()
    maturin = Path(sys.executable).with_name("maturin")
    lean = ["build", "--profile", "dev", "--no-default-features", "--out", str(tmp_path)]
    ok(run([str(maturin), *lean], env, 900))
    (wheel,) = tmp_path.glob("*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    env["PYTHONPATH"] = str(site)
    probe = LEAN_PROBE.format(site=site, repo=REPO, out=tmp_path / "demo")
    ran = ok(run([sys.executable, "-c", probe], env, 300, cwd=tmp_path))
    refusals = [line for line in ran.stdout.splitlines() if line.startswith("refused ")]
    assert refusals == [
        "refused substrait",
        "refused distributed",
        "refused distributed",
        "refused spark",
        "refused spark",
    ]
    assert ran.stdout.splitlines()[-1] == "AttributeError for other names"
    cli = run(
        [sys.executable, "-m", "fuseplug", "--workers", "2", "SELECT 1"], env, 120, cwd=tmp_path
    )
    assert cli.returncode == 1
    assert "NotSupportedError" in cli.stderr and "`distributed` feature" in cli.stderr, cli.stderr
    assert "Traceback" not in cli.stderr
