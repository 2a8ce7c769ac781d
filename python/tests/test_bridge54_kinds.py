"""Window UDFs, table functions, catalogs, schemas and catalog lists of DataFusion 54 plugins,
served through the bridge wheel (crates/fuseplug-bridge54), end to end.

The catalog is a real DataFusion 54 wheel's: pypaimon-rust 0.4's ``PaimonCatalog`` over a local
warehouse that pypaimon-rust's own ``SQLContext`` writes (no server). No DataFusion 54 wheel on PyPI
publishes window UDFs, table functions, bare schemas or catalog lists, so those come from
``examples/ffi-example54``, a plugin built on DataFusion 54 only. Every case runs in a child process,
so a struct read at the wrong layout shows up as a crash, not as a passing test.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_bridge54 import QUERIES as SESSION

from conftest import RunPython, child

WRITE_WAREHOUSE = """
import sys
from pypaimon_rust.datafusion import SQLContext

ctx = SQLContext()
ctx.register_catalog("paimon", {"warehouse": sys.argv[1]})
for sql in [
    "CREATE SCHEMA paimon.shop",
    "CREATE TABLE paimon.shop.users (id INT, name STRING, city STRING, PRIMARY KEY (id))",
    "INSERT INTO paimon.shop.users VALUES (1, 'ann', 'Oslo'), (2, 'bo', 'Rome'), (3, 'cy', 'Oslo')",
    "INSERT INTO paimon.shop.users VALUES (2, 'bo', 'Lima'), (4, 'di', 'Rome')",
    "CREATE TABLE paimon.shop.orders (order_id BIGINT, user_id INT, amount DOUBLE)",
    "INSERT INTO paimon.shop.orders VALUES (10, 1, 5.5), (11, 2, 7.25), (12, 1, 1.0), (13, 4, 3.0)",
]:
    ctx.sql(sql)
