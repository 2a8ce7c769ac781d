"""Python functions as SQL functions: scalar (:func:`udf`), aggregate (:func:`udaf`), window
(:func:`udwf`) and table (:func:`udtf`) functions. Register them on a SessionContext to use them in SQL;
call them with expressions to use them in the DataFrame API.

>>> import pyarrow as pa, pyarrow.compute as pc
>>> import fuseplug
>>> @fuseplug.udf([pa.int64()], pa.int64(), "immutable")
... def double(x: pa.Array) -> pa.Array:
...     return pc.multiply(x, 2)
>>> ctx = fuseplug.SessionContext()
>>> ctx.register_udf(double)
>>> ctx.sql("SELECT double(21) AS v").to_pydict()
{'v': [42]}
"""

from __future__ import annotations

import functools
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from fuseplug import _internal
from fuseplug.expr import Expr, to_expr

if TYPE_CHECKING:
    import pyarrow as pa
else:
    from fuseplug._lazy import pyarrow as pa

__all__ = [
    "Accumulator",
    "AggregateUDF",
    "ScalarUDF",
    "TableFunction",
    "WindowEvaluator",
    "WindowUDF",
    "udaf",
    "udf",
    "udtf",
    "udwf",
]

Volatility = Literal["immutable", "stable", "volatile"]
F = TypeVar("F", bound=Callable[..., Any])
_C = TypeVar("_C", bound="_Callable")


def _exports(value: Any, dunder: str) -> bool:
    """Whether ``value`` is a plugin's UDF: a capsule or an object with ``dunder``."""
    return type(value).__name__ == "PyCapsule" or hasattr(value, dunder)


def _is_types(value: Any) -> bool:
    """Whether ``value`` is a type list, i.e. the first argument of the decorator forms."""
    return isinstance(value, (pa.DataType, pa.Field, list, tuple))


def _types(types: pa.DataType | Sequence[pa.DataType]) -> list[pa.DataType]:
    if isinstance(types, pa.DataType):
        return [types]
    types = list(types)
    for t in types:
        if not isinstance(t, pa.DataType):
            raise TypeError(f"expected pyarrow DataTypes, got {type(t).__name__}")
    return types


def _fields(types: Any) -> list[pa.Field]:
    """Argument fields: a type or field, or a sequence of them (types become nullable fields named
    ``value_<i>``, as in the official bindings)."""
    if isinstance(types, (pa.DataType, pa.Field)):
        types = [types]
    fields = []
    for i, t in enumerate(types):
        if isinstance(t, pa.DataType):
            t = pa.field(f"value_{i}", t)
        elif not isinstance(t, pa.Field):
            raise TypeError(f"expected pyarrow DataTypes or Fields, got {type(t).__name__}")
        fields.append(t)
    return fields


def _return_field(value: Any) -> pa.Field:
    if isinstance(value, pa.DataType):
        return pa.field("value", value)
    if not isinstance(value, pa.Field):
        raise TypeError(f"expected a pyarrow DataType or Field, got {type(value).__name__}")
    return value


def _name_of(func: Any, name: str | None, *, lambdas: bool = True) -> str:
    """``name``, else a name derived as the official bindings do, lowercased so that SQL can call
    it unquoted: a class's or function's name; a lambda's ``__qualname__`` (as there). A function
    defined inside another is named by its ``__name__``, not its dotted ``__qualname__``."""
    if name is not None:
        return name
    found = getattr(func, "__name__", None) or getattr(type(func), "__name__", None)
    if found == "<lambda>" and lambdas:
        # a module-level lambda is named "<lambda>" there too: callable from the DataFrame API
        # (and from SQL when quoted)
        return str(getattr(func, "__qualname__", found)).lower()
    if not found or found == "<lambda>":
        raise ValueError("give the function a name with name=...")
    return str(found).lower()


