"""Data sources: files (Parquet, CSV, JSON, Avro), in-memory batches and Python objects."""

from __future__ import annotations

import json
from pathlib import Path

import fastavro
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import fuseplug
from fuseplug import DataFrame, SessionContext, col, lit
from fuseplug import functions as f
from fuseplug.exceptions import InputOutputError


def sorted_pydict(df: DataFrame, key: str) -> dict[str, list[object]]:
    return df.sort(col(key).sort()).to_pydict()


def write_json_lines(path: Path, rows: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.fixture
def parquet_dir(data_dir: Path) -> Path:
    """Three Parquet files (ids 0..8) plus a stray text file that readers must ignore."""
    for part in range(3):
        ids = list(range(part * 3, part * 3 + 3))
        table = pa.table({"id": ids, "label": [f"row{i}" for i in ids]})
        pq.write_table(table, data_dir / f"part-{part}.parquet")
    (data_dir / "README.txt").write_text("not data")
    return data_dir


# Parquet


def test_read_parquet_single_file(ctx: SessionContext, parquet_dir: Path) -> None:
    df = ctx.read_parquet(str(parquet_dir / "part-1.parquet"))
    assert sorted_pydict(df, "id") == {"id": [3, 4, 5], "label": ["row3", "row4", "row5"]}


def test_read_parquet_accepts_pathlib(ctx: SessionContext, parquet_dir: Path) -> None:
    df = ctx.read_parquet(parquet_dir / "part-0.parquet")
    assert df.count() == 3


def test_read_parquet_directory(ctx: SessionContext, parquet_dir: Path) -> None:
    df = ctx.read_parquet(str(parquet_dir))
    assert sorted_pydict(df, "id")["id"] == list(range(9))


def test_read_parquet_glob(ctx: SessionContext, parquet_dir: Path) -> None:
    df = ctx.read_parquet(str(parquet_dir / "part-[12].parquet"))
    assert sorted_pydict(df, "id")["id"] == [3, 4, 5, 6, 7, 8]
    star = ctx.read_parquet(str(parquet_dir / "*.parquet"))
    assert star.count() == 9


def test_register_parquet_then_sql(ctx: SessionContext, parquet_dir: Path) -> None:
    ctx.register_parquet("items", str(parquet_dir))
    out = ctx.sql("SELECT count(*) AS n, max(id) AS top FROM items WHERE id % 2 = 0").to_pydict()
    assert out == {"n": [5], "top": [8]}


def test_parquet_file_extension(ctx: SessionContext, data_dir: Path) -> None:
    pq.write_table(pa.table({"x": [1]}), data_dir / "one.parquet")
    pq.write_table(pa.table({"x": [2]}), data_dir / "two.pq")
    assert ctx.read_parquet(str(data_dir), file_extension=".pq").to_pydict() == {"x": [2]}
    ctx.register_parquet("only_pq", str(data_dir), file_extension=".pq")
    assert ctx.sql("SELECT x FROM only_pq").to_pydict() == {"x": [2]}


def test_parquet_table_partition_cols(ctx: SessionContext, data_dir: Path) -> None:
    for year, values in [(2023, [1, 2]), (2024, [3])]:
        part = data_dir / f"year={year}"
        part.mkdir()
        pq.write_table(pa.table({"v": values}), part / "data.parquet")
    df = ctx.read_parquet(str(data_dir), table_partition_cols=[("year", pa.int32())])
    assert df.schema().field("year").type == pa.int32()
    out = sorted_pydict(df.select("v", "year"), "v")
    assert out == {"v": [1, 2, 3], "year": [2023, 2023, 2024]}
    ctx.register_parquet("by_year", str(data_dir), table_partition_cols=[("year", pa.string())])
    pruned = ctx.sql("SELECT sum(v) AS s FROM by_year WHERE year = '2023'").to_pydict()
    assert pruned == {"s": [3]}


def test_parquet_explicit_schema(ctx: SessionContext, data_dir: Path) -> None:
    pq.write_table(pa.table({"a": pa.array([1, 2], pa.int32())}), data_dir / "a.parquet")
    schema = pa.schema([("a", pa.int64())])
    df = ctx.read_parquet(str(data_dir / "a.parquet"), schema=schema)
    assert df.schema().field("a").type == pa.int64()
    assert df.to_pydict() == {"a": [1, 2]}


def test_parquet_types_round_trip(ctx: SessionContext, data_dir: Path) -> None:
    table = pa.table(
        {
            "i": pa.array([1, None], pa.int16()),
            "f": pa.array([1.5, 2.5], pa.float32()),
            "b": pa.array([True, False]),
            "d": pa.array([19000, 19001], pa.date32()),
            "lst": pa.array([[1, 2], []], pa.list_(pa.int64())),
        }
    )
    pq.write_table(table, data_dir / "types.parquet")
    df = ctx.read_parquet(str(data_dir / "types.parquet"))
    assert df.to_arrow_table().equals(table)


# CSV


def test_read_csv_with_header(ctx: SessionContext, data_dir: Path) -> None:
    path = data_dir / "people.csv"
    pacsv.write_csv(pa.table({"name": ["ann", "bob"], "age": [31, 42]}), path)
    df = ctx.read_csv(str(path))
    assert df.schema().names == ["name", "age"]
    assert df.schema().field("age").type == pa.int64()
    assert sorted_pydict(df, "age") == {"name": ["ann", "bob"], "age": [31, 42]}


def test_read_csv_delimiter_and_no_header(ctx: SessionContext, data_dir: Path) -> None:
    path = data_dir / "pipes.csv"
    path.write_text("1|one\n2|two\n3|three\n")
    df = ctx.read_csv(str(path), has_header=False, delimiter="|")
    assert df.schema().names == ["column_1", "column_2"]
    assert sorted_pydict(df, "column_1") == {
        "column_1": [1, 2, 3],
        "column_2": ["one", "two", "three"],
    }


def test_read_csv_with_schema(ctx: SessionContext, data_dir: Path) -> None:
    path = data_dir / "typed.csv"
    path.write_text("code,amount\n007,1.5\n042,2\n")
    schema = pa.schema([("code", pa.string()), ("amount", pa.float64())])
    df = ctx.read_csv(str(path), schema=schema)
    assert df.schema().field("code").type in (pa.string(), pa.string_view())
    assert sorted_pydict(df, "code") == {"code": ["007", "042"], "amount": [1.5, 2.0]}


def test_read_csv_file_extension_and_directory(ctx: SessionContext, data_dir: Path) -> None:
    (data_dir / "a.tsv").write_text("k\tv\n1\tx\n")
    (data_dir / "b.tsv").write_text("k\tv\n2\ty\n")
    (data_dir / "c.csv").write_text("k\tv\n3\tz\n")
    df = ctx.read_csv(str(data_dir), delimiter="\t", file_extension=".tsv")
    assert sorted_pydict(df, "k") == {"k": [1, 2], "v": ["x", "y"]}


def test_read_csv_glob(ctx: SessionContext, data_dir: Path) -> None:
    for i in range(4):
        (data_dir / f"chunk{i}.csv").write_text(f"n\n{i}\n")
    df = ctx.read_csv(str(data_dir / "chunk[0-2].csv"))
    assert sorted_pydict(df, "n") == {"n": [0, 1, 2]}


def test_read_csv_list_of_paths(ctx: SessionContext, data_dir: Path) -> None:
    paths = []
    for i in range(3):
        path = data_dir / f"f{i}.csv"
        path.write_text(f"n\n{i * 10}\n")
        paths.append(str(path))
    df = ctx.read_csv([paths[0], paths[2]])
    assert sorted_pydict(df, "n") == {"n": [0, 20]}


def test_read_csv_partition_cols(ctx: SessionContext, data_dir: Path) -> None:
    for day, amount in (("mon", 5), ("tue", 7)):
        part = data_dir / f"day={day}"
        part.mkdir()
        (part / "data.csv").write_text(f"amount\n{amount}\n{amount * 10}\n")
    df = ctx.read_csv(str(data_dir), table_partition_cols=[("day", pa.string())])
    out = df.aggregate([col("day")], [f.sum(col("amount")).alias("total")])
    assert sorted_pydict(out, "day") == {"day": ["mon", "tue"], "total": [55, 77]}


def test_register_csv_then_sql(ctx: SessionContext, data_dir: Path) -> None:
    path = data_dir / "sales.csv"
    pacsv.write_csv(pa.table({"region": ["n", "s", "n"], "amount": [10, 20, 30]}), path)
    ctx.register_csv("sales", str(path))
    out = ctx.sql(
        "SELECT region, sum(amount) AS total FROM sales GROUP BY region ORDER BY region"
    ).to_pydict()
    assert out == {"region": ["n", "s"], "total": [40, 20]}


def test_register_csv_options(ctx: SessionContext, data_dir: Path) -> None:
    path = data_dir / "semi.txt"
    path.write_text("5;five\n6;six\n")
    schema = pa.schema([("num", pa.int32()), ("word", pa.string())])
    ctx.register_csv(
        "semi", str(path), schema=schema, has_header=False, delimiter=";", file_extension=".txt"
    )
    out = ctx.sql("SELECT num, word FROM semi ORDER BY num").to_pydict()
    assert out == {"num": [5, 6], "word": ["five", "six"]}


# JSON (newline-delimited)


def test_read_json(ctx: SessionContext, data_dir: Path) -> None:
    path = data_dir / "rows.json"
    write_json_lines(path, [{"a": 1, "b": "x"}, {"a": 2, "b": None}, {"a": 3, "b": "z"}])
    df = ctx.read_json(str(path))
    assert df.schema().field("a").type == pa.int64()
    assert sorted_pydict(df, "a") == {"a": [1, 2, 3], "b": ["x", None, "z"]}


def test_read_json_schema_and_extension(ctx: SessionContext, data_dir: Path) -> None:
    write_json_lines(data_dir / "one.jsonl", [{"a": 1.0}, {"a": 2.5}])
    write_json_lines(data_dir / "other.json", [{"a": 100.0}])
    schema = pa.schema([("a", pa.float64())])
    df = ctx.read_json(str(data_dir), schema=schema, file_extension=".jsonl")
    assert sorted_pydict(df, "a") == {"a": [1.0, 2.5]}


def test_read_json_nested_values(ctx: SessionContext, data_dir: Path) -> None:
    path = data_dir / "nested.json"
    write_json_lines(path, [{"id": 1, "tags": ["a", "b"], "pt": {"x": 1, "y": 2}}])
    row = ctx.read_json(str(path)).to_pylist()[0]
    assert row == {"id": 1, "tags": ["a", "b"], "pt": {"x": 1, "y": 2}}


def test_read_json_partition_cols(ctx: SessionContext, data_dir: Path) -> None:
    for country in ("fr", "no"):
        part = data_dir / f"country={country}"
        part.mkdir()
        write_json_lines(part / "data.json", [{"n": 1}, {"n": 2}])
    df = ctx.read_json(str(data_dir), table_partition_cols=[("country", pa.string())])
    out = df.aggregate([col("country")], []).sort(col("country").sort()).to_pydict()
    assert out == {"country": ["fr", "no"]}
    assert df.filter(col("country") == lit("no")).count() == 2


def test_register_json_then_sql(ctx: SessionContext, data_dir: Path) -> None:
    path = data_dir / "events.json"
    write_json_lines(path, [{"kind": "click", "n": 2}, {"kind": "view", "n": 5}])
    ctx.register_json("events", str(path))
    assert ctx.sql("SELECT sum(n) AS total FROM events").to_pydict() == {"total": [7]}


# Avro: no Avro writer is installed, so only the error path is covered here.


AVRO_SCHEMA = {
    "type": "record",
    "name": "city",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "pop", "type": "long"},
        {"name": "area", "type": ["null", "double"]},
    ],
}
AVRO_ROWS = [
    {"name": "Oslo", "pop": 709000, "area": 454.0},
    {"name": "Bergen", "pop": 291000, "area": None},
    {"name": "Tromso", "pop": 77000, "area": 2521.0},
]


