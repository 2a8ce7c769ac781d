"""DataFrame: a lazy query. Transformations return new DataFrames; nothing runs until you collect,
iterate, convert or write.

>>> import fuseplug
>>> from fuseplug import col, lit
>>> ctx = fuseplug.SessionContext()
>>> df = ctx.from_pydict({"a": [1, 2, 3], "b": ["x", "y", "z"]})
>>> df.filter(col("a") > lit(1)).select("b").to_pydict()
{'b': ['y', 'z']}
"""

from __future__ import annotations

import enum
import os
import warnings
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from fuseplug import _internal
from fuseplug._compat import (  # noqa: F401  (re-exported under the official module's names)
    Compression,
    expr_list_to_raw_expr_list,
    sort_list_to_raw_sort_list,
)
from fuseplug.expr import (  # noqa: F401  (SortExpr, SortKey, ensure_*: official re-exports)
    Expr,
    SortExpr,
    SortKey,
    _arrow_type,
    _flatten,
    ensure_expr,
    ensure_expr_list,
    exprs_of,
    to_expr,
    to_sort,
)
from fuseplug.expr import (
    to_column_or_expr as to_expr_or_column,
)
from fuseplug.plan import ExecutionPlan, LogicalPlan

if TYPE_CHECKING:
    import pandas
    import polars

    from fuseplug.catalog import Table

if TYPE_CHECKING:
    import pyarrow as pa
else:
    from fuseplug._lazy import pyarrow as pa

__all__ = ["DataFrame", "RecordBatch", "RecordBatchStream"]

JoinHow = Literal["inner", "left", "right", "full", "semi", "anti", "right_semi", "right_anti"]


class RecordBatch:
    """A batch from a :class:`RecordBatchStream`. ``to_pyarrow()`` returns the pyarrow RecordBatch (as in
    the official bindings); pyarrow's attributes (``num_rows``, ``schema``, ``column()``, ...) and the Arrow
    PyCapsule interface work on this object directly."""

    __slots__ = ("_batch",)

    def __init__(self, batch: pa.RecordBatch) -> None:
        self._batch = batch

    def to_pyarrow(self) -> pa.RecordBatch:
        return self._batch

    def __arrow_c_array__(self, requested_schema: object | None = None) -> tuple[object, object]:
        result: tuple[object, object] = self._batch.__arrow_c_array__(requested_schema)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._batch, name)

    def __len__(self) -> int:
        return int(self._batch.num_rows)

    def __repr__(self) -> str:
        return f"RecordBatch({self._batch.num_rows} rows: {self._batch.schema.names})"


class RecordBatchStream:
    """Batches of a running query, pulled one at a time: ``for batch in stream`` or ``async for``."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _internal.RecordBatchStream) -> None:
        self._inner = inner

    def schema(self) -> pa.Schema:
        return self._inner.schema()

    def next(self) -> RecordBatch:
        batch = self._inner.next()
        if batch is None:
            raise StopIteration
        return RecordBatch(batch)

    def __iter__(self) -> Iterator[RecordBatch]:
        return self

    def __next__(self) -> RecordBatch:
        return self.next()

    def __aiter__(self) -> AsyncIterator[RecordBatch]:
        return self

    async def __anext__(self) -> RecordBatch:
        # The blocking call releases the GIL, so a worker thread keeps the event loop free.
        import asyncio  # only async iteration needs it (import fuseplug stays fast)

        batch = await asyncio.to_thread(self._inner.next)
        if batch is None:
            raise StopAsyncIteration
        return RecordBatch(batch)


class ExplainFormat(enum.Enum):
    """How :meth:`DataFrame.explain` prints plans."""

    INDENT = "indent"
    TREE = "tree"
    PGJSON = "pgjson"
    GRAPHVIZ = "graphviz"


class ExplainAnalyzeLevel(enum.Enum):
    """Which metrics ``explain(analyze=True)`` shows: the ``SUMMARY`` ones or every ``DEV`` one."""

    SUMMARY = "summary"
    DEV = "dev"


class ExplainMetricCategory(enum.Enum):
    """A kind of metric ``explain(analyze=True, analyze_categories=...)`` can be limited to."""

    ROWS = "rows"
    BYTES = "bytes"
    TIMING = "timing"
    UNCATEGORIZED = "uncategorized"


class InsertOp(enum.Enum):
    """How written rows meet a table's existing rows."""

    APPEND = "append"
    REPLACE = "replace"
    OVERWRITE = "overwrite"


