"""``fuseplug.common``: the type mappings, enums, ``DFSchema`` and the table / schema metadata
classes, checked by value here and against the official ``datafusion.common`` in child processes
(the official wheel is never imported into the test process)."""

from __future__ import annotations

import copy
import importlib.util
import json
import pickle
from collections.abc import Callable
from functools import partial
from typing import Any

import pyarrow as pa
import pytest

from fuseplug import SessionContext, common
from fuseplug.common import (
    Constraints,
    DataType,
    DataTypeMap,
    DFSchema,
    NullTreatment,
    PythonType,
    RexType,
    SqlFunction,
    SqlSchema,
    SqlStatistics,
    SqlTable,
    SqlType,
    SqlView,
    TableSource,
    TableType,
)

RunPython = Callable[..., Any]

needs_official = pytest.mark.skipif(
    importlib.util.find_spec("datafusion") is None, reason="the official wheel is not installed"
)

#: The pyarrow types whose mapping is compared with the official one, as source text so that the
#: child process builds the same types.
ARROW_TYPES = [
    "pa.null()",
    "pa.bool_()",
    "pa.int8()",
    "pa.int16()",
    "pa.int32()",
    "pa.int64()",
    "pa.uint8()",
    "pa.uint16()",
    "pa.uint32()",
    "pa.uint64()",
    "pa.float16()",
    "pa.float32()",
    "pa.float64()",
    "pa.string()",
    "pa.large_string()",
    "pa.string_view()",
    "pa.binary()",
    "pa.large_binary()",
    "pa.binary_view()",
    "pa.binary(4)",
    "pa.date32()",
    "pa.date64()",
    "pa.time32('s')",
    "pa.time32('ms')",
    "pa.time64('us')",
    "pa.time64('ns')",
    "pa.timestamp('s')",
    "pa.timestamp('ms')",
    "pa.timestamp('us')",
    "pa.timestamp('ns')",
    "pa.timestamp('us', tz='UTC')",
    "pa.duration('s')",
    "pa.duration('ns')",
    "pa.month_day_nano_interval()",
    "pa.decimal32(5, 2)",
    "pa.decimal64(12, 2)",
    "pa.decimal128(10, 2)",
    "pa.decimal256(40, 2)",
    "pa.list_(pa.int32())",
    "pa.large_list(pa.int32())",
    "pa.list_(pa.int32(), 3)",
    "pa.list_view(pa.int32())",
    "pa.large_list_view(pa.int32())",
    "pa.struct([('a', pa.int32())])",
    "pa.map_(pa.string(), pa.int32())",
    "pa.dictionary(pa.int32(), pa.string())",
    "pa.run_end_encoded(pa.int32(), pa.string())",
    "pa.dense_union([pa.field('a', pa.int32())])",
    "pa.sparse_union([pa.field('a', pa.int32())])",
]

ENUMS = ["PythonType", "RexType", "SqlType", "TableType"]


def outcome(call: Callable[[], DataTypeMap]) -> list[Any]:
    """``["ok", python type, sql type, friendly name]`` or ``["error", exception class]``; the
    child processes print the same shape for the official module."""
    try:
        m = call()
    except Exception as e:
        return ["error", type(e).__name__]
    return ["ok", m.python_type.name, m.sql_type.name, m.friendly_arrow_type_name()]


