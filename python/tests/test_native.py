"""Native extensions over Daft's stable C ABI: the example extension of this repository
(examples/native-extension) and daft-h3 from PyPI, loaded unchanged. Each case runs in a child
process, since it runs foreign native code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunPython = Callable[..., Any]

PRELUDE = """
import gc, json
import numpy as np
import pyarrow as pa
import fuseplug
from fuseplug import col
"""


def child(run_python: RunPython, body: str) -> Any:
    proc = run_python(PRELUDE + body, timeout=120)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_string_function_and_aggregate_in_sql_and_the_dataframe_api(run_python: RunPython) -> None:
    out = child(
        run_python,
        """
ctx = fuseplug.SessionContext()
ext = ctx.load_extension("fuseplug_native_example")
ctx.from_pydict(
    {"g": [1, 1, 2, 2, 2, 3], "s": ["abc", "hello", "xy", None, "xyz", None]}, name="t"
)
sql = ctx.sql("SELECT g, example_longest(s) AS l FROM t GROUP BY g ORDER BY g").to_pydict()
rev = ctx.sql("SELECT example_reverse(s) AS r FROM t ORDER BY g, s").to_pydict()
reverse = ctx.function("example_reverse")
longest = ctx.function("example_longest")
api = (
    ctx.table("t")
    .aggregate([col("g")], [longest(reverse(col("s"))).alias("l")])
    .sort(col("g"))
    .to_pydict()
)
print(json.dumps({"name": ext.name, "sql": sql, "rev": rev, "api": api}))
""",
    )
    assert out["name"] == "fuseplug_native_example"
    assert out["sql"] == {"g": [1, 2, 3], "l": ["hello", "xyz", None]}
    assert out["rev"] == {"r": ["cba", "olleh", "yx", "zyx", None, None]}
    assert out["api"] == {"g": [1, 2, 3], "l": ["olleh", "zyx", None]}


def test_aggregate_over_many_batches_and_partitions(run_python: RunPython) -> None:
    # Small batches and several partitions: partial states are combined by the extension, within a
    # partition (many `aggregate` calls) and across partitions (state, merge, `combine`).
    out = child(
        run_python,
        """
rng = np.random.default_rng(7)
n = 20_000
words = ["".join(rng.choice(list("abcdefgh"), size=k)) for k in rng.integers(1, 30, size=n)]
groups = rng.integers(0, 50, size=n)
table = pa.table({"g": groups, "s": words})
config = fuseplug.SessionConfig().with_batch_size(256).with_target_partitions(4)
ctx = fuseplug.SessionContext(config)
ctx.load_extension("fuseplug_native_example")
ctx.register_table("t", pa.Table.from_batches(table.to_batches(max_chunksize=500)))
got = ctx.sql("SELECT g, example_longest(s) AS l FROM t GROUP BY g ORDER BY g").to_pydict()
expected = {}
for g, s in zip(groups.tolist(), words):
    best = expected.get(g)
    if best is None or len(s) > len(best) or (len(s) == len(best) and s < best):
        expected[g] = s
print(json.dumps({"got": dict(zip(got["g"], got["l"])), "expected": expected}))
""",
    )
    assert out["got"] == out["expected"]


def test_vector_distances_match_numpy(run_python: RunPython) -> None:
    out = child(
        run_python,
        """
rng = np.random.default_rng(3)
n, dim = 500, 16
a32 = rng.normal(size=(n, dim)).astype(np.float32)
b32 = rng.normal(size=(n, dim)).astype(np.float32)
a64 = rng.normal(size=(n, dim))
b64 = rng.normal(size=(n, dim))
fixed = pa.FixedSizeListArray.from_arrays(pa.array(a32.ravel()), dim)
fixed_b = pa.FixedSizeListArray.from_arrays(pa.array(b32.ravel()), dim)
lists = pa.array(list(a64), pa.list_(pa.float64()))
lists_b = pa.array(list(b64), pa.list_(pa.float64()))
ctx = fuseplug.SessionContext()
fuseplug.load_extension("fuseplug_native_example", ctx)
ctx.register_table("v", pa.table({"fa": fixed, "fb": fixed_b, "la": lists, "lb": lists_b}))
got = ctx.sql(
    "SELECT example_l2_distance(fa, fb) AS l2_32, example_cosine_distance(fa, fb) AS cos_32, "
    "example_inner_product(fa, fb) AS ip_32, example_l2_distance(la, lb) AS l2_64, "
    "example_cosine_distance(la, lb) AS cos_64, example_inner_product(la, lb) AS ip_64, "
    "example_inner_product(fa, lb) AS mixed FROM v"
).to_pydict()

