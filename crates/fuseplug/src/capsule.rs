//! Objects that cross a wheel boundary as named PyCapsules: importing plugins' table providers and
//! UDFs, and exporting this session's task-context provider and extension codecs.
//!
//! Every import goes through [`fuseplug_capsule::guard::checked_pointer`], which refuses a capsule of the
//! wrong name or from another DataFusion major before anything reads the struct inside.

use std::ffi::CStr;
use std::ptr::NonNull;
use std::sync::Arc;

use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, SchemaProvider, TableFunctionImpl, TableProviderFactory,
};
use datafusion::datasource::TableProvider;
use datafusion::execution::{TaskContext, TaskContextProvider};
use datafusion::logical_expr::{
    AggregateUDF, AggregateUDFImpl, ScalarUDF, ScalarUDFImpl, WindowUDF, WindowUDFImpl,
};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::prelude::SessionContext;
use datafusion_ffi::catalog_provider::FFI_CatalogProvider;
use datafusion_ffi::catalog_provider_list::FFI_CatalogProviderList;
use datafusion_ffi::config::extension_options::FFI_ExtensionOptions;
use datafusion_ffi::execution::FFI_TaskContextProvider;
use datafusion_ffi::physical_optimizer::FFI_PhysicalOptimizerRule;
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi::proto::physical_extension_codec::FFI_PhysicalExtensionCodec;
use datafusion_ffi::schema_provider::FFI_SchemaProvider;
use datafusion_ffi::table_provider::FFI_TableProvider;
use datafusion_ffi::table_provider_factory::FFI_TableProviderFactory;
use datafusion_ffi::udaf::FFI_AggregateUDF;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udtf::FFI_TableFunction;
use datafusion_ffi::udwf::FFI_WindowUDF;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::PhysicalExtensionCodec;
use fuseplug_capsule::guard::{
    CapsuleError, check_libraries, check_method, checked_pointer, method_library,
};
use fuseplug_capsule::runtime::handle;
use fuseplug_capsule::version::datafusion_major;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};

use crate::codec::{LogicalChain, PhysicalChain};
use crate::errors::{Error, Result, fuseplug_exception};
use crate::serialize::{Env, PythonLogicalCodec, PythonPhysicalCodec};

pub const TABLE_PROVIDER: &CStr = c"datafusion_table_provider";
pub const SCALAR_UDF: &CStr = c"datafusion_scalar_udf";
pub const AGGREGATE_UDF: &CStr = c"datafusion_aggregate_udf";
pub const WINDOW_UDF: &CStr = c"datafusion_window_udf";
pub const TABLE_FUNCTION: &CStr = c"datafusion_table_function";
pub const CATALOG_PROVIDER_LIST: &CStr = c"datafusion_catalog_provider_list";
pub const TABLE_PROVIDER_FACTORY: &CStr = c"datafusion_table_provider_factory";
pub const PHYSICAL_OPTIMIZER_RULE: &CStr = c"datafusion_physical_optimizer_rule";
pub const CATALOG_PROVIDER: &CStr = c"datafusion_catalog_provider";
pub const SCHEMA_PROVIDER: &CStr = c"datafusion_schema_provider";
pub const TASK_CONTEXT_PROVIDER: &CStr = c"datafusion_task_context_provider";
pub const LOGICAL_CODEC: &CStr = c"datafusion_logical_extension_codec";
pub const PHYSICAL_CODEC: &CStr = c"datafusion_physical_extension_codec";
pub const EXTENSION_OPTIONS: &CStr = c"datafusion_extension_options";

/// Hands plugins the live session's task context, so functions registered later are visible.
struct LiveSession(Arc<SessionContext>);

impl TaskContextProvider for LiveSession {
    fn task_ctx(&self) -> Arc<TaskContext> {
        self.0.task_ctx()
    }
}

