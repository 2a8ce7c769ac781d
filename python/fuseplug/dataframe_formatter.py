"""How DataFrames display: the HTML table of notebooks (``_repr_html_``) and the text table of
``repr()``, with the API of the official bindings' ``datafusion.dataframe_formatter``.

One formatter is shared by every DataFrame. :func:`configure_formatter` replaces it with one built
from keyword arguments, :func:`set_formatter` installs your own (any object with ``format_html``
and ``format_str``), :func:`reset_formatter` restores the defaults, and :func:`get_formatter`
returns it, to change a setting in place or register cell formatters:

>>> import fuseplug
>>> from fuseplug.dataframe_formatter import configure_formatter, reset_formatter
>>> df = fuseplug.SessionContext().from_pydict({"n": [1, 2, 3]})
>>> configure_formatter(max_rows=2, min_rows=1)
>>> print(repr(df))
DataFrame()
+---+
| n |
+---+
| 1 |
| 2 |
+---+
Data truncated.
>>> reset_formatter()

A display computes only the rows it shows (see ``docs/formatting.md``). Cell values and column
names are HTML-escaped; what your own cell formatters and builders return goes in as it is.
"""

from __future__ import annotations

import datetime
import html
import inspect
import json
import math
import struct
import sys
import unicodedata
import uuid
import warnings
import zoneinfo
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pyarrow as pa

if TYPE_CHECKING:
    from fuseplug.dataframe import DataFrame

__all__ = [
    "CellFormatter",
    "DataFrameHtmlFormatter",
    "DefaultStyleProvider",
    "FormatterManager",
    "StyleProvider",
    "configure_formatter",
    "get_formatter",
    "reset_formatter",
    "set_formatter",
]

_DEFAULT_MAX_ROWS = 10
_DEFAULT_MIN_ROWS = 10
_DEFAULT_MAX_BYTES = 2 * 1024 * 1024
_NO_DATA = "No data to display"
_STYLE_ELEMENT_ID = "fuseplug-df-styles"


def _user_stacklevel() -> int:
    """The ``stacklevel`` for a warning raised by this module's caller that points at the first
    frame outside this module (the user's code, also through :func:`configure_formatter`)."""
    level, frame = 2, sys._getframe(2)
    while frame.f_back is not None and frame.f_globals.get("__name__") == __name__:
        level, frame = level + 1, frame.f_back
    return level


def _require_positive_int(value: Any, name: str) -> None:
    if not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive integer")


def _require_bool(value: Any, name: str) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a boolean")


@runtime_checkable
class CellFormatter(Protocol):
    """A callable turning one cell value (a Python value, as ``pyarrow``'s ``as_py()`` gives it)
    into the HTML shown in its cell; see :meth:`DataFrameHtmlFormatter.register_formatter`."""

    def __call__(self, value: Any) -> str:
        """The HTML of ``value``."""
        ...


@runtime_checkable
class StyleProvider(Protocol):
    """Supplies the inline CSS of the HTML table's data cells and header cells."""

    def get_cell_style(self) -> str:
        """CSS declarations for each ``<td>``."""
        ...

    def get_header_style(self) -> str:
        """CSS declarations for each ``<th>``."""
        ...


class DefaultStyleProvider:
    """The built-in cell and header styles: thin borders, padding, left-aligned unwrapped text and
    a grey header."""

    def get_cell_style(self) -> str:
        """CSS declarations for each ``<td>``."""
        return "border: 1px solid #999; padding: 6px 8px; text-align: left; white-space: nowrap;"

    def get_header_style(self) -> str:
        """CSS declarations for each ``<th>``."""
        return (
            "border: 1px solid #999; padding: 6px 8px; text-align: left; white-space: nowrap; "
            "background-color: #eee; font-weight: bold;"
        )


