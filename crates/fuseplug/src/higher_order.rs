//! Higher-order array functions (`array_transform`, `array_filter`, ...) and the lambdas they take.

use datafusion::common::tree_node::TreeNode;
use datafusion::dataframe::DataFrame;
use datafusion::functions_nested::all_default_higher_order_functions;
use datafusion::logical_expr::expr::HigherOrderFunction;
use datafusion::logical_expr::{Expr, lambda, lambda_var as make_lambda_var};
use pyo3::prelude::*;

use crate::errors::{Error, Result};
use crate::expr::{PyExpr, exprs};

/// Calls DataFusion's higher-order function `name` (or one of its aliases) with `args`; the lambda
/// arguments are `Lambda` expressions.
#[pyfunction]
pub fn call_higher_order(name: &str, args: Vec<PyExpr>) -> Result<PyExpr> {
    let func = all_default_higher_order_functions()
        .into_iter()
        .find(|f| f.name() == name || f.aliases().iter().any(|a| a == name))
        .ok_or_else(|| Error::Value(format!("unknown higher-order function: {name}")))?;
    Ok(Expr::HigherOrderFunction(HigherOrderFunction::new(func, exprs(args))).into())
}

/// A lambda with the given parameter names and body.
#[pyfunction]
pub fn lambda_(params: Vec<String>, body: PyExpr) -> PyExpr {
    lambda(params, body.inner).into()
}

/// A reference to a lambda parameter, bound by the enclosing higher-order function at planning.
#[pyfunction]
pub fn lambda_var(name: String) -> PyExpr {
    make_lambda_var(name).into()
}

/// `df` with its lambda variables bound, when its top node has unbound ones (built from
/// `lambda_var` rather than SQL). A plan that fails to resolve is left as is: planning reports it.
pub fn resolve_lambdas(df: DataFrame) -> DataFrame {
    let unbound = |e: &Expr| {
        e.exists(|e| Ok(matches!(e, Expr::LambdaVariable(v) if v.field.is_none()))).unwrap_or(false)
    };
    if !df.logical_plan().expressions().iter().any(unbound) {
        return df;
    }
    let (state, plan) = df.into_parts();
    match plan.clone().resolve_lambda_variables() {
        Ok(resolved) => DataFrame::new(state, resolved.data),
        Err(_) => DataFrame::new(state, plan),
    }
}
