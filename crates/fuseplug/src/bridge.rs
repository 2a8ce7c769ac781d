//! Plugins built on DataFusion 54, served through the `fuseplug-bridge54` wheel.
//!
//! When the version guard refuses a plugin because it is built on DataFusion 54, and the bridge is
//! installed (`pip install 'fuseplug[bridge54]'`), the plugin object (or its bare capsule) is handed
//! to `fuseplug_bridge54.adapt`. The bridge returns an object whose dunder publishes a DataFusion 55
//! capsule; that capsule is read only if it comes from the bridge's own library (which links both
//! majors, so the guard's file evidence alone would call its major undetermined). Without the bridge,
//! or for a kind it does not adapt, the plugin is refused as before, and the error says what to install.

use std::ffi::CStr;
use std::path::{Path, PathBuf};

use fuseplug_capsule::guard::{CapsuleError, capsule_name, producer_library};
use pyo3::exceptions::PyModuleNotFoundError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::capsule::{chained, describe, plugin_error, returned_capsule};
use crate::errors::{Error, Result, fuseplug_exception};

/// The bridge's Python package.
pub const MODULE: &str = "fuseplug_bridge54";
/// The DataFusion major the bridge serves plugins of.
pub const BRIDGED_MAJOR: u64 = 54;
/// Set to `1` to refuse DataFusion 54 plugins even with the bridge installed.
pub const DISABLE_ENV: &str = "FUSEPLUG_DISABLE_BRIDGE";
/// What the refusal of a DataFusion 54 plugin tells the user to run.
pub const INSTALL: &str = "pip install 'fuseplug[bridge54]'";

fn disabled() -> bool {
    std::env::var(DISABLE_ENV).is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

fn refuse(py: Python<'_>, refused: &CapsuleError, why: &str) -> Error {
    Error::Python(fuseplug_exception(py, "IncompatiblePluginError", format!("{refused}. {why}")))
}

/// Serves `obj` (a plugin object, or a capsule) through the bridge when `refused` says it is built on
/// DataFusion 54, then hands the adapted 55 struct to `convert`; otherwise refuses it with `refused`.
pub(crate) fn with_bridged<T, R>(
    obj: &Bound<'_, PyAny>,
    dunder: &str,
    arg: Option<&Bound<'_, PyAny>>,
    name: &CStr,
    refused: CapsuleError,
    convert: impl FnOnce(&T) -> Result<R>,
) -> Result<R> {
    let py = obj.py();
    if !matches!(refused, CapsuleError::IncompatibleMajor { producer: BRIDGED_MAJOR, .. }) {
        return Err(plugin_error(py, refused));
    }
    if disabled() {
        return Err(refuse(
            py,
            &refused,
            &format!(
                "The DataFusion {BRIDGED_MAJOR} bridge is turned off by {DISABLE_ENV}; unset it to \
                 serve this plugin through the bridge ({INSTALL})"
            ),
        ));
    }
    let module = match py.import(MODULE) {
        Ok(module) => module,
        Err(e) if e.is_instance_of::<PyModuleNotFoundError>(py) => {
            return Err(refuse(
                py,
                &refused,
                &format!(
                    "To serve plugins built on DataFusion {BRIDGED_MAJOR} in this host, install the \
                     bridge: {INSTALL}"
                ),
            ));
        }
        Err(e) => {
            let message = format!("the {MODULE} bridge cannot be imported: {}", describe(py, &e));
            return Err(chained(py, message, e));
        }
    };
    let kind = name.to_string_lossy();
    let kind = kind.strip_prefix("datafusion_").unwrap_or(&kind).to_string();
    let kinds: Vec<String> = module.getattr("KINDS")?.extract()?;
    if !kinds.contains(&kind) {
        return Err(refuse(
            py,
            &refused,
            &format!(
                "The DataFusion {BRIDGED_MAJOR} bridge ({MODULE}) does not serve {kind} objects yet \
                 (it serves: {})",
                kinds.join(", ")
            ),
        ));
    }
    let bridged = module.call_method1("adapt", (obj, &kind)).map_err(|e| {
        let message = format!(
            "the DataFusion {BRIDGED_MAJOR} bridge could not adapt this {kind}: {}",
            describe(py, &e)
        );
        chained(py, message, e)
    })?;
    let produced = match arg {
        Some(arg) => bridged.call_method1(dunder, (arg,)),
        None => bridged.call_method0(dunder),
    }
    .map_err(|e| chained(py, format!("the bridge's {dunder} raised {}", describe(py, &e)), e))?;
    let capsule = returned_capsule(produced, dunder)?;
    let library: PathBuf = module.getattr("LIBRARY")?.extract()?;
    let ffi = bridge_pointer::<T>(&capsule, name, &library)?;
    // SAFETY: the capsule is named `name` and was made by the bridge's library, whose DataFusion 55
    // side exports `T` with this host's layout; `capsule` keeps it alive during `convert`.
    convert(unsafe { &*ffi })
}

/// The struct inside `capsule`, after checking its name and that the bridge `library` made it.
fn bridge_pointer<T>(
    capsule: &Bound<'_, PyCapsule>,
    name: &CStr,
    library: &Path,
) -> Result<*const T> {
    let py = capsule.py();
    let expected = name.to_string_lossy();
    let found = capsule_name(capsule);
    let from_bridge = producer_library(capsule).is_some_and(|p| same_file(&p, library));
    if found.as_deref() != Some(&*expected) || !from_bridge {
        return Err(Error::Python(fuseplug_exception(
            py,
            "PluginError",
            format!(
                "the DataFusion {BRIDGED_MAJOR} bridge returned a capsule named {found:?} that is not \
                 a {expected:?} capsule of its own library {}",
                library.display()
            ),
        )));
    }
    // SAFETY: the name matched, so this is the pointer the bridge stored under it.
    let pointer = unsafe { pyo3::ffi::PyCapsule_GetPointer(capsule.as_ptr(), name.as_ptr()) };
    if pointer.is_null() {
        let _ = PyErr::take(py);
        return Err(plugin_error(py, CapsuleError::NullPointer { name: expected.into_owned() }));
    }
    Ok(pointer.cast::<T>())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
