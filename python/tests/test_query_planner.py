"""Query planners from plugins (``set_query_planner``, ``__datafusion_query_planner__``) and
extension bundles (``with_extensions``), with examples/ffi-example's counting planner and bundle, in
fuseplug and in the official ``datafusion`` 55 wheel. Everything that touches a foreign capsule runs
in a child process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conftest import child
from fuseplug import SessionContext, SessionExtensionComponents
from fuseplug.extensions import SessionComponentsExportable, SessionPlannerExportable

RunPython = Callable[..., Any]

HOSTS = ["fuseplug", "datafusion"]

# The tables are Parquet files: a plugin planner gets plans as bytes, and the official host cannot
# encode in-memory tables (fuseplug can: see test_in_memory_tables_reach_a_plugin_planner).
PRELUDE = """
import json, os, tempfile
import pyarrow as pa
import pyarrow.parquet as pq
import {host} as host
import fuseplug_ffi_example as ex

DATA = tempfile.mkdtemp()
pq.write_table(pa.table({{"a": [1, 2, 3, 4], "g": ["x", "y", "x", "y"]}}), os.path.join(DATA, "t.parquet"))
pq.write_table(pa.table({{"g": ["x", "y"], "label": ["ex", "why"]}}), os.path.join(DATA, "labels.parquet"))

def register(on):
    on.register_parquet("t", os.path.join(DATA, "t.parquet"))
    on.register_parquet("labels", os.path.join(DATA, "labels.parquet"))

ctx = host.SessionContext()
register(ctx)

QUERIES = [
    ("SELECT g, sum(a) AS s FROM t GROUP BY g ORDER BY g", {{"g": ["x", "y"], "s": [4, 6]}}),
    ("SELECT t.a, labels.label FROM t JOIN labels ON t.g = labels.g WHERE t.a > 2 ORDER BY t.a",
     {{"a": [3, 4], "label": ["ex", "why"]}}),
    ("SELECT count(*) AS n FROM t", {{"n": [4]}}),
]

def run_queries(on):
    for query, expected in QUERIES:
        got = on.sql(query).to_pydict()
        assert got == expected, (query, got)
"""


def in_host(run_python: RunPython, host: str, body: str) -> Any:
    return child(run_python, PRELUDE.format(host=host) + body)


@pytest.mark.parametrize("host", HOSTS)
def test_counting_planner_delegating_to_the_hosts_planner(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
planner = ex.CountingPlanner(ctx.__datafusion_query_planner__())
ctx.set_query_planner(planner)
run_queries(ctx)
after_three = planner.calls
ctx.sql("SELECT a FROM t").collect()
print(json.dumps({"three": after_three, "four": planner.calls}))
""",
    )
    assert out == {"three": 3, "four": 4}


@pytest.mark.parametrize("host", HOSTS)
def test_counting_planner_with_datafusions_default_planner(
    run_python: RunPython, host: str
) -> None:
    # Without a fallback the plugin plans with DataFusion's default planner in its own library.
    out = in_host(
        run_python,
        host,
        """
planner = ex.CountingPlanner()
ctx.set_query_planner(planner)
run_queries(ctx)
print(json.dumps({"calls": planner.calls}))
""",
    )
    assert out == {"calls": 3}


@pytest.mark.parametrize("host", HOSTS)
def test_the_planner_belongs_to_the_session(run_python: RunPython, host: str) -> None:
    # A handle made before the install plans with the new planner too; installing again replaces.
    out = in_host(
        run_python,
        host,
        """
earlier = ctx.with_extensions()
first = ex.CountingPlanner(ctx.__datafusion_query_planner__())
ctx.set_query_planner(first)
earlier.sql("SELECT 1 AS one").collect()
second = ex.CountingPlanner()
ctx.set_query_planner(second)
ctx.sql("SELECT 1 AS one").collect()
print(json.dumps({"first": first.calls, "second": second.calls}))
""",
    )
    assert out == {"first": 1, "second": 1}