def expect(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    dot = (a * b).sum(axis=1)
    cos = 1 - dot / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return np.linalg.norm(a - b, axis=1), cos, dot

l2_32, cos_32, ip_32 = expect(a32, b32)
l2_64, cos_64, ip_64 = expect(a64, b64)
_, _, mixed = expect(a32, b64)
errors = {
    name: float(np.max(np.abs(np.array(got[name]) - want)))
    for name, want in [("l2_32", l2_32), ("cos_32", cos_32), ("ip_32", ip_32), ("l2_64", l2_64),
                       ("cos_64", cos_64), ("ip_64", ip_64), ("mixed", mixed)]
}
print(json.dumps({"errors": errors, "rows": len(got["l2_32"])}))
""",
    )
    assert out["rows"] == 500
    for name, error in out["errors"].items():
        assert error < 1e-9, name


def test_nulls_and_errors(run_python: RunPython) -> None:
    out = child(
        run_python,
        """
import fuseplug_native_example as example
from fuseplug.exceptions import ExecutionError, PlanError
ctx = fuseplug.SessionContext()
ctx.load_extension("fuseplug_native_example")
vectors = pa.array([[1.0, 2.0], None, [3.0, 4.0]], pa.list_(pa.float64()))
others = pa.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]], pa.list_(pa.float64()))
ctx.register_table("v", pa.table({"a": vectors, "b": others}))
nulls = ctx.sql(
    "SELECT example_inner_product(a, b) AS ip, example_cosine_distance(a, b) AS cos FROM v"
).to_pydict()
out = {"nulls": nulls}
bad = pa.array([[1.0, 2.0, 3.0]], pa.list_(pa.float64()))
ctx.register_table("w", pa.table({"a": bad, "b": pa.array([[1.0, 2.0]], pa.list_(pa.float64()))}))
try:
    ctx.sql("SELECT example_l2_distance(a, b) FROM w").collect()
except ExecutionError as e:
    out["mismatch"] = str(e)
try:
    ctx.sql("SELECT example_reverse(1)").collect()
except PlanError as e:
    out["type"] = str(e)
try:
    ctx.function("no_such_function")
except PlanError as e:
    out["unknown"] = str(e)
gc.collect()
out["live"] = example.live_objects()
print(json.dumps(out))
""",
    )
    assert out["nulls"] == {
        "ip": [1.0, None, 0.0],
        "cos": [pytest.approx(1 - 1 / 5**0.5), None, None],
    }
    assert "fuseplug_native_example.example_l2_distance" in out["mismatch"]
    assert "row 0 has vectors of lengths 3 and 2" in out["mismatch"]
    assert "example_reverse takes a string" in out["type"]
    assert "no_such_function" in out["unknown"]
    # every error string the extension allocated was freed with its free_string
    assert out["live"]["strings"] == 0


def test_loading_twice_is_harmless_and_nothing_leaks(run_python: RunPython) -> None:
    out = child(
        run_python,
        """
import fuseplug_native_example as example
first = fuseplug.load_extension("fuseplug_native_example")
listed = [(f.kind, f.name, f.extension, f.library == first.path) for f in first.functions]
after_listing = example.live_objects()["functions"]
ctx = fuseplug.SessionContext()
ctx.load_extension("fuseplug_native_example")
ctx.load_extension(first)
ctx.load_extension(example)
other = fuseplug.SessionContext()
again = other.load_extension(first.path)
ctx.from_pydict({"s": ["ab"]}, name="t")
one = ctx.sql("SELECT example_reverse(s) AS r FROM t").to_pydict()
loaded = example.live_objects()["functions"]
del ctx, other
gc.collect()
print(json.dumps({
    "listed": sorted(listed), "after_listing": after_listing, "one": one,
    "same_path": again.path == first.path, "loaded": loaded,
    "after_drop": example.live_objects()["functions"],
}))
""",
    )
    assert out["listed"] == sorted(
        [
            [kind, name, "fuseplug_native_example", True]
            for kind, name in [
                ("scalar", "example_reverse"),
                ("scalar", "example_l2_distance"),
                ("scalar", "example_cosine_distance"),
                ("scalar", "example_inner_product"),
                ("aggregate", "example_longest"),
            ]
        ]
    )
    assert out["after_listing"] == 0  # the listing's own functions were finalized
    assert out["one"] == {"r": ["ba"]}
    assert out["same_path"] is True
    # each session holds one set of five functions: reloading replaced (and finalized) the others
    assert out["loaded"] == 10
    assert out["after_drop"] == 0


def test_daft_h3_from_pypi_loads_unchanged(run_python: RunPython) -> None:
    # daft_h3 imports daft at the top, which is not installed: fuseplug finds its library without
    # importing the package. Expected cells come from the h3 package.
    out = child(
        run_python,
        """
