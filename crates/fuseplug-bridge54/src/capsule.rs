//! Taking in a plugin's DataFusion 54 capsule and handing out DataFusion 55 ones.
//!
//! [`adapt`] reads the 54 struct only after checking that the capsule's producer library is built on
//! DataFusion 54 (the same file evidence fuseplug's guard reads), then returns a `Bridged*` object
//! whose dunder exports the adapted object with datafusion-ffi 55, exactly as a 55 plugin would.

use std::ffi::CStr;
use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion_ffi::table_provider::FFI_TableProvider;
use datafusion_ffi::udaf::FFI_AggregateUDF;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi54::table_provider::FFI_TableProvider as FFI_TableProvider54;
use datafusion_ffi54::udaf::FFI_AggregateUDF as FFI_AggregateUDF54;
use datafusion_ffi54::udf::FFI_ScalarUDF as FFI_ScalarUDF54;
use fuseplug_capsule::guard::{Verdict, capsule_name, producer_library, verdict};
use fuseplug_capsule::signals::library_signals;
use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::session::Session54;
use crate::table::Table54;
use crate::udaf::AggregateUdf54;
use crate::udf::ScalarUdf54;

/// The DataFusion major of the plugins this bridge adapts.
pub const PLUGIN_MAJOR: u64 = 54;

const TABLE_PROVIDER: &CStr = c"datafusion_table_provider";
const SCALAR_UDF: &CStr = c"datafusion_scalar_udf";
const AGGREGATE_UDF: &CStr = c"datafusion_aggregate_udf";

/// The kinds [`adapt`] bridges. Other kinds raise `NotImplementedError`.
const KINDS: &[&str] = &["table_provider", "scalar_udf", "aggregate_udf"];

/// The kinds of object this bridge adapts (`"table_provider"`, `"scalar_udf"`, ...).
#[pyfunction]
pub fn kinds() -> Vec<&'static str> {
    KINDS.to_vec()
}

/// Adapts a DataFusion 54 plugin object (or its bare capsule) of `kind` to DataFusion 55.
///
/// Returns an object with the 55 dunder of that kind. A table provider's 54 dunder is called once,
/// here, with the bridge's own 54 session ([`Session54`]).
#[pyfunction]
pub fn adapt<'py>(obj: &Bound<'py, PyAny>, kind: &str) -> PyResult<Bound<'py, PyAny>> {
    let py = obj.py();
    match kind {
        "table_provider" => {
            let session = Bound::new(py, Session54)?;
            let capsule = capsule_of(obj, "__datafusion_table_provider__", Some(session.as_any()))?;
            let table = with_54_struct(&capsule, TABLE_PROVIDER, |ffi: &FFI_TableProvider54| {
                check_version("table provider", ffi.version)?;
                Ok(ffi.into())
            })?;
            let table = Table54::new(table).map_err(|e| PyValueError::new_err(e.to_string()))?;
            Ok(Bound::new(py, BridgedTable { table: Arc::new(table) })?.into_any())
        }
        "scalar_udf" => {
            let capsule = capsule_of(obj, "__datafusion_scalar_udf__", None)?;
            let udf = with_54_struct(&capsule, SCALAR_UDF, |ffi: &FFI_ScalarUDF54| Ok(ffi.into()))?;
            let udf = ScalarUdf54::new(udf).map_err(|e| PyValueError::new_err(e.to_string()))?;
            let udf = Arc::new(ScalarUDF::new_from_impl(udf));
            Ok(Bound::new(py, BridgedScalarUDF { udf })?.into_any())
        }
        "aggregate_udf" => {
            let capsule = capsule_of(obj, "__datafusion_aggregate_udf__", None)?;
            let udf =
                with_54_struct(&capsule, AGGREGATE_UDF, |ffi: &FFI_AggregateUDF54| Ok(ffi.into()))?;
            let udf = Arc::new(AggregateUDF::new_from_impl(AggregateUdf54::new(udf)));
            Ok(Bound::new(py, BridgedAggregateUDF { udf })?.into_any())
        }
        other => Err(PyNotImplementedError::new_err(format!(
            "the DataFusion {PLUGIN_MAJOR} bridge does not adapt {other} objects yet (it adapts: {})",
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

/// A DataFusion 54 table provider, served with datafusion-ffi 55.
#[pyclass(frozen, name = "BridgedTable", module = "fuseplug_bridge54")]
pub struct BridgedTable {
    table: Arc<Table54>,
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
        let codec = fuseplug_capsule::import::logical_codec(session)?;
        let runtime = fuseplug_capsule::runtime::try_handle()
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let table = Arc::clone(&self.table) as Arc<dyn datafusion::datasource::TableProvider>;
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
    udf: Arc<ScalarUDF>,
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
    udf: Arc<AggregateUDF>,
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
