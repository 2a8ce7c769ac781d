"""DataFrame display: ``fuseplug.dataframe_formatter`` (the HTML of notebooks and the text of
``repr``), ``fuseplug.configure_formatter`` and ``DataFrame.default_str_repr``.

Comparisons with the official ``datafusion`` wheel run it in a child process, so its library never
loads into the test process.
"""

from __future__ import annotations

import doctest
import html
import importlib.util
import inspect
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pytest

import fuseplug
from fuseplug import DataFrame, SessionContext
from fuseplug import dataframe_formatter as fmt
from fuseplug.dataframe_formatter import (
    CellFormatter,
    DataFrameHtmlFormatter,
    DefaultStyleProvider,
    FormatterManager,
    StyleProvider,
    configure_formatter,
    get_formatter,
    reset_formatter,
    set_formatter,
)

RunPython = Callable[..., Any]

needs_official = pytest.mark.skipif(
    importlib.util.find_spec("datafusion") is None, reason="the official wheel is not installed"
)


@pytest.fixture(autouse=True)
def default_formatter() -> Iterator[None]:
    """Every test starts and ends with the default shared formatter."""
    reset_formatter()
    yield
    reset_formatter()


@pytest.fixture
def numbers(ctx: SessionContext) -> DataFrame:
    return ctx.from_pydict({"n": list(range(30))})


@pytest.fixture
def small(ctx: SessionContext) -> DataFrame:
    return ctx.from_pydict({"a": [1, 2, 3], "b": ["x", None, "z"]})


def data_rows(markup: str) -> int:
    """Table rows in HTML output, header row excluded."""
    return markup.count("<tr>") - 1


def text_rows(text: str) -> list[list[str]]:
    """The cells of each ``| ... |`` line of a text table (header first)."""
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith("|")
    ]


class Provider:
    def get_cell_style(self) -> str:
        return "background-color: #f5f5f5; color: #333;"

    def get_header_style(self) -> str:
        return "background-color: #4285f4; color: white;"


# repr() ------------------------------------------------------------------------------------------


def test_repr_is_the_text_table(small: DataFrame) -> None:
    assert repr(small) == "\n".join(
        [
            "DataFrame()",
            "+---+---+",
            "| a | b |",
            "+---+---+",
            "| 1 | x |",
            "| 2 |   |",
            "| 3 | z |",
            "+---+---+",
        ]
    )


def test_repr_truncates_at_max_rows(numbers: DataFrame) -> None:
    text = repr(numbers)
    assert [row[0] for row in text_rows(text)] == ["n", *map(str, range(10))]
    assert text.endswith("\nData truncated.")


def test_repr_of_exactly_max_rows_is_not_truncated(ctx: SessionContext) -> None:
    text = repr(ctx.from_pydict({"n": list(range(10))}))
    assert len(text_rows(text)) == 11
    assert "truncated" not in text


def test_repr_without_rows(small: DataFrame) -> None:
    empty = small.filter(fuseplug.col("a") > fuseplug.lit(100))
    assert repr(empty) == "No data to display"
    assert empty._repr_html_() == "No data to display"


def test_display_runs_only_the_rows_shown(ctx: SessionContext) -> None:
    huge = ctx.sql("SELECT value AS v FROM range(10000000000)")
    start = time.monotonic()
    text, markup = repr(huge), huge._repr_html_()
    assert time.monotonic() - start < 20
    assert text_rows(text)[-1] == ["9"]
    assert data_rows(markup) == 10


# The HTML table --------------------------------------------------------------------------------


def test_html_shows_rows_and_headers(small: DataFrame) -> None:
    markup = small._repr_html_()
    assert "<table" in markup and "</table>" in markup
    assert data_rows(markup) == 3
    assert re.findall(r"<th[^>]*>([^<]*)</th>", markup) == ["a", "b"]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", markup)
    assert cells == ["1", "x", "2", "None", "3", "z"]
    assert "Data truncated" not in markup