/// What every object that leaves the session carries: the provider exported capsules point to (they
/// hold it weakly, so its owner keeps it alive) and the session's extension codec chains.
///
/// datafusion-ffi takes an `Arc<dyn TaskContextProvider>` without `Send + Sync` bounds; the only value
/// ever stored here is a [`LiveSession`], which is both.
#[derive(Clone)]
pub struct SessionTasks {
    provider: Arc<dyn TaskContextProvider>,
    /// The session itself, for the Python codec layers (its options; native extensions load into it).
    session: Arc<SessionContext>,
    pub logical: Arc<LogicalChain>,
    pub physical: Arc<PhysicalChain>,
    /// Whether Python UDFs travel inline (see `SessionContext.with_python_udf_inlining`).
    pub inline_python: bool,
}

// SAFETY: `provider` is only ever a `LiveSession` (an `Arc<SessionContext>`, which is Send + Sync);
// the chains hold codecs, which are Send + Sync by their traits' bounds.
unsafe impl Send for SessionTasks {}
// SAFETY: as above.
unsafe impl Sync for SessionTasks {}

impl SessionTasks {
    pub fn new(ctx: Arc<SessionContext>) -> Self {
        Self {
            provider: Arc::new(LiveSession(Arc::clone(&ctx))),
            session: ctx,
            logical: Arc::default(),
            physical: Arc::default(),
            inline_python: true,
        }
    }

    /// The same session with `codec` appended to its logical chain.
    pub fn with_logical(&self, id: String, codec: Arc<dyn LogicalExtensionCodec>) -> Result<Self> {
        Ok(Self { logical: Arc::new(self.logical.with(id, codec)?), ..self.clone() })
    }

    /// The same session with `codec` appended to its physical chain.
    pub fn with_physical(
        &self,
        id: String,
        codec: Arc<dyn PhysicalExtensionCodec>,
    ) -> Result<Self> {
        Ok(Self { physical: Arc::new(self.physical.with(id, codec)?), ..self.clone() })
    }

    /// This one's codec chains and settings on another session.
    pub fn rebased(&self, ctx: Arc<SessionContext>) -> Self {
        Self { provider: Arc::new(LiveSession(Arc::clone(&ctx))), session: ctx, ..self.clone() }
    }

    /// The same session, with Python UDF inlining on or off.
    pub fn with_inline_python(&self, enabled: bool) -> Self {
        Self { inline_python: enabled, ..self.clone() }
    }

    /// A task-context provider for an exported struct; it holds this session's provider weakly.
    pub fn ffi_task_provider(&self) -> FFI_TaskContextProvider {
        FFI_TaskContextProvider::from(&self.provider)
    }

    /// The session itself.
    pub fn session(&self) -> Arc<SessionContext> {
        Arc::clone(&self.session)
    }

    /// The live session's task context (its tables, functions and options as of now).
    pub fn task_ctx(&self) -> Arc<TaskContext> {
        self.session.task_ctx()
    }

    /// A fresh environment for one encode or decode through this session's codecs.
    pub fn env(&self) -> Arc<Env> {
        Env::new(self.inline_python, Some(Arc::clone(&self.session)))
    }

    /// The whole logical stack: the Python layer in front of the plugin chain.
    pub fn logical_codec(&self, env: &Arc<Env>) -> PythonLogicalCodec {
        PythonLogicalCodec::new(Arc::clone(&self.logical), Arc::clone(env))
    }

    /// The whole physical stack.
    pub fn physical_codec(&self, env: &Arc<Env>) -> PythonPhysicalCodec {
        PythonPhysicalCodec::new(Arc::clone(&self.physical), Arc::clone(env))
    }
}

pub(crate) fn plugin_error(py: Python<'_>, err: CapsuleError) -> Error {
    let class = match err {
        CapsuleError::IncompatibleMajor { .. } | CapsuleError::UnknownMajor { .. } => {
            "IncompatiblePluginError"
        }
        CapsuleError::WrongName { .. } | CapsuleError::NullPointer { .. } => "PluginCapsuleError",
    };
    Error::Python(fuseplug_exception(py, class, err.to_string()))
}

