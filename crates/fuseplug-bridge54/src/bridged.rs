//! What [`crate::capsule::adapt`] returns: one Python class per kind, whose dunder publishes the
//! adapted object with datafusion-ffi 55, exactly as a DataFusion 55 plugin would.

use std::ffi::CStr;
use std::sync::Arc;

use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, SchemaProvider, TableFunctionImpl,
};
use datafusion::datasource::TableProvider;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use datafusion_ffi::catalog_provider::FFI_CatalogProvider;
use datafusion_ffi::catalog_provider_list::FFI_CatalogProviderList;
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi::schema_provider::FFI_SchemaProvider;
use datafusion_ffi::table_provider::FFI_TableProvider;
use datafusion_ffi::udaf::FFI_AggregateUDF;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udtf::FFI_TableFunction;
use datafusion_ffi::udwf::FFI_WindowUDF;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use tokio::runtime::Handle;

use crate::catalog::{Catalog54, CatalogList54, Schema54};
use crate::table::Table54;
use crate::udtf::TableFunction54;

pub const TABLE_PROVIDER: &CStr = c"datafusion_table_provider";
pub const SCALAR_UDF: &CStr = c"datafusion_scalar_udf";
pub const AGGREGATE_UDF: &CStr = c"datafusion_aggregate_udf";
pub const WINDOW_UDF: &CStr = c"datafusion_window_udf";
pub const TABLE_FUNCTION: &CStr = c"datafusion_table_function";
pub const CATALOG_PROVIDER: &CStr = c"datafusion_catalog_provider";
pub const SCHEMA_PROVIDER: &CStr = c"datafusion_schema_provider";
pub const CATALOG_PROVIDER_LIST: &CStr = c"datafusion_catalog_provider_list";

/// The host's logical codec (from its session object or raw codec capsule) and the bridge's runtime:
/// what a 55 struct that plans or decodes on the host's behalf is exported with.
fn host_codec(session: &Bound<'_, PyAny>) -> PyResult<(FFI_LogicalExtensionCodec, Handle)> {
    let codec = fuseplug_capsule::import::logical_codec(session)?;
    let runtime = fuseplug_capsule::runtime::try_handle()
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    Ok((codec, runtime))
}

/// A DataFusion 54 table provider, served with datafusion-ffi 55.
#[pyclass(frozen, name = "BridgedTable", module = "fuseplug_bridge54")]
pub struct BridgedTable {
    pub table: Arc<Table54>,
}

#[pymethods]
impl BridgedTable {
    /// A DataFusion 55 `datafusion_table_provider` capsule; `session` is the 55 host's session
    /// (its logical codec encodes the filters the host pushes down).
    fn __datafusion_table_provider__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let (codec, runtime) = host_codec(session)?;
        let table = Arc::clone(&self.table) as Arc<dyn TableProvider>;
        let ffi = FFI_TableProvider::new_with_ffi_codec(table, true, Some(runtime), codec);
        PyCapsule::new_with_value(py, ffi, TABLE_PROVIDER)
    }

    fn __repr__(&self) -> String {
        format!("BridgedTable({:?})", self.table)
    }
}

/// A DataFusion 54 scalar UDF, served with datafusion-ffi 55.
#[pyclass(frozen, name = "BridgedScalarUDF", module = "fuseplug_bridge54")]
pub struct BridgedScalarUDF {
    pub udf: Arc<ScalarUDF>,
}

#[pymethods]
impl BridgedScalarUDF {
    /// A DataFusion 55 `datafusion_scalar_udf` capsule.
    fn __datafusion_scalar_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let ffi = FFI_ScalarUDF::from(Arc::clone(&self.udf));
        PyCapsule::new_with_value(py, ffi, SCALAR_UDF)
    }

    /// The function's name.
    #[getter]
    fn name(&self) -> String {
        self.udf.name().to_string()
    }

    fn __repr__(&self) -> String {
        format!("BridgedScalarUDF({})", self.udf.name())
    }
}

/// A DataFusion 54 aggregate UDF, served with datafusion-ffi 55.
#[pyclass(frozen, name = "BridgedAggregateUDF", module = "fuseplug_bridge54")]
pub struct BridgedAggregateUDF {
    pub udf: Arc<AggregateUDF>,
}

#[pymethods]
impl BridgedAggregateUDF {
    /// A DataFusion 55 `datafusion_aggregate_udf` capsule.
    fn __datafusion_aggregate_udf__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let ffi = FFI_AggregateUDF::from(Arc::clone(&self.udf));
        PyCapsule::new_with_value(py, ffi, AGGREGATE_UDF)
    }

    /// The function's name.
    #[getter]
    fn name(&self) -> String {
        self.udf.name().to_string()
    }

    fn __repr__(&self) -> String {
        format!("BridgedAggregateUDF({})", self.udf.name())
    }
}

/// A DataFusion 54 window UDF, served with datafusion-ffi 55.
#[pyclass(frozen, name = "BridgedWindowUDF", module = "fuseplug_bridge54")]
pub struct BridgedWindowUDF {
    pub udf: Arc<WindowUDF>,
}