def test_html_escapes_values_and_column_names(ctx: SessionContext) -> None:
    nasty = "<script>alert('x')</script>&"
    markup = ctx.from_pydict({"<b>col</b>": [nasty, "a" * 40 + "<i>"]})._repr_html_()
    assert "<script>alert" not in markup
    assert "<b>col</b>" not in markup and "<i>" not in markup
    assert "&lt;b&gt;col&lt;/b&gt;" in markup
    assert html.escape(nasty) in markup
    assert html.escape("a" * 40 + "<i>") in markup  # the expanded text of a long cell


def test_html_truncation_message(numbers: DataFrame) -> None:
    markup = numbers._repr_html_()
    assert data_rows(markup) == 10
    assert "Data truncated due to size." in markup
    configure_formatter(show_truncation_message=False)
    assert "Data truncated" not in numbers._repr_html_()


def test_long_cells_expand(ctx: SessionContext) -> None:
    value = "abcdefghij" * 4
    df = ctx.from_pydict({"s": [value]})
    markup = df._repr_html_()
    assert 'class="expandable-container"' in markup
    assert f">{value[:25]}</span>" in markup and f">{value}</span>" in markup
    assert "toggleDataFrameCellText" in markup
    configure_formatter(max_cell_length=50)
    assert 'class="expandable-container"' not in df._repr_html_()
    configure_formatter(enable_cell_expansion=False)
    markup = df._repr_html_()
    assert "expandable-container" not in markup and "<script>" not in markup
    assert f">{value}</td>" in markup


def test_size_and_custom_css(small: DataFrame) -> None:
    configure_formatter(max_width=500, max_height=200, custom_css=".mine { color: red; }")
    markup = small._repr_html_()
    assert "max-width: 500px" in markup and "max-height: 200px" in markup
    assert "<style>.mine { color: red; }</style>" in markup


def test_styles_go_into_the_page_head_from_a_script(small: DataFrame) -> None:
    # as in the official bindings: never a <style> element in the output, shared or not
    shared = small._repr_html_()
    assert "getElementById" in shared and "<style>" not in shared
    assert "if (style) { return; }" in shared  # the first table's styles stay
    configure_formatter(use_shared_styles=False)
    rewritten = small._repr_html_()
    assert "<style>" not in rewritten and ".expandable-container" in rewritten
    assert "style.textContent = css; return;" in rewritten  # every table writes them again


def test_custom_style_provider(small: DataFrame) -> None:
    configure_formatter(style_provider=Provider())
    markup = small._repr_html_()
    assert '<th style="background-color: #4285f4; color: white;">a</th>' in markup
    assert '<td style="background-color: #f5f5f5; color: #333;">1</td>' in markup


def test_default_style_provider() -> None:
    provider = DefaultStyleProvider()
    assert isinstance(provider, StyleProvider)
    assert "border" in provider.get_cell_style()
    assert "background-color" in provider.get_header_style()
    markup = DataFrameHtmlFormatter().format_html(
        [pa.record_batch({"a": [1]})], pa.schema([("a", pa.int64())])
    )
    assert f'<td style="{provider.get_cell_style()}">1</td>' in markup


def test_register_formatter(small: DataFrame) -> None:
    formatter = get_formatter()
    formatter.register_formatter(int, lambda n: f'<span class="num">{n * 10}</span>')
    formatter.register_formatter(object, lambda v: "never")  # int matched first
    markup = small._repr_html_()
    assert '<span class="num">10</span>' in markup  # a formatter's HTML is not escaped
    assert '<span class="num">30</span>' in markup
    assert ">never<" in markup  # strings and None fall through to the object formatter


def test_custom_cell_builder(small: DataFrame) -> None:
    calls: list[tuple[Any, int, int, str]] = []

    def builder(value: Any, row: int, col: int, table_id: str) -> str:
        calls.append((value, row, col, table_id))
        return f'<td data-cell="{row}-{col}">{value}!</td>'

    get_formatter().set_custom_cell_builder(builder)
    markup = small._repr_html_()
    assert '<td data-cell="1-0">1!</td>' in markup
    assert '<td data-cell="2-1">None!</td>' in markup
    assert [c[:3] for c in calls[:2]] == [(1, 1, 0), ("x", 1, 1)]
    assert len({c[3] for c in calls}) == 1


