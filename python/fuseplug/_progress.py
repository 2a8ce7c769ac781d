"""Where the progress of a long query is drawn: a line on stderr, or an HTML line in a Jupyter cell.

The engine measures (``crates/fuseplug/src/progress.rs``): once a query has run longer than
``fuseplug.progress.delay_ms`` it calls :func:`open` on the thread that waits for the query, then
``update()`` on what that returned at most every 100 ms, and ``close()`` when the query ends, fails
or is interrupted. ``fuseplug.progress.enabled`` chooses:

- ``auto`` (the default): in a Jupyter kernel, and in the ``fuseplug`` command when stderr is a
  terminal; never in a script;
- ``true``: in a Jupyter kernel, else on stderr (a terminal gets one line redrawn in place, a file or
  pipe one line per second);
- ``false``: nowhere, and the engine does not watch the query at all.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

__all__ = ["NotebookLine", "TerminalLine", "open"]

#: Set by the ``fuseplug`` command: ``auto`` then draws on stderr when it is a terminal.
cli_active = False

_BAR_WIDTH = 24
_NOT_A_TTY_INTERVAL = 1.0


def open(mode: str) -> TerminalLine | NotebookLine | None:
    """A reporter for where this process runs, or None when progress is not shown here."""
    if _in_notebook():
        return NotebookLine()
    stream = sys.stderr
    if stream is None:
        return None
    if mode == "true" or (cli_active and _isatty(stream)):
        return TerminalLine(stream)
    return None


def _in_notebook() -> bool:
    """Whether this is a Jupyter (IPython) kernel, without importing IPython."""
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def _count(n: int) -> str:
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= limit:
            return f"{n / limit:.1f}{suffix}"
    return str(n)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def describe(
    fraction: float | None, bytes_read: int, total_bytes: int | None, rows: int, elapsed: float
) -> str:
    """The words of the line: share done, bytes of total, rows read (once any are), time so far."""
    parts = [] if fraction is None else [f"{fraction * 100:3.0f}%"]
    if total_bytes:
        parts.append(f"{_size(bytes_read)} of {_size(total_bytes)}")
    if rows:
        parts.append(f"{_count(rows)} rows")
    parts.append(_clock(elapsed))
    return "  ".join(parts)


class TerminalLine:
    """One line on a stream: redrawn in place on a terminal, appended once a second elsewhere."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = _isatty(stream)
        self._drawn = 0
        self._last = 0.0

    def update(
        self,
        fraction: float | None,
        bytes_read: int,
        total_bytes: int | None,
        rows: int,
        elapsed: float,
    ) -> None:
        text = describe(fraction, bytes_read, total_bytes, rows, elapsed)
        if fraction is None:
            # Nothing tells how much is left: a block that moves, so the line still shows life.
            at = int(elapsed * 8) % _BAR_WIDTH
            bar = " " * at + "#" + " " * (_BAR_WIDTH - at - 1)
        else:
            filled = round(min(max(fraction, 0.0), 1.0) * _BAR_WIDTH)
            bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        line = f"[{bar}] {text}"
        if self._tty:
            self._stream.write("\r" + line + "\x1b[K")
            self._drawn = len(line)
        elif time.monotonic() - self._last >= _NOT_A_TTY_INTERVAL:
            self._stream.write(line + "\n")
            self._last = time.monotonic()
        self._stream.flush()

    def close(self) -> None:
        if self._tty and self._drawn:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
        self._drawn = 0


class NotebookLine:
    """An HTML line in the running Jupyter cell, updated in place and removed when the query ends."""

    def __init__(self) -> None:
        import importlib

        # IPython's display functions are untyped: reach them as Any.
        ipython_display: Any = importlib.import_module("IPython.display")
        self._html: Any = ipython_display.HTML
        self._handle: Any = ipython_display.display(self._html(""), display_id=True)

    @staticmethod
    def html(
        fraction: float | None,
        bytes_read: int,
        total_bytes: int | None,
        rows: int,
        elapsed: float,
    ) -> str:
        """The line as HTML: a ``<progress>`` element (indeterminate when the share is unknown)."""
        value = "" if fraction is None else f' value="{min(max(fraction, 0.0), 1.0):.4f}"'
        text = describe(fraction, bytes_read, total_bytes, rows, elapsed)
        return (
            '<div class="fuseplug-progress" style="font-family: monospace">'
            f'<progress max="1"{value} style="width: 16em; vertical-align: middle"></progress> '
            f"<span>{text}</span></div>"
        )

    def update(
        self,
        fraction: float | None,
        bytes_read: int,
        total_bytes: int | None,
        rows: int,
        elapsed: float,
    ) -> None:
        html = self.html(fraction, bytes_read, total_bytes, rows, elapsed)
        self._handle.update(self._html(html))

    def close(self) -> None:
        self._handle.update(self._html(""))
