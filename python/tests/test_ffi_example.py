"""One plugin, two hosts: examples/ffi-example publishes each kind of object as a datafusion-ffi
capsule, and the same code registers and queries them in fuseplug and in the official ``datafusion``
55 wheel. Each case runs in a subprocess (foreign capsules)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

RunPython = Callable[..., Any]

HOSTS = ["fuseplug", "datafusion"]

PRELUDE = """
import json
import {host} as host
import fuseplug_ffi_example as ex

ctx = host.SessionContext()
"""


def in_host(run_python: RunPython, host: str, body: str) -> Any:
    proc = run_python(PRELUDE.format(host=host) + body, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("host", HOSTS)
def test_memory_table_provider(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
ctx.register_table("items", ex.MemoryTable())
print(json.dumps(ctx.sql("SELECT id, name FROM items WHERE id > 1 ORDER BY id").to_pydict()))
""",
    )
    assert out == {"id": [2, 3], "name": ["two", "three"]}


@pytest.mark.parametrize("host", HOSTS)
def test_table_whose_scan_spawns_tokio_tasks(run_python: RunPython, host: str) -> None:
    # The scan sleeps and spawns on tokio: it works only if the plugin's runtime handle travels with
    # the provider, since the host polls it from its own threads.
    out = in_host(
        run_python,
        host,
        """
ctx.register_table("sleepy", ex.SleepyTable())
print(json.dumps(ctx.sql("SELECT sum(v) AS s, count(*) AS n FROM sleepy").to_pydict()))
""",
    )
    assert out == {"s": [60], "n": [3]}


@pytest.mark.parametrize("host", HOSTS)
def test_scalar_udf(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
ctx.register_udf(host.udf(ex.DoubleUdf()))
ctx.register_table("items", ex.MemoryTable())
print(json.dumps(ctx.sql("SELECT double(id) AS d FROM items ORDER BY id").to_pydict()))
""",
    )
    assert out == {"d": [2, 4, 6]}


@pytest.mark.parametrize("host", HOSTS)
def test_table_function(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
ctx.register_udtf(host.udtf(ex.RangeFunction(), "example_range"))
print(json.dumps(ctx.sql("SELECT count(*) AS n, sum(i) AS s FROM example_range(5)").to_pydict()))
""",
    )
    assert out == {"n": [5], "s": [10]}


@pytest.mark.parametrize("host", HOSTS)
def test_catalog_and_schema_providers(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
ctx.register_catalog_provider("plug", ex.ExampleCatalog())
ctx.catalog().register_schema("extra", ex.ExampleSchema())
a = ctx.sql("SELECT name FROM plug.plugin.items ORDER BY id").to_pydict()
b = ctx.sql("SELECT sum(id) AS s FROM extra.items").to_pydict()
print(json.dumps({"a": a, "b": b}))
""",
    )
    assert out == {"a": {"name": ["one", "two", "three"]}, "b": {"s": [6]}}


def test_table_function_bad_argument_is_a_plugin_error(run_python: RunPython) -> None:
    # The plugin reports a planning error, but datafusion-ffi carries a foreign error across as text
    # (DataFusionError::Ffi), so the host sees a PluginError whose message keeps the plugin's kind.
    out = in_host(
        run_python,
        "fuseplug",
        """
from fuseplug.exceptions import FuseplugError
ctx.register_table_function("example_range", ex.RangeFunction())
try:
    ctx.sql("SELECT * FROM example_range('x')").collect()
    print(json.dumps(None))
except FuseplugError as e:
    print(json.dumps([type(e).__module__, type(e).__name__, str(e)]))
""",
    )
    assert out == [
        "fuseplug.exceptions",
        "PluginError",
        "FFI error: Error during planning: example_range takes one non-negative integer",
    ]


@pytest.mark.parametrize("host", HOSTS)
def test_aggregate_and_window_udfs(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
ctx.register_udaf(host.udaf(ex.SumOfSquaresUdaf()))
ctx.register_udwf(host.udwf(ex.RowNumberUdwf()))
ctx.register_table("items", ex.MemoryTable())
agg = ctx.sql("SELECT sum_of_squares(id) AS s FROM items").to_pydict()
win = ctx.sql(
    "SELECT name, example_row_number(id) OVER (ORDER BY id DESC) AS r FROM items ORDER BY id"
).to_pydict()
print(json.dumps({"agg": agg, "win": win}))
""",
    )
    assert out == {
        "agg": {"s": [14]},
        "win": {"name": ["one", "two", "three"], "r": [3, 2, 1]},
    }


@pytest.mark.parametrize("host", HOSTS)
def test_catalog_provider_list(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
ctx.register_catalog_provider_list(ex.ExampleCatalogList())
print(json.dumps(ctx.sql("SELECT count(*) AS n FROM plugin_catalog.plugin.items").to_pydict()))
""",
    )
    assert out == {"n": [3]}


@pytest.mark.parametrize("host", HOSTS)
def test_table_provider_factory_serves_create_external_table(
    run_python: RunPython, host: str
) -> None:
    out = in_host(
        run_python,
        host,
        """
ctx.register_table_factory("EXAMPLE", ex.RowsTableFactory())
ctx.sql("CREATE EXTERNAL TABLE r STORED AS EXAMPLE LOCATION 'example://unused' OPTIONS ('rows' '4')").collect()
print(json.dumps(ctx.sql("SELECT count(*) AS n, sum(i) AS s FROM r").to_pydict()))
""",
    )
    assert out == {"n": [4], "s": [6]}


@pytest.mark.parametrize("host", HOSTS)
def test_physical_optimizer_rule_runs_on_every_plan(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
rule = ex.CountingRule()
ctx.register_table("items", ex.MemoryTable())
before = ctx.sql("SELECT count(*) AS n FROM items").to_pydict()
ctx.add_physical_optimizer_rule(rule)
after = ctx.sql("SELECT count(*) AS n FROM items").to_pydict()
once = rule.count
ctx.sql("SELECT max(id) AS m FROM items").collect()
print(json.dumps({"before": before, "after": after, "once": once, "twice": rule.count}))
""",
    )
    assert out["before"] == out["after"] == {"n": [3]}
    assert out["once"] >= 1
    assert out["twice"] > out["once"]


