//! DataFusion's built-in functions, read from a default session's function registry: the one source of
//! truth for `fuseplug.functions`, which is generated from `builtin_functions()`.

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
    }
}

/// Every built-in scalar, aggregate and window function, by canonical name (aliases folded in).
#[pyfunction]
pub fn builtin_functions() -> Vec<PyFunctionInfo> {
    let state = &*DEFAULT_STATE;
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

/// Calls a built-in function by name (or alias) with argument expressions.
#[pyfunction]
pub fn call_builtin(py: Python<'_>, name: &str, args: Vec<PyExpr>) -> Result<PyExpr> {
    let state = &*DEFAULT_STATE;
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
    Err(fuseplug_exception(py, "PlanError", format!("unknown built-in function: {name}")).into())
}
