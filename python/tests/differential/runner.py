"""Running seeds: each seed's case and queries judged in turn, divergences minimised, and the
tally a run ends with."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .case import QUERIES_PER_CASE, make_case
from .compare import AGREED, KINDS, NOT_COMPARED, SKIPPED, judge
from .engines import Env
from .minimise import Divergence, investigate
from .tree import order_keys


def _reason(error: str) -> str:
    """An error message without its exception class and DataFusion's prefixes, cut short."""
    text = error.split(": ", 1)[-1]
    for prefix in ("DataFusion error: ", "Error during planning: ", "Execution error: "):
        text = text.removeprefix(prefix)
    return text[:100]


@dataclass
class Summary:
    queries: int = 0
    skipped: int = 0
    not_compared: int = 0
    divergences: list[Divergence] = field(default_factory=list)
    unexamined: dict[str, int] = field(default_factory=dict)
    skip_reasons: dict[str, int] = field(default_factory=dict)
    skip_examples: dict[str, str] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, kind: str) -> int:
        return sum(d.kind == kind for d in self.divergences) + self.unexamined.get(kind, 0)

    def line(self) -> str:
        seeds = f"{self.seeds[0]}..{self.seeds[-1]}" if self.seeds else "none"
        rate = self.queries / self.seconds if self.seconds else 0.0
        product, flaky, engines = (self.count(k) for k in KINDS)
        return (
            f"differential: seeds {seeds}: {self.queries} queries, "
            f"{product + flaky + engines} divergences ({product} fuseplug vs rules-off, "
            f"{flaky} nondeterministic, {engines} vs DuckDB only), "
            f"{self.skipped} skipped (both fuseplug variants failed), "
            f"{self.not_compared} not compared with DuckDB; "
            f"{self.seconds:.1f} s, {rate:.1f} queries/s"
        )


def run(
    seeds: Iterable[int],
    queries: int | None = None,
    seconds: float | None = None,
    per_case: int = QUERIES_PER_CASE,
    only: int | None = None,
    examine: int = 8,
    log: Callable[[str], None] | None = None,
) -> Summary:
    """Runs cases for ``seeds`` in turn, ``per_case`` queries each, until ``queries`` queries or
    ``seconds`` have gone by (or the seeds run out). Minimises the first ``examine`` divergences;
    later ones are only counted."""
    summary = Summary()
    start = time.monotonic()

    def done() -> bool:
        if queries is not None and summary.queries >= queries:
            return True
        return seconds is not None and time.monotonic() - start >= seconds

    for seed in seeds:
        if done():
            break
        case = make_case(seed)
        summary.seeds.append(seed)
        with Env(case) as env:
            indices = [only] if only is not None else range(per_case)
            for index in indices:
                if done():
                    break
                query = case.query(index)
                kind, answers = judge(env, query.sql(), order_keys(query))
                summary.queries += 1
                if kind == SKIPPED:
                    summary.skipped += 1
                    reason = _reason(answers[0].error or "")
                    summary.skip_reasons[reason] = summary.skip_reasons.get(reason, 0) + 1
                    summary.skip_examples.setdefault(reason, f"seed {seed} query {index}")
                elif kind == NOT_COMPARED:
                    summary.not_compared += 1
                elif kind != AGREED:
                    if len(summary.divergences) < examine:
                        found = investigate(env, index, query, kind)
                        summary.divergences.append(found)
                        if log:
                            log(found.report())
                    else:
                        summary.unexamined[kind] = summary.unexamined.get(kind, 0) + 1
    summary.seconds = time.monotonic() - start
    return summary
