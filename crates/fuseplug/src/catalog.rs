//! Catalog introspection: catalogs hold schemas, schemas hold tables.

use std::sync::Arc;

use arrow::ffi_stream::ArrowArrayStreamReader;
use arrow::pyarrow::{FromPyArrow, ToPyArrow};
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use datafusion::catalog::{CatalogProvider, MemTable, SchemaProvider};
use datafusion::datasource::TableProvider;
use datafusion::prelude::SessionContext;
use fuseplug_capsule::runtime::wait_for_future;
use pyo3::prelude::*;

use crate::capsule::SessionTasks;
use crate::errors::{Error, Result, fuseplug_exception};

#[pyclass(frozen, name = "Catalog", module = "fuseplug._internal")]
pub struct PyCatalog {
    pub inner: Arc<dyn CatalogProvider>,
    /// The owning session's task provider, to hand plugins its codec.
    pub tasks: SessionTasks,
}

#[pymethods]
impl PyCatalog {
    /// The schema names, sorted.
    fn schema_names(&self) -> Vec<String> {
        let mut names = self.inner.schema_names();
        names.sort();
        names
    }

    /// Same as `schema_names()`, the name the official bindings use.
    fn names(&self) -> Vec<String> {
        self.schema_names()
    }

    #[pyo3(signature = (name = "public"))]
    fn schema(&self, py: Python<'_>, name: &str) -> Result<PySchema> {
        match self.inner.schema(name) {
            Some(inner) => Ok(PySchema { inner }),
            None => {
                Err(fuseplug_exception(py, "PlanError", format!("no schema named {name:?}")).into())
            }
        }
    }

    /// Registers a plugin's schema (`__datafusion_schema_provider__(codec)` or its capsule).
    fn register_schema(&self, py: Python<'_>, name: &str, schema: &Bound<'_, PyAny>) -> Result<()> {
        let codec = crate::capsule::export_logical_codec(py, &self.tasks)?;
        let provider = crate::capsule::schema_provider(schema, codec.as_any())?;
        self.inner.register_schema(name, provider)?;
        Ok(())
    }

    fn __repr__(&self) -> String {
        format!("Catalog(schemas={:?})", self.schema_names())
    }
}

#[pyclass(frozen, name = "Schema", module = "fuseplug._internal")]
pub struct PySchema {
    pub inner: Arc<dyn SchemaProvider>,
}

#[pymethods]
impl PySchema {
    /// The table names, sorted.
    fn table_names(&self) -> Vec<String> {
        let mut names = self.inner.table_names();
        names.sort();
        names
    }

    /// Same as `table_names()`, the name the official bindings use.
    fn names(&self) -> Vec<String> {
        self.table_names()
    }

    fn table(&self, py: Python<'_>, name: &str) -> Result<PyTable> {
        let schema = Arc::clone(&self.inner);
        let found = wait_for_future(py, async move { schema.table(name).await })??;
        match found {
            Some(inner) => Ok(PyTable { inner }),
            None => {
                Err(fuseplug_exception(py, "PlanError", format!("no table named {name:?}")).into())
            }
        }
    }

    fn table_exist(&self, name: &str) -> bool {
        self.inner.table_exist(name)
    }

    fn __repr__(&self) -> String {
        format!("Schema(tables={:?})", self.table_names())
    }
}

/// A table provider: a registered table, view or plugin table.
#[pyclass(frozen, name = "Table", module = "fuseplug._internal", from_py_object)]
#[derive(Clone)]
pub struct PyTable {
    pub inner: Arc<dyn TableProvider>,
}

/// Splits batches round-robin into at most `partitions` partitions so scans run in parallel.
fn partition_batches(batches: Vec<RecordBatch>, partitions: usize) -> Vec<Vec<RecordBatch>> {
    let n = partitions.clamp(1, batches.len().max(1));
    let mut parts = vec![Vec::new(); n];
    for (i, batch) in batches.into_iter().enumerate() {
        parts[i % n].push(batch);
    }
    parts
}

#[pymethods]
impl PyTable {
    /// A table that reads `source.__arrow_c_stream__()` on every scan (see `arrow_stream.rs`).
    #[staticmethod]
    #[pyo3(signature = (source, single_shot = false))]
    pub fn from_arrow_stream(source: &Bound<'_, PyAny>, single_shot: bool) -> Result<Self> {
        let table = crate::arrow_stream::arrow_stream_table(source, single_shot)?;
        Ok(Self { inner: Arc::new(table) })
    }

    /// Reads any object exporting `__arrow_c_stream__` or `__arrow_c_array__` into an in-memory table
    /// split into at most `partitions` partitions.
    #[staticmethod]
    #[pyo3(signature = (data, partitions = 1))]
    pub fn from_arrow(data: &Bound<'_, PyAny>, partitions: usize) -> Result<Self> {
        let (schema, batches) = if data.hasattr("__arrow_c_stream__")? {
            let reader = ArrowArrayStreamReader::from_pyarrow_bound(data)?;
            let schema = RecordBatchReader::schema(&reader);
            let batches = reader.collect::<std::result::Result<Vec<_>, _>>()?;
            (schema, batches)
        } else if data.hasattr("__arrow_c_array__")? {
            let batch = RecordBatch::from_pyarrow_bound(data)?;
            (batch.schema(), vec![batch])
        } else {
            return Err(Error::Type(format!(
                "expected an object exporting __arrow_c_stream__ or __arrow_c_array__, got {}",
                data.get_type().name()?
            )));
        };
        let table = MemTable::try_new(schema, partition_batches(batches, partitions))?;
        Ok(Self { inner: Arc::new(table) })
    }

    #[getter]
    fn schema<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        Ok(self.inner.schema().to_pyarrow(py)?)
    }

    /// Exports this table to another DataFusion host of the same major. Its scans are planned on a
    /// session of ours, never the caller's (a view's plan cannot cross the FFI codec; see export.rs).
    fn __datafusion_table_provider__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> Result<Bound<'py, pyo3::types::PyCapsule>> {
        let df = SessionContext::new().read_table(Arc::clone(&self.inner))?;
        let table = Arc::new(crate::export::LocalPlanTable::new(df));
        crate::capsule::export_table_provider(py, table, session)
    }

    /// `"base"`, `"view"` or `"temporary"`.
    #[getter]
    fn kind(&self) -> String {
        format!("{:?}", self.inner.table_type()).to_lowercase()
    }

    fn __repr__(&self) -> String {
        format!("Table(kind={:?}, columns={})", self.kind(), self.inner.schema().fields().len())
    }
}
