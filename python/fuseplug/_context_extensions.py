"""The query-planner and extension-bundle methods of :class:`fuseplug.SessionContext`, kept apart
from ``context.py``: ``set_query_planner``, ``__datafusion_query_planner__`` and ``with_extensions``.

A session holds one query planner. A plugin's planner arrives as a ``datafusion_query_planner``
capsule, goes through the same checks as every other capsule (its name, the DataFusion major of
the library that made it, the struct's own version) and works through the installing context's
codec stack: the planner sees the logical plan as the bytes ``to_bytes`` would write, and hands back
the physical plan the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fuseplug.extensions import (
    SessionComponentsExportable,
    SessionExtensionComponents,
    SessionPlannerExportable,
)

if TYPE_CHECKING:
    from fuseplug import _internal
    from fuseplug.context import SessionContext
    from fuseplug.extensions import QueryPlannerExportable

__all__: list[str] = []

_DUNDER = "__datafusion_query_planner__"


def _is_capsule(obj: object) -> bool:
    return type(obj).__name__ == "PyCapsule"


class ContextExtensions:
    """Mixin of :class:`fuseplug.SessionContext` (see the module's docstring)."""

    __slots__ = ()

    if TYPE_CHECKING:
        _inner: _internal.SessionContext

        @classmethod
        def _from_inner(cls, inner: _internal.SessionContext) -> SessionContext: ...

    def set_query_planner(self, planner: QueryPlannerExportable | object) -> None:
        """Makes a plugin's query planner this session's: an object with
        ``__datafusion_query_planner__(session)`` or a ``datafusion_query_planner`` capsule.

        The planner belongs to the session, so every context on it (including ones earlier
        ``with_*`` calls returned) plans with it; queries planned from then on use it. Calling this
        again replaces the planner. To layer planners, have the new one wrap the capsule of
        :meth:`__datafusion_query_planner__`, taken before installing it (or use
        :meth:`with_extensions`). The planner works through this context's codecs.

        A capsule of another name raises :class:`~fuseplug.exceptions.PluginCapsuleError` (also a
        ``ValueError``); one from a library built on another DataFusion major,
        :class:`~fuseplug.exceptions.IncompatiblePluginError`. Either way the session keeps its
        planner.

        >>> import fuseplug
        >>> ctx = fuseplug.SessionContext()
        >>> ctx.set_query_planner(ctx.__datafusion_query_planner__())  # its own: a no-op
        >>> ctx.sql("SELECT 1 AS n").to_pydict()
        {'n': [1]}
        """
        if not (_is_capsule(planner) or hasattr(planner, _DUNDER)):
            raise TypeError(
                f"set_query_planner needs an object with {_DUNDER} or a datafusion_query_planner "
                f"capsule, got {type(planner).__name__}"
            )
        self._inner.set_query_planner(planner, self)

    def __datafusion_query_planner__(self, session: Any = None) -> object:
        """The session's current planner as a ``datafusion_query_planner`` capsule, for a plugin
        planner to wrap as its fallback; ``session`` is accepted and ignored."""
        return self._inner.__datafusion_query_planner__(session)

    def with_extensions(
        self, *extensions: SessionComponentsExportable | SessionPlannerExportable
    ) -> SessionContext:
        """A new context on this session with extension bundles installed: their codecs, then
        their query planners.

        Phase one calls ``__datafusion_session_components__(ctx)`` of every bundle that has it
        (see :class:`~fuseplug.extensions.SessionComponentsExportable`) and installs all the codecs
        it returns on the new context, in argument order. Phase two calls
        ``__datafusion_session_planner__(new_ctx, fallback)`` of every bundle that has it, in
        argument order: each gets the planner built so far (at first, the session's own) and may
        wrap it, so the last bundle's planner ends up outermost. A hook returning ``None``
        contributes no planner.

        Nothing is written to the session until every hook has returned and every capsule has
        been checked: a hook that raises leaves the session as it was. With no arguments it
        returns a new handle on this session.

        Raises ``TypeError`` for an argument with neither hook, a components hook that does not
        return :class:`~fuseplug.SessionExtensionComponents`, a bare capsule as a codec or a
        planner hook returning something that is no planner; ``ValueError`` when two codecs
        claim the same id; :class:`~fuseplug.exceptions.PluginError` (or its subclass
        ``IncompatiblePluginError``) for a capsule of the wrong kind or DataFusion major.

        >>> import fuseplug
        >>> ctx = fuseplug.SessionContext()
        >>> derived = ctx.with_extensions()
        >>> derived is ctx
        False
        >>> _ = ctx.from_pydict({"a": [1, 2]}, name="t")
        >>> derived.table_exist("t")
        True
        """
        for extension in extensions:
            if not isinstance(extension, (SessionComponentsExportable, SessionPlannerExportable)):
                raise TypeError(
                    "an extension needs __datafusion_session_components__ or "
                    f"__datafusion_session_planner__: {extension!r}"
                )
        new, installed = self._with_components(extensions)
        planner = None
        for extension in extensions:
            if not isinstance(extension, SessionPlannerExportable):
                continue
            fallback = planner if planner is not None else new.__datafusion_query_planner__()
            supplied = extension.__datafusion_session_planner__(new, fallback)
            if supplied is None:
                continue
            if not (_is_capsule(supplied) or hasattr(supplied, _DUNDER)):
                raise TypeError(
                    f"__datafusion_session_planner__ of {extension!r} returned a "
                    f"{type(supplied).__name__}: expected an object with {_DUNDER}, a "
                    "datafusion_query_planner capsule or None"
                )
            planner = new._inner.export_query_planner(supplied, new)
        # The one write to the session, after every hook returned and every capsule was checked:
        # the new planner, or a plugin planner the session already holds bound to the new codecs.
        if planner is not None:
            new._inner.set_query_planner(planner, new)
        elif installed:
            new._inner.rebind_query_planner()
        return new

    def _with_components(self, extensions: tuple[object, ...]) -> tuple[SessionContext, bool]:
        """Phase one of :meth:`with_extensions`: a new handle carrying every bundle's codecs, and
        whether there were any. The codec chains belong to the handle: this writes nothing to the
        session."""
        from fuseplug.context import _codec_id

        logical: list[object] = []
        physical: list[object] = []
        for extension in extensions:
            if not isinstance(extension, SessionComponentsExportable):
                continue
            components = extension.__datafusion_session_components__(self)  # type: ignore[arg-type]
            if not isinstance(components, SessionExtensionComponents):
                raise TypeError(
                    "__datafusion_session_components__ must return SessionExtensionComponents, "
                    f"got {type(components).__name__} from {extension!r}"
                )
            logical.extend(components.logical_extension_codecs)
            physical.extend(components.physical_extension_codecs)
        inner = self._inner
        for codecs, installed in (
            (logical, self._inner.logical_extension_codec_ids()),
            (physical, self._inner.physical_extension_codec_ids()),
        ):
            seen = set(installed)
            for codec in codecs:
                codec_id = _codec_id(codec, None)  # None: a bare capsule
                if codec_id is None:
                    raise TypeError(
                        "a bundle's codec must be an object exposing its capsule getter, not a "
                        "bare PyCapsule (its id is read off the object)"
                    )
                if codec_id in seen:
                    raise ValueError(f"two codecs claim the id {codec_id!r}")
                seen.add(codec_id)
        # the compiled methods, not the public ones: those also bind the session's planner (a write)
        for codec in logical:
            inner = inner.with_logical_extension_codec(codec, self, _codec_id(codec, None))
        for codec in physical:
            inner = inner.with_physical_extension_codec(codec, self, _codec_id(codec, None))
        return type(self)._from_inner(inner), bool(logical or physical)
