"""The command line: ``python -m differential`` from ``python/tests`` (``make fuzz-sql``)."""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Iterable, Sequence

from .case import QUERIES_PER_CASE, make_case
from .compare import KINDS
from .runner import run


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m differential",
        description="Differential SQL testing: random tables and queries, each query run on "
        "fuseplug as shipped, on fuseplug with its rules off and on DuckDB.",
    )
    parser.add_argument("--seed", type=int, help="first seed (default: from the clock)")
    parser.add_argument("--queries", type=int, help="stop after this many queries")
    parser.add_argument(
        "--seconds",
        type=float,
        nargs="?",
        const=60.0,
        help="stop after this many seconds, taking new seeds (60 when given without a number)",
    )
    parser.add_argument("--per-case", type=int, default=QUERIES_PER_CASE, help="queries per seed")
    parser.add_argument("--only", type=int, help="run only this query number of --seed")
    parser.add_argument("--show", action="store_true", help="print the queries, do not run them")
    args = parser.parse_args(argv)
    if args.queries is None and args.seconds is None and args.only is None:
        args.queries = args.per_case
    first = args.seed if args.seed is not None else int(time.time()) % 1_000_000
    if args.show:
        case = make_case(first)
        for ddl in case.view_sql():
            print(ddl + ";")
        for i in range(args.queries or args.per_case):
            print(f"-- {i}\n{case.query(i).sql()};")
        return 0
    seeds: Iterable[int] = [first] if args.only is not None else itertools.count(first)
    summary = run(
        seeds,
        queries=args.queries,
        seconds=args.seconds,
        per_case=args.per_case,
        only=args.only,
        log=lambda text: print(text, flush=True),
    )
    print(summary.line())
    if summary.skip_reasons and args.only is None:
        common = sorted(summary.skip_reasons.items(), key=lambda kv: -kv[1])[:5]
        for reason, n in common:
            print(f"  skipped {n}x ({summary.skip_examples[reason]}): {reason}")
    return 1 if any(summary.count(kind) for kind in KINDS) else 0
