"""Logical plans back to SQL text, in DataFusion's own dialect or another engine's.

>>> import fuseplug
>>> from fuseplug.unparser import Dialect, Unparser
>>> ctx = fuseplug.SessionContext()
>>> df = ctx.from_pydict({"a": [1, 2, 3]}, name="t").filter(fuseplug.col("a") > 1)
>>> print(Unparser(Dialect.default()).plan_to_sql(df.logical_plan()))
SELECT * FROM t WHERE (t.a > 1)
>>> print(Unparser(Dialect.duckdb()).with_pretty(True).plan_to_sql(df.logical_plan()))
SELECT * FROM "t" WHERE "t"."a" > 1

A plan that has no SQL form (an ``EXPLAIN``, a Python table function, ...) raises
:class:`~fuseplug.exceptions.NotSupportedError`.
"""

from __future__ import annotations

from fuseplug import _internal
from fuseplug.plan import LogicalPlan

__all__ = ["Dialect", "Unparser"]


class Dialect:
    """The SQL dialect an :class:`Unparser` writes: identifier quoting, type names, functions."""

    __slots__ = ("_inner",)

    def __init__(self, dialect: _internal.Dialect) -> None:
        self._inner = dialect

    @staticmethod
    def default() -> Dialect:
        """DataFusion's own SQL."""
        return Dialect(_internal.Dialect.default())

    @staticmethod
    def mysql() -> Dialect:
        return Dialect(_internal.Dialect.mysql())

    @staticmethod
    def postgres() -> Dialect:
        return Dialect(_internal.Dialect.postgres())

    @staticmethod
    def sqlite() -> Dialect:
        return Dialect(_internal.Dialect.sqlite())

    @staticmethod
    def duckdb() -> Dialect:
        return Dialect(_internal.Dialect.duckdb())

    def __repr__(self) -> str:
        return repr(self._inner)


class Unparser:
    """Writes logical plans as SQL in one :class:`Dialect`."""

    __slots__ = ("_inner",)

    def __init__(self, dialect: Dialect) -> None:
        self._inner = _internal.Unparser(dialect._inner)

    def plan_to_sql(self, plan: LogicalPlan) -> str:
        """``plan`` as one SQL statement."""
        return self._inner.plan_to_sql(plan)

    def with_pretty(self, pretty: bool) -> Unparser:
        """Drops the parentheses DataFusion's operator precedence makes redundant when ``pretty``
        (easier to read, though an engine with other precedence rules may read it differently).
        Like the official bindings, it changes this unparser and returns it."""
        self._inner = self._inner.with_pretty(pretty)
        return self

    def __repr__(self) -> str:
        return repr(self._inner)
