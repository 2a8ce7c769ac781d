//! A query planner that counts how often a host plans with it and leaves the planning itself to a
//! fallback: the planner the host handed over (`ctx.__datafusion_query_planner__()`, or a planner
//! hook's `fallback`), else DataFusion's default physical planner running in this library.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::error::Result;
use datafusion::execution::context::QueryPlanner;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};
use datafusion_ffi::query_planner::FFI_QueryPlanner;
use fuseplug_capsule::import::{logical_codec, physical_codec, query_planner};
use fuseplug_capsule::names::QUERY_PLANNER;
use fuseplug_capsule::panic::guard_future;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// Hands out the order in which planners are entered, across every planner of this library: an
/// outer planner is entered before the one it delegates to.
static ENTERED: AtomicUsize = AtomicUsize::new(0);

/// DataFusion's default physical planner and optimizer rules, run in this library on a session of
/// its own with the host session's configuration.
///
/// Not on the host's session itself: through datafusion-ffi its physical optimizer rules run in the
/// host, and the nodes they return stay foreign here, which cannot be written back as bytes for the
/// host ("PhysicalExtensionCodec is not provided").
#[derive(Debug)]
struct LocalDefault;

#[async_trait]
impl QueryPlanner for LocalDefault {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let local = SessionStateBuilder::new()
            .with_config(session.config().clone())
            .with_runtime_env(Arc::clone(session.runtime_env()))
            .with_default_features()
            .build();
        DefaultPhysicalPlanner::default().create_physical_plan(logical_plan, &local).await
    }
}

#[derive(Debug, Default)]
struct Counts {
    calls: AtomicUsize,
    /// The `ENTERED` ticket of the latest call (0: never called).
    last_entered: AtomicUsize,
}

#[derive(Debug)]
struct Counting {
    counts: Arc<Counts>,
    fallback: Arc<dyn QueryPlanner + Send + Sync>,
}

#[async_trait]
impl QueryPlanner for Counting {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let planning = async {
            self.counts.calls.fetch_add(1, Ordering::SeqCst);
            let ticket = ENTERED.fetch_add(1, Ordering::SeqCst) + 1;
            self.counts.last_entered.store(ticket, Ordering::SeqCst);
            self.fallback.create_physical_plan(logical_plan, session).await
        };
        guard_future("example counting planner", planning).await
    }
}

/// `CountingPlanner(fallback=None)`: publishes the counting planner as `__datafusion_query_planner__`.
/// `fallback` is a `datafusion_query_planner` capsule (or an object exporting one) to delegate to;
/// without it the planner plans with DataFusion's default physical planner in this library.
#[pyclass(frozen)]
pub struct CountingPlanner {
    counts: Arc<Counts>,
    fallback: Option<Py<PyAny>>,
}

#[pymethods]
impl CountingPlanner {
    #[new]
    #[pyo3(signature = (fallback = None))]
    fn new(fallback: Option<Bound<'_, PyAny>>) -> PyResult<Self> {
        if let Some(fallback) = &fallback {
            // refuse a bad fallback now rather than when a host installs the planner
            query_planner(fallback)?;
        }
        Ok(Self { counts: Arc::default(), fallback: fallback.map(Bound::unbind) })
    }

    /// How many times a host has planned a query with this planner.
    #[getter]
    fn calls(&self) -> usize {
        self.counts.calls.load(Ordering::SeqCst)
    }

    /// When this planner was last entered, on a clock shared by every planner of this library
    /// (0: never); an outer planner is entered before the planner it delegates to.
    #[getter]
    fn last_entered(&self) -> usize {
        self.counts.last_entered.load(Ordering::SeqCst)
    }

    /// The planner for a host; `session` is the host's session object, whose extension codecs the
    /// planner works through.
    fn __datafusion_query_planner__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let fallback = match &self.fallback {
            Some(fallback) => query_planner(fallback.bind(py))?,
            None => Arc::new(LocalDefault),
        };
        let planner = Arc::new(Counting { counts: Arc::clone(&self.counts), fallback });
        let ffi = FFI_QueryPlanner::new_with_ffi_codecs(
            planner,
            logical_codec(session)?,
            physical_codec(session)?,
        );
        PyCapsule::new_with_value(py, ffi, QUERY_PLANNER)
    }
}
