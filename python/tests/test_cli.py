"""The ``fuseplug`` command-line SQL runner, run as a subprocess (``python -m fuseplug``)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import fuseplug
import fuseplug.exceptions
from fuseplug.cli import CONTINUATION, split_statements

ERROR_LINE = re.compile(r"^error: (\w+): (.+)$", re.MULTILINE)


def run_cli(
    *args: str | os.PathLike[str], stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "fuseplug", *map(str, args)],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        check=False,
    )


def ok(*args: str | os.PathLike[str], **kwargs: object) -> str:
    proc = run_cli(*args, **kwargs)  # type: ignore[arg-type]
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stderr == ""
    return proc.stdout


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def json_rows(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def error_class(stderr: str) -> str:
    match = ERROR_LINE.search(stderr)
    assert match, f"no 'error: Class: message' line in stderr:\n{stderr}"
    return match.group(1)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same three rows as Parquet, CSV and JSON lines."""
    root = tmp_path_factory.mktemp("cli-data")
    table = pa.table(
        {
            "city": ["Oslo", "Lima", "Pune"],
            "pop": pa.array([709, 10_000, 7_000], pa.int64()),
            "rain": [0.5, 0.0, 1.25],
        }
    )
    pq.write_table(table, root / "cities.parquet")
    (root / "cities.csv").write_text(
        "city,pop,rain\nOslo,709,0.5\nLima,10000,0.0\nPune,7000,1.25\n", encoding="utf-8"
    )
    (root / "cities.json").write_text(
        "".join(json.dumps(row) + "\n" for row in table.to_pylist()), encoding="utf-8"
    )
    return root


# --------------------------------------------------------------------------- queries


def test_query_argument_csv() -> None:
    out = ok("--format", "csv", "SELECT 40 + 2 AS answer, 'hi' AS word")
    assert csv_rows(out) == [["answer", "word"], ["42", "hi"]]


def test_query_argument_table() -> None:
    out = ok("SELECT 7 AS n, 'seven' AS name")
    lines = out.splitlines()
    assert lines[0].startswith("+") and lines[0].endswith("+")
    assert [c.strip() for c in lines[1].strip("|").split("|")] == ["n", "name"]
    assert [c.strip() for c in lines[3].strip("|").split("|")] == ["7", "seven"]
    assert len(lines) == 5


def test_table_is_drawn_like_dataframe_show() -> None:
    sql = "SELECT * FROM (VALUES (1, 'a', NULL), (22, 'bbb', 2.5)) AS t(k, v, x) ORDER BY k"
    expected = fuseplug.SessionContext().sql(sql).to_string(100)
    assert "| NULL |" in expected
    assert ok(sql) == expected + "\n"


def test_table_nulls(data_dir: Path) -> None:
    out = ok(
        f"SELECT city, CASE WHEN rain > 0 THEN rain END AS wet "
        f"FROM '{data_dir / 'cities.parquet'}' ORDER BY city"
    )
    body = [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines()[3:6]]
    assert body == [["Lima", "NULL"], ["Oslo", "0.5"], ["Pune", "1.25"]]
    assert out.splitlines()[-1].startswith("+")


def test_tables_of_several_statements_are_separated_by_a_blank_line() -> None:
    out = ok("SELECT 1 AS a; CREATE VIEW v AS SELECT 2 AS b; SELECT b FROM v")
    first, second = out.split("\n\n")
    assert "| a |" in first and "| 1 |" in first
    assert "| b |" in second and "| 2 |" in second


def test_json_lines() -> None:
    out = ok("--format", "json", "SELECT * FROM (VALUES (1, 'a'), (2, NULL)) AS t(k, v) ORDER BY k")
    assert json_rows(out) == [{"k": 1, "v": "a"}, {"k": 2, "v": None}]


def test_json_dates_and_decimals_are_strings() -> None:
    out = ok("--format", "json", "SELECT DATE '2024-02-29' AS d, CAST(1.5 AS DECIMAL(5, 2)) AS m")
    assert json_rows(out) == [{"d": "2024-02-29", "m": "1.50"}]


