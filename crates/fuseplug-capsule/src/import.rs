//! Reading the capsules a host hands a plugin: its task-context provider and its logical codec.

use datafusion_ffi::execution::FFI_TaskContextProvider;
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::guard::checked_pointer;

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
