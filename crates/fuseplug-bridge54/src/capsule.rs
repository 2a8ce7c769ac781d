//! Taking in a plugin's DataFusion 54 capsule and handing out DataFusion 55 ones.
//!
//! [`adapt`] reads the 54 struct only after checking that the capsule's producer library is built on
//! DataFusion 54 (the same file evidence fuseplug's guard reads), then returns a `Bridged*` object
//! whose dunder exports the adapted object with datafusion-ffi 55, exactly as a 55 plugin would.

use std::ffi::CStr;
use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use datafusion_ffi54::catalog_provider::FFI_CatalogProvider as FFI_CatalogProvider54;
use datafusion_ffi54::catalog_provider_list::FFI_CatalogProviderList as FFI_CatalogProviderList54;
use datafusion_ffi54::schema_provider::FFI_SchemaProvider as FFI_SchemaProvider54;
use datafusion_ffi54::table_provider::FFI_TableProvider as FFI_TableProvider54;
use datafusion_ffi54::udaf::FFI_AggregateUDF as FFI_AggregateUDF54;
use datafusion_ffi54::udf::FFI_ScalarUDF as FFI_ScalarUDF54;
use datafusion_ffi54::udtf::FFI_TableFunction as FFI_TableFunction54;
use datafusion_ffi54::udwf::FFI_WindowUDF as FFI_WindowUDF54;
use datafusion54::catalog::{
    CatalogProvider as CatalogProvider54, CatalogProviderList as CatalogProviderList54,
    SchemaProvider as SchemaProvider54, TableFunctionImpl as TableFunctionImpl54,
};
use datafusion54::logical_expr::WindowUDFImpl as WindowUDFImpl54;
use fuseplug_capsule::guard::{Verdict, capsule_name, producer_library, verdict};
use fuseplug_capsule::signals::library_signals;
use pyo3::exceptions::{PyNotImplementedError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::bridged::*;
use crate::catalog::{Catalog54, CatalogList54, Schema54};
use crate::session::{self, Session54};
use crate::table::Table54;
use crate::udaf::AggregateUdf54;
use crate::udf::ScalarUdf54;
use crate::udtf::TableFunction54;
use crate::window::WindowUdf54;

/// The DataFusion major of the plugins this bridge adapts.
pub const PLUGIN_MAJOR: u64 = 54;

/// The kinds [`adapt`] bridges (capsule names without `datafusion_`). Other kinds raise
/// `NotImplementedError`.
const KINDS: &[&str] = &[
    "table_provider",
    "scalar_udf",
    "aggregate_udf",
    "window_udf",
    "table_function",
    "catalog_provider",
    "schema_provider",
    "catalog_provider_list",
];

/// The kinds of object this bridge adapts (`"table_provider"`, `"scalar_udf"`, ...).
#[pyfunction]
pub fn kinds() -> Vec<&'static str> {
    KINDS.to_vec()
}

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Adapts a DataFusion 54 plugin object (or its bare capsule) of `kind` to DataFusion 55.
///
/// Returns an object with the 55 dunder of that kind. A dunder that takes a host is called once,
/// here, with the bridge's own DataFusion 54 one: table providers and table functions get its
/// session ([`Session54`]); catalogs, schemas and catalog lists get its raw logical codec capsule,
/// as the official host hands them.
#[pyfunction]
pub fn adapt<'py>(obj: &Bound<'py, PyAny>, kind: &str) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    let session = || Bound::new(py, Session54).map(Bound::into_any);
    let codec = || -> PyResult<Bound<'py, PyAny>> {
        let codec = session::logical_codec()?;
        Ok(PyCapsule::new_with_value(py, codec, c"datafusion_logical_extension_codec")?.into_any())
    };
    match kind {
        "table_provider" => {
            let capsule = capsule_of(obj, "__datafusion_table_provider__", Some(&session()?))?;
            let table = with_54_struct(&capsule, TABLE_PROVIDER, |ffi: &FFI_TableProvider54| {
                check_version("table provider", ffi.version)?;
                Ok(ffi.into())
            })?;
            let table = Arc::new(Table54::new(table).map_err(value_error)?);
            Ok(Bound::new(py, BridgedTable { table })?.into_any())
        }
        "scalar_udf" => {
            let capsule = capsule_of(obj, "__datafusion_scalar_udf__", None)?;
            let udf = with_54_struct(&capsule, SCALAR_UDF, |ffi: &FFI_ScalarUDF54| Ok(ffi.into()))?;
            let udf = Arc::new(ScalarUDF::new_from_impl(ScalarUdf54::new(udf)));
            Ok(Bound::new(py, BridgedScalarUDF { udf })?.into_any())
        }
        "aggregate_udf" => {
            let capsule = capsule_of(obj, "__datafusion_aggregate_udf__", None)?;
            let udf =
                with_54_struct(&capsule, AGGREGATE_UDF, |ffi: &FFI_AggregateUDF54| Ok(ffi.into()))?;
            let udf = Arc::new(AggregateUDF::new_from_impl(AggregateUdf54::new(udf)));
            Ok(Bound::new(py, BridgedAggregateUDF { udf })?.into_any())
        }
        "window_udf" => {
            let capsule = capsule_of(obj, "__datafusion_window_udf__", None)?;
            let udf = with_54_struct(&capsule, WINDOW_UDF, |ffi: &FFI_WindowUDF54| {
                Ok(Arc::<dyn WindowUDFImpl54>::from(ffi))
            })?;
            let udf = Arc::new(WindowUDF::new_from_impl(WindowUdf54::new(udf)));
            Ok(Bound::new(py, BridgedWindowUDF { udf })?.into_any())
        }
        "table_function" => {
            let capsule = capsule_of(obj, "__datafusion_table_function__", Some(&session()?))?;
            let function =
                with_54_struct(&capsule, TABLE_FUNCTION, |ffi: &FFI_TableFunction54| {
                    Ok(Arc::<dyn TableFunctionImpl54>::from(ffi.clone()))
                })?;
            let function = Arc::new(TableFunction54::new(function));
            Ok(Bound::new(py, BridgedTableFunction { function })?.into_any())
        }
        "catalog_provider" => {
            let capsule = capsule_of(obj, "__datafusion_catalog_provider__", Some(&codec()?))?;
            let catalog =
                with_54_struct(&capsule, CATALOG_PROVIDER, |ffi: &FFI_CatalogProvider54| {
                    check_version("catalog provider", ffi.version)?;
                    Ok(Arc::<dyn CatalogProvider54>::from(ffi))
                })?;
            let catalog = Arc::new(Catalog54::new(catalog));
            Ok(Bound::new(py, BridgedCatalog { catalog })?.into_any())
        }
        "schema_provider" => {
            let capsule = capsule_of(obj, "__datafusion_schema_provider__", Some(&codec()?))?;
            let schema =
                with_54_struct(&capsule, SCHEMA_PROVIDER, |ffi: &FFI_SchemaProvider54| {
                    check_version("schema provider", ffi.version)?;
                    Ok(Arc::<dyn SchemaProvider54>::from(ffi))
                })?;
            let schema = Arc::new(Schema54::new(schema));
            Ok(Bound::new(py, BridgedSchema { schema })?.into_any())
        }
        "catalog_provider_list" => {
            let dunder = "__datafusion_catalog_provider_list__";
            let capsule = capsule_of(obj, dunder, Some(&codec()?))?;
            let list = with_54_struct(
                &capsule,
                CATALOG_PROVIDER_LIST,
                |ffi: &FFI_CatalogProviderList54| {
                    check_version("catalog provider list", ffi.version)?;
                    Ok(Arc::<dyn CatalogProviderList54>::from(ffi))
                },
            )?;
            let list = Arc::new(CatalogList54::new(list));
            Ok(Bound::new(py, BridgedCatalogList { list })?.into_any())
        }
        other => Err(PyNotImplementedError::new_err(format!(
            "the DataFusion {PLUGIN_MAJOR} bridge does not adapt {other} objects (it adapts: {})",
            KINDS.join(", ")
        ))),
    }
}