def write_avro(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("wb") as out:
        fastavro.writer(out, fastavro.parse_schema(AVRO_SCHEMA), rows)


def test_register_avro_reads_real_file(ctx: SessionContext, tmp_path: Path) -> None:
    write_avro(tmp_path / "cities.avro", AVRO_ROWS)
    ctx.register_avro("cities", str(tmp_path / "cities.avro"))
    out = ctx.sql("SELECT name, pop, area FROM cities ORDER BY pop DESC").to_pydict()
    assert out == {
        "name": ["Oslo", "Bergen", "Tromso"],
        "pop": [709000, 291000, 77000],
        "area": [454.0, None, 2521.0],
    }


def test_read_avro_directory_and_filter(ctx: SessionContext, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    write_avro(tmp_path / "d" / "a.avro", AVRO_ROWS[:2])
    write_avro(tmp_path / "d" / "b.avro", AVRO_ROWS[2:])
    df = ctx.read_avro(str(tmp_path / "d"))
    assert df.count() == 3
    assert sorted(df.filter(col("pop") > lit(100000)).to_pydict()["name"]) == ["Bergen", "Oslo"]


def test_register_avro_missing_path(ctx: SessionContext, tmp_path: Path) -> None:
    missing = tmp_path / "absent.avro"
    with pytest.raises(InputOutputError, match="absent"):
        ctx.register_avro("av", str(missing))
        ctx.sql("SELECT * FROM av").collect()


def test_read_avro_missing_path(ctx: SessionContext, tmp_path: Path) -> None:
    with pytest.raises(InputOutputError, match="absent"):
        ctx.read_avro(str(tmp_path / "absent.avro")).collect()


# In-memory data


def test_register_record_batches_partitions(ctx: SessionContext) -> None:
    b1 = pa.record_batch({"a": [1, 2], "b": ["x", "y"]})
    b2 = pa.record_batch({"a": [3], "b": ["z"]})
    b3 = pa.record_batch({"a": [4, 5], "b": ["u", "v"]})
    ctx.register_record_batches("batches", [[b1, b2], [b3]])
    assert ctx.sql("SELECT sum(a) AS s, count(*) AS n FROM batches").to_pydict() == {
        "s": [15],
        "n": [5],
    }
    parts = ctx.table("batches").collect_partitioned()
    assert len(parts) == 2
    assert sorted(sum(b.num_rows for b in p) for p in parts) == [2, 3]


def test_create_dataframe_from_partitions(ctx: SessionContext) -> None:
    batch = pa.record_batch({"a": [1, 2, 3]})
    df = ctx.create_dataframe([[batch]])
    assert df.to_pydict() == {"a": [1, 2, 3]}


def test_from_pydict(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1, 2, 3], "s": ["x", None, "z"], "f": [0.5, 1.5, None]})
    assert df.schema().field("a").type == pa.int64()
    assert df.schema().field("f").type == pa.float64()
    assert df.to_pydict() == {"a": [1, 2, 3], "s": ["x", None, "z"], "f": [0.5, 1.5, None]}


