//! Catalog lists, catalogs, schemas and table factories written in Python (subclasses of
//! `fuseplug.catalog.CatalogProviderList`, `CatalogProvider`, `SchemaProvider` and
//! `TableProviderFactory`, or any object with their methods), as DataFusion's traits; and the one
//! place that turns whatever a user hands us (ours, a plugin's, a Python one) into a provider.
//!
//! Every callback takes the GIL with `Python::attach`. An exception raised by a method that
//! DataFusion lets fail (`table`, `register_table`, `create`, ...) reaches the caller unchanged. The
//! infallible ones (name listings, `table_exist`) report it through `sys.unraisablehook` and answer
//! "none"; a failed `catalog(name)` or `schema(name)` answers with a stand-in whose tables raise the
//! exception, so a query through it fails with the provider's message instead of "not found".
//!
//! The adapters never hold a session: the session holds them, and a session kept alive by its own
//! catalog would never be freed. Plugin objects returned from callbacks are imported through the
//! global context instead.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, SchemaProvider, Session, TableProviderFactory,
};
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::logical_expr::CreateExternalTable;
use datafusion::prelude::SessionContext;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCapsule;

use crate::capsule::{self, SessionTasks};
use crate::catalog::{PyCatalog, PyCatalogList, PySchema, PyTable};
use crate::errors::{Error, Result, py_to_datafusion};

const CATALOG_LIST_METHODS: &[&str] = &["catalog_names", "catalog"];
const CATALOG_METHODS: &[&str] = &["schema_names", "schema"];
const SCHEMA_METHODS: &[&str] = &["table_names", "table", "table_exist"];

const CATALOG_LIST_KINDS: &str =
    "a CatalogList, a CatalogProviderList or an object with __datafusion_catalog_provider_list__";
const CATALOG_KINDS: &str =
    "a Catalog, a CatalogProvider or an object with __datafusion_catalog_provider__";
const SCHEMA_KINDS: &str =
    "a Schema, a SchemaProvider or an object with __datafusion_schema_provider__";
const TABLE_KINDS: &str =
    "a Table, DataFrame, pyarrow Table or Dataset, Arrow stream or table provider";

// --- from Python ------------------------------------------------------------------------------

/// Whether `obj` is a plugin's object: a capsule, or an object with the kind's dunder.
fn is_plugin(obj: &Bound<'_, PyAny>, dunder: &str) -> bool {
    obj.cast::<PyCapsule>().is_ok() || obj.hasattr(dunder).unwrap_or(false)
}

/// Whether `obj` has every one of `methods` (a subclass of the ABC, or a duck-typed object).
fn implements(obj: &Bound<'_, PyAny>, methods: &[&str]) -> bool {
    methods.iter().all(|m| obj.hasattr(*m).unwrap_or(false))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into())
}

fn expected(kinds: &str, obj: &Bound<'_, PyAny>) -> Error {
    Error::Type(format!("expected {kinds}, got {}", type_name(obj)))
}

/// The host's logical codec capsule for a plugin's dunder: the registering session's, or inside a
/// callback (which has none) the global context's.
fn codec<'py>(py: Python<'py>, tasks: Option<&SessionTasks>) -> Result<Bound<'py, PyCapsule>> {
    match tasks {
        Some(tasks) => capsule::export_logical_codec(py, tasks),
        None => capsule::export_logical_codec(py, &global_tasks(py)?),
    }
}

/// The global context's session (`SessionContext.global_ctx()`).
pub fn global_tasks(py: Python<'_>) -> Result<SessionTasks> {
    let ctx =
        py.import("fuseplug.context")?.getattr("SessionContext")?.call_method0("global_ctx")?;
    crate::plan::decoding_tasks(&ctx)
}

/// A catalog list: a `CatalogList`, a plugin's, or a Python `CatalogProviderList`.
pub fn catalog_provider_list(
    obj: &Bound<'_, PyAny>,
    tasks: Option<&SessionTasks>,
) -> Result<Arc<dyn CatalogProviderList>> {
    if let Ok(ours) = obj.cast::<PyCatalogList>() {
        return Ok(Arc::clone(&ours.get().inner));
    }
    if is_plugin(obj, "__datafusion_catalog_provider_list__") {
        return capsule::catalog_provider_list(obj, codec(obj.py(), tasks)?.as_any());
    }
    if implements(obj, CATALOG_LIST_METHODS) {
        return Ok(Arc::new(PythonCatalogList { obj: obj.clone().unbind() }));
    }
    Err(expected(CATALOG_LIST_KINDS, obj))
}

