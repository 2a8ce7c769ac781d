"""Shared enums of the official bindings' ``datafusion.common`` module.

>>> from fuseplug import col, functions as f
>>> from fuseplug.common import NullTreatment
>>> str(f.first_value(col("x"), null_treatment=NullTreatment.IGNORE_NULLS))
'first_value(x) IGNORE NULLS'
"""

from __future__ import annotations

import enum

__all__ = ["NullTreatment"]


class NullTreatment(enum.Enum):
    """Whether window and ordered aggregate functions skip nulls (``IGNORE NULLS``)."""

    RESPECT_NULLS = "respect_nulls"
    IGNORE_NULLS = "ignore_nulls"