def test_several_statements_each_printed() -> None:
    out = ok("--format", "csv", "SELECT 1 AS a; SELECT 'x;y' AS b; -- trailing comment;")
    assert csv_rows(out) == [["a"], ["1"], ["b"], ["x;y"]]


def test_ddl_then_query() -> None:
    out = ok("--format", "csv", "CREATE VIEW v AS SELECT 5 AS five; SELECT five * 2 AS ten FROM v")
    assert csv_rows(out) == [["ten"], ["10"]]


def test_sql_file(tmp_path: Path, data_dir: Path) -> None:
    script = tmp_path / "report.sql"
    script.write_text(
        f"-- biggest city\n"
        f"SELECT city FROM '{data_dir / 'cities.parquet'}' ORDER BY pop DESC LIMIT 1;\n"
        f"SELECT sum(pop) AS total FROM '{data_dir / 'cities.parquet'}';\n"
    )
    out = ok("-f", script, "--format", "csv")
    assert csv_rows(out) == [["city"], ["Lima"], ["total"], ["17709"]]


def test_stdin_when_not_a_tty(data_dir: Path) -> None:
    sql = f"SELECT count(*) AS n FROM '{data_dir / 'cities.csv'}' WHERE pop > 1000;"
    out = ok("--format", "json", stdin=sql)
    assert json_rows(out) == [{"n": 2}]


def test_file_dash_reads_stdin() -> None:
    out = ok("-f", "-", "--format", "csv", stdin="SELECT 3 AS three")
    assert csv_rows(out) == [["three"], ["3"]]


def test_parquet_path_in_from(data_dir: Path) -> None:
    out = ok(
        "--format",
        "csv",
        f"SELECT city, pop FROM '{data_dir / 'cities.parquet'}' WHERE rain > 0 ORDER BY pop",
    )
    assert csv_rows(out) == [["city", "pop"], ["Oslo", "709"], ["Pune", "7000"]]


def test_relative_path_in_from(data_dir: Path) -> None:
    out = ok("--format", "csv", "SELECT max(pop) AS m FROM 'cities.parquet'", cwd=data_dir)
    assert csv_rows(out) == [["m"], ["10000"]]


@pytest.mark.parametrize("suffix", ["parquet", "csv", "json"])
def test_register(data_dir: Path, suffix: str) -> None:
    out = ok(
        "--register",
        f"cities={data_dir / f'cities.{suffix}'}",
        "--format",
        "json",
        "SELECT city, pop FROM cities WHERE pop < 8000 ORDER BY city",
    )
    assert json_rows(out) == [{"city": "Oslo", "pop": 709}, {"city": "Pune", "pop": 7000}]


def test_register_several_and_join(data_dir: Path) -> None:
    out = ok(
        "--register",
        f"a={data_dir / 'cities.parquet'}",
        "--register",
        f"b={data_dir / 'cities.csv'}",
        "--format",
        "csv",
        "SELECT a.city, b.rain FROM a JOIN b ON a.city = b.city WHERE a.pop > 5000 ORDER BY 1",
    )
    header, *rows = csv_rows(out)
    assert header == ["city", "rain"]
    assert [(city, float(rain)) for city, rain in rows] == [("Lima", 0.0), ("Pune", 1.25)]


def test_register_directory(tmp_path: Path) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(3):
        pq.write_table(pa.table({"v": pa.array([i, i + 10], pa.int64())}), parts / f"{i}.parquet")
    out = ok("--register", f"t={parts}", "--format", "csv", "SELECT sum(v) AS s FROM t")
    assert csv_rows(out) == [["s"], ["36"]]  # (0+10) + (1+11) + (2+12)


