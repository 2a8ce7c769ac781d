"""Running SQL on the three engines: fuseplug as shipped, fuseplug with its rules and defaults
off (:func:`rules_off`), and DuckDB, each over a case's tables registered the same way."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

import fuseplug

from .case import Case
from .tables import TableSpec, register

#: DataFusion's own default for the option fuseplug's planner overrides on small machines
#: (``fuseplug.optimizer.collect_joins``), set explicitly for the rules-off variant.
STOCK_DEFAULTS = {"datafusion.optimizer.repartition_joins": "true"}
#: SQL that DataFusion 55 reads differently from DuckDB (and the standard) on purpose or by a known
#: open issue: queries using it are run on both fuseplug variants but not compared with DuckDB.
NOT_LIKE_DUCKDB = {
    "INTERSECT ALL": "DataFusion keeps every left duplicate (apache/datafusion#12955)",
    "EXCEPT ALL": "DataFusion drops every matched duplicate (apache/datafusion#12955)",
}


@dataclass
class Answer:
    rows: list[tuple[Any, ...]] | None = None
    error: str | None = None

    def show(self, limit: int = 12) -> str:
        if self.error is not None:
            return f"error: {self.error}"
        assert self.rows is not None
        shown = "\n".join(f"    {r!r}" for r in self.rows[:limit])
        more = f"\n    ... {len(self.rows) - limit} more" if len(self.rows) > limit else ""
        return f"{len(self.rows)} rows\n{shown}{more}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300] if text else ''}"


def rules_off() -> dict[str, str]:
    """The settings of fuseplug with its rules and defaults off: every boolean
    ``fuseplug.optimizer.*`` switch the session knows (so a new rule is covered without a change
    here) false, and DataFusion's defaults for what they override."""
    if not _RULES_OFF:
        listed = fuseplug.SessionContext().sql(
            "SELECT name, value FROM information_schema.df_settings "
            "WHERE name LIKE 'fuseplug.optimizer.%' ORDER BY name"
        )
        switches = [r["name"] for r in listed.to_pylist() if r["value"] in ("true", "false")]
        _RULES_OFF.update(dict.fromkeys(switches, "false"), **STOCK_DEFAULTS)
    return dict(_RULES_OFF)


_RULES_OFF: dict[str, str] = {}


def session(target_partitions: int, batch_size: int, rules: bool) -> fuseplug.SessionContext:
    config = fuseplug.SessionConfig().with_target_partitions(target_partitions)
    config = config.with_batch_size(batch_size)
    if not rules:
        for key, value in rules_off().items():
            config = config.set(key, value)
    return fuseplug.SessionContext(config)


def loaded(
    target_partitions: int,
    batch_size: int,
    rules: bool,
    tables: Sequence[TableSpec],
    views: Sequence[str],
    where: Path,
) -> fuseplug.SessionContext:
    """A :func:`session` with ``tables`` registered (their files under ``where``) and ``views``
    created."""
    ctx = session(target_partitions, batch_size, rules)
    for spec in tables:
        register(ctx, spec, where)
    for ddl in views:
        ctx.sql(ddl).collect()
    return ctx


class Env:
    """A case's tables registered in the three engines (files written once, in a temp folder)."""

    def __init__(
        self,
        case: Case,
        tables: Sequence[TableSpec] | None = None,
        views: Sequence[str] | None = None,
    ) -> None:
        self.case = case
        self.tables = list(case.tables if tables is None else tables)
        self.views = list(case.view_sql() if views is None else views)
        self._dir = tempfile.TemporaryDirectory(prefix="differential-")
        where = Path(self._dir.name)
        config = (case.target_partitions, case.batch_size)
        self.shipped = loaded(*config, True, self.tables, self.views, where)
        self.off = loaded(*config, False, self.tables, self.views, where)
        self.duck = duckdb.connect()
        self.duck.execute("SET threads TO 1")
        for spec in self.tables:
            self.duck.register(spec.name, spec.arrow())
        for ddl in self.views:
            try:
                self.duck.execute(ddl)
            except duckdb.Error:  # its queries then count as not compared with DuckDB
                pass

    def close(self) -> None:
        self.duck.close()
        self._dir.cleanup()

    def __enter__(self) -> Env:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def fuseplug_answer(ctx: fuseplug.SessionContext, sql: str) -> Answer:
        try:
            table = ctx.sql(sql).to_arrow_table()
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a Rust panic surfaces as a BaseException
            return Answer(error=_first_line(exc))
        columns = [c.to_pylist() for c in table.columns]
        return Answer(rows=list(zip(*columns, strict=True)))

    def duck_answer(self, sql: str) -> Answer:
        for construct, why in NOT_LIKE_DUCKDB.items():
            if construct in sql:
                return Answer(error=f"not compared: {why}")
        try:
            return Answer(rows=self.duck.execute(sql).fetchall())
        except duckdb.Error as exc:
            return Answer(error=_first_line(exc))

    def answers(self, sql: str) -> tuple[Answer, Answer, Answer]:
        return (
            self.fuseplug_answer(self.shipped, sql),
            self.fuseplug_answer(self.off, sql),
            self.duck_answer(sql),
        )
