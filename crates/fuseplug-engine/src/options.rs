//! fuseplug's own session options, under the `fuseplug.` prefix: `SET`, `SHOW`, `SessionConfig.set`
//! and `SessionConfig.get` reach them like DataFusion's.

use std::any::Any;
use std::fmt::Display;

use datafusion::common::config::{
    ConfigEntry, ConfigExtension, ConfigField, ExtensionOptions, Visit,
};
use datafusion::common::{config_datafusion_err, config_namespace};
use datafusion::error::Result;
use datafusion::prelude::{SessionConfig, SessionContext};

/// Default of `fuseplug.serialization.max_inline_table_bytes`: 64 MiB.
pub const DEFAULT_MAX_INLINE_TABLE_BYTES: usize = 64 * 1024 * 1024;

/// The full key of the inline-table limit, as error messages name it.
pub const MAX_INLINE_TABLE_BYTES_KEY: &str = "fuseplug.serialization.max_inline_table_bytes";

config_namespace! {
    /// How plans are serialized (`to_bytes`, pickle).
    pub struct SerializationOptions {
        /// The most bytes of Arrow IPC an in-memory table may add to a serialized plan; a larger
        /// table makes `to_bytes` fail instead of writing a huge payload.
        pub max_inline_table_bytes: usize, default = DEFAULT_MAX_INLINE_TABLE_BYTES
    }
}

config_namespace! {
    /// fuseplug's own physical optimizer rules (`crate::optimizer`).
    pub struct OptimizerOptions {
        /// Apply the dynamic filters of hash joins and TopK sorts to the rows of Parquet scans that
        /// read without `datafusion.execution.parquet.pushdown_filters` (DataFusion then uses them
        /// only to prune row groups).
        pub dynamic_filter_rows: bool, default = true
        /// Run an aggregate that a plan holds more than once (a view or CTE read twice) once, and
        /// hand its output to every place that reads it.
        pub share_repeated_subplans: bool, default = true
        /// With at most 2 target partitions, plan hash joins as DataFusion does with
        /// `datafusion.optimizer.repartition_joins` off (one hash table every partition probes),
        /// unless `prefer_hash_join` is off or `repartition_joins` already is.
        pub collect_joins: bool, default = true
    }
}

config_namespace! {
    /// The progress line of long queries (`collect`, `show`, `to_arrow_table`, ... and the CLI).
    pub struct ProgressOptions {
        /// `auto`: shown in the CLI when stderr is a terminal and in Jupyter, never in scripts;
        /// `true`: shown wherever the query runs (Jupyter, else stderr); `false`: never.
        pub enabled: String, default = "auto".to_string()
        /// How long a query runs, in milliseconds, before its progress shows.
        pub delay_ms: u64, default = 2000
    }
}

/// The values `fuseplug.progress.enabled` takes.
pub const PROGRESS_MODES: [&str; 3] = ["auto", "true", "false"];

/// Every `fuseplug.*` option. Written out rather than with `extensions_options!`, whose entries
/// leave out the prefix, so that `SHOW`, `SessionConfig.get` and `options()` know the full keys.
#[derive(Debug, Clone, Default)]
pub struct FuseplugOptions {
    pub serialization: SerializationOptions,
    pub optimizer: OptimizerOptions,
    pub progress: ProgressOptions,
}

impl ConfigExtension for FuseplugOptions {
    const PREFIX: &'static str = "fuseplug";
}

/// Collects `ConfigEntry`s.
struct Entries(Vec<ConfigEntry>);

impl Visit for Entries {
    fn some<V: Display>(&mut self, key: &str, value: V, description: &'static str) {
        let value = Some(value.to_string());
        self.0.push(ConfigEntry { key: key.to_string(), value, description });
    }

    fn none(&mut self, key: &str, description: &'static str) {
        self.0.push(ConfigEntry { key: key.to_string(), value: None, description });
    }
}

impl ExtensionOptions for FuseplugOptions {
    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn cloned(&self) -> Box<dyn ExtensionOptions> {
        Box::new(self.clone())
    }

    /// `key` comes without the `fuseplug.` prefix.
    fn set(&mut self, key: &str, value: &str) -> Result<()> {
        match key.split_once('.') {
            Some(("serialization", rest)) => self.serialization.set(rest, value),
            Some(("optimizer", rest)) => self.optimizer.set(rest, value),
            Some(("progress", "enabled")) => {
                let mode = match value.trim().to_ascii_lowercase().as_str() {
                    "on" => "true".to_string(),
                    "off" => "false".to_string(),
                    other => other.to_string(),
                };
                if !PROGRESS_MODES.contains(&mode.as_str()) {
                    return Err(config_datafusion_err!(
                        "fuseplug.progress.enabled must be one of auto, true (on), false (off); got {value:?}"
                    ));
                }
                self.progress.enabled = mode;
                Ok(())
            }
            Some(("progress", rest)) => self.progress.set(rest, value),
            _ => Err(config_datafusion_err!("unknown fuseplug option: fuseplug.{key}")),
        }
    }

    fn entries(&self) -> Vec<ConfigEntry> {
        let mut entries = Entries(Vec::new());
        let prefix = format!("{}.serialization", Self::PREFIX);
        self.serialization.visit(&mut entries, &prefix, "");
        let prefix = format!("{}.optimizer", Self::PREFIX);
        self.optimizer.visit(&mut entries, &prefix, "");
        let prefix = format!("{}.progress", Self::PREFIX);
        self.progress.visit(&mut entries, &prefix, "");
        entries.0
    }
}

/// `config` with fuseplug's options installed (at their defaults) unless they already are.
pub fn with_fuseplug_options(mut config: SessionConfig) -> SessionConfig {
    if config.options().extensions.get::<FuseplugOptions>().is_none() {
        config.options_mut().extensions.insert(FuseplugOptions::default());
    }
    config
}

/// The inline-table limit in force on `ctx` (the default where the options are not installed).
pub fn max_inline_table_bytes(ctx: &SessionContext) -> usize {
    let state = ctx.state_ref();
    let state = state.read();
    state
        .config()
        .options()
        .extensions
        .get::<FuseplugOptions>()
        .map_or(DEFAULT_MAX_INLINE_TABLE_BYTES, |o| o.serialization.max_inline_table_bytes)
}

/// `fuseplug.progress.*` in force for a session config (the defaults where the options are not
/// installed).
pub fn progress_options(config: &SessionConfig) -> ProgressOptions {
    config
        .options()
        .extensions
        .get::<FuseplugOptions>()
        .map(|o| o.progress.clone())
        .unwrap_or_default()
}
