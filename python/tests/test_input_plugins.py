"""``fuseplug.input``: describing files as SqlTables."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from fuseplug.common import SqlType
from fuseplug.input import LocationInputPlugin
from fuseplug.input.base import BaseInputSource


def test_parquet_files_by_glob(tmp_path: Path) -> None:
    for i in range(3):
        pq.write_table(
            pa.table({"id": [i, i + 10], "name": ["a", "b"]}), tmp_path / f"p{i}.parquet"
        )
    plugin = LocationInputPlugin()
    assert plugin.is_correct_input(str(tmp_path / "*.parquet"), "t")
    assert not plugin.is_correct_input(pa.table({"x": [1]}), "t")
    table = plugin.build_table(str(tmp_path / "*.parquet"), "events")
    assert table.name == "events"
    assert table.statistics.getRowCount() == 6
    assert [(name, t.sql_type) for name, t in table.columns] == [
        ("id", SqlType.BIGINT),
        ("name", SqlType.VARCHAR),
    ]
    assert sorted(Path(p).name for p in table.filepaths) == [
        "p0.parquet",
        "p1.parquet",
        "p2.parquet",
    ]


def test_csv_file(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    pacsv.write_csv(pa.table({"x": [1.5, 2.5], "flag": [True, False]}), path)
    table = LocationInputPlugin().build_table(str(path), "c")
    assert table.statistics.getRowCount() == 2
    assert [(n, t.sql_type) for n, t in table.columns] == [
        ("x", SqlType.FLOAT),  # the official mapping of float64
        ("flag", SqlType.BOOLEAN),
    ]


def test_unsupported_format_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"only \.parquet and \.csv"):
        LocationInputPlugin().build_table(str(tmp_path / "notes.txt"), "n")
    with pytest.raises(FileNotFoundError):
        LocationInputPlugin().build_table(str(tmp_path / "missing.parquet"), "m")


def test_base_input_source_is_abstract() -> None:
    # Python words the refusal as "with abstract methods a, b" up to 3.11 and "without an
    # implementation for abstract methods 'a', 'b'" from 3.12
    refused = r"^Can't instantiate abstract class {} with(out an implementation for)? abstract {}$"
    assert BaseInputSource.__abstractmethods__ == {"build_table", "is_correct_input"}
    with pytest.raises(
        TypeError,
        match=refused.format("BaseInputSource", "methods '?build_table'?, '?is_correct_input'?"),
    ):
        BaseInputSource()  # type: ignore[abstract]

    class OnlyCheck(BaseInputSource):
        def is_correct_input(self, input_item: object, table_name: str, **kwargs: object) -> bool:
            return True

    # a subclass that leaves build_table out is still abstract, and is told which method it lacks
    with pytest.raises(TypeError, match=refused.format("OnlyCheck", "method '?build_table'?")):
        OnlyCheck()  # type: ignore[abstract]

    class Rows(BaseInputSource):
        def is_correct_input(self, input_item: object, table_name: str, **kwargs: object) -> bool:
            return isinstance(input_item, list)

        def build_table(self, input_item: object, table_name: str, **kwarg: object) -> object:
            return LocationInputPlugin  # any value: the base class does not constrain it

    # with both methods a subclass is concrete; the shipped plugin is one
    assert Rows.__abstractmethods__ == frozenset()
    assert isinstance(Rows(), BaseInputSource)
    assert isinstance(LocationInputPlugin(), BaseInputSource)