class DataFrameWriteOptions:
    """How :meth:`DataFrame.write_parquet` and friends write: whether to ``APPEND`` or
    ``OVERWRITE`` (``insert_operation``), one file or a directory (``single_file_output``), Hive
    partition columns (``partition_by``) and an order (``sort_by``)."""

    def __init__(
        self,
        insert_operation: InsertOp | None = None,
        single_file_output: bool = False,
        partition_by: str | Sequence[str] | None = None,
        sort_by: Any = None,
    ) -> None:
        self.insert_operation = insert_operation
        self.single_file_output = single_file_output
        self.partition_by = [partition_by] if isinstance(partition_by, str) else partition_by
        self.sort_by = sort_by

    def __repr__(self) -> str:
        return (
            f"DataFrameWriteOptions(insert_operation={self.insert_operation}, "
            f"single_file_output={self.single_file_output}, partition_by={self.partition_by})"
        )


class ParquetColumnOptions:
    """Parquet writer settings for one column (``None``: as the file-wide setting)."""

    def __init__(
        self,
        encoding: str | None = None,
        dictionary_enabled: bool | None = None,
        compression: str | None = None,
        statistics_enabled: str | None = None,
        bloom_filter_enabled: bool | None = None,
        bloom_filter_fpp: float | None = None,
        bloom_filter_ndv: int | None = None,
    ) -> None:
        self.encoding = encoding
        self.dictionary_enabled = dictionary_enabled
        self.compression = compression
        self.statistics_enabled = statistics_enabled
        self.bloom_filter_enabled = bloom_filter_enabled
        self.bloom_filter_fpp = bloom_filter_fpp
        self.bloom_filter_ndv = bloom_filter_ndv


class ParquetWriterOptions:
    """Parquet writer settings for :meth:`DataFrame.write_parquet_with_options` (DataFusion's
    ``datafusion.execution.parquet.*`` options; ``column_specific_options`` per column)."""

    def __init__(
        self,
        data_pagesize_limit: int = 1024 * 1024,
        write_batch_size: int = 1024,
        writer_version: str = "1.0",
        skip_arrow_metadata: bool = False,
        compression: str | None = "zstd(3)",
        compression_level: int | None = None,
        dictionary_enabled: bool | None = True,
        dictionary_page_size_limit: int = 1024 * 1024,
        statistics_enabled: str | None = "page",
        max_row_group_size: int = 1024 * 1024,
        created_by: str = "datafusion-python",
        column_index_truncate_length: int | None = 64,
        statistics_truncate_length: int | None = None,
        data_page_row_count_limit: int = 20_000,
        encoding: str | None = None,
        bloom_filter_on_write: bool = False,
        bloom_filter_fpp: float | None = None,
        bloom_filter_ndv: int | None = None,
        allow_single_file_parallelism: bool = True,
        maximum_parallel_row_group_writers: int = 1,
        maximum_buffered_record_batches_per_stream: int = 2,
        column_specific_options: dict[str, ParquetColumnOptions] | None = None,
    ) -> None:
        if compression is not None and compression_level is not None:
            codec = compression.split("(")[0]
            compression = f"{codec}({compression_level})"
        self.data_pagesize_limit = data_pagesize_limit
        self.write_batch_size = write_batch_size
        self.writer_version = writer_version
        self.skip_arrow_metadata = skip_arrow_metadata
        self.compression = compression
        self.dictionary_enabled = dictionary_enabled
        self.dictionary_page_size_limit = dictionary_page_size_limit
        self.statistics_enabled = statistics_enabled
        self.max_row_group_size = max_row_group_size
        self.created_by = created_by
        self.column_index_truncate_length = column_index_truncate_length
        self.statistics_truncate_length = statistics_truncate_length
        self.data_page_row_count_limit = data_page_row_count_limit
        self.encoding = encoding
        self.bloom_filter_on_write = bloom_filter_on_write
        self.bloom_filter_fpp = bloom_filter_fpp
        self.bloom_filter_ndv = bloom_filter_ndv
        self.allow_single_file_parallelism = allow_single_file_parallelism
        self.maximum_parallel_row_group_writers = maximum_parallel_row_group_writers
        self.maximum_buffered_record_batches_per_stream = maximum_buffered_record_batches_per_stream
        self.column_specific_options = column_specific_options


