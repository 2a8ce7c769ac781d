"""Read options as objects, with the official bindings' names.

>>> import fuseplug, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_text("a|b\\n1|'x|y'\\n")
>>> options = fuseplug.CsvReadOptions(delimiter="|", quote="'")
>>> fuseplug.SessionContext().read_csv(path, options=options).to_pydict()
{'a': [1], 'b': ['x|y']}
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import pyarrow as pa
else:
    from fuseplug._lazy import pyarrow as pa


__all__ = ["CsvReadOptions"]

# A string, so that evaluating the alias does not import pyarrow (see _lazy.py).
PartitionCols: TypeAlias = "Sequence[tuple[str, pa.DataType]]"


class CsvReadOptions:
    """How to read CSV files: every setting of ``SessionContext.read_csv`` / ``register_csv`` and
    more (quote, escape, comment and line terminator characters, quoted newlines, a regex for
    nulls, short rows, the files' sort order). The ``with_*`` methods set one and return the
    options."""

    def __init__(
        self,
        *,
        has_header: bool = True,
        delimiter: str = ",",
        quote: str = '"',
        terminator: str | None = None,
        escape: str | None = None,
        comment: str | None = None,
        newlines_in_values: bool = False,
        schema: pa.Schema | None = None,
        schema_infer_max_records: int = 1000,
        file_extension: str = ".csv",
        table_partition_cols: list[tuple[str, pa.DataType]] | None = None,
        file_compression_type: str = "",
        file_sort_order: list[list[Any]] | None = None,
        null_regex: str | None = None,
        truncated_rows: bool = False,
    ) -> None:
        self.has_header = has_header
        self.delimiter = delimiter
        self.quote = quote
        self.terminator = terminator
        self.escape = escape
        self.comment = comment
        self.newlines_in_values = newlines_in_values
        self.schema = schema
        self.schema_infer_max_records = schema_infer_max_records
        self.file_extension = file_extension
        self.table_partition_cols = table_partition_cols
        self.file_compression_type = file_compression_type
        self.file_sort_order = file_sort_order
        self.null_regex = null_regex
        self.truncated_rows = truncated_rows

    def _set(self, name: str, value: Any) -> CsvReadOptions:
        setattr(self, name, value)
        return self

    def with_has_header(self, has_header: bool) -> CsvReadOptions:
        return self._set("has_header", has_header)

    def with_delimiter(self, delimiter: str) -> CsvReadOptions:
        return self._set("delimiter", delimiter)

    def with_quote(self, quote: str) -> CsvReadOptions:
        return self._set("quote", quote)

    def with_terminator(self, terminator: str) -> CsvReadOptions:
        return self._set("terminator", terminator)

    def with_escape(self, escape: str | None) -> CsvReadOptions:
        return self._set("escape", escape)

    def with_comment(self, comment: str | None) -> CsvReadOptions:
        return self._set("comment", comment)

    def with_newlines_in_values(self, newlines_in_values: bool) -> CsvReadOptions:
        return self._set("newlines_in_values", newlines_in_values)

    def with_schema(self, schema: pa.Schema | None) -> CsvReadOptions:
        return self._set("schema", schema)

    def with_schema_infer_max_records(self, schema_infer_max_records: int) -> CsvReadOptions:
        return self._set("schema_infer_max_records", schema_infer_max_records)

    def with_file_extension(self, file_extension: str) -> CsvReadOptions:
        return self._set("file_extension", file_extension)

    def with_table_partition_cols(
        self, table_partition_cols: list[tuple[str, pa.DataType]]
    ) -> CsvReadOptions:
        return self._set("table_partition_cols", table_partition_cols)

    def with_file_compression_type(self, file_compression_type: str) -> CsvReadOptions:
        return self._set("file_compression_type", file_compression_type)

    def with_file_sort_order(self, file_sort_order: list[list[Any]]) -> CsvReadOptions:
        return self._set("file_sort_order", file_sort_order)

    def with_null_regex(self, null_regex: str | None) -> CsvReadOptions:
        return self._set("null_regex", null_regex)

    def with_truncated_rows(self, truncated_rows: bool) -> CsvReadOptions:
        return self._set("truncated_rows", truncated_rows)

    def to_inner(self) -> dict[str, Any]:
        """The settings beyond the common ones, as the compiled reader takes them."""
        from fuseplug._context_sources import _sort_order

        return {
            "quote": self.quote,
            "terminator": self.terminator,
            "escape": self.escape,
            "comment": self.comment,
            "newlines_in_values": self.newlines_in_values,
            "null_regex": self.null_regex,
            "truncated_rows": self.truncated_rows,
            "file_sort_order": _sort_order(self.file_sort_order),
        }


# The type names the official bindings once took for partition columns (deprecated there too).
_PARTITION_TYPE_NAMES = {"string": "string", "int": "int32"}


def _partition_cols(cols: PartitionCols | None) -> list[tuple[str, pa.DataType]] | None:
    """Partition columns as ``(name, pyarrow type)``; a missing type is a string. The type names
    ``"string"`` and ``"int"`` are still read, with a ``DeprecationWarning``."""
    if cols is None:
        return None
    out = []
    named = False
    for name, t in cols:
        if isinstance(t, str):
            if t not in _PARTITION_TYPE_NAMES:
                raise ValueError(
                    f"partition column {name!r} has the type name {t!r}: give a pyarrow type "
                    "(the names 'string' and 'int' are also read)"
                )
            named = True
            t = getattr(pa, _PARTITION_TYPE_NAMES[t])()
        out.append((name, pa.string() if t is None else t))
    if named:
        warnings.warn(
            "type names such as 'string' in table_partition_cols are deprecated: give pyarrow "
            "types (pa.string())",
            DeprecationWarning,
            stacklevel=3,
        )
    return out


# What DataFusion reads as a compression type, in any case; "" and None mean uncompressed.
_COMPRESSIONS = {"gzip", "gz", "bz2", "bzip2", "xz", "zstd", "zst", "uncompressed", ""}


def _compression(value: str | None) -> str | None:
    """``file_compression_type`` checked, before any file is opened."""
    if value is not None and (not isinstance(value, str) or value.lower() not in _COMPRESSIONS):
        raise ValueError(
            "file_compression_type must be one of: gzip, bz2, xz, zstd (or None for "
            f"uncompressed files), got {value!r}"
        )
    return value


def _single_char(name: str, value: str) -> str:
    if not isinstance(value, str) or len(value) != 1:
        raise ValueError(f"{name} must be a single character, got {value!r}")
    return value


def _csv_args(
    options: CsvReadOptions | None,
    schema: pa.Schema | None,
    has_header: bool,
    delimiter: str,
    schema_infer_max_records: int,
    file_extension: str,
    file_compression_type: str | None,
    table_partition_cols: PartitionCols | None,
) -> tuple[Any, ...]:
    """The compiled CSV reader's arguments, from ``options`` when given (a ``UserWarning`` when
    other settings were changed too, as in the official bindings), else from the parameters."""
    if options is None:
        return (
            schema,
            has_header,
            _single_char("delimiter", delimiter),
            schema_infer_max_records,
            file_extension,
            _compression(file_compression_type),
            _partition_cols(table_partition_cols),
            None,
        )
    changed = (
        schema is not None
        or not has_header
        or delimiter != ","
        or schema_infer_max_records != 1000
        or file_extension != ".csv"
        or file_compression_type is not None
        or table_partition_cols is not None
    )
    if changed:
        warnings.warn(
            "CsvReadOptions replaces the other CSV settings given: set them on the options",
            UserWarning,
            stacklevel=3,
        )
    return (
        options.schema,
        options.has_header,
        _single_char("delimiter", options.delimiter),
        options.schema_infer_max_records,
        options.file_extension,
        _compression(options.file_compression_type or None),
        _partition_cols(options.table_partition_cols),
        options.to_inner(),
    )