def run_official(run_python: RunPython, code: str) -> Any:
    """Run ``code`` (which defines ``result``) with the official wheel in a child process and
    return ``result`` through JSON."""
    preamble = (
        "import json\n"
        "import pyarrow as pa\n"
        "import datafusion\n"
        "import datafusion.common as c\n"
        "def outcome(call):\n"
        "    try:\n"
        "        m = call()\n"
        "    except Exception as e:\n"
        "        return ['error', type(e).__name__]\n"
        "    return ['ok', str(m.python_type).split('.', 1)[1], str(m.sql_type).split('.', 1)[1],\n"
        "            m.friendly_arrow_type_name()]\n"
    )
    proc = run_python(preamble + code + "\nprint(json.dumps(result))\n", timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- the module ---------------------------------------------------------------------------------


@needs_official
def test_public_names_match_the_official_module(run_python: RunPython) -> None:
    official = run_official(run_python, "result = sorted(c.__all__)")
    assert sorted(common.__all__) == official
    for name in official:
        assert getattr(common, name).__module__ == "fuseplug.common"


@needs_official
def test_enum_members_and_values_match_the_official_module(run_python: RunPython) -> None:
    official = run_official(
        run_python,
        f"result = {{n: {{k: int(v) for k, v in vars(getattr(c, n)).items()"
        f" if isinstance(v, getattr(c, n))}} for n in {ENUMS!r}}}",
    )
    for name in ENUMS:
        enum_cls = getattr(common, name)
        assert {m.name: int(m) for m in enum_cls} == official[name], name


# --- enums --------------------------------------------------------------------------------------


def test_enums_behave_like_the_compiled_ones() -> None:
    assert PythonType.Int == 5 and int(PythonType.Int) == 5
    assert 5 == PythonType.Int  # noqa: SIM300  # the reflected comparison
    assert PythonType.Bool == True  # noqa: E712  # the compiled enums compare with ints, bools too
    assert PythonType.Int != SqlType.CHAR  # both are 5, but different enums
    assert PythonType.Int != 5.0 and PythonType.Int != "Int"
    assert repr(SqlType.BIGINT) == str(SqlType.BIGINT) == "SqlType.BIGINT"
    assert PythonType["None"] is getattr(PythonType, "None")
    assert int(PythonType["None"]) == 7 and str(PythonType["None"]) == "PythonType.None"
    assert len(SqlType) == 48 and SqlType.VARCHAR.value == 47
    assert [m.name for m in RexType] == [
        "Alias",
        "Literal",
        "Call",
        "Reference",
        "ScalarSubquery",
        "Other",
    ]
    assert [int(m) for m in TableType] == [0, 1, 2] and TableType(1) is TableType.View
    assert {PythonType.Int: "i"}[PythonType.Int] == "i" and hash(PythonType.Int) == hash(5)
    assert pickle.loads(pickle.dumps(SqlType.DATE)) is SqlType.DATE
    assert NullTreatment.IGNORE_NULLS.name == "IGNORE_NULLS"


# --- DataType -----------------------------------------------------------------------------------


def test_data_type_wraps_a_pyarrow_type() -> None:
    dt = DataType(pa.timestamp("us", tz="UTC"))
    assert dt.pyarrow_type == pa.timestamp("us", tz="UTC")
    assert dt == DataType(pa.timestamp("us", tz="UTC")) and dt == pa.timestamp("us", tz="UTC")
    assert pa.timestamp("us", tz="UTC") == dt  # pyarrow defers to DataType.__eq__
    assert dt != DataType(pa.timestamp("us")) and dt != "timestamp"
    assert hash(dt) == hash(DataType(pa.timestamp("us", tz="UTC")))
    assert repr(dt) == "DataType(timestamp[us, tz=UTC])" and str(dt) == "timestamp[us, tz=UTC]"
    assert DataType(dt) == dt  # a DataType is taken as well
    # the Arrow PyCapsule interface, both ways
    assert pa.DataType._import_from_c_capsule(dt.__arrow_c_schema__()) == dt.pyarrow_type

    class Exporter:
        def __arrow_c_schema__(self) -> object:
            return pa.int16().__arrow_c_schema__()

    assert DataType(Exporter()).pyarrow_type == pa.int16()
    assert pickle.loads(pickle.dumps(dt)) == dt
    with pytest.raises(TypeError, match=r"pyarrow\.DataType"):
        DataType("int64")


# --- DataTypeMap --------------------------------------------------------------------------------


def test_arrow_maps_the_common_types() -> None:
    m = DataTypeMap.arrow(pa.int64())
    assert (m.python_type, m.sql_type) == (PythonType.Int, SqlType.BIGINT)
    assert m.friendly_arrow_type_name() == "Int64"
    assert isinstance(m.arrow_type, DataType) and m.arrow_type.pyarrow_type == pa.int64()
    expected = {
        pa.null(): (PythonType["None"], SqlType.NULL, "Null"),
        pa.bool_(): (PythonType.Bool, SqlType.BOOLEAN, "Boolean"),
        pa.uint16(): (PythonType.Int, SqlType.SMALLINT, "UInt16"),
        pa.int32(): (PythonType.Int, SqlType.INTEGER, "Int32"),
        pa.float32(): (PythonType.Float, SqlType.FLOAT, "Float32"),
        pa.string(): (PythonType.Str, SqlType.VARCHAR, "Utf8"),
        pa.large_binary(): (PythonType.Bytes, SqlType.BINARY, "LargeBinary"),
        pa.time64("ns"): (PythonType.Datetime, SqlType.DATE, "Time64"),
        pa.timestamp("ns", tz="UTC"): (PythonType.Datetime, SqlType.DATE, "Timestamp"),
        pa.month_day_nano_interval(): (PythonType.Datetime, SqlType.INTERVAL_MONTH, "Interval"),
        pa.decimal128(10, 2): (PythonType.Float, SqlType.DECIMAL, "Decimal128"),
    }
    for arrow_type, (python_type, sql_type, name) in expected.items():
        m = DataTypeMap.arrow(arrow_type)
        assert (m.python_type, m.sql_type, m.friendly_arrow_type_name()) == (
            python_type,
            sql_type,
            name,
        ), arrow_type
        assert m.arrow_type == arrow_type  # the type itself, parameters included
    # a DataType is accepted as in the official bindings
    assert DataTypeMap.arrow(DataType(pa.int8())).sql_type is SqlType.TINYINT


def test_arrow_refuses_the_types_without_a_mapping() -> None:
    for arrow_type in [
        pa.string_view(),
        pa.duration("s"),
        pa.binary(3),
        pa.list_(pa.int64()),
        pa.struct([("a", pa.int64())]),
        pa.dictionary(pa.int8(), pa.string()),
        pa.uuid(),  # an extension type counts as its storage type, fixed_size_binary(16)
    ]:
        with pytest.raises(NotImplementedError):
            DataTypeMap.arrow(arrow_type)
    with pytest.raises(TypeError):
        DataTypeMap.arrow("int64")


@needs_official
def test_arrow_mapping_matches_the_official_one(run_python: RunPython) -> None:
    # The official DataTypeMap.arrow takes only its own DataType objects, which a cast expression's
    # types() gives; types() maps the cast's type with the same function (and the same errors).
    official = run_official(
        run_python,
        f"types = [{', '.join(ARROW_TYPES)}]\n"
        "result = [outcome(lambda: c.DataTypeMap.arrow(\n"
        "    datafusion.lit(None).cast(t).types().arrow_type)) for t in types]\n",
    )
    ours = [outcome(partial(DataTypeMap.arrow, eval(t))) for t in ARROW_TYPES]
    assert dict(zip(ARROW_TYPES, ours, strict=True)) == dict(
        zip(ARROW_TYPES, official, strict=True)
    )
    assert sum(o[0] == "ok" for o in ours) == 33  # the table is not trivially all errors


#: Where DataTypeMap.sql deliberately differs from the official table (docs/compatibility.md):
#: the official maps INTEGER to Int8, FLOAT to Decimal128(1, 1), DOUBLE to Decimal256(1, 1) and
#: DECIMAL to Decimal128(1, 1).
SQL_FIXES = {
    "INTEGER": (pa.int32(), "Decimal128"),
    "FLOAT": (pa.float32(), "Decimal128"),
    "DOUBLE": (pa.float64(), "Decimal256"),
    "DECIMAL": (pa.decimal128(38, 10), "Decimal128"),
}


@needs_official
def test_sql_mapping_matches_the_official_one(run_python: RunPython) -> None:
    names = [m.name for m in SqlType]
    official = run_official(
        run_python,
        f"result = [outcome(lambda n=n: c.DataTypeMap.sql(getattr(c.SqlType, n))) for n in {names!r}]",
    )
    official_by_name = dict(zip(names, official, strict=True))
    for name in names:
        ours = outcome(partial(DataTypeMap.sql, SqlType[name]))
        if name in SQL_FIXES:
            assert ours[:3] == official_by_name[name][:3], name
            assert official_by_name[name][3] == (
                "Int8" if name == "INTEGER" else SQL_FIXES[name][1]
            )
        else:
            assert ours == official_by_name[name], name
    assert sum(o[0] == "ok" for o in official) == 14


def test_sql_maps_sql_types() -> None:
    m = DataTypeMap.sql(SqlType.VARCHAR)
    assert (m.arrow_type.pyarrow_type, m.python_type, m.sql_type) == (
        pa.string(),
        PythonType.Str,
        SqlType.VARCHAR,
    )
    assert DataTypeMap.sql(SqlType.VARBINARY).arrow_type == pa.large_binary()
    assert DataTypeMap.sql(SqlType.DATE).arrow_type == pa.date64()
    assert DataTypeMap.sql(SqlType.CHAR).arrow_type == pa.uint8()
    for name, (arrow_type, _) in SQL_FIXES.items():
        assert DataTypeMap.sql(SqlType[name]).arrow_type == arrow_type
    for sql_type in (SqlType.TIMESTAMP, SqlType.REAL, SqlType.INTERVAL_DAY, SqlType.ANY):
        with pytest.raises(NotImplementedError, match=sql_type.name):
            DataTypeMap.sql(sql_type)
    with pytest.raises(TypeError):
        DataTypeMap.sql(2)  # type: ignore[arg-type]


#: Names both implementations know (plus unknown ones both refuse), compared with the official.
ARROW_STRS = [
    "Int64",
    "int64",
    "INT8",
    "uint32",
    "bool",
    "Boolean",
    "float",
    "double",
    "float16",
    "Float64",
    "datetime64[ns]",
    "datetime64[ns, Europe/Berlin]",
    "object",
    "bogus",
    "Decimal128(10, 2)",
    "",
]


@needs_official
def test_arrow_str_matches_the_official_one(run_python: RunPython) -> None:
    official = run_official(
        run_python,
        f"result = [outcome(lambda s=s: c.DataTypeMap.arrow_str(s)) for s in {ARROW_STRS!r}]",
    )
    ours = [outcome(partial(DataTypeMap.arrow_str, s)) for s in ARROW_STRS]
    assert dict(zip(ARROW_STRS, ours, strict=True)) == dict(zip(ARROW_STRS, official, strict=True))


def test_arrow_str_reads_dtype_names_and_pyarrow_aliases() -> None:
    assert DataTypeMap.arrow_str("Int64").sql_type is SqlType.BIGINT
    assert DataTypeMap.arrow_str("float").arrow_type == pa.float32()  # as the official
    assert DataTypeMap.arrow_str("datetime64[ns, UTC]").arrow_type == pa.date64()
    assert DataTypeMap.arrow_str("object").arrow_type == pa.string()
    # beyond the official names: pyarrow's aliases
    assert DataTypeMap.arrow_str("string").arrow_type == pa.string()
    assert DataTypeMap.arrow_str("Utf8").python_type is PythonType.Str
    assert DataTypeMap.arrow_str("large_string").friendly_arrow_type_name() == "LargeUtf8"
    assert DataTypeMap.arrow_str("timestamp[ms]").arrow_type == pa.timestamp("ms")
    with pytest.raises(ValueError, match="bogus"):
        DataTypeMap.arrow_str("bogus")
    with pytest.raises(NotImplementedError):
        DataTypeMap.arrow_str("duration[s]")  # a known type without a mapping


PARQUET_STRS = ["BOOLEAN", "int32", "INT64", "INT96", "FLOAT", "double", "BYTE_ARRAY"]
PARQUET_STRS += ["FIXED_LEN_BYTE_ARRAY", "int8", "x"]


@needs_official
def test_from_parquet_type_str_matches_the_official_one(run_python: RunPython) -> None:
    official = run_official(
        run_python,
        f"result = [outcome(lambda s=s: c.DataTypeMap.from_parquet_type_str(s)) for s in {PARQUET_STRS!r}]",
    )
    ours = [outcome(partial(DataTypeMap.from_parquet_type_str, s)) for s in PARQUET_STRS]
    assert dict(zip(PARQUET_STRS, ours, strict=True)) == dict(
        zip(PARQUET_STRS, official, strict=True)
    )


def test_from_parquet_type_str() -> None:
    m = DataTypeMap.from_parquet_type_str("INT32")
    assert (m.arrow_type, m.python_type, m.sql_type) == (
        pa.int32(),
        PythonType.Int,
        SqlType.INTEGER,
    )
    assert DataTypeMap.from_parquet_type_str("int96").arrow_type == pa.timestamp("ns")
    assert DataTypeMap.from_parquet_type_str("byte_array").arrow_type == pa.string()
    with pytest.raises(ValueError, match="FIXED_LEN_BYTE_ARRAY"):
        DataTypeMap.from_parquet_type_str("FIXED_LEN_BYTE_ARRAY")


def test_data_type_map_constructor_and_properties() -> None:
    m = DataTypeMap(pa.list_(pa.int64()), PythonType.List, SqlType.ARRAY)
    assert m.friendly_arrow_type_name() == "List"  # any type can be described by name
    assert m.arrow_type == DataType(pa.list_(pa.int64()))
    # the properties are settable, as in the official bindings
    m.sql_type = SqlType.MULTISET
    m.python_type = PythonType.Array
    m.arrow_type = DataType(pa.large_list(pa.int64()))
    assert (m.friendly_arrow_type_name(), m.python_type, m.sql_type) == (
        "LargeList",
        PythonType.Array,
        SqlType.MULTISET,
    )
    m.arrow_type = pa.string_view()
    assert m.friendly_arrow_type_name() == "Utf8View" and isinstance(m.arrow_type, DataType)
    with pytest.raises(TypeError, match="python_type"):
        DataTypeMap(pa.int8(), 5, SqlType.TINYINT)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="sql_type"):
        m.sql_type = PythonType.Int  # type: ignore[assignment]
    with pytest.raises(AttributeError):
        m.extra = 1  # type: ignore[attr-defined]
    kw = DataTypeMap(arrow_type=pa.int8(), python_type=PythonType.Int, sql_type=SqlType.TINYINT)
    assert repr(kw) == (
        "DataTypeMap(arrow_type=DataType(int8), python_type=PythonType.Int, "
        "sql_type=SqlType.TINYINT)"
    )
    again = pickle.loads(pickle.dumps(kw))
    assert (again.arrow_type, again.python_type, again.sql_type) == (
        pa.int8(),
        PythonType.Int,
        SqlType.TINYINT,
    )
    names = {
        pa.duration("ms"): "Duration",
        pa.binary(2): "FixedSizeBinary",
        pa.map_(pa.int8(), pa.int8()): "Map",
        pa.dense_union([pa.field("a", pa.int8())]): "Union",
        pa.run_end_encoded(pa.int32(), pa.int8()): "RunEndEncoded",
        pa.decimal256(40, 1): "Decimal256",
        pa.large_list_view(pa.int8()): "LargeListView",
        pa.uuid(): "FixedSizeBinary",
    }
    for arrow_type, name in names.items():
        got = DataTypeMap(arrow_type, PythonType.Object, SqlType.OTHER).friendly_arrow_type_name()
        assert got == name, arrow_type