def test_max_rows() -> None:
    sql = "SELECT * FROM generate_series(1, 50) AS t(v) ORDER BY v"
    out = ok("--format", "csv", "--max-rows", "3", sql)
    assert csv_rows(out) == [["v"], ["1"], ["2"], ["3"]]
    table = ok("--max-rows", "2", sql)
    assert table.splitlines()[-1] == "(more rows not shown)"
    assert "| 2 " in table and "| 3 " not in table
    assert "| 50 " in ok("--max-rows", "0", sql)


def test_version() -> None:
    out = ok("--version")
    assert out.startswith("fuseplug ")


# --------------------------------------------------------------------------- errors


def test_malformed_query_exits_1_with_class_name() -> None:
    proc = run_cli("SELEC 1")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert error_class(proc.stderr) == "SQLError"
    assert "SELEC" in proc.stderr


def test_unknown_table_is_a_plan_error() -> None:
    proc = run_cli("SELECT * FROM no_such_table")
    assert proc.returncode == 1
    assert error_class(proc.stderr) == "PlanError"
    assert "no_such_table" in proc.stderr


def test_error_stops_the_script_after_earlier_output() -> None:
    proc = run_cli("--format", "csv", "SELECT 1 AS a; SELEC; SELECT 2 AS b")
    assert proc.returncode == 1
    assert csv_rows(proc.stdout) == [["a"], ["1"]]
    assert error_class(proc.stderr) == "SQLError"


def test_missing_path_in_from_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    proc = run_cli(f"SELECT * FROM '{missing}'")
    assert proc.returncode == 1
    name = error_class(proc.stderr)
    cls = getattr(fuseplug.exceptions, name, None)
    assert isinstance(cls, type) and issubclass(cls, fuseplug.exceptions.FuseplugError), name
    assert "nope.parquet" in proc.stderr


def test_missing_register_file_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "absent.csv"
    proc = run_cli("--register", f"t={missing}", "SELECT * FROM t")
    assert proc.returncode == 1
    assert error_class(proc.stderr) == "FileNotFoundError"
    assert str(missing) in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_sql_file_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "absent.sql"
    proc = run_cli("-f", missing)
    assert proc.returncode == 1
    assert error_class(proc.stderr) == "FileNotFoundError"
    assert "absent.sql" in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "xml", "SELECT 1"],
        ["--register", "no-equals-sign", "SELECT 1"],
        ["--register", "t=data.unknownext", "SELECT 1"],
        ["--max-rows", "-1", "SELECT 1"],
        ["-f", "x.sql", "SELECT 1"],
        ["--no-such-option"],
    ],
)
def test_usage_errors_exit_2(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "data.unknownext").write_text("x\n")
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "usage: fuseplug" in proc.stderr


# --------------------------------------------------------------------------- interactive


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_interactive_prompt_survives_errors() -> None:
    primary, secondary = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fuseplug", "--format", "csv"],
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONIOENCODING": "utf-8", "TERM": "dumb"},
        )
        os.close(secondary)
        secondary = -1
        os.write(primary, b"SELEC oops;\nSELECT 6 *\n7 AS answer;\n\\q\n")
        out, err = proc.communicate(timeout=120)
    finally:
        if secondary >= 0:
            os.close(secondary)
        os.close(primary)
    assert proc.returncode == 0, err
    assert "fuseplug> " in out
    assert ["answer"] in csv_rows(out.replace("fuseplug> ", "\n").replace(CONTINUATION, "\n"))
    assert "\n42\n" in out.replace("\r\n", "\n")
    assert error_class(err) == "SQLError"


# --------------------------------------------------------------------------- splitting


def test_split_statements_respects_quotes_and_comments() -> None:
    statements, rest = split_statements(
        "SELECT ';' AS a; /* ; */ SELECT \"x;y\" FROM t; -- c;\n  ;SELECT 'it''s;'; SELECT 4"
    )
    assert statements == ["SELECT ';' AS a", '/* ; */ SELECT "x;y" FROM t', "SELECT 'it''s;'"]
    assert rest == "SELECT 4"


def test_split_statements_drops_empty_and_comment_only() -> None:
    assert split_statements(";;\n-- only a comment\n;") == ([], "")