_EXPANSION_CSS = """
.expandable-container { display: inline-block; max-width: 200px; }
.expandable { display: block; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.expandable-container .full-text { display: none; white-space: normal; }
.expandable-container.expanded .expandable { display: none; }
.expandable-container.expanded .full-text { display: inline; }
.expand-btn { display: block; margin-top: 4px; padding: 0; border: none; background: none;
  color: #1a5fb4; cursor: pointer; font-size: inherit; text-decoration: underline; }
"""

_EXPANSION_JS = """<script>
(function () {
  if (window.__fuseplugCellToggle) { return; }
  window.__fuseplugCellToggle = true;
  window.toggleDataFrameCellText = function (tableId, row, col) {
    var full = document.getElementById(tableId + "-full-text-" + row + "-" + col);
    if (!full) { return; }
    var box = full.parentNode, open = box.classList.toggle("expanded");
    var button = box.querySelector(".expand-btn");
    if (button) { button.textContent = open ? "(less)" : "..."; }
  };
})();
</script>"""


class DataFrameHtmlFormatter:
    """Renders DataFrames as HTML (notebooks) and text (``repr``), within row and memory limits.

    Args:
        max_cell_length: characters of a cell shown before a "..." button expands the rest.
        max_width, max_height: the table's size limits in pixels (it scrolls beyond).
        max_memory_bytes: stop fetching rows for a display once this much data has arrived.
        min_rows: rows shown even when ``max_memory_bytes`` is reached (at most ``max_rows``).
        max_rows: most rows shown (default 10); ``repr_rows`` is its deprecated name.
        enable_cell_expansion: collapse cells longer than ``max_cell_length``.
        custom_css: CSS added in a ``<style>`` element before the table.
        show_truncation_message: say so under the table when rows were left out.
        style_provider: the cells' inline styles (default :class:`DefaultStyleProvider`).
        use_shared_styles: the table's CSS goes into the page's head from a script either way;
            shared, the first table adds it and later ones leave it; not shared, every table
            writes it again.

    Raises:
        ValueError: a size or row count is not a positive integer, or ``min_rows > max_rows``.
        TypeError: a flag is not a bool, ``custom_css`` not a string, or ``style_provider`` not
            a :class:`StyleProvider`.
    """

    def __init__(
        self,
        max_cell_length: int = 25,
        max_width: int = 1000,
        max_height: int = 300,
        max_memory_bytes: int = 2 * 1024 * 1024,
        min_rows: int = 10,
        max_rows: int | None = None,
        repr_rows: int | None = None,
        enable_cell_expansion: bool = True,
        custom_css: str | None = None,
        show_truncation_message: bool = True,
        style_provider: StyleProvider | None = None,
        use_shared_styles: bool = True,
    ) -> None:
        for name, value in (
            ("max_cell_length", max_cell_length),
            ("max_width", max_width),
            ("max_height", max_height),
            ("max_memory_bytes", max_memory_bytes),
            ("min_rows", min_rows),
        ):
            _require_positive_int(value, name)
        if repr_rows is not None:
            warnings.warn(
                "repr_rows parameter is deprecated, use max_rows instead",
                DeprecationWarning,
                stacklevel=_user_stacklevel(),
            )
            _require_positive_int(repr_rows, "repr_rows")
            if max_rows is not None and max_rows != repr_rows:
                raise ValueError("Cannot specify both repr_rows and max_rows; use max_rows only")
            max_rows = repr_rows
        if max_rows is None:
            max_rows = _DEFAULT_MAX_ROWS
        _require_positive_int(max_rows, "max_rows")
        if min_rows > max_rows:
            raise ValueError("min_rows must be less than or equal to max_rows")
        _require_bool(enable_cell_expansion, "enable_cell_expansion")
        _require_bool(show_truncation_message, "show_truncation_message")
        _require_bool(use_shared_styles, "use_shared_styles")
        if custom_css is not None and not isinstance(custom_css, str):
            raise TypeError("custom_css must be None or a string")
        if style_provider is not None and not isinstance(style_provider, StyleProvider):
            raise TypeError("style_provider must implement the StyleProvider protocol")

        self.max_cell_length = max_cell_length
        self.max_width = max_width
        self.max_height = max_height
        self.max_memory_bytes = max_memory_bytes
        self.min_rows = min_rows
        self._max_rows: int = max_rows
        self.enable_cell_expansion = enable_cell_expansion
        self.custom_css = custom_css
        self.show_truncation_message = show_truncation_message
        self.style_provider: StyleProvider = style_provider or DefaultStyleProvider()
        self.use_shared_styles = use_shared_styles
        self._type_formatters: dict[type, CellFormatter] = {}
        self._custom_cell_builder: Callable[[Any, int, int, str], str] | None = None
        self._custom_header_builder: Callable[[Any], str] | None = None

    @property
    def max_rows(self) -> int:
        """Most rows a display shows."""
        return self._max_rows

    @max_rows.setter
    def max_rows(self, value: int) -> None:
        self._max_rows = value

    @property
    def repr_rows(self) -> int:
        """Deprecated name of :attr:`max_rows` (setting it warns)."""
        return self._max_rows

    @repr_rows.setter
    def repr_rows(self, value: int) -> None:
        warnings.warn(
            "repr_rows is deprecated, use max_rows instead", DeprecationWarning, stacklevel=2
        )
        self._max_rows = value

    def register_formatter(self, type_class: type, formatter: CellFormatter) -> None:
        """Renders cells whose value is an instance of ``type_class`` (``int``, ``str``,
        ``datetime.date``, ...) with ``formatter(value)``, whose result goes into the HTML as is.
        The first registered type that matches wins."""
        self._type_formatters[type_class] = formatter

    def set_custom_cell_builder(self, builder: Callable[[Any, int, int, str], str]) -> None:
        """Builds every data cell with ``builder(value, row, column, table_uuid)``, which returns
        the whole ``<td>...</td>`` element (rows count from 1, columns from 0)."""
        self._custom_cell_builder = builder

    def set_custom_header_builder(self, builder: Callable[[Any], str]) -> None:
        """Builds every header cell with ``builder(field)`` (a ``pyarrow.Field``), which returns
        the whole ``<th>...</th>`` element."""
        self._custom_header_builder = builder

    def format_html(
        self,
        batches: list[Any],
        schema: Any,
        has_more: bool = False,
        table_uuid: str | None = None,
    ) -> str:
        """The HTML table of ``batches`` (pyarrow RecordBatches) that ``_repr_html_`` shows;
        ``has_more`` adds the truncation message, ``table_uuid`` prefixes the element ids."""
        if not batches:
            return _NO_DATA
        if schema is None or not hasattr(schema, "__iter__"):
            raise TypeError("Schema must be provided")
        table_id = table_uuid or f"df-{uuid.uuid4().hex}"
        parts = self._style_parts()
        parts.append(
            f'<div style="max-width: {self.max_width}px; max-height: {self.max_height}px; '
            'overflow: auto; border: 1px solid #ccc;">'
        )
        parts.append('<table style="border-collapse: collapse;">\n<thead>\n<tr>')
        style = _attr(self.style_provider.get_header_style())
        header = self._custom_header_builder or (
            lambda field: f'<th style="{style}">{html.escape(str(field.name))}</th>'
        )
        parts.extend(header(field) for field in schema)
        parts.append("</tr>\n</thead>\n<tbody>")
        parts.extend(self._body_rows(batches, table_id))
        parts.append("</tbody>\n</table>\n</div>")
        if self.enable_cell_expansion:
            parts.append(_EXPANSION_JS)
        if has_more and self.show_truncation_message:
            parts.append("<div>Data truncated due to size.</div>")
        return "\n".join(parts)

    def format_str(
        self,
        batches: list[Any],
        schema: Any,
        has_more: bool = False,
        table_uuid: str | None = None,
    ) -> str:
        """The text table of ``repr()``: :meth:`fuseplug.DataFrame.default_str_repr`."""
        return _default_str_repr(batches, schema, has_more, table_uuid)

    def _style_parts(self) -> list[str]:
        """The table's CSS, added to the page's head by a script (no ``<style>`` in the output, so
        notebooks that sanitize or re-render output keep one copy). With shared styles the first
        table's script adds it once; without, every table's script writes it again."""
        parts = []
        if self.enable_cell_expansion:
            css = json.dumps(_EXPANSION_CSS).replace("</", "<\\/")
            existing = (
                "if (style) { return; }"
                if self.use_shared_styles
                else "if (style) { style.textContent = css; return; }"
            )
            parts.append(
                "<script>\n(function () {\n"
                f"  var css = {css};\n"
                f'  var style = document.getElementById("{_STYLE_ELEMENT_ID}");\n'
                f"  {existing}\n"
                '  style = document.createElement("style");\n'
                f'  style.id = "{_STYLE_ELEMENT_ID}";\n'
                "  style.textContent = css;\n"
                "  document.head.appendChild(style);\n"
                "})();\n</script>"
            )
        if self.custom_css:
            parts.append(f"<style>{self.custom_css}</style>")
        return parts

    def _body_rows(self, batches: Iterable[Any], table_id: str) -> list[str]:
        rows = []
        row_number = 0
        cell_style = _attr(self.style_provider.get_cell_style())
        for batch in batches:
            columns = [_python_values(column) for column in batch.columns]
            for index in range(batch.num_rows):
                row_number += 1
                cells = [
                    self._cell(values[index], row_number, col, table_id, cell_style)
                    for col, values in enumerate(columns)
                ]
                rows.append("<tr>\n" + "\n".join(cells) + "\n</tr>")
        return rows

    def _cell(self, value: Any, row: int, col: int, table_id: str, style: str) -> str:
        if self._custom_cell_builder is not None:
            return self._custom_cell_builder(value, row, col, table_id)
        plain = str(value)
        custom = next(
            (fmt for cls, fmt in self._type_formatters.items() if isinstance(value, cls)), None
        )
        if custom is not None:
            full = str(custom(value))
            short = full[: self.max_cell_length]
        else:
            full = html.escape(plain)
            short = html.escape(plain[: self.max_cell_length])
        if not (self.enable_cell_expansion and len(plain) > self.max_cell_length):
            return f'<td style="{style}">{full}</td>'
        short_id, full_id = (
            _attr(f"{table_id}-{kind}-{row}-{col}") for kind in ("min-text", "full-text")
        )
        call = _attr(f"toggleDataFrameCellText({json.dumps(table_id)},{row},{col})")
        return (
            f'<td style="{style}"><div class="expandable-container">'
            f'<span class="expandable" id="{short_id}">{short}</span>'
            f'<span class="full-text" id="{full_id}">{full}</span>'
            f'<button class="expand-btn" onclick="{call}">...</button></div></td>'
        )


