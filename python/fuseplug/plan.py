"""Logical and physical plans, as returned by :meth:`DataFrame.logical_plan` and friends, and the
metrics an executed physical plan keeps (:meth:`ExecutionPlan.collect_metrics`)."""

from fuseplug._internal import ExecutionPlan, LogicalPlan, Metric, MetricsSet, PhysicalPartitioning

__all__ = ["ExecutionPlan", "LogicalPlan", "Metric", "MetricsSet", "PhysicalPartitioning"]
