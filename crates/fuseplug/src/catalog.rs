//! Catalog introspection: catalogs hold schemas, schemas hold tables.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::ffi_stream::ArrowArrayStreamReader;
use arrow::pyarrow::{FromPyArrow, ToPyArrow};
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, MemTable, MemoryCatalogProvider,
    MemoryCatalogProviderList, MemorySchemaProvider, SchemaProvider,
};
use datafusion::datasource::{TableProvider, TableType};
use datafusion::prelude::SessionContext;
use fuseplug_capsule::runtime::wait_for_future;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;

use crate::capsule::SessionTasks;
use crate::errors::{Error, Result, fuseplug_exception};
use crate::py_catalog;

#[pyclass(frozen, name = "Catalog", module = "fuseplug._internal")]
pub struct PyCatalog {
    pub inner: Arc<dyn CatalogProvider>,
    /// The owning session's task provider, to hand plugins its codec.
    pub tasks: SessionTasks,
}

/// A session for catalogs made without one (`memory_catalog()`): plugins get its codec.
fn tasks_or_new(ctx: Option<&Bound<'_, PyAny>>) -> Result<SessionTasks> {
    match ctx {
        Some(ctx) => crate::plan::decoding_tasks(ctx),
        None => Ok(SessionTasks::new(Arc::new(SessionContext::new()))),
    }
}

/// Anything that stands for a table, as a `Table` (see `fuseplug.catalog._as_table`); plugin
/// tables are handed `session`, or the global context without one.
fn as_table<'py>(
    py: Python<'py>,
    table: &Bound<'py, PyAny>,
    session: Option<Bound<'py, PyAny>>,
) -> Result<PyTable> {
    if let Ok(ours) = table.extract::<PyTable>() {
        return Ok(ours);
    }
    let converted = py.import("fuseplug.catalog")?.call_method1("_as_table", (table, session))?;
    Ok(converted.extract::<PyTable>().map_err(PyErr::from)?)
}

#[pymethods]
impl PyCatalog {
    /// An empty in-memory catalog, to fill with schemas and register with
    /// `SessionContext.register_catalog_provider`.
    #[staticmethod]
    #[pyo3(signature = (ctx = None))]
    fn memory_catalog(ctx: Option<&Bound<'_, PyAny>>) -> Result<Self> {
        Ok(Self { inner: Arc::new(MemoryCatalogProvider::new()), tasks: tasks_or_new(ctx)? })
    }

    /// The schema names (a set, as in the official bindings).
    fn schema_names(&self, py: Python<'_>) -> Result<HashSet<String>> {
        Ok(py_catalog::schema_names(py, &self.inner)?.into_iter().collect())
    }

    /// Same as `schema_names()`.
    fn names(&self, py: Python<'_>) -> Result<HashSet<String>> {
        self.schema_names(py)
    }

    /// The schema `name`: a `Schema`, or a Python `SchemaProvider` as itself.
    #[pyo3(signature = (name = "public"))]
    fn schema<'py>(&self, py: Python<'py>, name: &str) -> Result<Bound<'py, PyAny>> {
        match py_catalog::schema(py, &self.inner, name)? {
            Some(inner) => py_catalog::schema_to_python(py, inner, &self.tasks),
            None => {
                Err(fuseplug_exception(py, "PlanError", format!("no schema named {name:?}")).into())
            }
        }
    }

    /// Registers a schema: a fuseplug `Schema`, a Python `SchemaProvider`, or a plugin's
    /// (`__datafusion_schema_provider__(codec)` or its capsule). Returns the schema it replaced.
    fn register_schema<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        schema: &Bound<'py, PyAny>,
    ) -> Result<Option<Bound<'py, PyAny>>> {
        let provider = py_catalog::schema_provider(schema, Some(&self.tasks))?;
        let old = self.inner.register_schema(name, provider)?;
        old.map(|inner| py_catalog::schema_to_python(py, inner, &self.tasks)).transpose()
    }

    /// Removes the schema `name` (with `cascade`, also when it holds tables); returns it.
    #[pyo3(signature = (name, cascade = true))]
    fn deregister_schema<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        cascade: bool,
    ) -> Result<Option<Bound<'py, PyAny>>> {
        let old = self.inner.deregister_schema(name, cascade)?;
        old.map(|inner| py_catalog::schema_to_python(py, inner, &self.tasks)).transpose()
    }

    fn __repr__(&self) -> String {
        let mut names: Vec<String> = self.inner.schema_names();
        names.sort();
        format!("Catalog(schemas={names:?})")
    }
}

