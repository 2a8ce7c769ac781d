"""``import fuseplug`` loads only what it needs: pyarrow (and numpy and cloudpickle behind it),
pandas, polars, asyncio and ssl load on first use (``fuseplug/_lazy.py``). Each check runs in a
fresh interpreter, where ``sys.modules`` shows exactly what the import pulled in. The time it takes
is a benchmark (``benchmarks/startup.py``), never asserted here."""

from __future__ import annotations

import pytest

from conftest import RunPython, child

#: Modules a bare ``import fuseplug`` must leave unloaded (benchmarks/startup.py reports the same).
NOT_AT_IMPORT = ("pyarrow", "numpy", "pandas", "polars", "asyncio", "ssl", "cloudpickle")

LOADED = """
import json, sys
{setup}
print(json.dumps(sorted(m for m in {names!r} if m in sys.modules)))
"""


def loaded_after(run_python: RunPython, setup: str, names: tuple[str, ...]) -> list[str]:
    return child(run_python, LOADED.format(setup=setup, names=names))  # type: ignore[no-any-return]


def test_import_loads_no_heavy_module(run_python: RunPython) -> None:
    assert loaded_after(run_python, "import fuseplug", NOT_AT_IMPORT) == []


#: Names ``fuseplug.__getattr__`` loads on first use, with their modules (which use pyarrow).
LOADED_ON_USE = ("DFSchema", "configure_formatter")


def test_every_public_name_resolves_without_pyarrow(run_python: RunPython) -> None:
    # Looking a name up is not using it: the public surface resolves with pyarrow unloaded.
    setup = (
        "import fuseplug\n"
        f"for name in set(fuseplug.__all__) - set({LOADED_ON_USE!r}):\n"
        "    getattr(fuseplug, name)"
    )
    assert loaded_after(run_python, setup, ("pyarrow", "pandas", "polars")) == []


def test_names_loaded_on_use_resolve(run_python: RunPython) -> None:
    setup = f"import fuseplug\nfor name in {LOADED_ON_USE!r}:\n    assert getattr(fuseplug, name)"
    assert loaded_after(run_python, setup, ("pandas", "polars")) == []


def test_a_query_result_as_pydict_needs_no_pyarrow(run_python: RunPython) -> None:
    # Planning and running a query go through the compiled module alone.
    setup = (
        "import fuseplug\n"
        "ctx = fuseplug.SessionContext()\n"
        "assert ctx.sql('SELECT 1 AS a').count() == 1"
    )
    assert loaded_after(run_python, setup, ("pyarrow", "pandas", "polars")) == []


@pytest.mark.parametrize(
    ("use", "expect"),
    [
        ("fuseplug.SessionContext().sql('SELECT 1 AS a').to_arrow_table()", ["pyarrow"]),
        ("fuseplug.col('a').cast(int)", ["pyarrow"]),
        ("fuseplug.SessionContext().from_pydict({'a': [1]}).to_pandas()", ["pandas", "pyarrow"]),
        # The Arrow PyCapsule stream serves: no pyarrow.
        ("fuseplug.SessionContext().sql('SELECT 1 AS a').to_polars()", ["polars"]),
    ],
)
def test_first_use_imports_what_it_needs(
    run_python: RunPython, use: str, expect: list[str]
) -> None:
    setup = f"import fuseplug\n{use}"
    assert loaded_after(run_python, setup, ("pyarrow", "pandas", "polars")) == expect


def test_lazy_pyarrow_is_the_real_module_once_used() -> None:
    import pyarrow as pa

    from fuseplug._lazy import LazyModule, pyarrow

    assert pyarrow.int64() == pa.int64()
    assert pyarrow.Table is pa.Table
    assert isinstance(pa.table({"a": [1]}), pyarrow.Table)
    # A submodule imported after the first use is still found.
    import pyarrow.compute as pc

    assert pyarrow.compute is pc
    with pytest.raises(ModuleNotFoundError):
        LazyModule("fuseplug_no_such_module").anything  # noqa: B018


#: Modules that serve some of their names on first use, and the modules behind those names.
SERVED_ON_USE = {
    "fuseplug.expr": ("fuseplug._variants", "fuseplug._plan_variants"),
    "fuseplug.common": ("fuseplug._common_types", "fuseplug._common_schema"),
    "fuseplug.functions": ("fuseplug.functions.spark",),
}


def test_dir_lists_names_served_on_first_use_without_loading_them(run_python: RunPython) -> None:
    # dir() (and so tab completion) sees the names before they are used, and listing them loads
    # nothing: the surface test checks that every official name is listed.
    setup = "import importlib\n" + "".join(
        f"assert len(dir(importlib.import_module({module!r}))) > 10\n" for module in SERVED_ON_USE
    )
    behind = tuple(m for modules in SERVED_ON_USE.values() for m in modules)
    assert loaded_after(run_python, setup, behind + NOT_AT_IMPORT) == []
    listed = child(
        run_python,
        "import json, fuseplug.expr, fuseplug.common, fuseplug.functions as f\n"
        "print(json.dumps(['Aggregate' in dir(fuseplug.expr), 'DataTypeMap' in dir(fuseplug.common),"
        " 'spark' in dir(f)]))",
    )
    assert listed == [True, True, True]


def test_the_dev_build_has_every_optional_feature() -> None:
    """`make develop` (and every released wheel) builds all optional Cargo features; only `make demo`
    leaves them out (test_install.py checks that lean wheel)."""
    from fuseplug import _internal

    assert _internal.FEATURES == ["substrait", "distributed", "spark"]
    assert not hasattr(_internal, "__getattr__")
