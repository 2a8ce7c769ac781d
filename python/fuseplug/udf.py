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
    return isinstance(value, (pa.DataType, list, tuple))


def _types(types: pa.DataType | Sequence[pa.DataType]) -> list[pa.DataType]:
    if isinstance(types, pa.DataType):
        return [types]
    types = list(types)
    for t in types:
        if not isinstance(t, pa.DataType):
            raise TypeError(f"expected pyarrow DataTypes, got {type(t).__name__}")
    return types


def _name_of(func: Any, name: str | None, *, lambdas: bool = True) -> str:
    """``name``, else a name derived as the official bindings do, lowercased so that SQL can call
    it unquoted: a class's or function's name; a lambda's ``__qualname__`` (as there). A function
    defined inside another is named by its ``__name__``, not its dotted ``__qualname__``."""
    if name is not None:
        return name
    found = getattr(func, "__name__", None) or getattr(type(func), "__name__", None)
    if found == "<lambda>" and lambdas:
        found = getattr(func, "__qualname__", found)
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
    """A scalar function: pyarrow arrays in, one pyarrow array of the same length out."""

    _internal_type = _internal.ScalarUDF

    def __datafusion_scalar_udf__(self) -> object:
        """Exports this function to another DataFusion 55 host (e.g. ``datafusion.udf(this)``)."""
        return self._export("__datafusion_scalar_udf__")

    def __init__(
        self,
        name: str,
        func: Callable[..., Any],
        input_types: pa.DataType | Sequence[pa.DataType],
        return_type: pa.DataType,
        volatility: Volatility = "immutable",
    ) -> None:
        self._inner = _internal.ScalarUDF(name, func, _types(input_types), return_type, volatility)


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


class TableFunction:
    """A function used in ``FROM``: ``SELECT * FROM name(args)``. Backed by a Python callable (its
    arguments arrive as Python values) or by a plugin's table function (an object with
    ``__datafusion_table_function__(session)``, or its capsule)."""

    def __init__(self, name: str, func: Any) -> None:
        self._name = name
        self._plugin: Any = None
        self._inner: _internal.TableFunction | None = None
        if _exports(func, "__datafusion_table_function__"):
            self._plugin = func
        else:
            self._inner = _internal.TableFunction(name, func, _to_table)

    @property
    def name(self) -> str:
        return self._name

    def __repr__(self) -> str:
        kind = "plugin" if self._plugin is not None else "python"
        return f"TableFunction({self._name}, {kind})"


@overload
def udf(
    func: Callable[..., Any],
    input_types: pa.DataType | Sequence[pa.DataType],
    return_type: pa.DataType,
    volatility: Volatility = ...,
    name: str | None = ...,
) -> ScalarUDF: ...
@overload
def udf(
    input_types: pa.DataType | Sequence[pa.DataType],
    return_type: pa.DataType,
    volatility: Volatility = ...,
    name: str | None = ...,
) -> Callable[[Callable[..., Any]], ScalarUDF]: ...
def udf(*args: Any, **kwargs: Any) -> Any:
    """A scalar UDF: ``udf(func, input_types, return_type, volatility, name=None)``, or as a decorator
    ``@udf(input_types, return_type, volatility, name=None)``. ``udf(plugin_object)`` wraps a plugin's
    scalar UDF (an object with ``__datafusion_scalar_udf__``)."""
    if len(args) == 1 and not kwargs and _exports(args[0], "__datafusion_scalar_udf__"):
        return ScalarUDF.from_pycapsule(args[0])
    if args and not _is_types(args[0]):
        func, *rest = args
        return _scalar(func, *rest, **kwargs)

    def decorate(func: Callable[..., Any]) -> ScalarUDF:
        return _scalar(func, *args, **kwargs)

    return decorate


def _scalar(
    func: Callable[..., Any],
    input_types: pa.DataType | Sequence[pa.DataType],
    return_type: pa.DataType,
    volatility: Volatility = "immutable",
    name: str | None = None,
) -> ScalarUDF:
    if not callable(func):
        raise TypeError(f"udf needs a callable, got {type(func).__name__}")
    return ScalarUDF(_name_of(func, name), func, input_types, return_type, volatility)


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
        return _aggregate(accumulator, *args, **kwargs)

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
    return AggregateUDF(
        _name_of(accumulator, name), accumulator, input_types, return_type, state_type, volatility
    )


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
        return _window(evaluator, *args, **kwargs)

    return decorate


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
    return WindowUDF(_name_of(evaluator, name), evaluator, input_types, return_type, volatility)


def udtf(func: Any = None, name: str | None = None) -> Any:
    """A table function: ``udtf(func, name=None)`` or ``@udtf(name=...)``. ``func`` returns a fuseplug
    DataFrame, a pyarrow Table or any object exporting ``__arrow_c_stream__``. ``udtf(plugin_object,
    name)`` wraps a plugin's table function (``__datafusion_table_function__``)."""
    if func is None or isinstance(func, str):
        decorator_name = func if isinstance(func, str) else name

        def decorate(f: Callable[..., Any]) -> TableFunction:
            return TableFunction(_name_of(f, decorator_name, lambdas=False), f)

        return decorate
    if _exports(func, "__datafusion_table_function__"):
        if name is None:
            raise ValueError("give a plugin's table function a name: udtf(obj, name)")
        return TableFunction(name, func)
    if not callable(func):
        raise TypeError(f"udtf needs a callable, got {type(func).__name__}")
    return TableFunction(_name_of(func, name, lambdas=False), func)


# The official bindings also expose the constructors as static methods of the classes.
ScalarUDF.udf = staticmethod(udf)  # type: ignore[attr-defined]
AggregateUDF.udaf = staticmethod(udaf)  # type: ignore[attr-defined]
WindowUDF.udwf = staticmethod(udwf)  # type: ignore[attr-defined]
TableFunction.udtf = staticmethod(udtf)  # type: ignore[attr-defined]