def test_planners_layer_by_wrapping_the_exported_planner(run_python: RunPython) -> None:
    out = in_host(
        run_python,
        "fuseplug",
        """
inner = ex.CountingPlanner(ctx.__datafusion_query_planner__())
ctx.set_query_planner(inner)
outer = ex.CountingPlanner(ctx.__datafusion_query_planner__())
ctx.set_query_planner(outer)
run_queries(ctx)
print(json.dumps({"inner": inner.calls, "outer": outer.calls,
                  "outer_first": outer.last_entered < inner.last_entered}))
""",
    )
    assert out == {"inner": 3, "outer": 3, "outer_first": True}


def test_in_memory_tables_reach_a_plugin_planner(run_python: RunPython) -> None:
    # fuseplug's codec stack writes in-memory tables inline, so a plugin planner can plan over them.
    out = in_host(
        run_python,
        "fuseplug",
        """
import pyarrow.compute as pc
shout = host.udf(lambda s: pc.utf8_upper(s), [pa.string()], pa.string(), "immutable", name="shout")
ctx.register_udf(shout)
ctx.from_pydict({"k": [3, 1, 2], "s": ["c", "a", "b"]}, name="mem")
planner = ex.CountingPlanner(ctx.__datafusion_query_planner__())
ctx.set_query_planner(planner)
rows = ctx.sql("SELECT k, shout(s) AS s FROM mem WHERE k > 1 ORDER BY k").to_pydict()
print(json.dumps({"rows": rows, "calls": planner.calls}))
""",
    )
    assert out == {"rows": {"k": [2, 3], "s": ["B", "C"]}, "calls": 1}


def test_a_codec_added_later_reaches_the_installed_planner(run_python: RunPython) -> None:
    # The planner sees plans as bytes written with the session's codecs; a codec installed after the
    # planner takes part (here it writes the plugin UDF `double` while the plan crosses over).
    out = in_host(
        run_python,
        "fuseplug",
        """
ctx.register_udf(ex.DoubleUdf())
planner = ex.CountingPlanner(ctx.__datafusion_query_planner__())
ctx.set_query_planner(planner)
codec = ex.CountingLogicalCodec()
with_codec = ctx.with_logical_extension_codec(codec)
rows = with_codec.sql("SELECT double(a) AS d FROM t ORDER BY d").to_pydict()
print(json.dumps({"rows": rows, "calls": planner.calls,
                  "encoded": codec.calls.get("try_encode_udf", 0)}))
""",
    )
    assert out["rows"] == {"d": [2, 4, 6, 8]}
    assert out["calls"] == 1
    assert out["encoded"] >= 1


