//! Plans that travel: the Python codec layers that sit in front of each session's plugin codec chain
//! (`crate::codec`) and encode what only this host knows — Python UDFs inline (cloudpickle),
//! native-extension functions by identity, in-memory tables as Arrow IPC — plus the entry points
//! that `to_bytes` / `from_bytes` of plans and expressions go through.
//!
//! Every failure while encoding or decoding reaches Python as `fuseplug.exceptions.SerializationError`.
//! DataFusion's protobuf layer flattens the errors a codec returns into strings, so each codec layer
//! also records its own first failure (with the Python exception behind it, if any) in the call's
//! [`Env`], and that is what the user sees.

mod api;
mod codec;
mod frame;
mod ipc_check;
pub use fuseplug_engine::options;
mod precheck;
mod python_udf;
mod table;

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use fuseplug_capsule::panic::panic_error;
use pyo3::prelude::*;

pub use api::*;
pub use codec::{FunctionRef, PythonLogicalCodec, PythonPhysicalCodec, own_function_payload};

use crate::errors::{Error, fuseplug_exception};

/// What one encode or decode runs with: the session's settings and the first failure seen.
pub struct Env {
    /// Whether Python UDFs travel inline and inline payloads (and native libraries) may be decoded.
    /// `SessionContext.with_python_udf_inlining(enabled=False)` turns it off.
    pub inline_python: bool,
    /// The session whose codecs these are (for its options, and to load native extensions into).
    pub session: Option<Arc<SessionContext>>,
    failure: Mutex<Option<Failure>>,
}

/// A codec layer's own account of why it failed.
pub struct Failure {
    pub message: String,
    pub cause: Option<PyErr>,
}

impl Env {
    pub fn new(inline_python: bool, session: Option<Arc<SessionContext>>) -> Arc<Self> {
        Arc::new(Self { inline_python, session, failure: Mutex::new(None) })
    }

    /// Records a failure (the first one wins) and returns the error the codec hands DataFusion.
    pub fn fail(&self, message: String, cause: Option<PyErr>) -> DataFusionError {
        let error = DataFusionError::Plan(message.clone());
        if let Ok(mut slot) = self.failure.lock() {
            slot.get_or_insert(Failure { message, cause });
        }
        error
    }

    fn take_failure(&self) -> Option<Failure> {
        self.failure.lock().ok().and_then(|mut slot| slot.take())
    }

    /// The inline-table limit of the session (or the default without one).
    pub fn max_inline_table_bytes(&self) -> usize {
        self.session
            .as_deref()
            .map_or(options::DEFAULT_MAX_INLINE_TABLE_BYTES, options::max_inline_table_bytes)
    }

    /// Runs one encode or decode: a panic anywhere inside (protobuf, Arrow IPC, a codec) becomes an
    /// error, and every error becomes a `SerializationError` that says what `action` failed.
    pub fn run<T>(
        &self,
        action: &str,
        f: impl FnOnce() -> datafusion::error::Result<T>,
    ) -> crate::errors::Result<T> {
        let result = std::panic::catch_unwind(AssertUnwindSafe(f))
            .unwrap_or_else(|payload| Err(panic_error(action, &*payload)));
        // DataFusion ignores a codec's error when it encodes a function (it falls back to the
        // name), so a failure recorded during a call that "succeeded" still fails the call: a
        // Python UDF that cannot be pickled must not silently travel by name.
        let result = match (result, self.take_failure()) {
            (Ok(_), Some(failure)) => Err((DataFusionError::Plan(String::new()), Some(failure))),
            (Ok(value), None) => Ok(value),
            (Err(err), failure) => Err((err, failure)),
        };
        result.map_err(|(err, failure)| {
            Python::attach(|py| {
                let (message, cause) = match failure {
                    Some(Failure { message, cause }) => (format!("{action}: {message}"), cause),
                    None => (format!("{action}: {}", err.strip_backtrace()), None),
                };
                let error = fuseplug_exception(py, "SerializationError", message);
                if let Some(cause) = cause {
                    error.set_cause(py, Some(cause));
                }
                Error::Python(error)
            })
        })
    }
}