/// A catalog: a `Catalog`, a plugin's, or a Python `CatalogProvider`.
pub fn catalog_provider(
    obj: &Bound<'_, PyAny>,
    tasks: Option<&SessionTasks>,
) -> Result<Arc<dyn CatalogProvider>> {
    try_catalog_provider(obj, tasks)?.ok_or_else(|| expected(CATALOG_KINDS, obj))
}

fn try_catalog_provider(
    obj: &Bound<'_, PyAny>,
    tasks: Option<&SessionTasks>,
) -> Result<Option<Arc<dyn CatalogProvider>>> {
    if let Ok(ours) = obj.cast::<PyCatalog>() {
        return Ok(Some(Arc::clone(&ours.get().inner)));
    }
    if is_plugin(obj, "__datafusion_catalog_provider__") {
        return capsule::catalog_provider(obj, codec(obj.py(), tasks)?.as_any()).map(Some);
    }
    if implements(obj, CATALOG_METHODS) {
        return Ok(Some(Arc::new(PythonCatalog { obj: obj.clone().unbind() })));
    }
    Ok(None)
}

/// A schema: a `Schema`, a plugin's, or a Python `SchemaProvider`.
pub fn schema_provider(
    obj: &Bound<'_, PyAny>,
    tasks: Option<&SessionTasks>,
) -> Result<Arc<dyn SchemaProvider>> {
    try_schema_provider(obj, tasks)?.ok_or_else(|| expected(SCHEMA_KINDS, obj))
}

fn try_schema_provider(
    obj: &Bound<'_, PyAny>,
    tasks: Option<&SessionTasks>,
) -> Result<Option<Arc<dyn SchemaProvider>>> {
    if let Ok(ours) = obj.cast::<PySchema>() {
        return Ok(Some(Arc::clone(&ours.get().inner)));
    }
    if is_plugin(obj, "__datafusion_schema_provider__") {
        return capsule::schema_provider(obj, codec(obj.py(), tasks)?.as_any()).map(Some);
    }
    if implements(obj, SCHEMA_METHODS) {
        let schema = PythonSchema { obj: obj.clone().unbind(), owner: PyOnceLock::new() };
        return Ok(Some(Arc::new(schema)));
    }
    Ok(None)
}

/// A table factory: a plugin's, or a Python `TableProviderFactory`.
pub fn table_factory(
    obj: &Bound<'_, PyAny>,
    tasks: &SessionTasks,
) -> Result<Arc<dyn TableProviderFactory>> {
    if is_plugin(obj, "__datafusion_table_provider_factory__") {
        return capsule::table_provider_factory(obj, codec(obj.py(), Some(tasks))?.as_any());
    }
    if obj.hasattr("create")? {
        return Ok(Arc::new(PythonTableFactory { obj: obj.clone().unbind() }));
    }
    let kinds = "a TableProviderFactory or an object with __datafusion_table_provider_factory__";
    Err(expected(kinds, obj))
}

/// Anything `Table(...)` accepts, as a provider (`fuseplug.catalog._table_like` converts the
/// rest); `None` when `value` is nothing like a table.
fn try_table_provider(value: &Bound<'_, PyAny>) -> Result<Option<Arc<dyn TableProvider>>> {
    if let Ok(ours) = value.cast::<PyTable>() {
        return Ok(Some(Arc::clone(&ours.get().inner)));
    }
    let converted = value.py().import("fuseplug.catalog")?.call_method1("_table_like", (value,))?;
    Ok(converted.cast::<PyTable>().ok().map(|table| Arc::clone(&table.get().inner)))
}

