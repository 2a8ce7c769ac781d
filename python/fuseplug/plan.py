"""Logical and physical plans, as returned by :meth:`DataFrame.logical_plan` and friends."""

from fuseplug._internal import ExecutionPlan, LogicalPlan

__all__ = ["ExecutionPlan", "LogicalPlan"]