class _Callable:
    """Shared by the UDF classes: calling one with expressions builds a call expression."""

    _inner: Any

    @property
    def name(self) -> str:
        return str(self._inner.name)

    def __call__(self, *args: Any) -> Expr:
        return Expr(self._inner(*[to_expr(a)._inner for a in args]))

    #: The compiled class this wrapper holds (set by each subclass).
    _internal_type: Any

    @classmethod
    def from_pycapsule(cls: type[_C], func: Any) -> _C:
        """A plugin's function: an object that exports its capsule (``__datafusion_scalar_udf__()``,
        ``__datafusion_aggregate_udf__()`` or ``__datafusion_window_udf__()``), or the capsule."""
        udf = cls.__new__(cls)
        udf._inner = cls._internal_type.from_pycapsule(func)
        return udf

    @classmethod
    def _from_inner(cls: type[_C], inner: Any) -> _C:
        udf = cls.__new__(cls)
        udf._inner = inner
        return udf

    def _export(self, dunder: str) -> object:
        export: Any = getattr(self._inner, dunder)
        return export()

    def __repr__(self) -> str:
        return repr(self._inner)


class ScalarUDF(_Callable):
    """A scalar function: pyarrow arrays in, one pyarrow array of the same length out. Its argument
    and return types may be given as pyarrow Fields, whose nullability and metadata it keeps: the
    result column is declared non-nullable when the return field is, and an extension type (e.g.
    ``pa.uuid()``) reaches the function as its pyarrow extension array."""

    _internal_type = _internal.ScalarUDF

    def __datafusion_scalar_udf__(self) -> object:
        """Exports this function to another DataFusion 55 host (e.g. ``datafusion.udf(this)``)."""
        return self._export("__datafusion_scalar_udf__")

    def __init__(
        self,
        name: str,
        func: Callable[..., Any],
        input_fields: pa.DataType | pa.Field | Sequence[pa.DataType | pa.Field],
        return_field: pa.DataType | pa.Field,
        volatility: Volatility = "immutable",
    ) -> None:
        self._inner = _internal.ScalarUDF(
            name, func, _fields(input_fields), _return_field(return_field), str(volatility)
        )


class Accumulator(ABC):
    """State of one aggregate group. ``state`` / ``merge`` combine partial results from partitions."""

    @abstractmethod
    def state(self) -> list[Any]:
        """The partial result, one value (Python or pyarrow scalar) per declared state type."""

    @abstractmethod
    def update(self, *values: pa.Array) -> None:
        """Adds a batch of input values (one array per argument)."""

    @abstractmethod
    def merge(self, states: list[pa.Array]) -> None:
        """Folds in partial results of other accumulators (one array per state value)."""

    @abstractmethod
    def evaluate(self) -> Any:
        """The final value (Python value or pyarrow scalar)."""


class AggregateUDF(_Callable):
    """An aggregate function backed by an :class:`Accumulator` class or factory."""

    _internal_type = _internal.AggregateUDF

    def __datafusion_aggregate_udf__(self) -> object:
        """Exports this function to another DataFusion 55 host (e.g. ``datafusion.udf(this)``)."""
        return self._export("__datafusion_aggregate_udf__")

    def __init__(
        self,
        name: str,
        accumulator: Callable[[], Accumulator],
        input_types: pa.DataType | Sequence[pa.DataType],
        return_type: pa.DataType,
        state_type: pa.DataType | Sequence[pa.DataType],
        volatility: Volatility = "immutable",
    ) -> None:
        self._inner = _internal.AggregateUDF(
            name, accumulator, _types(input_types), return_type, _types(state_type), volatility
        )