def test_custom_header_builder(small: DataFrame) -> None:
    fields: list[pa.Field] = []

    def builder(field: pa.Field) -> str:
        fields.append(field)
        return f'<th title="column {field.name}">{field.name.upper()}</th>'

    get_formatter().set_custom_header_builder(builder)
    markup = small._repr_html_()
    assert '<th title="column a">A</th>' in markup
    assert [f.name for f in fields] == ["a", "b"]


def test_format_html_directly() -> None:
    batch = pa.record_batch({"a": [1, 2]})
    formatter = DataFrameHtmlFormatter()
    assert formatter.format_html([], batch.schema) == "No data to display"
    with pytest.raises(TypeError, match="Schema must be provided"):
        formatter.format_html([batch], None)
    markup = formatter.format_html([batch, batch], batch.schema, has_more=True)
    assert data_rows(markup) == 4 and "Data truncated due to size." in markup
    long = pa.record_batch({"s": ["x" * 30]})
    markup = formatter.format_html([long], long.schema, table_uuid="tbl")
    assert 'id="tbl-full-text-1-0"' in markup and 'id="tbl-min-text-1-0"' in markup


# Limits: rows and memory -----------------------------------------------------------------------


def test_max_and_min_rows(numbers: DataFrame) -> None:
    configure_formatter(max_rows=3, min_rows=2)
    assert data_rows(numbers._repr_html_()) == 3
    assert len(text_rows(repr(numbers))) == 4
    configure_formatter(max_rows=30, min_rows=30)
    assert data_rows(numbers._repr_html_()) == 30
    assert "truncated" not in repr(numbers)


def test_memory_limit_keeps_min_rows(ctx: SessionContext) -> None:
    df = ctx.from_pydict({"a": [1, 2, 3]})
    configure_formatter(max_memory_bytes=10, min_rows=1)
    markup = df._repr_html_()
    assert data_rows(markup) == 1 and "data truncated" in markup.lower()
    configure_formatter(max_memory_bytes=10 * 1024 * 1024, min_rows=1)
    markup = df._repr_html_()
    assert data_rows(markup) == 3 and "data truncated" not in markup.lower()


def test_memory_limit_across_batches(ctx: SessionContext) -> None:
    batches = [pa.record_batch({"s": ["y" * 1000] * 5}) for _ in range(20)]
    df = ctx.create_dataframe([batches])
    configure_formatter(max_memory_bytes=12_000, min_rows=2, max_rows=100)
    rows = data_rows(df._repr_html_())
    assert 2 <= rows < 20
    configure_formatter(max_memory_bytes=1, min_rows=7, max_rows=100)
    assert data_rows(df._repr_html_()) == 7


def test_limits_of_a_formatter_changed_in_place(numbers: DataFrame) -> None:
    formatter = get_formatter()
    formatter.max_rows = 4
    formatter.min_rows = 1
    assert data_rows(numbers._repr_html_()) == 4
    formatter.min_rows = 5
    with pytest.raises(ValueError, match="min_rows must be less than or equal to max_rows"):
        repr(numbers)


# The shared formatter --------------------------------------------------------------------------


def test_configure_formatter_changes_later_reprs(numbers: DataFrame) -> None:
    assert len(text_rows(repr(numbers))) == 11
    fuseplug.configure_formatter(max_rows=5, min_rows=5, max_cell_length=7)
    formatter = get_formatter()
    assert (formatter.max_rows, formatter.min_rows, formatter.max_cell_length) == (5, 5, 7)
    assert len(text_rows(repr(numbers))) == 6
    assert fuseplug.configure_formatter is configure_formatter
    assert "configure_formatter" in fuseplug.__all__