import h3
points = {
    "lat": [37.7749, 51.5074, 35.6762, -33.8688, 0.0, -90.0],
    "lng": [-122.4194, -0.1278, 139.6503, 151.2093, 0.0, 0.0],
}
try:
    import daft_h3  # noqa: F401
    importable = True
except ImportError:
    importable = False
ctx = fuseplug.SessionContext()
ext = ctx.load_extension("daft_h3")
ctx.from_pydict(points, name="p")
got = ctx.sql(
    "SELECT h3_cell_to_str(h3_latlng_to_cell(lat, lng, arrow_cast(7, 'UInt8'))) AS cell, "
    "h3_cell_resolution(h3_latlng_to_cell(lat, lng, arrow_cast(9, 'UInt8'))) AS res, "
    "h3_cell_to_lat(h3_latlng_to_cell(lat, lng, arrow_cast(12, 'UInt8'))) AS clat "
    "FROM p"
).to_pydict()
distance = ctx.sql(
    "SELECT h3_grid_distance(h3_str_to_cell(a), h3_str_to_cell(b)) AS d FROM (VALUES ("
    f"'{h3.latlng_to_cell(37.7749, -122.4194, 7)}', '{h3.latlng_to_cell(37.80, -122.45, 7)}'"
    ")) AS t(a, b)"
).to_pydict()
# daft-h3 reads lat/lng as Float64 without checking: integers make it panic inside `call`; its own
# guard turns that into an error code and message, which must reach us as an exception.
try:
    ctx.sql(
        "SELECT h3_latlng_to_cell(CAST(1 AS BIGINT), CAST(2 AS BIGINT), arrow_cast(7, 'UInt8'))"
    ).collect()
    panicked = None
except fuseplug.exceptions.ExecutionError as e:
    panicked = str(e)
still = ctx.sql("SELECT h3_cell_resolution(h3_str_to_cell('872830828ffffff')) AS r").to_pydict()
expected = {
    "cell": [h3.latlng_to_cell(a, b, 7) for a, b in zip(points["lat"], points["lng"])],
    "clat": [h3.cell_to_latlng(h3.latlng_to_cell(a, b, 12))[0] for a, b in zip(points["lat"], points["lng"])],
    "d": h3.grid_distance(h3.latlng_to_cell(37.7749, -122.4194, 7), h3.latlng_to_cell(37.80, -122.45, 7)),
}
print(json.dumps({"importable": importable, "name": ext.name, "got": got, "expected": expected,
                  "distance": distance, "panicked": panicked, "still": still}))
""",
    )
    assert out["importable"] is False
    assert out["name"] == "h3_extension"
    assert out["got"]["cell"] == out["expected"]["cell"]
    assert out["got"]["res"] == [9] * 6
    assert out["got"]["clat"] == pytest.approx(out["expected"]["clat"], abs=1e-9)
    assert out["distance"] == {"d": [out["expected"]["d"]]}
    assert "h3_extension.h3_latlng_to_cell" in out["panicked"]
    assert "panic in call" in out["panicked"]
    assert out["still"] == {"r": [7]}


FUTURE_ABI = r"""
#include <stdint.h>
typedef struct { uint32_t version; const char *name; void *init; void *free_string; } module_t;
static int init(void *session) { (void)session; return 0; }
static void free_string(char *s) { (void)s; }
module_t daft_module_magic(void) {
    module_t m = { 2, "from_the_future", (void *)init, (void *)free_string };
    return m;
}
"""


def test_bad_libraries_are_refused(run_python: RunPython, tmp_path: Path) -> None:
    compiler = shutil.which("gcc") or shutil.which("cc")
    assert compiler, "a C compiler is needed to build the ABI-version-2 library"
    source = tmp_path / "future.c"
    source.write_text(FUTURE_ABI)
    future = tmp_path / "libfuture.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(future), str(source)], check=True)
    not_a_library = tmp_path / "garbage.so"
    not_a_library.write_bytes(b"\x7fELF but not really" * 10)
    out = child(
        run_python,
        f"""
