//! Read-only views of logical and physical plans.

use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use datafusion_proto::bytes::{
    logical_plan_from_bytes_with_extension_codec, logical_plan_to_bytes_with_extension_codec,
    physical_plan_from_bytes_with_extension_codec, physical_plan_to_bytes_with_extension_codec,
};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::capsule::SessionTasks;
use crate::context::PySessionContext;
use crate::errors::{Error, Result};

/// The internal context of `ctx`: a `fuseplug.SessionContext` or the `_internal` one it wraps.
fn session_of<'py>(ctx: &Bound<'py, PyAny>) -> Result<Bound<'py, PySessionContext>> {
    if let Ok(inner) = ctx.cast::<PySessionContext>() {
        return Ok(inner.clone());
    }
    let inner = ctx.getattr("_inner").ok().and_then(|i| i.cast_into::<PySessionContext>().ok());
    inner.ok_or_else(|| {
        let got = ctx.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        Error::Type(format!("expected a fuseplug SessionContext, got {got}"))
    })
}

/// Bytes that decode to no valid plan surface as DataFusion "internal" errors ("likely a bug in
/// DataFusion"); for input the user handed us they are a plan error about that input.
fn not_a_plan(err: DataFusionError) -> DataFusionError {
    match err {
        DataFusionError::Internal(message) => {
            DataFusionError::Plan(format!("these bytes are not a serialized plan: {message}"))
        }
        other => other,
    }
}

/// What `from_bytes` decodes against: `ctx`'s codec chains and task context, once `data` is known to
/// be something to decode.
fn decoding_session(
    ctx: &Bound<'_, PyAny>,
    data: &[u8],
) -> Result<(SessionTasks, Arc<TaskContext>)> {
    let session = session_of(ctx)?;
    if data.is_empty() {
        return Err(DataFusionError::Plan("empty bytes are not a serialized plan".into()).into());
    }
    let session = session.get();
    Ok((session.tasks.clone(), session.ctx.task_ctx()))
}

/// The codec chains of `ctx`, or empty chains (DataFusion's default codec alone) without one.
fn tasks_of(ctx: Option<&Bound<'_, PyAny>>) -> Result<Option<SessionTasks>> {
    ctx.map(|c| Ok(session_of(c)?.get().tasks.clone())).transpose()
}

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

    /// The plan as protobuf bytes. With `ctx`, the codecs installed on it encode what DataFusion
    /// cannot (plugin UDFs, extension nodes); without, DataFusion's default codec alone.
    #[pyo3(signature = (ctx = None))]
    fn to_bytes<'py>(
        &self,
        py: Python<'py>,
        ctx: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyBytes>> {
        let chain = tasks_of(ctx)?.map(|t| t.logical).unwrap_or_default();
        let bytes =
            py.detach(|| logical_plan_to_bytes_with_extension_codec(&self.inner, &*chain))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A plan from `to_bytes` output, resolved against `ctx`'s tables, functions and codecs.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, ctx: &Bound<'_, PyAny>, data: &[u8]) -> Result<Self> {
        let (tasks, task_ctx) = decoding_session(ctx, data)?;
        let chain = tasks.logical;
        let plan = py
            .detach(|| logical_plan_from_bytes_with_extension_codec(data, &task_ctx, &*chain))
            .map_err(not_a_plan)?;
        Ok(plan.into())
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

    /// The plan as protobuf bytes, through `ctx`'s physical codecs when given.
    #[pyo3(signature = (ctx = None))]
    fn to_bytes<'py>(
        &self,
        py: Python<'py>,
        ctx: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyBytes>> {
        let chain = tasks_of(ctx)?.map(|t| t.physical).unwrap_or_default();
        let plan = Arc::clone(&self.inner);
        let bytes = py.detach(|| physical_plan_to_bytes_with_extension_codec(plan, &*chain))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A plan from `to_bytes` output, resolved against `ctx`'s functions and codecs.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, ctx: &Bound<'_, PyAny>, data: &[u8]) -> Result<Self> {
        let (tasks, task_ctx) = decoding_session(ctx, data)?;
        let chain = tasks.physical;
        let plan = py
            .detach(|| physical_plan_from_bytes_with_extension_codec(data, &task_ctx, &*chain))
            .map_err(not_a_plan)?;
        Ok(plan.into())
    }

    fn __repr__(&self) -> String {
        format!("ExecutionPlan\n{}", self.display_indent())
    }

    fn __str__(&self) -> String {
        self.display_indent()
    }
}