@pytest.mark.parametrize("host", HOSTS)
def test_extension_options_reach_set_show_and_the_plugin(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
config = host.SessionConfig().with_information_schema(True).with_extension(ex.ExampleOptions())
ctx = host.SessionContext(config)
ctx.register_udf(host.udf(ex.GreetUdf()))
first = ctx.sql("SELECT greet('ada') AS g").to_pydict()["g"]
ctx.sql("SET ffi_example.greeting = 'hi'").collect()
shown = ctx.sql("SHOW ffi_example.greeting").to_pydict()["value"]
second = ctx.sql("SELECT greet('ada') AS g").to_pydict()["g"]
print(json.dumps({"first": first, "shown": shown, "second": second}))
""",
    )
    assert out == {"first": ["hello, ada"], "shown": ["hi"], "second": ["hi, ada"]}


def test_extension_options_key_lookup_and_bad_capsule(run_python: RunPython) -> None:
    out = in_host(
        run_python,
        "fuseplug",
        """
from fuseplug.exceptions import PluginError
config = host.SessionConfig().with_extension(ex.ExampleOptions())
changed = config.set("ffi_example.greeting", "hey")
try:
    host.SessionConfig().with_extension(ex.DoubleUdf().__datafusion_scalar_udf__())
    refused = None
except PluginError as e:
    refused = str(e)
print(json.dumps({
    "default": config.get("ffi_example.greeting"),
    "changed": changed.get("ffi_example.greeting"),
    "original": config.get("ffi_example.greeting"),
    "refused": refused,
}))
""",
    )
    # configs are immutable: `set` returns a changed copy
    assert out["default"] == out["original"] == "hello"
    assert out["changed"] == "hey"
    assert "datafusion_extension_options" in out["refused"]


# Plans that call the plugin's `double` UDF are written with the plugin's codec, which stores a
# payload of its own for it, and read back in a session where `double` was never registered.
LOGICAL_ROUND_TRIP = """
codec = ex.CountingLogicalCodec()
writer = ctx.with_logical_extension_codec(codec)
writer.register_udf(host.udf(ex.DoubleUdf()))
plan = writer.sql("SELECT double(x) AS d FROM (VALUES (1), (2), (3)) AS t(x)").logical_plan()
data = plan.to_bytes(writer)
reader = host.SessionContext().with_logical_extension_codec(codec)
decoded = {plan_cls}.from_bytes(reader, data)
rows = reader.create_dataframe_from_logical_plan(decoded).to_pydict()
print(json.dumps({{"rows": rows, "calls": codec.calls, "ids": reader.logical_extension_codec_ids()}}))
"""


@pytest.mark.parametrize("host", HOSTS)
def test_logical_codec_carries_a_plugin_udf(run_python: RunPython, host: str) -> None:
    plan_cls = "host.LogicalPlan" if host == "fuseplug" else "host.plan.LogicalPlan"
    out = in_host(run_python, host, LOGICAL_ROUND_TRIP.format(plan_cls=plan_cls))
    assert out["rows"] == {"d": [2, 4, 6]}
    assert out["calls"]["try_encode_udf"] >= 1
    assert out["calls"]["try_decode_udf"] >= 1
    if host == "fuseplug":
        assert out["ids"] == ["fuseplug_ffi_example.CountingLogicalCodec"]


PHYSICAL_ROUND_TRIP = """
import pyarrow as pa
import pyarrow.parquet as pq
pq.write_table(pa.table({{"x": [1, 2, 3]}}), "{path}")
codec = ex.CountingPhysicalCodec()
writer = ctx.with_physical_extension_codec(codec)
writer.register_udf(host.udf(ex.DoubleUdf()))
writer.register_parquet("t", "{path}")
plan = writer.sql("SELECT double(x) AS d FROM t").execution_plan()
data = plan.to_bytes(writer)
reader = host.SessionContext().with_physical_extension_codec(codec)
decoded = {plan_cls}.from_bytes(reader, data)
rows = []
for partition in range(decoded.partition_count):
    for batch in reader.execute(decoded, partition):
        rows += batch.to_pyarrow().column("d").to_pylist()
print(json.dumps({{"rows": sorted(rows), "calls": codec.calls}}))
"""


@pytest.mark.parametrize("host", HOSTS)
def test_physical_codec_carries_a_plugin_udf(
    run_python: RunPython, host: str, tmp_path: Any
) -> None:
    plan_cls = "host.ExecutionPlan" if host == "fuseplug" else "host.plan.ExecutionPlan"
    path = tmp_path / "x.parquet"
    out = in_host(run_python, host, PHYSICAL_ROUND_TRIP.format(plan_cls=plan_cls, path=path))
    assert out["rows"] == [2, 4, 6]
    assert out["calls"]["try_encode_udf"] >= 1
    assert out["calls"]["try_decode_udf"] >= 1