def _attr(text: str) -> str:
    return html.escape(str(text), quote=True)


def _python_values(column: Any) -> list[Any]:
    """A column's values as Python objects (``as_py``), or as text where pyarrow cannot."""
    try:
        return list(column.to_pylist())
    except Exception:
        out = []
        for index in range(len(column)):
            try:
                out.append(column[index].as_py())
            except Exception:
                out.append(_text_column(column.slice(index, 1))[0])
        return out


class FormatterManager:
    """Holds the formatter every DataFrame displays with."""

    _default_formatter: DataFrameHtmlFormatter = DataFrameHtmlFormatter()

    @classmethod
    def set_formatter(cls, formatter: DataFrameHtmlFormatter) -> None:
        """Makes ``formatter`` the shared formatter."""
        cls._default_formatter = formatter

    @classmethod
    def get_formatter(cls) -> DataFrameHtmlFormatter:
        """The shared formatter."""
        return cls._default_formatter


def get_formatter() -> DataFrameHtmlFormatter:
    """The formatter every DataFrame's ``repr`` and ``_repr_html_`` use; change its attributes or
    call its ``register_formatter`` to affect later displays."""
    return FormatterManager.get_formatter()


def set_formatter(formatter: DataFrameHtmlFormatter) -> None:
    """Installs ``formatter`` (a :class:`DataFrameHtmlFormatter` or any object with the same
    ``format_html`` / ``format_str`` methods) for every DataFrame's display."""
    FormatterManager.set_formatter(formatter)