/// What the guard made of a plugin object before its capsule is read.
enum Guarded<'py> {
    /// The capsule to read (its own producer is checked next).
    Capsule(Bound<'py, PyCapsule>),
    /// The dunder was not called: it is compiled against, or reaches, another major.
    Refused(CapsuleError),
}

/// The capsule `obj` stands for: `obj` itself, or what its `dunder` returns when called with `args`.
/// A dunder that raises becomes a `PluginError` whose `__cause__` is the plugin's exception.
fn capsule_of<'py>(
    obj: &Bound<'py, PyAny>,
    dunder: &str,
    session: Option<&Bound<'py, PyAny>>,
    name: &CStr,
) -> Result<Guarded<'py>> {
    let py = obj.py();
    if let Ok(capsule) = obj.cast::<PyCapsule>() {
        return Ok(Guarded::Capsule(capsule.clone()));
    }
    let Ok(method) = obj.getattr(dunder) else {
        return Err(Error::Type(format!(
            "{} has no {dunder} method and is not a capsule",
            obj.get_type().name()?
        )));
    };
    // A dunder compiled against another major is never called: it would read our session's capsules
    // with its own layout before we could look at what it returns. A dunder written in Python calls
    // compiled code we cannot see from here: check the libraries of the packages behind the object.
    if session.is_some() && method_library(&method).is_none() {
        let libraries = libraries_behind(obj, dunder)?;
        if let Err(refused) = check_libraries(&libraries, name) {
            return Ok(Guarded::Refused(refused));
        }
    }
    if let Err(refused) = check_method(&method, name) {
        return Ok(Guarded::Refused(refused));
    }
    let produced = match session {
        // A pre-52 style dunder takes no session: say what to upgrade rather than pass on a confusing
        // TypeError. Read from its signature, never by calling it again: a TypeError raised inside
        // the plugin is the plugin's, and its side effects must run once.
        Some(session) if takes_no_argument(&method, session) => {
            let owner = obj.get_type().name().map(|n| n.to_string()).unwrap_or_default();
            // Query planners came with DataFusion 55 and always took the session: no older
            // protocol to blame, the dunder is simply written wrong.
            let why = if dunder == "__datafusion_query_planner__" {
                "a query planner's dunder is called with the session it is installed on".to_string()
            } else {
                format!(
                    "the plugin was written for DataFusion < 52; upgrade it to a release built \
                     on DataFusion {}",
                    datafusion_major()
                )
            };
            return Err(Error::Python(fuseplug_exception(
                py,
                "IncompatiblePluginError",
                format!("{dunder} of {owner} takes no session argument: {why}"),
            )));
        }
        Some(session) => method.call1((session,)),
        None => method.call0(),
    }
    .map_err(|e| chained(py, format!("{dunder} raised {}", describe(py, &e)), e))?;
    returned_capsule(produced, dunder).map(Guarded::Capsule)
}

/// What a dunder returned, as a capsule; a `PluginError` when it is something else.
pub(crate) fn returned_capsule<'py>(
    produced: Bound<'py, PyAny>,
    dunder: &str,
) -> Result<Bound<'py, PyCapsule>> {
    let py = produced.py();
    produced.cast_into::<PyCapsule>().map_err(|e| {
        let got = e.into_inner();
        let type_name = got.get_type().name().map(|n| n.to_string()).unwrap_or_default();
        Error::Python(fuseplug_exception(
            py,
            "PluginError",
            format!("{dunder} returned a {type_name}, not a PyCapsule"),
        ))
    })
}

/// The compiled libraries behind `obj` and its Python-level `dunder`: those of its class, of the
/// objects it holds and the dunder names, and of their packages and the packages they import
/// (`fuseplug.plugins.libraries_behind`).
fn libraries_behind(obj: &Bound<'_, PyAny>, dunder: &str) -> Result<Vec<std::path::PathBuf>> {
    let plugins = obj.py().import("fuseplug.plugins")?;
    let found = plugins.call_method1("libraries_behind", (obj, dunder))?;
    Ok(found.extract()?)
}

