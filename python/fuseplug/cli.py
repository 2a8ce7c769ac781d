"""The ``fuseplug`` command: run SQL against files from a shell, or at an interactive prompt.

Examples::

    fuseplug "SELECT count(*) FROM 'data.parquet'"
    fuseplug --register sales=sales.csv --format csv "SELECT region, sum(x) FROM sales GROUP BY 1"
    fuseplug -f report.sql --format json
    echo "SELECT 1 AS one" | fuseplug
    fuseplug                      # interactive prompt: end statements with ';', .help, .quit
    fuseplug --workers http://10.0.0.5:50051,http://10.0.0.6:50051 -f report.sql
    fuseplug worker --host 0.0.0.0 --port 50051 --setup mysite.udfs:setup   # a distributed worker

Statements are cut at the ``;`` tokens of DataFusion's own SQL tokenizer in the session's dialect
(``datafusion.sql_parser.dialect``), so quotes and comments of every kind DataFusion reads never
split a statement. Tables print with the renderer of ``DataFrame.show()``.

Between statements, a line starting with ``.`` is a dot command (at the prompt and in scripts):
``.tables``, ``.schema [NAME]``, ``.timer on|off``, ``.mode table|csv|json``, ``.read FILE``,
``.help``, ``.quit`` / ``.exit`` (and ``\\q``). The prompt keeps line editing and a history file
(``$FUSEPLUG_HISTORY``, else ``~/.fuseplug_history``) when the ``readline`` module is available;
Ctrl-C cancels the running statement and returns to the prompt.

A statement running longer than 2 s draws a progress line on stderr when stderr is a terminal
(``fuseplug.progress.*``, see ``fuseplug._progress``).

Errors are printed as ``error: <ExceptionClassName>: <message>`` on stderr. Exit codes: 0 success,
1 a query or file error (a script stops at the first failing statement; a failing dot command
is reported and the script goes on), 2 a usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ["main", "split_statements"]

PROMPT = "fuseplug> "
CONTINUATION = "     ...> "
DEFAULT_TABLE_ROWS = 100
HISTORY_LENGTH = 2000
MODES = ("table", "csv", "json")
_ALL_ROWS = 2**62  # "no limit" for the table renderer, which takes a row count
_MAX_READ_DEPTH = 16

# File suffix -> SessionContext.register_<format>. Longest suffixes are tried first.
_FORMATS: dict[str, str] = {
    ".parquet": "parquet",
    ".parq": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".avro": "avro",
}

DOT_HELP = """\
.exit                  leave the shell (also .quit and \\q)
.help                  show this help
.mode table|csv|json   how results print (no argument: show the current mode)
.quit                  leave the shell
.read FILE             run the SQL and dot commands of FILE
.schema [NAME]         the columns and types of table NAME (no argument: of every table)
.tables                list the tables and views
.timer on|off          print the run time after each statement"""


class UsageError(Exception):
    """A mistake in the command line (exit code 2)."""


class DotCommandError(Exception):
    """A dot command that does not exist or got bad arguments."""


class _Stop(Exception):
    """A script stops here: a statement failed (already reported)."""


# --------------------------------------------------------------------------- statements


def split_statements(text: str, dialect: str = "generic") -> tuple[list[str], str]:
    """Split ``text`` where DataFusion's SQL tokenizer (in ``dialect``) sees top-level ``;``.

    Returns the complete statements (without their ``;``, blank or comment-only ones dropped) and
    the unterminated remainder (``""`` if only whitespace and comments follow the last ``;``).
    Semicolons inside quotes and comments do not split; a quote or comment left open at the end
    stays in the remainder. A tokenizer error that more text cannot mend raises
    :class:`fuseplug.exceptions.SQLError`.

    >>> split_statements("SELECT 1; SELECT ';' AS s; -- done;\\nSELECT 2")
    (['SELECT 1', "SELECT ';' AS s"], '-- done;\\nSELECT 2')
    >>> split_statements("SELECT $$a;b$$; SELECT 'open;")
    (['SELECT $$a;b$$'], "SELECT 'open;")
    """
    from fuseplug import _internal

    return _internal.split_sql(text, dialect, at_eof=False)


def _all_statements(text: str, dialect: str = "generic") -> list[str]:
    """Every statement of a whole script, the last one with or without its ``;``. Raises
    ``SQLError`` for a quote or comment that is never closed."""
    from fuseplug import _internal

    statements, rest = _internal.split_sql(text, dialect, at_eof=True)
    return [*statements, rest] if rest else statements


# --------------------------------------------------------------------------- output


def _json_default(value: Any) -> Any:
    import datetime
    import decimal

    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (datetime.date, datetime.time, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _without_view_types(table: Any) -> Any:
    """Cast Utf8View / BinaryView columns (which pyarrow's CSV writer rejects) to Utf8 / Binary."""
    import pyarrow as pa

    fields = []
    for field in table.schema:
        if pa.types.is_string_view(field.type):
            field = field.with_type(pa.large_string())
        elif pa.types.is_binary_view(field.type):
            field = field.with_type(pa.large_binary())
        fields.append(field)
    schema = pa.schema(fields, metadata=table.schema.metadata)
    return table if schema.equals(table.schema) else table.cast(schema)


def _write_csv(table: Any, out: TextIO) -> None:
    import pyarrow.csv as pacsv

    table = _without_view_types(table)
    out.flush()
    sink = getattr(out, "buffer", None)
    if sink is not None:
        pacsv.write_csv(table, sink)
        sink.flush()
    else:  # a text-only stream (e.g. io.StringIO in tests)
        import pyarrow as pa

        buf = pa.BufferOutputStream()
        pacsv.write_csv(table, buf)
        out.write(buf.getvalue().to_pybytes().decode("utf-8"))


def _write_json_lines(table: Any, out: TextIO) -> None:
    import json

    for batch in table.to_batches():
        for record in batch.to_pylist():
            out.write(json.dumps(record, default=_json_default, ensure_ascii=False) + "\n")


def write_result(df: Any, mode: str, max_rows: int | None, out: TextIO) -> bool:
    """Run ``df`` and write its result in ``mode``: ``table`` by the renderer of
    ``DataFrame.show()`` (which fetches only the rows it prints), ``csv`` with a header, ``json``
    as JSON lines. A result without columns (DDL) prints nothing; returns whether it printed."""
    if len(df.schema()) == 0:
        df.collect()
        return False
    if mode == "table":
        out.write(df.to_string(_ALL_ROWS if max_rows is None else max_rows) + "\n")
        return True
    table = df.to_arrow_table()
    if max_rows is not None and table.num_rows > max_rows:
        table = table.slice(0, max_rows)
    if mode == "csv":
        _write_csv(table, out)
    else:
        _write_json_lines(table, out)
    return True


# --------------------------------------------------------------------------- session


def _format_of(path: str) -> str:
    """The register_* format for a path: from its suffix, or from the files of a directory."""
    lowered = path.lower()
    for suffix in sorted(_FORMATS, key=len, reverse=True):
        if lowered.endswith(suffix):
            return _FORMATS[suffix]
    p = Path(path)
    if p.is_dir():
        found = {
            _FORMATS[f.suffix.lower()]
            for f in p.rglob("*")
            if f.is_file() and f.suffix.lower() in _FORMATS
        }
        if len(found) == 1:
            return found.pop()
        if found:
            raise UsageError(f"directory {path!r} mixes formats: {', '.join(sorted(found))}")
    known = ", ".join(sorted(_FORMATS))
    raise UsageError(f"cannot tell the format of {path!r}: expected one of {known}")


def _suffix_of(path: str) -> str | None:
    """The file extension to pass to register_*: the file's own, or None for a directory."""
    p = Path(path)
    if p.is_dir():
        return None
    return p.suffix or None


def _parse_register(spec: str) -> tuple[str, str]:
    name, sep, path = spec.partition("=")
    name, path = name.strip(), path.strip()
    if not sep or not name or not path:
        raise UsageError(f"--register expects NAME=PATH, got {spec!r}")
    return name, path


def make_context(
    registrations: Sequence[tuple[str, str]], workers: Sequence[str] | None = None
) -> Any:
    """A SessionContext that resolves file paths in FROM and has the given tables registered;
    with ``workers``, every query runs distributed on them."""
    from fuseplug import SessionConfig, SessionContext

    config = SessionConfig().with_information_schema(True)
    if workers:
        config = config.with_distributed(list(workers))
    ctx = SessionContext(config).enable_url_table()
    for name, path in registrations:
        if "://" not in path and not os.path.exists(path):
            raise FileNotFoundError(f"--register {name}: no such file or directory: {path!r}")
        fmt = _format_of(path)
        register = getattr(ctx, f"register_{fmt}")
        suffix = _suffix_of(path)
        if suffix is None:
            register(name, path)
        else:
            register(name, path, file_extension=suffix)
    return ctx


def _report(exc: BaseException) -> None:
    message = str(exc).strip() or repr(exc)
    print(f"error: {type(exc).__name__}: {message}", file=sys.stderr, flush=True)


_TABLES_SQL = """
SELECT CASE WHEN t.table_catalog = c.value AND t.table_schema = s.value THEN t.table_name
            ELSE t.table_catalog || '.' || t.table_schema || '.' || t.table_name END AS name,
       lower(t.table_type) AS type
FROM information_schema.tables AS t,
     (SELECT value FROM information_schema.df_settings
      WHERE name = 'datafusion.catalog.default_catalog') AS c,
     (SELECT value FROM information_schema.df_settings
      WHERE name = 'datafusion.catalog.default_schema') AS s
WHERE t.table_schema <> 'information_schema'
ORDER BY t.table_catalog <> c.value OR t.table_schema <> s.value, 1
"""

_ALL_COLUMNS_SQL = """
SELECT table_name, column_name, data_type, is_nullable
FROM information_schema.columns
WHERE table_schema <> 'information_schema'
ORDER BY table_catalog, table_schema, table_name, ordinal_position
"""


class Shell:
    """One CLI session: its context, output mode and settings, and the SQL typed so far.

    Lines go in through :meth:`feed` (then :meth:`finish` at the end of a script). A statement
    runs once its ``;`` arrives; a line starting with ``.`` between statements is a dot command.
    ``interactive`` sessions report errors and go on; scripts stop at the first failing statement
    (:class:`_Stop`), and only report failing dot commands.
    """

    def __init__(
        self, ctx: Any, mode: str, max_rows: int | None, out: TextIO, *, interactive: bool
    ) -> None:
        self.ctx = ctx
        self.mode = mode
        self.max_rows_option = max_rows  # None: the mode's default
        self.out = out
        self.interactive = interactive
        self.timer = False
        self.pending = ""
        self.pending_line = 0  # the input line where `pending` starts
        self.line_number = 0  # of the script or file being run
        self.failed = False
        self.quit = False
        self.printed = False
        self._read_depth = 0
        self._dialect: str | None = None

    # ----------------------------------------------------------------- settings

    @property
    def max_rows(self) -> int | None:
        if self.max_rows_option == 0:
            return None
        if self.max_rows_option is not None:
            return self.max_rows_option
        return DEFAULT_TABLE_ROWS if self.mode == "table" else None

    @property
    def dialect(self) -> str:
        """The session's ``datafusion.sql_parser.dialect``, read again after each ``SET``."""
        if self._dialect is None:
            try:
                rows = self.ctx.sql(
                    "SELECT value FROM information_schema.df_settings "
                    "WHERE name = 'datafusion.sql_parser.dialect'"
                ).to_pylist()
            except Exception:  # no information schema: DataFusion's default
                rows = []
            self._dialect = (rows[0]["value"] if rows else None) or "generic"
        return self._dialect

    # ----------------------------------------------------------------- input

    def feed(self, line: str) -> None:
        """One line of input."""
        self.line_number += 1
        if not self.pending:
            command = line.strip()
            if not command:
                return
            if command.startswith(".") or command == "\\q":
                self.dot(command)
                return
            self.pending = line
            self.pending_line = self.line_number
        else:
            self.pending = f"{self.pending}\n{line}"
            if ";" not in line:  # nothing can have ended: skip tokenizing a long statement again
                return
        try:
            statements, self.pending = split_statements(self.pending, self.dialect)
        except Exception as exc:
            self._split_failed(exc)
            return
        if statements:
            self.pending_line = self.line_number  # the remainder starts on this line
        for sql in statements:
            self.execute(sql)

    def finish(self) -> None:
        """End of a script: run what is left, with or without its ``;``."""
        if not self.pending:
            return
        try:
            statements = _all_statements(self.pending, self.dialect)
        except Exception as exc:
            self._split_failed(exc)
            return
        self.pending = ""
        for sql in statements:
            self.execute(sql)

    def run_lines(self, lines: Iterable[str]) -> None:
        """A script: every line, then :meth:`finish`; stops early on ``.quit``."""
        self.line_number = 0
        for line in lines:
            self.feed(line)
            if self.quit:
                self.pending = ""
                return
        self.finish()

    def _split_failed(self, exc: Exception) -> None:
        """The tokenizer's error; its line numbers count from the statement's first line."""
        if not self.interactive and self.pending_line > 1:
            exc = type(exc)(f"{exc} (in the statement from line {self.pending_line})")
        self.pending = ""
        self._fail(exc)

    # ----------------------------------------------------------------- statements

    def execute(self, sql: str) -> None:
        """Run one statement and print its result (and its run time with ``.timer on``)."""
        import time

        start = time.perf_counter()
        try:
            self._print(self.ctx.sql(sql))
        except KeyboardInterrupt:
            if not self.interactive:
                raise
            self.out.flush()
            print("query interrupted", file=sys.stderr, flush=True)
            return
        except Exception as exc:
            self._fail(exc)
            return
        finally:
            self.out.flush()
        if self.timer:
            self.out.write(f"Run Time: real {time.perf_counter() - start:.3f} s\n")
            self.out.flush()
        if sql.split(None, 1)[0].upper() in ("SET", "RESET"):
            self._dialect = None

    def _print(self, df: Any) -> None:
        separate = self.printed and self.mode == "table" and not self.interactive
        if separate and len(df.schema()) > 0:
            self.out.write("\n")
        if write_result(df, self.mode, self.max_rows, self.out):
            self.printed = True

    def _fail(self, exc: BaseException) -> None:
        self.out.flush()
        _report(exc)
        self.failed = True
        if not self.interactive:
            raise _Stop from exc

    # ----------------------------------------------------------------- dot commands

    def dot(self, command: str) -> None:
        """Run a dot command; a bad one is reported and the session goes on."""
        name, _, arg = command.rstrip(";").strip().partition(" ")
        arg = arg.strip()
        handler = _DOT_COMMANDS.get(name.lower())
        try:
            if handler is None:
                raise DotCommandError(f"unknown command {name!r}; .help lists the commands")
            handler(self, arg)
        except (_Stop, KeyboardInterrupt):
            raise
        except Exception as exc:
            self.out.flush()
            _report(exc)
            self.failed = True

    def _dot_help(self, arg: str) -> None:
        self.out.write(DOT_HELP + "\n")

    def _dot_quit(self, arg: str) -> None:
        self.quit = True

    def _dot_tables(self, arg: str) -> None:
        if arg:
            raise DotCommandError(".tables takes no argument")
        self._show(_TABLES_SQL)

    def _dot_schema(self, arg: str) -> None:
        self._show(f"DESCRIBE {arg}" if arg else _ALL_COLUMNS_SQL)

    def _show(self, sql: str) -> None:
        """Print the result of a query that a dot command runs, in the current mode."""
        write_result(self.ctx.sql(sql), self.mode, None, self.out)
        self.out.flush()

    def _dot_timer(self, arg: str) -> None:
        value = arg.lower()
        if value not in ("on", "off"):
            raise DotCommandError(f"usage: .timer on|off (got {arg!r})")
        self.timer = value == "on"

    def _dot_mode(self, arg: str) -> None:
        if not arg:
            self.out.write(f"current output mode: {self.mode}\n")
        elif arg.lower() in MODES:
            self.mode = arg.lower()
        else:
            raise DotCommandError(f"unknown mode {arg!r}: expected one of {', '.join(MODES)}")

    def _dot_read(self, arg: str) -> None:
        if not arg:
            raise DotCommandError("usage: .read FILE")
        path = arg[1:-1] if len(arg) > 1 and arg[0] == arg[-1] and arg[0] in "'\"" else arg
        if self._read_depth >= _MAX_READ_DEPTH:
            raise DotCommandError(f".read nested more than {_MAX_READ_DEPTH} deep: {path}")
        text = Path(path).read_text(encoding="utf-8")
        interactive, line_number = self.interactive, self.line_number
        self._read_depth += 1
        self.interactive = False  # a file stops at its first failing statement
        try:
            self.run_lines(text.splitlines())
        except _Stop:
            if not interactive:
                raise
        finally:
            self.pending = ""
            self.interactive, self.line_number = interactive, line_number
            self._read_depth -= 1


_DOT_COMMANDS = {
    ".exit": Shell._dot_quit,
    ".help": Shell._dot_help,
    ".mode": Shell._dot_mode,
    ".quit": Shell._dot_quit,
    ".read": Shell._dot_read,
    ".schema": Shell._dot_schema,
    ".tables": Shell._dot_tables,
    ".timer": Shell._dot_timer,
    "\\q": Shell._dot_quit,
}


# --------------------------------------------------------------------------- modes


def run_script(ctx: Any, text: str, fmt: str, max_rows: int | None, out: TextIO) -> int:
    """Run every statement and dot command of ``text``; stop at the first failing statement.
    ``max_rows`` None prints the mode's default number of rows, 0 all of them. Returns the exit
    code: 1 if anything failed."""
    shell = Shell(ctx, fmt, max_rows, out, interactive=False)
    try:
        shell.run_lines(text.splitlines())
    except _Stop:
        pass
    out.flush()
    return 1 if shell.failed else 0


def history_path() -> Path:
    """Where the prompt keeps its history: ``$FUSEPLUG_HISTORY``, else ``~/.fuseplug_history``."""
    return Path(os.environ.get("FUSEPLUG_HISTORY") or Path.home() / ".fuseplug_history")


def _start_history() -> Any:
    """Line editing and the history file for ``input()``: the readline module, if there is one."""
    try:
        import readline
    except ImportError:
        return None
    readline.set_history_length(HISTORY_LENGTH)
    try:
        readline.read_history_file(history_path())
    except OSError:  # none yet, or unreadable: start empty
        pass
    return readline


def _save_history(readline: Any) -> None:
    if readline is None:
        return
    try:
        readline.write_history_file(history_path())
    except OSError as exc:
        print(f"warning: history not saved: {exc}", file=sys.stderr)


def run_interactive(ctx: Any, fmt: str, max_rows: int | None, out: TextIO) -> int:
    """A prompt: statements end with ``;``, dot commands (``.help``) between them, ``.quit`` or
    EOF quits; errors do not end the session, and Ctrl-C cancels the statement being typed or
    run."""
    readline = _start_history()
    print(
        "fuseplug SQL shell: end statements with ';', .help for help, .quit or Ctrl-D to quit",
        file=sys.stderr,
    )
    shell = Shell(ctx, fmt, max_rows, out, interactive=True)
    try:
        while not shell.quit:
            try:
                line = input(CONTINUATION if shell.pending else PROMPT)
            except EOFError:
                print(file=sys.stderr)
                break
            except KeyboardInterrupt:
                print(file=sys.stderr)
                shell.pending = ""
                continue
            try:
                shell.feed(line)
            except KeyboardInterrupt:  # inside a .read file
                shell.pending = ""
                print("interrupted", file=sys.stderr)
    finally:
        _save_history(readline)
    return 0


# --------------------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fuseplug",
        description=(
            "Run SQL with fuseplug (Apache DataFusion). File paths can be queried directly, "
            "e.g. SELECT * FROM 'data.parquet'. Without QUERY or -f, SQL is read from stdin, "
            "or an interactive prompt starts when stdin is a terminal."
        ),
    )
    parser.add_argument("query", nargs="?", metavar="QUERY", help="SQL to run (';'-separated)")
    parser.add_argument("-f", "--file", metavar="FILE", help="read SQL from FILE ('-' for stdin)")
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="output format; json writes JSON lines (default: table)",
    )
    parser.add_argument(
        "--register",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="register a Parquet/CSV/JSON/Avro file or directory as table NAME (repeatable)",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        metavar="N",
        help=f"print at most N rows per result; 0 means all "
        f"(default: {DEFAULT_TABLE_ROWS} for table, all for csv/json)",
    )
    parser.add_argument(
        "--workers",
        metavar="URL,...",
        help="run every query distributed on these fuseplug workers "
        "(comma-separated, e.g. http://10.0.0.5:50051,http://10.0.0.6:50051)",
    )
    parser.add_argument("--version", action="store_true", help="print versions and exit")
    return parser