#[pyclass(frozen, name = "Schema", module = "fuseplug._internal")]
pub struct PySchema {
    pub inner: Arc<dyn SchemaProvider>,
    /// The owning session, handed to plugin tables registered here.
    pub tasks: SessionTasks,
}

#[pymethods]
impl PySchema {
    /// An empty in-memory schema, to fill with tables and register in a catalog.
    #[staticmethod]
    #[pyo3(signature = (ctx = None))]
    fn memory_schema(ctx: Option<&Bound<'_, PyAny>>) -> Result<Self> {
        Ok(Self { inner: Arc::new(MemorySchemaProvider::new()), tasks: tasks_or_new(ctx)? })
    }

    /// The table names (a set, as in the official bindings).
    fn table_names(&self, py: Python<'_>) -> Result<HashSet<String>> {
        Ok(py_catalog::table_names(py, &self.inner)?.into_iter().collect())
    }

    /// Same as `table_names()`.
    fn names(&self, py: Python<'_>) -> Result<HashSet<String>> {
        self.table_names(py)
    }

    fn table(&self, py: Python<'_>, name: &str) -> Result<PyTable> {
        let schema = Arc::clone(&self.inner);
        let found = wait_for_future(py, async move { schema.table(name).await })??;
        match found {
            Some(inner) => Ok(PyTable::owned(inner, &self.tasks)),
            None => {
                Err(fuseplug_exception(py, "PlanError", format!("no table named {name:?}")).into())
            }
        }
    }

    fn table_exist(&self, py: Python<'_>, name: &str) -> Result<bool> {
        py_catalog::table_exist(py, &self.inner, name)
    }

    /// Registers `table` as `name`: a `Table`, a DataFrame (as a view), a pyarrow Dataset, an
    /// Arrow stream or a plugin's table provider.
    fn register_table(&self, py: Python<'_>, name: &str, table: &Bound<'_, PyAny>) -> Result<()> {
        let session = crate::context::PySessionContext::from_tasks(self.tasks.clone());
        let table = as_table(py, table, Some(Bound::new(py, session)?.into_any()))?;
        self.inner.register_table(name.to_string(), table.inner)?;
        Ok(())
    }

    fn deregister_table(&self, name: &str) -> Result<()> {
        self.inner.deregister_table(name)?;
        Ok(())
    }

    fn __repr__(&self) -> String {
        let mut names = self.inner.table_names();
        names.sort();
        format!("Schema(tables={names:?})")
    }
}

/// A list of catalogs, as a session holds them; `SessionContext.register_catalog_provider_list`
/// makes one a session's.
#[pyclass(frozen, name = "CatalogList", module = "fuseplug._internal")]
pub struct PyCatalogList {
    pub inner: Arc<dyn CatalogProviderList>,
    /// The session handed to plugin catalogs registered here.
    pub tasks: SessionTasks,
}

#[pymethods]
impl PyCatalogList {
    /// An empty in-memory list of catalogs.
    #[staticmethod]
    #[pyo3(signature = (ctx = None))]
    fn memory_catalog(ctx: Option<&Bound<'_, PyAny>>) -> Result<Self> {
        Ok(Self { inner: Arc::new(MemoryCatalogProviderList::new()), tasks: tasks_or_new(ctx)? })
    }

    /// The catalog names (a set).
    fn catalog_names(&self, py: Python<'_>) -> Result<HashSet<String>> {
        Ok(py_catalog::catalog_names(py, &self.inner)?.into_iter().collect())
    }

    /// Same as `catalog_names()`.
    fn names(&self, py: Python<'_>) -> Result<HashSet<String>> {
        self.catalog_names(py)
    }

    /// The catalog `name`: a `Catalog`, or a Python `CatalogProvider` as itself.
    #[pyo3(signature = (name = "datafusion"))]
    fn catalog<'py>(&self, py: Python<'py>, name: &str) -> Result<Bound<'py, PyAny>> {
        match py_catalog::catalog(py, &self.inner, name)? {
            Some(inner) => py_catalog::catalog_to_python(py, inner, &self.tasks),
            None => Err(PyKeyError::new_err(format!("no catalog named {name:?}")).into()),
        }
    }

    /// Registers a catalog: a `Catalog`, a Python `CatalogProvider`, or a plugin's
    /// (`__datafusion_catalog_provider__(codec)` or its capsule). Returns the one it replaced.
    fn register_catalog<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        catalog: &Bound<'py, PyAny>,
    ) -> Result<Option<Bound<'py, PyAny>>> {
        let old = py_catalog::register_catalog(&self.inner, name, catalog, &self.tasks)?;
        old.map(|inner| py_catalog::catalog_to_python(py, inner, &self.tasks)).transpose()
    }

    fn __repr__(&self) -> String {
        let mut names = self.inner.catalog_names();
        names.sort();
        format!("CatalogList(catalogs={names:?})")
    }
}

