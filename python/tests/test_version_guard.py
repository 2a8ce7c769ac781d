"""The version guard against real wheels built on another DataFusion major.

Every case runs in a child process: a guard that lets a foreign struct through crashes the process, and
the test must see that as a failure rather than die with it. Each child tries every registration path
of its wheel's capsule kind, with the wheel's object, its bare capsule where it can be had safely, and a
pure-Python wrapper whose dunder calls the wheel's; all must be refused with ``IncompatiblePluginError``
and the session must keep working.

DataFusion 54 plugins are served through the bridge wheel (crates/fuseplug-bridge54) when it is
installed: the matrices run twice, with the bridge (every case works) and with it turned off by
``FUSEPLUG_DISABLE_BRIDGE=1`` or hidden from the child (every case is refused, and the error says
how to install it). The bridge's own end-to-end tests are in test_bridge54.py.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from test_plugins import ICEBERG_METADATA

from conftest import RunPython, child

# Runs every case in `cases` (name -> zero-argument callable), then one query; prints the outcome.
MATRIX = """
import json, warnings
warnings.simplefilter("ignore")
import fuseplug
from fuseplug.exceptions import IncompatiblePluginError

ctx = fuseplug.SessionContext()
called = []

def run(cases):
    out = {}
    for name, case in cases.items():
        try:
            case()
            out[name] = None
        except Exception as e:
            out[name] = [type(e).__name__, str(e)]
    out["called"] = called
    out["after"] = ctx.sql("SELECT 1 AS one").to_pydict()
    print(json.dumps(out))
"""


INSTALL_BRIDGE = "pip install 'fuseplug[bridge54]'"
# Hides the bridge from a child as if it were not installed: `import fuseplug_bridge54` then raises
# ModuleNotFoundError.
HIDE_BRIDGE = "import sys\nsys.modules['fuseplug_bridge54'] = None\n"
BRIDGE_OFF = {"FUSEPLUG_DISABLE_BRIDGE": "1"}


def assert_all_refused(result: dict, library: str, major: int = 54) -> None:
    assert result.pop("after") == {"one": [1]}
    assert result.pop("called") == [], "a dunder was called with the host's session"
    for case, outcome in result.items():
        assert outcome is not None, f"{case}: accepted"
        kind, message = outcome
        assert kind == "IncompatiblePluginError", f"{case}: {kind}: {message}"
        assert f"DataFusion {major}" in message and "DataFusion 55" in message, f"{case}: {message}"
        assert library in message, f"{case}: {message}"
        # Only DataFusion 54 has a bridge to suggest.
        assert (INSTALL_BRIDGE in message) == (major == 54), f"{case}: {message}"


def assert_all_bridged(result: dict) -> None:
    assert result.pop("after") == {"one": [1]}
    result.pop("called")
    for case, outcome in result.items():
        assert outcome is None, f"{case}: {outcome}"


def run_bridged_and_refused(run_python: RunPython, code: str, library: str) -> dict:
    """Runs a matrix with the bridge, turned off, and hidden; returns the bridged run's result."""
    bridged = child(run_python, code)
    assert_all_refused(child(run_python, code, env=BRIDGE_OFF), library)
    assert_all_refused(child(run_python, HIDE_BRIDGE + code), library)
    called = bridged["called"]
    assert_all_bridged(bridged)
    return {"called": called}


def test_a_datafusion_54_table_provider_is_bridged_or_refused_on_every_path(
    run_python: RunPython, tmp_path: Path
) -> None:
    # pyiceberg-core 0.11.0 (DataFusion 54, datafusion-ffi crate paths in its library). Its capsule only
    # comes from calling its dunder with a session, which the guard must never do: no bare-capsule case.
    metadata = json.dumps(ICEBERG_METADATA).replace("{location}", tmp_path.as_uri())
    (tmp_path / "v1.metadata.json").write_text(metadata)
    uri = (tmp_path / "v1.metadata.json").as_uri()
    code = MATRIX + textwrap.dedent(
        f"""
        from pyiceberg_core.datafusion import IcebergDataFusionTable

        table = IcebergDataFusionTable(["db", "t"], {uri!r}, {{}})

        class Wrapper:
            # Written in Python: the guard cannot see which library this calls, so it looks at what
            # the object holds and what its package imports.
            def __init__(self, inner):
                self.inner = inner

            def __datafusion_table_provider__(self, session):
                called.append("wrapper")
                return self.inner.__datafusion_table_provider__(session)

        class UsesAGlobal:
            # Holds nothing: the 54 table is a global its dunder's code names.
            def __datafusion_table_provider__(self, session):
                called.append("global")
                return table.__datafusion_table_provider__(session)

        run({{
            "register_table": lambda: ctx.register_table("t1", table),
            "register_table_provider": lambda: ctx.register_table_provider("t2", table),
            "read_table": lambda: ctx.read_table(table),
            "wrapper register_table": lambda: ctx.register_table("t3", Wrapper(table)),
            "wrapper read_table": lambda: ctx.read_table(Wrapper(table)),
            "global register_table": lambda: ctx.register_table("t4", UsesAGlobal()),
        }})
        """
    )
    bridged = run_bridged_and_refused(run_python, code, "pyiceberg_core")
    # Through the bridge, the Python-level dunders were called, with the bridge's 54 session.
    assert sorted(set(bridged["called"])) == ["global", "wrapper"]


