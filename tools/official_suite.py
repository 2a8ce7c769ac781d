"""Runs the official bindings' own test suite on fuseplug and on the official wheel, and compares.

The suite (apache/datafusion-python's python/tests, run through an ``import datafusion`` ->
``fuseplug`` alias) lives outside this repository, in ``../shared/conformance/``; ``make
official-suite`` calls this script. It prints both counts and every test that passes on the official
wheel but not on fuseplug, and exits 1 when such a test is not one of the deliberate differences
listed in docs/compatibility.md ("The official bindings' test suite"), or when a listed one passes.

    python tools/official_suite.py [--suite DIR] [--python PY] [pytest args...]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT = re.compile(r"^(test_\S+\.py::\S+) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)")
LOG = re.compile(r"log: (\S+)\)")
# A row of the deliberate-differences table: | `test_file.py::test_name` | reason |
LISTED = re.compile(r"^\|\s*`(test_[^`]+\.py::[^`]+)`\s*\|")


def run(script: Path, python: str, official: bool, extra: list[str]) -> tuple[str, dict[str, str]]:
    env = dict(os.environ)
    env.pop("OFFICIAL", None)
    if official:
        env["OFFICIAL"] = "1"
    proc = subprocess.run(
        ["bash", str(script), python, *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = proc.stdout.strip().splitlines()
    summary = lines[-1] if lines else proc.stderr.strip()
    found = LOG.search(summary)
    if found is None:
        raise SystemExit(f"no suite log in the output of {script}:\n{proc.stdout}\n{proc.stderr}")
    results: dict[str, str] = {}
    for line in Path(found.group(1)).read_text(errors="replace").splitlines():
        if match := RESULT.match(line):
            results[match.group(1)] = match.group(2)
    return summary, results


def deliberate() -> set[str]:
    text = (ROOT / "docs" / "compatibility.md").read_text()
    return {m.group(1) for line in text.splitlines() if (m := LISTED.match(line))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", default=str(ROOT.parent / "shared" / "conformance"))
    parser.add_argument("--python", default=str(ROOT / ".venv" / "bin" / "python"))
    args, extra = parser.parse_known_args()
    script = Path(args.suite) / "run_official_suite.sh"
    if not script.exists():
        print(f"the official suite is not at {script}: pass --suite DIR", file=sys.stderr)
        return 2
    ours_summary, ours = run(script, args.python, official=False, extra=extra)
    theirs_summary, theirs = run(script, args.python, official=True, extra=extra)
    print(ours_summary)
    print(theirs_summary)
    behind = sorted(t for t, s in theirs.items() if s == "PASSED" and ours.get(t) != "PASSED")
    listed = deliberate()
    unexplained = [t for t in behind if t not in listed]
    # A listed test that now passes (or no longer exists) is stale: the list must shrink with it.
    stale = sorted(t for t in listed if t in theirs and ours.get(t) == "PASSED")
    print(f"passing on the official wheel, not on fuseplug: {len(behind)} ({len(listed)} listed)")
    for test in unexplained:
        print(f"  not listed: {test} ({ours.get(test, 'not collected')})")
    for test in stale:
        print(f"  listed but passing: {test}")
    return 1 if unexplained or stale else 0


if __name__ == "__main__":
    sys.exit(main())
