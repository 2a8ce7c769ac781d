//! Read-only views of logical and physical plans.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use datafusion::dataframe::DataFrame;
use datafusion::error::Result as DFResult;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, displayable};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::capsule::SessionTasks;
use crate::context::PySessionContext;
use crate::errors::{Error, Result};
use crate::serialize;

/// The internal context of `ctx`: a `fuseplug.SessionContext` or the `_internal` one it wraps.
pub(crate) fn session_of<'py>(ctx: &Bound<'py, PyAny>) -> Result<Bound<'py, PySessionContext>> {
    if let Ok(inner) = ctx.cast::<PySessionContext>() {
        return Ok(inner.clone());
    }
    let inner = ctx.getattr("_inner").ok().and_then(|i| i.cast_into::<PySessionContext>().ok());
    inner.ok_or_else(|| {
        let got = ctx.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        Error::Type(format!("expected a fuseplug SessionContext, got {got}"))
    })
}

/// Warns with a `DeprecationWarning` pointing at the caller.
pub fn deprecated(py: Python<'_>, message: &str) -> Result<()> {
    let message = std::ffi::CString::new(message).unwrap_or_default();
    let category = py.get_type::<pyo3::exceptions::PyDeprecationWarning>();
    PyErr::warn(py, category.as_any(), &message, 1)?;
    Ok(())
}

/// What `__reduce__` returns: the `fuseplug.ipc` function that decodes, and the bytes.
type Reduced<'py> = (Bound<'py, PyAny>, (Bound<'py, PyBytes>,));

/// Pickles through `fuseplug.ipc`: `encode` runs with the thread's sender context (if any), and
/// `fuseplug.ipc.<helper>` decodes on the worker context (or the global one).
fn reduce<'py>(
    py: Python<'py>,
    helper: &str,
    encode: impl FnOnce(Option<&SessionTasks>) -> Result<Vec<u8>>,
) -> Result<Reduced<'py>> {
    let ipc = py.import("fuseplug.ipc")?;
    let sender = ipc.call_method0("get_sender_ctx")?;
    let tasks = if sender.is_none() { None } else { Some(decoding_tasks(&sender)?) };
    let bytes = encode(tasks.as_ref())?;
    Ok((ipc.getattr(helper)?, (PyBytes::new(py, &bytes),)))
}

/// The session of `ctx`, if one is given.
pub fn tasks_of(ctx: Option<&Bound<'_, PyAny>>) -> Result<Option<SessionTasks>> {
    ctx.map(decoding_tasks).transpose()
}

/// The session `from_bytes` decodes against.
pub fn decoding_tasks(ctx: &Bound<'_, PyAny>) -> Result<SessionTasks> {
    Ok(session_of(ctx)?.get().tasks.clone())
}

/// The physical plan a DataFrame last ran, so that `DataFrame.execution_plan()` after `collect()`
/// (or a stream) returns the operators that ran, with their metrics, instead of a fresh plan.
#[derive(Debug, Default)]
pub struct LastRun(Mutex<Option<Arc<dyn ExecutionPlan>>>);

impl LastRun {
    /// Plans `df` for a run and remembers the plan; returns it with the task context to run it in
    /// (what `DataFrame::collect` and friends do inside).
    pub async fn plan(
        &self,
        df: DataFrame,
    ) -> DFResult<(Arc<dyn ExecutionPlan>, Arc<TaskContext>)> {
        let task_ctx = Arc::new(df.task_ctx());
        Ok((self.plan_only(df).await?, task_ctx))
    }