/// What `owner.call` returned, as `convert` makes it (`None` stays `None`); a value `convert` does
/// not recognise is a `TypeError` that names the method, the type and what `kinds` it may be.
fn returned<T>(
    owner: &Bound<'_, PyAny>,
    call: &str,
    value: &Bound<'_, PyAny>,
    kinds: &str,
    convert: impl FnOnce(&Bound<'_, PyAny>) -> Result<Option<T>>,
) -> Result<Option<T>> {
    if value.is_none() {
        return Ok(None);
    }
    let found = convert(value)?;
    if found.is_none() {
        return Err(Error::Type(format!(
            "{}.{call} returned {}, expected {kinds} or None",
            type_name(owner),
            type_name(value)
        )));
    }
    Ok(found)
}

/// A name listing (any iterable of `str`) as a vector.
fn names(owner: &Bound<'_, PyAny>, method: &str) -> Result<Vec<String>> {
    let value = owner.call_method0(method)?;
    let wrong = || {
        Error::Type(format!(
            "{}.{method}() returned {}, expected an iterable of str",
            type_name(owner),
            type_name(&value)
        ))
    };
    let mut out = Vec::new();
    for item in value.try_iter().map_err(|_| wrong())? {
        out.push(item?.extract::<String>().map_err(|_| wrong())?);
    }
    Ok(out)
}

// --- to Python --------------------------------------------------------------------------------

/// A catalog as Python sees it: the user's own object for a Python catalog, else a `Catalog`.
pub fn catalog_to_python<'py>(
    py: Python<'py>,
    catalog: Arc<dyn CatalogProvider>,
    tasks: &SessionTasks,
) -> Result<Bound<'py, PyAny>> {
    let any: &dyn std::any::Any = catalog.as_ref();
    match any.downcast_ref::<PythonCatalog>() {
        Some(python) => Ok(python.obj.bind(py).clone()),
        None => Ok(Bound::new(py, PyCatalog { inner: catalog, tasks: tasks.clone() })?.into_any()),
    }
}

/// A schema as Python sees it: the user's own object for a Python schema, else a `Schema`.
pub fn schema_to_python<'py>(
    py: Python<'py>,
    schema: Arc<dyn SchemaProvider>,
    tasks: &SessionTasks,
) -> Result<Bound<'py, PyAny>> {
    let any: &dyn std::any::Any = schema.as_ref();
    match any.downcast_ref::<PythonSchema>() {
        Some(python) => Ok(python.obj.bind(py).clone()),
        None => Ok(Bound::new(py, PySchema { inner: schema, tasks: tasks.clone() })?.into_any()),
    }
}

// --- lookups that raise (for the Python-facing classes) ---------------------------------------

/// `list.catalog_names()`, raising what a Python list raises.
pub fn catalog_names(py: Python<'_>, list: &Arc<dyn CatalogProviderList>) -> Result<Vec<String>> {
    let any: &dyn std::any::Any = list.as_ref();
    match any.downcast_ref::<PythonCatalogList>() {
        Some(python) => names(python.obj.bind(py), "catalog_names"),
        None => Ok(list.catalog_names()),
    }
}

/// `list.catalog(name)`, raising what a Python list raises.
pub fn catalog(
    py: Python<'_>,
    list: &Arc<dyn CatalogProviderList>,
    name: &str,
) -> Result<Option<Arc<dyn CatalogProvider>>> {
    let any: &dyn std::any::Any = list.as_ref();
    match any.downcast_ref::<PythonCatalogList>() {
        Some(python) => python.lookup(py, name),
        None => Ok(list.catalog(name)),
    }
}

/// `list.register_catalog(name, catalog)` for what a user handed us (see [`catalog_provider`]);
/// a Python list gets `catalog` itself, and what it raises is raised.
pub fn register_catalog(
    list: &Arc<dyn CatalogProviderList>,
    name: &str,
    catalog: &Bound<'_, PyAny>,
    tasks: &SessionTasks,
) -> Result<Option<Arc<dyn CatalogProvider>>> {
    let provider = catalog_provider(catalog, Some(tasks))?;
    let any: &dyn std::any::Any = list.as_ref();
    match any.downcast_ref::<PythonCatalogList>() {
        Some(python) => {
            python.obj.bind(catalog.py()).call_method1("register_catalog", (name, catalog))?;
            Ok(None)
        }
        None => Ok(list.register_catalog(name.to_string(), provider)),
    }
}