from fuseplug.exceptions import IncompatiblePluginError, PluginError
import fuseplug_ffi_example  # a real shared library without daft_module_magic
from fuseplug.native import find_library
results = {{}}
cases = {{
    "future": {str(future)!r},
    "garbage": {str(not_a_library)!r},
    "no magic": fuseplug_ffi_example._internal.__file__,
    "missing file": "/nonexistent/libnothing.so",
    "unknown package": "no_such_package_here",
    "package without extension": "fuseplug_ffi_example",
}}
for label, target in cases.items():
    try:
        fuseplug.SessionContext().load_extension(target)
        results[label] = None
    except PluginError as e:
        results[label] = [type(e).__name__, str(e)]
results["after"] = fuseplug.SessionContext().sql("SELECT 1 AS one").to_pydict()
print(json.dumps(results))
""",
    )
    kind, message = out["future"]
    assert kind == "IncompatiblePluginError"
    assert "from_the_future" in message and "ABI version 2" in message and "version 1" in message
    for label in [
        "garbage",
        "no magic",
        "missing file",
        "unknown package",
        "package without extension",
    ]:
        assert out[label] is not None and out[label][0] == "PluginError", label
    assert "daft_module_magic" in out["no magic"][1]
    assert out["after"] == {"one": [1]}


ARROW_C_STRUCTS = r"""
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ArrowSchema {
    const char *format, *name, *metadata;
    int64_t flags, n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};
struct ArrowArray {
    int64_t length, null_count, offset, n_buffers, n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};
typedef int (*field_fn)(const void *, const struct ArrowSchema *, size_t, struct ArrowSchema *,
                        char **);
typedef int (*call_fn)(const void *, const struct ArrowArray *, const struct ArrowSchema *, size_t,
                       struct ArrowArray *, struct ArrowSchema *, char **);
typedef struct {
    const void *ctx;
    const char *(*name)(const void *);
    field_fn get_return_field;
    call_fn call;
    void (*fini)(void *);
} scalar_t;
typedef struct {
    const void *ctx;
    void *functions[6]; /* name, get_return_field, get_state_schema, aggregate, combine, finalize */
    void (*fini)(void *);
} aggregate_t;
typedef struct {
    void *ctx;
    int (*define_function)(void *, scalar_t);
    int (*define_aggregate_function)(void *, aggregate_t);
} session_t;
typedef struct {
    uint32_t daft_abi_version;
    const char *name;
    int (*init)(session_t *);
    void (*free_string)(char *);
} module_t;
"""

# A module that reports success without writing its result: `lazy(x)` returns 0 from `call` and
# leaves the out-parameters empty; `no_field(x)` does the same in `get_return_field`.
LAZY_MODULE = (
    ARROW_C_STRUCTS
    + r"""
static const char *lazy_name(const void *ctx) { (void)ctx; return "lazy"; }
static const char *no_field_name(const void *ctx) { (void)ctx; return "no_field"; }
static void release_schema(struct ArrowSchema *s) { s->release = NULL; }
static int int64_field(const void *ctx, const struct ArrowSchema *args, size_t n,
                       struct ArrowSchema *out, char **err) {
    (void)ctx; (void)args; (void)n; (void)err;
    memset(out, 0, sizeof *out);
    out->format = "l";
    out->name = "lazy";
    out->flags = 2;
    out->release = release_schema;
    return 0;
}
static int no_field(const void *ctx, const struct ArrowSchema *args, size_t n,
                    struct ArrowSchema *out, char **err) {
    (void)ctx; (void)args; (void)n; (void)out; (void)err;
    return 0;
}
static int lazy_call(const void *ctx, const struct ArrowArray *args,
                     const struct ArrowSchema *schemas, size_t n, struct ArrowArray *out_array,
                     struct ArrowSchema *out_schema, char **err) {
    (void)ctx; (void)out_array; (void)out_schema; (void)err;
    for (size_t i = 0; i < n; i++) { /* the inputs are ours: release them */
        struct ArrowArray *a = (struct ArrowArray *)&args[i];
        struct ArrowSchema *s = (struct ArrowSchema *)&schemas[i];
        if (a->release) a->release(a);
        if (s->release) s->release(s);
    }
    return 0;
}
static void fini(void *ctx) { (void)ctx; }
static int init(session_t *s) {
    scalar_t lazy = { NULL, lazy_name, int64_field, lazy_call, fini };
    scalar_t bad = { NULL, no_field_name, no_field, lazy_call, fini };
    s->define_function(s->ctx, lazy);
    s->define_function(s->ctx, bad);
    return 0;
}
static void free_string(char *s) { (void)s; }
module_t daft_module_magic(void) {
    module_t m = { 1, "lazy", init, free_string };
    return m;
}
"""
)


def compile_library(tmp_path: Path, name: str, source: str) -> Path:
    compiler = shutil.which("gcc") or shutil.which("cc")
    assert compiler, "a C compiler is needed to build the test library"
    c_file = tmp_path / f"{name}.c"
    c_file.write_text(source)
    library = tmp_path / f"lib{name}.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(library), str(c_file)], check=True)
    return library


def test_a_module_that_writes_no_result_is_a_plugin_error(
    run_python: RunPython, tmp_path: Path
) -> None:
    lazy = compile_library(tmp_path, "lazy", LAZY_MODULE)
    out = child(
        run_python,
        f"""
