//! Read-only views of logical and physical plans.

use std::sync::Arc;

use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use pyo3::prelude::*;

#[pyclass(frozen, name = "LogicalPlan", module = "fuseplug._internal", skip_from_py_object)]
#[derive(Clone, Debug)]
pub struct PyLogicalPlan {
    pub inner: LogicalPlan,
}

impl From<LogicalPlan> for PyLogicalPlan {
    fn from(inner: LogicalPlan) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyLogicalPlan {
    /// The plan's top node on one line.
    fn display(&self) -> String {
        self.inner.display().to_string()
    }

    /// The whole plan, one node per line, indented by depth.
    fn display_indent(&self) -> String {
        self.inner.display_indent().to_string()
    }

    /// Like `display_indent`, with each node's output schema.
    fn display_indent_schema(&self) -> String {
        self.inner.display_indent_schema().to_string()
    }

    fn display_graphviz(&self) -> String {
        self.inner.display_graphviz().to_string()
    }

    fn inputs(&self) -> Vec<PyLogicalPlan> {
        self.inner.inputs().into_iter().map(|p| p.clone().into()).collect()
    }

    fn __repr__(&self) -> String {
        format!("LogicalPlan\n{}", self.inner.display_indent())
    }

    fn __str__(&self) -> String {
        self.inner.display_indent().to_string()
    }
}

#[pyclass(frozen, name = "ExecutionPlan", module = "fuseplug._internal", skip_from_py_object)]
#[derive(Clone, Debug)]
pub struct PyExecutionPlan {
    pub inner: Arc<dyn ExecutionPlan>,
}

impl From<Arc<dyn ExecutionPlan>> for PyExecutionPlan {
    fn from(inner: Arc<dyn ExecutionPlan>) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyExecutionPlan {
    fn display(&self) -> String {
        displayable(self.inner.as_ref()).one_line().to_string()
    }

    fn display_indent(&self) -> String {
        displayable(self.inner.as_ref()).indent(false).to_string()
    }

    fn children(&self) -> Vec<PyExecutionPlan> {
        self.inner.children().into_iter().map(|p| Arc::clone(p).into()).collect()
    }

    #[getter]
    fn partition_count(&self) -> usize {
        self.inner.properties().output_partitioning().partition_count()
    }

    fn __repr__(&self) -> String {
        format!("ExecutionPlan\n{}", self.display_indent())
    }

    fn __str__(&self) -> String {
        self.display_indent()
    }
}
