"""DataFusion 54 plugins served through the bridge wheel (crates/fuseplug-bridge54), end to end.

The plugins are the real DataFusion 54 wheels that need no server: pyiceberg-core 0.11 (an Iceberg
table written here with pyiceberg on a SQLite catalog), pylance 14 (a Lance dataset), sedonadb 0.5
(its ``st_point``) and datafusion-extra-functions-ffi 0.1 (its aggregates). Each case runs in a child
process: a bridge that read a struct at the wrong layout would crash it, and the test must see that
as a failure. The version guard's refusals (the bridge turned off, or not installed) are in
test_version_guard.py.
"""

from __future__ import annotations

import json
import struct
import textwrap
from pathlib import Path

import pyarrow as pa
import pytest

from conftest import RunPython, child

ROWS = pa.table(
    {
        "id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),
        "name": ["a", "b", "c", "d", "e", "f"],
        "score": pa.array([1.5, 2.5, 3.5, 4.5, 5.5, 6.5], pa.float64()),
    }
)


@pytest.fixture
def iceberg_table(tmp_path: Path) -> str:
    """An Iceberg table of ``ROWS`` in two snapshots (two data files); its metadata location."""
    from pyiceberg.catalog.sql import SqlCatalog

    catalog = SqlCatalog(
        "bridge",
        uri=f"sqlite:///{tmp_path / 'catalog.db'}",
        warehouse=(tmp_path / "warehouse").as_uri(),
    )
    catalog.create_namespace("db")
    table = catalog.create_table("db.t", schema=ROWS.schema)
    table.append(ROWS.slice(0, 4))
    table.append(ROWS.slice(4))
    location = table.metadata_location
    assert location is not None
    return location


@pytest.fixture
def lance_dataset(tmp_path: Path) -> str:
    import lance

    path = tmp_path / "rows.lance"
    lance.write_dataset(ROWS, str(path), max_rows_per_file=3)
    return str(path)


@pytest.fixture
def delta_table(tmp_path: Path) -> str:
    """A Delta table (deltalake 1.6, DataFusion 55): the bonus each id earned."""
    import deltalake

    path = tmp_path / "bonus"
    bonus = pa.table({"id": pa.array([2, 4, 6, 8], pa.int64()), "bonus": [20, 40, 60, 80]})
    deltalake.write_deltalake(str(path), bonus)
    return str(path)


# A session, `run(queries)` -> {name: rows or [error class, message]} and the plan of a query.
QUERIES = """
import json, warnings
warnings.simplefilter("ignore")
import fuseplug

ctx = fuseplug.SessionContext()

def rows(sql):
    try:
        return ctx.sql(sql).to_pydict()
    except Exception as e:
        return [type(e).__name__, str(e)]

def plan(sql):
    return "\\n".join(ctx.sql("EXPLAIN " + sql).to_pydict()["plan"])
"""


def test_an_iceberg_table_is_scanned_with_projection_filters_and_limit(
    run_python: RunPython, iceberg_table: str
) -> None:
    code = QUERIES + textwrap.dedent(
        f"""
        from pyiceberg_core.datafusion import IcebergDataFusionTable
        import fuseplug_bridge54

        table = IcebergDataFusionTable(["db", "t"], {iceberg_table!r}, {{}})
        ctx.register_table("t", table)
        out = {{
            "all": rows("SELECT id, name, score FROM t ORDER BY id"),
            "projected": rows("SELECT name FROM t ORDER BY name DESC"),
            "filtered": rows("SELECT id FROM t WHERE id > 2 AND name <> 'e' ORDER BY id"),
            "limited": rows("SELECT count(*) AS n FROM (SELECT * FROM t LIMIT 2)"),
            "aggregate": rows("SELECT sum(id) AS s, max(score) AS m FROM t"),
            "plan": plan("SELECT name FROM t WHERE id > 2"),
            "read_table": ctx.read_table(table).count(),
            "schema": str(ctx.table("t").schema()),
            "adapted": type(fuseplug_bridge54.adapt(table, "table_provider")).__name__,
        }}
        print(json.dumps(out))
        """
    )
    out = child(run_python, code)
    assert out["all"] == {
        "id": [1, 2, 3, 4, 5, 6],
        "name": ["a", "b", "c", "d", "e", "f"],
        "score": [1.5, 2.5, 3.5, 4.5, 5.5, 6.5],
    }
    assert out["projected"] == {"name": ["f", "e", "d", "c", "b", "a"]}
    assert out["filtered"] == {"id": [3, 4, 6]}
    assert out["limited"] == {"n": [2]}
    assert out["aggregate"] == {"s": [21], "m": [6.5]}
    assert out["read_table"] == 6
    assert "id: int64" in out["schema"] and "name: " in out["schema"]
    assert out["adapted"] == "BridgedTable"
    # the scan is the 54 provider's plan, under the bridge's leaf (pyiceberg-core's provider takes
    # no filters: the host filters; pushdown is checked with Lance below)
    assert "DataFusion54Exec" in out["plan"], out["plan"]


