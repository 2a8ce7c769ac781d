//! The Spark-compatible functions of the `datafusion-spark` crate: the registry `fuseplug.functions.spark`
//! is generated from, calls by name for its wrappers, and `SessionContext.enable_spark_functions`.

use std::sync::LazyLock;

use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use pyo3::prelude::*;

use crate::context::PySessionContext;
use crate::errors::Result;
use crate::expr::PyExpr;
use crate::functions::{PyFunctionInfo, call_registry, registry_functions};

/// A session holding the Spark functions only (names and aliases), read like the built-in registry.
static SPARK_STATE: LazyLock<SessionState> = LazyLock::new(|| {
    SessionStateBuilder::new()
        .with_scalar_functions(datafusion_spark::all_default_scalar_functions())
        .with_aggregate_functions(datafusion_spark::all_default_aggregate_functions())
        .with_window_functions(datafusion_spark::all_default_window_functions())
        .build()
});

/// Every Spark-compatible scalar, aggregate and window function, by canonical name.
#[pyfunction]
pub fn spark_functions() -> Vec<PyFunctionInfo> {
    registry_functions(&SPARK_STATE)
}

/// Calls a Spark-compatible function by name (or alias) with argument expressions. The expression
/// holds the function itself, so it runs in any session, with or without `enable_spark_functions`.
#[pyfunction]
pub fn call_spark(py: Python<'_>, name: &str, args: Vec<PyExpr>) -> Result<PyExpr> {
    call_registry(py, &SPARK_STATE, "Spark", name, args)
}

/// Registers every Spark-compatible function in the session, in place of built-ins of the same name.
#[pyfunction]
pub fn enable_spark_functions(ctx: &Bound<'_, PySessionContext>) -> Result<()> {
    let state = ctx.get().ctx.state_ref();
    let mut state = state.write();
    datafusion_spark::register_all(&mut *state)?;
    Ok(())
}
