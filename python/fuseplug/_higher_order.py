"""Higher-order array functions and the lambdas they take.

A lambda is either built explicitly with :func:`lambda_` and :func:`lambda_var`, or written as a
Python callable whose parameter names become the lambda's parameters; the callable is called once,
with a :func:`lambda_var` per parameter, to build the body.

>>> import fuseplug
>>> from fuseplug import col, functions as f
>>> df = fuseplug.SessionContext().from_pydict({"a": [[1, 2, 3, 4]]})
>>> df.select(f.array_filter(col("a"), lambda v: v > 2).alias("big")).to_pydict()
{'big': [[3, 4]]}
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fuseplug import _internal
from fuseplug.expr import Expr, to_expr

__all__ = [
    "any_match",
    "array_any_match",
    "array_filter",
    "array_first",
    "array_transform",
    "lambda_",
    "lambda_var",
    "list_any_match",
    "list_filter",
    "list_first",
    "list_transform",
]


def lambda_(params: list[str], body: Expr) -> Expr:
    """A lambda with parameters ``params`` whose ``body`` refers to them with :func:`lambda_var`.

    >>> from fuseplug import functions as f
    >>> f.lambda_(["v"], f.lambda_var("v") * 2)
    Expr((v) -> v * Int64(2))
    """
    names: object = params  # checked at run time: a bare str would split into letters
    if isinstance(names, str) or not all(isinstance(p, str) for p in params):
        raise TypeError("lambda_() takes a list of parameter names (str)")
    return Expr(_internal.lambda_(list(params), to_expr(body)._inner))


def lambda_var(name: str) -> Expr:
    """A reference to the lambda parameter ``name``; the enclosing higher-order function binds
    its type when the query is planned."""
    if not isinstance(name, str):
        raise TypeError(f"lambda_var() takes a parameter name (str), got {type(name).__name__}")
    return Expr(_internal.lambda_var(name))


def _as_lambda(function: Expr | Callable[..., Any]) -> Expr:
    if isinstance(function, Expr):
        return function
    if not callable(function):
        raise TypeError(f"expected an Expr or callable (a lambda), got {type(function).__name__}")
    names = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            raise TypeError(
                f"a lambda's parameters must be plain positional parameters; "
                f"{parameter.name!r} is {parameter.kind.description}"
            )
        names.append(parameter.name)
    if not names:
        raise ValueError("lambda callable must accept at least one parameter")
    body = function(*(lambda_var(n) for n in names))
    return lambda_(names, to_expr(body))


def _call(name: str, array: Any, function: Expr | Callable[..., Any]) -> Expr:
    args = [to_expr(array)._inner, _as_lambda(function)._inner]
    return Expr(_internal.call_higher_order(name, args))


def array_transform(array: Expr, transform: Expr | Callable[..., Any]) -> Expr:
    """Applies ``transform`` to every element of ``array``.

    >>> import fuseplug
    >>> from fuseplug import col, functions as f
    >>> df = fuseplug.SessionContext().from_pydict({"a": [[1, 2, 3]]})
    >>> df.select(f.array_transform(col("a"), lambda v: v * 10).alias("t")).to_pydict()
    {'t': [[10, 20, 30]]}
    """
    return _call("array_transform", array, transform)


def array_filter(array: Expr, predicate: Expr | Callable[..., Any]) -> Expr:
    """The elements of ``array`` for which ``predicate`` is true, in order."""
    return _call("array_filter", array, predicate)


def array_any_match(array: Expr, predicate: Expr | Callable[..., Any]) -> Expr:
    """Whether ``predicate`` is true for some element of ``array``.

    >>> import fuseplug
    >>> from fuseplug import col, functions as f
    >>> df = fuseplug.SessionContext().from_pydict({"a": [[1, 2], [5]]})
    >>> df.select(f.array_any_match(col("a"), lambda v: v > 4).alias("m")).to_pydict()
    {'m': [False, True]}
    """
    return _call("array_any_match", array, predicate)


def array_first(array: Expr, predicate: Expr | Callable[..., Any]) -> Expr:
    """The first element of ``array`` for which ``predicate`` is true, or NULL when none is.

    >>> import fuseplug
    >>> from fuseplug import col, functions as f
    >>> df = fuseplug.SessionContext().from_pydict({"a": [[1, 5, 7], [1]]})
    >>> df.select(f.array_first(col("a"), lambda v: v > 2).alias("x")).to_pydict()
    {'x': [5, None]}
    """
    return _call("array_first", array, predicate)


def list_transform(array: Expr, transform: Expr | Callable[..., Any]) -> Expr:
    """Alias of :func:`array_transform`."""
    return array_transform(array, transform)


def list_filter(array: Expr, predicate: Expr | Callable[..., Any]) -> Expr:
    """Alias of :func:`array_filter`."""
    return array_filter(array, predicate)


def any_match(array: Expr, predicate: Expr | Callable[..., Any]) -> Expr:
    """Alias of :func:`array_any_match`."""
    return array_any_match(array, predicate)


def list_any_match(array: Expr, predicate: Expr | Callable[..., Any]) -> Expr:
    """Alias of :func:`array_any_match`."""
    return array_any_match(array, predicate)


def list_first(array: Expr, predicate: Expr | Callable[..., Any]) -> Expr:
    """Alias of :func:`array_first`."""
    return array_first(array, predicate)