#: What :func:`configure_formatter` accepts: the formatter's constructor parameters.
_FORMATTER_PARAMETERS = tuple(inspect.signature(DataFrameHtmlFormatter).parameters)


def configure_formatter(**kwargs: Any) -> None:
    """Installs a new :class:`DataFrameHtmlFormatter` built from ``kwargs`` (settings not given
    take their defaults), e.g. ``configure_formatter(max_rows=50, max_cell_length=80)``.

    Raises:
        ValueError: an argument is not a formatter parameter (or a value is out of range).
    """
    unknown = sorted(set(kwargs) - set(_FORMATTER_PARAMETERS))
    if unknown:
        raise ValueError(
            f"Invalid formatter parameters: {', '.join(unknown)}. "
            f"Valid parameters are: {', '.join(_FORMATTER_PARAMETERS)}"
        )
    set_formatter(DataFrameHtmlFormatter(**kwargs))


def reset_formatter() -> None:
    """Installs a formatter with the default settings (dropping registered cell formatters)."""
    set_formatter(DataFrameHtmlFormatter())


# Displaying a DataFrame ---------------------------------------------------------------------------


def _limit(formatter: Any, name: str, default: int) -> int:
    """A non-negative integer attribute of ``formatter`` (which may be any object), or default."""
    try:
        value = getattr(formatter, name)
    except Exception:
        return default
    return int(value) if isinstance(value, int) and value >= 0 else default


