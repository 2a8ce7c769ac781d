//! Logical plans back to SQL text (`fuseplug.unparser`), on `datafusion::sql::unparser`.
//!
//! A plan the unparser cannot express in SQL is a `NotSupportedError`; a panic inside it becomes
//! an `ExecutionError` that says so.

use std::sync::Arc;

use datafusion::sql::unparser::Unparser;
use datafusion::sql::unparser::dialect::{
    DefaultDialect, Dialect, DuckDBDialect, MySqlDialect, PostgreSqlDialect, SqliteDialect,
};
use fuseplug_capsule::panic::guard;
use pyo3::prelude::*;

use crate::errors::Result;
use crate::plan::PyLogicalPlan;

/// How the SQL is written: identifier quoting, type names, date functions, ...
#[pyclass(frozen, name = "Dialect", module = "fuseplug._internal", from_py_object)]
#[derive(Clone)]
pub struct PyDialect {
    name: &'static str,
    inner: Arc<dyn Dialect>,
}

impl PyDialect {
    fn new(name: &'static str, inner: impl Dialect + 'static) -> Self {
        Self { name, inner: Arc::new(inner) }
    }
}

#[pymethods]
impl PyDialect {
    #[staticmethod]
    fn default() -> Self {
        Self::new("default", DefaultDialect {})
    }

    #[staticmethod]
    fn mysql() -> Self {
        Self::new("mysql", MySqlDialect {})
    }

    #[staticmethod]
    fn postgres() -> Self {
        Self::new("postgres", PostgreSqlDialect {})
    }

    #[staticmethod]
    fn sqlite() -> Self {
        Self::new("sqlite", SqliteDialect {})
    }

    #[staticmethod]
    fn duckdb() -> Self {
        Self::new("duckdb", DuckDBDialect::new())
    }

    #[getter]
    fn name(&self) -> &'static str {
        self.name
    }

    fn __repr__(&self) -> String {
        format!("Dialect.{}()", self.name)
    }
}

/// Writes logical plans as SQL in one dialect.
#[pyclass(frozen, name = "Unparser", module = "fuseplug._internal", skip_from_py_object)]
#[derive(Clone)]
pub struct PyUnparser {
    dialect: PyDialect,
    pretty: bool,
}

#[pymethods]
impl PyUnparser {
    #[new]
    fn new(dialect: PyDialect) -> Self {
        Self { dialect, pretty: false }
    }

    /// The plan as one SQL statement.
    fn plan_to_sql(&self, py: Python<'_>, plan: &PyLogicalPlan) -> Result<String> {
        let (dialect, pretty) = (self.dialect.inner.as_ref(), self.pretty);
        let statement = py.detach(|| {
            guard("the SQL unparser", || {
                Unparser::new(dialect).with_pretty(pretty).plan_to_sql(&plan.inner)
            })
        })?;
        Ok(statement.to_string())
    }

    /// The same unparser, removing the parentheses that operator precedence makes redundant when
    /// `pretty` (easier to read; other engines' precedence rules may differ from DataFusion's).
    fn with_pretty(&self, pretty: bool) -> Self {
        Self { dialect: self.dialect.clone(), pretty }
    }

    #[getter]
    fn pretty(&self) -> bool {
        self.pretty
    }

    #[getter]
    fn dialect(&self) -> PyDialect {
        self.dialect.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Unparser(dialect={}, pretty={})",
            self.dialect.__repr__(),
            if self.pretty { "True" } else { "False" }
        )
    }
}
