"""The type stub of the compiled module matches what the module really exports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import fuseplug
from fuseplug import _internal

STUB = Path(fuseplug.__file__).with_name("_internal.pyi")


def stub_tree() -> ast.Module:
    return ast.parse(STUB.read_text())


def stub_names() -> dict[str, ast.stmt]:
    names: dict[str, ast.stmt] = {}
    for node in stub_tree().body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
    return names


def public(names: list[str]) -> set[str]:
    return {n for n in names if not n.startswith("_") or n in ("__version__",)}


def test_package_ships_stub_and_py_typed() -> None:
    assert STUB.is_file()
    assert STUB.with_name("py.typed").is_file()


def test_stub_declares_every_public_name() -> None:
    module_names = public(dir(_internal)) - {"annotations"}
    declared = set(stub_names())
    assert sorted(module_names - declared) == []
    assert sorted(declared - module_names - {"__version__"}) == []


def test_stub_classes_declare_every_public_method() -> None:
    problems = []
    for name, node in stub_names().items():
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(_internal, name)
        declared = {
            item.name for item in node.body if isinstance(item, (ast.FunctionDef, ast.AnnAssign))
        } | {
            item.target.id
            for item in node.body
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
        }
        real = {m for m in vars(cls) if not m.startswith("_")}
        missing = real - declared
        extra = {m for m in declared if not m.startswith("_")} - real
        if missing or extra:
            problems.append(f"{name}: missing {sorted(missing)}, not in module {sorted(extra)}")
    assert problems == []


def test_mypy_stubtest(tmp_path: Path) -> None:
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nignore_missing_imports = True\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy.stubtest",
            "fuseplug._internal",
            "--mypy-config-file",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
