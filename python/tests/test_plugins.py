"""Plugging in other wheels: table providers and UDFs arriving as datafusion-ffi PyCapsules, the
session's own capsules going out, and the version guard that refuses a capsule from another DataFusion
major. Everything that hands fuseplug a foreign capsule runs in a subprocess, so a crash is a failed
test rather than a dead test run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import child
from fuseplug import SessionContext

RunPython = Callable[..., Any]


def test_session_exports_its_capsules() -> None:
    ctx = SessionContext()
    names = {
        "__datafusion_task_context_provider__": "datafusion_task_context_provider",
        "__datafusion_logical_extension_codec__": "datafusion_logical_extension_codec",
        "__datafusion_physical_extension_codec__": "datafusion_physical_extension_codec",
    }
    for dunder, name in names.items():
        capsule = getattr(ctx, dunder)()
        assert type(capsule).__name__ == "PyCapsule"
        assert f'"{name}"' in repr(capsule)


def test_deltalake_table_end_to_end(run_python: RunPython, tmp_path: Path) -> None:
    result = child(
        run_python,
        f"""
        import json
        import pyarrow as pa
        from deltalake import DeltaTable, write_deltalake
        import fuseplug
        from fuseplug import col, lit, functions as f

        path = {str(tmp_path / "delta")!r}
        write_deltalake(path, pa.table({{
            "id": list(range(100)),
            "g": ["a", "b", "c", "d"] * 25,
            "v": [float(i) / 2 for i in range(100)],
        }}))
        write_deltalake(path, pa.table({{"id": [100], "g": ["a"], "v": [1000.0]}}), mode="append")
        ctx = fuseplug.SessionContext()
        ctx.register_table("delta", DeltaTable(path))
        sql = ctx.sql(
            "SELECT g, count(*) AS n, sum(v) AS s FROM delta WHERE id >= 50 GROUP BY g ORDER BY g"
        ).to_pydict()
        df = ctx.table("delta").filter(col("g") == lit("a")).select(col("id"), (col("v") * lit(2)).alias("w"))
        top = df.sort(col("id").sort(ascending=False)).limit(2).to_pydict()
        read = ctx.read_table(DeltaTable(path)).aggregate([], [f.count(col("id")).alias("n")]).to_pydict()
        print(json.dumps({{"sql": sql, "top": top, "read": read}}))
        """,
    )
    ids = range(50, 100)
    expected = {
        g: (
            sum(1 for i in ids if "abcd"[i % 4] == g),
            sum(i / 2 for i in ids if "abcd"[i % 4] == g),
        )
        for g in "abcd"
    }
    expected["a"] = (expected["a"][0] + 1, expected["a"][1] + 1000.0)
    assert result["sql"] == {
        "g": list("abcd"),
        "n": [expected[g][0] for g in "abcd"],
        "s": [expected[g][1] for g in "abcd"],
    }
    assert result["top"] == {"id": [100, 96], "w": [2000.0, 96.0]}
    assert result["read"] == {"n": [101]}


def test_datafusion_extra_functions_in_sql(run_python: RunPython) -> None:
    result = child(
        run_python,
        """
        import json
        import datafusion_extra_functions as extra
        import fuseplug

        ctx = fuseplug.SessionContext()
        for name in ["mode", "skewness", "kurtosis"]:
            ctx.register_udaf(extra.udaf_by_name(name))
        ctx.from_pydict({"v": [1.0, 2.0, 2.0, 3.0, 9.0], "g": ["x"] * 5}, name="t")
        out = ctx.sql("SELECT mode(v) AS m, skewness(v) AS s, kurtosis(v) AS k FROM t").to_pydict()
        print(json.dumps(out))
        """,
    )
    values = [1.0, 2.0, 2.0, 3.0, 9.0]
    n = len(values)
    mean = sum(values) / n
    m2 = sum((x - mean) ** 2 for x in values) / n
    m3 = sum((x - mean) ** 3 for x in values) / n
    s2 = sum((x - mean) ** 2 for x in values) / (n - 1)
    m4 = sum((x - mean) ** 4 for x in values)
    # sample skewness (adjusted Fisher-Pearson) and sample excess kurtosis
    skew = (n * (n - 1)) ** 0.5 / (n - 2) * m3 / m2**1.5
    kurt = (n * (n + 1) * m4 / ((n - 1) * (n - 2) * (n - 3) * s2**2)) - 3 * (n - 1) ** 2 / (
        (n - 2) * (n - 3)
    )
    assert result["m"] == [2.0]
    assert result["s"][0] == pytest.approx(skew)
    assert result["k"][0] == pytest.approx(kurt)


def test_geodatafusion_functions_and_extent(run_python: RunPython) -> None:
    result = child(
        run_python,
        """
        import json
        from geodatafusion import geo, native
        import fuseplug

        ctx = fuseplug.SessionContext()
        for f in [native.GeomFromText(), native.AsText(), native.X(), native.Y(), geo.Area(),
                  geo.Distance()]:
            ctx.register_udf(fuseplug.udf(f))       # the udf(obj) helper form
        ctx.register_udaf(native.Extent())           # the object itself
        points = ctx.sql(
            "SELECT ST_X(ST_GeomFromText('POINT(1 2)')) AS x, ST_Y(ST_GeomFromText('POINT(1 2)')) AS y, "
            "ST_Area(ST_GeomFromText('POLYGON((0 0,4 0,4 3,0 3,0 0))')) AS a, "
            "ST_Distance(ST_GeomFromText('POINT(0 0)'), ST_GeomFromText('POINT(3 4)')) AS d"
        ).to_pydict()
        extent = ctx.sql(
            "SELECT ST_AsText(ST_Extent(ST_GeomFromText(w))) AS e "
            "FROM (VALUES ('POINT(1 2)'), ('POINT(3 5)'), ('POINT(-1 0)')) AS t(w)"
        ).to_pydict()
        print(json.dumps({"points": points, "extent": extent}))
        """,
    )
    assert result["points"] == {"x": [1.0], "y": [2.0], "a": [12.0], "d": [5.0]}
    assert result["extent"] == {"e": ["POLYGON((-1 0,-1 5,3 5,3 0,-1 0))"]}


def test_udaf_from_datafusion_54_wheel_is_refused_without_the_bridge(run_python: RunPython) -> None:
    # With the bridge (test_bridge54.py) these work; turned off, they are refused as before.
    result = child(
        run_python,
        """
        import json
        import datafusion_extra_functions_ffi as built_on_54
        import fuseplug
        from fuseplug.exceptions import IncompatiblePluginError

        ctx = fuseplug.SessionContext()
        errors = []
        for attempt in [
            lambda: ctx.register_udaf(built_on_54.udaf_by_name("mode")),
            lambda: ctx.register_udaf(built_on_54.udaf_by_name("mode").__datafusion_aggregate_udf__()),
            lambda: fuseplug.udaf(built_on_54.udaf_by_name("skewness")),
        ]:
            try:
                attempt()
                errors.append(None)
            except IncompatiblePluginError as e:
                errors.append(str(e))
        # the session is unharmed
        print(json.dumps({"errors": errors, "after": ctx.sql("SELECT 1 AS one").to_pydict()}))
        """,
        env={"FUSEPLUG_DISABLE_BRIDGE": "1"},
    )
    assert all(e is not None for e in result["errors"]), result
    for message in result["errors"]:
        assert "DataFusion 54" in message and "DataFusion 55" in message
        assert "datafusion_extra_functions_ffi" in message
    assert result["after"] == {"one": [1]}


ICEBERG_METADATA = {
    "format-version": 2,
    "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
    "location": "{location}",
    "last-sequence-number": 0,
    "last-updated-ms": 1602638573590,
    "last-column-id": 1,
    "current-schema-id": 0,
    "schemas": [
        {
            "type": "struct",
            "schema-id": 0,
            "fields": [{"id": 1, "name": "x", "required": True, "type": "long"}],
        }
    ],
    "default-spec-id": 0,
    "partition-specs": [{"spec-id": 0, "fields": []}],
    "last-partition-id": 999,
    "default-sort-order-id": 0,
    "sort-orders": [{"order-id": 0, "fields": []}],
    "properties": {},
    "snapshots": [],
    "snapshot-log": [],
    "metadata-log": [],
}


def test_table_provider_from_datafusion_54_wheel_is_refused_without_the_bridge(
    run_python: RunPython, tmp_path: Path
) -> None:
    # pyiceberg-core 0.11.0 is built on DataFusion 54. Its provider dunder reads the session's codec
    # capsule as a 54 struct, so it must be refused before it is ever called, not after.
    metadata = json.loads(json.dumps(ICEBERG_METADATA).replace("{location}", tmp_path.as_uri()))
    path = tmp_path / "v1.metadata.json"
    path.write_text(json.dumps(metadata))
    result = child(
        run_python,
        f"""
        import json
        from pyiceberg_core.datafusion import IcebergDataFusionTable
        import fuseplug
        from fuseplug.exceptions import IncompatiblePluginError

        table = IcebergDataFusionTable(["db", "t"], {path.as_uri()!r}, {{}})
        ctx = fuseplug.SessionContext()
        errors = []
        for attempt in [
            lambda: ctx.register_table("t", table),
            lambda: ctx.read_table(table),
        ]:
            try:
                attempt()
                errors.append(None)
            except IncompatiblePluginError as e:
                errors.append(str(e))
        print(json.dumps({{"errors": errors, "after": ctx.sql("SELECT 1 AS one").to_pydict()}}))
        """,
        env={"FUSEPLUG_DISABLE_BRIDGE": "1"},
    )
    assert all(e is not None for e in result["errors"]), result
    for message in result["errors"]:
        assert "DataFusion 54" in message and "DataFusion 55" in message
        assert "pyiceberg_core" in message
    assert result["after"] == {"one": [1]}


# Shared by the bad-capsule scripts: a session and `make(pointer, name, destructor)`, which builds
# arbitrary capsules with ctypes.
CAPSULE_MAKER = """
import ctypes, json
import fuseplug
from fuseplug.exceptions import PluginError, IncompatiblePluginError