/// The catalog list of `ctx`.
pub fn session_catalogs(ctx: &SessionContext) -> Arc<dyn CatalogProviderList> {
    Arc::clone(ctx.state_ref().read().catalog_list())
}

/// `catalog.schema_names()`, raising what a Python catalog raises.
pub fn schema_names(py: Python<'_>, catalog: &Arc<dyn CatalogProvider>) -> Result<Vec<String>> {
    let any: &dyn std::any::Any = catalog.as_ref();
    match any.downcast_ref::<PythonCatalog>() {
        Some(python) => names(python.obj.bind(py), "schema_names"),
        None => Ok(catalog.schema_names()),
    }
}

/// `catalog.schema(name)`, raising what a Python catalog raises.
pub fn schema(
    py: Python<'_>,
    catalog: &Arc<dyn CatalogProvider>,
    name: &str,
) -> Result<Option<Arc<dyn SchemaProvider>>> {
    let any: &dyn std::any::Any = catalog.as_ref();
    match any.downcast_ref::<PythonCatalog>() {
        Some(python) => python.lookup(py, name),
        None => Ok(catalog.schema(name)),
    }
}

/// `schema.table_names()`, raising what a Python schema raises.
pub fn table_names(py: Python<'_>, schema: &Arc<dyn SchemaProvider>) -> Result<Vec<String>> {
    let any: &dyn std::any::Any = schema.as_ref();
    match any.downcast_ref::<PythonSchema>() {
        Some(python) => names(python.obj.bind(py), "table_names"),
        None => Ok(schema.table_names()),
    }
}

/// `schema.table_exist(name)`, raising what a Python schema raises.
pub fn table_exist(py: Python<'_>, schema: &Arc<dyn SchemaProvider>, name: &str) -> Result<bool> {
    let any: &dyn std::any::Any = schema.as_ref();
    match any.downcast_ref::<PythonSchema>() {
        Some(python) => python.exists(py, name),
        None => Ok(schema.table_exist(name)),
    }
}

// --- the adapters -----------------------------------------------------------------------------

/// Turns a failure inside a callback into a DataFusion error that carries the Python exception.
fn to_datafusion(err: Error) -> DataFusionError {
    match err {
        Error::DataFusion(e) => e,
        other => py_to_datafusion(other.into()),
    }
}

/// Reports an exception that a callback DataFusion cannot fail (a listing, `table_exist`) raised.
fn unraisable(py: Python<'_>, owner: &Py<PyAny>, err: Error) {
    PyErr::from(err).write_unraisable(py, Some(owner.bind(py)));
}

/// Formats without the GIL: `Debug` may run on any thread, at any time.
fn debug(f: &mut fmt::Formatter<'_>, kind: &str, obj: &Py<PyAny>) -> fmt::Result {
    write!(f, "{kind}({:p})", obj.as_ptr())
}

/// A Python `CatalogProviderList`.
pub struct PythonCatalogList {
    obj: Py<PyAny>,
}

impl PythonCatalogList {
    fn lookup(&self, py: Python<'_>, name: &str) -> Result<Option<Arc<dyn CatalogProvider>>> {
        let owner = self.obj.bind(py);
        let value = owner.call_method1("catalog", (name,))?;
        let call = format!("catalog({name:?})");
        returned(owner, &call, &value, CATALOG_KINDS, |v| try_catalog_provider(v, None))
    }

    fn register(
        &self,
        py: Python<'_>,
        name: &str,
        catalog: Arc<dyn CatalogProvider>,
    ) -> Result<()> {
        let arg = catalog_to_python(py, catalog, &global_tasks(py)?)?;
        self.obj.bind(py).call_method1("register_catalog", (name, arg))?;
        Ok(())
    }
}

impl fmt::Debug for PythonCatalogList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(f, "PythonCatalogList", &self.obj)
    }
}

