"""The allocator study: fuseplug built with the system allocator against the same code built with
mimalloc v2 (the `mimalloc` Cargo feature), on TPC-H, on the Arrow round trip, and beside
pyarrow's own mimalloc. Not part of ``python -m benchmarks``: it needs two builds.

    python -m benchmarks.allocator --other .venv-mimalloc/bin/python --scale 1 --repeat 5

This interpreter runs one build and ``--other`` the other (``--smoke`` also takes the same
build twice, as the tests run it); each build serves from a child process
that stays up for the whole run, and the parent sends them the same query in turn, so both see the
same machine. Each child reports its ``_internal.ALLOCATOR``. The children run with
``ARROW_DEFAULT_MEMORY_POOL=mimalloc``, so pyarrow allocates with its own statically linked
mimalloc while fuseplug allocates with its allocator, and buffers cross between them both ways;
the co-load check then runs threads that hand tables back and forth and compares every answer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import _harness as h
from benchmarks import tpch

#: What a child runs: a loop over requests on stdin, one JSON answer per line on stdout.
CHILD = r"""
import hashlib, json, sys, threading, time
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import fuseplug
from fuseplug import SessionContext, _internal
from benchmarks import tpch

ctx = SessionContext()
tpch.register(ctx, sys.argv[1])
print(json.dumps({"allocator": _internal.ALLOCATOR,
                  "pyarrow_pool": pa.default_memory_pool().backend_name}), flush=True)

def digest(table):
    return hashlib.sha256(repr(table.to_pylist()).encode()).hexdigest()[:16]

def round_trip(rows):
    table = pa.table({"id": np.arange(rows, dtype=np.int64),
                      "x": np.random.default_rng(rows).standard_normal(rows)})
    start = time.perf_counter()
    out = ctx.from_arrow(table).to_arrow_table()
    return time.perf_counter() - start, out.num_rows == rows

def co_load(threads, rounds):
    # pyarrow makes tables with its mimalloc, fuseplug computes over them and returns tables
    # its allocator made, pyarrow computes over those: every answer is checked.
    failures = []
    def work(seed):
        local = SessionContext()
        rng = np.random.default_rng(seed)
        for i in range(rounds):
            n = int(rng.integers(1, 200_000))
            values = rng.integers(0, 1000, n)
            table = pa.table({"g": pa.array(values % 7), "v": pa.array(values)})
            out = local.from_arrow(table).aggregate(
                [fuseplug.col("g")], [fuseplug.functions.sum(fuseplug.col("v")).alias("s")]
            ).sort(fuseplug.col("g")).to_arrow_table()
            grouped = table.group_by("g").aggregate([("v", "sum")]).sort_by("g")
            if out.column("s").to_pylist() != grouped.column("v_sum").to_pylist():
                failures.append((seed, i))
            del table, out, grouped
    workers = [threading.Thread(target=work, args=(s,)) for s in range(threads)]
    for w in workers: w.start()
    for w in workers: w.join()
    return failures

for line in sys.stdin:
    request = json.loads(line)
    if request["op"] == "query":
        sql = tpch.query(request["n"])
        start = time.perf_counter()
        table = ctx.sql(sql).to_arrow_table()
        print(json.dumps({"s": time.perf_counter() - start, "digest": digest(table)}), flush=True)
    elif request["op"] == "round_trip":
        seconds, ok = round_trip(request["rows"])
        print(json.dumps({"s": seconds, "ok": ok}), flush=True)
    elif request["op"] == "co_load":
        start = time.perf_counter()
        failures = co_load(request["threads"], request["rounds"])
        print(json.dumps({"s": time.perf_counter() - start, "failures": failures}), flush=True)
