"""``--setup`` functions for the distributed tests' worker processes (importable there because the
tests put this directory on the workers' ``PYTHONPATH``)."""

from __future__ import annotations

from typing import Any


def plugin_functions(ctx: Any) -> None:
    """Registers ffi-example's ``double`` and ``sum_of_squares``, which travel by name."""
    import fuseplug_ffi_example as ex

    from fuseplug import udaf, udf

    ctx.register_udf(udf(ex.DoubleUdf()))
    ctx.register_udaf(udaf(ex.SumOfSquaresUdaf()))


def broken(ctx: Any) -> None:
    """A setup that fails: the worker must exit with the error instead of serving."""
    raise RuntimeError("setup failed on purpose")


def strict(ctx: Any) -> Any:
    """A worker that refuses inline Python: only what this setup registers runs there."""
    return ctx.with_python_udf_inlining(enabled=False)
