"""Checks what a release publishes, as a user would meet it: the wheels in a directory (`make dist`
writes build/dist/) are audited, installed into a fresh virtual environment made by the system
Python's `venv` and pip (no uv, no checkout on the path), and run.

    python tools/dist_check.py DIR

- every wheel: `auditwheel show` must find it consistent with a manylinux tag, and the file name
  must carry that tag (a `linux_x86_64` wheel cannot be uploaded to PyPI) and `abi3`;
- the sdist, when there is one: it holds every crate of the workspace, Cargo.lock and the Python
  package, and no tests;
- fuseplug's wheel (and the bridge's, when there is one) installs with pip, with pyarrow and
  cloudpickle from the package index; then examples/quickstart.py, the `fuseplug` command and the
  bridge's import run from a directory outside the checkout.

Prints one line per check and exits non-zero on the first failure. python/tests/test_install.py
runs it on wheels of the dev profile.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: What an sdist must hold to build (paths under its top directory).
SDIST_MUST_HOLD = (
    "pyproject.toml",
    "Cargo.toml",
    "Cargo.lock",
    "python/fuseplug/__init__.py",
    "python/fuseplug/_internal.pyi",
    "python/fuseplug/py.typed",
    "crates/fuseplug/Cargo.toml",
    "crates/fuseplug/src/lib.rs",
    "crates/fuseplug-capsule/Cargo.toml",
    "crates/fuseplug-engine/Cargo.toml",
)


class CheckFailed(Exception):
    pass


def run(command: list[str], timeout: float = 900, **kwargs: object) -> str:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )
    if done.returncode != 0:
        raise CheckFailed(
            f"{' '.join(map(str, command))} exited {done.returncode}\n"
            f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return done.stdout


def audit(wheel: Path) -> str:
    """The manylinux tag auditwheel finds the wheel consistent with, checked against its name."""
    auditwheel = Path(sys.executable).with_name("auditwheel")
    shown = run([str(auditwheel), "show", str(wheel)], timeout=300)
    found = re.search(r'consistent\s+with\s+the\s+following\s+platform\s+tag:\s*"([^"]+)"', shown)
    if not found or not found.group(1).startswith("manylinux"):
        raise CheckFailed(f"{wheel.name}: not manylinux compliant:\n{shown}")
    tags = wheel.name.removesuffix(".whl").split("-")[-3:]
    if tags[1] != "abi3":
        raise CheckFailed(f"{wheel.name}: not an abi3 wheel")
    platforms = tags[2].split(".")
    if not any(p.startswith("manylinux") for p in platforms):
        raise CheckFailed(f"{wheel.name}: named {tags[2]}, not a manylinux tag ({found.group(1)})")
    return found.group(1)


def check_sdist(sdist: Path) -> int:
    with tarfile.open(sdist) as tar:
        names = tar.getnames()
    top = names[0].split("/")[0]
    inside = {n.removeprefix(top + "/") for n in names}
    missing = [p for p in SDIST_MUST_HOLD if p not in inside]
    if missing:
        raise CheckFailed(f"{sdist.name} lacks {missing}")
    tests = sorted(n for n in inside if n.startswith("python/tests/"))
    if tests:
        raise CheckFailed(f"{sdist.name} ships tests: {tests[:3]}")
    return len(names)


def install_and_run(wheels: list[Path], work: Path) -> list[str]:
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    run([str(python), "-m", "pip", "install", "--quiet", *map(str, wheels)], env=env)
    lines = []
    out = work / "out"
    quick = run(
        [str(python), str(REPO / "examples" / "quickstart.py"), "--out", str(out)],
        env=env,
        cwd=work,
        timeout=300,
    )
    if not (out / "quickstart.parquet").is_file():
        raise CheckFailed(f"the quickstart wrote no Parquet file:\n{quick}")
    where = run([str(python), "-c", "import fuseplug; print(fuseplug.__file__)"], env=env, cwd=work)
    if not where.strip().startswith(str(env_dir)):
        raise CheckFailed(f"fuseplug was imported from {where.strip()}, not the new venv")
    lines.append(f"quickstart ran ({len(quick.splitlines())} lines of output)")
    version = run([str(env_dir / "bin" / "fuseplug"), "--version"], env=env, cwd=work)
    lines.append(f"fuseplug --version: {version.strip().splitlines()[0]}")
    if any(w.name.startswith("fuseplug_bridge54-") for w in wheels):
        probe = run(
            [str(python), "-c", "import fuseplug_bridge54 as b; print(b.PLUGIN_DATAFUSION_MAJOR)"],
            env=env,
            cwd=work,
        )
        if probe.strip() != "54":
            raise CheckFailed(f"the bridge says it serves DataFusion {probe.strip()}")
        lines.append("the bridge imports and serves DataFusion 54")
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dist", type=Path, help="directory of the wheels (and sdist)")
    args = p.parse_args(argv)
    wheels = sorted(args.dist.glob("*.whl"))
    main_wheels = [w for w in wheels if w.name.startswith("fuseplug-")]
    try:
        if len(main_wheels) != 1:
            raise CheckFailed(f"expected one fuseplug wheel in {args.dist}, found {main_wheels}")
        for wheel in wheels:
            size = wheel.stat().st_size / 2**20
            print(f"{wheel.name}: {audit(wheel)}, {size:.1f} MiB")
        for sdist in sorted(args.dist.glob("*.tar.gz")):
            print(f"{sdist.name}: {check_sdist(sdist)} files, the whole workspace and no tests")
        with tempfile.TemporaryDirectory(prefix="fuseplug-dist-") as tmp:
            for line in install_and_run(wheels, Path(tmp)):
                print(line)
    except CheckFailed as e:
        print(f"dist check failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
