//! What a wheel built without some of the optional Cargo features serves in their place. `make demo`
//! builds such a lean wheel (`--no-default-features`: no `substrait`, `distributed` or `spark`),
//! because those crates lengthen a cold build by minutes the demo never uses; `make develop` and
//! every published wheel have them all.
//!
//! - The names of `_internal` a missing feature would define raise `NotSupportedError` saying which
//!   feature is missing (through the module's `__getattr__`), so the Python API fails clearly on
//!   first use instead of with an `AttributeError`.
//! - `_internal.FEATURES` lists the optional features this build has.
//! - Without `distributed`, the session code sees sessions that are never distributed.

use datafusion::error::DataFusionError;
use pyo3::exceptions::PyAttributeError;
use pyo3::prelude::*;

use crate::errors::Error;

/// The optional features, each with the names of `_internal` it defines.
const OPTIONAL: [(&str, bool, &[&str]); 3] = [
    ("substrait", cfg!(feature = "substrait"), &["SubstraitPlan"]),
    (
        "distributed",
        cfg!(feature = "distributed"),
        &["Worker", "ping_worker", "distributed_context", "distributed_workers"],
    ),
    (
        "spark",
        cfg!(feature = "spark"),
        &["spark_functions", "call_spark", "enable_spark_functions"],
    ),
];

/// The error for anything that needs an optional feature this build lacks.
pub fn not_built(feature: &str) -> Error {
    Error::DataFusion(DataFusionError::NotImplemented(format!(
        "this build of fuseplug was compiled without its `{feature}` feature (`make demo` builds \
         such a lean wheel; `make develop` and released wheels have every feature)"
    )))
}

/// The module's `__getattr__` (PEP 562): only reached for names the module does not define.
#[pyfunction]
fn __getattr__(name: &str) -> PyResult<Py<PyAny>> {
    match OPTIONAL.iter().find(|(_, built, names)| !built && names.contains(&name)) {
        Some((feature, ..)) => Err(not_built(feature).into()),
        None => Err(PyAttributeError::new_err(format!(
            "module 'fuseplug._internal' has no attribute '{name}'"
        ))),
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let built: Vec<&str> =
        OPTIONAL.iter().filter(|(_, built, _)| *built).map(|(feature, ..)| *feature).collect();
    m.add("FEATURES", built)?;
    if OPTIONAL.iter().any(|(_, built, _)| !built) {
        m.add_function(wrap_pyfunction!(__getattr__, m)?)?;
    }
    Ok(())
}

/// `crate::distributed` in a build without the `distributed` feature: no session names workers.
#[cfg(not(feature = "distributed"))]
pub mod distributed {
    use std::collections::HashMap;
    use std::sync::Arc;

    use datafusion::dataframe::DataFrame;
    use datafusion::execution::TaskContext;
    use datafusion::physical_plan::ExecutionPlan;
    use datafusion::prelude::{SessionConfig, SessionContext};
    use pyo3::prelude::*;

    use crate::capsule::SessionTasks;
    use crate::errors::Result;

    /// Never made: `new` always fails.
    pub enum Settings {}

    impl Settings {
        #[allow(clippy::too_many_arguments)]
        pub fn new(
            _workers: &Bound<'_, PyAny>,
            _tasks_per_stage: Option<usize>,
            _bytes_per_partition: Option<usize>,
            _broadcast_joins: Option<bool>,
            _compression: Option<&str>,
            _connect_timeout: f64,
            _options: Option<HashMap<String, String>>,
        ) -> Result<Self> {
            Err(super::not_built("distributed"))
        }

        pub fn apply(&self, _config: &mut SessionConfig) -> Result<()> {
            match *self {}
        }
    }

    pub fn worker_urls(_config: &SessionConfig) -> Vec<String> {
        Vec::new()
    }

    pub fn install(_ctx: &SessionContext, _tasks: &SessionTasks) -> Result<()> {
        Ok(())
    }

    pub fn explained(
        _py: Python<'_>,
        _session: &SessionContext,
        df: DataFrame,
    ) -> Result<DataFrame> {
        Ok(df)
    }

    pub fn refresh_functions(_ctx: &SessionContext, _tasks: &SessionTasks) -> Result<()> {
        Ok(())
    }

    /// Never made: no query runs on workers.
    pub enum RemoteQuery {}

    impl RemoteQuery {
        pub fn counts(&mut self) -> Option<[usize; 3]> {
            match *self {}
        }
    }

    pub fn tagged(task_ctx: TaskContext) -> (TaskContext, Option<RemoteQuery>) {
        (task_ctx, None)
    }

    pub fn is_network_boundary(_node: &Arc<dyn ExecutionPlan>) -> bool {
        false
    }

    pub fn leaf_original(_node: &Arc<dyn ExecutionPlan>) -> Option<Arc<dyn ExecutionPlan>> {
        None
    }
}
