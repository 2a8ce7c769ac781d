"""No panic crosses a C boundary: a panic in a datafusion-ffi plugin's code (the test hooks of
examples/ffi-example: a UDF body, a table scan, a poll of the scan's stream) reaches fuseplug and the
official ``datafusion`` 55 wheel as an error, and the process goes on to run the next query. Each
case runs in a subprocess: without the plugin's guards, the process aborts."""

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
ctx.register_udf(host.udf(ex.DoubleUdf()))
ctx.register_table("items", ex.MemoryTable())

def attempt(sql):
    try:
        return ["ok", ctx.sql(sql).to_pydict()]
    except Exception as e:
        return [type(e).__name__, str(e)]

def after():
    return ctx.sql("SELECT double(id) AS d FROM items ORDER BY id").to_pydict()
"""

# The error class each host raises for an execution error that crossed datafusion-ffi (errors cross
# as strings): fuseplug reads the producer's "Execution error" prefix and raises
# PluginExecutionError (a PluginError and an ExecutionError), the official wheel a bare Exception.
FFI_ERROR = {"fuseplug": "PluginExecutionError", "datafusion": "Exception"}


def in_host(run_python: RunPython, host: str, body: str) -> Any:
    proc = run_python(PRELUDE.format(host=host) + body, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("host", HOSTS)
def test_a_panic_in_a_plugin_udf_is_an_error(run_python: RunPython, host: str) -> None:
    out = in_host(
        run_python,
        host,
        """
ctx.register_udf(host.udf(ex.PanickingUdf()))
first = attempt("SELECT example_panic(id) AS p FROM items")
second = attempt("SELECT example_panic(id) AS p FROM items")
print(json.dumps({"first": first, "second": second, "after": after()}))
""",
    )
    for kind, message in (out["first"], out["second"]):
        assert kind == FFI_ERROR[host]
        assert "Execution error: panic in example_panic(): example_panic() panics on purpose" in (
            message
        )
    assert out["after"] == {"d": [2, 4, 6]}


@pytest.mark.parametrize("at", ["scan", "stream"])
@pytest.mark.parametrize("host", HOSTS)
def test_a_panic_in_a_plugin_table_scan_is_an_error(
    run_python: RunPython, host: str, at: str
) -> None:
    out = in_host(
        run_python,
        host,
        f"""
ctx.register_table("boom", ex.PanickingTable({at!r}))
first = attempt("SELECT count(*) AS n FROM boom")
second = attempt("SELECT v FROM boom")
print(json.dumps({{"first": first, "second": second, "after": after()}}))
""",
    )
    for kind, message in (out["first"], out["second"]):
        assert kind == FFI_ERROR[host]
        assert f"Execution error: panic in example PanickingTable {at}: " in message
        assert f"PanickingTable panics in its {at} on purpose" in message
    assert out["after"] == {"d": [2, 4, 6]}


@pytest.mark.parametrize("host", HOSTS)
def test_plugin_arithmetic_overflow_is_an_error_not_a_panic(
    run_python: RunPython, host: str
) -> None:
    # In a debug build `v * 2` and `v * v` used to panic on overflow (an abort across FFI); in a
    # release build they wrapped silently. Both are now checked.
    out = in_host(
        run_python,
        host,
        """
ctx.register_udaf(host.udaf(ex.SumOfSquaresUdaf()))
double = attempt("SELECT double(9223372036854775807) AS d")
square = attempt("SELECT sum_of_squares(x) AS s FROM (VALUES (3037000500)) AS t(x)")
total = attempt("SELECT sum_of_squares(x) AS s FROM (VALUES (3037000499), (3037000499)) AS t(x)")
print(json.dumps({"double": double, "square": square, "sum": total, "after": after()}))
""",
    )
    assert out["double"][0] == FFI_ERROR[host]
    assert "double(): Int64 overflow" in out["double"][1]
    for case in ("square", "sum"):
        assert out[case][0] == FFI_ERROR[host], case
        assert "sum_of_squares(): Int64 overflow" in out[case][1], case
    assert out["after"] == {"d": [2, 4, 6]}


def test_panicking_table_checks_its_argument() -> None:
    import fuseplug_ffi_example as ex

    with pytest.raises(ValueError, match="at must be 'scan' or 'stream'"):
        ex.PanickingTable("nowhere")