def test_from_pylist(ctx: SessionContext) -> None:
    df = ctx.from_pylist([{"a": 1, "b": "one"}, {"a": 2, "b": "two"}])
    assert df.to_pylist() == [{"a": 1, "b": "one"}, {"a": 2, "b": "two"}]


def test_from_pylist_missing_keys_become_null(ctx: SessionContext) -> None:
    df = ctx.from_pylist([{"a": 1, "b": "one"}, {"a": 2}])
    assert df.to_pydict() == {"a": [1, 2], "b": ["one", None]}


def test_from_pandas(ctx: SessionContext) -> None:
    frame = pd.DataFrame({"x": [1, 2, 3], "y": [0.5, 1.5, 2.5], "z": ["a", "b", "c"]})
    df = ctx.from_pandas(frame)
    assert df.schema().field("x").type == pa.int64()
    assert df.filter(col("x") > lit(1)).to_pydict() == {
        "x": [2, 3],
        "y": [1.5, 2.5],
        "z": ["b", "c"],
    }


def test_from_pandas_with_name(ctx: SessionContext) -> None:
    ctx.from_pandas(pd.DataFrame({"x": [4, 5]}), name="pdt")
    assert ctx.sql("SELECT sum(x) AS s FROM pdt").to_pydict() == {"s": [9]}