ctx = fuseplug.SessionContext()
make = ctypes.pythonapi.PyCapsule_New
make.restype = ctypes.py_object
make.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
buffer = ctypes.create_string_buffer(4096)
"""

BAD_CAPSULES = (
    CAPSULE_MAKER
    + """
class Raises:
    def __datafusion_table_provider__(self, session):
        raise ValueError("plugin broke")

class NotACapsule:
    def __datafusion_table_provider__(self, session):
        return 42

class OldStyle:
    def __datafusion_table_provider__(self):
        return ctx.__datafusion_task_context_provider__()

cases = {
    "wrong name": lambda: ctx.register_table("t", make(ctypes.addressof(buffer), b"something_else", None)),
    "other kind": lambda: ctx.register_table("t", ctx.__datafusion_logical_extension_codec__()),
    "udf of other kind": lambda: ctx.register_udf(ctx.__datafusion_task_context_provider__()),
    "dunder raises": lambda: ctx.register_table("t", Raises()),
    "non-capsule": lambda: ctx.register_table("t", NotACapsule()),
    "pre-52 dunder": lambda: ctx.register_table("t", OldStyle()),
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
print(json.dumps(out))
"""
)


def test_bad_capsules_are_refused_not_crashed(run_python: RunPython) -> None:
    result = child(run_python, BAD_CAPSULES)
    kind, message, _ = result["wrong name"]
    assert kind == "PluginCapsuleError"
    assert "datafusion_table_provider" in message and "something_else" in message
    kind, message, _ = result["other kind"]
    assert kind == "PluginCapsuleError" and "datafusion_logical_extension_codec" in message
    kind, message, _ = result["udf of other kind"]
    assert kind == "PluginCapsuleError" and "datafusion_scalar_udf" in message
    kind, message, cause = result["dunder raises"]
    assert kind == "PluginError" and "plugin broke" in message and cause == "ValueError"
    kind, message, _ = result["non-capsule"]
    assert kind == "PluginError" and "returned a int" in message
    kind, message, _ = result["pre-52 dunder"]
    assert kind == "IncompatiblePluginError" and "takes no session" in message
    assert result["after"] == {"two": [2]}


class _RaisesTypeError:
    """A plugin whose dunders count their calls and raise a TypeError of their own when handed the
    session (they could also be called without one, which must never happen)."""

    def __init__(self) -> None:
        self.calls = 0

    def _raise(self, session: object = None) -> object:
        self.calls += 1
        if session is not None:
            raise TypeError("boom")
        return None

    __datafusion_table_provider__ = _raise
    __datafusion_table_function__ = _raise
    __datafusion_catalog_provider__ = _raise
    __datafusion_logical_extension_codec__ = _raise


class _ZeroArgument:
    """A dunder written for DataFusion < 52: it takes no session."""

    def __init__(self) -> None:
        self.calls = 0

    def _old(self) -> object:
        self.calls += 1
        return None

    __datafusion_table_provider__ = _old
    __datafusion_table_function__ = _old
    __datafusion_catalog_provider__ = _old
    __datafusion_logical_extension_codec__ = _old


_REGISTER_EACH_KIND: dict[str, Callable[[SessionContext, Any], object]] = {
    "table provider": lambda ctx, obj: ctx.register_table("t", obj),
    "table function": lambda ctx, obj: ctx.register_table_function("f", obj),
    "catalog provider": lambda ctx, obj: ctx.register_catalog_provider("c", obj),
    "logical codec": lambda ctx, obj: ctx.with_logical_extension_codec(obj),
}


@pytest.mark.parametrize("kind", list(_REGISTER_EACH_KIND))
def test_a_type_error_inside_a_dunder_is_the_plugins_and_it_runs_once(kind: str) -> None:
    from fuseplug.exceptions import IncompatiblePluginError, PluginError

    register = _REGISTER_EACH_KIND[kind]
    plugin = _RaisesTypeError()
    with pytest.raises(PluginError, match="TypeError: boom") as raised:
        register(SessionContext(), plugin)
    assert not isinstance(raised.value, IncompatiblePluginError)
    assert "DataFusion < 52" not in str(raised.value)
    assert isinstance(raised.value.__cause__, TypeError)
    assert str(raised.value.__cause__) == "boom"
    assert plugin.calls == 1


@pytest.mark.parametrize("kind", list(_REGISTER_EACH_KIND))
def test_a_zero_argument_dunder_is_reported_as_pre_52_without_calling_it(kind: str) -> None:
    from fuseplug.exceptions import IncompatiblePluginError

    register = _REGISTER_EACH_KIND[kind]
    plugin = _ZeroArgument()
    with pytest.raises(IncompatiblePluginError, match=r"takes no session.*DataFusion < 52"):
        register(SessionContext(), plugin)
    assert plugin.calls == 0


def test_a_compiled_dunder_is_read_from_its_text_signature() -> None:
    # a PyO3 method has no Python code, only a __text_signature__: "($self, session)"
    class Compiled:
        def __init__(self, method: object) -> None:
            self.__datafusion_table_provider__ = method

    source = SessionContext().from_pydict({"a": [1, 2]})
    method = source._inner.__datafusion_table_provider__
    assert method.__text_signature__ == "($self, session)"
    ctx = SessionContext()
    ctx.register_table("t", Compiled(method))
    assert ctx.sql("SELECT sum(a) AS s FROM t").to_pydict() == {"s": [3]}


def test_non_plugin_objects_get_type_errors() -> None:
    ctx = SessionContext()
    with pytest.raises(TypeError, match="register_table needs"):
        ctx.register_table("t", object())
    with pytest.raises(TypeError, match="__datafusion_scalar_udf__"):
        ctx.register_udf(object())
    with pytest.raises(TypeError, match="__datafusion_aggregate_udf__"):
        ctx.register_udaf(42)


def test_official_datafusion_host_reads_fuseplug_frames(run_python: RunPython) -> None:
    # One of our DataFrames (with a Python UDF in its plan) and one of our tables, registered in the
    # official datafusion 55 wheel and queried there.
    result = child(
        run_python,
        """
        import json
        import datafusion
        import pyarrow as pa
        import pyarrow.compute as pc
        import fuseplug
        from fuseplug import col, lit

        ours = fuseplug.SessionContext()
        shout = fuseplug.udf(lambda s: pc.utf8_upper(s), [pa.string()], pa.string(), name="shout")
        frame = ours.from_pydict({"a": [1, 2, 3, 4], "b": ["w", "x", "y", "z"]})
        frame = frame.filter(col("a") > lit(1)).with_column("loud", shout(col("b")))
        ours.from_pydict({"q": [7, 8]}, name="qq")
        ours.sql("CREATE VIEW doubled AS SELECT q * 2 AS q2 FROM qq WHERE q > 7").collect()

        theirs = datafusion.SessionContext()
        theirs.register_table("fp", frame)
        theirs.register_table("qq", ours.catalog().schema().table("qq"))
        rows = theirs.sql("SELECT loud, a * 10 AS a10 FROM fp WHERE a < 4 ORDER BY a").to_pydict()
        count = theirs.sql("SELECT count(*) AS c FROM fp").to_pydict()
        table = theirs.sql("SELECT sum(q) AS s FROM qq").to_pydict()
        theirs.register_table("doubled", ours.catalog().schema().table("doubled"))
        view = theirs.sql("SELECT q2 FROM doubled").to_pydict()
        print(json.dumps({"rows": rows, "count": count, "table": table, "view": view}))
        """,
    )
    assert result["rows"] == {"loud": ["X", "Y"], "a10": [20, 30]}
    assert result["count"] == {"c": [3]}
    assert result["table"] == {"s": [15]}
    assert result["view"] == {"q2": [16]}


def test_exporting_a_table_needs_the_callers_session() -> None:
    df = SessionContext().from_pydict({"a": [1]})
    with pytest.raises(TypeError, match="__datafusion_task_context_provider__"):
        df.__datafusion_table_provider__(object())


def test_datafusion_majors_of_real_and_handmade_libraries(tmp_path: Path) -> None:
    from importlib.util import find_spec

    from fuseplug import plugins

    def library(package: str) -> Path:
        spec = find_spec(package)
        assert spec is not None and spec.origin is not None
        return next(Path(spec.origin).parent.glob("*.so"))

    assert plugins.HOST_DATAFUSION_MAJOR == 55
    assert plugins.datafusion_majors_of(library("datafusion_extra_functions_ffi")) == [54]
    assert plugins.datafusion_majors_of(library("datafusion_extra_functions")) == [55]
    assert plugins.datafusion_majors_of(library("deltalake")) == [55]
    fake = tmp_path / "fake.so"
    fake.write_bytes(b"\0src/datafusion-ffi-53.0.1/src/lib.rs\0datafusion-ffi-x.1\0datafusion-ffi-")
    assert plugins.datafusion_majors_of(fake) == [53]
    assert plugins.datafusion_majors_of(tmp_path / "missing.so") == []


def test_plugin_table_outlives_its_session_object(run_python: RunPython, tmp_path: Path) -> None:
    # The deltalake provider holds the session's task-context provider weakly; the DataFrame must
    # keep it alive after every other reference to the SessionContext is gone.
    result = child(
        run_python,
        f"""
        import gc, json, weakref
        import pyarrow as pa
        from deltalake import DeltaTable, write_deltalake
        import fuseplug
        from fuseplug import col, lit

        path = {str(tmp_path / "delta")!r}
        write_deltalake(path, pa.table({{"x": [1, 2, 3, 4]}}))

        def frames():
            ctx = fuseplug.SessionContext()
            ctx.register_table("d", DeltaTable(path))
            gone = weakref.ref(ctx)
            return gone, ctx.table("d").filter(col("x") > lit(1)), ctx.read_table(DeltaTable(path))

        gone, filtered, read = frames()
        gc.collect()
        print(json.dumps({{
            "ctx_collected": gone() is None,
            "filtered": filtered.to_pydict(),
            "count": read.count(),
        }}))
        """,
    )
    assert result == {"ctx_collected": True, "filtered": {"x": [2, 3, 4]}, "count": 4}


def test_fuseplug_python_udfs_run_in_the_official_host(run_python: RunPython) -> None:
    result = child(
        run_python,
        """
        import json
        import datafusion
        import pyarrow as pa
        import pyarrow.compute as pc
        import fuseplug

        class Total(fuseplug.Accumulator):
            def __init__(self):
                self.total = 0
            def state(self):
                return [self.total]
            def update(self, values):
                self.total += pc.sum(values).as_py() or 0
            def merge(self, states):
                self.total += pc.sum(states[0]).as_py() or 0
            def evaluate(self):
                return self.total

        class RunningCount(fuseplug.WindowEvaluator):
            def evaluate_all(self, values, num_rows):
                return pa.array(range(1, num_rows + 1), pa.int64())

        shout = fuseplug.udf(lambda s: pc.utf8_upper(s), [pa.string()], pa.string(), name="shout")
        total = fuseplug.udaf(Total, [pa.int64()], pa.int64(), [pa.int64()], name="total")
        running = fuseplug.udwf(RunningCount, [pa.int64()], pa.int64(), name="running")

        theirs = datafusion.SessionContext()
        theirs.register_udf(datafusion.udf(shout))
        theirs.register_udaf(datafusion.udaf(total))
        theirs.register_udwf(datafusion.udwf(running))
        data = "(VALUES ('a', 1), ('b', 2), ('c', 39)) AS v(s, x)"
        scalar = theirs.sql(f"SELECT shout(s) AS u FROM {data} ORDER BY x").to_pydict()
        agg = theirs.sql(f"SELECT total(x) AS t FROM {data}").to_pydict()
        window = theirs.sql(f"SELECT x, running(x) OVER (ORDER BY x) AS r FROM {data} ORDER BY x").to_pydict()
        print(json.dumps({"scalar": scalar, "agg": agg, "window": window}))
        """,
    )
    assert result["scalar"] == {"u": ["A", "B", "C"]}
    assert result["agg"] == {"t": [42]}
    assert result["window"] == {"x": [1, 2, 39], "r": [1, 2, 3]}


def test_a_panic_in_an_exported_udf_is_an_error_in_both_hosts(run_python: RunPython) -> None:
    # A panic inside one of our function bodies (simulated with the test hook _internal._panic) would
    # abort the process when the official host calls the UDF over FFI, since datafusion-ffi catches
    # nothing. The adapter's guard turns it into an error instead, in either host.
    result = child(
        run_python,
        """
        import json
        import datafusion
        import pyarrow as pa
        import fuseplug
        from fuseplug import _internal

        def explode(values):
            _internal._panic("boom from a UDF")

        bad = fuseplug.udf(explode, [pa.int64()], pa.int64(), name="explode")
        out = {}
        ours = fuseplug.SessionContext()
        ours.register_udf(bad)
        try:
            ours.sql("SELECT explode(x) FROM (VALUES (1)) AS t(x)").collect()
        except Exception as e:
            out["fuseplug"] = [type(e).__name__, str(e)]
        theirs = datafusion.SessionContext()
        theirs.register_udf(datafusion.udf(bad))
        try:
            theirs.sql("SELECT explode(x) FROM (VALUES (1)) AS t(x)").collect()
        except Exception as e:
            out["datafusion"] = [type(e).__name__, str(e)]
        out["after"] = theirs.sql("SELECT 1 AS one").to_pydict()
        print(json.dumps(out))
        """,
    )
    kind, message = result["fuseplug"]
    assert kind == "ExecutionError" and "panic in a Python function: boom from a UDF" in message
    _, message = result["datafusion"]
    assert "panic in a Python function: boom from a UDF" in message
    assert result["after"] == {"one": [1]}


EVERY_KIND = (
    CAPSULE_MAKER
    + """
class Raises:
    def __getattr__(self, name):
        if name.startswith("__datafusion_"):
            def dunder(*args):
                raise RuntimeError(f"{name} broke")
            return dunder
        raise AttributeError(name)

class ReturnsInt:
    def __getattr__(self, name):
        if name.startswith("__datafusion_"):
            return lambda *args: 7
        raise AttributeError(name)

kinds = {
    "table": lambda obj: ctx.register_table("t", obj),
    "read_table": lambda obj: ctx.read_table(obj),
    "scalar": lambda obj: ctx.register_udf(obj),
    "aggregate": lambda obj: ctx.register_udaf(obj),
    "window": lambda obj: ctx.register_udwf(obj),
    "table_function": lambda obj: ctx.register_table_function("f", obj),
    "catalog": lambda obj: ctx.register_catalog_provider("c", obj),
    "schema": lambda obj: ctx.catalog().register_schema("s", obj),
    "catalog_list": lambda obj: ctx.register_catalog_provider_list(obj),
    "factory": lambda obj: ctx.register_table_factory("X", obj),
    "optimizer_rule": lambda obj: ctx.add_physical_optimizer_rule(obj),
    "logical_codec": lambda obj: ctx.with_logical_extension_codec(obj),
    "physical_codec": lambda obj: ctx.with_physical_extension_codec(obj),
    "extension_options": lambda obj: fuseplug.SessionConfig().with_extension(obj),
}
inputs = {
    "wrong name": lambda: make(ctypes.addressof(buffer), b"not_a_datafusion_kind", None),
    "other kind": lambda: ctx.__datafusion_task_context_provider__(),
    "dunder raises": Raises,
    "non-capsule": ReturnsInt,
}
out = {}
for kind, register in kinds.items():
    for label, build in inputs.items():
        try:
            register(build())
            out[f"{kind}/{label}"] = "accepted"
        except PluginError as e:
            out[f"{kind}/{label}"] = type(e).__name__
        except Exception as e:
            out[f"{kind}/{label}"] = f"other {type(e).__name__}: {e}"
out["after"] = ctx.sql("SELECT 3 AS three").to_pydict()
print(json.dumps(out))
"""
)


def test_every_kind_refuses_bad_capsules(run_python: RunPython) -> None:
    result = child(run_python, EVERY_KIND)
    assert result.pop("after") == {"three": [3]}
    assert len(result) == 14 * 4
    # A capsule of the wrong kind is also a ValueError, as in the official bindings.
    expected = {
        k: "PluginCapsuleError" if k.endswith(("/wrong name", "/other kind")) else "PluginError"
        for k in result
    }
    assert result == expected
