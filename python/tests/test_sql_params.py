"""Parameterised SQL and SQLOptions: values are bound, never spliced into the text; DataFrames
passed by name are read as tables for that one statement."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pyarrow as pa
import pytest

from fuseplug import SessionContext, SQLOptions
from fuseplug.exceptions import FuseplugError, PlanError


def test_param_values_bind_typed_values(ctx: SessionContext) -> None:
    out = ctx.sql(
        "SELECT $n + 1 AS n, $s AS s, $d AS d, $day AS day, $x AS x",
        param_values={
            "n": 41,
            "s": "it's",
            "d": Decimal("1.50"),
            "day": datetime.date(2026, 11, 30),
            "x": pa.scalar(2.5, pa.float32()),
        },
    )
    assert out.to_pydict() == {
        "n": [42],
        "s": ["it's"],
        "d": [Decimal("1.50")],
        "day": [datetime.date(2026, 11, 30)],
        "x": [2.5],
    }
    assert out.schema().field("x").type == pa.float32()


def test_named_params_bind_values_and_read_dataframes(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1, 2, 3], "s": ["x", "y", "z"]})
    before = set(ctx.catalog().schema().names())
    out = ctx.sql("SELECT a, '$low' AS literal FROM $t WHERE a > $low ORDER BY a", t=df, low=1)
    # the placeholder inside a string literal is text, not a parameter
    assert out.to_pydict() == {"a": [2, 3], "literal": ["$low", "$low"]}
    # the view that stood for `t` lives only while the statement is planned
    assert set(ctx.catalog().schema().names()) == before
    assert out.count() == 2


def test_a_string_parameter_cannot_inject_sql(ctx: SessionContext) -> None:
    ctx.from_pydict({"name": ["alice", "bob"]}, name="users")
    hostile = "x' OR '1'='1"
    assert ctx.sql("SELECT * FROM users WHERE name = $n", n=hostile).count() == 0
    assert ctx.sql("SELECT * FROM users WHERE name = $n", n="bob").to_pydict() == {"name": ["bob"]}


def test_parameter_errors(ctx: SessionContext) -> None:
    with pytest.raises(ValueError, match="both in param_values and by name"):
        ctx.sql("SELECT $a", param_values={"a": 1}, a=2)
    with pytest.raises(FuseplugError, match="missing"):
        ctx.sql("SELECT $missing + 1").collect()
    with pytest.raises(TypeError, match="needs a str"):
        ctx.sql(b"SELECT 1")  # type: ignore[arg-type]


def test_sql_options_refuse_what_they_do_not_allow(ctx: SessionContext) -> None:
    no_ddl = SQLOptions().with_allow_ddl(False)
    with pytest.raises(PlanError, match="DDL not supported"):
        ctx.sql_with_options("CREATE TABLE t AS SELECT 1 AS a", no_ddl)
    assert not ctx.table_exist("t")
    with pytest.raises(PlanError, match="DML not supported"):
        ctx.sql("CREATE TABLE t AS SELECT 1 AS a")  # DDL allowed by default
        ctx.sql_with_options("INSERT INTO t VALUES (2)", SQLOptions().with_allow_dml(False))
    with pytest.raises(PlanError, match="not supported"):
        ctx.sql_with_options(
            "SET datafusion.execution.batch_size = 10",
            SQLOptions().with_allow_statements(False),
        )
    allowed = ctx.sql_with_options("SELECT $v AS v", SQLOptions(), param_values={"v": 7})
    assert allowed.to_pydict() == {"v": [7]}
    assert "allow_ddl" in repr(SQLOptions().with_allow_ddl(False))