def test_from_polars(ctx: SessionContext) -> None:
    frame = pl.DataFrame({"x": [1, 2, 3], "s": ["a", None, "c"]})
    df = ctx.from_polars(frame)
    assert df.sort(col("x").sort()).to_pydict() == {"x": [1, 2, 3], "s": ["a", None, "c"]}


def test_from_polars_with_name(ctx: SessionContext) -> None:
    ctx.from_polars(pl.DataFrame({"x": [1, 2]}), name="plt")
    assert ctx.sql("SELECT max(x) AS m FROM plt").to_pydict() == {"m": [2]}


def test_empty_from_arrow_keeps_schema(ctx: SessionContext) -> None:
    empty = pa.table({"a": pa.array([], pa.int32()), "b": pa.array([], pa.string())})
    df = ctx.from_arrow(empty)
    assert df.count() == 0
    assert df.schema().field("a").type == pa.int32()


def test_csv_read_options(ctx: SessionContext, data_dir: Path) -> None:
    from fuseplug import CsvReadOptions

    path = data_dir / "odd.csv"
    path.write_text("# a comment line\na;b;c\n1;'x;y';NA\n2;'it''s';z\n")
    options = CsvReadOptions(delimiter=";", quote="'").with_comment("#").with_escape(None)
    assert options.with_has_header(True) is options  # the builders return the options
    out = ctx.read_csv(path, options=options).sort(col("a").sort()).to_pydict()
    # the comment line is skipped, the quoted delimiter and the doubled quote are data
    assert out == {"a": [1, 2], "b": ["x;y", "it's"], "c": ["NA", "z"]}
    ctx.register_csv("odd", path, options=options)
    assert ctx.sql("SELECT count(c) AS n FROM odd").to_pydict() == {"n": [2]}
    assert fuseplug.read_csv(path, options=options).count() == 2
    # mixing the options object with other settings warns, and the options win
    with pytest.warns(UserWarning, match="CsvReadOptions replaces"):
        mixed = ctx.read_csv(path, delimiter="|", options=options)
    assert mixed.count() == 2
    with pytest.raises(ValueError, match="quote must be a single"):
        ctx.read_csv(path, options=CsvReadOptions(quote="''"))