def test_a_datafusion_54_aggregate_is_bridged_or_refused_on_every_path(
    run_python: RunPython,
) -> None:
    # datafusion-extra-functions-ffi 0.1.0 (DataFusion 54).
    code = MATRIX + textwrap.dedent(
        """
        import datafusion_extra_functions_ffi as built_on_54

        mode = built_on_54.udaf_by_name("mode")

        class Wrapper:
            def __init__(self, inner):
                self.inner = inner

            def __datafusion_aggregate_udf__(self):
                return self.inner.__datafusion_aggregate_udf__()

        def capsule():
            return built_on_54.udaf_by_name("mode").__datafusion_aggregate_udf__()

        run({
            "register_udaf": lambda: ctx.register_udaf(mode),
            "register_udaf capsule": lambda: ctx.register_udaf(capsule()),
            "udaf": lambda: fuseplug.udaf(mode),
            "udaf capsule": lambda: fuseplug.udaf(capsule()),
            "from_pycapsule": lambda: fuseplug.AggregateUDF.from_pycapsule(mode),
            "from_pycapsule capsule": lambda: fuseplug.AggregateUDF.from_pycapsule(capsule()),
            "wrapper register_udaf": lambda: ctx.register_udaf(Wrapper(mode)),
            "wrapper udaf": lambda: fuseplug.udaf(Wrapper(mode)),
        })
        """
    )
    run_bridged_and_refused(run_python, code, "datafusion_extra_functions_ffi")


def test_a_datafusion_54_wheel_without_ffi_paths_is_bridged_or_refused_on_every_path(
    run_python: RunPython,
) -> None:
    # sedonadb 0.5.0 is built on DataFusion 54, but its library carries no datafusion-ffi source path:
    # a guard reading only that signal let its scalar UDF through and segfaulted in `udf()`. Its
    # datafusion / datafusion-common paths and `datafusion version 54.1.0` name the major.
    code = MATRIX + textwrap.dedent(
        """
        import pyarrow as pa
        import sedonadb.udf

        @sedonadb.udf.arrow_udf(pa.int64())
        def same(a):
            return a

        scalar = same.__sedonadb_internal_udf__()

        class Wrapper:
            def __init__(self, inner):
                self.inner = inner

            def __datafusion_scalar_udf__(self):
                return self.inner.__datafusion_scalar_udf__()

        run({
            "register_udf": lambda: ctx.register_udf(scalar),
            "register_udf capsule": lambda: ctx.register_udf(scalar.__datafusion_scalar_udf__()),
            "udf": lambda: fuseplug.udf(scalar),
            "udf capsule": lambda: fuseplug.udf(scalar.__datafusion_scalar_udf__()),
            "from_pycapsule": lambda: fuseplug.ScalarUDF.from_pycapsule(scalar),
            "from_pycapsule capsule": lambda: fuseplug.ScalarUDF.from_pycapsule(
                scalar.__datafusion_scalar_udf__()
            ),
            "wrapper register_udf": lambda: ctx.register_udf(Wrapper(scalar)),
            "wrapper udf": lambda: fuseplug.udf(Wrapper(scalar)),
        })
        """
    )
    run_bridged_and_refused(run_python, code, "sedonadb")


def test_a_datafusion_54_catalog_is_bridged_or_refused_on_every_path(
    run_python: RunPython, tmp_path: Path
) -> None:
    # pypaimon-rust 0.4.0 (DataFusion 54.0): its catalog's dunder takes the host's codec. The
    # warehouse may be empty: registration is what is checked here (queries: test_bridge54_kinds.py).
    code = MATRIX + textwrap.dedent(
        f"""
        from pypaimon_rust.datafusion import PaimonCatalog

        catalog = PaimonCatalog({{"warehouse": {str(tmp_path / "warehouse")!r}}})

        class Wrapper:
            def __init__(self, inner):
                self.inner = inner

            def __datafusion_catalog_provider__(self, codec):
                called.append("wrapper")
                return self.inner.__datafusion_catalog_provider__(codec)

        run({{
            "register_catalog_provider": lambda: ctx.register_catalog_provider("p1", catalog),
            "wrapper register_catalog_provider": lambda: ctx.register_catalog_provider(
                "p2", Wrapper(catalog)
            ),
        }})
        """
    )
    bridged = run_bridged_and_refused(run_python, code, "pypaimon_rust")
    assert bridged["called"] == ["wrapper"]


