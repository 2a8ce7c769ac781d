//! The crate's one error type and its mapping onto `fuseplug.exceptions`.

use std::fmt;

use arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

/// Every failure the host can report.
#[derive(Debug)]
pub enum Error {
    DataFusion(DataFusionError),
    Arrow(ArrowError),
    /// A Python exception, passed through unchanged.
    Python(PyErr),
    /// A bad argument value (raised as `ValueError`).
    Value(String),
    /// A bad argument type (raised as `TypeError`).
    Type(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::DataFusion(e) => write!(f, "{}", e.strip_backtrace()),
            Error::Arrow(e) => write!(f, "{e}"),
            Error::Python(e) => write!(f, "{e}"),
            Error::Value(msg) | Error::Type(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {}

impl From<DataFusionError> for Error {
    fn from(e: DataFusionError) -> Self {
        Error::DataFusion(e)
    }
}

impl From<ArrowError> for Error {
    fn from(e: ArrowError) -> Self {
        Error::Arrow(e)
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error::Python(e)
    }
}

/// Wraps a Python exception so that it can travel through DataFusion as an external error.
pub fn py_to_datafusion(err: PyErr) -> DataFusionError {
    DataFusionError::External(Box::new(err))
}

/// Finds a Python exception that a UDF raised somewhere inside a DataFusion error chain.
fn find_python_error(err: &DataFusionError) -> Option<&PyErr> {
    match err {
        DataFusionError::External(inner) => find_in_dyn(inner.as_ref()),
        DataFusionError::ArrowError(inner, _) => match inner.as_ref() {
            ArrowError::ExternalError(e) => find_in_dyn(e.as_ref()),
            _ => None,
        },
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            find_python_error(inner)
        }
        DataFusionError::Shared(inner) => find_python_error(inner),
        DataFusionError::Collection(errs) => errs.iter().find_map(find_python_error),
        _ => None,
    }
}

fn find_in_dyn<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a PyErr> {
    if let Some(py_err) = err.downcast_ref::<PyErr>() {
        return Some(py_err);
    }
    if let Some(df) = err.downcast_ref::<DataFusionError>() {
        return find_python_error(df);
    }
    if let Some(arrow) = err.downcast_ref::<ArrowError>() {
        if let ArrowError::ExternalError(inner) = arrow {
            return find_in_dyn(inner.as_ref());
        }
        return None;
    }
    if let Some(own) = err.downcast_ref::<Error>() {
        return match own {
            Error::Python(e) => Some(e),
            Error::DataFusion(e) => find_python_error(e),
            _ => None,
        };
    }
    err.source().and_then(find_in_dyn)
}

/// The `fuseplug.exceptions` class name for a DataFusion error, judged by its innermost cause.
fn class_name(err: &DataFusionError) -> &'static str {
    match err.find_root() {
        DataFusionError::SQL(..) => "SQLError",
        // Listing a location that matches no file is reported as a planning error; to Python users
        // it is a missing file.
        DataFusionError::Plan(msg) if msg.starts_with("No files found at") => "InputOutputError",
        DataFusionError::Plan(_) | DataFusionError::Configuration(_) => "PlanError",
        DataFusionError::SchemaError(..) => "SchemaError",
        DataFusionError::ResourcesExhausted(_) => "ResourcesExhaustedError",
        DataFusionError::IoError(_) | DataFusionError::ObjectStore(_) => "InputOutputError",
        DataFusionError::ParquetError(_) => "InputOutputError",
        DataFusionError::NotImplemented(_) => "NotSupportedError",
        // A Substrait plan that does not decode or that the consumer finds malformed.
        DataFusionError::Substrait(_) => "SerializationError",
        DataFusionError::Internal(_) => "InternalError",
        // Errors cross datafusion-ffi as text; a plugin's execution failure (a guarded panic, an
        // overflow) keeps DataFusion's "Execution error" prefix and is both kinds of error.
        DataFusionError::Ffi(msg) if msg.trim_start().starts_with("Execution error") => {
            "PluginExecutionError"
        }
        DataFusionError::Ffi(_) => "PluginError",
        DataFusionError::ArrowError(e, _) => arrow_class_name(e),
        // A store's failure (a refused request, a missing object) that reached DataFusion as an
        // external error, e.g. while writing.
        DataFusionError::External(e) if from_object_store(e.as_ref()) => "InputOutputError",
        #[cfg(feature = "distributed")]
        DataFusionError::External(e) if e.is::<crate::distributed::WorkerFailure>() => {
            "WorkerError"
        }
        _ => "ExecutionError",
    }
}

/// Whether an object store error is in `err`'s chain of causes.
fn from_object_store(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if e.is::<object_store::Error>() {
            return true;
        }
        cause = e.source();
    }
    false
}

