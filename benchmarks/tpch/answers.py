"""Comparing query answers as tables: the same column names and the same rows, with numbers
compared by value (a Decimal from one engine against a float from another) within a small relative
tolerance. Rows are compared in order when the query's SQL (``sql=``) ends in an ORDER BY, except
that rows tying on all its keys may come in any order; without it, in any order. Used by the
Substrait and unparser test suites, which run the same TPC-H query along two paths (or in two
engines) and check that the answers agree, and by the TPC-H benchmark, which reports fuseplug's
answers that differ from DuckDB's."""

from __future__ import annotations

import datetime
import decimal
import math
import re
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


def _canonical(row: tuple[Any, ...]) -> list[tuple[int, Any]]:
    return [_key(v) for v in row]


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    """The rows of ``table`` as tuples, in a canonical order."""
    return sorted(_in_order(table), key=_canonical)


def same_value(a: Any, b: Any) -> bool:
    numbers = (int, float, decimal.Decimal)
    if isinstance(a, numbers) and isinstance(b, numbers) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return bool(a == b)


# --- the ORDER BY of a query's SQL ------------------------------------------------------------

#: Tokens of SQL text: comments and whitespace (dropped), strings, dollar-quoted strings, quoted
#: identifiers, words, numbers and single characters.
_TOKEN = re.compile(
    r"""
      (?P<skip>\s+|--[^\n]*|/\*.*?\*/)
    | (?P<string>'(?:[^']|'')*')
    | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z_0-9]*|)\$.*?\$(?P=tag)\$)
    | (?P<quoted>"(?:[^"]|"")*"|`[^`]*`)
    | (?P<word>[A-Za-z_][A-Za-z_0-9$]*)
    | (?P<number>\d+(?:\.\d*)?)
    | (?P<char>.)
    """,
    re.VERBOSE | re.DOTALL,
)

#: Words that end an ORDER BY clause.
_AFTER_ORDER_BY = {"limit", "offset", "fetch"}


def _top_level_tokens(sql: str) -> list[tuple[str, str]]:
    """``(kind, text)`` of the tokens of ``sql`` outside any parentheses or brackets, each group
    in them standing as its opening character; words are lower-cased, quoted identifiers unquoted
    (kind ``"quoted"``)."""
    out: list[tuple[str, str]] = []
    depth = 0
    for match in _TOKEN.finditer(sql):
        kind, text = match.lastgroup, match.group()
        if kind == "skip":
            continue
        if kind == "char" and text in "([":
            if depth == 0:
                out.append(("char", text))
            depth += 1
        elif kind == "char" and text in ")]":
            depth = max(depth - 1, 0)
        elif depth == 0:
            if kind == "word":
                text = text.lower()
            elif kind == "quoted":
                text = text[1:-1].replace('""', '"')
            out.append((str(kind), text))
    return out


def order_by_keys(sql: str) -> list[str | int | None]:
    """The keys of the ORDER BY that orders the answer of ``sql`` (of its last statement): the one
    outside parentheses, not one of a subquery, a common table expression, a window or an
    aggregate. Each key is a column name (lower-case unless it was quoted; a qualified name gives
    its last part), a 1-based column position, or None for an expression. Empty when the answer
    has no order.

    >>> order_by_keys("SELECT a, sum(b) AS s FROM t GROUP BY a ORDER BY s DESC, t.a LIMIT 3")
    ['s', 'a']
    >>> order_by_keys("SELECT * FROM (SELECT a FROM t ORDER BY a) AS s")
    []
    """
    statements: list[list[tuple[str, str]]] = [[]]
    for token in _top_level_tokens(sql):
        if token == ("char", ";"):
            statements.append([])
        else:
            statements[-1].append(token)
    tokens = next((s for s in reversed(statements) if s), [])
    starts = [
        i + 2
        for i in range(len(tokens) - 1)
        if tokens[i] == ("word", "order") and tokens[i + 1] == ("word", "by")
    ]
    if not starts:
        return []
    keys: list[list[tuple[str, str]]] = [[]]
    for token in tokens[starts[-1] :]:
        if token[0] == "word" and token[1] in _AFTER_ORDER_BY:
            break
        if token == ("char", ","):
            keys.append([])
        else:
            keys[-1].append(token)
    return [_key_column(key) for key in keys]