/// `obj` itself when it is a capsule, else what its `dunder` returns (called with `arg`).
fn capsule_of<'py>(
    obj: &Bound<'py, PyAny>,
    dunder: &str,
    arg: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyCapsule>> {
    if let Ok(capsule) = obj.cast::<PyCapsule>() {
        return Ok(capsule.clone());
    }
    let method = obj.getattr(dunder).map_err(|_| {
        let type_name = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!("{type_name} has no {dunder} method and is not a capsule"))
    })?;
    let produced = match arg {
        Some(arg) => method.call1((arg,))?,
        None => method.call0()?,
    };
    produced.cast_into::<PyCapsule>().map_err(|e| {
        let got = e.into_inner();
        let type_name = got.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        PyTypeError::new_err(format!("{dunder} returned a {type_name}, not a PyCapsule"))
    })
}

/// Checks that `capsule` is named `name` and made by a library built on DataFusion 54, then hands
/// the 54 struct inside to `convert` while the capsule keeps it alive.
fn with_54_struct<T, R>(
    capsule: &Bound<'_, PyCapsule>,
    name: &CStr,
    convert: impl FnOnce(&T) -> PyResult<R>,
) -> PyResult<R> {
    let expected = name.to_string_lossy();
    let found = capsule_name(capsule);
    if found.as_deref() != Some(&*expected) {
        return Err(PyValueError::new_err(format!(
            "expected a capsule named {expected:?}, got {}",
            found.map(|f| format!("one named {f:?}")).unwrap_or_else(|| "an unnamed one".into())
        )));
    }
    let Some(library) = producer_library(capsule) else {
        return Err(PyValueError::new_err(format!(
            "capsule {expected:?} has no destructor in a loaded library, so its DataFusion major \
             cannot be checked: the bridge only reads capsules of DataFusion {PLUGIN_MAJOR} libraries"
        )));
    };
    match verdict(&library_signals(&library), PLUGIN_MAJOR) {
        Verdict::Ours => {}
        Verdict::Foreign(major) => {
            return Err(PyValueError::new_err(format!(
                "capsule {expected:?} comes from {} which is built on DataFusion {major}; the \
                 bridge only adapts DataFusion {PLUGIN_MAJOR} plugins",
                library.display()
            )));
        }
        Verdict::Unknown(why) => {
            return Err(PyValueError::new_err(format!(
                "capsule {expected:?} comes from {}, whose DataFusion major could not be \
                 determined ({why}); the bridge only adapts DataFusion {PLUGIN_MAJOR} plugins",
                library.display()
            )));
        }
    }
    // SAFETY: the name matched, so this is the pointer the producer stored under it.
    let pointer = unsafe { pyo3::ffi::PyCapsule_GetPointer(capsule.as_ptr(), name.as_ptr()) };
    if pointer.is_null() {
        let _ = PyErr::take(capsule.py());
        return Err(PyValueError::new_err(format!("capsule {expected:?} holds a null pointer")));
    }
    // SAFETY: the producer is built on DataFusion 54, so the struct has datafusion-ffi 54's layout;
    // `capsule` keeps it alive during `convert`.
    convert(unsafe { &*pointer.cast::<T>() })
}

fn check_version(kind: &str, version: unsafe extern "C" fn() -> u64) -> PyResult<()> {
    // SAFETY: the producer library is built on DataFusion 54: the field is where 54's layout says.
    let theirs = unsafe { version() };
    if theirs != PLUGIN_MAJOR {
        return Err(PyValueError::new_err(format!(
            "the {kind} reports DataFusion {theirs}; the bridge only adapts DataFusion {PLUGIN_MAJOR}"
        )));
    }
    Ok(())
}