def test_datafusion_54_functions_schemas_and_lists_are_bridged_or_refused_on_every_path(
    run_python: RunPython,
) -> None:
    # examples/ffi-example54 (DataFusion 54.0): the kinds no 54 wheel on PyPI publishes.
    code = MATRIX + textwrap.dedent(
        """
        import fuseplug_ffi_example54 as built_on_54

        window = built_on_54.RunningTotal()

        class Wrapper:
            def __init__(self, inner):
                self.inner = inner

            def __datafusion_table_function__(self, session):
                called.append("wrapper")
                return self.inner.__datafusion_table_function__(session)

        run({
            "register_udwf": lambda: ctx.register_udwf(window),
            "register_udwf capsule": lambda: ctx.register_udwf(window.__datafusion_window_udf__()),
            "udwf": lambda: fuseplug.udwf(window),
            "from_pycapsule capsule": lambda: fuseplug.WindowUDF.from_pycapsule(
                window.__datafusion_window_udf__()
            ),
            "register_table_function": lambda: ctx.register_table_function(
                "f1", built_on_54.Series()
            ),
            "register_udtf": lambda: ctx.register_udtf(built_on_54.Series(), name="f2"),
            "wrapper register_table_function": lambda: ctx.register_table_function(
                "f3", Wrapper(built_on_54.Series())
            ),
            "register_schema": lambda: ctx.catalog().register_schema(
                "s1", built_on_54.ExampleSchema()
            ),
            "register_catalog_provider_list": lambda: ctx.register_catalog_provider_list(
                built_on_54.ExampleCatalogList()
            ),
        })
        """
    )
    bridged = run_bridged_and_refused(run_python, code, "fuseplug_ffi_example54")
    assert bridged["called"] == ["wrapper"]


def test_the_guard_reads_every_signal_of_the_real_wheels() -> None:
    from importlib.util import find_spec

    from fuseplug import plugins

    def library(package: str) -> str:
        spec = find_spec(package)
        assert spec is not None and spec.origin is not None
        return str(next(Path(spec.origin).parent.glob("*.so")))

    assert plugins.datafusion_majors_of(library("sedonadb")) == [54]
    assert plugins.datafusion_majors_of(library("pyiceberg_core")) == [54]
    for built_on_55 in ["datafusion", "deltalake", "datafusion_extra_functions", "geodatafusion"]:
        assert plugins.datafusion_majors_of(library(built_on_55)) == [55], built_on_55
    assert plugins.datafusion_majors_of(plugins._internal.__file__) == [55]


def test_a_python_level_dunder_over_a_55_plugin_still_works(tmp_path: Path) -> None:
    # Nothing that worked may break: a wrapper written in Python around deltalake's provider (55) is
    # checked, found to be ours, and called.
    import deltalake
    import pyarrow as pa

    import fuseplug

    deltalake.write_deltalake(str(tmp_path / "t"), pa.table({"x": [1, 2, 3]}))

    class Wrapper:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def __datafusion_table_provider__(self, session: object) -> object:
            return self.inner.__datafusion_table_provider__(session)  # type: ignore[attr-defined]

    wrapper = Wrapper(deltalake.DeltaTable(str(tmp_path / "t")))
    libraries = fuseplug.plugins.libraries_behind(wrapper)
    assert any("deltalake" in path for path in libraries), libraries
    ctx = fuseplug.SessionContext()
    ctx.register_table("t", wrapper)
    assert ctx.sql("SELECT sum(x) AS s FROM t").to_pydict() == {"s": [6]}


# A capsule holding one of our own scalar UDFs, re-wrapped without a destructor: the guard has no
# library to read, so it must refuse it unless the user opts in; opted in, the struct is ours and works.
NO_DESTRUCTOR = """
import ctypes, json
import pyarrow as pa
import fuseplug
from fuseplug.exceptions import IncompatiblePluginError

original = fuseplug.udf(lambda a: a, [pa.int64()], pa.int64(), "immutable", name="same")
capsule = original.__datafusion_scalar_udf__()
get = ctypes.pythonapi.PyCapsule_GetPointer
get.restype = ctypes.c_void_p
get.argtypes = [ctypes.py_object, ctypes.c_char_p]
make = ctypes.pythonapi.PyCapsule_New
make.restype = ctypes.py_object
make.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
bare = make(get(capsule, b"datafusion_scalar_udf"), b"datafusion_scalar_udf", None)
ctx = fuseplug.SessionContext()
try:
    ctx.register_udf(bare)
    out = {"registered": ctx.sql("SELECT same(41) + 1 AS v").to_pydict()}
except IncompatiblePluginError as e:
    out = {"refused": str(e)}
print(json.dumps(out))
"""