"""


@pytest.fixture
def paimon_warehouse(tmp_path: Path) -> str:
    """A Paimon warehouse with ``shop.users`` (a primary-key table, written twice: user 2 moved) and
    ``shop.orders`` (an append table)."""
    warehouse = tmp_path / "paimon"
    subprocess.run(
        [sys.executable, "-c", WRITE_WAREHOUSE, str(warehouse)],
        check=True,
        timeout=120,
        capture_output=True,
    )
    return str(warehouse)


def test_a_paimon_catalog_is_queried_through_the_bridge(
    run_python: RunPython, paimon_warehouse: str
) -> None:
    code = SESSION + textwrap.dedent(
        f"""
        from pypaimon_rust.datafusion import PaimonCatalog

        ctx.register_catalog_provider("paimon", PaimonCatalog({{"warehouse": {paimon_warehouse!r}}}))
        catalog = ctx.catalog("paimon")
        print(json.dumps({{
            "schemas": sorted(catalog.names()),
            "tables": sorted(catalog.schema("shop").names()),
            "users": rows("SELECT id, name, city FROM paimon.shop.users ORDER BY id"),
            "filtered": rows("SELECT name FROM paimon.shop.users WHERE city = 'Oslo' ORDER BY id"),
            "joined": rows(
                "SELECT u.name, sum(o.amount) AS spent FROM paimon.shop.orders o "
                "JOIN paimon.shop.users u ON o.user_id = u.id GROUP BY u.name ORDER BY u.name"
            ),
            "missing": rows("SELECT * FROM paimon.shop.nope"),
            "write": rows("CREATE TABLE paimon.shop.copy AS SELECT 1 AS one"),
            "after": rows("SELECT count(*) AS n FROM paimon.shop.orders"),
        }}))
        """
    )
    out = child(run_python, code)
    assert out["schemas"] == ["default", "shop"]
    assert out["tables"] == ["orders", "users"]
    # the primary-key table is merged by Paimon's reader: user 2's second write wins
    assert out["users"] == {
        "id": [1, 2, 3, 4],
        "name": ["ann", "bo", "cy", "di"],
        "city": ["Oslo", "Lima", "Oslo", "Rome"],
    }
    assert out["filtered"] == {"name": ["ann", "cy"]}
    assert out["joined"] == {"name": ["ann", "bo", "di"], "spent": [6.5, 7.25, 3.0]}
    kind, message = out["missing"]
    assert kind == "PlanError" and "nope" in message, out["missing"]
    # a DataFusion 55 table cannot be handed to the 54 catalog: refused with the reason, nothing else
    # changes
    kind, message = out["write"]
    assert kind == "PluginError", out["write"]
    assert "cannot register table" in message and "DataFusion 54" in message, out["write"]
    assert out["after"] == {"n": [4]}


def test_window_udfs_of_a_54_plugin_run_through_the_bridge(run_python: RunPython) -> None:
    code = SESSION + textwrap.dedent(
        """
        import fuseplug_ffi_example54 as built_on_54

        ctx.register_udwf(fuseplug.udwf(built_on_54.RunningTotal()))
        ctx.register_udwf(built_on_54.FrameSum().__datafusion_window_udf__())
        ctx.from_pydict(
            {"g": ["a", "a", "a", "b", "b", "b"], "x": [3, 1, 2, 10, None, 20]}, name="t"
        )
        print(json.dumps({
            "ours": rows(
                "SELECT g, x, running_total54(x) OVER (PARTITION BY g ORDER BY x) AS rt, "
                "frame_sum54(x) OVER (PARTITION BY g ORDER BY x "
                "ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS fs FROM t ORDER BY g, x"
            ),
            "native": rows(
                "SELECT g, x, coalesce(sum(x) OVER (PARTITION BY g ORDER BY x "
                "ROWS UNBOUNDED PRECEDING), 0) AS rt, coalesce(sum(x) OVER (PARTITION BY g "
                "ORDER BY x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), 0) AS fs "
                "FROM t ORDER BY g, x"
            ),
            "wrong type": rows("SELECT running_total54(g) OVER () FROM t"),
            "after": rows("SELECT count(*) AS n FROM t"),
        }))
        """
    )
    out = child(run_python, code)
    assert out["ours"]["rt"] == [1, 3, 6, 10, 30, 30], out["ours"]
    assert out["ours"] == out["native"]
    kind, message = out["wrong type"]
    # the 54 side's own coercion refuses a string, at planning
    assert kind == "PlanError", out["wrong type"]
    assert "coercion from Utf8 to the signature Exact(Int64) failed" in message, message
    assert out["after"] == {"n": [6]}


def test_a_table_function_of_a_54_plugin_runs_through_the_bridge(run_python: RunPython) -> None:
    code = SESSION + textwrap.dedent(
        """
        import fuseplug_ffi_example54 as built_on_54

        ctx.register_table_function("series54", built_on_54.Series())
        print(json.dumps({
            "sum": rows("SELECT sum(i) AS s, count(*) AS n FROM series54(100)"),
            "joined": rows(
                "SELECT a.i FROM series54(5) a JOIN series54(3) b ON a.i = b.i ORDER BY a.i"
            ),
            "negative": rows("SELECT * FROM series54(-1)"),
            "after": rows("SELECT count(*) AS n FROM series54(0)"),
        }))
        """
    )
    out = child(run_python, code)
    assert out["sum"] == {"s": [4950], "n": [100]}
    assert out["joined"] == {"i": [0, 1, 2]}
    kind, message = out["negative"]
    # the 54 plugin's own words
    assert kind == "PluginExecutionError", out["negative"]
    assert "series54 takes one non-negative integer" in message, out["negative"]
    assert out["after"] == {"n": [0]}


def test_a_schema_and_a_catalog_list_of_a_54_plugin_are_served(run_python: RunPython) -> None:
    code = SESSION + textwrap.dedent(
        """
        import fuseplug_ffi_example54 as built_on_54

        ctx.catalog().register_schema("s", built_on_54.ExampleSchema())
        out = {
            "schema": rows("SELECT i, name FROM s.t54 ORDER BY i"),
            "names": sorted(ctx.catalog().schema("s").names()),
            "write": rows("CREATE TABLE s.extra AS SELECT 1 AS one"),
        }
        ctx.register_catalog_provider_list(built_on_54.ExampleCatalogList())
        out["catalogs"] = sorted(ctx.catalog_names())
        out["listed"] = rows("SELECT name FROM c54.s54.t54 WHERE i > 1 ORDER BY i")
        print(json.dumps(out))
        """
    )
    out = child(run_python, code)
    assert out["schema"] == {"i": [1, 2, 3], "name": ["one", None, "three"]}
    assert out["names"] == ["t54"]
    kind, message = out["write"]
    assert kind == "PluginError" and "cannot register table" in message, out["write"]
    assert "c54" in out["catalogs"]
    assert out["listed"] == {"name": [None, "three"]}


def test_a_54_plugin_is_refused_when_the_bridge_is_turned_off(run_python: RunPython) -> None:
    code = SESSION + textwrap.dedent(
        """
        import fuseplug_ffi_example54 as built_on_54

        out = {}
        for name, case in {
            "window": lambda: ctx.register_udwf(built_on_54.RunningTotal()),
            "function": lambda: ctx.register_table_function("f", built_on_54.Series()),
            "schema": lambda: ctx.catalog().register_schema("s", built_on_54.ExampleSchema()),
            "list": lambda: ctx.register_catalog_provider_list(built_on_54.ExampleCatalogList()),
        }.items():
            try:
                case()
                out[name] = None
            except Exception as e:
                out[name] = [type(e).__name__, str(e)]
        out["after"] = rows("SELECT 1 AS one")
        print(json.dumps(out))
        """
    )
    out = child(run_python, code, env={"FUSEPLUG_DISABLE_BRIDGE": "1"})
    assert out.pop("after") == {"one": [1]}
    for case, outcome in out.items():
        assert outcome is not None, case
        kind, message = outcome
        assert kind == "IncompatiblePluginError", (case, outcome)
        assert "DataFusion 54" in message and "FUSEPLUG_DISABLE_BRIDGE" in message, (case, message)
