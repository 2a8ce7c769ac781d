"""The file sources of :class:`~fuseplug.SessionContext`: the ``read_*`` and ``register_*`` methods for
Parquet, CSV, JSON, Avro and Arrow files, listing tables, and the object stores they read through.

A mixin so that ``context.py`` stays one concept per file; ``SessionContext`` inherits it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Union

from fuseplug import _internal
from fuseplug._internal import ObjectStore
from fuseplug.dataframe import DataFrame
from fuseplug.expr import SortExpr, to_sort
from fuseplug.object_store import _check_store, _store_location
from fuseplug.options import (
    CsvReadOptions,
    PartitionCols,
    _compression,
    _csv_args,
    _partition_cols,
)

if TYPE_CHECKING:
    import pyarrow as pa
else:
    from fuseplug._lazy import pyarrow as pa

PathLike = Union[str, "os.PathLike[str]"]


def _path(path: PathLike) -> str:
    """The path as text, refused with ``ValueError`` when it is no valid location (a URL with a bad
    host or port, a malformed glob) before any reader sees it."""
    text = os.fspath(path)
    _internal.check_location(text)
    return text


def _paths(path: PathLike | Sequence[PathLike]) -> str | list[str]:
    if isinstance(path, (str, os.PathLike)):
        return _path(path)
    return [_path(p) for p in path]


def _sort_order(order: Sequence[Sequence[Any]] | None) -> list[list[_internal.SortExpr]] | None:
    if order is None:
        return None
    return [[to_sort(k)._inner for k in keys] for keys in order]


class FileSources:
    """``read_*`` / ``register_*`` over files and object stores (mixed into ``SessionContext``)."""

    __slots__ = ()
    _inner: _internal.SessionContext

    def _source(self, path: PathLike | Sequence[PathLike], store: Any) -> None:
        """Registers ``store`` for ``path``'s scheme and host when one is given (the ``object_store=``
        parameter); a list of paths registers it for the first."""
        if store is not None:
            first = path if isinstance(path, (str, os.PathLike)) else next(iter(path), None)
            if first is None:
                raise ValueError("object_store= needs at least one path")
            self._register_object_store_for_path(first, store)

    def _register_object_store_for_path(self, path: PathLike, store: Any) -> None:
        """Registers ``store`` (with :meth:`register_object_store`) for the scheme and host of the
        URL ``path``: ``s3://bucket/key`` gives ``("s3://", "bucket")``, ``file:///tmp/x`` gives
        ``("file://", None)``. ``ValueError`` when ``path`` is no URL, or has no host where the
        scheme needs one."""
        scheme, host = _store_location(path)
        self.register_object_store(scheme, store, host=host)

    # object stores -----------------------------------------------------------------------------
    def register_object_store(
        self, schema: str, store: ObjectStore, host: str | None = None
    ) -> None:
        """Reads and writes URLs under ``schema://host`` through ``store``, one of the classes of
        :mod:`fuseplug.object_store`. ``schema`` is a URL scheme, written ``"s3://"`` (as in the
        official bindings) or ``"s3"``; ``host`` defaults to the store's bucket (``AmazonS3``,
        ``GoogleCloud``), container (``MicrosoftAzure``) or server (``Http``), and to none for
        ``LocalFileSystem``. Registering again for the same scheme and host replaces the store.

        >>> import tempfile
        >>> from fuseplug import SessionContext
        >>> from fuseplug.object_store import LocalFileSystem
        >>> ctx = SessionContext()
        >>> root = tempfile.mkdtemp()
        >>> ctx.register_object_store("data", LocalFileSystem(prefix=root), "lake")
        >>> ctx.from_pydict({"a": [1, 2]}).write_parquet("data://lake/t/")
        >>> ctx.read_parquet("data://lake/t/").count()
        2
        """
        _check_store(store)
        _internal.register_object_store(self._inner, schema, store, host)

    def deregister_object_store(self, schema: str, host: str | None = None) -> None:
        """Removes the store registered for ``schema://host``: ``host`` is the bucket, container or
        server it serves, also when registration took it from the store
        (``deregister_object_store("s3://", "my-bucket")``). ``KeyError`` when there is none."""
        if not _internal.deregister_object_store(self._inner, schema, host):
            where = schema if host is None else f"{schema} with host {host!r}"
            raise KeyError(f"no object store is registered for {where}")

    # files -------------------------------------------------------------------------------------
    def register_parquet(
        self,
        name: str,
        path: PathLike,
        table_partition_cols: PartitionCols | None = None,
        parquet_pruning: bool = True,
        file_extension: str = ".parquet",
        skip_metadata: bool = True,
        schema: pa.Schema | None = None,
        file_sort_order: Sequence[Sequence[SortExpr | Any]] | None = None,
        object_store: ObjectStore | None = None,
    ) -> None:
        """Registers a Parquet file, directory or glob as table ``name``. ``object_store`` (a store
        of :mod:`fuseplug.object_store`) is registered for ``path``'s scheme and host first."""
        self._source(path, object_store)
        self._inner.register_parquet(
            name,
            _path(path),
            _partition_cols(table_partition_cols),
            parquet_pruning,
            file_extension,
            skip_metadata,
            schema,
            _sort_order(file_sort_order),
        )

    def read_parquet(
        self,
        path: PathLike | Sequence[PathLike],
        table_partition_cols: PartitionCols | None = None,
        parquet_pruning: bool = True,
        file_extension: str = ".parquet",
        skip_metadata: bool = True,
        schema: pa.Schema | None = None,
        file_sort_order: Sequence[Sequence[SortExpr | Any]] | None = None,
        object_store: ObjectStore | None = None,
    ) -> DataFrame:
        """A DataFrame reading Parquet: a file, a directory or prefix, a glob, or a list of them.
        ``object_store`` is registered for ``path``'s scheme and host first."""
        self._source(path, object_store)
        return DataFrame(
            self._inner.read_parquet(
                _paths(path),
                _partition_cols(table_partition_cols),
                parquet_pruning,
                file_extension,
                skip_metadata,
                schema,
                _sort_order(file_sort_order),
            )
        )

    def register_csv(
        self,
        name: str,
        path: PathLike | Sequence[PathLike],
        schema: pa.Schema | None = None,
        has_header: bool = True,
        delimiter: str = ",",
        schema_infer_max_records: int = 1000,
        file_extension: str = ".csv",
        file_compression_type: str | None = None,
        options: CsvReadOptions | None = None,
        object_store: ObjectStore | None = None,
        *,
        table_partition_cols: PartitionCols | None = None,
    ) -> None:
        """Registers a CSV file, directory or glob (or a list of them) as table ``name``. ``options`` (a
        :class:`CsvReadOptions`) replaces the other settings and adds quote, escape and the rest;
        ``object_store`` is registered for ``path``'s scheme and host first."""
        self._source(path, object_store)
        self._inner.register_csv(
            name,
            _paths(path),
            *_csv_args(
                options,
                schema,
                has_header,
                delimiter,
                schema_infer_max_records,
                file_extension,
                file_compression_type,
                table_partition_cols,
            ),
        )

    def read_csv(
        self,
        path: PathLike | Sequence[PathLike],
        schema: pa.Schema | None = None,
        has_header: bool = True,
        delimiter: str = ",",
        schema_infer_max_records: int = 1000,
        file_extension: str = ".csv",
        table_partition_cols: PartitionCols | None = None,
        file_compression_type: str | None = None,
        options: CsvReadOptions | None = None,
        object_store: ObjectStore | None = None,
    ) -> DataFrame:
        """A DataFrame reading CSV; ``options`` (a :class:`CsvReadOptions`) replaces the other
        settings and adds quote, escape and the rest; ``object_store`` is registered for
        ``path``'s scheme and host first."""
        self._source(path, object_store)
        return DataFrame(
            self._inner.read_csv(
                _paths(path),
                *_csv_args(
                    options,
                    schema,
                    has_header,
                    delimiter,
                    schema_infer_max_records,
                    file_extension,
                    file_compression_type,
                    table_partition_cols,
                ),
            )
        )

    def register_json(
        self,
        name: str,
        path: PathLike,
        schema: pa.Schema | None = None,
        schema_infer_max_records: int = 1000,
        file_extension: str = ".json",
        table_partition_cols: PartitionCols | None = None,
        file_compression_type: str | None = None,
        object_store: ObjectStore | None = None,
    ) -> None:
        """Registers newline-delimited JSON as table ``name``."""
        self._source(path, object_store)
        self._inner.register_json(
            name,
            _path(path),
            schema,
            schema_infer_max_records,
            file_extension,
            _compression(file_compression_type),
            _partition_cols(table_partition_cols),
        )

    def read_json(
        self,
        path: PathLike | Sequence[PathLike],
        schema: pa.Schema | None = None,
        schema_infer_max_records: int = 1000,
        file_extension: str = ".json",
        table_partition_cols: PartitionCols | None = None,
        file_compression_type: str | None = None,
        object_store: ObjectStore | None = None,
    ) -> DataFrame:
        self._source(path, object_store)
        return DataFrame(
            self._inner.read_json(
                _paths(path),
                schema,
                schema_infer_max_records,
                file_extension,
                _compression(file_compression_type),
                _partition_cols(table_partition_cols),
            )
        )

    def register_avro(
        self,
        name: str,
        path: PathLike,
        schema: pa.Schema | None = None,
        file_extension: str = ".avro",
        table_partition_cols: PartitionCols | None = None,
        object_store: ObjectStore | None = None,
    ) -> None:
        self._source(path, object_store)
        self._inner.register_avro(
            name, _path(path), schema, file_extension, _partition_cols(table_partition_cols)
        )

    def read_avro(
        self,
        path: PathLike | Sequence[PathLike],
        schema: pa.Schema | None = None,
        file_partition_cols: PartitionCols | None = None,
        file_extension: str = ".avro",
        object_store: ObjectStore | None = None,
    ) -> DataFrame:
        self._source(path, object_store)
        return DataFrame(
            self._inner.read_avro(
                _paths(path), schema, file_extension, _partition_cols(file_partition_cols)
            )
        )

    def register_listing_table(
        self,
        name: str,
        path: PathLike,
        table_partition_cols: PartitionCols | None = None,
        file_extension: str = ".parquet",
        schema: pa.Schema | None = None,
        file_sort_order: Sequence[Sequence[Any]] | None = None,
    ) -> None:
        """Registers every Parquet file under ``path`` (a directory or prefix) as one table."""
        self._inner.register_listing_table(
            name,
            _path(path),
            _partition_cols(table_partition_cols),
            file_extension,
            schema,
            _sort_order(file_sort_order),
        )

    def register_arrow(
        self,
        name: str,
        path: PathLike,
        schema: pa.Schema | None = None,
        file_extension: str = ".arrow",
        table_partition_cols: PartitionCols | None = None,
        object_store: ObjectStore | None = None,
    ) -> None:
        """Registers Arrow IPC files (one file or a directory of them) as a table."""
        self._source(path, object_store)
        self._inner.register_arrow(
            name, _path(path), schema, file_extension, _partition_cols(table_partition_cols)
        )

    def read_arrow(
        self,
        path: PathLike | Sequence[PathLike],
        schema: pa.Schema | None = None,
        file_extension: str = ".arrow",
        file_partition_cols: PartitionCols | None = None,
        object_store: ObjectStore | None = None,
    ) -> DataFrame:
        """A DataFrame reading Arrow IPC files."""
        self._source(path, object_store)
        return DataFrame(
            self._inner.read_arrow(
                _paths(path), schema, file_extension, _partition_cols(file_partition_cols)
            )
        )
