//! Reading the capsules a host hands a plugin: its task-context provider, its extension codecs and
//! the query planner a planner hook is given to delegate to.

use std::sync::Arc;

use datafusion::execution::context::QueryPlanner;
use datafusion_ffi::execution::FFI_TaskContextProvider;
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi::proto::physical_extension_codec::FFI_PhysicalExtensionCodec;
use datafusion_ffi::query_planner::FFI_QueryPlanner;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::guard::checked_pointer;
use crate::names::{PHYSICAL_EXTENSION_CODEC, QUERY_PLANNER};
use crate::version::datafusion_major;

fn capsule<'py>(obj: &Bound<'py, PyAny>, dunder: &str) -> PyResult<Bound<'py, PyCapsule>> {
    if let Ok(capsule) = obj.cast::<PyCapsule>() {
        return Ok(capsule.clone());
    }
    let produced = obj.call_method0(dunder)?;
    produced
        .cast_into::<PyCapsule>()
        .map_err(|_| PyTypeError::new_err(format!("{dunder}() did not return a PyCapsule")))
}

/// The host's task-context provider, from its session object (`__datafusion_task_context_provider__`)
/// or the capsule itself. Checked like every import: name and DataFusion major.
pub fn task_context_provider(session: &Bound<'_, PyAny>) -> PyResult<FFI_TaskContextProvider> {
    let capsule = capsule(session, "__datafusion_task_context_provider__")?;
    let ffi =
        checked_pointer::<FFI_TaskContextProvider>(&capsule, c"datafusion_task_context_provider")
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
    // SAFETY: checked; cloning runs the host's clone function.
    Ok(unsafe { ffi.as_ref() }.clone())
}

/// The host's logical codec, from a session object (`__datafusion_logical_extension_codec__`) or the
/// raw capsule (what catalog, schema and factory dunders receive).
pub fn logical_codec(session: &Bound<'_, PyAny>) -> PyResult<FFI_LogicalExtensionCodec> {
    let capsule = capsule(session, "__datafusion_logical_extension_codec__")?;
    let ffi = checked_pointer::<FFI_LogicalExtensionCodec>(
        &capsule,
        c"datafusion_logical_extension_codec",
    )
    .map_err(|e| PyValueError::new_err(e.to_string()))?;
    // SAFETY: checked; cloning runs the host's clone function.
    Ok(unsafe { ffi.as_ref() }.clone())
}

/// The host's physical codec, from a session object (`__datafusion_physical_extension_codec__`) or
/// the raw capsule.
pub fn physical_codec(session: &Bound<'_, PyAny>) -> PyResult<FFI_PhysicalExtensionCodec> {
    let capsule = capsule(session, "__datafusion_physical_extension_codec__")?;
    let ffi = checked_pointer::<FFI_PhysicalExtensionCodec>(&capsule, PHYSICAL_EXTENSION_CODEC)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    // SAFETY: checked; cloning runs the host's clone function.
    Ok(unsafe { ffi.as_ref() }.clone())
}

/// A query planner handed over as a `datafusion_query_planner` capsule (or an object whose
/// `__datafusion_query_planner__()` returns one): typically the fallback a host gives a planner
/// hook, which the plugin's own planner delegates to. Checked like every import: name, producer
/// major, then the struct's own `version`.
pub fn query_planner(planner: &Bound<'_, PyAny>) -> PyResult<Arc<dyn QueryPlanner + Send + Sync>> {
    let capsule = capsule(planner, "__datafusion_query_planner__")?;
    let ffi = checked_pointer::<FFI_QueryPlanner>(&capsule, QUERY_PLANNER)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    // SAFETY: checked: the producer is of our major (or of unknown major), so the struct has our
    // layout and `version` is where we read it.
    let ffi = unsafe { ffi.as_ref() };
    let theirs = unsafe { (ffi.version)() };
    if theirs != datafusion_major() {
        return Err(PyValueError::new_err(format!(
            "the query planner reports DataFusion {theirs}, but this library is built on \
             DataFusion {}",
            datafusion_major()
        )));
    }
    // Runs the producer's clone function; a planner of this very library comes back unwrapped.
    Ok(ffi.into())
}