def test_a_54_table_joins_a_55_deltalake_table_in_one_query(
    run_python: RunPython, iceberg_table: str, delta_table: str
) -> None:
    code = QUERIES + textwrap.dedent(
        f"""
        import deltalake
        from pyiceberg_core.datafusion import IcebergDataFusionTable

        ctx.register_table("people", IcebergDataFusionTable(["db", "t"], {iceberg_table!r}, {{}}))
        ctx.register_table("bonus", deltalake.DeltaTable({delta_table!r}))
        print(json.dumps({{
            "joined": rows(
                "SELECT p.name, p.score + b.bonus AS total FROM people p "
                "JOIN bonus b ON p.id = b.id WHERE b.bonus < 70 ORDER BY p.id"
            ),
            "left": rows(
                "SELECT count(*) AS n, count(b.bonus) AS with_bonus FROM people p "
                "LEFT JOIN bonus b ON p.id = b.id"
            ),
        }}))
        """
    )
    out = child(run_python, code)
    assert out["joined"] == {"name": ["b", "d", "f"], "total": [22.5, 44.5, 66.5]}
    assert out["left"] == {"n": [6], "with_bonus": [3]}


def test_a_lance_dataset_is_scanned_through_the_bridge(
    run_python: RunPython, lance_dataset: str
) -> None:
    code = QUERIES + textwrap.dedent(
        f"""
        import lance

        provider = lance.FFILanceTableProvider(lance.dataset({lance_dataset!r}))
        ctx.register_table("l", provider)
        print(json.dumps({{
            "all": rows("SELECT id, name FROM l ORDER BY id"),
            "filtered": rows("SELECT score FROM l WHERE id BETWEEN 2 AND 4 ORDER BY score"),
            "limited": rows("SELECT count(*) AS n FROM (SELECT id FROM l LIMIT 4)"),
            "plan": plan("SELECT score FROM l WHERE id > 4 LIMIT 1"),
            "count plan": plan("SELECT count(*) FROM l"),
        }}))
        """
    )
    out = child(run_python, code)
    assert out["all"] == {"id": [1, 2, 3, 4, 5, 6], "name": ["a", "b", "c", "d", "e", "f"]}
    assert out["filtered"] == {"score": [2.5, 3.5, 4.5]}
    assert out["limited"] == {"n": [4]}
    # Lance takes the filter as exact and the limit: both crossed the bridge (as protobuf and as is)
    plan = out["plan"]
    assert "full_filters=[l.id > Int64(4)]" in plan and "fetch=1" in plan, plan
    assert "DataFusion54Exec" in plan and "FilterExec" not in plan, plan
    # Lance's exact row count crossed as statistics: count(*) is answered without a scan
    assert "6 as count(*)" in out["count plan"], out["count plan"]
    assert "DataFusion54Exec" not in out["count plan"], out["count plan"]


def test_errors_from_the_54_side_keep_the_producers_text(
    run_python: RunPython, iceberg_table: str
) -> None:
    # Remove the data files: the 54 provider fails while scanning, and says which file is missing.
    warehouse = Path(iceberg_table.removeprefix("file://")).parent.parent
    missing = sorted((warehouse / "data").glob("*.parquet"))
    assert missing
    for path in missing:
        path.unlink()
    code = QUERIES + textwrap.dedent(
        f"""
        from pyiceberg_core.datafusion import IcebergDataFusionTable

        ctx.register_table("t", IcebergDataFusionTable(["db", "t"], {iceberg_table!r}, {{}}))
        print(json.dumps({{"error": rows("SELECT * FROM t"), "after": rows("SELECT 1 AS one")}}))
        """
    )
    out = child(run_python, code)
    kind, message = out["error"]
    assert kind == "PluginExecutionError", out
    # iceberg-rust's own words, through datafusion-ffi 54, the bridge and datafusion-ffi 55
    assert "Failed to load Parquet metadata" in message, message
    assert any(path.name in message for path in missing), message
    assert out["after"] == {"one": [1]}