class WindowEvaluator:
    """Computes a window function over one partition. Override ``evaluate_all`` for functions that
    need no frame; set ``uses_window_frame`` and override ``evaluate`` for frame-based ones; set
    ``include_rank`` and override ``evaluate_all_with_rank`` for rank-like ones."""

    def uses_window_frame(self) -> bool:
        return False

    def include_rank(self) -> bool:
        return False

    def supports_bounded_execution(self) -> bool:
        return False

    def is_causal(self) -> bool:
        """Whether each row's value depends only on it and earlier rows (lets bounded execution
        emit results without waiting for later rows)."""
        return False

    def memoize(self) -> None:
        """Called during bounded execution after each batch, so an evaluator over a frame with a
        fixed start can keep what it needs and drop the rest."""

    def get_range(self, idx: int, num_rows: int) -> tuple[int, int]:
        """The rows ``[start, end)`` row ``idx`` needs when ``uses_window_frame`` is False and the
        function runs bounded: by default just the row itself."""
        if self.uses_window_frame():
            raise ValueError("the range of a frame-based evaluator comes from its window frame")
        return (idx, idx + 1)

    def evaluate_all(self, values: list[pa.Array], num_rows: int) -> pa.Array:
        """One output value per row of the partition."""
        raise NotImplementedError(f"{type(self).__name__} does not implement evaluate_all")

    def evaluate(self, values: list[pa.Array], eval_range: tuple[int, int]) -> Any:
        """The value for one row, given the rows ``[start, end)`` of its frame."""
        raise NotImplementedError(f"{type(self).__name__} does not implement evaluate")

    def evaluate_all_with_rank(
        self, num_rows: int, ranks_in_partition: list[tuple[int, int]]
    ) -> pa.Array:
        """One value per row, given the row ranges of peers (equal ORDER BY values)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement evaluate_all_with_rank"
        )


class WindowUDF(_Callable):
    """A window function backed by a :class:`WindowEvaluator` class or factory."""

    _internal_type = _internal.WindowUDF

    def __datafusion_window_udf__(self) -> object:
        """Exports this function to another DataFusion 55 host (e.g. ``datafusion.udf(this)``)."""
        return self._export("__datafusion_window_udf__")

    def __init__(
        self,
        name: str,
        evaluator: Callable[[], WindowEvaluator],
        input_types: pa.DataType | Sequence[pa.DataType],
        return_type: pa.DataType,
        volatility: Volatility = "immutable",
    ) -> None:
        self._inner = _internal.WindowUDF(
            name, evaluator, _types(input_types), return_type, volatility
        )


def _to_table(result: Any) -> _internal.Table:
    """What a Python table function returned, as a table."""
    from fuseplug.dataframe import DataFrame

    if isinstance(result, DataFrame):
        return result._inner.into_view()
    if isinstance(result, _internal.Table):
        return result
    if hasattr(result, "__arrow_c_stream__") or hasattr(result, "__arrow_c_array__"):
        return _internal.Table.from_arrow(result)
    if isinstance(result, dict):
        return _internal.Table.from_arrow(pa.table(result))
    raise TypeError(
        "a table function must return a fuseplug DataFrame or an Arrow table/stream, "
        f"got {type(result).__name__}"
    )


_FFI_SESSION = (
    "`with_session=True` is not supported for FFI-exported table functions; session injection "
    "requires a pure-Python callable"
)


def _python_table_function(func: Callable[..., Any], with_session: bool) -> Callable[..., Any]:
    """``func`` as the compiled table function calls it: with the call's arguments as compiled
    expressions (and the compiled calling session), which it gets as :class:`~fuseplug.Expr` (and
    :class:`~fuseplug.SessionContext`)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        exprs = [Expr(a) for a in args]
        if not with_session:
            return func(*exprs)
        from fuseplug.context import SessionContext

        return func(*exprs, session=SessionContext._from_inner(kwargs["session"]))

    return call


class TableFunction:
    """A function used in ``FROM``: ``SELECT * FROM name(args)``. Backed by a Python callable or by a
    plugin's table function (an object with ``__datafusion_table_function__(session)``, or its
    capsule).

    The callable gets each argument as an :class:`~fuseplug.Expr`, simplified by the planner (``f(1 +
    2)`` passes the literal ``3``; read it with ``arg.to_variant().value_i64()`` or
    ``arg.python_value()``); with ``with_session=True`` it also gets the calling
    :class:`~fuseplug.SessionContext` as keyword ``session``, which shares the caller's catalogs
    (not its later configuration changes)."""

    def __init__(
        self, name: str, func: Any, ctx: Any = None, *, with_session: bool = False
    ) -> None:
        del ctx  # accepted for the official signature: the calling session is the one used
        self._name = name
        self._plugin: Any = None
        self._inner: _internal.TableFunction | None = None
        if _exports(func, "__datafusion_table_function__"):
            if with_session:
                raise TypeError(_FFI_SESSION)
            self._plugin = func
        else:
            self._inner = _internal.TableFunction(
                name, _python_table_function(func, with_session), _to_table, with_session
            )

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        kind = "plugin" if self._plugin is not None else "python"
        return f"TableFunction({self._name}, {kind})"


