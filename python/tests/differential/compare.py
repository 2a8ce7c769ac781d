"""Comparing answers: rows normalised (numbers by value within a tolerance, since DuckDB answers
a ``HUGEINT`` or a ``DOUBLE`` where DataFusion answers ``Int64`` or a decimal), compared as
multisets or, under a top-level ORDER BY, run by run of equal sort keys; and the verdict on the
three engines' answers to one query."""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Sequence
from typing import Any

from .engines import Answer, Env

#: Relative and absolute tolerance for numbers: DataFusion's average of a decimal keeps 6 decimal
#: places, DuckDB's is a double.
REL_TOL, ABS_TOL = 1e-6, 1e-5

SKIPPED, NOT_COMPARED, AGREED = "skipped", "duckdb-rejected", "agreed"
#: The kinds of divergence: a product bug (fuseplug's rules or defaults change the answer), an
#: answer that changes from run to run, and one where both fuseplug variants differ from DuckDB.
PRODUCT, FLAKY, ENGINES = (
    "fuseplug vs fuseplug-rules-off",
    "nondeterministic fuseplug answer",
    "fuseplug vs DuckDB",
)
KINDS = (PRODUCT, FLAKY, ENGINES)


# --- rows ---------------------------------------------------------------------------------------


def canon(value: Any) -> Any:
    if isinstance(value, (bool, str)) or value is None:
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return float(value)
    return value


def _sort_key(row: Sequence[Any]) -> list[tuple[int, Any]]:
    out = []
    for v in row:
        if v is None:
            out.append((0, 0))
        elif isinstance(v, bool):
            out.append((1, int(v)))
        elif isinstance(v, float):
            out.append((2, v))
        elif isinstance(v, (datetime.date, datetime.datetime)):
            out.append((3, v.isoformat()))
        else:
            out.append((4, str(v)))
    return out


def _close(x: Any, y: Any) -> bool:
    if isinstance(x, float) and isinstance(y, float):
        return math.isclose(x, y, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return type(x) is type(y) and x == y


def _same_row(a: Sequence[Any], b: Sequence[Any]) -> bool:
    return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))


def same_multiset(a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]]) -> bool:
    if len(a) != len(b):
        return False
    ca = sorted((tuple(map(canon, r)) for r in a), key=_sort_key)
    cb = sorted((tuple(map(canon, r)) for r in b), key=_sort_key)
    if all(_same_row(x, y) for x, y in zip(ca, cb, strict=True)):
        return True
    # numbers a rounding apart may sort differently: match rows one by one instead
    left = list(cb)
    for row in ca:
        hit = next((i for i, other in enumerate(left) if _same_row(row, other)), None)
        if hit is None:
            return False
        left.pop(hit)
    return True


def _runs(rows: Sequence[Sequence[Any]], keys: Sequence[int]) -> list[tuple[list[Any], list[Any]]]:
    runs: list[tuple[list[Any], list[Any]]] = []
    for row in rows:
        key = [canon(row[i]) for i in keys]
        if runs and _same_row(runs[-1][0], key):
            runs[-1][1].append(row)
        else:
            runs.append((key, [row]))
    return runs


def same_answer(
    a: Sequence[Sequence[Any]], b: Sequence[Sequence[Any]], keys: Sequence[int] | None
) -> bool:
    """Same rows (numbers within tolerance); with sort ``keys``, also in the same order, rows of
    equal keys compared as a group."""
    if keys is None:
        return same_multiset(a, b)
    if len(a) != len(b):
        return False
    ra, rb = _runs(a, keys), _runs(b, keys)
    return len(ra) == len(rb) and all(
        _same_row(ka, kb) and same_multiset(xa, xb)
        for (ka, xa), (kb, xb) in zip(ra, rb, strict=True)
    )


# --- verdicts -----------------------------------------------------------------------------------


def verdict(answers: tuple[Answer, Answer, Answer], keys: Sequence[int] | None) -> str:
    shipped, off, duck = answers
    if shipped.error is not None and off.error is not None:
        return SKIPPED
    if shipped.error is not None or off.error is not None:
        return PRODUCT
    assert shipped.rows is not None and off.rows is not None
    if not same_answer(shipped.rows, off.rows, keys):
        return PRODUCT
    if duck.error is not None:
        return NOT_COMPARED
    assert duck.rows is not None
    return AGREED if same_answer(off.rows, duck.rows, keys) else ENGINES


def _same(a: Answer, b: Answer, keys: Sequence[int] | None) -> bool:
    if a.rows is None or b.rows is None:
        return a.error == b.error
    return same_answer(a.rows, b.rows, keys)


def unstable(env: Env, sql: str, keys: Sequence[int] | None, runs: int) -> bool:
    """Whether either fuseplug variant answers ``sql`` differently across ``runs`` runs."""
    for ctx in (env.shipped, env.off):
        first = env.fuseplug_answer(ctx, sql)
        if any(not _same(first, env.fuseplug_answer(ctx, sql), keys) for _ in range(runs - 1)):
            return True
    return False


def judge(
    env: Env, sql: str, keys: Sequence[int] | None, reruns: int = 4
) -> tuple[str, tuple[Answer, Answer, Answer]]:
    """The verdict on ``sql`` and the three answers; a divergence whose answers change from run
    to run is FLAKY."""
    answers = env.answers(sql)
    kind = verdict(answers, keys)
    if kind in (PRODUCT, ENGINES) and reruns and unstable(env, sql, keys, reruns):
        return FLAKY, answers
    return kind, answers


def diverges(env: Env, sql: str, keys: Sequence[int] | None, kind: str) -> bool:
    """Whether ``sql`` still shows a divergence of ``kind`` (what the minimiser keeps)."""
    if kind == FLAKY:
        return unstable(env, sql, keys, 8)
    return judge(env, sql, keys)[0] == kind