/// A table provider: a registered table, view or plugin table.
#[pyclass(frozen, name = "Table", module = "fuseplug._internal", from_py_object)]
#[derive(Clone)]
pub struct PyTable {
    pub inner: Arc<dyn TableProvider>,
    /// The session the table came from, which plans its scans when it is exported (its settings,
    /// memory pool and spill directories); the global context's for a table made from data alone.
    pub owner: Option<SessionTasks>,
}

impl PyTable {
    /// A table made from data alone (exported through the global context).
    pub fn unowned(inner: Arc<dyn TableProvider>) -> Self {
        Self { inner, owner: None }
    }

    /// A table of the session `owner`.
    pub fn owned(inner: Arc<dyn TableProvider>, owner: &SessionTasks) -> Self {
        Self { inner, owner: Some(owner.clone()) }
    }
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
    /// A table from a `Table`, a DataFrame (as a view), a pyarrow Dataset, an Arrow stream or a
    /// plugin's table provider; plugin tables are handed `ctx` (or the global context).
    #[new]
    #[pyo3(signature = (table, ctx = None))]
    fn new(
        py: Python<'_>,
        table: &Bound<'_, PyAny>,
        ctx: Option<&Bound<'_, PyAny>>,
    ) -> Result<Self> {
        if let Some(ctx) = ctx {
            crate::plan::decoding_tasks(ctx)?; // a session, or a TypeError now
        }
        as_table(py, table, ctx.cloned())
    }

    /// A table that reads a pyarrow Dataset again on every scan, handing pyarrow the columns and
    /// filters of each query (see `dataset.rs`). Anything else becomes a table as `Table(...)`.
    #[staticmethod]
    fn from_dataset(py: Python<'_>, dataset: &Bound<'_, PyAny>) -> Result<Self> {
        if crate::dataset::is_dataset(dataset) {
            return Ok(Self::unowned(Arc::new(crate::dataset::DatasetTable::new(dataset)?)));
        }
        as_table(py, dataset, None)
    }

    /// A table that reads `source.__arrow_c_stream__()` on every scan (see `arrow_stream.rs`).
    #[staticmethod]
    #[pyo3(signature = (source, single_shot = false))]
    pub fn from_arrow_stream(source: &Bound<'_, PyAny>, single_shot: bool) -> Result<Self> {
        let table = crate::arrow_stream::arrow_stream_table(source, single_shot)?;
        Ok(Self::unowned(Arc::new(table)))
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
        Ok(Self::unowned(Arc::new(table)))
    }

    #[getter]
    fn schema<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        Ok(self.inner.schema().to_pyarrow(py)?)
    }

    /// Exports this table to another DataFusion host of the same major. Its scans are planned on the
    /// session it came from (the global context for a table made from data alone), never the
    /// caller's (a view's plan cannot cross the FFI codec; see export.rs), so they keep that
    /// session's settings, memory pool and spill directories.
    fn __datafusion_table_provider__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> Result<Bound<'py, pyo3::types::PyCapsule>> {
        let owner = match &self.owner {
            Some(owner) => owner.clone(),
            None => py_catalog::global_tasks(py)?,
        };
        let df = owner.session().read_table(Arc::clone(&self.inner))?;
        let table = Arc::new(crate::export::LocalPlanTable::new(df));
        crate::capsule::export_table_provider(py, table, session)
    }

    /// `"physical"` (a table over data: files, memory, a stream), `"view"` or `"temporary"`, the
    /// official bindings' names.
    #[getter]
    fn kind(&self) -> String {
        match self.inner.table_type() {
            TableType::Base => "physical".to_string(),
            TableType::View => "view".to_string(),
            TableType::Temporary => "temporary".to_string(),
        }
    }

    fn __repr__(&self) -> String {
        format!("Table(kind={:?}, columns={})", self.kind(), self.inner.schema().fields().len())
    }
}
