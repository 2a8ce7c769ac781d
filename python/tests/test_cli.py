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
    assert lines[-1] == "(1 row)"


def test_table_nulls_and_row_count(data_dir: Path) -> None:
    out = ok(
        f"SELECT city, CASE WHEN rain > 0 THEN rain END AS wet "
        f"FROM '{data_dir / 'cities.parquet'}' ORDER BY city"
    )
    body = [[c.strip() for c in line.strip("|").split("|")] for line in out.splitlines()[3:6]]
    assert body == [["Lima", "NULL"], ["Oslo", "0.5"], ["Pune", "1.25"]]
    assert out.splitlines()[-1] == "(3 rows)"


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
    assert "(50 rows, first 2 shown; see --max-rows)" in table
    assert "| 3 " not in table


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