def test_split_statements_uses_datafusions_tokenizer() -> None:
    # Dollar quoting and E'' escapes: what a hand-written splitter gets wrong.
    statements, rest = split_statements(
        "SELECT $$a;b$$ AS d; SELECT E'it\\'s;' AS e; SELECT $tag$;$tag$;"
    )
    assert statements == ["SELECT $$a;b$$ AS d", "SELECT E'it\\'s;' AS e", "SELECT $tag$;$tag$"]
    assert rest == ""


def test_split_statements_keeps_open_quotes_and_comments_in_the_remainder() -> None:
    assert split_statements("SELECT 1; SELECT 'a;") == (["SELECT 1"], "SELECT 'a;")
    assert split_statements("SELECT 2; /* still ; open") == (["SELECT 2"], "/* still ; open")
    assert split_statements('SELECT "col;') == ([], 'SELECT "col;')


def test_split_statements_follows_the_dialect() -> None:
    text = "SELECT 1 AS a # not ; a split\n;"
    assert split_statements(text, "mysql") == (["SELECT 1 AS a # not ; a split"], "")
    assert split_statements(text)[0] == ["SELECT 1 AS a # not", "a split"]
    with pytest.raises(ValueError, match="unknown SQL dialect"):
        split_statements("SELECT 1", "klingon")


def test_split_statements_raises_for_a_bad_token() -> None:
    with pytest.raises(fuseplug.exceptions.SQLError, match=r"Invalid hex digit.*Line: 2"):
        split_statements("SELECT 1;\nSELECT U&'\\zz'; SELECT 2;")


def test_split_dialect_comes_from_the_session() -> None:
    script = "SET datafusion.sql_parser.dialect = 'mysql';\nSELECT 5 AS a # a ; comment\n;\n"
    assert csv_rows(ok("--format", "csv", stdin=script)) == [["a"], ["5"]]


@pytest.mark.parametrize("script", ["SELECT 1 AS a;\nSELECT 'no end", "SELECT 1 AS a; /* open"])
def test_unterminated_quote_in_a_script_is_an_sql_error(script: str) -> None:
    proc = run_cli("--format", "csv", stdin=script)
    assert proc.returncode == 1
    assert csv_rows(proc.stdout) == [["a"], ["1"]]
    assert error_class(proc.stderr) == "SQLError"
    assert "Unterminated string literal at Line: 1, Column: 8" in proc.stderr or (
        "multi-line comment" in proc.stderr
    )
    assert script.startswith("SELECT 1 AS a; ") or "(in the statement from line 2)" in proc.stderr
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- dot commands


def test_dot_tables_and_schema(data_dir: Path) -> None:
    script = (
        "CREATE VIEW answers AS SELECT 42 AS answer;\n.tables\n.schema cities\n.schema answers;\n"
    )
    out = ok("--register", f"cities={data_dir / 'cities.parquet'}", "--format", "csv", stdin=script)
    assert out.split("\n\n") == [out]  # csv: no blank lines
    rows = csv_rows(out)
    assert rows[:3] == [["name", "type"], ["answers", "view"], ["cities", "base table"]]
    assert rows[3] == ["column_name", "data_type", "is_nullable"]
    assert [(r[0], r[1]) for r in rows[4:7]] == [
        ("city", "Utf8View"),
        ("pop", "Int64"),
        ("rain", "Float64"),
    ]
    assert rows[7:] == [["column_name", "data_type", "is_nullable"], ["answer", "Int64", "NO"]]


def test_dot_schema_without_a_name_lists_every_table() -> None:
    out = ok("--format", "json", stdin="CREATE VIEW v AS SELECT 'x' AS s, 1.5 AS f;\n.schema\n")
    assert [(r["table_name"], r["column_name"]) for r in json_rows(out)] == [("v", "s"), ("v", "f")]