def build_worker_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fuseplug worker",
        description=(
            "Serve distributed query tasks (datafusion-distributed over Arrow Flight) until "
            "SIGTERM or Ctrl-C. Prints 'fuseplug worker listening on URL' once ready."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port to listen on; 0 picks a free one (default)"
    )
    parser.add_argument(
        "--setup",
        metavar="MODULE:FUNCTION",
        help="a function called with the worker's SessionContext before it serves: register plugin "
        "UDFs and tables, native extensions, codecs, object stores there",
    )
    return parser


def worker_main(argv: Sequence[str]) -> int:
    """``fuseplug worker``: see :func:`fuseplug.distributed.run_worker`."""
    args = build_worker_parser().parse_args(argv)
    from fuseplug.distributed import run_worker

    try:
        return run_worker(args.host, args.port, args.setup)
    except Exception as exc:
        _report(exc)
        return 1


def _versions() -> str:
    import fuseplug

    version = getattr(fuseplug, "__version__", "unknown")
    engine = getattr(fuseplug, "DATAFUSION_VERSION", "unknown")
    return f"fuseplug {version} (DataFusion {engine})"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``fuseplug`` and ``python -m fuseplug``; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:
        return worker_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(_versions())
        return 0
    if args.query is not None and args.file is not None:
        parser.error("give either QUERY or -f FILE, not both")
    if args.max_rows is not None and args.max_rows < 0:
        parser.error("--max-rows must be >= 0")
    try:
        registrations = [_parse_register(spec) for spec in args.register]
    except UsageError as exc:
        parser.error(str(exc))

    max_rows = args.max_rows  # None: the mode's default, 0: all rows
    out = sys.stdout
    # `fuseplug.progress.enabled = auto` draws the progress line on stderr when it is a terminal.
    from fuseplug import _progress

    _progress.cli_active = True
    try:
        try:
            workers = [u.strip() for u in (args.workers or "").split(",") if u.strip()]
            ctx = make_context(registrations, workers)
        except UsageError as exc:
            parser.error(str(exc))
        except Exception as exc:
            _report(exc)
            return 1

        if args.query is not None:
            return run_script(ctx, args.query, args.format, max_rows, out)
        if args.file is not None and args.file != "-":
            try:
                text = Path(args.file).read_text(encoding="utf-8")
            except OSError as exc:
                _report(exc)
                return 1
            return run_script(ctx, text, args.format, max_rows, out)
        if args.file is None and sys.stdin.isatty():
            return run_interactive(ctx, args.format, max_rows, out)
        return run_script(ctx, sys.stdin.read(), args.format, max_rows, out)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, without a second error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