def test_configure_formatter_rejects_unknown_parameters() -> None:
    with pytest.raises(ValueError, match="Invalid formatter parameters: bogus"):
        configure_formatter(max_width=500, bogus=1)
    assert get_formatter().max_width == 1000


def test_reset_formatter_restores_defaults(numbers: DataFrame) -> None:
    configure_formatter(max_rows=2, min_rows=1, max_width=10)
    get_formatter().register_formatter(int, lambda n: "INT")
    reset_formatter()
    formatter = get_formatter()
    assert (formatter.max_rows, formatter.min_rows, formatter.max_width) == (10, 10, 1000)
    assert "INT" not in numbers._repr_html_()
    assert len(text_rows(repr(numbers))) == 11


def test_set_and_get_formatter(numbers: DataFrame) -> None:
    mine = DataFrameHtmlFormatter(max_rows=12, min_rows=12)
    set_formatter(mine)
    assert get_formatter() is mine and FormatterManager.get_formatter() is mine
    assert data_rows(numbers._repr_html_()) == 12
    other = DataFrameHtmlFormatter()
    FormatterManager.set_formatter(other)
    assert get_formatter() is other


def test_any_object_can_be_the_formatter(numbers: DataFrame) -> None:
    seen: dict[str, Any] = {}

    class Minimal:
        max_rows = 2
        min_rows = 1

        def format_html(self, **kwargs: Any) -> str:
            seen.update(kwargs)
            return "HTML"

        def format_str(self, **kwargs: Any) -> str:
            return "TEXT"

    set_formatter(Minimal())  # type: ignore[arg-type]
    assert numbers._repr_html_() == "HTML" and repr(numbers) == "TEXT"
    assert sorted(seen) == ["batches", "has_more", "schema", "table_uuid"]
    assert sum(b.num_rows for b in seen["batches"]) == 2
    assert seen["has_more"] is True and seen["schema"].names == ["n"]
    assert isinstance(seen["table_uuid"], str)

    class NoLimits:
        def format_str(self, **kwargs: Any) -> str:
            return str(sum(b.num_rows for b in kwargs["batches"]))

    set_formatter(NoLimits())  # type: ignore[arg-type]
    assert repr(numbers) == "10"  # the default limits


# Construction and validation -------------------------------------------------------------------