fn arrow_class_name(err: &ArrowError) -> &'static str {
    match err {
        ArrowError::IoError(..) => "InputOutputError",
        ArrowError::ExternalError(e) if from_object_store(e.as_ref()) => "InputOutputError",
        ArrowError::SchemaError(_) => "SchemaError",
        ArrowError::NotYetImplemented(_) => "NotSupportedError",
        ArrowError::MemoryError(_) => "ResourcesExhaustedError",
        _ => "ExecutionError",
    }
}

static EXCEPTIONS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// Builds an instance of `fuseplug.exceptions.<name>` with `message`.
pub fn fuseplug_exception(py: Python<'_>, name: &str, message: String) -> PyErr {
    let module =
        EXCEPTIONS.get_or_try_init(py, || py.import("fuseplug.exceptions").map(Bound::unbind));
    match module.and_then(|m| m.bind(py).getattr(name)) {
        Ok(cls) => match cls.cast_into::<PyType>() {
            Ok(cls) => PyErr::from_type(cls, message),
            Err(_) => PyTypeError::new_err(format!("fuseplug.exceptions.{name} is not a class")),
        },
        Err(import_error) => import_error,
    }
}

impl From<Error> for PyErr {
    fn from(err: Error) -> PyErr {
        Python::attach(|py| match err {
            Error::Python(e) => e,
            Error::Value(msg) => PyValueError::new_err(msg),
            Error::Type(msg) => PyTypeError::new_err(msg),
            Error::Arrow(e) => {
                let name = arrow_class_name(&e);
                fuseplug_exception(py, name, e.to_string())
            }
            Error::DataFusion(e) => match find_python_error(&e) {
                Some(py_err) => py_err.clone_ref(py),
                None => fuseplug_exception(py, class_name(&e), with_hint(&e)),
            },
        })
    }
}

/// The error's message, plus what to do where the message alone misleads: a plugin's plan that
/// finds no object store ran in the empty runtime datafusion-ffi gives foreign plans.
fn with_hint(err: &DataFusionError) -> String {
    // a worker's failure says which worker and what happened; DataFusion's wrapping adds nothing
    #[cfg(feature = "distributed")]
    if let DataFusionError::External(e) = err.find_root()
        && let Some(failure) = e.downcast_ref::<crate::distributed::WorkerFailure>()
    {
        return failure.to_string();
    }
    let message = err.strip_backtrace();
    if matches!(err.find_root(), DataFusionError::Ffi(_))
        && message.contains("could not find config namespace for key")
    {
        return format!(
            "{message}\n(datafusion-ffi 55 cannot pass the options of a distributed session to a \
             plugin: scan plugin tables from a context without with_distributed, which shares \
             this one's tables; see docs/distributed.md)"
        );
    }
    if matches!(err.find_root(), DataFusionError::Ffi(_))
        && message.contains("No suitable object store found")
    {
        return format!(
            "{message}\n(a plugin's table runs in the empty runtime that datafusion-ffi 55 gives \
             foreign plans: it sees neither this session's object stores nor the ones it set up \
             itself, so it can read local files only. For a Delta table on object storage, use \
             ctx.register_dataset(name, table.to_pyarrow_dataset()); see docs/cloud-storage.md)"
        );
    }
    message
}

/// Converts a DataFusion error into the matching Python exception.
pub fn to_py_err(err: DataFusionError) -> PyErr {
    Error::DataFusion(err).into()
}