@overload
def udf(
    func: Callable[..., Any],
    input_fields: pa.DataType | pa.Field | Sequence[pa.DataType | pa.Field],
    return_field: pa.DataType | pa.Field,
    volatility: Volatility = ...,
    name: str | None = ...,
) -> ScalarUDF: ...
@overload
def udf(
    input_fields: pa.DataType | pa.Field | Sequence[pa.DataType | pa.Field],
    return_field: pa.DataType | pa.Field,
    volatility: Volatility = ...,
    name: str | None = ...,
) -> Callable[[Callable[..., Any]], ScalarUDF]: ...
def udf(*args: Any, **kwargs: Any) -> Any:
    """A scalar UDF: ``udf(func, input_fields, return_field, volatility, name=None)``, or as a
    decorator ``@udf(input_fields, return_field, volatility, name=None)``. Types may be pyarrow
    DataTypes or Fields (see :class:`ScalarUDF`). ``udf(plugin_object)`` wraps a plugin's scalar UDF
    (an object with ``__datafusion_scalar_udf__``)."""
    if len(args) == 1 and not kwargs and _exports(args[0], "__datafusion_scalar_udf__"):
        return ScalarUDF.from_pycapsule(args[0])
    if args and not _is_types(args[0]):
        func, *rest = args
        return _scalar(func, *rest, **kwargs)

    def decorate(func: Callable[..., Any]) -> ScalarUDF:
        return _named_like(_scalar(func, *args, **kwargs), func)

    return decorate


def _scalar(
    func: Callable[..., Any],
    input_fields: pa.DataType | pa.Field | Sequence[pa.DataType | pa.Field],
    return_field: pa.DataType | pa.Field,
    volatility: Volatility = "immutable",
    name: str | None = None,
) -> ScalarUDF:
    if not callable(func):
        raise TypeError(f"udf needs a callable, got {type(func).__name__}")
    return ScalarUDF(_name_of(func, name), func, input_fields, return_field, volatility)


def udaf(*args: Any, **kwargs: Any) -> Any:
    """An aggregate UDF: ``udaf(accumulator, input_types, return_type, state_type, volatility,
    name=None)``, or as a class decorator ``@udaf(input_types, return_type, state_type, volatility)``.
    ``accumulator`` is an :class:`Accumulator` subclass or a function returning a new accumulator.
    ``udaf(plugin_object)`` wraps a plugin's aggregate UDF (``__datafusion_aggregate_udf__``)."""
    if len(args) == 1 and not kwargs and _exports(args[0], "__datafusion_aggregate_udf__"):
        return AggregateUDF.from_pycapsule(args[0])
    if args and not _is_types(args[0]):
        accumulator, *rest = args
        return _aggregate(accumulator, *rest, **kwargs)

    def decorate(accumulator: Callable[[], Accumulator]) -> AggregateUDF:
        return _named_like(_aggregate(accumulator, *args, **kwargs), accumulator)

    return decorate


def _aggregate(
    accumulator: Callable[[], Accumulator],
    input_types: pa.DataType | Sequence[pa.DataType],
    return_type: pa.DataType,
    state_type: pa.DataType | Sequence[pa.DataType],
    volatility: Volatility = "immutable",
    name: str | None = None,
) -> AggregateUDF:
    if not callable(accumulator):
        raise TypeError(
            f"udaf needs an Accumulator class or factory, got {type(accumulator).__name__}"
        )
    _check_accumulator(accumulator)
    return AggregateUDF(
        _name_of(accumulator, name), accumulator, input_types, return_type, state_type, volatility
    )


def _check_accumulator(accumulator: Callable[[], Accumulator]) -> None:
    """Refuses, at definition time, a factory whose products are no accumulators: neither an
    :class:`Accumulator` nor an object with its four methods. A class is checked without being
    instantiated (an abstract one raises Python's own TypeError); any other factory is called once."""
    if isinstance(accumulator, type):
        if issubclass(accumulator, Accumulator) and inspect.isabstract(accumulator):
            accumulator()  # raises "Can't instantiate abstract class ..."
        made: Any = accumulator
    else:
        made = accumulator()
    if not isinstance(made, Accumulator) and not (
        isinstance(made, type) and issubclass(made, Accumulator)
    ):
        missing = [m for m in _ACCUMULATOR_METHODS if not callable(getattr(made, m, None))]
        if missing:
            raise TypeError(
                "Accumulator must implement the abstract base class Accumulator "
                f"(missing {', '.join(missing)})"
            )


#: What an accumulator that does not subclass :class:`Accumulator` must still have.
_ACCUMULATOR_METHODS = ("state", "update", "merge", "evaluate")