def test_defaults() -> None:
    formatter = DataFrameHtmlFormatter()
    assert formatter.max_cell_length == 25
    assert (formatter.max_width, formatter.max_height) == (1000, 300)
    assert formatter.max_memory_bytes == 2 * 1024 * 1024
    assert (formatter.min_rows, formatter.max_rows) == (10, 10)
    assert formatter.enable_cell_expansion and formatter.show_truncation_message
    assert formatter.use_shared_styles and formatter.custom_css is None
    assert isinstance(formatter.style_provider, DefaultStyleProvider)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_cell_length": 0}, ValueError, "max_cell_length must be a positive integer"),
        ({"max_width": -1}, ValueError, "max_width must be a positive integer"),
        ({"max_height": 2.5}, ValueError, "max_height must be a positive integer"),
        ({"max_memory_bytes": 0}, ValueError, "max_memory_bytes must be a positive integer"),
        ({"min_rows": 0}, ValueError, "min_rows must be a positive integer"),
        ({"max_rows": 0, "min_rows": 1}, ValueError, "max_rows must be a positive integer"),
        ({"max_rows": 5}, ValueError, "min_rows must be less than or equal to max_rows"),
        ({"enable_cell_expansion": "yes"}, TypeError, "enable_cell_expansion must be a boolean"),
        ({"show_truncation_message": 1}, TypeError, "show_truncation_message must be a boolean"),
        ({"use_shared_styles": None}, TypeError, "use_shared_styles must be a boolean"),
        ({"custom_css": 5}, TypeError, "custom_css must be None or a string"),
        ({"style_provider": object()}, TypeError, "StyleProvider protocol"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        DataFrameHtmlFormatter(**kwargs)
    with pytest.raises(error, match=message):
        configure_formatter(**kwargs)


def test_repr_rows_is_a_deprecated_max_rows() -> None:
    with pytest.deprecated_call():
        formatter = DataFrameHtmlFormatter(repr_rows=12)
    assert formatter.max_rows == 12 and formatter.repr_rows == 12
    with pytest.deprecated_call():
        configure_formatter(repr_rows=15)
    assert get_formatter().max_rows == 15
    with pytest.deprecated_call():
        formatter.repr_rows = 20
    assert formatter.max_rows == 20
    formatter.max_rows = 30
    assert formatter.repr_rows == 30
    with pytest.deprecated_call(), pytest.raises(ValueError, match="max_rows"):
        DataFrameHtmlFormatter(repr_rows=12, max_rows=13)
    with pytest.deprecated_call(), pytest.raises(ValueError, match="repr_rows"):
        DataFrameHtmlFormatter(repr_rows=0)


def test_deprecation_warning_points_at_the_caller() -> None:
    with pytest.warns(DeprecationWarning) as record:
        configure_formatter(repr_rows=11)
    assert record[0].filename == __file__


def test_protocols() -> None:
    assert isinstance(Provider(), StyleProvider)
    assert not isinstance(object(), StyleProvider)
    assert isinstance(lambda value: str(value), CellFormatter)
    assert not isinstance(3, CellFormatter)


# The text table --------------------------------------------------------------------------------


def test_default_str_repr() -> None:
    batch = pa.record_batch({"x": [1, None], "name": ["a", "bcd"]})
    expected = "\n".join(
        [
            "DataFrame()",
            "+---+------+",
            "| x | name |",
            "+---+------+",
            "| 1 | a    |",
            "|   | bcd  |",
            "+---+------+",
        ]
    )
    assert DataFrame.default_str_repr([batch], batch.schema, False) == expected
    assert DataFrame.default_str_repr([batch], batch.schema, True, "id") == (
        expected + "\nData truncated."
    )
    assert DataFrame.default_str_repr([], batch.schema, False) == "No data to display"
    assert DataFrame.default_str_repr([batch.slice(0, 0)], batch.schema, True) == (
        "No data to display"
    )
    assert get_formatter().format_str([batch], batch.schema, True) == (
        expected + "\nData truncated."
    )


def test_default_str_repr_layout() -> None:
    batch = pa.record_batch({"s": ["a\nbb", "中文"], "b": [True, False]})
    assert DataFrame.default_str_repr([batch, batch.slice(1)], batch.schema, False) == "\n".join(
        [
            "DataFrame()",
            "+------+-------+",
            "| s    | b     |",
            "+------+-------+",
            "| a    | true  |",
            "| bb   |       |",
            "| 中文 | false |",
            "| 中文 | false |",
            "+------+-------+",
        ]
    )


def test_default_str_repr_rejects_bad_arguments() -> None:
    batch = pa.record_batch({"a": [1]})
    with pytest.raises(TypeError):
        DataFrame.default_str_repr([1], batch.schema, False)
    with pytest.raises(TypeError):
        DataFrame.default_str_repr(batch, batch.schema, False)
    with pytest.raises(TypeError):
        DataFrame.default_str_repr([batch], batch.schema, "yes")  # type: ignore[arg-type]


def test_default_str_repr_takes_fuseplug_batches(ctx: SessionContext) -> None:
    batches = list(ctx.from_pydict({"a": [1, 2]}).execute_stream())
    text = DataFrame.default_str_repr(batches, batches[0].schema, False)
    assert text_rows(text) == [["a"], ["1"], ["2"]]


def test_module_doctest() -> None:
    result = doctest.testmod(fmt, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


# Against the official wheel --------------------------------------------------------------------

#: Builds the same record batches here and in the official wheel's process.
SAMPLES = r"""
import datetime, decimal
import numpy as np
import pyarrow as pa

def samples():
    floats = [1e15, 1e16, 0.001, 0.00001, 1.5e-6, 1234567.0, -0.0, float("inf"), float("nan"),
              None, 0.1 + 0.2, 1 / 3, 1e300, 5e-324, 100.0]
    yield pa.record_batch({
        "f64": floats,
        "f32": pa.array(floats, pa.float32()),
        "f16": pa.array(np.array([0.1, 1e4, 6e-5, 1.5, -2, 0, 65504, 0.3, 7, 8, 9, 1, 2, 3, 4],
                                 dtype=np.float16)),
    })
    ints = [0, 10**9 + 5, -1, 1600000000123, None, 1500]
    yield pa.record_batch({
        "ts": pa.array(ints, pa.timestamp("ns")),
        "ts_ny": pa.array(ints, pa.timestamp("ns", "America/New_York")),
        "ts_utc": pa.array(ints, pa.timestamp("us", "UTC")),
        "ts_off": pa.array(ints, pa.timestamp("ms", "+05:30")),
        "dur_s": pa.array(ints, pa.duration("s")),
        "dur_ns": pa.array(ints, pa.duration("ns")),
        "t64": pa.array([0, 10**9, 1, 3600 * 10**9 + 1500, None, 5], pa.time64("ns")),
        "t32": pa.array([0, 10, 1, 3661, None, 86399], pa.time32("ms")),
        "d32": pa.array([0, 10, -1, 365, None, 20000], pa.date32()),
        "d64": pa.array([0, 10, -1, 86400000, None, 5], pa.date64()),
        "dec": pa.array([None, 1, -1, 0, 12345, decimal.Decimal("-0.001")],
                        pa.decimal128(10, 3)),
        "interval": pa.array([pa.MonthDayNano(v) for v in [(1, 2, 3), (0, 0, 0), (-1, 0, 15 * 10**8),
                              (0, -3, -7200 * 10**9), (0, 0, 3661 * 10**9 + 5), (14, 0, 6 * 10**10)]],
                             pa.month_day_nano_interval()),
    })
    yield pa.record_batch({
        "list": pa.array([[1, None, 3], [], None]),
        "struct": pa.array([{"x": 1, "y": "s"}, {"x": None, "y": None}, None]),
        "map": pa.array([[("k", 1)], [], None], pa.map_(pa.string(), pa.int64())),
        "fixed": pa.array([[1, 2], [3, 4], None], pa.list_(pa.int32(), 2)),
        "dict": pa.array(["a", None, "b"]).dictionary_encode(),
        "bin": pa.array([b"ab", b"\xff\x00", None]),
        "bool": pa.array([True, False, None]),
        "nulls": pa.nulls(3),
        "text": ["a\nb", "\u00e9\u4e2d", "\U0001f600"],
        "u64": pa.array([2**64 - 1, 0, None], pa.uint64()),
        "nested": pa.array([[{"d": datetime.date(2020, 1, 2)}], None, [None]]),
    })
"""

OFFICIAL_TEXT = (
    SAMPLES
    + """
import json
from datafusion import DataFrame
out = [DataFrame.default_str_repr([b], b.schema, False, "u") for b in samples()]
print(json.dumps(out))
"""
)


def official(run_python: RunPython, code: str) -> Any:
    result = run_python(code, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@needs_official
def test_default_str_repr_matches_the_official_wheel(run_python: RunPython) -> None:
    expected = official(run_python, OFFICIAL_TEXT)
    namespace: dict[str, Any] = {}
    exec(SAMPLES, namespace)
    ours = [DataFrame.default_str_repr([b], b.schema, False, "u") for b in namespace["samples"]()]
    assert ours == expected


SHAPES = """
import inspect, json
module = __import__(MODULE, fromlist=["x"])
names = ["CellFormatter", "DataFrameHtmlFormatter", "DefaultStyleProvider", "FormatterManager",
         "StyleProvider", "configure_formatter", "get_formatter", "reset_formatter", "set_formatter"]

def params(fn):
    return [(p.name, p.kind.name, None if p.default is p.empty else repr(p.default))
            for p in inspect.signature(fn).parameters.values()]

out = {}
for name in names:
    obj = getattr(module, name)
    if inspect.isclass(obj):
        for attr, member in vars(obj).items():
            if not attr.startswith("_") or attr == "__init__":
                kind = type(member).__name__
                fn = getattr(obj, attr)
                out[f"{name}.{attr}"] = [kind] + (params(fn) if callable(fn) else [])
    else:
        out[name] = params(obj)
out["DataFrame.default_str_repr"] = params(__import__(PACKAGE).DataFrame.default_str_repr)
print(json.dumps(out, sort_keys=True))
"""


@needs_official
def test_api_shape_matches_the_official_wheel(run_python: RunPython) -> None:
    def shapes(package: str) -> Any:
        module = f"{package}.dataframe_formatter"
        return official(run_python, f"MODULE = {module!r}\nPACKAGE = {package!r}\n" + SHAPES)

    assert shapes("fuseplug") == shapes("datafusion")


VALIDATION = """
import json, warnings
warnings.simplefilter("ignore")
from PACKAGE.dataframe_formatter import DataFrameHtmlFormatter, configure_formatter

class Provider:
    def get_cell_style(self): return ""
    def get_header_style(self): return ""

cases = [
    {"max_cell_length": 0}, {"max_cell_length": "5"}, {"max_width": -3}, {"max_height": 1.5},
    {"max_memory_bytes": 0}, {"min_rows": 0}, {"max_rows": 0, "min_rows": 1}, {"max_rows": 5},
    {"max_rows": 30, "min_rows": 20}, {"repr_rows": 0}, {"repr_rows": 12},
    {"repr_rows": 12, "max_rows": 13}, {"enable_cell_expansion": "yes"},
    {"show_truncation_message": 1}, {"use_shared_styles": None}, {"custom_css": 5},
    {"custom_css": ".x {}"}, {"style_provider": object()}, {"style_provider": Provider()},
    {"max_cell_length": True},
]
out = []
for kwargs in cases:
    for make in (DataFrameHtmlFormatter, configure_formatter):
        try:
            make(**kwargs)
            out.append("ok")
        except Exception as error:
            out.append(type(error).__name__)
try:
    configure_formatter(nonsense=1)
except Exception as error:
    out.append(type(error).__name__)
print(json.dumps(out))
"""


@needs_official
def test_invalid_arguments_raise_as_in_the_official_wheel(run_python: RunPython) -> None:
    ours = official(run_python, VALIDATION.replace("PACKAGE", "fuseplug"))
    assert ours == official(run_python, VALIDATION.replace("PACKAGE", "datafusion"))
    assert "ValueError" in ours and "TypeError" in ours and "ok" in ours


DISPLAYS = """
import json, re, warnings
warnings.simplefilter("ignore")
import PACKAGE
from PACKAGE.dataframe_formatter import configure_formatter, reset_formatter

ctx = PACKAGE.SessionContext()
df = ctx.from_pydict({"n": list(range(30)), "s": [None if i % 7 == 0 else f"v{i}" for i in range(30)],
                      "f": [i / 4 for i in range(30)]})
configs = [{}, {"max_rows": 3, "min_rows": 2}, {"max_rows": 50, "min_rows": 2, "max_memory_bytes": 10},
           {"max_rows": 30, "min_rows": 30}, {"show_truncation_message": False}]
out = []
for config in configs:
    configure_formatter(**config)
    markup = df._repr_html_()
    out.append([re.findall(r"<th[^>]*>([^<]*)</th>", markup),
                re.findall(r"<td[^>]*>([^<]*)</td>", markup),
                "Data truncated due to size." in markup, repr(df)])
print(json.dumps(out))
"""


@needs_official
def test_displays_match_the_official_wheel(run_python: RunPython) -> None:
    ours = official(run_python, DISPLAYS.replace("PACKAGE", "fuseplug"))
    assert ours == official(run_python, DISPLAYS.replace("PACKAGE", "datafusion"))


def test_public_names_are_listed() -> None:
    public = {
        n for n, v in vars(fmt).items() if not n.startswith("_") and inspect.getmodule(v) is fmt
    }
    assert public == set(fmt.__all__)
