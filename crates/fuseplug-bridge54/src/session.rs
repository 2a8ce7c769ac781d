//! The DataFusion 54 session the bridge owns: what 54 plugins are handed where they expect a host.
//!
//! A 54 provider's `__datafusion_table_provider__(session)` reads the session's logical codec capsule
//! with 54's layout, so it must never see the 55 host's session. It gets [`Session54`]: a Python
//! object whose capsules come from this library's DataFusion 54 and point at one session that lives
//! as long as the process (their task-context providers hold it weakly; LESSONS 5).
//!
//! Scans, executions and table-function calls through the bridge use that session with the host's
//! configuration ([`state_for`]): every option of the host's that DataFusion 54 also has. That is
//! all datafusion-ffi 54 carries across to a plugin (`FFI_SessionConfig`); the host's memory pool,
//! object stores and functions stay on the 55 side (docs/plugins.md).

use std::sync::{Arc, LazyLock};

use datafusion::config::ConfigOptions;
use datafusion_ffi54::execution::FFI_TaskContextProvider;
use datafusion_ffi54::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion54::execution::session_state::SessionState;
use datafusion54::execution::{TaskContext, TaskContextProvider};
use datafusion54::prelude::SessionContext;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// Hands 54 plugins the live session's task context.
struct Live(Arc<SessionContext>);

impl TaskContextProvider for Live {
    fn task_ctx(&self) -> Arc<TaskContext> {
        self.0.task_ctx()
    }
}

static CONTEXT: LazyLock<Arc<SessionContext>> = LazyLock::new(|| Arc::new(SessionContext::new()));

/// Held for the life of the process: exported providers hold it weakly.
static PROVIDER: LazyLock<Arc<Live>> = LazyLock::new(|| Arc::new(Live(Arc::clone(&CONTEXT))));

/// The bridge's DataFusion 54 session.
pub fn context() -> Arc<SessionContext> {
    Arc::clone(&CONTEXT)
}

/// The bridge's 54 session state carrying the `host`'s configuration: each host option DataFusion 54
/// knows is set to the host's value; options 54 lacks (and fuseplug's own) are left out.
pub fn state_for(host: &ConfigOptions) -> SessionState {
    let mut state = CONTEXT.state();
    let options = state.config_mut().options_mut();
    for entry in host.entries() {
        if let Some(value) = entry.value {
            // An option 54 does not have, or a value it does not take, keeps 54's default.
            let _ = options.set(&entry.key, &value);
        }
    }
    state
}

/// A 54 task context for running a plan with the `host`'s configuration.
pub fn task_ctx_for(host: &ConfigOptions) -> Arc<TaskContext> {
    Arc::new(TaskContext::from(&state_for(host)))
}

/// Its task-context provider, for exported 54 structs.
pub fn task_provider() -> FFI_TaskContextProvider {
    // The same allocation as `PROVIDER`, which keeps it alive.
    let provider: Arc<dyn TaskContextProvider> = Arc::clone(&*PROVIDER) as _;
    FFI_TaskContextProvider::from(&provider)
}

/// Its logical codec (datafusion-proto 54's default), carrying the bridge's runtime.
pub fn logical_codec() -> PyResult<FFI_LogicalExtensionCodec> {
    let runtime = fuseplug_capsule::runtime::try_handle()
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    let codec = Arc::new(datafusion_proto54::logical_plan::DefaultLogicalExtensionCodec {});
    Ok(FFI_LogicalExtensionCodec::new(codec, Some(runtime), task_provider()))
}

/// What a DataFusion 54 plugin's dunder is handed as its host session: the capsules of the bridge's
/// own DataFusion 54 session.
#[pyclass(frozen, name = "Session54", module = "fuseplug_bridge54")]
pub struct Session54;

#[pymethods]
impl Session54 {
    #[new]
    fn new() -> Self {
        Session54
    }

    /// A `datafusion_logical_extension_codec` capsule of DataFusion 54.
    fn __datafusion_logical_extension_codec__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        PyCapsule::new_with_value(py, logical_codec()?, c"datafusion_logical_extension_codec")
    }

    /// A `datafusion_task_context_provider` capsule of DataFusion 54.
    fn __datafusion_task_context_provider__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        PyCapsule::new_with_value(py, task_provider(), c"datafusion_task_context_provider")
    }
}