def test_sedonadb_st_point_is_called_through_the_bridge(run_python: RunPython) -> None:
    code = QUERIES + textwrap.dedent(
        """
        import sedonadb

        # sedonadb's own context holds its functions; `scalar_udf` hands out one with the
        # `__datafusion_scalar_udf__` dunder (DataFusion 54).
        st_point = sedonadb.connect()._impl.scalar_udf("st_point")
        ctx.register_udf(st_point)
        df = ctx.sql("SELECT st_point(x, y) AS p FROM (VALUES (1.0, 2.0), (-3.5, 4.25)) v(x, y)")
        table = df.to_arrow_table()
        field = table.schema.field("p")
        print(json.dumps({
            "points": [p.hex() for p in table.column("p").to_pylist()],
            "type": str(field.type),
            "metadata": {k.decode(): v.decode() for k, v in (field.metadata or {}).items()},
            "udf": rows("SELECT st_point(1.0, 2.0) IS NOT NULL AS ok"),
        }))
        """
    )
    out = child(run_python, code)
    # little-endian WKB points: byte order 1, geometry type 1, then x and y as doubles
    expected = [struct.pack("<bIdd", 1, 1, x, y).hex() for x, y in [(1.0, 2.0), (-3.5, 4.25)]]
    assert out["points"] == expected
    assert "binary" in out["type"]
    assert "geoarrow.wkb" in json.dumps(out["metadata"]), out["metadata"]
    assert out["udf"] == {"ok": [True]}


def test_extra_functions_aggregates_are_called_through_the_bridge(run_python: RunPython) -> None:
    # Grouped `mode` is not asked for: this release's `mode` declares scalar state fields but
    # returns lists as its state, which fails in the partial/final aggregation of any host (found
    # here: "expected Int64 but found List(Int64)"). `max_by` / `min_by` only work once rewritten by
    # their `simplify`, which datafusion-ffi does not carry ("should not reach here" in any host).
    code = QUERIES + textwrap.dedent(
        """
        import fuseplug
        import datafusion_extra_functions_ffi as built_on_54

        ctx.register_udaf(built_on_54.udaf_by_name("mode"))
        ctx.register_udaf(built_on_54.udaf_by_name("kurtosis").__datafusion_aggregate_udf__())
        ctx.register_udaf(fuseplug.udaf(built_on_54.udaf_by_name("skewness")))
        ctx.register_udaf(
            fuseplug.AggregateUDF.from_pycapsule(built_on_54.udaf_by_name("kurtosis_pop"))
        )
        ctx.sql(
            "CREATE TABLE v AS SELECT * FROM (VALUES "
            "('a', 1.0), ('a', 2.0), ('a', 2.0), ('a', 7.0), ('b', 5.0), ('b', 7.0), ('b', 7.0), "
            "('b', 9.0), ('b', 30.0)) t(g, x)"
        ).collect()
        print(json.dumps({
            "mode": rows("SELECT mode(x) AS m FROM v"),
            "grouped": rows(
                "SELECT g, skewness(x) AS s, kurtosis(x) AS k, kurtosis_pop(x) AS kp "
                "FROM v GROUP BY g ORDER BY g"
            ),
            "window": rows(
                "SELECT g, skewness(x) OVER (PARTITION BY g) AS s FROM v ORDER BY g, x"
            ),
            "error": rows("SELECT mode(x) FROM (VALUES (true)) t(x)"),
        }))
        """
    )
    out = child(run_python, code)
    assert out["mode"] == {"m": [7.0]}

    def moments(xs: list[float]) -> tuple[float, float, float]:
        n = len(xs)
        mean = sum(xs) / n
        m2, m3, m4 = (sum((x - mean) ** k for x in xs) / n for k in (2, 3, 4))
        skew = (m3 / m2**1.5) * (n * (n - 1)) ** 0.5 / (n - 2)
        pop = m4 / m2**2 - 3
        sample = ((n + 1) * pop + 6) * (n - 1) / ((n - 2) * (n - 3))
        return skew, sample, pop

    grouped = out["grouped"]
    assert grouped["g"] == ["a", "b"]
    for i, xs in enumerate([[1.0, 2.0, 2.0, 7.0], [5.0, 7.0, 7.0, 9.0, 30.0]]):
        skew, kurt, kurt_pop = moments(xs)
        assert grouped["s"][i] == pytest.approx(skew)
        assert grouped["k"][i] == pytest.approx(kurt)
        assert grouped["kp"][i] == pytest.approx(kurt_pop)
    assert (
        out["window"]["s"]
        == [pytest.approx(grouped["s"][0])] * 4 + [pytest.approx(grouped["s"][1])] * 5
    )
    # the 54 function's own error, text kept: it does not take booleans
    kind, message = out["error"]
    assert kind == "PluginExecutionError", out["error"]
    assert "Unsupported data type: Boolean for mode function" in message, message


