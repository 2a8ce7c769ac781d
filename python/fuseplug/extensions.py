"""Extension bundles and the planner and optimizer-rule capsule protocols, under the official
bindings' module name.

A bundle is a configuration object, usually shipped by a plugin wheel, that contributes codecs
(:class:`SessionComponentsExportable`) and/or a query planner (:class:`SessionPlannerExportable`)
to a session; :meth:`fuseplug.SessionContext.with_extensions` installs any number of them at once:

>>> import fuseplug
>>> from fuseplug.extensions import SessionExtensionComponents
>>> class NoCodecs:
...     def __datafusion_session_components__(self, ctx):
...         return SessionExtensionComponents()
>>> ctx = fuseplug.SessionContext().with_extensions(NoCodecs())
>>> ctx.logical_extension_codec_ids()
[]

Only the two bundle protocols are runtime-checkable (``with_extensions`` dispatches on them);
:class:`QueryPlannerExportable` and :class:`PhysicalOptimizerRuleExportable` are type hints.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from fuseplug._compat import LogicalExtensionCodecExportable, PhysicalExtensionCodecExportable
    from fuseplug.context import SessionContext

__all__ = [
    "PhysicalOptimizerRuleExportable",
    "QueryPlannerExportable",
    "SessionComponentsExportable",
    "SessionExtensionComponents",
    "SessionPlannerExportable",
]


class PhysicalOptimizerRuleExportable(Protocol):
    """A plugin's physical optimizer rule: ``__datafusion_physical_optimizer_rule__()`` (no
    argument) returns a ``datafusion_physical_optimizer_rule`` capsule. Rules accumulate; install
    one with :meth:`fuseplug.SessionContext.add_physical_optimizer_rule`."""

    def __datafusion_physical_optimizer_rule__(self) -> object: ...


class QueryPlannerExportable(Protocol):
    """A plugin's query planner: ``__datafusion_query_planner__(session)`` returns a
    ``datafusion_query_planner`` capsule. ``session`` is the installing session object; take its
    codecs (``__datafusion_logical_extension_codec__()``,
    ``__datafusion_physical_extension_codec__()``) for the planner. A
    :class:`~fuseplug.SessionContext` is one too: its capsule is the planner it holds, which a
    plugin planner wraps as its fallback.

    >>> import fuseplug
    >>> type(fuseplug.SessionContext().__datafusion_query_planner__()).__name__
    'PyCapsule'
    """

    def __datafusion_query_planner__(self, session: Any) -> object: ...


def _not_an_iterable_of_codecs(field: str, value: object) -> str:
    return (
        f"{field} must be an iterable of codec objects, got a single {type(value).__name__}; "
        f"write one codec as a one-element tuple: {field}=(codec,)"
    )


@dataclass(frozen=True, kw_only=True)
class SessionExtensionComponents:
    """What a bundle's ``__datafusion_session_components__(ctx)`` contributes: codec objects (each
    with ``__datafusion_logical_extension_codec__`` / ``__datafusion_physical_extension_codec__``,
    never bare capsules, since a codec's id is read off its object), installed in this order.
    Any iterable is accepted and kept as a tuple; a single codec (or a string) is a ``TypeError``.

    >>> SessionExtensionComponents().physical_extension_codecs
    ()
    >>> SessionExtensionComponents(logical_extension_codecs=object())
    Traceback (most recent call last):
        ...
    TypeError: logical_extension_codecs must be an iterable of codec objects, got a single object; ...
    """

    logical_extension_codecs: tuple[LogicalExtensionCodecExportable, ...] = ()
    physical_extension_codecs: tuple[PhysicalExtensionCodecExportable, ...] = ()

    def __post_init__(self) -> None:
        for field in fields(self):
            if not field.name.endswith("_codecs"):
                continue
            value = getattr(self, field.name)
            if isinstance(value, (str, bytes)):
                raise TypeError(_not_an_iterable_of_codecs(field.name, value))
            try:
                codecs = tuple(value)
            except TypeError:
                raise TypeError(_not_an_iterable_of_codecs(field.name, value)) from None
            object.__setattr__(self, field.name, codecs)


@runtime_checkable
class SessionComponentsExportable(Protocol):
    """A bundle contributing codecs: ``__datafusion_session_components__(ctx)`` returns a
    :class:`SessionExtensionComponents` bound to ``ctx``. It runs before anything is installed, so
    ``ctx`` does not carry this call's codecs yet. Build fresh components on every call, keep no
    reference to ``ctx``, and do not register anything on it (nothing it does is rolled back)."""

    def __datafusion_session_components__(
        self, ctx: SessionContext
    ) -> SessionExtensionComponents: ...


@runtime_checkable
class SessionPlannerExportable(Protocol):
    """A bundle contributing a query planner: ``__datafusion_session_planner__(ctx, fallback)``
    returns a planner (an object with ``__datafusion_query_planner__``, or its capsule) that wraps
    ``fallback``, the planner built so far as a ``datafusion_query_planner`` capsule; or ``None`` to
    contribute none. ``ctx`` carries every bundle's codecs. Hooks run in argument order, so the
    last bundle's planner is outermost and consulted first.

    >>> class Nothing:
    ...     def __datafusion_session_planner__(self, ctx, fallback):
    ...         return None
    >>> isinstance(Nothing(), SessionPlannerExportable)
    True
    """

    def __datafusion_session_planner__(
        self, ctx: SessionContext, fallback: object
    ) -> QueryPlannerExportable | object | None: ...