def _display_limits(formatter: Any) -> tuple[int, int, int]:
    """``(max_rows, min_rows, max_memory_bytes)`` of ``formatter``."""
    max_rows = _limit(formatter, "max_rows", 0) or _limit(formatter, "repr_rows", 0)
    max_rows = max_rows or _DEFAULT_MAX_ROWS
    min_rows = _limit(formatter, "min_rows", _DEFAULT_MIN_ROWS)
    max_bytes = _limit(formatter, "max_memory_bytes", _DEFAULT_MAX_BYTES)
    if max_bytes == 0:
        raise ValueError("max_memory_bytes must be a positive integer")
    if min_rows == 0:
        raise ValueError("min_rows must be a positive integer")
    if min_rows > max_rows:
        raise ValueError("min_rows must be less than or equal to max_rows")
    return max_rows, min_rows, max_bytes


def _collect_for_display(
    df: DataFrame, max_rows: int, min_rows: int, max_bytes: int
) -> tuple[list[pa.RecordBatch], bool]:
    """The first rows of ``df`` to display, and whether it has more: read under a limit of
    ``max_rows + 1`` rows until ``max_rows`` rows or ``max_bytes`` of data have arrived (but at
    least ``min_rows``); a batch passing the byte budget is cut to the share of rows that fits."""
    kept: list[pa.RecordBatch] = []
    rows = size = 0
    more = False
    for item in df.limit(max_rows + 1).execute_stream():
        batch = item.to_pyarrow()
        if batch.num_rows == 0:
            continue
        if rows >= min_rows and (rows >= max_rows or size >= max_bytes):
            more = True
            break
        # the memory a kept batch holds: all of its buffers, which a slice shares with its parent
        size += batch.get_total_buffer_size()
        take = batch.num_rows
        if size > max_bytes:
            total = rows + take
            target = max(round(total * max_bytes / size), min(min_rows, total))
            if target - rows < take:
                take, more = max(target - rows, 0), True
        if rows + take > max_rows:
            take, more = max_rows - rows, True
        if take > 0:
            kept.append(batch.slice(0, take))
            rows += take
        if more:
            break
    return kept, more


