"""The cost of the progress line on TPC-H: the 22 queries with the line off (``false``: the query is
not watched), as a script runs them by default (``auto``: watched, nothing drawn), and drawn from
the first tick (``true``, no delay; redrawn at every update, as on a terminal, into /dev/null).
Engines interleaved, answers compared with ``off``. The target is a geometric mean within 1 % of
``off`` (docs/user-guide.md, "Progress of long queries").

    python -m benchmarks.progress --scale 1 --repeat 5
"""

from __future__ import annotations

import os

from benchmarks import session_options


class NullTerminal:
    """A terminal that shows nothing: the line is formatted and written at every update."""

    def __init__(self) -> None:
        self._sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process

    def write(self, text: str) -> int:
        return self._sink.write(text)

    def flush(self) -> None:
        self._sink.flush()

    def isatty(self) -> bool:
        return True


VARIANTS = {
    "off": {"fuseplug.progress.enabled": "false"},
    "auto": {},
    "drawn": {"fuseplug.progress.enabled": "true", "fuseplug.progress.delay_ms": "0"},
}


def main() -> None:
    from fuseplug import _progress

    terminal = NullTerminal()
    _progress.open = lambda mode: _progress.TerminalLine(terminal) if mode == "true" else None
    args = session_options.parser(__doc__).parse_args()
    session_options.run(args, VARIANTS, "progress", "Progress line", __doc__)


if __name__ == "__main__":
    main()