    /// Plans `df` and remembers the plan, for a caller that made `df`'s task context already.
    async fn plan_only(&self, df: DataFrame) -> DFResult<Arc<dyn ExecutionPlan>> {
        // Forget the previous run first, so that no one watching this run reads its plan.
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
        let plan = df.create_physical_plan().await?;
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&plan));
        Ok(plan)
    }

    /// The plan of the last run, if there was one.
    pub fn get(&self) -> Option<Arc<dyn ExecutionPlan>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Runs `df` in `task_ctx`, its task context (`df.task_ctx()`).
    pub async fn collect(
        &self,
        df: DataFrame,
        task_ctx: Arc<TaskContext>,
    ) -> DFResult<Vec<arrow::record_batch::RecordBatch>> {
        let plan = self.plan_only(df).await?;
        datafusion::physical_plan::collect(plan, task_ctx).await
    }

    /// [`Self::collect`], one list of batches per output partition.
    pub async fn collect_partitioned(
        &self,
        df: DataFrame,
        task_ctx: Arc<TaskContext>,
    ) -> DFResult<Vec<Vec<arrow::record_batch::RecordBatch>>> {
        let plan = self.plan_only(df).await?;
        datafusion::physical_plan::collect_partitioned(plan, task_ctx).await
    }

    pub async fn execute_stream(
        &self,
        df: DataFrame,
    ) -> DFResult<datafusion::execution::SendableRecordBatchStream> {
        let (plan, task_ctx) = self.plan(df).await?;
        datafusion::physical_plan::execute_stream(plan, task_ctx)
    }

    pub async fn execute_stream_partitioned(
        &self,
        df: DataFrame,
    ) -> DFResult<Vec<datafusion::execution::SendableRecordBatchStream>> {
        let (plan, task_ctx) = self.plan(df).await?;
        datafusion::physical_plan::execute_stream_partitioned(plan, task_ctx)
    }
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
    /// A typed view of the plan's top node (`fuseplug.expr.Projection`, `Filter`, ...).
    fn to_variant<'py>(slf: &Bound<'py, Self>) -> Result<Bound<'py, PyAny>> {
        let module = slf.py().import("fuseplug._plan_variants")?;
        Ok(module.call_method1("plan_variant", (slf,))?)
    }

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
        let bytes = serialize::logical_to_bytes(py, &self.inner, tasks_of(ctx)?.as_ref())?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A plan from `to_bytes` output, resolved against `ctx`'s tables, functions and codecs.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, ctx: &Bound<'_, PyAny>, data: &[u8]) -> Result<Self> {
        Ok(serialize::logical_from_bytes(py, &decoding_tasks(ctx)?, data)?.into())
    }

    /// Pickling: encoded through the sender context of `fuseplug.ipc` (or none), decoded on the
    /// worker context (or a default one).
    fn __reduce__<'py>(&self, py: Python<'py>) -> Result<Reduced<'py>> {
        reduce(py, "_logical_plan_from_bytes", |tasks| {
            serialize::logical_to_bytes(py, &self.inner, tasks)
        })
    }

    /// Deprecated alias of `to_bytes`.
    fn to_proto<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyBytes>> {
        deprecated(py, "LogicalPlan.to_proto is deprecated; use to_bytes instead")?;
        self.to_bytes(py, None)
    }

    /// Deprecated alias of `from_bytes`.
    #[staticmethod]
    fn from_proto(py: Python<'_>, ctx: &Bound<'_, PyAny>, data: &[u8]) -> Result<Self> {
        deprecated(py, "LogicalPlan.from_proto is deprecated; use from_bytes instead")?;
        Self::from_bytes(py, ctx, data)
    }

    fn __repr__(&self) -> String {
        format!("LogicalPlan\n{}", self.inner.display_indent())
    }

    /// Structural equality (DataFusion's): same nodes, expressions and schemas; a table scan is
    /// compared by its table name, projection and filters, not by the provider behind it.
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<Self>().is_ok_and(|other| self.inner == other.get().inner)
    }

    fn __hash__(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut hasher);
        hasher.finish()
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
    fn display(&self) -> Result<String> {
        rendered(|| displayable(self.inner.as_ref()).one_line().to_string())
    }

    fn display_indent(&self) -> Result<String> {
        rendered(|| displayable(self.inner.as_ref()).indent(false).to_string())
    }

    fn children(&self) -> Vec<PyExecutionPlan> {
        self.inner.children().into_iter().map(|p| Arc::clone(p).into()).collect()
    }

    /// This operator's metrics (after it ran), or `None` for operators that keep none.
    fn metrics(&self) -> Option<crate::metrics::PyMetricsSet> {
        self.inner.metrics().map(Into::into)
    }

    /// `(operator, metrics)` for every operator of the plan that keeps metrics, top down.
    fn collect_metrics(&self) -> Vec<(String, crate::metrics::PyMetricsSet)> {
        let mut out = Vec::new();
        let mut pending = vec![Arc::clone(&self.inner)];
        while let Some(node) = pending.pop() {
            if let Some(metrics) = node.metrics() {
                let name = displayable(node.as_ref()).one_line().to_string();
                out.push((name.trim_end().to_string(), metrics.into()));
            }
            pending.extend(node.children().into_iter().rev().cloned());
        }
        out
    }

    /// How the plan's output rows are spread over its partitions.
    #[getter]
    fn output_partitioning(&self) -> crate::metrics::PyPhysicalPartitioning {
        self.inner.properties().output_partitioning().clone().into()
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
        let bytes = serialize::physical_to_bytes(py, &self.inner, tasks_of(ctx)?.as_ref())?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// A plan from `to_bytes` output, resolved against `ctx`'s functions and codecs.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, ctx: &Bound<'_, PyAny>, data: &[u8]) -> Result<Self> {
        Ok(serialize::physical_from_bytes(py, &decoding_tasks(ctx)?, data)?.into())
    }

    /// Pickling: encoded through the sender context of `fuseplug.ipc` (or none), decoded on the
    /// worker context (or a default one).
    fn __reduce__<'py>(&self, py: Python<'py>) -> Result<Reduced<'py>> {
        reduce(py, "_execution_plan_from_bytes", |tasks| {
            serialize::physical_to_bytes(py, &self.inner, tasks)
        })
    }

    /// Deprecated alias of `to_bytes`.
    fn to_proto<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyBytes>> {
        deprecated(py, "ExecutionPlan.to_proto is deprecated; use to_bytes instead")?;
        self.to_bytes(py, None)
    }

    /// Deprecated alias of `from_bytes`.
    #[staticmethod]
    fn from_proto(py: Python<'_>, ctx: &Bound<'_, PyAny>, data: &[u8]) -> Result<Self> {
        deprecated(py, "ExecutionPlan.from_proto is deprecated; use from_bytes instead")?;
        Self::from_bytes(py, ctx, data)
    }

    fn __repr__(&self) -> Result<String> {
        Ok(format!("ExecutionPlan\n{}", self.display_indent()?))
    }

    fn __str__(&self) -> Result<String> {
        self.display_indent()
    }
}

/// A physical plan's text. Rendering can run DataFusion code that panics on a plan no planner would
/// make (a decoded plan whose operand types do not match: a Parquet scan builds its pruning
/// predicate to show it); that panic becomes an `ExecutionError` instead of a `PanicException`.
fn rendered(render: impl FnOnce() -> String) -> Result<String> {
    Ok(fuseplug_capsule::panic::guard("rendering an execution plan", || Ok(render()))?)
}