def udwf(*args: Any, **kwargs: Any) -> Any:
    """A window UDF: ``udwf(evaluator, input_types, return_type, volatility, name=None)``, or as a
    class decorator ``@udwf(input_types, return_type, volatility)``. ``udwf(plugin_object)`` wraps a
    plugin's window UDF (``__datafusion_window_udf__``)."""
    if len(args) == 1 and not kwargs and _exports(args[0], "__datafusion_window_udf__"):
        return WindowUDF.from_pycapsule(args[0])
    if args and not _is_types(args[0]):
        evaluator, *rest = args
        return _window(evaluator, *rest, **kwargs)

    def decorate(evaluator: Callable[[], WindowEvaluator]) -> WindowUDF:
        return _named_like(_window(evaluator, *args, **kwargs), evaluator)

    return decorate


def _named_like(udf: _C, decorated: Callable[..., Any]) -> _C:
    """A decorator's result carries the decorated function's (or class's) ``__name__``,
    ``__qualname__``, ``__doc__`` and ``__wrapped__``, as the official decorators' wrappers do."""
    return functools.update_wrapper(udf, decorated, updated=())  # type: ignore[return-value]


def _window(
    evaluator: Callable[[], WindowEvaluator],
    input_types: pa.DataType | Sequence[pa.DataType],
    return_type: pa.DataType,
    volatility: Volatility = "immutable",
    name: str | None = None,
) -> WindowUDF:
    if not callable(evaluator):
        raise TypeError(
            f"udwf needs a WindowEvaluator class or factory, got {type(evaluator).__name__}"
        )
    _check_evaluator(evaluator)
    return WindowUDF(_name_of(evaluator, name), evaluator, input_types, return_type, volatility)


def _check_evaluator(evaluator: Callable[[], WindowEvaluator]) -> None:
    """Refuses, at definition time, a factory whose products are not :class:`WindowEvaluator`s. A
    class is checked without being instantiated; any other factory is called once."""
    if isinstance(evaluator, type):
        ok = issubclass(evaluator, WindowEvaluator)
    else:
        ok = isinstance(evaluator(), WindowEvaluator)
    if not ok:
        raise TypeError("`func` must implement the abstract base class WindowEvaluator")


@overload
def udtf(
    func: str | None = ..., name: str | None = ..., *, with_session: bool = ...
) -> Callable[[Callable[..., Any]], TableFunction]: ...
@overload
def udtf(func: Any, name: str | None = ..., *, with_session: bool = ...) -> TableFunction: ...
def udtf(func: Any = None, name: str | None = None, *, with_session: bool = False) -> Any:
    """A table function: ``udtf(func, name=None)`` or ``@udtf(name)``. ``func`` gets the arguments
    as expressions (see :class:`TableFunction`) and returns a fuseplug DataFrame, a pyarrow Table or
    any object exporting ``__arrow_c_stream__``; ``with_session=True`` also passes the calling
    session as keyword ``session``. ``udtf(plugin_object, name)`` wraps a plugin's table function
    (``__datafusion_table_function__``)."""
    if func is None or isinstance(func, str):
        decorator_name = func if isinstance(func, str) else name

        def decorate(f: Callable[..., Any]) -> TableFunction:
            return _table_function(f, decorator_name, with_session)

        return decorate
    if _exports(func, "__datafusion_table_function__"):
        if with_session:
            raise TypeError(_FFI_SESSION)
        if name is None:
            raise ValueError("give a plugin's table function a name: udtf(obj, name)")
        return TableFunction(name, func)
    return _table_function(func, name, with_session)


def _table_function(func: Any, name: str | None, with_session: bool) -> TableFunction:
    if not callable(func):
        raise TypeError(f"udtf needs a callable, got {type(func).__name__}")
    return TableFunction(_name_of(func, name, lambdas=False), func, with_session=with_session)


# The official bindings also expose the constructors as static methods of the classes.
ScalarUDF.udf = staticmethod(udf)  # type: ignore[attr-defined]
AggregateUDF.udaf = staticmethod(udaf)  # type: ignore[attr-defined]
WindowUDF.udwf = staticmethod(udwf)  # type: ignore[attr-defined]
TableFunction.udtf = staticmethod(udtf)  # type: ignore[attr-defined]
