//! SQL text to a DataFrame: `SQLOptions` (what statements are allowed) and parameters bound by
//! value, never spliced into the text.
//!
//! `$name` placeholders take `param_values` (and scalar `named_params`) as typed values through
//! DataFusion's own parameter binding. A DataFrame passed by name is registered as a view under a
//! fresh name for the planning of this one statement, and the placeholder token is replaced by that
//! quoted name; the query is tokenized first, so text inside string literals is never touched.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use datafusion::common::{ParamValues, ScalarValue};
use datafusion::dataframe::DataFrame;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, Tokenizer};
use fuseplug_capsule::runtime::wait_for_future;
use pyo3::prelude::*;

use crate::errors::{Error, Result};

/// Which kinds of statement `sql_with_options` may run.
#[pyclass(frozen, name = "SQLOptions", module = "fuseplug._internal", from_py_object)]
#[derive(Clone, Default)]
pub struct PySQLOptions {
    pub inner: SQLOptions,
}

#[pymethods]
impl PySQLOptions {
    #[new]
    fn new() -> Self {
        Self { inner: SQLOptions::new() }
    }

    /// Whether DDL (`CREATE`, `DROP`) may run.
    #[pyo3(signature = (allow = true))]
    fn with_allow_ddl(&self, allow: bool) -> Self {
        Self { inner: self.inner.with_allow_ddl(allow) }
    }

    /// Whether DML (`INSERT`, `COPY`) may run.
    #[pyo3(signature = (allow = true))]
    fn with_allow_dml(&self, allow: bool) -> Self {
        Self { inner: self.inner.with_allow_dml(allow) }
    }

    /// Whether other statements (`SET`, `BEGIN`) may run.
    #[pyo3(signature = (allow = true))]
    fn with_allow_statements(&self, allow: bool) -> Self {
        Self { inner: self.inner.with_allow_statements(allow) }
    }

    fn __repr__(&self) -> String {
        format!("SQLOptions({:?})", self.inner)
    }
}

static VIEWS: AtomicU64 = AtomicU64::new(0);

/// `query` with each `$name` placeholder of `tables` replaced by the quoted name it is registered
/// under for this statement.
fn substitute_tables(query: &str, names: &HashMap<String, String>) -> Result<String> {
    let tokens = Tokenizer::new(&GenericDialect {}, query)
        .tokenize()
        .map_err(|e| Error::Value(format!("cannot tokenize the query: {e}")))?;
    Ok(tokens
        .into_iter()
        .map(|token| match &token {
            Token::Placeholder(p) => match p.strip_prefix('$').and_then(|n| names.get(n)) {
                Some(view) => Token::make_word(view, Some('"')).to_string(),
                None => token.to_string(),
            },
            _ => token.to_string(),
        })
        .collect())
}

/// Plans one statement with its parameters bound.
pub fn plan(
    py: Python<'_>,
    ctx: &Arc<SessionContext>,
    query: &str,
    options: Option<SQLOptions>,
    values: HashMap<String, ScalarValue>,
    tables: HashMap<String, DataFrame>,
) -> Result<DataFrame> {
    let mut names = HashMap::new();
    for (name, df) in tables {
        let view = format!("__fuseplug_param_{}_{name}", VIEWS.fetch_add(1, Ordering::Relaxed));
        ctx.register_table(view.as_str(), df.into_view())?;
        names.insert(name, view);
    }
    let planned = (|| {
        let query =
            if names.is_empty() { query.to_string() } else { substitute_tables(query, &names)? };
        let ctx = Arc::clone(ctx);
        let options = options.unwrap_or_default();
        let df = wait_for_future(py, async move { ctx.sql_with_options(&query, options).await })??;
        if values.is_empty() {
            return Ok(df);
        }
        Ok(df.with_param_values(ParamValues::Map(
            values.into_iter().map(|(k, v)| (k, v.into())).collect(),
        ))?)
    })();
    // The plan holds the views' tables; their names are not needed past planning.
    for view in names.values() {
        ctx.deregister_table(view.as_str())?;
    }
    planned
}
