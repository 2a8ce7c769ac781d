"""The interactive ``fuseplug`` prompt in a real (pseudo-)terminal, driven like a user types:
statements over several lines, dot commands, Ctrl-C during a query, the history file."""

from __future__ import annotations

import os
import re
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not hasattr(os, "openpty"), reason="needs a POSIX pseudo-terminal"
)

PROMPT = r"fuseplug> "
CONTINUATION = r"     \.\.\.> "

# Started in a new session, the child makes the terminal its controlling terminal, so that Ctrl-C
# typed into it is a SIGINT for the child (as in a shell), then becomes `python -m fuseplug`.
_LAUNCH = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.executable, [sys.executable, '-m', 'fuseplug', *sys.argv[1:]])"
)


class Terminal:
    """``python -m fuseplug`` on a pseudo-terminal; every wait has a deadline."""

    def __init__(self, *args: str, history: Path) -> None:
        import fcntl
        import termios

        self.fd, secondary = os.openpty()
        # A wide terminal: readline does not wrap the echo of long lines.
        fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 250, 0, 0))
        env = {
            **os.environ,
            "TERM": "dumb",
            "INPUTRC": os.devnull,
            "PYTHONIOENCODING": "utf-8",
            "FUSEPLUG_HISTORY": str(history),
        }
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, *args],
                stdin=secondary,
                stdout=secondary,
                stderr=secondary,
                start_new_session=True,
                env=env,
            )
        finally:
            os.close(secondary)
        self.output = ""
        self._pos = 0

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def expect(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        """Wait for ``pattern`` in the output after the last match."""
        import select

        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.output, self._pos)
            if match:
                self._pos = match.end()
                return match
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no {pattern!r} within {timeout} s; output:\n{self.output}")
            if select.select([self.fd], [], [], left)[0]:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:  # EIO: the child closed the terminal
                    data = b""
                if not data:
                    pytest.fail(f"terminal closed before {pattern!r}; output:\n{self.output}")
                self.output += data.decode("utf-8", "replace")

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"fuseplug did not exit within {timeout} s; output:\n{self.output}")

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        os.close(self.fd)


@pytest.fixture
def history(tmp_path: Path) -> Path:
    return tmp_path / "history"


@pytest.fixture
def terminal(history: Path) -> Iterator[Terminal]:
    term = Terminal(history=history)
    yield term
    term.close()


def test_session_statements_dot_commands_ctrl_c_and_quit(terminal: Terminal, history: Path) -> None:
    terminal.expect(PROMPT)

    # A statement over two lines: the second prompt is the continuation one.
    terminal.type("SELECT 6 *\r")
    terminal.expect(CONTINUATION)
    terminal.type("7 AS answer;\r")
    terminal.expect(r"\| answer \|\r\n\+-+\+\r\n\| 42 +\|")
    terminal.expect(PROMPT)

    # Dot commands.
    terminal.type("CREATE VIEW answers AS SELECT 42 AS answer;\r")
    terminal.expect(PROMPT)
    terminal.type(".tables\r")
    terminal.expect(r"\| answers \| view +\|")
    terminal.expect(PROMPT)
    terminal.type(".timer on\r")
    terminal.expect(PROMPT)
    terminal.type("SELECT 1 + 1 AS two;\r")
    terminal.expect(r"Run Time: real \d+\.\d{3} s")
    terminal.expect(PROMPT)
    terminal.type(".nonsense\r")
    terminal.expect(r"error: DotCommandError: unknown command '\.nonsense'")
    terminal.expect(PROMPT)

    # Ctrl-C during a query that would run for hours cancels it; the session goes on.
    terminal.type("SELECT count(*) FROM generate_series(1, 10000000000000);\r")
    terminal.expect(r"10000000000000\);\r\n")  # the echo: the query now runs
    # After 2 s the progress line shows on stderr (a terminal), redrawn in place.
    started = time.monotonic()
    terminal.expect(r"\r\[[#\- ]{24}\] [^\r]*0:0[2-9]", timeout=30)
    assert time.monotonic() - started >= 1.9
    terminal.expect(r"\r\[[#\- ]{24}\] [^\r]*0:0[3-9]", timeout=30)
    pressed = time.monotonic()
    terminal.type("\x03")
    # The line is cleared before the message.
    terminal.expect(r"\r\x1b\[K[^\[]*query interrupted", timeout=30)
    assert time.monotonic() - pressed < 20
    terminal.expect(PROMPT)
    terminal.type("SELECT upper('still here') AS alive;\r")
    terminal.expect(r"\| STILL HERE \|")
    terminal.expect(PROMPT)

    # Ctrl-C while typing drops the statement being typed.
    terminal.type("SELECT 'dropped\r")
    terminal.expect(CONTINUATION)
    # As a person would, wait a moment: CPython's readline misses a SIGINT that arrives between
    # drawing the prompt and starting to wait for keys.
    time.sleep(0.5)
    terminal.type("\x03")
    terminal.expect(PROMPT)
    terminal.type("SELECT 'kept' AS k;\r")
    terminal.expect(r"\| kept \|")
    terminal.expect(PROMPT)

    terminal.type(".quit\r")
    assert terminal.wait() == 0
    lines = history.read_text(encoding="utf-8").splitlines()
    assert "7 AS answer;" in lines
    assert ".tables" in lines
    assert lines[-1] == ".quit"


def test_history_of_an_earlier_session_is_recalled(history: Path) -> None:
    history.write_text("SELECT upper('recalled') AS h;\n", encoding="utf-8")
    term = Terminal("--format", "csv", history=history)
    try:
        term.expect(PROMPT)
        term.type("\x10\r")  # Ctrl-P: the previous history line, then Enter
        term.expect(r"\"h\"\r\n\"RECALLED\"\r\n")
        term.expect(PROMPT)
        term.type("\x04")  # Ctrl-D on an empty line quits too
        assert term.wait() == 0
    finally:
        term.close()
