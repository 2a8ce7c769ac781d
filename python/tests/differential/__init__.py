"""Differential SQL testing: random tables and queries, each query run three ways.

A seed makes a *case* (``case.py``): five tables drawn from one column pool (so any two can be
joined, unioned or compared), each stored differently (``from_pydict``, ``from_arrow``, several
record-batch partitions, Parquet with small row groups, CSV files), some of them the same shape
with different data, a few views over them, and a session configuration (``target_partitions``
1, 2 or 4, batch size). Each of its queries runs (``engines.py``)

* on fuseplug as shipped (its own optimizer rules and session defaults on),
* on fuseplug with its rules and defaults off (:func:`rules_off`),
* on DuckDB, over the same Arrow data.

The first two must agree: a difference, or only one of them failing, is a fuseplug bug. Against
DuckDB the generator (``expressions.py``, ``queries.py``) keeps to SQL both engines read alike
(no integer division or implicit casts, explicit ``NULLS FIRST / LAST``, no float sums in ordered
output), and any remaining difference is counted apart. A query both fuseplug variants reject is
skipped and counted.

Answers are compared (``compare.py``) as multisets of rows, numbers by value within a tolerance
(DuckDB answers a ``HUGEINT`` or a ``DOUBLE`` where DataFusion answers ``Int64`` or a decimal).
With a top-level ``ORDER BY`` the order counts too: runs of rows with equal sort keys are
compared as groups. Every ``LIMIT`` comes with an ``ORDER BY`` over all of its output columns, so
its answer is unique.

A divergence is reported with its seed and query number, the tables it reads (rows included) and
a greedily minimised query (``minimise.py``: branches, joins, clauses, predicates, columns and
subexpressions dropped while the divergence persists, as ``tree.py`` lists them, then rows
dropped from the tables), printed as a pytest function to paste into a regression test.

The rest: ``tables.py`` (column pool, rows, storage kinds), ``runner.py`` (seeds in turn, the
tally), ``cli.py`` (the command line). From ``python/tests``::

    python -m differential --seed 7 --queries 400
    python -m differential --seconds 60
"""

from __future__ import annotations

from .case import QUERIES_PER_CASE, Case, make_case
from .compare import ENGINES, FLAKY, KINDS, PRODUCT, judge, same_answer
from .engines import Answer, Env, rules_off, session
from .minimise import Divergence, assert_answer, minimise
from .runner import Summary, run
from .tables import STORAGES, TableSpec
from .tree import Query, order_keys

__all__ = [
    "Answer",
    "Case",
    "Divergence",
    "Env",
    "Query",
    "Summary",
    "TableSpec",
    "ENGINES",
    "FLAKY",
    "KINDS",
    "PRODUCT",
    "QUERIES_PER_CASE",
    "STORAGES",
    "assert_answer",
    "judge",
    "make_case",
    "minimise",
    "order_keys",
    "rules_off",
    "run",
    "same_answer",
    "session",
]
