"""Comparing query answers as tables: the same column names and the same rows in any order, with
numbers compared by value (a Decimal from one engine against a float from another) within a small
relative tolerance. Used by the Substrait and unparser test suites, which run the same TPC-H query
along two paths (or in two engines) and check that the answers agree, and by the TPC-H benchmark,
which reports fuseplug's answers that differ from DuckDB's."""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any

import pyarrow as pa

#: Relative tolerance for numbers: engines round decimal averages and quotients differently.
REL_TOL = 1e-6
#: Absolute tolerance: DataFusion's average of a decimal keeps 6 decimal places, DuckDB's is a double.
ABS_TOL = 1e-6


def _key(value: Any) -> tuple[int, Any]:
    """A sort key that orders None, numbers, text and dates without comparing across kinds."""
    if value is None:
        return (0, 0)
    if isinstance(value, (bool, int, float, decimal.Decimal)):
        return (1, float(value))
    if isinstance(value, (datetime.date, datetime.datetime)):
        return (2, value.isoformat())
    return (3, str(value))


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """The rows of ``table`` as tuples, in a canonical order."""
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    out = list(zip(*columns, strict=True)) if columns else []
    return sorted(out, key=lambda row: [_key(v) for v in row])


def same_value(a: Any, b: Any) -> bool:
    numbers = (int, float, decimal.Decimal)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return bool(a == b)


def difference(
    actual: pa.Table, expected: pa.Table, label: str = "", check_names: bool = True
) -> str | None:
    """Why ``actual`` and ``expected`` do not hold the same rows (in any order), or None if they do."""
    if check_names and actual.column_names != expected.column_names:
        return f"{label}: columns {actual.column_names} != {expected.column_names}"
    if actual.num_columns != expected.num_columns:
        return f"{label}: {actual.num_columns} columns != {expected.num_columns}"
    if actual.num_rows != expected.num_rows:
        return f"{label}: {actual.num_rows} rows != {expected.num_rows}"
    for i, (a, b) in enumerate(zip(rows(actual), rows(expected), strict=True)):
        if len(a) != len(b) or not all(same_value(x, y) for x, y in zip(a, b, strict=True)):
            return f"{label}: row {i} differs: {a} != {b}"
    return None


def assert_same_answer(
    actual: pa.Table, expected: pa.Table, label: str = "", check_names: bool = True
) -> None:
    """Fails unless ``actual`` and ``expected`` hold the same rows (in any order)."""
    problem = difference(actual, expected, label, check_names)
    assert problem is None, problem