def test_the_bridge_refuses_what_is_not_a_datafusion_54_capsule(run_python: RunPython) -> None:
    code = textwrap.dedent(
        """
        import json
        import pyarrow as pa
        import fuseplug
        import fuseplug_bridge54

        ours = fuseplug.udf(lambda a: a, [pa.int64()], pa.int64(), "immutable", name="same")
        out = {"kinds": list(fuseplug_bridge54.KINDS)}
        for name, case in {
            "55 capsule": lambda: fuseplug_bridge54.adapt(ours.__datafusion_scalar_udf__(), "scalar_udf"),
            "wrong name": lambda: fuseplug_bridge54.adapt(ours.__datafusion_scalar_udf__(), "aggregate_udf"),
            "unknown kind": lambda: fuseplug_bridge54.adapt(ours, "query_planner"),
            "no dunder": lambda: fuseplug_bridge54.adapt(object(), "table_provider"),
        }.items():
            try:
                case()
                out[name] = None
            except Exception as e:
                out[name] = [type(e).__name__, str(e)]
        print(json.dumps(out))
        """
    )
    out = child(run_python, code)
    assert out["kinds"] == [
        "table_provider",
        "scalar_udf",
        "aggregate_udf",
        "window_udf",
        "table_function",
        "catalog_provider",
        "schema_provider",
        "catalog_provider_list",
    ]
    kind, message = out["55 capsule"]
    assert kind == "ValueError" and "DataFusion 55" in message and "only adapts" in message
    # a scalar UDF's capsule handed over as an aggregate: refused by its name, before the bridge
    # looks at the library that made it
    assert out["wrong name"] == [
        "ValueError",
        'expected a capsule named "datafusion_aggregate_udf", '
        'got one named "datafusion_scalar_udf"',
    ]
    kind, message = out["unknown kind"]
    assert kind == "NotImplementedError" and "query_planner" in message
    kind, message = out["no dunder"]
    assert kind == "TypeError" and "__datafusion_table_provider__" in message


def test_a_kind_the_bridge_does_not_serve_is_still_refused(run_python: RunPython) -> None:
    # A real DataFusion 54 capsule (an aggregate of a 54 wheel) renamed to kinds the bridge does not
    # adapt (factories, optimizer rules): the guard refuses it before reading it, and says the bridge
    # does not serve the kind.
    code = textwrap.dedent(
        """
        import ctypes, json
        import fuseplug
        import datafusion_extra_functions_ffi as built_on_54

        rename = ctypes.pythonapi.PyCapsule_SetName
        rename.restype = ctypes.c_int
        rename.argtypes = [ctypes.py_object, ctypes.c_char_p]
        names, capsules = [], []

        def renamed(name):
            capsule = built_on_54.udaf_by_name("mode").__datafusion_aggregate_udf__()
            buffer = ctypes.create_string_buffer(name.encode())
            names.append(buffer)
            capsules.append(capsule)
            assert rename(capsule, buffer) == 0
            return capsule

        ctx = fuseplug.SessionContext()
        out = {}
        for name, case in {
            "factory": lambda: ctx.register_table_factory(
                "F54", renamed("datafusion_table_provider_factory")
            ),
            "rule": lambda: ctx.add_physical_optimizer_rule(
                renamed("datafusion_physical_optimizer_rule")
            ),
        }.items():
            try:
                case()
                out[name] = None
            except Exception as e:
                out[name] = [type(e).__name__, str(e)]
        out["after"] = ctx.sql("SELECT 1 AS one").to_pydict()
        print(json.dumps(out))
        """
    )
    out = child(run_python, code)
    assert out.pop("after") == {"one": [1]}
    for case, outcome in out.items():
        assert outcome is not None, case
        kind, message = outcome
        assert kind == "IncompatiblePluginError", (case, message)
        assert "DataFusion 54" in message and "does not serve" in message, (case, message)


