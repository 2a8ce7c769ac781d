"""Object stores: where ``s3://``, ``gs://``, ``az://``, ``https://`` and other URLs are read from and
written to.

Build a store, then register it on a session for a URL scheme and host
(:meth:`SessionContext.register_object_store`), or pass it as ``object_store=`` to a ``read_*`` /
``register_*`` call, which registers it for that path's scheme and host. Settings not given come from
the environment, as the cloud SDKs read them: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``, ``AWS_ALLOW_HTTP``, ...;
``GOOGLE_SERVICE_ACCOUNT``, ``GOOGLE_APPLICATION_CREDENTIALS``, ...; ``AZURE_STORAGE_ACCOUNT_NAME``,
``AZURE_STORAGE_ACCOUNT_KEY``, ...; then the platform's default credentials (instance metadata).
A store's ``repr`` shows its bucket, region or endpoint and where its credentials come from, never
the credentials.

>>> import tempfile
>>> from fuseplug import SessionContext
>>> from fuseplug.object_store import LocalFileSystem
>>> root = tempfile.mkdtemp()
>>> store = LocalFileSystem(prefix=root)
>>> ctx = SessionContext()
>>> ctx.register_object_store("mem://", store, "bucket")
>>> ctx.from_pydict({"a": [1, 2, 3]}).write_parquet("mem://bucket/t/")
>>> ctx.read_parquet("mem://bucket/t/").count()
3
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from fuseplug._internal import (
    AmazonS3,
    GoogleCloud,
    Http,
    LocalFileSystem,
    MicrosoftAzure,
    ObjectStore,
)

__all__ = ["AmazonS3", "GoogleCloud", "Http", "LocalFileSystem", "MicrosoftAzure"]


def _store_location(path: str | os.PathLike[str]) -> tuple[str, str | None]:
    """The scheme (``"s3://"``) and host (bucket, container or server; None for ``file://``) a
    store given as ``object_store=`` serves for ``path``. ``ValueError`` when ``path`` is no URL, or
    has no host where the scheme needs one."""
    text = os.fspath(path)
    parts = urlsplit(text)
    if not parts.scheme:
        raise ValueError(
            f"Cannot determine object store URL from path {text!r}: "
            "object_store= needs a URL such as 's3://bucket/key'"
        )
    if parts.scheme != "file" and not parts.netloc:
        raise ValueError(
            f"Cannot determine object store URL from path {text!r}: the URL must include a host "
            f"or bucket ('{parts.scheme}://bucket/key')"
        )
    return f"{parts.scheme}://", parts.netloc or None


def _check_store(store: object) -> None:
    if not isinstance(store, ObjectStore):
        raise TypeError(
            "an object store must be one of fuseplug.object_store (AmazonS3, GoogleCloud, "
            f"MicrosoftAzure, Http or LocalFileSystem), got {type(store).__name__}"
        )