/// Whether `method`'s signature says it takes no argument, so it cannot be handed `arg`. Python
/// functions have a signature; built-in and compiled ones have one when they carry a
/// `__text_signature__` (PyO3 methods do), which `inspect.signature` reads. Without one, `false`: the
/// method is called with `arg` and whatever it raises is reported as its own.
fn takes_no_argument(method: &Bound<'_, PyAny>, arg: &Bound<'_, PyAny>) -> bool {
    let py = method.py();
    let Ok(signature) =
        py.import("inspect").and_then(|inspect| inspect.call_method1("signature", (method,)))
    else {
        return false;
    };
    let binds = |args: &[&Bound<'_, PyAny>]| {
        PyTuple::new(py, args).and_then(|args| signature.call_method1("bind", args)).is_ok()
    };
    !binds(&[arg]) && binds(&[])
}

pub(crate) fn describe(py: Python<'_>, err: &PyErr) -> String {
    let name = err.get_type(py).name().map(|n| n.to_string()).unwrap_or_default();
    format!("{name}: {}", err.value(py))
}

pub(crate) fn chained(py: Python<'_>, message: String, cause: PyErr) -> Error {
    let err = fuseplug_exception(py, "PluginError", message);
    err.set_cause(py, Some(cause));
    Error::Python(err)
}

/// The one import path of every kind: get the capsule (`obj` itself, or what its `dunder` returns
/// when called with `arg`), check its name and producer major, then hand the struct inside to
/// `convert` while the capsule keeps it alive. A plugin refused for being on DataFusion 54 goes
/// through the bridge wheel when it is installed ([`crate::bridge`]).
pub(crate) fn with_struct<T, R>(
    obj: &Bound<'_, PyAny>,
    dunder: &str,
    arg: Option<&Bound<'_, PyAny>>,
    name: &CStr,
    convert: impl FnOnce(&T) -> Result<R>,
) -> Result<R> {
    let capsule = match capsule_of(obj, dunder, arg, name)? {
        Guarded::Capsule(capsule) => capsule,
        Guarded::Refused(refused) => {
            return crate::bridge::with_bridged(obj, dunder, arg, name, refused, convert);
        }
    };
    let ffi: NonNull<T> = match checked_pointer::<T>(&capsule, name) {
        Ok(ffi) => ffi,
        // A capsule that a dunder made with this host's session (or codec) is refused as it is:
        // a foreign library has already read our capsules with its own layout.
        Err(refused) if arg.is_some() && obj.cast::<PyCapsule>().is_err() => {
            return Err(plugin_error(obj.py(), refused));
        }
        Err(refused) => {
            // A bare capsule, or one a dunder without a session returned: the bridge adapts the
            // capsule itself (the dunder has run once already).
            return crate::bridge::with_bridged(
                capsule.as_any(),
                dunder,
                arg,
                name,
                refused,
                convert,
            );
        }
    };
    // SAFETY: the guard checked the capsule's name and its producer's DataFusion major, so the
    // pointer is a live `T` of our layout for as long as `capsule` is held.
    convert(unsafe { ffi.as_ref() })
}

/// Refuses a struct whose own `version` function names another major. Only called once the producer's
/// library is known to be ours or of unknown major, so the field is where our layout says.
pub(crate) fn check_version(
    py: Python<'_>,
    kind: &str,
    version: unsafe extern "C" fn() -> u64,
) -> Result<()> {
    // SAFETY: the guard found no sign of another major; the function pointer is the producer's.
    let theirs = unsafe { version() };
    let ours = datafusion_major();
    if theirs != ours {
        let message = format!(
            "the {kind} reports DataFusion {theirs}, but this host is built on DataFusion {ours}"
        );
        return Err(Error::Python(fuseplug_exception(py, "IncompatiblePluginError", message)));
    }
    Ok(())
}

/// A plugin's table provider, from a capsule or an object with `__datafusion_table_provider__`.
pub fn table_provider(
    obj: &Bound<'_, PyAny>,
    session: &Bound<'_, PyAny>,
) -> Result<Arc<dyn TableProvider>> {
    let dunder = "__datafusion_table_provider__";
    with_struct(obj, dunder, Some(session), TABLE_PROVIDER, |ffi: &FFI_TableProvider| {
        check_version(obj.py(), "table provider", ffi.version)?;
        Ok(ffi.into())
    })
}