"""


class Child:
    """A build serving requests from a child process."""

    def __init__(self, python: str, data: Path) -> None:
        env = dict(os.environ, ARROW_DEFAULT_MEMORY_POOL="mimalloc")
        env["PYTHONPATH"] = str(h.ROOT)
        self.proc = subprocess.Popen(
            [python, "-c", CHILD, str(data)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd="/",
        )
        self.hello = self.read()

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the child of {self.proc.args[0]} ended (exit {self.proc.wait()})")
        return json.loads(line)  # type: ignore[no-any-return]

    def ask(self, **request: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=60)


def main() -> None:
    p = h.parser(__doc__, repeat=5)
    p.add_argument("--other", required=True, help="the Python of the venv with the other build")
    p.add_argument("--scale", type=float, default=1.0, help="TPC-H scale factor (1)")
    p.add_argument("--data", help="directory of the Parquet files (default: under --out)")
    p.add_argument("--queries", type=int, nargs="+", default=list(tpch.QUERIES))
    args = p.parse_args()
    repeat = h.repetitions(args)
    data = h.tpch_data(0.01 if args.smoke else args.scale, args.out, args.data)
    children = [Child(sys.executable, data), Child(args.other, data)]
    names = [c.hello["allocator"] for c in children]
    if len(set(names)) != 2:
        if not args.smoke:
            raise SystemExit(f"both interpreters run the same allocator: {names}")
        # the smoke run (what the tests run) may pit a build against itself
        names = [f"{names[0]} (1)", f"{names[1]} (2)"]
    times: dict[str, dict[int, list[float]]] = {n: {q: [] for q in args.queries} for n in names}
    digests: dict[str, dict[int, str]] = {n: {} for n in names}
    for q in args.queries:  # warm-up: one run each
        for child, name in zip(children, names, strict=True):
            digests[name][q] = child.ask(op="query", n=q)["digest"]
    for _ in range(repeat):
        for q in args.queries:
            for child, name in zip(children, names, strict=True):
                answer = child.ask(op="query", n=q)
                times[name][q].append(answer["s"])
    rows = 100_000 if args.smoke else 10_000_000
    trips: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(repeat * 2):
        for child, name in zip(children, names, strict=True):
            answer = child.ask(op="round_trip", rows=rows)
            if not answer["ok"]:
                raise SystemExit(f"{name}: the round trip lost rows")
            trips[name].append(answer["s"])
    co_load = {
        name: child.ask(op="co_load", threads=4, rounds=5 if args.smoke else 50)
        for child, name in zip(children, names, strict=True)
    }
    exits = [child.close() for child in children]

    base, other = names
    report = h.Report("allocator", "Allocator study", args, __doc__)
    report.text(
        f"Builds: `{base}` ({sys.executable}) and `{other}` ({args.other}); pyarrow's pool in "
        f"both children: {children[0].hello['pyarrow_pool']}. TPC-H scale {args.scale:g}."
    )
    medians = {n: {q: h.summary(times[n][q])["median"] for q in args.queries} for n in names}
    report.heading("TPC-H")
    report.table(
        ["query", base, other, f"{other} / {base}", "same answer"],
        [
            [
                f"q{q:02d}",
                h.seconds(medians[base][q]),
                h.seconds(medians[other][q]),
                h.times_x(h.ratio(medians[other][q], medians[base][q])),
                "yes" if digests[base][q] == digests[other][q] else "**no**",
            ]
            for q in args.queries
        ],
    )
    geo = {n: h.geomean(medians[n].values()) for n in names}
    report.text(
        f"Geometric mean: {base} {h.seconds(geo[base])}, {other} {h.seconds(geo[other])} "
        f"({h.times_x(h.ratio(geo[other], geo[base]))})."
    )
    report.heading(f"Arrow round trip, {rows:,} rows (from_arrow, then to_arrow_table)")
    report.table(
        ["build", "median ±half the spread"],
        [[n, h.cell(h.summary(trips[n]))] for n in names],
    )
    report.heading("Beside pyarrow's mimalloc (4 threads)")
    report.table(
        ["build", "time", "wrong answers", "child exit"],
        [
            [n, h.seconds(co_load[n]["s"]), len(co_load[n]["failures"]), code]
            for n, code in zip(names, exits, strict=True)
        ],
    )
    report.data |= {
        "allocators": names,
        "tpch": times,
        "same_answers": {q: digests[base][q] == digests[other][q] for q in args.queries},
        "round_trip": trips,
        "co_load": co_load,
        "exits": exits,
        "measured_at": time.time(),
    }
    report.write()


if __name__ == "__main__":
    main()