from fuseplug.exceptions import PluginError
ctx = fuseplug.SessionContext()
ctx.load_extension({str(lazy)!r})
ctx.from_pydict({{"x": [1, 2, 3]}}, name="t")
results = {{}}
for label, sql in {{"call": "SELECT lazy(x) FROM t", "field": "SELECT no_field(x) FROM t"}}.items():
    try:
        ctx.sql(sql).collect()
        results[label] = None
    except PluginError as e:
        results[label] = [type(e).__name__, str(e)]
results["after"] = ctx.sql("SELECT sum(x) AS s FROM t").to_pydict()
print(json.dumps(results))
""",
    )
    for label, function in [("call", "lazy.lazy"), ("field", "lazy.no_field")]:
        assert out[label] is not None, label
        kind, message = out[label]
        assert kind == "PluginError", label
        assert f"native function {function} returned success but wrote no result" in message
    assert out["after"] == {"s": [6]}


# A host that sends the example extension malformed arguments: an Arrow array whose schema is empty
# (arrow-rs panics on an assertion when it imports it) or an empty (released) array.
MALFORMED_HOST = (
    ARROW_C_STRUCTS
    + r"""
static scalar_t scalars[16];
static aggregate_t aggregates[16];
static int n_scalars, n_aggregates;
static int define_function(void *ctx, scalar_t f) {
    (void)ctx; if (n_scalars < 16) scalars[n_scalars++] = f; return 0;
}
static int define_aggregate(void *ctx, aggregate_t f) {
    (void)ctx; if (n_aggregates < 16) aggregates[n_aggregates++] = f; return 0;
}
static void release_schema(struct ArrowSchema *s) { s->release = NULL; }
static void release_array(struct ArrowArray *a) { a->release = NULL; }

/* Calls the module's first scalar function with one malformed argument (mode 0: an empty schema,
   mode 1: a released array), finalizes every function and returns the call's return code. */
int call_with_malformed_argument(module_t (*magic)(void), int mode, char *message, size_t capacity) {
    module_t module = magic();
    session_t session = { NULL, define_function, define_aggregate };
    n_scalars = n_aggregates = 0;
    if (module.init(&session) != 0 || n_scalars == 0) return -1;
    struct ArrowArray array, out_array;
    struct ArrowSchema schema, out_schema;
    memset(&array, 0, sizeof array); memset(&schema, 0, sizeof schema);
    memset(&out_array, 0, sizeof out_array); memset(&out_schema, 0, sizeof out_schema);
    if (mode == 0) {
        array.release = release_array;
    } else {
        schema.format = "u"; schema.name = ""; schema.flags = 2; schema.release = release_schema;
    }
    char *error = NULL;
    int rc = scalars[0].call(scalars[0].ctx, &array, &schema, 1, &out_array, &out_schema, &error);
    message[0] = 0;
    if (error) {
        strncpy(message, error, capacity - 1);
        message[capacity - 1] = 0;
        module.free_string(error);
    }
    if (out_array.release) out_array.release(&out_array);
    if (out_schema.release) out_schema.release(&out_schema);
    for (int i = 0; i < n_scalars; i++) scalars[i].fini((void *)scalars[i].ctx);
    for (int i = 0; i < n_aggregates; i++) aggregates[i].fini((void *)aggregates[i].ctx);
    return rc;
}
"""
)


def test_malformed_arguments_are_errors_inside_the_extension(
    run_python: RunPython, tmp_path: Path
) -> None:
    # Importing the host's arrays is the first thing an entry point does; it must happen inside the
    # entry point's panic trampoline, or a malformed array aborts the host.
    host = compile_library(tmp_path, "malformed_host", MALFORMED_HOST)
    out = child(
        run_python,
        f"""
