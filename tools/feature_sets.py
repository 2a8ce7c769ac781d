"""Checks that every cargo invocation of the build compiles the host's feature set of each crate.

Cargo compiles a crate once per set of features, and a package built on its own (``maturin develop
-m ...``, ``cargo build -p ...``) resolves only its own dependencies' features. A crate shared with
the host (tokio, arrow, the DataFusion 55 stack) that one invocation resolves with other features is
compiled again, with everything above it: 10 to 15 minutes of a cold build on 2 cores
(docs/development.md, "One feature set"). ``make lint`` runs this; it needs no build, only
``cargo tree``.

    python tools/feature_sets.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The host build (`make develop`) that the others must match.
HOST = ["-p", "fuseplug"]
#: The other cargo invocations of `make demo` / `make test`, as their package selections. Not here:
#: `examples/native-extension`, which depends on arrow and pyo3 only (no DataFusion) and compiles its
#: own small feature set of arrow.
INVOCATIONS = {
    "maturin develop --no-default-features (make demo)": [
        "-p",
        "fuseplug",
        "--no-default-features",
    ],
    "maturin develop -m crates/fuseplug-bridge54": ["-p", "fuseplug-bridge54"],
    "maturin develop -m examples/ffi-example": ["-p", "fuseplug-ffi-example"],
    "maturin develop -m examples/ffi-example54": ["-p", "fuseplug-ffi-example54"],
    "cargo build -p fuseplug-slt (make slt)": ["-p", "fuseplug-slt"],
    "cargo test -p fuseplug-capsule -p fuseplug-slt --lib": [
        "-p",
        "fuseplug-capsule",
        "-p",
        "fuseplug-slt",
    ],
    "cargo clippy --workspace --all-targets": ["--workspace"],
}


def features(selection: list[str]) -> dict[tuple[str, str, str], set[str]]:
    """Each crate's features as (name, version, context): ``target`` for what the library links,
    ``host`` for build scripts and proc macros and what they use, which Cargo resolves apart."""
    out = subprocess.run(
        [
            "cargo",
            "tree",
            *selection,
            "-e",
            "normal,build,dev",
            "-f",
            "{p} {f}",
            "--prefix",
            "indent",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[tuple[str, str, str], set[str]] = {}
    # Per depth: whether the crate printed last at that depth is a host crate, and which section
    # ("[build-dependencies]" or not) the crates at that depth are listed under.
    host: dict[int, bool] = {}
    section: dict[int, str] = {}
    for line in out.splitlines():
        text = line.lstrip("│ ")
        branch = re.search("├── |└── ", line)
        if text.startswith("["):
            section[(len(line) - len(text)) // 4 + 1] = text
            continue
        depth = branch.start() // 4 + 1 if branch else 0
        if branch:
            text = line[branch.end() :]
        section[depth + 1] = ""
        host[depth] = "(proc-macro)" in text or (
            depth > 0 and (host[depth - 1] or section.get(depth) == "[build-dependencies]")
        )
        parts = text.removesuffix(" (*)").split()
        if len(parts) < 2:
            continue
        named = parts[2] if len(parts) > 2 and not parts[2].startswith("(") else ""
        key = (parts[0], parts[1], "host" if host[depth] else "target")
        found.setdefault(key, set()).update(f for f in named.split(",") if f)
    return found


def main() -> int:
    resolved = {"the host (make develop)": features(HOST)}
    resolved |= {invocation: features(selection) for invocation, selection in INVOCATIONS.items()}
    names = list(resolved)
    failed = False
    # Every pair: the DataFusion 54 stack of the bridge and of its example must match too.
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            a, b = resolved[first], resolved[second]
            for crate in sorted(set(a) & set(b)):
                if a[crate] != b[crate]:
                    failed = True
                    name, version, context = crate
                    print(
                        f"{name} {version} ({context}): {second} lacks {sorted(a[crate] - b[crate])} "
                        f"and adds {sorted(b[crate] - a[crate])} against {first}"
                    )
    if not failed:
        print(f"one feature set: {len(names)} cargo invocations agree on every crate they share")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
