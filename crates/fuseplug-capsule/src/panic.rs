//! Panic guards for code that another library calls through an `extern "C"` function.
//!
//! datafusion-ffi has no `catch_unwind`: a panic that escapes one of its callbacks aborts the whole
//! process. Whatever a library runs on behalf of another host (a UDF body, a table scan, a stream's
//! poll) goes through [`guard`] (or `catch_unwind` with [`panic_error`]), so a panic becomes a DataFusion error instead.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

use datafusion::error::{DataFusionError, Result};

/// The text a panic was raised with, when it was a string.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

/// The execution error a caught panic becomes: it names `what` panicked and keeps the message.
pub fn panic_error(what: &str, payload: &(dyn Any + Send)) -> DataFusionError {
    DataFusionError::Execution(format!("panic in {what}: {}", panic_message(payload)))
}

/// Runs `f`, turning a panic into an execution error (see [`panic_error`]).
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(panic_error(what, &*payload)))
}