def test_a_capsule_of_unknown_origin_is_refused_unless_trusted(run_python: RunPython) -> None:
    refused = child(run_python, NO_DESTRUCTOR, env={"FUSEPLUG_TRUST_UNVERSIONED_PLUGINS": ""})
    message = refused["refused"]
    assert "could not be determined" in message and "no destructor" in message
    assert "FUSEPLUG_TRUST_UNVERSIONED_PLUGINS=1" in message
    trusted = child(run_python, NO_DESTRUCTOR, env={"FUSEPLUG_TRUST_UNVERSIONED_PLUGINS": "1"})
    assert trusted == {"registered": {"v": [42]}}


# vegafusion 2.0.3 builds DataFusion 48 from a git checkout: its library has no crates.io path, only
# `.cargo/git/checkouts/datafusion-<hash>/...` paths and the `datafusion version 48.0.0` string. It
# publishes no capsules, so the direct cases use capsules whose destructor (what the guard identifies
# the producer by) is a function of vegafusion's library; the destructor is removed again before the
# capsule is freed, so it is never run.
GIT_BUILT = """
import ctypes, sys
import vegafusion
import vegafusion.runtime

lib_path = sys.modules["vegafusion._vegafusion"].__file__
in_vegafusion = ctypes.cast(ctypes.CDLL(lib_path).PyInit__vegafusion, ctypes.c_void_p).value
make = ctypes.pythonapi.PyCapsule_New
make.restype = ctypes.py_object
make.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
clear = ctypes.pythonapi.PyCapsule_SetDestructor
clear.argtypes = [ctypes.py_object, ctypes.c_void_p]
buffer = ctypes.create_string_buffer(4096)
made = []

def capsule(name):
    # A capsule keeps a pointer to its name, not a copy: the name's buffer must outlive it.
    name = ctypes.create_string_buffer(name.encode())
    c = make(ctypes.addressof(buffer), ctypes.addressof(name), in_vegafusion)
    made.append((c, name))
    return c

class Wrapper:
    # A provider written in Python over vegafusion's runtime: its dunder would hand our session to
    # vegafusion's compiled code.
    def __init__(self, runtime):
        self.runtime = runtime

    def __datafusion_table_provider__(self, session):
        called.append("wrapper")
        return self.runtime.__datafusion_table_provider__(session)

def done(cases):
    try:
        run(cases)
    finally:
        for c, _ in made:
            clear(c, None)
"""


def test_a_wheel_built_from_a_datafusion_git_checkout_is_refused(run_python: RunPython) -> None:
    from fuseplug import plugins

    code = (
        MATRIX
        + GIT_BUILT
        + textwrap.dedent(
            """
        wrapper = Wrapper(vegafusion.runtime)
        done({
            "register_table": lambda: ctx.register_table("t", capsule("datafusion_table_provider")),
            "read_table": lambda: ctx.read_table(capsule("datafusion_table_provider")),
            "register_udf": lambda: ctx.register_udf(capsule("datafusion_scalar_udf")),
            "udf": lambda: fuseplug.udf(capsule("datafusion_scalar_udf")),
            "register_udaf": lambda: ctx.register_udaf(capsule("datafusion_aggregate_udf")),
            "udaf": lambda: fuseplug.udaf(capsule("datafusion_aggregate_udf")),
            "register_udwf": lambda: ctx.register_udwf(capsule("datafusion_window_udf")),
            "udwf": lambda: fuseplug.udwf(capsule("datafusion_window_udf")),
            "register_udtf": lambda: ctx.register_udtf(capsule("datafusion_table_function"), name="f"),
            "register_catalog_provider": lambda: ctx.register_catalog_provider(
                "c", capsule("datafusion_catalog_provider")
            ),
            "wrapper register_table": lambda: ctx.register_table("t", wrapper),
            "wrapper read_table": lambda: ctx.read_table(wrapper),
        })
        """
        )
    )
    assert_all_refused(child(run_python, code), "vegafusion", major=48)
    # What the guard read: no crates.io path, only the version string beside git checkout paths.
    import sys

    import vegafusion  # noqa: F401

    path = sys.modules["vegafusion._vegafusion"].__file__
    assert path is not None
    assert plugins.datafusion_majors_of(path) == [48]