def _display(df: DataFrame, method: str) -> str:
    """``df`` rendered by the shared formatter's ``format_html`` or ``format_str``."""
    formatter = get_formatter()
    batches, has_more = _collect_for_display(df, *_display_limits(formatter))
    if not batches:
        return _NO_DATA
    result: str = getattr(formatter, method)(
        batches=batches, schema=batches[0].schema, has_more=has_more, table_uuid=str(uuid.uuid4())
    )
    return result


# The text table ---------------------------------------------------------------------------------


def _record_batch(value: Any) -> pa.RecordBatch:
    if isinstance(value, pa.RecordBatch):
        return value
    if hasattr(value, "to_pyarrow"):  # fuseplug's RecordBatch
        return _record_batch(value.to_pyarrow())
    if hasattr(value, "__arrow_c_array__"):
        return pa.record_batch(value)
    raise TypeError(f"expected a pyarrow RecordBatch, got {type(value).__name__}")


def _default_str_repr(
    batches: list[Any], schema: Any, has_more: bool, table_uuid: str | None = None
) -> str:
    """The bordered text table of ``batches`` under ``DataFrame()``, and ``Data truncated.`` when
    ``has_more``; ``"No data to display"`` without rows. Column names come from the batches."""
    if not isinstance(batches, (list, tuple)):
        raise TypeError(f"batches must be a list of RecordBatches, got {type(batches).__name__}")
    if not isinstance(has_more, bool):
        raise TypeError(f"has_more must be a bool, got {type(has_more).__name__}")
    if table_uuid is not None and not isinstance(table_uuid, str):
        raise TypeError(f"table_uuid must be a str or None, got {type(table_uuid).__name__}")
    record_batches = [_record_batch(b) for b in batches]
    if not any(b.num_rows for b in record_batches):
        return _NO_DATA
    header = [str(name) for name in record_batches[0].schema.names]
    rows: list[list[str]] = []
    for batch in record_batches:
        columns = [_text_column(column) for column in batch.columns]
        rows.extend([list(row) for row in zip(*columns, strict=True)] if columns else [])
    text = "DataFrame()\n" + _grid(header, rows)
    return text + "\nData truncated." if has_more else text