# --- DFSchema -----------------------------------------------------------------------------------


def test_dfschema_empty_and_not_constructible() -> None:
    empty = DFSchema.empty()
    assert empty.field_names() == [] and len(empty) == 0
    assert empty == DFSchema.empty() and repr(empty) == "DFSchema()"
    assert empty._parts() == ([], pa.schema([]))
    with pytest.raises(TypeError, match="empty"):
        DFSchema()


def test_dfschema_parts_and_field_names() -> None:
    arrow = pa.schema(
        [("a", pa.int64()), pa.field("b", pa.string(), nullable=False), ("one", pa.int64())]
    )
    schema = DFSchema._from_parts(["t", "s2.u", None], arrow)
    # as the official: the qualifier (a possibly dotted table reference) and the name, joined
    assert schema.field_names() == ["t.a", "s2.u.b", "one"]
    assert len(schema) == 3
    qualifiers, back = schema._parts()
    assert qualifiers == ["t", "s2.u", None] and back.equals(arrow)
    qualifiers.append("x")  # _parts returns a fresh list
    assert schema._parts()[0] == ["t", "s2.u", None]
    assert repr(schema) == "DFSchema(t.a: int64, s2.u.b: string not null, one: int64)"
    assert pa.schema(schema).equals(arrow)  # through __arrow_c_schema__
    same = DFSchema._from_parts(("t", "s2.u", None), arrow)
    assert same == schema and hash(same) == hash(schema)
    assert DFSchema._from_parts([None, "s2.u", None], arrow) != schema
    with_metadata = DFSchema._from_parts(["t", "s2.u", None], arrow.with_metadata({"k": "v"}))
    assert with_metadata != schema
    assert pickle.loads(pickle.dumps(schema)) == schema and copy.copy(schema) == schema


