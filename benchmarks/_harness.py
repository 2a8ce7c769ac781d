"""What every benchmark in the suite shares: the command line, timing, interleaving of engines,
summaries (median and spread, geometric mean) and the report files.

A benchmark is a module run as ``python -m benchmarks.<name> [--smoke] [--repeat N] [--out DIR]``.
It builds a :class:`Report` and calls :meth:`Report.write`, which leaves ``<name>.md``,
``<name>.json`` and ``<name>-*.png`` in the output directory (``benchmarks/results`` by default).
Numbers are reported, never asserted.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

#: The distributions whose versions every report records (those not installed are left out).
PACKAGES = ("fuseplug", "datafusion", "duckdb", "polars", "pyarrow", "deltalake", "numpy")

#: Set by ``make bench`` to the Cargo profile it built fuseplug with; anything else is "unknown".
PROFILE_ENV = "FUSEPLUG_BENCH_PROFILE"


def parser(description: str | None, repeat: int) -> argparse.ArgumentParser:
    """The options every benchmark takes; a benchmark adds its own to the returned parser."""
    p = argparse.ArgumentParser(description=(description or "").split("\n\n")[0])
    p.add_argument(
        "--smoke", action="store_true", help="tiny data and one repetition (what the tests run)"
    )
    p.add_argument("--repeat", type=int, default=repeat, help=f"timed runs per case ({repeat})")
    p.add_argument("--out", type=Path, default=RESULTS, help=f"report directory ({RESULTS})")
    return p


def repetitions(args: argparse.Namespace) -> int:
    return 1 if args.smoke else max(1, args.repeat)


# --- timing -------------------------------------------------------------------------------------


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``run()`` and its result. The collector is paused so a collection started
    by earlier garbage is not charged to this run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        result = run()
        return time.perf_counter() - start, result
    finally:
        if enabled:
            gc.enable()


def repeat(run: Callable[[], Any], times: int, warmup: bool = True) -> list[float]:
    """``times`` timings of ``run()``, after one untimed run if ``warmup``."""
    if warmup:
        run()
    return [timed(run)[0] for _ in range(times)]


def per_call(run: Callable[[], Any], calls: int) -> Callable[[], Any]:
    """``run`` called ``calls`` times; time it and divide by ``calls`` for very short operations.
    Returns the last result."""

    def loop() -> Any:
        result = None
        for _ in range(calls):
            result = run()
        return result

    return loop


def interleave(
    cases: Sequence[str],
    engines: Mapping[str, Callable[[str], Any]],
    times: int,
    warmup: bool = True,
    on_result: Callable[[str, str, Any], None] | None = None,
) -> dict[str, dict[str, list[float] | str]]:
    """Times ``engines[e](case)`` for every case, the engines taking turns within each repetition
    (starting with a different engine each time, so none always runs on a cache the previous one
    warmed or cooled). Returns ``{case: {engine: [seconds, ...]}}``; an engine that raises gets the
    error text instead of a list, and is not run again for that case. ``on_result(case, engine,
    result)`` sees the result of each engine's first run (the warm-up one if ``warmup``)."""
    out: dict[str, dict[str, list[float] | str]] = {}
    names = list(engines)
    for case in cases:
        row: dict[str, list[float] | str] = {name: [] for name in names}
        for rep in range(times + (1 if warmup else 0)):
            shift = rep % len(names)
            for name in names[shift:] + names[:shift]:
                if isinstance(row[name], str):
                    continue
                try:
                    seconds, result = timed(lambda name=name, case=case: engines[name](case))
                except Exception as e:
                    row[name] = error_text(e)
                    continue
                if rep == 0 and on_result is not None:
                    on_result(case, name, result)
                if rep > 0 or not warmup:
                    row[name].append(seconds)  # type: ignore[union-attr]
        out[case] = row
    return out


def tpch_data(scale: float, out: Path, data: str | None = None) -> Path:
    """TPC-H Parquet files at ``scale``: in ``data`` if given, else under ``out/data``; generated
    with ``tpchgen-cli`` when missing and kept for the next run."""
    from benchmarks import tpch

    where = Path(data) if data else out / "data" / f"tpch-sf{scale:g}"
    if not all(p.is_file() for p in tpch.paths(where).values()):
        print(f"generating TPC-H SF {scale:g} into {where}")
        tpch.generate(scale, where)
    return where


def error_text(e: BaseException) -> str:
    """An exception as one short line for a report."""
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    text = f"{type(e).__name__}: {first}"
    return text if len(text) <= 200 else text[:197] + "..."


