"""The ``fuseplug`` command: run SQL against files from a shell.

Examples::

    fuseplug "SELECT count(*) FROM 'data.parquet'"
    fuseplug --register sales=sales.csv --format csv "SELECT region, sum(x) FROM sales GROUP BY 1"
    fuseplug -f report.sql --format json
    echo "SELECT 1 AS one" | fuseplug
    fuseplug                      # interactive prompt; end statements with ';', quit with \\q
    fuseplug --workers http://10.0.0.5:50051,http://10.0.0.6:50051 -f report.sql
    fuseplug worker --host 0.0.0.0 --port 50051 --setup mysite.udfs:setup   # a distributed worker

Errors are printed as ``error: <ExceptionClassName>: <message>`` on stderr. Exit codes: 0 success,
1 a query or file error, 2 a usage error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

__all__ = ["main", "split_statements"]

PROMPT = "fuseplug> "
CONTINUATION = "     ...> "
DEFAULT_TABLE_ROWS = 100

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


class UsageError(Exception):
    """A mistake in the command line (exit code 2)."""


# --------------------------------------------------------------------------- statements


def split_statements(text: str) -> tuple[list[str], str]:
    """Split ``text`` at top-level semicolons.

    Returns the complete statements (without their ``;``, blank or comment-only ones dropped) and
    the unterminated remainder. Semicolons inside quotes and comments do not split.

    >>> split_statements("SELECT 1; SELECT ';' AS s; -- done;\\nSELECT 2")
    (['SELECT 1', "SELECT ';' AS s"], '-- done;\\nSELECT 2')
    """
    statements: list[str] = []
    start = 0
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in ("'", '"'):
            end = text.find(ch, i + 1)
            i = n if end < 0 else end + 1  # '' and "" escapes are two adjacent quoted runs
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == ";":
            stmt = text[start:i].strip()
            if _has_code(stmt):
                statements.append(stmt)
            i += 1
            start = i
        else:
            i += 1
    return statements, text[start:].strip()


def _has_code(stmt: str) -> bool:
    """True if ``stmt`` contains anything besides whitespace and comments."""
    i = 0
    n = len(stmt)
    while i < n:
        if stmt[i].isspace():
            i += 1
        elif stmt.startswith("--", i):
            end = stmt.find("\n", i)
            i = n if end < 0 else end + 1
        elif stmt.startswith("/*", i):
            end = stmt.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            return True
    return False


def _all_statements(text: str) -> list[str]:
    statements, rest = split_statements(text)
    if _has_code(rest):
        statements.append(rest)
    return statements


# --------------------------------------------------------------------------- output


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return value.hex()
    text = str(value)
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def _is_numeric(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_integer(arrow_type)
        or pa.types.is_floating(arrow_type)
        or pa.types.is_decimal(arrow_type)
    )


def format_table(table: Any, max_rows: int | None = None) -> str:
    """Render a ``pyarrow.Table`` as a boxed text table followed by a row count."""
    total = table.num_rows
    shown = table if max_rows is None or total <= max_rows else table.slice(0, max_rows)
    names = list(table.column_names)
    columns = [[_cell(v) for v in shown.column(i).to_pylist()] for i in range(len(names))]
    numeric = [_is_numeric(field.type) for field in table.schema]
    widths = [
        max([len(name), *(len(v) for v in col)]) for name, col in zip(names, columns, strict=True)
    ]

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(cells: Sequence[str], right: Sequence[bool]) -> str:
        parts = (
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        )
        return "| " + " | ".join(parts) + " |"

    out = [rule, line(names, [False] * len(names)), rule]
    for row in range(shown.num_rows):
        out.append(line([col[row] for col in columns], numeric))
    out.append(rule)
    noun = "row" if total == 1 else "rows"
    if shown.num_rows < total:
        out.append(f"({total} {noun}, first {shown.num_rows} shown; see --max-rows)")
    else:
        out.append(f"({total} {noun})")
    return "\n".join(out)


def _json_default(value: Any) -> Any:
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


def write_result(table: Any, fmt: str, max_rows: int | None, out: TextIO) -> None:
    """Write one result in the chosen format. Results without columns (DDL) print nothing."""
    if table.num_columns == 0:
        return
    if fmt == "table":
        out.write(format_table(table, max_rows) + "\n")
        return
    if max_rows is not None and table.num_rows > max_rows:
        table = table.slice(0, max_rows)
    if fmt == "csv":
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
        return
    for batch in table.to_batches():
        for record in batch.to_pylist():
            out.write(json.dumps(record, default=_json_default, ensure_ascii=False) + "\n")


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


def run_statement(ctx: Any, sql: str) -> Any:
    """Run one statement and return its result as a ``pyarrow.Table``."""
    return ctx.sql(sql).to_arrow_table()


def _report(exc: BaseException) -> None:
    message = str(exc).strip() or repr(exc)
    print(f"error: {type(exc).__name__}: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- modes


def run_script(ctx: Any, text: str, fmt: str, max_rows: int | None, out: TextIO) -> int:
    """Run every statement of ``text``; stop at the first error (exit code 1)."""
    printed = False
    for sql in _all_statements(text):
        try:
            table = run_statement(ctx, sql)
            if table.num_columns == 0:
                continue
            if printed and fmt == "table":
                out.write("\n")
            write_result(table, fmt, max_rows, out)
        except Exception as exc:
            out.flush()
            _report(exc)
            return 1
        printed = True
    out.flush()
    return 0


def run_interactive(ctx: Any, fmt: str, max_rows: int | None, out: TextIO) -> int:
    """A prompt: statements end with ';', ``\\q`` or EOF quits, errors do not end the session."""
    try:
        import readline  # noqa: F401  (line editing and history for input())
    except ImportError:
        pass
    print(r"fuseplug SQL shell: end statements with ';', \q or Ctrl-D to quit", file=sys.stderr)
    pending = ""
    while True:
        try:
            line = input(CONTINUATION if pending else PROMPT)
        except EOFError:
            print(file=sys.stderr)
            return 0
        except KeyboardInterrupt:
            print(file=sys.stderr)
            pending = ""
            continue
        if not pending and line.strip() == "\\q":
            return 0
        pending = f"{pending}\n{line}" if pending else line
        statements, pending = split_statements(pending)
        for sql in statements:
            try:
                write_result(run_statement(ctx, sql), fmt, max_rows, out)
            except KeyboardInterrupt:
                print("query interrupted", file=sys.stderr)
            except Exception as exc:
                _report(exc)
            out.flush()


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

    if args.max_rows == 0:
        max_rows: int | None = None
    elif args.max_rows is not None:
        max_rows = args.max_rows
    else:
        max_rows = DEFAULT_TABLE_ROWS if args.format == "table" else None

    out = sys.stdout
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