/// A plugin's table function, from a capsule or an object with `__datafusion_table_function__`.
pub fn table_function(
    obj: &Bound<'_, PyAny>,
    session: &Bound<'_, PyAny>,
) -> Result<Arc<dyn TableFunctionImpl>> {
    let dunder = "__datafusion_table_function__";
    with_struct(obj, dunder, Some(session), TABLE_FUNCTION, |ffi: &FFI_TableFunction| {
        Ok(ffi.clone().into())
    })
}

/// A plugin's catalog; its dunder gets the host's logical codec capsule (the official convention).
pub fn catalog_provider(
    obj: &Bound<'_, PyAny>,
    codec: &Bound<'_, PyAny>,
) -> Result<Arc<dyn CatalogProvider>> {
    let dunder = "__datafusion_catalog_provider__";
    with_struct(obj, dunder, Some(codec), CATALOG_PROVIDER, |ffi: &FFI_CatalogProvider| {
        check_version(obj.py(), "catalog provider", ffi.version)?;
        Ok(ffi.into())
    })
}

/// A plugin's list of catalogs; its dunder gets the host's logical codec capsule.
pub fn catalog_provider_list(
    obj: &Bound<'_, PyAny>,
    codec: &Bound<'_, PyAny>,
) -> Result<Arc<dyn CatalogProviderList>> {
    let dunder = "__datafusion_catalog_provider_list__";
    with_struct(obj, dunder, Some(codec), CATALOG_PROVIDER_LIST, |ffi: &FFI_CatalogProviderList| {
        check_version(obj.py(), "catalog provider list", ffi.version)?;
        Ok(ffi.into())
    })
}

/// A plugin's table provider factory (`CREATE EXTERNAL TABLE ... STORED AS <format>`); its dunder
/// gets the host's logical codec capsule.
pub fn table_provider_factory(
    obj: &Bound<'_, PyAny>,
    codec: &Bound<'_, PyAny>,
) -> Result<Arc<dyn TableProviderFactory>> {
    let dunder = "__datafusion_table_provider_factory__";
    with_struct(
        obj,
        dunder,
        Some(codec),
        TABLE_PROVIDER_FACTORY,
        |ffi: &FFI_TableProviderFactory| Ok(ffi.into()),
    )
}

/// A plugin's physical optimizer rule (`__datafusion_physical_optimizer_rule__()` or its capsule).
pub fn physical_optimizer_rule(
    obj: &Bound<'_, PyAny>,
) -> Result<Arc<dyn PhysicalOptimizerRule + Send + Sync>> {
    let dunder = "__datafusion_physical_optimizer_rule__";
    with_struct(obj, dunder, None, PHYSICAL_OPTIMIZER_RULE, |ffi: &FFI_PhysicalOptimizerRule| {
        check_version(obj.py(), "physical optimizer rule", ffi.version)?;
        Ok(ffi.into())
    })
}

/// A plugin's schema; its dunder gets the host's logical codec capsule.
pub fn schema_provider(
    obj: &Bound<'_, PyAny>,
    codec: &Bound<'_, PyAny>,
) -> Result<Arc<dyn SchemaProvider>> {
    let dunder = "__datafusion_schema_provider__";
    with_struct(obj, dunder, Some(codec), SCHEMA_PROVIDER, |ffi: &FFI_SchemaProvider| {
        check_version(obj.py(), "schema provider", ffi.version)?;
        Ok(ffi.into())
    })
}

/// A plugin's scalar UDF, from a capsule or an object with `__datafusion_scalar_udf__`.
pub fn scalar_udf(obj: &Bound<'_, PyAny>) -> Result<ScalarUDF> {
    with_struct(obj, "__datafusion_scalar_udf__", None, SCALAR_UDF, |ffi: &FFI_ScalarUDF| {
        let inner: Arc<dyn ScalarUDFImpl> = ffi.into();
        Ok(ScalarUDF::new_from_impl(crate::plugin_udf::PluginScalarUdf::new(inner)))
    })
}

