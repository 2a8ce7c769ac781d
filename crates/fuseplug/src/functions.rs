//! DataFusion's built-in functions, read from a default session's function registry: the one source of
//! truth for `fuseplug.functions`, which is generated from `builtin_functions()`. `spark.rs` reads the
//! Spark-compatible functions the same way, from a session holding only those.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::Documentation;
use pyo3::prelude::*;

use crate::errors::{Result, fuseplug_exception};
use crate::expr::{PyExpr, exprs};

static DEFAULT_STATE: LazyLock<SessionState> =
    LazyLock::new(|| SessionStateBuilder::new().with_default_features().build());

/// What one built-in function looks like to the generator of `fuseplug.functions`.
#[pyclass(frozen, get_all, name = "FunctionInfo", module = "fuseplug._internal")]
pub struct PyFunctionInfo {
    name: String,
    kind: &'static str,
    aliases: Vec<String>,
    description: Option<String>,
    syntax: Option<String>,
    arguments: Vec<(String, String)>,
    sql_example: Option<String>,
}

#[pymethods]
impl PyFunctionInfo {
    fn __repr__(&self) -> String {
        format!("FunctionInfo(name={:?}, kind={:?})", self.name, self.kind)
    }
}

fn info(
    name: &str,
    kind: &'static str,
    aliases: &[String],
    doc: Option<&Documentation>,
) -> PyFunctionInfo {
    PyFunctionInfo {
        name: name.to_string(),
        kind,
        aliases: aliases.to_vec(),
        description: doc.map(|d| d.description.clone()),
        syntax: doc.map(|d| d.syntax_example.clone()),
        arguments: doc.and_then(|d| d.arguments.clone()).unwrap_or_default(),
        sql_example: doc.and_then(|d| d.sql_example.clone()),
    }
}

/// Every scalar, aggregate and window function of `state`, by canonical name (aliases folded in).
pub(crate) fn registry_functions(state: &SessionState) -> Vec<PyFunctionInfo> {
    let mut by_name: BTreeMap<String, PyFunctionInfo> = BTreeMap::new();
    for udf in state.scalar_functions().values() {
        by_name
            .entry(udf.name().to_string())
            .or_insert_with(|| info(udf.name(), "scalar", udf.aliases(), udf.documentation()));
    }
    for udaf in state.aggregate_functions().values() {
        by_name.entry(udaf.name().to_string()).or_insert_with(|| {
            info(udaf.name(), "aggregate", udaf.aliases(), udaf.documentation())
        });
    }
    for udwf in state.window_functions().values() {
        by_name
            .entry(udwf.name().to_string())
            .or_insert_with(|| info(udwf.name(), "window", udwf.aliases(), udwf.documentation()));
    }
    by_name.into_values().collect()
}

/// Calls the function of `state` named `name` (or an alias of it) with argument expressions;
/// `label` names the registry in the error (`unknown built-in function: x`).
pub(crate) fn call_registry(
    py: Python<'_>,
    state: &SessionState,
    label: &str,
    name: &str,
    args: Vec<PyExpr>,
) -> Result<PyExpr> {
    let args = exprs(args);
    if let Some(udf) = state.scalar_functions().get(name) {
        return Ok(udf.call(args).into());
    }
    if let Some(udaf) = state.aggregate_functions().get(name) {
        return Ok(udaf.call(args).into());
    }
    if let Some(udwf) = state.window_functions().get(name) {
        return Ok(udwf.call(args).into());
    }
    Err(fuseplug_exception(py, "PlanError", format!("unknown {label} function: {name}")).into())
}

/// Every built-in scalar, aggregate and window function, by canonical name (aliases folded in).
#[pyfunction]
pub fn builtin_functions() -> Vec<PyFunctionInfo> {
    registry_functions(&DEFAULT_STATE)
}

/// Calls a built-in function by name (or alias) with argument expressions.
#[pyfunction]
pub fn call_builtin(py: Python<'_>, name: &str, args: Vec<PyExpr>) -> Result<PyExpr> {
    call_registry(py, &DEFAULT_STATE, "built-in", name, args)
}