def test_dot_mode_switches_the_output_format() -> None:
    script = "SELECT 1 AS a;\n.mode csv\nSELECT 2 AS b;\n.mode json\nSELECT 3 AS c;\n.mode\n"
    out = ok(stdin=script)
    table, rest = out.split("\n", 5)[:5], out.split("\n", 5)[5]
    assert [line.strip("|+- ") for line in table] == ["", "a", "", "1", ""]
    assert rest == '"b"\n2\n{"c": 3}\ncurrent output mode: json\n'


def test_dot_mode_csv_prints_all_rows_unless_max_rows() -> None:
    sql = "SELECT * FROM generate_series(1, 150) AS t(v);\n"
    assert len(csv_rows(ok(stdin=".mode csv\n" + sql))) == 151
    assert len(csv_rows(ok("--max-rows", "5", stdin=".mode csv\n" + sql))) == 6


def test_dot_timer_prints_run_time() -> None:
    out = ok("--format", "csv", stdin=".timer on\nSELECT 1 AS a;\n.timer off\nSELECT 2 AS b;\n")
    lines = out.splitlines()
    assert lines[:2] == ['"a"', "1"]
    assert re.fullmatch(r"Run Time: real \d+\.\d{3} s", lines[2])
    assert lines[3:] == ['"b"', "2"]


def test_dot_read_runs_a_file(tmp_path: Path) -> None:
    inner = tmp_path / "inner.sql"
    inner.write_text("CREATE VIEW w AS SELECT 9 AS nine;\n.mode json\nSELECT nine FROM w\n")
    out = ok(
        "--format", "csv", stdin=f"SELECT 1 AS a;\n.read {inner}\nSELECT nine + 1 AS ten FROM w;"
    )
    assert out == '"a"\n1\n{"nine": 9}\n{"ten": 10}\n'


def test_dot_read_errors(tmp_path: Path) -> None:
    loop = tmp_path / "loop.sql"
    loop.write_text(f".read {loop}\n")
    proc = run_cli(
        "--format", "csv", stdin=f".read {tmp_path / 'absent.sql'}\n.read {loop}\nSELECT 1 AS a"
    )
    assert proc.returncode == 1
    assert csv_rows(proc.stdout) == [["a"], ["1"]]
    assert "error: FileNotFoundError:" in proc.stderr
    assert "error: DotCommandError: .read nested more than 16 deep" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_failing_statement_in_read_file_stops_the_script(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sql"
    bad.write_text("SELECT 1 AS a;\nSELEC 2;\nSELECT 3 AS c;\n")
    proc = run_cli("--format", "csv", stdin=f".read {bad}\nSELECT 4 AS d;\n")
    assert proc.returncode == 1
    assert csv_rows(proc.stdout) == [["a"], ["1"]]
    assert error_class(proc.stderr) == "SQLError"


def test_dot_help_lists_the_commands() -> None:
    out = ok(stdin=".help\n")
    for command in (".tables", ".schema", ".timer", ".mode", ".read", ".help", ".quit", ".exit"):
        assert f"\n{command} " in f"\n{out}"


@pytest.mark.parametrize("quit_command", [".quit", ".exit", "\\q"])
def test_dot_quit_ends_a_script(quit_command: str) -> None:
    out = ok("--format", "csv", stdin=f"SELECT 1 AS a;\n{quit_command}\nSELECT 2 AS b;\n")
    assert csv_rows(out) == [["a"], ["1"]]


def test_unknown_dot_command_is_reported_and_the_script_goes_on() -> None:
    proc = run_cli("--format", "csv", stdin=".frobnicate now\n.timer maybe\nSELECT 1 AS a;\n")
    assert proc.returncode == 1
    assert csv_rows(proc.stdout) == [["a"], ["1"]]
    assert "error: DotCommandError: unknown command '.frobnicate'; .help lists the commands" in (
        proc.stderr
    )
    assert "error: DotCommandError: usage: .timer on|off" in proc.stderr


def test_dot_lines_inside_a_statement_are_sql() -> None:
    out = ok("--format", "csv", stdin="SELECT\n.5 AS half;\n")
    assert csv_rows(out) == [["half"], ["0.5"]]