impl CatalogProviderList for PythonCatalogList {
    fn register_catalog(
        &self,
        name: String,
        catalog: Arc<dyn CatalogProvider>,
    ) -> Option<Arc<dyn CatalogProvider>> {
        Python::attach(|py| {
            if let Err(e) = self.register(py, &name, catalog) {
                unraisable(py, &self.obj, e);
            }
            None
        })
    }

    fn catalog_names(&self) -> Vec<String> {
        Python::attach(|py| {
            names(self.obj.bind(py), "catalog_names").unwrap_or_else(|e| {
                unraisable(py, &self.obj, e);
                Vec::new()
            })
        })
    }

    fn catalog(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        Python::attach(|py| {
            self.lookup(py, name).unwrap_or_else(|e| Some(Arc::new(Raised::new(e))))
        })
    }
}

/// A Python `CatalogProvider`.
pub struct PythonCatalog {
    obj: Py<PyAny>,
}

impl PythonCatalog {
    fn lookup(&self, py: Python<'_>, name: &str) -> Result<Option<Arc<dyn SchemaProvider>>> {
        let owner = self.obj.bind(py);
        let value = owner.call_method1("schema", (name,))?;
        let call = format!("schema({name:?})");
        returned(owner, &call, &value, SCHEMA_KINDS, |v| try_schema_provider(v, None))
    }
}

impl fmt::Debug for PythonCatalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(f, "PythonCatalog", &self.obj)
    }
}

impl CatalogProvider for PythonCatalog {
    fn schema_names(&self) -> Vec<String> {
        Python::attach(|py| {
            names(self.obj.bind(py), "schema_names").unwrap_or_else(|e| {
                unraisable(py, &self.obj, e);
                Vec::new()
            })
        })
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        Python::attach(|py| {
            self.lookup(py, name).unwrap_or_else(|e| Some(Arc::new(Raised::new(e))))
        })
    }

    fn register_schema(
        &self,
        name: &str,
        schema: Arc<dyn SchemaProvider>,
    ) -> DFResult<Option<Arc<dyn SchemaProvider>>> {
        Python::attach(|py| {
            let arg = schema_to_python(py, schema, &global_tasks(py)?)?;
            self.obj.bind(py).call_method1("register_schema", (name, arg))?;
            Ok(None)
        })
        .map_err(to_datafusion)
    }

    fn deregister_schema(
        &self,
        name: &str,
        cascade: bool,
    ) -> DFResult<Option<Arc<dyn SchemaProvider>>> {
        Python::attach(|py| {
            let owner = self.obj.bind(py);
            let value = owner.call_method1("deregister_schema", (name, cascade))?;
            // The ABC's method returns None; a schema it does return is handed back as the old one.
            Ok(try_schema_provider(&value, None).ok().flatten())
        })
        .map_err(to_datafusion)
    }
}

/// A Python `SchemaProvider`.
pub struct PythonSchema {
    obj: Py<PyAny>,
    /// `owner_name()`, asked once: DataFusion borrows the answer.
    owner: PyOnceLock<Option<String>>,
}

impl PythonSchema {
    fn exists(&self, py: Python<'_>, name: &str) -> Result<bool> {
        Ok(self.obj.bind(py).call_method1("table_exist", (name,))?.is_truthy()?)
    }

    fn lookup(&self, py: Python<'_>, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let owner = self.obj.bind(py);
        let value = owner.call_method1("table", (name,))?;
        returned(owner, &format!("table({name:?})"), &value, TABLE_KINDS, try_table_provider)
    }
}

impl fmt::Debug for PythonSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(f, "PythonSchema", &self.obj)
    }
}

#[async_trait]
impl SchemaProvider for PythonSchema {
    fn owner_name(&self) -> Option<&str> {
        // PyOnceLock: two threads asking at once cannot deadlock on the GIL and the lock.
        let owner = Python::attach(|py| {
            self.owner.get_or_init(py, || {
                let obj = self.obj.bind(py);
                if !obj.hasattr("owner_name").unwrap_or(false) {
                    return None;
                }
                let found = obj.call_method0("owner_name").and_then(|v| v.extract());
                found.unwrap_or_else(|e| {
                    unraisable(py, &self.obj, e.into());
                    None
                })
            })
        });
        owner.as_deref()
    }

