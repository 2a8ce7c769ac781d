"""SessionContext: registers data and functions, runs SQL, makes DataFrames.

>>> import fuseplug
>>> ctx = fuseplug.SessionContext()
>>> ctx.from_pydict({"a": [1, 2, 3]}, name="t").count()
3
>>> ctx.sql("SELECT sum(a) AS s FROM t").to_pydict()
{'s': [6]}
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fuseplug import _internal
from fuseplug._compat import (  # noqa: F401  (re-exported under the official module's names)
    DEFAULT_MAX_INFER_SCHEMA,
    ArrowArrayExportable,
    ArrowStreamExportable,
    CatalogProviderExportable,
    CatalogProviderListExportable,
    TableProviderExportable,
    TableProviderFactoryExportable,
    sort_list_to_raw_sort_list,
)
from fuseplug._context_extensions import ContextExtensions
from fuseplug._context_sources import FileSources
from fuseplug._internal import RuntimeEnvBuilder, SessionConfig, SQLOptions
from fuseplug.catalog import (  # noqa: F401
    Catalog,
    CatalogList,
    CatalogProviderList,
    Table,
    TableProviderFactory,
    _as_table,
    _is_dataset,
)
from fuseplug.dataframe import DataFrame, RecordBatchStream
from fuseplug.expr import Expr, SortExpr  # noqa: F401  (SortExpr: the official module's name)
from fuseplug.options import CsvReadOptions  # noqa: F401  (the official module's name)
from fuseplug.plan import ExecutionPlan, LogicalPlan
from fuseplug.udf import AggregateUDF, ScalarUDF, TableFunction, WindowUDF

if TYPE_CHECKING:
    import pandas
    import polars

    from fuseplug.common import DFSchema
    from fuseplug.native import NativeExtension

if TYPE_CHECKING:
    import pyarrow as pa
else:
    from fuseplug._lazy import pyarrow as pa

__all__ = ["RuntimeEnvBuilder", "SessionConfig", "SessionContext"]


class SessionContext(FileSources, ContextExtensions):
    """The entry point: holds registered tables and functions, the configuration and the runtime
    (memory pool, spill directory). The file and object-store sources (``read_parquet``,
    ``register_csv``, ``register_object_store``, ...) come from :class:`FileSources`; query planners
    and extension bundles (``set_query_planner``, ``with_extensions``) from
    :class:`ContextExtensions`."""

    # No __slots__: as in the official bindings, instance attributes may be set (tests patch
    # methods such as ``register_object_store`` on one context).

    def __init__(
        self, config: SessionConfig | None = None, runtime: RuntimeEnvBuilder | None = None
    ) -> None:
        self._inner = _internal.SessionContext(config, runtime)

    @classmethod
    def _from_inner(cls, inner: _internal.SessionContext) -> SessionContext:
        ctx = cls.__new__(cls)
        ctx._inner = inner
        return ctx

    @property
    def ctx(self) -> _internal.SessionContext:
        """The compiled session this wraps (the official bindings' name for it): it exports the
        session's codecs (``ctx.ctx.__datafusion_logical_extension_codec__()``) and is accepted
        wherever a SessionContext is."""
        return self._inner

    def enable_url_table(self) -> SessionContext:
        """A context sharing this one's tables that also accepts file paths as table names:
        ``SELECT * FROM 'data/file.parquet'``."""
        return SessionContext._from_inner(self._inner.enable_url_table())

    def session_id(self) -> str:
        return self._inner.session_id()

    @property
    def __datafusion_codec_id__(self) -> str:
        """The id this context is installed under when another session takes it as an extension
        codec (``other.with_logical_extension_codec(ctx)``): ``session:`` and the session's id.
        Contexts derived from one session share it, since their codecs are that session's."""
        return f"session:{self.session_id()}"

    # SQL ---------------------------------------------------------------------------------------
    def sql(
        self,
        query: str,
        options: SQLOptions | None = None,
        param_values: dict[str, Any] | None = None,
        **named_params: Any,
    ) -> DataFrame:
        """Plans one SQL statement. Queries stay lazy; DDL and DML (CREATE, INSERT, SET) run now.

        ``$name`` placeholders are bound by value, never spliced into the text: ``param_values``
        and scalar ``named_params`` become typed literals (a string stays a string, so it cannot
        inject SQL), and a DataFrame passed as a named parameter is read as a table. ``options``
        limits the statements allowed (see :class:`SQLOptions`).

        >>> ctx = SessionContext()
        >>> df = ctx.from_pydict({"a": [1, 2, 3]})
        >>> ctx.sql("SELECT a FROM $t WHERE a > $low", t=df, low=1).to_pydict()
        {'a': [2, 3]}
        """
        if not isinstance(query, str):
            raise TypeError(f"sql() needs a str, got {type(query).__name__}")
        values = dict(param_values or {})
        tables: dict[str, _internal.DataFrame] = {}
        for name, value in named_params.items():
            if name in values:
                raise ValueError(f"parameter {name!r} is given both in param_values and by name")
            if isinstance(value, DataFrame):
                tables[name] = value._inner
            else:
                values[name] = value
        return DataFrame(self._inner.sql(query, options, values, tables))

    def sql_with_options(
        self,
        query: str,
        options: SQLOptions,
        param_values: dict[str, Any] | None = None,
        **named_params: Any,
    ) -> DataFrame:
        """:meth:`sql`, refusing the statements ``options`` does not allow:
        ``ctx.sql_with_options(q, SQLOptions().with_allow_ddl(False))``."""
        return self.sql(query, options, param_values, **named_params)

    def parse_sql_expr(self, sql: str, schema: DFSchema) -> Expr:
        """A SQL expression over the columns of ``schema`` (``DFSchema.empty()`` for none, or a
        plan node's ``schema()``), planned with this session's functions and settings."""
        return Expr(_internal.parse_sql_expr(self._inner, sql, schema))

    # in-memory data ------------------------------------------------------------------------------
    def register_record_batches(self, name: str, partitions: list[list[pa.RecordBatch]]) -> None:
        """Registers partitions of pyarrow RecordBatches (one inner list per partition)."""
        self._inner.register_record_batches(name, partitions)

    def create_dataframe(
        self,
        partitions: list[list[pa.RecordBatch]],
        name: str | None = None,
        schema: pa.Schema | None = None,
    ) -> DataFrame:
        """A DataFrame over record batches (``schema`` is needed when there are none)."""
        batches = [b for part in partitions for b in part]
        if not batches and schema is None:
            raise ValueError("create_dataframe needs at least one RecordBatch or a schema")
        # through a reader, which (unlike a Table) keeps empty batches: collect() returns them
        schema = schema if schema is not None else batches[0].schema
        return self.from_arrow(pa.RecordBatchReader.from_batches(schema, batches), name=name)

    def from_arrow(self, data: Any, name: str | None = None) -> DataFrame:
        """Reads any object exporting ``__arrow_c_stream__`` or ``__arrow_c_array__`` (pyarrow tables,
        batches and readers, polars, DuckDB relations, nanoarrow, ...) into memory, registered as
        table ``name``: without one, under a fresh name (``c`` and 32 hex digits), as the official
        bindings do. The other ``from_*`` methods and :meth:`create_dataframe` do the same.

        >>> ctx = SessionContext()
        >>> df = ctx.from_pydict({"a": [1, 2]})
        >>> [name] = ctx.catalog().schema().names()
        >>> name.startswith("c") and len(name) == 33
        True
        """
        return DataFrame(self._inner.from_arrow(data, name or _fresh_table_name()))

    def from_pydict(
        self, data: dict[str, Any], name: str | None = None, *, schema: pa.Schema | None = None
    ) -> DataFrame:
        return self.from_arrow(pa.Table.from_pydict(data, schema=schema), name=name)

    def from_pylist(
        self,
        data: list[dict[str, Any]],
        name: str | None = None,
        *,
        schema: pa.Schema | None = None,
    ) -> DataFrame:
        return self.from_arrow(pa.Table.from_pylist(data, schema=schema), name=name)

    def from_pandas(self, data: pandas.DataFrame, name: str | None = None) -> DataFrame:
        return self.from_arrow(pa.Table.from_pandas(data, preserve_index=False), name=name)

    def from_polars(self, data: polars.DataFrame, name: str | None = None) -> DataFrame:
        return self.from_arrow(data.to_arrow(), name=name)

    # tables ------------------------------------------------------------------------------------
    def register_view(self, name: str, df: DataFrame) -> None:
        """Registers ``df``'s query as view ``name``; it is re-run whenever the view is read."""
        if not isinstance(df, DataFrame):
            raise TypeError(f"register_view needs a fuseplug DataFrame, got {type(df).__name__}")
        self._inner.register_view(name, df._inner)

    def register_table(self, name: str, table: Any) -> None:
        """Registers a table: a DataFrame (as a view), a :class:`Table`, a pyarrow Dataset (read
        again on every scan, with the query's filters handed to pyarrow), a plugin's table provider
        (an object with ``__datafusion_table_provider__(session)``, e.g. a ``deltalake.DeltaTable``, or
        the ``datafusion_table_provider`` capsule itself), an Arrow stream (anything exporting
        ``__arrow_c_stream__``: a DuckDB relation, a polars or pyarrow frame, a reader), read again
        on every scan, or an Arrow array (``__arrow_c_array__``), read into memory now."""
        if isinstance(table, DataFrame):
            self._inner.register_view(name, table._inner)
        elif isinstance(table, Table):
            self._inner.register_table(name, table)
        elif _is_capsule(table) or hasattr(table, "__datafusion_table_provider__"):
            self._inner.register_table_provider(name, table, self)
        elif _is_dataset(table):
            self._inner.register_table(name, Table.from_dataset(table))
        elif hasattr(table, "__arrow_c_stream__"):
            one_shot = isinstance(table, pa.RecordBatchReader)
            self._inner.register_table(name, Table.from_arrow_stream(table, one_shot))
        elif hasattr(table, "__arrow_c_array__"):
            self._inner.from_arrow(table, name)
        else:
            raise TypeError(
                "register_table needs a DataFrame, a Table or an Arrow stream/array object, "
                f"got {type(table).__name__}"
            )

    def read_table(self, table: Any) -> DataFrame:
        """A DataFrame over a :class:`Table`, a plugin's table provider, a DataFrame, a pyarrow
        Dataset or an Arrow stream, without registering it."""
        if isinstance(table, Table):
            return DataFrame(self._inner.read_table(table))
        if _is_capsule(table) or hasattr(table, "__datafusion_table_provider__"):
            return DataFrame(self._inner.read_table_provider(table, self))
        return DataFrame(self._inner.read_table(_as_table(table, self)))

    def deregister_table(self, name: str) -> None:
        self._inner.deregister_table(name)

    def table(self, name: str) -> DataFrame:
        """A DataFrame reading the registered table ``name``; ``KeyError`` when there is none."""
        return DataFrame(self._inner.table(name))

    def table_exist(self, name: str) -> bool:
        return self._inner.table_exist(name)

    def catalog_names(self) -> set[str]:
        return self._inner.catalog_names()

    def catalog(self, name: str = "datafusion") -> Catalog:
        return self._inner.catalog(name)

    # functions ---------------------------------------------------------------------------------
    def register_udf(self, udf: Any) -> None:
        """Registers a :class:`ScalarUDF`, or a plugin's (``__datafusion_scalar_udf__()`` or its capsule)."""
        if isinstance(udf, ScalarUDF):
            self._inner.register_udf(udf._inner)
        else:
            self._inner.register_foreign_udf("scalar", _plugin(udf, "__datafusion_scalar_udf__"))

    def register_udaf(self, udaf: Any) -> None:
        """Registers an :class:`AggregateUDF`, or a plugin's (``__datafusion_aggregate_udf__()``)."""
        if isinstance(udaf, AggregateUDF):
            self._inner.register_udaf(udaf._inner)
        else:
            self._inner.register_foreign_udf(
                "aggregate", _plugin(udaf, "__datafusion_aggregate_udf__")
            )

    def register_udwf(self, udwf: Any) -> None:
        """Registers a :class:`WindowUDF`, or a plugin's (``__datafusion_window_udf__()``)."""
        if isinstance(udwf, WindowUDF):
            self._inner.register_udwf(udwf._inner)
        else:
            self._inner.register_foreign_udf("window", _plugin(udwf, "__datafusion_window_udf__"))

    def register_udtf(self, func: Any, name: str | None = None) -> None:
        """Registers a :class:`TableFunction`, or a plugin's table function (an object with
        ``__datafusion_table_function__(session)``, or its capsule) under ``name``."""
        if isinstance(func, TableFunction):
            if func._inner is not None:
                self._inner.register_udtf(func._inner)
            else:
                self.register_table_function(func.name, func._plugin)
            return
        if name is None:
            found = getattr(func, "name", None) or getattr(func, "__name__", None)
            if not isinstance(found, str):
                raise ValueError(
                    "give a plugin's table function a name: register_udtf(obj, name=...)"
                )
            name = found
        self.register_table_function(name, func)

    def register_table_function(self, name: str, function: Any) -> None:
        """Registers a plugin's table function as ``name``: ``SELECT * FROM name(args)``."""
        if isinstance(function, TableFunction):
            raise TypeError("register a fuseplug TableFunction with register_udtf()")
        self._inner.register_table_function(
            name, _plugin(function, "__datafusion_table_function__"), self
        )

    def register_catalog_provider_list(self, provider: Any) -> None:
        """Replaces this session's catalogs with a :class:`~fuseplug.catalog.CatalogList`, a
        Python :class:`~fuseplug.catalog.CatalogProviderList` or a plugin's list of catalogs
        (``__datafusion_catalog_provider_list__(codec)``, or its capsule)."""
        self._inner.register_catalog_provider_list(provider)

    def register_table_factory(self, format: str, factory: Any) -> None:
        """Routes ``CREATE EXTERNAL TABLE ... STORED AS <format>`` to a Python
        :class:`~fuseplug.TableProviderFactory` or a plugin's table provider factory
        (``__datafusion_table_provider_factory__(codec)``, or its capsule)."""
        self._inner.register_table_factory(format, factory)

    def add_physical_optimizer_rule(self, rule: Any) -> None:
        """Appends a plugin's physical optimizer rule (``__datafusion_physical_optimizer_rule__()``,
        or its capsule) to this session's rules."""
        self._inner.add_physical_optimizer_rule(
            _plugin(rule, "__datafusion_physical_optimizer_rule__")
        )

    def register_catalog_provider(self, name: str, provider: Any) -> None:
        """Registers a :class:`Catalog` (e.g. ``Catalog.memory_catalog()``), a Python
        :class:`~fuseplug.catalog.CatalogProvider` or a plugin's catalog
        (``__datafusion_catalog_provider__(codec)``, or its capsule) as catalog ``name``: its tables
        are ``name.schema.table`` in SQL."""
        self._inner.register_catalog_provider(name, provider)

    def enable_spark_functions(self) -> None:
        """Registers every Spark-compatible function (the datafusion-spark crate) for SQL in this
        session, in place of built-ins of the same name. :mod:`fuseplug.functions.spark` needs no
        registration.

        >>> ctx = SessionContext()
        >>> ctx.enable_spark_functions()
        >>> ctx.sql("SELECT concat('a', NULL) AS c").to_pydict()  # NULL, as in Spark
        {'c': [None]}
        """
        _internal.enable_spark_functions(self._inner)

    def deregister_udf(self, name: str) -> None:
        self._inner.deregister_udf(name)

    # capsules out: what plugins call on the session object they are handed ----------------------
    def __datafusion_task_context_provider__(self) -> object:
        """A ``datafusion_task_context_provider`` capsule bound to this live session."""
        return self._inner.__datafusion_task_context_provider__()

    def __datafusion_logical_extension_codec__(self, session: object | None = None) -> object:
        """A ``datafusion_logical_extension_codec`` capsule; ``session`` is accepted and ignored."""
        return self._inner.__datafusion_logical_extension_codec__(session)

    def __datafusion_physical_extension_codec__(self, session: object | None = None) -> object:
        """A ``datafusion_physical_extension_codec`` capsule; ``session`` is accepted and ignored."""
        return self._inner.__datafusion_physical_extension_codec__(session)

    # native extensions and function lookup ------------------------------------------------------
    def load_extension(self, module_or_path: Any) -> NativeExtension:
        """Loads a Daft-ABI native extension (an installed package's name, found without importing
        it; an imported module; or a path to its shared library) and defines its scalar and
        aggregate functions on this session only. See :func:`fuseplug.load_extension`."""
        from fuseplug.native import load_extension

        return load_extension(module_or_path, self)

    def function(self, name: str) -> ScalarUDF | AggregateUDF:
        """A scalar or aggregate function registered on this session, by name; call it with
        expressions: ``ctx.function("example_reverse")(col("s"))``."""
        inner = self._inner.function(name)
        cls: type[ScalarUDF | AggregateUDF] = (
            ScalarUDF if isinstance(inner, _internal.ScalarUDF) else AggregateUDF
        )
        return cls._from_inner(inner)

    def udf(self, name: str) -> ScalarUDF:
        """The registered scalar function ``name`` (built-in, Python, plugin or native); raises
        ``KeyError`` when there is none.

        >>> SessionContext().udf("abs").name
        'abs'
        """
        return ScalarUDF._from_inner(self._registered("scalar", name, "UDF"))

    def udaf(self, name: str) -> AggregateUDF:
        """The registered aggregate function ``name``; ``KeyError`` when there is none."""
        return AggregateUDF._from_inner(self._registered("aggregate", name, "UDAF"))

    def udwf(self, name: str) -> WindowUDF:
        """The registered window function ``name``; ``KeyError`` when there is none."""
        return WindowUDF._from_inner(self._registered("window", name, "UDWF"))

    def _registered(self, kind: str, name: str, label: str) -> Any:
        found = self._inner.registered_function(kind, name)
        if found is None:
            raise KeyError(f"no {label} named {name!r}")
        return found

    def udfs(self) -> list[str]:
        """The sorted names of every registered scalar function, built-in ones included."""
        return self._inner.function_names("scalar")

    def udafs(self) -> list[str]:
        """The sorted names of every registered aggregate function."""
        return self._inner.function_names("aggregate")

    def udwfs(self) -> list[str]:
        """The sorted names of every registered window function."""
        return self._inner.function_names("window")

    def deregister_udaf(self, name: str) -> None:
        self._inner.deregister_function("aggregate", name)

    def deregister_udwf(self, name: str) -> None:
        self._inner.deregister_function("window", name)

    def deregister_udtf(self, name: str) -> None:
        self._inner.deregister_function("table", name)

    # session -----------------------------------------------------------------------------------
    def session_start_time(self) -> str:
        """When this session started, as an RFC 3339 timestamp."""
        return self._inner.session_start_time()

    def enable_ident_normalization(self) -> bool:
        """Whether unquoted SQL identifiers are lowercased
        (``datafusion.sql_parser.enable_ident_normalization``)."""
        return self._inner.enable_ident_normalization()

    def copied_config(self) -> SessionConfig:
        """A copy of this session's configuration as it is now, ``SET`` statements included."""
        return self._inner.copied_config()

    def remove_optimizer_rule(self, name: str) -> bool:
        """Removes the logical optimizer rule ``name`` (e.g. ``"push_down_filter"``); returns whether
        there was one."""
        return self._inner.remove_optimizer_rule(name)

    def refresh_catalogs(self) -> None:
        """Asks every catalog to refresh its metadata (catalogs that cache listings)."""
        self._inner.refresh_catalogs()

    @staticmethod
    def parse_capacity_limit(config_name: str, limit: str) -> int:
        """A size such as ``"512K"``, ``"100M"`` or ``"1.5G"`` in bytes (``"0"`` is 0);
        ``config_name`` names the setting in error messages.

        >>> SessionContext.parse_capacity_limit("datafusion.runtime.memory_limit", "1.5G")
        1610612736
        """
        return _internal.SessionContext.parse_capacity_limit(config_name, limit)

    # more ways to make DataFrames --------------------------------------------------------------
    def read_empty(self) -> DataFrame:
        """A DataFrame with no columns and one row (what ``SELECT`` without ``FROM`` reads)."""
        return DataFrame(self._inner.read_empty())

    def empty_table(self) -> DataFrame:
        """Same as :meth:`read_empty`."""
        return self.read_empty()

    def read_batch(self, batch: pa.RecordBatch) -> DataFrame:
        """A DataFrame over one record batch (any ``__arrow_c_array__`` object); unlike
        :meth:`from_arrow`, it registers no table."""
        return DataFrame(self._inner.from_arrow(batch, None))

    def read_batches(self, batches: Iterable[pa.RecordBatch]) -> DataFrame:
        """A DataFrame over record batches of one schema (at least one batch); it registers no
        table."""
        batches = list(batches)
        if not batches:
            raise ValueError("read_batches needs at least one batch")
        return DataFrame(self._inner.from_arrow(pa.Table.from_batches(batches), None))

    def register_batch(self, name: str, batch: pa.RecordBatch) -> None:
        """Registers one record batch as the in-memory table ``name``."""
        self.register_record_batches(name, [[batch]])

    def execute_logical_plan(self, plan: LogicalPlan) -> DataFrame:
        """Same as :meth:`create_dataframe_from_logical_plan`."""
        return self.create_dataframe_from_logical_plan(plan)

    def table_provider(self, name: str) -> Table:
        """The :class:`Table` registered as ``name``; ``KeyError`` when there is none."""
        table = self._inner.table_provider(name)
        if table is None:
            raise KeyError(f"no table named {name!r}")
        return table

    def register_table_provider(self, name: str, provider: Any) -> None:
        """Same as :meth:`register_table` (a Table, DataFrame, Dataset or plugin table provider)."""
        self.register_table(name, provider)

    def register_dataset(self, name: str, dataset: Any) -> None:
        """Registers a ``pyarrow.dataset.Dataset``; every scan reads the dataset again."""
        self.register_table(name, Table.from_dataset(dataset))

    # extension codecs and plans ----------------------------------------------------------------
    def with_logical_extension_codec(
        self, codec: Any, codec_id: str | None = None
    ) -> SessionContext:
        """A context on the same session whose logical codecs also include ``codec`` (an object with
        ``__datafusion_logical_extension_codec__(session)``, or its capsule).

        Codecs compose: each is appended, and every payload it writes is tagged with its id, so only
        the codec that wrote a payload ever decodes it. The id is ``codec_id``, else the codec's
        ``__datafusion_codec_id__``, else its class's module and qualified name; a bare capsule
        without ``codec_id`` is named after the library that made it and its kind (for example
        ``fuseplug_ffi_example._internal:logical_extension_codec``), the same in every process.
        Installing an id twice raises ``PlanError``.
        """
        new = self._inner.with_logical_extension_codec(codec, self, _codec_id(codec, codec_id))
        new.rebind_query_planner()  # a plugin planner the session holds now uses the new codecs
        return SessionContext._from_inner(new)

    def with_physical_extension_codec(
        self, codec: Any, codec_id: str | None = None
    ) -> SessionContext:
        """As :meth:`with_logical_extension_codec`, for ``__datafusion_physical_extension_codec__``."""
        new = self._inner.with_physical_extension_codec(codec, self, _codec_id(codec, codec_id))
        new.rebind_query_planner()
        return SessionContext._from_inner(new)

    def with_distributed(
        self,
        workers: Any,
        *,
        tasks_per_stage: int | None = None,
        bytes_per_partition: int | None = None,
        broadcast_joins: bool | None = None,
        compression: str | None = None,
        connect_timeout: float = 5.0,
        options: dict[str, str] | None = None,
    ) -> SessionContext:
        """A coordinating context: it shares this one's tables, functions and codecs, and plans
        every query with datafusion-distributed, running its stages on ``workers`` (a list of
        ``http://host:port`` URLs, one comma-separated string, or a
        :class:`~fuseplug.distributed.LocalCluster`). See ``docs/distributed.md``.

        The engine's knobs: ``tasks_per_stage`` (at most; default the number of workers),
        ``bytes_per_partition`` (Parquet bytes one task scans; fewer means more tasks),
        ``broadcast_joins`` (send a small join side to every task), ``compression``
        (``"lz4"``, ``"zstd"`` or ``"none"`` between workers); any other ``distributed.*`` option
        through ``options``. A worker that does not accept a connection within ``connect_timeout``
        seconds fails the query with :class:`~fuseplug.exceptions.WorkerError`.
        """
        return SessionContext._from_inner(
            _internal.distributed_context(
                self._inner,
                workers,
                tasks_per_stage=tasks_per_stage,
                bytes_per_partition=bytes_per_partition,
                broadcast_joins=broadcast_joins,
                compression=compression,
                connect_timeout=connect_timeout,
                options=options,
            )
        )

    @property
    def distributed_workers(self) -> list[str]:
        """The worker URLs this context's queries run on (empty when they run locally)."""
        return _internal.distributed_workers(self._inner)

    def with_python_udf_inlining(self, *, enabled: bool) -> SessionContext:
        """A context on the same session that sends Python UDFs inline (``enabled=True``, the
        default of every session) or only by name (``enabled=False``).

        A context made with ``enabled=False`` is strict when it decodes: inline Python payloads and
        native-extension libraries named by a plan are refused with ``SerializationError``, so
        decoding untrusted bytes on it runs no code from them. Functions must then be registered
        on it under the names the plan uses. This context's other settings are kept.
        """
        return SessionContext._from_inner(self._inner.with_python_udf_inlining(enabled=enabled))

    @property
    def python_udf_inlining(self) -> bool:
        """Whether this context's codecs send Python UDFs inline."""
        return self._inner.python_udf_inlining

    @classmethod
    def global_ctx(cls) -> SessionContext:
        """The process-wide default context (created on first use): what unpickled plans and
        expressions decode on when no worker context is set (:mod:`fuseplug.ipc`)."""
        global _GLOBAL_CTX
        with _GLOBAL_LOCK:
            if _GLOBAL_CTX is None:
                _GLOBAL_CTX = cls()
            return _GLOBAL_CTX

    def logical_extension_codec_ids(self) -> list[str]:
        """The ids of the installed logical codecs, in install order (DataFusion's default codec,
        which handles whatever none of them claims, is not listed)."""
        return self._inner.logical_extension_codec_ids()

    def physical_extension_codec_ids(self) -> list[str]:
        """The ids of the installed physical codecs, in install order."""
        return self._inner.physical_extension_codec_ids()

    def create_dataframe_from_logical_plan(self, plan: LogicalPlan) -> DataFrame:
        """A DataFrame over ``plan`` (e.g. one decoded with :meth:`LogicalPlan.from_bytes`)."""
        return DataFrame(self._inner.create_dataframe_from_logical_plan(plan))

    def execute(self, plan: ExecutionPlan, partition: int) -> RecordBatchStream:
        """Runs one partition of a physical plan (e.g. one from :meth:`ExecutionPlan.from_bytes`)."""
        return RecordBatchStream(self._inner.execute(plan, partition))

    def __repr__(self) -> str:
        return repr(self._inner)


_GLOBAL_CTX: SessionContext | None = None
_GLOBAL_LOCK = threading.Lock()


def _fresh_table_name() -> str:
    """A table name no one else uses: ``c`` and 32 hex digits, as the official bindings name the
    tables of ``from_*``."""
    import uuid

    return f"c{uuid.uuid4().hex}"


def _codec_id(codec: object, codec_id: str | None) -> str | None:
    """The id a codec is installed under; None for a bare capsule, whose id the compiled layer
    derives from the library that made it."""
    if codec_id is not None:
        return codec_id
    if _is_capsule(codec):
        return None
    pinned = getattr(codec, "__datafusion_codec_id__", None)
    if isinstance(pinned, str):
        return pinned
    return f"{type(codec).__module__}.{type(codec).__qualname__}"


def _is_capsule(obj: object) -> bool:
    return type(obj).__name__ == "PyCapsule"


def _plugin(obj: object, dunder: str) -> object:
    if _is_capsule(obj) or hasattr(obj, dunder):
        return obj
    raise TypeError(
        f"expected a fuseplug UDF, a capsule or an object with {dunder}, got {type(obj).__name__}"
    )


def _unwrap(obj: object, cls: type[ScalarUDF | AggregateUDF | WindowUDF | TableFunction]) -> Any:
    if not isinstance(obj, cls):
        raise TypeError(f"expected a {cls.__name__}, got {type(obj).__name__}")
    return obj._inner