/// A plugin's aggregate UDF, from a capsule or an object with `__datafusion_aggregate_udf__`.
pub fn aggregate_udf(obj: &Bound<'_, PyAny>) -> Result<AggregateUDF> {
    with_struct(
        obj,
        "__datafusion_aggregate_udf__",
        None,
        AGGREGATE_UDF,
        |ffi: &FFI_AggregateUDF| {
            let inner: Arc<dyn AggregateUDFImpl> = ffi.into();
            Ok(AggregateUDF::new_from_shared_impl(inner))
        },
    )
}

/// A plugin's window UDF, from a capsule or an object with `__datafusion_window_udf__`.
pub fn window_udf(obj: &Bound<'_, PyAny>) -> Result<WindowUDF> {
    with_struct(obj, "__datafusion_window_udf__", None, WINDOW_UDF, |ffi: &FFI_WindowUDF| {
        let inner: Arc<dyn WindowUDFImpl> = ffi.into();
        Ok(WindowUDF::new_from_shared_impl(inner))
    })
}

/// The id a codec is installed under: `id` when given, else the one of the library whose code the
/// codec runs (found from its `release` function, see [`crate::codec::library_codec_id`]).
fn codec_id(id: Option<String>, release: usize, name: &CStr) -> Result<String> {
    if let Some(id) = id {
        return Ok(id);
    }
    let kind = name.to_string_lossy();
    let kind = kind.strip_prefix("datafusion_").unwrap_or(&kind);
    match fuseplug_capsule::guard::library_of(release) {
        Some(library) => Ok(crate::codec::library_codec_id(&library, kind)),
        None => Err(Error::Value(format!(
            "cannot tell which library made this {kind} capsule; install it with a codec_id"
        ))),
    }
}

/// A plugin's extension codec: what its `__datafusion_logical_extension_codec__(session)` returns,
/// with the id it is installed under (`id`, else its library's; see [`codec_id`]).
pub fn logical_codec(
    obj: &Bound<'_, PyAny>,
    session: &Bound<'_, PyAny>,
    id: Option<String>,
) -> Result<(String, Arc<dyn LogicalExtensionCodec>)> {
    let dunder = "__datafusion_logical_extension_codec__";
    with_struct(obj, dunder, Some(session), LOGICAL_CODEC, |ffi: &FFI_LogicalExtensionCodec| {
        check_version(obj.py(), "logical extension codec", ffi.version)?;
        Ok((codec_id(id, ffi.release as usize, LOGICAL_CODEC)?, ffi.into()))
    })
}

/// A plugin's physical extension codec (`__datafusion_physical_extension_codec__(session)`), with
/// the id it is installed under.
pub fn physical_codec(
    obj: &Bound<'_, PyAny>,
    session: &Bound<'_, PyAny>,
    id: Option<String>,
) -> Result<(String, Arc<dyn PhysicalExtensionCodec>)> {
    let dunder = "__datafusion_physical_extension_codec__";
    with_struct(obj, dunder, Some(session), PHYSICAL_CODEC, |ffi: &FFI_PhysicalExtensionCodec| {
        check_version(obj.py(), "physical extension codec", ffi.version)?;
        Ok((codec_id(id, ffi.release as usize, PHYSICAL_CODEC)?, ffi.into()))
    })
}

/// A plugin's configuration options (`__datafusion_extension_options__()` or its capsule), copied:
/// the copy's functions still run in the plugin, which owns the keys and their parsing.
pub fn extension_options(obj: &Bound<'_, PyAny>) -> Result<FFI_ExtensionOptions> {
    let dunder = "__datafusion_extension_options__";
    with_struct(obj, dunder, None, EXTENSION_OPTIONS, |ffi: &FFI_ExtensionOptions| Ok(ffi.clone()))
}