def _width(text: str) -> int:
    """Terminal columns of ``text``: two for wide characters, none for combining and control."""
    width = 0
    for char in text:
        if unicodedata.category(char) in ("Mn", "Me", "Cf", "Cc"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _grid(header: list[str], rows: list[list[str]]) -> str:
    table = [[cell.split("\n") for cell in row] for row in [header, *rows]]
    widths = [
        max(1, *(_width(line) for row in table for line in row[col])) for col in range(len(header))
    ]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def lines(row: list[list[str]]) -> list[str]:
        height = max((len(cell) for cell in row), default=1)
        out = []
        for i in range(height):
            parts = []
            for cell, w in zip(row, widths, strict=True):
                line = cell[i] if i < len(cell) else ""
                parts.append(line + " " * (w - _width(line)))
            out.append("| " + " | ".join(parts) + " |")
        return out

    body = [line for row in table[1:] for line in lines(row)]
    return "\n".join([rule, *lines(table[0]), rule, *body, rule])


_NANOS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
_EPOCH = datetime.datetime(1970, 1, 1)


def _fraction(nanos: int) -> str:
    """Sub-second digits in groups of three, none for a whole second."""
    if nanos == 0:
        return ""
    if nanos % 1_000_000 == 0:
        return f".{nanos // 1_000_000:03d}"
    if nanos % 1_000 == 0:
        return f".{nanos // 1_000:06d}"
    return f".{nanos:09d}"


def _zone(name: str) -> datetime.tzinfo:
    if len(name) in (5, 6) and name[0] in "+-" and name[1:3].isdigit():
        minutes = (int(name[1:3]) * 60 + int(name[-2:])) * (-1 if name[0] == "-" else 1)
        return datetime.timezone(datetime.timedelta(minutes=minutes))
    if name.upper() in ("UTC", "Z"):
        return datetime.timezone.utc
    return zoneinfo.ZoneInfo(name)


def _timestamp_text(value: int, unit: str, tz: str | None) -> str:
    seconds, nanos = divmod(value * _NANOS[unit], 1_000_000_000)
    moment = _EPOCH + datetime.timedelta(seconds=seconds)
    suffix = ""
    if tz is not None:
        local = moment.replace(tzinfo=datetime.timezone.utc).astimezone(_zone(tz))
        offset = int((local.utcoffset() or datetime.timedelta()).total_seconds())
        moment = local.replace(tzinfo=None)
        if offset:
            sign, offset = ("-", -offset) if offset < 0 else ("+", offset)
            suffix = f"{sign}{offset // 3600:02d}:{offset % 3600 // 60:02d}"
            suffix += f":{offset % 60:02d}" if offset % 60 else ""
        else:
            suffix = "Z"
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}{_fraction(nanos)}{suffix}"
    )


def _time_text(value: int, unit: str) -> str:
    seconds, nanos = divmod(value * _NANOS[unit], 1_000_000_000)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}{_fraction(nanos)}"


def _duration_text(value: int, unit: str) -> str:
    nanos = value * _NANOS[unit]
    if nanos == 0:
        return "P0D"
    seconds, rest = divmod(abs(nanos), 1_000_000_000)
    fraction = f".{rest:09d}".rstrip("0") if rest else ""
    return f"{'-' if nanos < 0 else ''}PT{seconds}{fraction}S"


def _shortest_digits(value: float, bits: int) -> tuple[str, int]:
    """The fewest significant digits that read back as ``value`` at ``bits`` precision, and the
    power of ten of the last one (``1.5`` is ``("15", -1)``)."""
    if bits == 64:
        text = repr(value)
    else:
        for places in range(9):
            text = f"{value:.{places}e}"
            if struct.unpack("f", struct.pack("f", float(text)))[0] == value:
                break
    sign_digits_exp = Decimal(text).normalize().as_tuple()
    digits = "".join(map(str, sign_digits_exp.digits))
    return digits, int(sign_digits_exp.exponent)


def _float_text(value: float, bits: int) -> str:
    """A float as Arrow's display writes it: shortest digits, scientific notation outside a
    range of exponents (a narrower one for 32 bits), ``.0`` on whole numbers."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return f"{sign}0" if bits == 16 else f"{sign}0.0"
    # Half floats print through their 32-bit value.
    digits, exp = _shortest_digits(abs(value), 32 if bits == 16 else bits)
    point = exp + len(digits)  # position of the decimal point relative to the first digit
    if bits == 16:  # half floats print as plain decimals
        if exp >= 0:
            return sign + digits + "0" * exp
        if point > 0:
            return f"{sign}{digits[:point]}.{digits[point:]}"
        return f"{sign}0.{'0' * -point}{digits}"
    upper, lower = (16, -5) if bits == 64 else (13, -6)
    if exp >= 0 and point <= upper:
        return f"{sign}{digits}{'0' * exp}.0"
    if 0 < point <= upper:
        return f"{sign}{digits[:point]}.{digits[point:]}"
    if lower < point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    mantissa = digits if len(digits) == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{sign}{mantissa}e{point - 1}"


def _value_text(value: Any) -> str:
    """A Python value (from ``as_py``) as display text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value, 64)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, pa.MonthDayNano):
        return _interval_text(*value)
    return str(value)