#[pymethods]
impl BridgedWindowUDF {
    /// A DataFusion 55 `datafusion_window_udf` capsule.
    fn __datafusion_window_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let ffi = FFI_WindowUDF::from(Arc::clone(&self.udf));
        PyCapsule::new_with_value(py, ffi, WINDOW_UDF)
    }

    /// The function's name.
    #[getter]
    fn name(&self) -> String {
        self.udf.name().to_string()
    }

    fn __repr__(&self) -> String {
        format!("BridgedWindowUDF({})", self.udf.name())
    }
}

/// A DataFusion 54 table function, served with datafusion-ffi 55.
#[pyclass(frozen, name = "BridgedTableFunction", module = "fuseplug_bridge54")]
pub struct BridgedTableFunction {
    pub function: Arc<TableFunction54>,
}

#[pymethods]
impl BridgedTableFunction {
    /// A DataFusion 55 `datafusion_table_function` capsule; `session` is the 55 host's session.
    fn __datafusion_table_function__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let (codec, runtime) = host_codec(session)?;
        let function = Arc::clone(&self.function) as Arc<dyn TableFunctionImpl>;
        let ffi = FFI_TableFunction::new_with_ffi_codec(function, Some(runtime), codec);
        PyCapsule::new_with_value(py, ffi, TABLE_FUNCTION)
    }

    fn __repr__(&self) -> String {
        format!("BridgedTableFunction({:?})", self.function)
    }
}

/// A DataFusion 54 catalog, served with datafusion-ffi 55.
#[pyclass(frozen, name = "BridgedCatalog", module = "fuseplug_bridge54")]
pub struct BridgedCatalog {
    pub catalog: Arc<Catalog54>,
}

#[pymethods]
impl BridgedCatalog {
    /// A DataFusion 55 `datafusion_catalog_provider` capsule; `codec` is the host's raw logical
    /// codec capsule (or its session).
    fn __datafusion_catalog_provider__<'py>(
        &self,
        py: Python<'py>,
        codec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let (codec, runtime) = host_codec(codec)?;
        let catalog = Arc::clone(&self.catalog) as Arc<dyn CatalogProvider>;
        let ffi = FFI_CatalogProvider::new_with_ffi_codec(catalog, Some(runtime), codec);
        PyCapsule::new_with_value(py, ffi, CATALOG_PROVIDER)
    }

    /// The names of its schemas.
    fn schema_names(&self) -> Vec<String> {
        self.catalog.schema_names()
    }

    fn __repr__(&self) -> String {
        format!("BridgedCatalog({:?})", self.catalog.schema_names())
    }
}

/// A DataFusion 54 schema, served with datafusion-ffi 55.
#[pyclass(frozen, name = "BridgedSchema", module = "fuseplug_bridge54")]
pub struct BridgedSchema {
    pub schema: Arc<Schema54>,
}

#[pymethods]
impl BridgedSchema {
    /// A DataFusion 55 `datafusion_schema_provider` capsule; `codec` is the host's raw logical
    /// codec capsule (or its session).
    fn __datafusion_schema_provider__<'py>(
        &self,
        py: Python<'py>,
        codec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let (codec, runtime) = host_codec(codec)?;
        let schema = Arc::clone(&self.schema) as Arc<dyn SchemaProvider>;
        let ffi = FFI_SchemaProvider::new_with_ffi_codec(schema, Some(runtime), codec);
        PyCapsule::new_with_value(py, ffi, SCHEMA_PROVIDER)
    }

    /// The names of its tables.
    fn table_names(&self) -> Vec<String> {
        self.schema.table_names()
    }

    fn __repr__(&self) -> String {
        format!("BridgedSchema({:?})", self.schema.table_names())
    }
}

/// A DataFusion 54 list of catalogs, served with datafusion-ffi 55.
#[pyclass(frozen, name = "BridgedCatalogList", module = "fuseplug_bridge54")]
pub struct BridgedCatalogList {
    pub list: Arc<CatalogList54>,
}

#[pymethods]
impl BridgedCatalogList {
    /// A DataFusion 55 `datafusion_catalog_provider_list` capsule; `codec` is the host's raw
    /// logical codec capsule (or its session).
    fn __datafusion_catalog_provider_list__<'py>(
        &self,
        py: Python<'py>,
        codec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let (codec, runtime) = host_codec(codec)?;
        let list = Arc::clone(&self.list) as Arc<dyn CatalogProviderList>;
        let ffi = FFI_CatalogProviderList::new_with_ffi_codec(list, Some(runtime), codec);
        PyCapsule::new_with_value(py, ffi, CATALOG_PROVIDER_LIST)
    }

    /// The names of its catalogs.
    fn catalog_names(&self) -> Vec<String> {
        self.list.catalog_names()
    }

    fn __repr__(&self) -> String {
        format!("BridgedCatalogList({:?})", self.list.catalog_names())
    }
}