def _key_column(key: list[tuple[str, str]]) -> str | int | None:
    """One ORDER BY key without its direction: a column name, a position, or None."""
    if key[-2:] in ([("word", "nulls"), ("word", "first")], [("word", "nulls"), ("word", "last")]):
        key = key[:-2]
    if key[-1:] in ([("word", "asc")], [("word", "desc")]):
        key = key[:-1]
    if len(key) == 1 and key[0][0] == "number" and key[0][1].isdigit():
        return int(key[0][1])
    # a name, or a qualified one (t.c, s.t.c): the column's name is its last part
    parts, dots = key[0::2], key[1::2]
    if (
        len(key) % 2 == 1
        and all(kind in ("word", "quoted") for kind, _ in parts)
        and all(dot == ("char", ".") for dot in dots)
    ):
        return parts[-1][1]
    return None


def _column_index(key: str | int | None, names: list[list[str]]) -> int | None:
    """Where ``key`` is among the columns: by position, or by name in one of ``names`` (exactly,
    else ignoring case as unquoted SQL names do), when that names one column."""
    if key is None:
        return None
    if isinstance(key, int):
        return key - 1 if 1 <= key <= len(names[0]) else None
    for fold in (False, True):
        for columns in names:
            found = [
                i
                for i, column in enumerate(columns)
                if (column.lower() == key.lower() if fold else column == key)
            ]
            if len(found) == 1:
                return found[0]
    return None


def _ordered_columns(sql: str, actual: pa.Table, expected: pa.Table) -> list[int]:
    """The columns (by index) whose values order the answer, in ORDER BY order: the keys up to the
    first that is not an output column (after it, the order is unknown here)."""
    names = [expected.column_names, actual.column_names]
    out = []
    for key in order_by_keys(sql):
        index = _column_index(key, names)
        if index is None:
            break
        out.append(index)
    return out


# --- comparing answers --------------------------------------------------------------------------


def _in_order(table: pa.Table) -> list[tuple[Any, ...]]:
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return list(zip(*columns, strict=True)) if columns else []


def _same_row(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))


def difference(
    actual: pa.Table,
    expected: pa.Table,
    label: str = "",
    check_names: bool = True,
    *,
    sql: str | None = None,
) -> str | None:
    """Why ``actual`` and ``expected`` do not hold the same rows, or None if they do.

    With ``sql`` (the query both answer) whose answer is ordered by a top-level ORDER BY, the rows
    must come in ``expected``'s order, except that rows tying on every ORDER BY key may come in
    any order among themselves. Otherwise (no ``sql``, no ORDER BY) the order is free. Keys are
    columns of the answer, by name or position; from the first key that is an expression on,
    rows tying on the keys before it may come in any order.
    """
    if check_names and actual.column_names != expected.column_names:
        return f"{label}: columns {actual.column_names} != {expected.column_names}"
    if actual.num_columns != expected.num_columns:
        return f"{label}: {actual.num_columns} columns != {expected.num_columns}"
    if actual.num_rows != expected.num_rows:
        return f"{label}: {actual.num_rows} rows != {expected.num_rows}"
    keys = _ordered_columns(sql, actual, expected) if sql is not None else []
    if not keys:
        for i, (a, b) in enumerate(zip(rows(actual), rows(expected), strict=True)):
            if not _same_row(a, b):
                return f"{label}: row {i} differs: {a} != {b}"
        return None
    got, want = _in_order(actual), _in_order(expected)

    def key_of(row: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(row[k] for k in keys)

    start = 0
    while start < len(want):
        # the run of expected rows that tie with this one on every key
        end = start + 1
        while end < len(want) and _same_row(key_of(want[end]), key_of(want[start])):
            end += 1
        for i in range(start, end):
            if not _same_row(key_of(got[i]), key_of(want[start])):
                return (
                    f"{label}: row {i} differs in its ORDER BY keys: {key_of(got[i])} != "
                    f"{key_of(want[start])} (row {got[i]})"
                )
        ours = sorted(got[start:end], key=_canonical)
        theirs = sorted(want[start:end], key=_canonical)
        for offset, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            if not _same_row(a, b):
                return (
                    f"{label}: row {start + offset} differs among the rows tying on the ORDER BY "
                    f"keys {key_of(want[start])}: {a} != {b}"
                )
        start = end
    return None


def assert_same_answer(
    actual: pa.Table,
    expected: pa.Table,
    label: str = "",
    check_names: bool = True,
    *,
    sql: str | None = None,
) -> None:
    """Fails unless ``actual`` and ``expected`` hold the same rows, in the order ``sql``'s ORDER
    BY fixes (see :func:`difference`), or in any order without one."""
    problem = difference(actual, expected, label, check_names, sql=sql)
    assert problem is None, problem