    fn table_names(&self) -> Vec<String> {
        Python::attach(|py| {
            names(self.obj.bind(py), "table_names").unwrap_or_else(|e| {
                unraisable(py, &self.obj, e);
                Vec::new()
            })
        })
    }

    async fn table(&self, name: &str) -> DFResult<Option<Arc<dyn TableProvider>>> {
        Python::attach(|py| self.lookup(py, name)).map_err(to_datafusion)
    }

    fn register_table(
        &self,
        name: String,
        table: Arc<dyn TableProvider>,
    ) -> DFResult<Option<Arc<dyn TableProvider>>> {
        Python::attach(|py| {
            let arg = PyTable::unowned(table);
            self.obj.bind(py).call_method1("register_table", (name, arg))?;
            Ok(None)
        })
        .map_err(to_datafusion)
    }

    fn deregister_table(&self, name: &str) -> DFResult<Option<Arc<dyn TableProvider>>> {
        Python::attach(|py| {
            let catalog = py.import("fuseplug.catalog")?;
            let value = catalog.call_method1("_deregister_table", (self.obj.bind(py), name))?;
            Ok(try_table_provider(&value).ok().flatten())
        })
        .map_err(to_datafusion)
    }

    fn table_exist(&self, name: &str) -> bool {
        Python::attach(|py| {
            self.exists(py, name).unwrap_or_else(|e| {
                unraisable(py, &self.obj, e);
                false
            })
        })
    }
}

/// A Python `TableProviderFactory`: `CREATE EXTERNAL TABLE ... STORED AS <format>` calls its
/// `create(cmd)` with a `fuseplug.expr.CreateExternalTable`.
pub struct PythonTableFactory {
    obj: Py<PyAny>,
}

impl fmt::Debug for PythonTableFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        debug(f, "PythonTableFactory", &self.obj)
    }
}

#[async_trait]
impl TableProviderFactory for PythonTableFactory {
    async fn create(
        &self,
        _state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> DFResult<Arc<dyn TableProvider>> {
        Python::attach(|py| {
            let owner = self.obj.bind(py);
            let view = crate::variant::create_external_table_view(py, cmd)?;
            let value = owner.call_method1("create", (view,))?;
            let table = returned(owner, "create(cmd)", &value, TABLE_KINDS, try_table_provider)?;
            table.ok_or_else(|| {
                Error::Type(format!(
                    "{}.create(cmd) returned None, expected {TABLE_KINDS}",
                    type_name(owner)
                ))
            })
        })
        .map_err(to_datafusion)
    }
}

/// Stands in for a catalog or schema whose lookup raised: it lists nothing, and reading a table
/// through it raises the exception, so a query fails with the provider's own error.
struct Raised {
    error: PyErr,
}

impl Raised {
    fn new(err: Error) -> Self {
        Self { error: err.into() }
    }

    fn error(&self) -> DataFusionError {
        Python::attach(|py| py_to_datafusion(self.error.clone_ref(py)))
    }
}

impl fmt::Debug for Raised {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Raised") // no GIL here: see `debug`
    }
}

impl CatalogProvider for Raised {
    fn schema_names(&self) -> Vec<String> {
        Vec::new()
    }

    fn schema(&self, _name: &str) -> Option<Arc<dyn SchemaProvider>> {
        let error = Python::attach(|py| self.error.clone_ref(py));
        Some(Arc::new(Raised { error }))
    }

    fn register_schema(
        &self,
        _name: &str,
        _schema: Arc<dyn SchemaProvider>,
    ) -> DFResult<Option<Arc<dyn SchemaProvider>>> {
        Err(self.error())
    }
}

#[async_trait]
impl SchemaProvider for Raised {
    fn table_names(&self) -> Vec<String> {
        Vec::new()
    }

    async fn table(&self, _name: &str) -> DFResult<Option<Arc<dyn TableProvider>>> {
        Err(self.error())
    }

    fn register_table(
        &self,
        _name: String,
        _table: Arc<dyn TableProvider>,
    ) -> DFResult<Option<Arc<dyn TableProvider>>> {
        Err(self.error())
    }

    fn table_exist(&self, _name: &str) -> bool {
        false
    }
}