/// The task-context provider of the host that is asking for one of our tables: from its
/// `__datafusion_task_context_provider__()`, or its capsule. Expressions it sends (filters) are
/// decoded against its functions.
fn consumer_task_provider(session: &Bound<'_, PyAny>) -> Result<FFI_TaskContextProvider> {
    let dunder = "__datafusion_task_context_provider__";
    with_struct(session, dunder, None, TASK_CONTEXT_PROVIDER, |ffi: &FFI_TaskContextProvider| {
        Ok(ffi.clone()) // runs the producer's clone function
    })
}

/// Exports one of our tables (a DataFrame's view, a registered table) to another host, which calls
/// `__datafusion_table_provider__(session)` with its session object.
pub fn export_table_provider<'py>(
    py: Python<'py>,
    provider: Arc<dyn TableProvider>,
    session: &Bound<'py, PyAny>,
) -> Result<Bound<'py, PyCapsule>> {
    if session.is_none() {
        return Err(Error::Type(
            "__datafusion_table_provider__ needs the calling host's session (an object with \
             __datafusion_task_context_provider__)"
                .into(),
        ));
    }
    let tasks = consumer_task_provider(session)?;
    let ffi = FFI_TableProvider::new(provider, true, Some(handle()), tasks, None);
    Ok(PyCapsule::new_with_value(py, ffi, TABLE_PROVIDER)?)
}

/// The session's task-context provider, for plugins that decode expressions or plans.
pub fn export_task_context_provider<'py>(
    py: Python<'py>,
    tasks: &SessionTasks,
) -> Result<Bound<'py, PyCapsule>> {
    let ffi = FFI_TaskContextProvider::from(&tasks.provider);
    Ok(PyCapsule::new_with_value(py, ffi, TASK_CONTEXT_PROVIDER)?)
}

/// The session's logical extension codec (its whole stack: the Python layer, then the plugin
/// chain), carrying the host runtime so foreign futures have a reactor.
pub fn export_logical_codec<'py>(
    py: Python<'py>,
    tasks: &SessionTasks,
) -> Result<Bound<'py, PyCapsule>> {
    let codec: Arc<dyn LogicalExtensionCodec> = Arc::new(tasks.logical_codec(&tasks.env()));
    let ffi = FFI_LogicalExtensionCodec::new(codec, Some(handle()), &tasks.provider);
    Ok(PyCapsule::new_with_value(py, ffi, LOGICAL_CODEC)?)
}

/// The session's physical extension codec.
pub fn export_physical_codec<'py>(
    py: Python<'py>,
    tasks: &SessionTasks,
) -> Result<Bound<'py, PyCapsule>> {
    let codec: Arc<dyn PhysicalExtensionCodec> = Arc::new(tasks.physical_codec(&tasks.env()));
    let ffi = FFI_PhysicalExtensionCodec::new(codec, Some(handle()), &tasks.provider);
    Ok(PyCapsule::new_with_value(py, ffi, PHYSICAL_CODEC)?)
}

/// The DataFusion majors a plugin library was compiled against (read from its file; usually one).
#[pyfunction]
pub fn datafusion_majors_of(path: std::path::PathBuf) -> Vec<u64> {
    fuseplug_capsule::guard::library_majors(&path).into_iter().collect()
}

/// The shared library holding the code of class `cls` (its `tp_dealloc` slot): the extension module
/// that defines a compiled class, the interpreter for a class written in Python.
#[pyfunction]
pub fn type_library(cls: &Bound<'_, pyo3::types::PyType>) -> Option<String> {
    // SAFETY: `cls` is a live type object; reading a slot does not call it.
    let slot = unsafe { pyo3::ffi::PyType_GetSlot(cls.as_type_ptr(), pyo3::ffi::Py_tp_dealloc) };
    let library = (!slot.is_null()).then(|| fuseplug_capsule::guard::library_of(slot as usize));
    library.flatten().map(|path| path.to_string_lossy().into_owned())
}

/// The DataFusion major of this host.
#[pyfunction]
pub fn host_datafusion_major() -> u64 {
    datafusion_major()
}