def test_dfschema_refuses_bad_parts() -> None:
    two = pa.schema([("a", pa.int64()), ("a", pa.int64())])
    with pytest.raises(ValueError, match="2 fields"):
        DFSchema._from_parts(["t"], two)
    # name clashes are left to DataFusion, which checks them when the schema goes back to it
    assert DFSchema._from_parts(["t", None], two).field_names() == ["t.a", "a"]
    assert DFSchema._from_parts(["t", "u"], two).field_names() == ["t.a", "u.a"]
    with pytest.raises(TypeError):
        DFSchema._from_parts([1, None], two)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        DFSchema._from_parts(["t", "u"], {"a": "int64"})


# --- tables and schemas -------------------------------------------------------------------------


def test_constraints() -> None:
    cs = Constraints([("primary_key", [0]), ("unique", (1, 2)), ("unique", [3])])
    assert cs.primary_key == [0] and cs.unique == [[1, 2], [3]]
    assert list(cs) == [("primary_key", [0]), ("unique", [1, 2]), ("unique", [3])]
    assert len(cs) == 3 and cs == Constraints(list(cs)) and hash(cs) == hash(Constraints(list(cs)))
    assert repr(cs) == "Constraints([('primary_key', [0]), ('unique', [1, 2]), ('unique', [3])])"
    none = Constraints()
    assert none.primary_key is None and none.unique == [] and len(none) == 0
    with pytest.raises(ValueError, match="foreign"):
        Constraints([("foreign", [0])])
    with pytest.raises(TypeError):
        Constraints([("unique", [-1])])