def _interval_text(months: int, days: int, nanos: int) -> str:
    """``1 mons 2 days 3 hours 4 mins 5.000000000 secs``, leaving out the zero parts."""
    sign, nanos = ("-", -nanos) if nanos < 0 else ("", nanos)
    hours, rest = divmod(nanos, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    parts = [f"{months} mons" * bool(months), f"{days} days" * bool(days)]
    parts += [f"{sign}{hours} hours" * bool(hours), f"{sign}{minutes} mins" * bool(minutes)]
    parts.append(f"{sign}{rest // 10**9}.{rest % 10**9:09d} secs" * bool(rest))
    return " ".join(part for part in parts if part) or "0 secs"


def _nested_text(array: Any) -> list[str]:
    """Lists as ``[a, b]``, structs as ``{name: value}`` and maps as ``{key: value}``."""
    kind = array.type
    out = []
    if pa.types.is_struct(kind):
        names = [kind.field(i).name for i in range(kind.num_fields)]
        children = [_text_column(child) for child in array.flatten()]
        for index in range(len(array)):
            if not array[index].is_valid:
                out.append("")
                continue
            pairs = (f"{name}: {child[index]}" for name, child in zip(names, children, strict=True))
            out.append("{" + ", ".join(pairs) + "}")
        return out
    for index in range(len(array)):
        scalar = array[index]
        if not scalar.is_valid:
            out.append("")
        elif pa.types.is_map(kind):
            keys, values = (_text_column(child) for child in scalar.values.flatten())
            pairs = (f"{k}: {v}" for k, v in zip(keys, values, strict=True))
            out.append("{" + ", ".join(pairs) + "}")
        else:
            out.append("[" + ", ".join(_text_column(scalar.values)) + "]")
    return out


def _temporal_text(kind: Any) -> Callable[[int], str] | None:
    """How to write the integers under a date64, timestamp, time or duration type."""
    if pa.types.is_date64(kind):
        return lambda v: _timestamp_text(v, "ms", None)
    if pa.types.is_timestamp(kind):
        return lambda v: _timestamp_text(v, kind.unit, kind.tz)
    if pa.types.is_time(kind):
        return lambda v: _time_text(v, kind.unit)
    if pa.types.is_duration(kind):
        return lambda v: _duration_text(v, kind.unit)
    return None


def _text_column(array: Any) -> list[str]:
    """Display text of each value of a pyarrow Array (empty for nulls)."""
    kind = array.type
    if isinstance(kind, pa.ExtensionType):
        return _text_column(array.storage)
    if pa.types.is_dictionary(kind):
        return _text_column(array.dictionary_decode())
    if pa.types.is_null(kind):
        return [""] * len(array)
    if pa.types.is_nested(kind) and not pa.types.is_union(kind):
        return _nested_text(array)
    try:
        temporal = _temporal_text(kind)
        if temporal is not None:
            ints = array.view(pa.int32() if kind.bit_width == 32 else pa.int64()).to_pylist()
            return ["" if v is None else _guarded(temporal, v) for v in ints]
        if pa.types.is_floating(kind):
            bits = kind.bit_width
            return ["" if v is None else _float_text(v, bits) for v in array.to_pylist()]
        return [_value_text(v) for v in array.to_pylist()]
    except Exception:
        return [_scalar_text(scalar) for scalar in array]


def _guarded(render: Callable[[int], str], value: int) -> str:
    """``render(value)``, or ``<invalid>`` for a value out of Python's datetime range."""
    try:
        return render(value)
    except Exception:
        return "<invalid>"


def _scalar_text(scalar: Any) -> str:
    """Last resort for a value the typed paths could not render."""
    if not scalar.is_valid:
        return ""
    try:
        return _value_text(scalar.as_py())
    except Exception:
        return repr(scalar)