import ctypes
import fuseplug_native_example as example
extension = ctypes.CDLL(example._native.__file__)
harness = ctypes.CDLL({str(host)!r})
harness.call_with_malformed_argument.argtypes = [
    ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t
]
magic = ctypes.cast(extension.daft_module_magic, ctypes.c_void_p)
results = {{}}
for mode, label in enumerate(["empty schema", "released array"]):
    message = ctypes.create_string_buffer(512)
    rc = harness.call_with_malformed_argument(magic, mode, message, 512)
    results[label] = [rc, message.value.decode()]
results["live"] = example.live_objects()
ctx = fuseplug.SessionContext()
ctx.load_extension("fuseplug_native_example")
results["after"] = ctx.sql("SELECT example_reverse('abc') AS r").to_pydict()
print(json.dumps(results))
""",
    )
    rc, message = out["empty schema"]
    assert rc == 1 and message.startswith("panic in call"), message
    rc, message = out["released array"]
    assert rc == 1 and "argument 0 is an empty (released) array" in message, message
    assert out["live"] == {"functions": 0, "strings": 0}
    assert out["after"] == {"r": ["cba"]}


class _CountingFile:
    """A binary file that adds up the bytes read from it."""

    def __init__(self, inner: Any, counts: dict[str, int], name: str) -> None:
        self._inner, self._counts, self._name = inner, counts, name
        counts.setdefault(name, 0)

    def read(self, size: int = -1) -> bytes:
        data: bytes = self._inner.read(size)
        self._counts[self._name] += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        position: int = self._inner.seek(offset, whence)
        return position

    def __enter__(self) -> _CountingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.close()


def _native_example_library() -> Path:
    from importlib.util import find_spec

    spec = find_spec("fuseplug_native_example")
    assert spec is not None and spec.submodule_search_locations
    (library,) = Path(spec.submodule_search_locations[0]).glob("_native*.so")
    return library


def test_finding_a_library_reads_only_symbol_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fuseplug
    from fuseplug import native

    package = tmp_path / "site" / "pkg_with_decoys"
    (package / "ext").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    # not a library, though it holds the magic name (at its end, 64 MiB in: a sparse file)
    decoy = package / "big.so"
    with decoy.open("wb") as f:
        f.truncate(64 << 20)
        f.seek(64 << 20)
        f.write(b"daft_module_magic")
    # a real shared library (fuseplug's own, ~100 MiB or more) without the symbol
    no_symbol = package / "no_symbol.so"
    no_symbol.symlink_to(fuseplug._internal.__file__)
    extension = package / "ext" / "_native.abi3.so"
    extension.symlink_to(_native_example_library())

    counts: dict[str, int] = {}
    real_open = open

    def counting_open(path: Any, mode: str = "r", *args: Any, **kwargs: Any) -> _CountingFile:
        return _CountingFile(real_open(path, mode, *args, **kwargs), counts, Path(path).name)

    def no_whole_reads(self: Path) -> bytes:
        raise AssertionError(f"{self} was read whole")

    monkeypatch.setattr(native, "open", counting_open, raising=False)
    monkeypatch.setattr(Path, "read_bytes", no_whole_reads)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))

    assert native.find_library("pkg_with_decoys") == extension
    assert native.find_library(extension) == extension
    assert counts["big.so"] <= 64  # its first bytes say it is no library
    assert 0 < counts["no_symbol.so"] < no_symbol.stat().st_size // 100
    assert counts["_native.abi3.so"] < extension.stat().st_size


def test_a_single_file_module_is_its_own_only_candidate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    from fuseplug import native
    from fuseplug.exceptions import PluginError

    site = tmp_path / "site"
    (site / "neighbour").mkdir(parents=True)
    (site / "neighbour" / "lib.so").symlink_to(_native_example_library())
    (site / "solo_module.py").write_text("")
    solo_extension = site / "solo_extension.so"
    solo_extension.symlink_to(_native_example_library())
    monkeypatch.syspath_prepend(str(site))

    # the library of a single-file module is that file, never one of its neighbours
    assert native.find_library("solo_extension") == solo_extension
    with pytest.raises(PluginError, match="no shared library exporting daft_module_magic"):
        native.find_library("solo_module")
    try:
        with pytest.raises(PluginError, match="no shared library exporting daft_module_magic"):
            native.find_library(importlib.import_module("solo_module"))
    finally:
        sys.modules.pop("solo_module", None)