def test_the_bridge_stub_names_what_the_module_has() -> None:
    import ast

    import fuseplug_bridge54
    from fuseplug_bridge54 import _internal

    stub = Path(fuseplug_bridge54.__file__).with_name("_internal.pyi")
    tree = ast.parse(stub.read_text())
    declared = {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}
    compiled = {name for name in dir(_internal) if not name.startswith("_")}
    assert declared == compiled
    assert fuseplug_bridge54.PLUGIN_DATAFUSION_MAJOR == 54
    assert fuseplug_bridge54.HOST_DATAFUSION_MAJOR == 55


def test_pyiceberg_tables_own_python_dunder_is_served_through_the_bridge(
    run_python: RunPython, tmp_path: Path
) -> None:
    # pyiceberg's documented way: `ctx.register_table(name, table)` with pyiceberg's own `Table`,
    # whose `__datafusion_table_provider__(session)` is Python that calls pyiceberg-core (54). The
    # dunder is handed the bridge's 54 session, never this host's.
    code = QUERIES + textwrap.dedent(
        f"""
        import pyarrow as pa
        from pyiceberg.catalog.sql import SqlCatalog

        catalog = SqlCatalog(
            "docs", uri="sqlite:///{tmp_path / "catalog.db"}", warehouse={tmp_path.as_uri()!r}
        )
        catalog.create_namespace("default")
        data = pa.table({{"x": [1, 2, 3], "y": [4, 5, 6]}})
        table = catalog.create_table("default.test", schema=data.schema)
        table.append(data)
        ctx.register_table("test", table)
        out = {{
            "rows": rows("SELECT x, y FROM test WHERE x > 1 ORDER BY x"),
            "plan": plan("SELECT x FROM test"),
            "again": ctx.read_table(catalog.load_table("default.test")).count(),
        }}
        print(json.dumps(out))
        """
    )
    out = child(run_python, code)
    assert out["rows"] == {"x": [2, 3], "y": [5, 6]}
    assert "DataFusion54Exec" in out["plan"], out["plan"]
    assert out["again"] == 3


# A class of our own whose dunder, written in Python, imports a DataFusion 54 plugin when called.
WRAPPER = """
class Wrapper:
    def __init__(self):
        self.calls = []

    def __datafusion_table_provider__(self, session):
        self.calls.append(type(session).__name__)
        from fuseplug_ffi_example54 import SessionProbe
        return SessionProbe().__datafusion_table_provider__(session)
"""


def test_a_python_dunder_over_a_54_plugin_gets_the_bridges_session_and_the_host_config(
    run_python: RunPython,
) -> None:
    code = (
        QUERIES
        + WRAPPER
        + textwrap.dedent(
            """
        from fuseplug_ffi_example54 import SessionProbe

        config = fuseplug.SessionConfig().with_batch_size(1234).with_target_partitions(3)
        ctx = fuseplug.SessionContext(config)
        wrapper = Wrapper()
        ctx.register_table("w", wrapper)
        ctx.register_table("p", SessionProbe())
        first = rows("SELECT * FROM w")
        ctx.sql("SET datafusion.execution.batch_size = 777")
        print(json.dumps({
            "wrapped": first,
            "probe": rows("SELECT * FROM p"),
            "calls": wrapper.calls,
        }))
        """
        )
    )
    out = child(run_python, code)
    # the plugin planned its scan with the host's options (what datafusion-ffi 54 can carry)
    assert out["wrapped"] == {"batch_size": [1234], "target_partitions": [3]}
    assert out["probe"] == {"batch_size": [777], "target_partitions": [3]}
    assert out["calls"] == ["Session54"]


def test_a_python_dunder_over_a_54_plugin_is_not_called_when_the_bridge_is_off(
    run_python: RunPython,
) -> None:
    code = (
        QUERIES
        + WRAPPER
        + textwrap.dedent(
            """
        wrapper = Wrapper()
        try:
            ctx.register_table("w", wrapper)
            out = ["registered"]
        except Exception as e:
            out = [type(e).__name__, str(e)]
        print(json.dumps({"error": out, "calls": wrapper.calls}))
        """
        )
    )
    out = child(run_python, code, env={"FUSEPLUG_DISABLE_BRIDGE": "1"})
    assert out["error"][0] == "IncompatiblePluginError", out
    assert "DataFusion 54" in out["error"][1]
    assert out["calls"] == []  # never handed this host's session
