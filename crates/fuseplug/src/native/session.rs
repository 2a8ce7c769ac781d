//! Native extensions as seen from a session and from Python: the `NativeExtension` class, loading an
//! extension's functions into a session, and the identity a plan codec sends a function by.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use pyo3::prelude::*;

use super::{
    DAFT_ABI_VERSION, FfiAggregateFunction, FfiScalarFunction, Functions, Identity, Library,
    NativeUdf, aggregate_udf, plugin_error, scalar_udf,
};
use crate::errors::Result;

/// The identity of a native scalar function, for a plan codec to send it by.
pub fn scalar_identity(udf: &ScalarUDF) -> Option<&Identity> {
    udf.inner().downcast_ref::<NativeUdf<FfiScalarFunction>>().map(|u| &u.function.identity)
}

/// The identity of a native aggregate function.
pub fn aggregate_identity(udaf: &AggregateUDF) -> Option<&Identity> {
    udaf.inner().downcast_ref::<NativeUdf<FfiAggregateFunction>>().map(|u| &u.function.identity)
}

/// The functions of `identity`'s extension, loaded for a plan that names one of them: the library
/// is opened (once per process) and its `init` run; with a `session`, all of them are registered
/// there, as `load_extension` would.
pub fn load_for_plan(
    py: Python<'_>,
    identity: &Identity,
    session: Option<&datafusion::prelude::SessionContext>,
) -> Result<(Vec<ScalarUDF>, Vec<AggregateUDF>)> {
    let library = Library::open(py, &identity.library)?;
    if library.name != identity.extension {
        return Err(plugin_error(
            py,
            "PluginError",
            format!(
                "{} is the native extension {:?}, but the plan expects {:?} there",
                identity.library.display(),
                library.name,
                identity.extension
            ),
        ));
    }
    let defined = library.init(py)?;
    let scalars: Vec<ScalarUDF> = defined.scalars.into_iter().map(scalar_udf).collect();
    let aggregates: Vec<AggregateUDF> = defined.aggregates.into_iter().map(aggregate_udf).collect();
    if let Some(session) = session {
        scalars.iter().for_each(|f| session.register_udf(f.clone()));
        aggregates.iter().for_each(|f| session.register_udaf(f.clone()));
    }
    Ok((scalars, aggregates))
}

/// A native extension library, opened (once per process) and checked.
#[pyclass(frozen, name = "NativeExtension", module = "fuseplug._internal")]
pub struct PyNativeExtension {
    library: Arc<Library>,
}

#[pymethods]
impl PyNativeExtension {
    /// Opens the shared library at `path`: checks `daft_module_magic` and the ABI version.
    #[staticmethod]
    fn open(py: Python<'_>, path: PathBuf) -> Result<Self> {
        Ok(Self { library: Library::open(py, &path)? })
    }

    /// The module's own name.
    #[getter]
    fn name(&self) -> String {
        self.library.name.clone()
    }

    /// The library's canonical path.
    #[getter]
    fn path(&self) -> PathBuf {
        self.library.path.clone()
    }

    #[getter]
    fn abi_version(&self) -> u32 {
        DAFT_ABI_VERSION
    }

    /// `(kind, name)` of every function the module defines (from an `init` whose functions are then
    /// finalized).
    fn functions(&self, py: Python<'_>) -> Result<Vec<(String, String)>> {
        let defined = self.library.init(py)?;
        Ok(kinds_and_names(&defined))
    }

    /// Defines the module's functions on `ctx` (a fresh `init`); returns their `(kind, name)`.
    fn register(
        &self,
        py: Python<'_>,
        ctx: &Bound<'_, crate::context::PySessionContext>,
    ) -> Result<Vec<(String, String)>> {
        let defined = self.library.init(py)?;
        let names = kinds_and_names(&defined);
        let session = &ctx.get().ctx;
        for function in defined.scalars {
            session.register_udf(scalar_udf(function));
        }
        for function in defined.aggregates {
            session.register_udaf(aggregate_udf(function));
        }
        Ok(names)
    }

    fn __repr__(&self) -> String {
        format!("NativeExtension({:?}, {:?})", self.library.name, self.library.path)
    }
}

fn kinds_and_names(defined: &Functions) -> Vec<(String, String)> {
    let scalars =
        defined.scalars.iter().map(|f| ("scalar".to_owned(), f.identity.function.clone()));
    let aggregates =
        defined.aggregates.iter().map(|f| ("aggregate".to_owned(), f.identity.function.clone()));
    scalars.chain(aggregates).collect()
}
