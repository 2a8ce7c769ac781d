"""``Expr`` methods that look inside an expression: ``to_variant``, the ``rex_*`` family (the
vocabulary of SQL front ends built on DataFusion) and ``types``.

>>> from fuseplug import col, lit
>>> e = col("a") + lit(1)
>>> e.rex_type(), e.rex_call_operator(), [str(o) for o in e.rex_call_operands()]
(<RexType.Call: 1>, '+', ['a', 'Int64(1)'])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fuseplug import _internal

if TYPE_CHECKING:
    from fuseplug._internal import LogicalPlan
    from fuseplug.common import DataTypeMap, RexType
    from fuseplug.expr import Expr

#: Expression kinds that are calls, with the operator name ``rex_call_operator`` gives them.
_CALL_OPERATORS = {
    "Not": "not",
    "IsNotNull": "is not null",
    "IsNull": "is null",
    "IsTrue": "is true",
    "IsFalse": "is false",
    "IsUnknown": "is unknown",
    "IsNotTrue": "is not true",
    "IsNotFalse": "is not false",
    "IsNotUnknown": "is not unknown",
    "Negative": "negative",
    "Between": "between",
    "Case": "case",
    "Cast": "cast",
    "TryCast": "try_cast",
    "Like": "like",
    "SimilarTo": "similar to",
    "InList": "in list",
    "Unnest": "unnest",
}


class IntrospectionMethods:
    """Mixed into :class:`~fuseplug.expr.Expr`."""

    __slots__ = ()
    _inner: _internal.Expr

    def to_variant(self) -> Any:
        """A typed view of the expression's top node (``BinaryExpr``, ``Column``, ...) from
        :mod:`fuseplug.expr`, whose methods return its parts."""
        from fuseplug._variants import expr_variant

        return expr_variant(self._inner)

    def rex_type(self) -> RexType:
        """What kind of row expression this is: a reference, literal, call, alias, scalar subquery
        or other."""
        from fuseplug.common import RexType

        name = self._inner.variant_name()
        if name in ("Column", "OuterReferenceColumn"):
            return RexType.Reference
        if name in ("Alias", "Literal", "ScalarSubquery"):
            return RexType[name]
        if name in _CALL_OPERATORS or name in _FUNCTION_KINDS or name == "BinaryExpr":
            return RexType.Call
        return RexType.Other

    def rex_call_operator(self) -> str:
        """The operator or function name of a call (``+``, ``between``, ``sum``, ...)."""
        name, fields = _internal.expr_variant(self._inner)
        if name == "BinaryExpr":
            return str(fields["op"])
        if name in _FUNCTION_KINDS:
            return str(fields[_FUNCTION_KINDS[name]])
        if name == "Like" and fields["case_insensitive"]:
            return "not ilike" if fields["negated"] else "ilike"
        if name in ("Like", "SimilarTo", "InList", "Between") and fields["negated"]:
            return f"not {_CALL_OPERATORS[name]}"
        if name in _CALL_OPERATORS:
            return _CALL_OPERATORS[name]
        raise TypeError(f"rex_call_operator() needs a call expression, got {name}: {self}")

    def rex_call_operands(self) -> list[Expr]:
        """The operands of a call, in order (``CASE x WHEN v`` contributes ``x = v``)."""
        from fuseplug.expr import Expr

        name, f = _internal.expr_variant(self._inner)
        if name == "BinaryExpr":
            inner = [f["left"], f["right"]]
        elif name in _FUNCTION_KINDS:
            inner = list(f["args"])
        elif name == "Between":
            inner = [f["expr"], f["low"], f["high"]]
        elif name in ("Like", "SimilarTo"):
            inner = [f["expr"], f["pattern"]]
        elif name == "InList":
            inner = [f["expr"], *f["list"]]
        elif name == "Case":
            inner = []
            for when, then in f["when_then_expr"]:
                if f["expr"] is not None:
                    when = f["expr"].binary_op("=", when)
                inner += [when, then]
            if f["else_expr"] is not None:
                inner.append(f["else_expr"])
        elif name in _CALL_OPERATORS:
            inner = [f["expr"]]
        else:
            raise TypeError(f"rex_call_operands() needs a call expression, got {name}: {self}")
        return [Expr(e) for e in inner]

    def types(self) -> DataTypeMap:
        """The Arrow, SQL and Python types of the expression's value. Columns have no type
        without a schema, so this works for expressions of literals, casts and functions of them.
        """
        from fuseplug.common import DataTypeMap

        name, fields = _internal.expr_variant(self._inner)
        if name in ("Cast", "TryCast"):  # the target type is known whatever the operand is
            return DataTypeMap.arrow(fields["data_type"])
        return DataTypeMap.arrow(_internal.expr_data_type(self._inner))

    def column_name(self, plan: LogicalPlan) -> str:
        """The name of the column this expression produces over ``plan``'s output."""
        return _internal.expr_column_name(self._inner, plan)


#: Calls of named functions, and the field that holds the name.
_FUNCTION_KINDS = {
    "ScalarFunction": "name",
    "AggregateFunction": "aggregate_type",
    "WindowFunction": "name",
    "HigherOrderFunction": "name",
}