# --- summaries ----------------------------------------------------------------------------------


def summary(times: Sequence[float]) -> dict[str, float]:
    """Median, minimum and maximum of ``times`` (seconds), and the spread: (max - min) / median."""
    med = statistics.median(times)
    lo, hi = min(times), max(times)
    return {
        "median": med,
        "min": lo,
        "max": hi,
        "spread": (hi - lo) / med if med > 0 else 0.0,
        "runs": len(times),
    }


def geomean(values: Iterable[float]) -> float:
    """The geometric mean of positive ``values`` (NaN if there are none)."""
    logs = [math.log(v) for v in values if v > 0]
    return math.exp(sum(logs) / len(logs)) if logs else math.nan


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return None
    return a / b


# --- formatting ---------------------------------------------------------------------------------


def seconds(value: float | None) -> str:
    """A duration with a unit that keeps three significant digits."""
    if value is None or math.isnan(value):
        return "n/a"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if value >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value * 1e9:.3g} ns"


def cell(stats: Mapping[str, float] | None) -> str:
    """``median ±spread%`` for a table cell."""
    if not stats:
        return "n/a"
    spread = f" ±{stats['spread'] * 50:.0f}%" if stats["runs"] > 1 else ""
    return seconds(stats["median"]) + spread


def times_x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


# --- the report ---------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    """The machine, interpreter and package versions a report was measured with."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "system": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "fuseplug_profile": os.environ.get(PROFILE_ENV, "unknown"),
        "versions": versions,
    }


class Report:
    """One benchmark's report: markdown text, tables and plots, plus the raw numbers as JSON."""

    def __init__(self, name: str, title: str, args: argparse.Namespace, about: str | None) -> None:
        self.name = name
        self.out: Path = args.out
        self.env = environment()
        self.data: dict[str, Any] = {
            "benchmark": name,
            "smoke": bool(args.smoke),
            "repeat": repetitions(args),
            "environment": self.env,
        }
        self.lines = [f"# {title}", ""]
        if about:
            self.lines += [about.split("\n\n")[0].replace("\n", " "), ""]
        env = self.env
        versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
        mode = "**smoke run: tiny data, one repetition; not a measurement**" if args.smoke else ""
        self.lines += [
            f"{env['date']} · {env['system']} · {env['cpus']} CPUs · Python {env['python']} · "
            f"fuseplug build: {env['fuseplug_profile']} · {repetitions(args)} timed run(s) "
            f"per case {mode}",
            "",
            f"Versions: {versions}.",
            "",
        ]

    def heading(self, text: str) -> None:
        self.lines += [f"## {text}", ""]

    def text(self, text: str) -> None:
        self.lines += [text, ""]

    def table(self, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append("|" + "---|" * len(header))
        for row in rows:
            self.lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |")
        self.lines.append("")

    def plot(self, suffix: str, caption: str, draw: Callable[[Any], None]) -> None:
        """Saves a figure drawn by ``draw(axes)`` as ``<name>-<suffix>.png`` and links it."""
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot as plt

        fig, ax = plt.subplots(figsize=(10, 5))
        try:
            draw(ax)
            fig.tight_layout()
            self.out.mkdir(parents=True, exist_ok=True)
            file = f"{self.name}-{suffix}.png"
            fig.savefig(self.out / file, dpi=100)
        finally:
            plt.close(fig)
        self.data.setdefault("plots", []).append(file)
        self.lines += [f"![{caption}]({file})", ""]

    def write(self) -> Path:
        """Writes ``<name>.md`` and ``<name>.json`` to the output directory; returns the markdown."""
        self.out.mkdir(parents=True, exist_ok=True)
        md = self.out / f"{self.name}.md"
        md.write_text("\n".join(self.lines).rstrip() + "\n")
        (self.out / f"{self.name}.json").write_text(
            json.dumps(self.data, indent=1, default=_json_default) + "\n"
        )
        print(f"wrote {md} and {self.name}.json")
        return md


def _json_default(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def bars(
    ax: Any,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    ylabel: str,
    log: bool = False,
) -> None:
    """Grouped bars: one group per label, one bar per series (None draws nothing)."""
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        xs = [j + i * width for j, v in enumerate(values) if v is not None]
        ys = [v for v in values if v is not None]
        ax.bar(xs, ys, width=width, label=name)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(labels))])
    ax.set_xticklabels(labels, rotation=45 if len(labels) > 8 else 0, ha="right")
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.legend()