@pytest.mark.parametrize("host", HOSTS)
def test_with_extensions_zero_one_and_two_bundles(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
none = ctx.with_extensions()
result = {"none_is_new": none is not ctx, "none_sees_t": none.table_exist("t")}

one = ex.ExampleExtension("one")
with_one = ctx.with_extensions(one)
run_queries(with_one)
result["one_calls"] = one.planner.calls

a, b = ex.ExampleExtension("a"), ex.ExampleExtension("b")
with_two = host.SessionContext().with_extensions(a, b)
register(with_two)
result["two_rows"] = with_two.sql("SELECT sum(a) AS s FROM t").to_pydict()
result["two_calls"] = [a.planner.calls, b.planner.calls]
result["last_is_outermost"] = b.planner.last_entered < a.planner.last_entered
if host.__name__ == "fuseplug":
    result["ids"] = [with_two.logical_extension_codec_ids(), with_two.physical_extension_codec_ids()]
print(json.dumps(result))
""",
    )
    assert out["none_is_new"] and out["none_sees_t"]
    assert out["one_calls"] == 3
    assert out["two_rows"] == {"s": [10]}
    assert out["two_calls"] == [1, 1]
    assert out["last_is_outermost"]
    if host == "fuseplug":
        assert out["ids"] == [["a.logical", "b.logical"], ["a.physical", "b.physical"]]


def test_bundles_with_one_hook_each(run_python: RunPython) -> None:
    out = in_host(
        run_python,
        "fuseplug",
        """
codecs_only = ex.ExampleExtension("c", planner=False)
planner_only = ex.ExampleExtension("p", codecs=False)
new = ctx.with_extensions(codecs_only, planner_only)
run_queries(new)
print(json.dumps({"ids": new.logical_extension_codec_ids(), "calls": planner_only.planner.calls,
                  "no_planner": codecs_only.planner is None}))
""",
    )
    assert out == {"ids": ["c.logical"], "calls": 3, "no_planner": True}


def test_a_failing_bundle_leaves_the_session_unchanged(run_python: RunPython) -> None:
    out = in_host(
        run_python,
        "fuseplug",
        """
from fuseplug.extensions import SessionExtensionComponents

installed = ex.CountingPlanner(ctx.__datafusion_query_planner__())
ctx.set_query_planner(installed)

class PlannerRaises:
    def __datafusion_session_planner__(self, ctx, fallback):
        raise RuntimeError("planner hook broke")

class ComponentsRaises:
    def __datafusion_session_components__(self, ctx):
        raise RuntimeError("components hook broke")

class WrongReturn:
    def __datafusion_session_components__(self, ctx):
        return {"logical_extension_codecs": ()}

class NotAPlanner:
    def __datafusion_session_planner__(self, ctx, fallback):
        return 42

class WrongKind:
    def __datafusion_session_planner__(self, ctx, fallback):
        return ctx.__datafusion_logical_extension_codec__()

class BareCapsule:
    def __datafusion_session_components__(self, ctx):
        return SessionExtensionComponents(
            logical_extension_codecs=(ex.CountingLogicalCodec().__datafusion_logical_extension_codec__(ctx),)
        )

good = ex.ExampleExtension("good")
errors = {}
for name, bundles in {
    "planner hook": (good, PlannerRaises()),
    "components hook": (good, ComponentsRaises()),
    "wrong return": (good, WrongReturn()),
    "not a planner": (good, NotAPlanner()),
    "wrong kind": (good, WrongKind()),
    "bare capsule": (good, BareCapsule()),
    "same id twice": (good, ex.ExampleExtension("good")),
    "neither hook": (good, object()),
}.items():
    try:
        ctx.with_extensions(*bundles)
        errors[name] = None
    except Exception as e:
        errors[name] = [type(e).__name__, str(e)]
run_queries(ctx)
print(json.dumps({
    "errors": errors,
    "installed_calls": installed.calls,
    "good_calls": good.planner.calls if good.planner is not None else 0,
    "ids": [ctx.logical_extension_codec_ids(), ctx.physical_extension_codec_ids()],
}))
""",
    )
    errors = out["errors"]
    assert errors["planner hook"] == ["RuntimeError", "planner hook broke"]
    assert errors["components hook"] == ["RuntimeError", "components hook broke"]
    assert errors["wrong return"][0] == "TypeError"
    assert "SessionExtensionComponents" in errors["wrong return"][1]
    assert (
        errors["not a planner"][0] == "TypeError" and "returned a int" in errors["not a planner"][1]
    )
    assert errors["wrong kind"][0] == "PluginCapsuleError"
    assert "datafusion_query_planner" in errors["wrong kind"][1]
    assert (
        errors["bare capsule"][0] == "TypeError" and "bare PyCapsule" in errors["bare capsule"][1]
    )
    assert (
        errors["same id twice"][0] == "ValueError" and "good.logical" in errors["same id twice"][1]
    )
    assert errors["neither hook"][0] == "TypeError"
    # the session kept its planner (which planned every query) and its codecs
    assert out["installed_calls"] == 3
    assert out["good_calls"] == 0
    assert out["ids"] == [[], []]


BAD_PLANNERS = """
import ctypes, json
import fuseplug
import fuseplug_ffi_example as ex
import datafusion_extra_functions_ffi as built_on_54
from fuseplug.exceptions import PluginError, IncompatiblePluginError

ctx = fuseplug.SessionContext()
installed = ex.CountingPlanner(ctx.__datafusion_query_planner__())
ctx.set_query_planner(installed)

make = ctypes.pythonapi.PyCapsule_New
make.restype = ctypes.py_object
make.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
rename = ctypes.pythonapi.PyCapsule_SetName
rename.restype = ctypes.c_int
rename.argtypes = [ctypes.py_object, ctypes.c_char_p]
buffer = ctypes.create_string_buffer(4096)

# A real DataFusion 54 capsule (an aggregate UDF of a 54 wheel) under the planner's name: its
# destructor, and so its producer, is the 54 library.
PLANNER_NAME = ctypes.create_string_buffer(b"datafusion_query_planner")
from_54 = built_on_54.udaf_by_name("mode").__datafusion_aggregate_udf__()
assert rename(from_54, PLANNER_NAME) == 0

class Raises:
    def __datafusion_query_planner__(self, session):
        raise ValueError("plugin broke")

class NotACapsule:
    def __datafusion_query_planner__(self, session):
        return "capsule"

class Compiled54:
    # a dunder compiled into the 54 library: refused before it is called
    __datafusion_query_planner__ = built_on_54.udaf_by_name("mode").__datafusion_aggregate_udf__

cases = {
    "garbage": lambda: ctx.set_query_planner(make(ctypes.addressof(buffer), b"garbage", None)),
    "other kind": lambda: ctx.set_query_planner(ctx.__datafusion_physical_extension_codec__()),
    "dunder raises": lambda: ctx.set_query_planner(Raises()),
    "non-capsule": lambda: ctx.set_query_planner(NotACapsule()),
    "not a planner": lambda: ctx.set_query_planner(object()),
    "54 capsule": lambda: ctx.set_query_planner(from_54),
    "54 dunder": lambda: ctx.set_query_planner(Compiled54()),
    "54 fallback": lambda: ex.CountingPlanner(from_54),
}
out = {}
for name, case in cases.items():
    try:
        case()
        out[name] = None
    except Exception as e:
        cause = type(e.__cause__).__name__ if e.__cause__ is not None else None
        out[name] = [type(e).__name__, str(e), cause]
out["after"] = ctx.sql("SELECT 2 AS two").to_pydict()
out["installed_calls"] = installed.calls
del cases, from_54  # released (by the 54 library) while the name it was given is still alive
print(json.dumps(out))
"""


def test_bad_planner_capsules_are_refused_not_crashed(run_python: RunPython) -> None:
    out = child(run_python, BAD_PLANNERS)
    kind, message, _ = out["garbage"]
    assert kind == "PluginCapsuleError" and "datafusion_query_planner" in message
    assert "garbage" in message
    kind, message, _ = out["other kind"]
    assert kind == "PluginCapsuleError" and "datafusion_physical_extension_codec" in message
    kind, message, cause = out["dunder raises"]
    assert kind == "PluginError" and "plugin broke" in message and cause == "ValueError"
    kind, message, _ = out["non-capsule"]
    assert kind == "PluginError" and "returned a str" in message
    kind, message, _ = out["not a planner"]
    assert kind == "TypeError" and "__datafusion_query_planner__" in message
    for case in ("54 capsule", "54 dunder"):
        kind, message, _ = out[case]
        assert kind == "IncompatiblePluginError", out[case]
        assert "DataFusion 54" in message and "DataFusion 55" in message
        assert "datafusion_extra_functions_ffi" in message
    # the plugin's own import helper (fuseplug-capsule) refuses it too
    kind, message, _ = out["54 fallback"]
    assert kind == "ValueError" and "DataFusion 54" in message
    # the session kept its planner through all of it
    assert out["after"] == {"two": [2]}
    assert out["installed_calls"] == 1


def test_the_session_exports_its_planner() -> None:
    ctx = SessionContext()
    capsule = ctx.__datafusion_query_planner__()
    assert type(capsule).__name__ == "PyCapsule"
    assert type(ctx.__datafusion_query_planner__(ctx)).__name__ == "PyCapsule"
    # installing a capsule of this library puts the planner inside back, without an FFI hop
    ctx.set_query_planner(capsule)
    assert ctx.sql("SELECT 41 + 1 AS n").to_pydict() == {"n": [42]}


def test_extension_components_value() -> None:
    empty = SessionExtensionComponents()
    assert empty.logical_extension_codecs == () and empty.physical_extension_codecs == ()
    codec = object()
    listed = SessionExtensionComponents(logical_extension_codecs=[codec])
    assert listed.logical_extension_codecs == (codec,)
    generated = SessionExtensionComponents(physical_extension_codecs=(c for c in [codec]))
    assert generated.physical_extension_codecs == (codec,)
    with pytest.raises(TypeError, match=r"logical_extension_codecs=\(codec,\)"):
        SessionExtensionComponents(logical_extension_codecs=codec)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="physical_extension_codecs"):
        SessionExtensionComponents(physical_extension_codecs="codec")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SessionExtensionComponents((), ())  # type: ignore[misc]
    with pytest.raises(AttributeError):
        empty.logical_extension_codecs = ()  # type: ignore[misc]


def test_bundle_protocols_are_runtime_checkable() -> None:
    class Components:
        def __datafusion_session_components__(self, ctx: object) -> SessionExtensionComponents:
            return SessionExtensionComponents()

    class Planner:
        def __datafusion_session_planner__(self, ctx: object, fallback: object) -> None:
            return None

    assert isinstance(Components(), SessionComponentsExportable)
    assert not isinstance(Components(), SessionPlannerExportable)
    assert isinstance(Planner(), SessionPlannerExportable)
    assert not isinstance(object(), SessionComponentsExportable)
    ctx = SessionContext()
    derived = ctx.with_extensions(Components(), Planner())
    assert derived is not ctx
    assert derived.sql("SELECT 1 AS n").to_pydict() == {"n": [1]}
    with pytest.raises(TypeError, match="__datafusion_session_components__"):
        ctx.with_extensions(object())  # type: ignore[arg-type]


def test_a_session_with_plugin_planners_is_freed(run_python: RunPython) -> None:
    # The session holds the planner, and the planner the session's codecs: they refer back to it
    # weakly, so the session (and the Python UDF registered on it) goes away with its last handle.
    freed = child(
        run_python,
        """
import gc, json, weakref
import pyarrow as pa
import fuseplug
import fuseplug_ffi_example as ex

class Identity:
    def __call__(self, a):
        return a

def session(install):
    identity = Identity()
    ctx = fuseplug.SessionContext()
    ctx.register_udf(fuseplug.udf(identity, [pa.int64()], pa.int64(), "immutable", name="ident"))
    if install:
        ctx.set_query_planner(ex.CountingPlanner(ctx.__datafusion_query_planner__()))
        ctx = ctx.with_extensions(ex.ExampleExtension("a"), ex.ExampleExtension("b"))
    assert ctx.sql("SELECT ident(CAST(1 AS BIGINT)) AS v").to_pydict() == {"v": [1]}
    return weakref.ref(identity)

refs = [session(False), session(True)]
gc.collect()
print(json.dumps([r() is None for r in refs]))
""",
    )
    assert freed == [True, True]


def test_a_planner_dunder_without_a_session_parameter_says_so() -> None:
    from fuseplug.exceptions import IncompatiblePluginError

    class NoSession:
        def __datafusion_query_planner__(self) -> object:
            raise AssertionError("never called")

    with pytest.raises(IncompatiblePluginError, match="called with the session it is installed on"):
        SessionContext().set_query_planner(NoSession())