def _option_strings(options: object) -> dict[str, str]:
    """An options object's set attributes as DataFusion option strings (``None`` left out)."""
    out = {}
    for key, value in vars(options).items():
        if value is None or key == "column_specific_options":
            continue
        out[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def _write_args(
    options: DataFrameWriteOptions | None,
    partition_by: Sequence[str],
    single_file_output: bool | None,
) -> tuple[list[str], bool | None, str | None, list[_internal.SortExpr] | None]:
    """``(partition_by, single_file_output, insert_operation, sort_by)`` for the compiled writers:
    from ``options`` when given, else from the keywords."""
    if options is None:
        return list(partition_by), single_file_output, None, None
    insert = options.insert_operation.value if options.insert_operation is not None else None
    sort = None
    if options.sort_by is not None:
        keys = options.sort_by if isinstance(options.sort_by, (list, tuple)) else [options.sort_by]
        sort = [to_sort(k)._inner for k in keys]
    return list(options.partition_by or []), options.single_file_output, insert, sort


class DataFrame:
    """A lazy query bound to the SessionContext that made it."""

    __slots__ = ("_inner",)

    def __init__(self, inner: _internal.DataFrame) -> None:
        self._inner = inner

    @classmethod
    def _from_inner(cls, inner: _internal.DataFrame) -> DataFrame:
        return cls(inner)

    @property
    def df(self) -> _internal.DataFrame:
        """The compiled DataFrame (the official bindings' name for it)."""
        return self._inner

    # projection and filtering ----------------------------------------------------------------
    def select(self, *exprs: Expr | str) -> DataFrame:
        """Keeps the given columns (by name) or computes expressions."""
        return DataFrame(self._inner.select(exprs_of(exprs)))

    def select_columns(self, *names: str) -> DataFrame:
        return DataFrame(self._inner.select_columns(list(_flatten(names))))

    def __getitem__(self, key: str | Sequence[str]) -> DataFrame:
        """``df["a"]``, ``df["a", "b"]`` or ``df[["a", "b"]]`` selects columns."""
        names = [key] if isinstance(key, str) else key
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
            raise TypeError(
                "DataFrame can only be indexed by string index or indices, "
                f"not {type(key).__name__}"
            )
        return self.select_columns(*names)

    def _sql_or_expr(self, value: Expr | str) -> _internal.Expr:
        """A SQL expression string parsed against this frame's schema, or an :class:`Expr`
        (anything else is a ``TypeError``)."""
        return self.parse_sql_expr(value)._inner if isinstance(value, str) else ensure_expr(value)

    def filter(self, *predicates: Expr | str) -> DataFrame:
        """Keeps rows where every predicate is true; a predicate is an :class:`Expr` or a SQL
        expression string such as ``"a > 1"``. Without predicates, the frame itself.

        >>> import fuseplug
        >>> df = fuseplug.SessionContext().from_pydict({"a": [1, 2, 3]})
        >>> df.filter("a > 1", fuseplug.col("a") < 3).to_pydict()
        {'a': [2]}
        """
        inner = self._inner
        for predicate in predicates:
            inner = inner.filter(self._sql_or_expr(predicate))
        return self if inner is self._inner else DataFrame(inner)

    def with_column(self, name: str, expr: Expr | str) -> DataFrame:
        """Adds column ``name`` (or replaces it), from an :class:`Expr` or a SQL expression
        string."""
        return DataFrame(self._inner.with_column(name, self._sql_or_expr(expr)))

    def with_columns(
        self, *exprs: Expr | str | Iterable[Expr | str], **named_exprs: Expr | str
    ) -> DataFrame:
        """Adds or replaces several columns: aliased expressions or SQL strings (``"a + b AS c"``),
        lists of them, or ``name=expr`` keywords."""
        inner = [self._sql_or_expr(e) for e in _flatten(exprs)]
        for name, e in named_exprs.items():
            parsed = self.parse_sql_expr(e) if isinstance(e, str) else e
            ensure_expr(parsed)
            inner.append(parsed.alias(name)._inner)
        return DataFrame(self._inner.with_columns(inner))

    def with_column_renamed(self, old_name: str, new_name: str) -> DataFrame:
        return DataFrame(self._inner.with_column_renamed(old_name, new_name))

    def drop(self, *columns: str) -> DataFrame:
        return DataFrame(self._inner.drop(list(_flatten(columns))))

    def cast(self, mapping: Mapping[str, pa.DataType | type]) -> DataFrame:
        """Casts the named columns, e.g. ``df.cast({"a": pa.float64()})``."""
        return DataFrame(self._inner.cast({k: _arrow_type(v) for k, v in mapping.items()}))

    def fill_null(self, value: Any, subset: Sequence[str] | None = None) -> DataFrame:
        """Replaces nulls with ``value`` in ``subset`` (default: every column of a compatible type;
        an empty ``subset`` fills none)."""
        if subset is not None:
            subset = list(subset)
            if not subset:
                return self
        return DataFrame(self._inner.fill_null(value, subset))

    def unnest_columns(
        self,
        *columns: str,
        preserve_nulls: bool = True,
        recursions: list[tuple[str, str, int]] | None = None,
    ) -> DataFrame:
        """Expands list columns into one row per element; ``recursions`` lists
        ``(input_column, output_column, depth)`` to unnest nested lists several levels deep."""
        return DataFrame(
            self._inner.unnest_columns(list(_flatten(columns)), preserve_nulls, recursions)
        )

    def select_exprs(self, *args: str) -> DataFrame:
        """Projects SQL expression strings: ``df.select_exprs("a", "b * 2 AS c")``."""
        return DataFrame(self._inner.select_exprs(list(args)))

    def parse_sql_expr(self, expr: str) -> Expr:
        """A SQL expression string as an :class:`Expr` over this DataFrame's columns."""
        return Expr(self._inner.parse_sql_expr(expr))

    def column(self, name: str) -> Expr:
        """The fully qualified column ``name`` of this DataFrame (useful after :meth:`alias` and
        in joins of frames with columns named alike)."""
        return self.find_qualified_columns(name)[0]

    def col(self, name: str) -> Expr:
        """Same as :meth:`column`."""
        return self.column(name)

    def find_qualified_columns(self, *names: str) -> list[Expr]:
        """Fully qualified column expressions for ``names``; ``SchemaError`` or ``PlanError`` when
        one is not a column."""
        return [Expr(e) for e in self._inner.find_qualified_columns(list(names))]

    def alias(self, alias: str) -> DataFrame:
        """The same rows under the table alias ``alias``: ``df.alias("l").column("id")``."""
        return DataFrame(self._inner.alias(alias))

    def fill_nan(self, value: float, subset: Sequence[str] | None = None) -> DataFrame:
        """Replaces NaN with ``value`` in the floating-point columns (or those of ``subset``)."""
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise TypeError(f"fill_nan needs a number, got {type(value).__name__}")
        schema = self.schema()
        names = list(subset) if subset is not None else schema.names
        for name in names:
            if name not in schema.names:
                raise ValueError(f"fill_nan: no column named {name!r}")
        from fuseplug import functions

        replaced = [
            functions.nanvl(
                self.column(f.name), Expr.literal(pa.scalar(float(value), f.type))
            ).alias(f.name)
            if f.name in names and pa.types.is_floating(f.type)
            else self.column(f.name)
            for f in schema
        ]
        return self.select(*replaced)

    def transform(self, func: Callable[..., DataFrame], *args: Any) -> DataFrame:
        """``func(self, *args)``: chains helper functions that take and return a DataFrame."""
        result = func(self, *args)
        if not isinstance(result, DataFrame):
            raise TypeError(
                f"transform: the function returned {type(result).__name__}, not a DataFrame"
            )
        return result

    def window(self, *exprs: Expr) -> DataFrame:
        """Adds window-function columns: ``df.window(f.row_number().over(...).alias("n"))``."""
        return DataFrame(self._inner.window([to_expr(e)._inner for e in exprs]))

    def repartition(self, num: int) -> DataFrame:
        """Spreads the rows round-robin over ``num`` partitions."""
        return DataFrame(self._inner.repartition(num))

    def repartition_by_hash(self, *exprs: Expr | str, num: int) -> DataFrame:
        """Partitions rows by the hash of ``exprs`` (columns or names) into ``num`` partitions."""
        return DataFrame(self._inner.repartition_by_hash(exprs_of(exprs), num))

    def distinct_on(
        self, on_expr: list[Expr], select_expr: list[Expr], sort_expr: list[Any] | None = None
    ) -> DataFrame:
        """One row per distinct ``on_expr`` key: the first in ``sort_expr`` order, projected to
        ``select_expr``."""
        sort = [to_sort(k)._inner for k in sort_expr] if sort_expr is not None else None
        return DataFrame(self._inner.distinct_on(exprs_of(on_expr), exprs_of(select_expr), sort))

    def collect_column(self, column_name: str) -> pa.Array | pa.ChunkedArray:
        """Runs the query for one column: a ChunkedArray (an Array when it has one chunk)."""
        column = self.select_columns(column_name).to_arrow_table().column(0)
        return column.chunk(0) if column.num_chunks == 1 else column

    # aggregation, ordering, limits -----------------------------------------------------------
    def aggregate(
        self, group_by: Expr | str | Sequence[Expr | str], aggs: Expr | Sequence[Expr]
    ) -> DataFrame:
        """Groups by ``group_by`` (may be empty) and computes the aggregate expressions ``aggs``."""
        given: object = aggs  # anything else than expressions is a TypeError below
        agg_list: list[Any] = (
            list(given)
            if isinstance(given, Iterable) and not isinstance(given, (Expr, str))
            else [given]
        )
        return DataFrame(self._inner.aggregate(exprs_of([group_by]), ensure_expr_list(agg_list)))

    def sort(self, *exprs: Expr | str) -> DataFrame:
        """Sorts by sort keys (``col("a").sort(ascending=False)``), expressions or names (ascending)."""
        return DataFrame(self._inner.sort([to_sort(k)._inner for k in _flatten(exprs)]))

    def limit(self, count: int | None, offset: int = 0) -> DataFrame:
        """At most ``count`` rows after skipping ``offset``."""
        return DataFrame(self._inner.limit(count, offset))

    def head(self, n: int = 5) -> DataFrame:
        return self.limit(n)

    def tail(self, n: int = 5) -> DataFrame:
        """The last ``n`` rows (runs a count first)."""
        return DataFrame(self._inner.tail(n))

    def distinct(self) -> DataFrame:
        return DataFrame(self._inner.distinct())

    def sort_by(self, *exprs: Expr | str) -> DataFrame:
        """Sorts ascending (nulls last) by columns or expressions."""
        return DataFrame(self._inner.sort([to_expr_or_column(e).sort()._inner for e in exprs]))

    # combining -------------------------------------------------------------------------------
    def join(
        self,
        right: DataFrame,
        on: str | Sequence[str] | tuple[list[str], list[str]] | None = None,
        how: JoinHow = "inner",
        *,
        left_on: str | Sequence[str] | None = None,
        right_on: str | Sequence[str] | None = None,
        join_keys: tuple[list[str], list[str]] | None = None,
        coalesce_duplicate_keys: bool = True,
    ) -> DataFrame:
        """Joins on equal key columns: ``on`` for keys named alike, or ``left_on`` / ``right_on``
        (``on`` may also be a ``(left_keys, right_keys)`` pair of lists, the form before
        DataFusion 43; ``join_keys`` is its deprecated keyword).

        A key that has the same name on both sides appears once in the result unless
        ``coalesce_duplicate_keys=False``.
        """
        if join_keys is not None:
            warnings.warn(
                "join_keys is deprecated: use on=, or left_on= with right_on=",
                DeprecationWarning,
                stacklevel=2,
            )
            left_on, right_on = join_keys
        if (
            isinstance(on, tuple)
            and len(on) == 2
            and isinstance(on[0], list)
            and isinstance(on[1], list)
        ):
            left_on, right_on = on
            on = None
        if on is not None:
            if left_on is not None or right_on is not None:
                raise ValueError("`left_on` or `right_on` should not provided with `on`")
            left_on = right_on = on
        elif left_on is None and right_on is None:
            raise ValueError("either `on` or `left_on` and `right_on` should be provided.")
        if left_on is None or right_on is None:
            raise ValueError("`left_on` and `right_on` should both be provided.")
        left = [left_on] if isinstance(left_on, str) else list(left_on)
        right_keys = [right_on] if isinstance(right_on, str) else list(right_on)
        return DataFrame(
            self._inner.join(_df(right)._inner, how, left, right_keys, coalesce_duplicate_keys)
        )

    def join_on(self, right: DataFrame, *on_exprs: Expr, how: JoinHow = "inner") -> DataFrame:
        """Joins where every expression is true, e.g. ``col("l.id") == col("r.id")``."""
        return DataFrame(
            self._inner.join_on(_df(right)._inner, [ensure_expr(e) for e in on_exprs], how)
        )

    def union(self, other: DataFrame, distinct: bool = False) -> DataFrame:
        """Rows of both frames (``UNION ALL``; ``UNION`` with ``distinct=True``)."""
        return DataFrame(self._inner.union(_df(other)._inner, distinct))

    def union_distinct(self, other: DataFrame) -> DataFrame:
        return self.union(other, distinct=True)

    def union_by_name(self, other: DataFrame, distinct: bool = False) -> DataFrame:
        """Rows of both frames, columns matched by name; ``distinct`` drops duplicate rows."""
        return DataFrame(self._inner.union_by_name(_df(other)._inner, distinct))

    def intersect(self, other: DataFrame, distinct: bool = False) -> DataFrame:
        """Rows present in both frames (``INTERSECT ALL``; ``INTERSECT`` with ``distinct=True``)."""
        return DataFrame(self._inner.intersect(_df(other)._inner, distinct))

    def except_all(self, other: DataFrame, distinct: bool = False) -> DataFrame:
        """Rows of this frame not in ``other`` (``EXCEPT ALL``; ``EXCEPT`` with ``distinct=True``)."""
        return DataFrame(self._inner.except_all(_df(other)._inner, distinct))

    # execution -------------------------------------------------------------------------------
    def schema(self) -> pa.Schema:
        return self._inner.schema()

    def count(self) -> int:
        return self._inner.count()

    def cache(self) -> DataFrame:
        """Runs the query once and keeps the result in memory."""
        return DataFrame(self._inner.cache())

    def collect(self) -> list[pa.RecordBatch]:
        return self._inner.collect()

    def collect_partitioned(self) -> list[list[pa.RecordBatch]]:
        return self._inner.collect_partitioned()

    def execute_stream(self) -> RecordBatchStream:
        """Starts the query; batches arrive as you iterate."""
        return RecordBatchStream(self._inner.execute_stream())

    def execute_stream_partitioned(self) -> list[RecordBatchStream]:
        return [RecordBatchStream(s) for s in self._inner.execute_stream_partitioned()]

    def __iter__(self) -> Iterator[RecordBatch]:
        return iter(self.execute_stream())

    def __aiter__(self) -> AsyncIterator[RecordBatch]:
        return self.execute_stream().__aiter__()

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The Arrow PyCapsule stream interface: ``pa.table(df)``, ``pl.DataFrame(df)``, DuckDB, ..."""
        return self._inner.__arrow_c_stream__(requested_schema)

    def to_arrow_table(self) -> pa.Table:
        return self._inner.to_arrow_table()

    def to_pandas(self) -> pandas.DataFrame:
        return self.to_arrow_table().to_pandas()

    def to_polars(self) -> polars.DataFrame:
        import polars

        # Through the Arrow PyCapsule stream: neither pyarrow nor pandas (which polars.from_arrow
        # imports) needs to load.
        return polars.DataFrame(self)

    def to_pylist(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.to_arrow_table().to_pylist()
        return rows

    def to_pydict(self) -> dict[str, list[Any]]:
        columns: dict[str, list[Any]] = self.to_arrow_table().to_pydict()
        return columns

    def describe(self) -> DataFrame:
        """Summary statistics of every column."""
        return DataFrame(self._inner.describe())

    def explain(
        self,
        verbose: bool = False,
        analyze: bool = False,
        format: ExplainFormat | str | None = None,
        show_statistics: bool | None = None,
        analyze_level: ExplainAnalyzeLevel | None = None,
        analyze_categories: Iterable[ExplainMetricCategory] | None = None,
    ) -> None:
        """Prints the logical and physical plans (with ``analyze``, runs the query and shows metrics);
        ``format`` picks ``ExplainFormat.INDENT``, ``TREE``, ``PGJSON`` or ``GRAPHVIZ``. With
        ``analyze``, ``analyze_level`` (``SUMMARY`` or ``DEV``) and ``analyze_categories`` (an
        iterable of :class:`ExplainMetricCategory`; empty shows none) pick the metrics shown; None
        leaves them to the ``datafusion.explain.*`` settings."""
        if analyze and show_statistics is not None:
            raise ValueError("show_statistics cannot be combined with analyze")
        if not analyze and (analyze_level is not None or analyze_categories is not None):
            raise ValueError("analyze_level and analyze_categories need analyze=True")
        fmt = None if format is None else str(getattr(format, "value", format))
        level = None if analyze_level is None else ExplainAnalyzeLevel(analyze_level).value
        categories = None
        if analyze_categories is not None:
            names = [ExplainMetricCategory(c).value for c in analyze_categories]
            categories = ",".join(names) if names else "none"
        plans = DataFrame(
            self._inner.explain(verbose, analyze, fmt, show_statistics, level, categories)
        )
        # the plans untruncated, each line in its cell: the text table of repr()
        print(DataFrame.default_str_repr(plans.collect(), plans.schema(), False))

    def logical_plan(self) -> LogicalPlan:
        return self._inner.logical_plan()

    def optimized_logical_plan(self) -> LogicalPlan:
        return self._inner.optimized_logical_plan()

    def execution_plan(self) -> ExecutionPlan:
        return self._inner.execution_plan()

    def __datafusion_table_provider__(self, session: object) -> object:
        """Lets another DataFusion host of the same major (the official ``datafusion`` wheel, say)
        register this frame as a table: ``their_ctx.register_table("t", df)``."""
        return self._inner.__datafusion_table_provider__(session)

    def into_view(self, temporary: bool = False) -> Table:
        """This query as a view, to register or hand to anything that takes a table
        (``temporary=True``: a table of kind ``temporary``)."""
        return self._inner.into_view(temporary)

    # writing ---------------------------------------------------------------------------------
    def write_parquet(
        self,
        path: str | os.PathLike[str],
        compression: str | ParquetWriterOptions = "zstd",
        compression_level: int | None = None,
        write_options: DataFrameWriteOptions | None = None,
        *,
        partition_by: Sequence[str] = (),
        single_file_output: bool | None = None,
    ) -> None:
        """Writes Parquet: one file when ``path`` has an extension, else a directory of files
        (``write_options`` or the keywords choose otherwise). ``compression`` may also be a
        :class:`ParquetWriterOptions`."""
        if isinstance(compression, ParquetWriterOptions):
            if compression_level is not None:
                raise ValueError("compression_level must be None with ParquetWriterOptions")
            self.write_parquet_with_options(path, compression, write_options)
            return
        # an unknown codec is a ValueError here; a bad level one from the compiled writer
        codec = Compression.from_str(compression) if isinstance(compression, str) else compression
        self._inner.write_parquet(
            _path(path),
            str(getattr(codec, "value", codec)),
            compression_level,
            *_write_args(write_options, partition_by, single_file_output),
        )

    def write_parquet_with_options(
        self,
        path: str | os.PathLike[str],
        options: ParquetWriterOptions,
        write_options: DataFrameWriteOptions | None = None,
    ) -> None:
        """Writes Parquet with :class:`ParquetWriterOptions` (row group size, page limits,
        encodings, bloom filters, per-column settings, ...)."""
        columns = {
            name: _option_strings(column)
            for name, column in (options.column_specific_options or {}).items()
        }
        self._inner.write_parquet_with_options(
            _path(path),
            _option_strings(options),
            columns,
            *_write_args(write_options, (), None),
        )

    def write_csv(
        self,
        path: str | os.PathLike[str],
        with_header: bool = False,
        write_options: DataFrameWriteOptions | None = None,
        *,
        delimiter: str = ",",
        partition_by: Sequence[str] = (),
        single_file_output: bool | None = None,
    ) -> None:
        self._inner.write_csv(
            _path(path),
            with_header,
            delimiter,
            *_write_args(write_options, partition_by, single_file_output),
        )

    def write_json(
        self,
        path: str | os.PathLike[str],
        write_options: DataFrameWriteOptions | None = None,
        *,
        partition_by: Sequence[str] = (),
        single_file_output: bool | None = None,
    ) -> None:
        """Writes newline-delimited JSON."""
        self._inner.write_json(
            _path(path), *_write_args(write_options, partition_by, single_file_output)
        )

    def write_table(
        self, table_name: str, write_options: DataFrameWriteOptions | None = None
    ) -> None:
        """Inserts the rows into the registered table ``table_name`` (appends unless
        ``write_options.insert_operation`` says otherwise)."""
        _, _, insert, sort = _write_args(write_options, (), None)
        self._inner.write_table(table_name, insert, sort)

    # display ---------------------------------------------------------------------------------
    def to_string(self, max_rows: int = 20) -> str:
        """The first ``max_rows`` rows as a text table."""
        return self._inner.to_string(max_rows)

    def show(self, num: int = 20) -> None:
        """Prints the first ``num`` rows as a text table (``DataFrame has no rows`` without any)."""
        print(self._inner.to_string(num, "DataFrame has no rows"))

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        """Pickles the DataFrame's logical plan through this thread's sender context
        (:mod:`fuseplug.ipc`); it unpickles as a DataFrame of the worker context, else the global
        one. In-memory tables and Python UDFs travel inside; file tables are read again where the
        DataFrame is collected, so the paths must exist there."""
        from fuseplug import ipc

        return (ipc._dataframe_from_bytes, (self.logical_plan().to_bytes(ipc.get_sender_ctx()),))

    def __copy__(self) -> DataFrame:
        # DataFrames are immutable; a copy stays on its session (pickling would move it to the
        # worker or global context).
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> DataFrame:
        return self

    @staticmethod
    def default_str_repr(
        batches: list[pa.RecordBatch],
        schema: pa.Schema,
        has_more: bool,
        table_uuid: str | None = None,
    ) -> str:
        """The text table ``repr()`` shows for ``batches``: ``DataFrame()``, a bordered table
        (column names from the batches; ``schema`` and ``table_uuid`` are accepted for the
        official signature), then ``Data truncated.`` when ``has_more``; ``"No data to display"``
        without rows. The official bindings do this in Rust; here it is Python over pyarrow,
        following Arrow's display of values (nulls empty, ``true``/``false``, ISO dates)."""
        from fuseplug import dataframe_formatter  # loaded on first display: import stays fast

        return dataframe_formatter._default_str_repr(batches, schema, has_more, table_uuid)

    def __repr__(self) -> str:
        """The first rows as text, by the shared formatter's ``format_str`` (see
        :mod:`fuseplug.dataframe_formatter`)."""
        from fuseplug import dataframe_formatter

        return dataframe_formatter._display(self, "format_str")

    def _repr_html_(self) -> str:
        """The first rows as an HTML table for notebooks, by the shared formatter's
        ``format_html`` (see :mod:`fuseplug.dataframe_formatter`)."""
        from fuseplug import dataframe_formatter

        return dataframe_formatter._display(self, "format_html")


def _df(value: Any) -> DataFrame:
    if not isinstance(value, DataFrame):
        raise TypeError(f"expected a fuseplug DataFrame, got {type(value).__name__}")
    return value


def _path(path: str | os.PathLike[str]) -> str:
    return os.fspath(path)