def test_table_source(ctx: SessionContext) -> None:
    arrow = pa.schema([("a", pa.int32()), ("b", pa.string())])
    base = TableSource(arrow, constraints=Constraints([("primary_key", [0])]))
    assert base.schema().equals(arrow) and base.table_type() is TableType.Base
    assert base.constraints() == Constraints([("primary_key", [0])])
    assert base.get_logical_plan() is None
    assert repr(base) == "TableSource(TableType.Base, [a, b])"
    plan = ctx.sql("select 1 as a").logical_plan()
    view = TableSource(pa.schema([("a", pa.int64())]), TableType.View, None, plan)
    assert view.table_type() is TableType.View and view.get_logical_plan() is plan
    assert view.constraints() is None
    with pytest.raises(TypeError, match="LogicalPlan"):
        TableSource(arrow, logical_plan="select 1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="TableType"):
        TableSource(arrow, table_type="view")  # type: ignore[arg-type]


def test_sql_statistics_and_view_and_function() -> None:
    stats = SqlStatistics(10)
    assert stats.getRowCount() == 10.0 and isinstance(stats.getRowCount(), float)
    assert (
        SqlStatistics(row_count=2.5) == SqlStatistics(2.5) and repr(stats) == "SqlStatistics(10.0)"
    )
    with pytest.raises(TypeError, match="real number"):
        SqlStatistics("10")  # type: ignore[arg-type]

    view = SqlView("v", "select 1")
    view.definition = "select 2"
    assert (view.name, view.definition) == ("v", "select 2")
    with pytest.raises(TypeError):
        view.name = 3  # type: ignore[assignment]

    fn = SqlFunction("plus", [pa.int64(), pa.int64()], pa.int64())
    fn.add_type_mapping([DataType(pa.float64())], pa.float64())
    assert fn.name == "plus" and fn.aggregation is False
    assert fn.return_types == {
        (DataType(pa.int64()), DataType(pa.int64())): DataType(pa.int64()),
        (DataType(pa.float64()),): DataType(pa.float64()),
    }
    assert SqlFunction("total", [pa.int64()], pa.int64(), aggregation=True).aggregation
    assert repr(fn) == "SqlFunction('plus', 2 signature(s))"


def test_sql_table() -> None:
    int64 = DataTypeMap.arrow(pa.int64())
    table = SqlTable("t", [("a", int64), ("b", DataTypeMap.arrow(pa.string()))], 5)
    assert table.name == "t" and table.statistics.getRowCount() == 5.0
    assert [(n, m.friendly_arrow_type_name()) for n, m in table.columns] == [
        ("a", "Int64"),
        ("b", "Utf8"),
    ]
    assert table.filepaths is None and table.primary_key is None
    assert table.foreign_keys == [] and table.indexes == [] and table.constraints == []
    # values, as the official: the returned lists and column mappings are copies
    table.columns[0][1].sql_type = SqlType.TINYINT
    table.indexes.append("ix")
    assert table.columns[0][1].sql_type is SqlType.BIGINT and table.indexes == []
    int64.sql_type = SqlType.OTHER  # nor does the table share the mapping it was given
    assert table.columns[0][1].sql_type is SqlType.BIGINT
    table.primary_key, table.indexes, table.foreign_keys = "a", ["ix"], ["b"]
    table.constraints, table.filepaths = ["pk"], ["a.parquet"]
    table.statistics = SqlStatistics(7)
    table.name = "u"
    assert (table.name, table.primary_key, table.indexes, table.foreign_keys) == (
        "u",
        "a",
        ["ix"],
        ["b"],
    )
    assert table.constraints == ["pk"] and table.filepaths == ["a.parquet"]
    assert table.statistics.getRowCount() == 7.0
    assert repr(table) == "SqlTable('u', [a: int64, b: string], rows=7.0)"
    named = SqlTable(table_name="f", columns=[], row_count=1.5, filepaths=["x", "y"])
    assert named.filepaths == ["x", "y"] and named.statistics.getRowCount() == 1.5
    with pytest.raises(TypeError):
        SqlTable("t", [("a", 1)], 5)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        SqlTable("t", ["a"], 5)  # type: ignore[list-item]
    with pytest.raises(TypeError):
        table.indexes = "ix"


def test_sql_schema() -> None:
    schema = SqlSchema("s")
    assert (schema.name, schema.tables, schema.views, schema.functions) == ("s", [], [], [])
    t = SqlTable("t", [("a", DataTypeMap.arrow(pa.int64()))], 5)
    schema.add_table(t)
    schema.add_table(SqlTable("t", [], 9))  # a second table of that name is kept
    schema.add_table(SqlTable("u", [], 1))
    assert [x.name for x in schema.tables] == ["t", "t", "u"]
    first = schema.table_by_name("t")
    assert first is not None and first.statistics.getRowCount() == 5.0
    assert schema.table_by_name("T") is None and schema.table_by_name("zz") is None
    # values: the schema copies the table it is given and the tables it returns
    t.name = "renamed"
    first.name = "changed"
    schema.tables[0].name = "changed"
    assert [x.name for x in schema.tables] == ["t", "t", "u"]
    schema.drop_table("t")  # every table of that name
    assert [x.name for x in schema.tables] == ["u"]
    schema.drop_table("zz")  # no error
    schema.views = [SqlView("v", "select 1")]
    schema.functions = [SqlFunction("f", [], pa.int64())]
    assert [v.definition for v in schema.views] == ["select 1"]
    assert [f.name for f in schema.functions] == ["f"]
    schema.tables = []
    schema.name = "s2"
    assert schema.name == "s2" and schema.tables == []
    assert repr(schema) == "SqlSchema('s2', tables=[])"
    with pytest.raises(TypeError):
        schema.add_table("t")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        schema.views = ["v"]  # type: ignore[list-item]


#: Run with ``c`` bound to either module; prints what a user of the official API can observe.
SCENARIO = """
m = c.DataTypeMap.arrow_str("int64")
t = c.SqlTable("t", [("a", m)], 5)
out = [t.name, [(n, x.friendly_arrow_type_name(), str(x.sql_type)) for n, x in t.columns],
       t.filepaths, t.primary_key, t.foreign_keys, t.indexes, t.constraints,
       t.statistics.getRowCount()]
t.columns[0][1].sql_type = c.SqlType.TINYINT
out.append(str(t.columns[0][1].sql_type))
s = c.SqlSchema("s")
s.add_table(t)
t.name = "renamed"
s.add_table(c.SqlTable("t", [], 9, ["f.parquet"]))
out += [[x.name for x in s.tables], s.table_by_name("t").statistics.getRowCount(),
        s.table_by_name("nope"), s.views, s.functions]
s.drop_table("t")
out += [[x.name for x in s.tables], c.SqlStatistics(3).getRowCount()]
for bad in (lambda: c.SqlStatistics("x"), lambda: c.SqlTable("t", [("a", 1)], 1),
            lambda: s.add_table("x"), lambda: c.DataTypeMap.arrow_str("bogus"),
            lambda: c.DataTypeMap.sql(c.SqlType.ANY), lambda: c.DFSchema()):
    try:
        bad()
        out.append("no error")
    except Exception as e:
        out.append(type(e).__name__)
out += [c.DFSchema.empty().field_names(), str(c.PythonType.Int), c.PythonType.Int == 5]
result = out
"""


@needs_official
def test_scenario_matches_the_official_module(run_python: RunPython) -> None:
    official = run_official(run_python, SCENARIO)
    namespace: dict[str, Any] = {"c": common}
    exec(SCENARIO, namespace)
    assert json.loads(json.dumps(namespace["result"])) == official
