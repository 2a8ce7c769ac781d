//! A plugin's scalar UDF, called with the session's options made safe to cross datafusion-ffi.
//!
//! datafusion-ffi 55.2 sends a call's `ConfigOptions` to the plugin as `(key, value)` pairs from
//! `ConfigOptions::entries()`, and the plugin sets each one again. DataFusion lists the options of
//! an extension declared with `extensions_options!` without their prefix (`max_tasks_per_stage`,
//! not `distributed.max_tasks_per_stage`), so the plugin refuses them and every call fails. A
//! distributed session always holds such an extension (datafusion-distributed's). The options the
//! plugin can read are DataFusion's own, fuseplug's and the plugins' (`FFI_ExtensionOptions`): the
//! call gets exactly those.

use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use arrow::datatypes::{DataType, FieldRef};
use datafusion::config::{ConfigExtension, ConfigOptions, Extensions};
use datafusion::error::Result;
use datafusion::logical_expr::sort_properties::ExprProperties;
use datafusion::logical_expr::{
    ColumnarValue, ExpressionPlacement, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature,
};
use datafusion_ffi::config::extension_options::FFI_ExtensionOptions;

use crate::serialize::options::FuseplugOptions;

/// `inner` (a `ForeignScalarUDF`) with each call's options reduced to what crosses FFI.
#[derive(Debug)]
pub struct PluginScalarUdf {
    inner: Arc<dyn ScalarUDFImpl>,
    /// The last options seen and their reduced copy: a plan's calls share one `Arc`.
    reduced: Mutex<Option<(Arc<ConfigOptions>, Arc<ConfigOptions>)>>,
}

impl PluginScalarUdf {
    pub fn new(inner: Arc<dyn ScalarUDFImpl>) -> Self {
        Self { inner, reduced: Mutex::new(None) }
    }

    fn options_for_plugin(&self, options: Arc<ConfigOptions>) -> Arc<ConfigOptions> {
        let crosses = |prefix: &str| {
            prefix == FuseplugOptions::PREFIX || prefix == FFI_ExtensionOptions::PREFIX
        };
        if options.extensions.iter().all(|(prefix, _)| crosses(prefix)) {
            return options;
        }
        let mut cache = self.reduced.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((seen, reduced)) = cache.as_ref()
            && Arc::ptr_eq(seen, &options)
        {
            return Arc::clone(reduced);
        }
        let mut extensions = Extensions::new();
        if let Some(ours) = options.extensions.get::<FuseplugOptions>() {
            extensions.insert(ours.clone());
        }
        if let Some(plugins) = options.extensions.get::<FFI_ExtensionOptions>() {
            extensions.insert(plugins.clone());
        }
        let mut reduced = options.as_ref().clone();
        reduced.extensions = extensions;
        let reduced = Arc::new(reduced);
        *cache = Some((options, Arc::clone(&reduced)));
        reduced
    }
}

impl PartialEq for PluginScalarUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for PluginScalarUdf {}

impl Hash for PluginScalarUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.inner).cast::<()>().hash(state);
    }
}

impl ScalarUDFImpl for PluginScalarUdf {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        self.inner.return_field_from_args(args)
    }

    fn invoke_with_args(&self, mut args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        args.config_options = self.options_for_plugin(args.config_options);
        self.inner.invoke_with_args(args)
    }

    fn aliases(&self) -> &[String] {
        self.inner.aliases()
    }

    fn short_circuits(&self) -> bool {
        self.inner.short_circuits()
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.inner.coerce_types(arg_types)
    }

    fn placement(&self, args: &[ExpressionPlacement]) -> ExpressionPlacement {
        self.inner.placement(args)
    }

    fn preserves_lex_ordering(&self, inputs: &[ExprProperties]) -> Result<bool> {
        self.inner.preserves_lex_ordering(inputs)
    }

    fn with_updated_config(&self, config: &ConfigOptions) -> Option<ScalarUDF> {
        let reduced = self.options_for_plugin(Arc::new(config.clone()));
        let updated = self.inner.with_updated_config(&reduced)?;
        Some(ScalarUDF::new_from_impl(Self::new(Arc::clone(updated.inner()))))
    }
}
