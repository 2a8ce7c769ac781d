//! `SessionConfig` and `RuntimeEnvBuilder`: immutable builders, each `with_*` returns a new object.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::{
    FairSpillPool, GreedyMemoryPool, MemoryPool, TrackConsumersPool, UnboundedMemoryPool,
};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::SessionConfig;
use datafusion_ffi::config::extension_options::FFI_ExtensionOptions;
use pyo3::prelude::*;

use crate::capsule;
use crate::errors::{Error, Result};
use fuseplug_engine::defaults::session_config;

/// How many memory consumers a "resources exhausted" error names.
const TOP_CONSUMERS: usize = 5;

#[pyclass(frozen, name = "SessionConfig", module = "fuseplug._internal", from_py_object)]
#[derive(Clone)]
pub struct PySessionConfig {
    pub inner: SessionConfig,
}

/// fuseplug's session defaults (`fuseplug_engine::defaults::session_config`).
impl Default for PySessionConfig {
    fn default() -> Self {
        session_config().into()
    }
}

/// Every option as `(full key, value)`. DataFusion lists an extension's options without its prefix
/// (`max_tasks_per_stage`); here they carry it (`distributed.max_tasks_per_stage`), the key `set`
/// and `SET` take.
fn entries(config: &SessionConfig) -> Vec<(String, Option<String>)> {
    let options = config.options();
    let mut out: Vec<_> = options
        .entries()
        .into_iter()
        .filter(|entry| entry.key.starts_with("datafusion."))
        .map(|entry| (entry.key, entry.value))
        .collect();
    for (prefix, extension) in options.extensions.iter() {
        for entry in extension.entries() {
            // only the flat keys of `extensions_options!` lack their prefix; others (ours,
            // plugins' `ffi_example.greeting`) are listed under the key `set` takes
            let key = match entry.key.contains('.') {
                true => entry.key,
                false => format!("{prefix}.{}", entry.key),
            };
            out.push((key, entry.value));
        }
    }
    out
}

/// `config` with option `key` set to `value`.
fn set_option(config: &SessionConfig, key: &str, value: &str) -> Result<SessionConfig> {
    let mut changed = config.clone();
    changed.options_mut().set(key, value)?;
    Ok(changed)
}

impl From<SessionConfig> for PySessionConfig {
    fn from(inner: SessionConfig) -> Self {
        Self { inner }
    }
}

impl From<PySessionConfig> for SessionConfig {
    fn from(config: PySessionConfig) -> Self {
        config.inner
    }
}

impl PySessionConfig {
    fn map(&self, f: impl FnOnce(SessionConfig) -> SessionConfig) -> Self {
        f(self.inner.clone()).into()
    }
}

#[pymethods]
impl PySessionConfig {
    /// A config with `config_options` (full key to value) set on the defaults. The official
    /// bindings name the argument `config_options`; `options` is this package's older name.
    #[new]
    #[pyo3(signature = (config_options = None, *, options = None))]
    fn new(
        config_options: Option<HashMap<String, String>>,
        options: Option<HashMap<String, String>>,
    ) -> Result<Self> {
        let options = match (config_options, options) {
            (Some(_), Some(_)) => {
                return Err(Error::Type("give config_options or options, not both".into()));
            }
            (given, None) | (None, given) => given,
        };
        let mut config = Self::default().inner;
        for (key, value) in options.unwrap_or_default() {
            config = set_option(&config, &key, &value)?;
        }
        Ok(config.into())
    }

    /// Sets any option by its full key, e.g. `datafusion.execution.batch_size`.
    fn set(&self, key: &str, value: &Bound<'_, PyAny>) -> Result<Self> {
        let value = if let Ok(b) = value.extract::<bool>() {
            b.to_string()
        } else {
            value.str()?.to_string()
        };
        Ok(set_option(&self.inner, key, &value)?.into())
    }

    /// The value of one option as a string, or `None` when it is unset.
    fn get(&self, key: &str) -> Result<Option<String>> {
        entries(&self.inner)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value)
            .ok_or_else(|| Error::Value(format!("unknown configuration key: {key}")))
    }

    /// Every option as a `{key: value}` dict.
    fn options(&self) -> HashMap<String, Option<String>> {
        entries(&self.inner).into_iter().collect()
    }

    fn with_batch_size(&self, batch_size: usize) -> Result<Self> {
        let size = batch_size;
        if size == 0 {
            return Err(Error::Value("batch size must be positive".into()));
        }
        Ok(self.map(|c| c.with_batch_size(size)))
    }

    /// Whether Parquet scans skip row groups and pages by their statistics.
    #[pyo3(signature = (enabled = true))]
    fn with_parquet_pruning(&self, enabled: bool) -> Self {
        self.map(|c| c.with_parquet_pruning(enabled))
    }

    /// The smallest total file size worth splitting across partitions when scanning.
    fn with_repartition_file_min_size(&self, size: usize) -> Self {
        self.map(|c| c.with_repartition_file_min_size(size))
    }

    fn with_target_partitions(&self, target_partitions: usize) -> Result<Self> {
        let partitions = target_partitions;
        if partitions == 0 {
            return Err(Error::Value("target partitions must be positive".into()));
        }
        Ok(self.map(|c| c.with_target_partitions(partitions)))
    }

    /// A config that also holds a plugin's options (`__datafusion_extension_options__()` or its
    /// capsule): `SET` and `SHOW` reach their keys, and the plugin reads them back at run time.
    fn with_extension(&self, extension: &Bound<'_, PyAny>) -> Result<Self> {
        let options = capsule::extension_options(extension)?;
        let mut inner = self.inner.clone();
        let extensions = &mut inner.options_mut().extensions;
        match extensions.get_mut::<FFI_ExtensionOptions>() {
            Some(installed) => installed.merge(&options)?,
            None => extensions.insert(options),
        }
        Ok(inner.into())
    }

    #[pyo3(signature = (enabled = true))]
    fn with_information_schema(&self, enabled: bool) -> Self {
        self.map(|c| c.with_information_schema(enabled))
    }

    fn with_default_catalog_and_schema(&self, catalog: &str, schema: &str) -> Self {
        self.map(|c| c.with_default_catalog_and_schema(catalog, schema))
    }

    #[pyo3(signature = (enabled = true))]
    fn with_create_default_catalog_and_schema(&self, enabled: bool) -> Self {
        self.map(|c| c.with_create_default_catalog_and_schema(enabled))
    }

    /// A config whose sessions plan every query on `workers` with datafusion-distributed
    /// (see `SessionContext.with_distributed`, which takes the same arguments).
    #[pyo3(signature = (
        workers, *, tasks_per_stage = None, bytes_per_partition = None, broadcast_joins = None,
        compression = None, connect_timeout = 5.0, options = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn with_distributed(
        &self,
        workers: &Bound<'_, PyAny>,
        tasks_per_stage: Option<usize>,
        bytes_per_partition: Option<usize>,
        broadcast_joins: Option<bool>,
        compression: Option<&str>,
        connect_timeout: f64,
        options: Option<HashMap<String, String>>,
    ) -> Result<Self> {
        let settings = crate::distributed::Settings::new(
            workers,
            tasks_per_stage,
            bytes_per_partition,
            broadcast_joins,
            compression,
            connect_timeout,
            options,
        )?;
        let mut inner = self.inner.clone();
        settings.apply(&mut inner)?;
        Ok(inner.into())
    }

    /// The worker URLs this config distributes to (empty for local execution).
    #[getter]
    fn distributed_workers(&self) -> Vec<String> {
        crate::distributed::worker_urls(&self.inner)
    }

    #[pyo3(signature = (enabled = true))]
    fn with_repartition_joins(&self, enabled: bool) -> Self {
        self.map(|c| c.with_repartition_joins(enabled))
    }

    #[pyo3(signature = (enabled = true))]
    fn with_repartition_aggregations(&self, enabled: bool) -> Self {
        self.map(|c| c.with_repartition_aggregations(enabled))
    }

    #[pyo3(signature = (enabled = true))]
    fn with_repartition_windows(&self, enabled: bool) -> Self {
        self.map(|c| c.with_repartition_windows(enabled))
    }

    #[pyo3(signature = (enabled = true))]
    fn with_repartition_sorts(&self, enabled: bool) -> Self {
        self.map(|c| c.with_repartition_sorts(enabled))
    }

    #[pyo3(signature = (enabled = true))]
    fn with_repartition_file_scans(&self, enabled: bool) -> Self {
        self.map(|c| c.with_repartition_file_scans(enabled))
    }

    fn __repr__(&self) -> String {
        let options = self.inner.options();
        format!(
            "SessionConfig(batch_size={}, target_partitions={}, information_schema={})",
            options.execution.batch_size,
            options.execution.target_partitions,
            options.catalog.information_schema
        )
    }
}

/// Which memory pool the runtime uses.
#[derive(Clone, Debug)]
enum PoolKind {
    Unbounded,
    FairSpill(usize),
    Greedy(usize),
}

#[pyclass(frozen, name = "RuntimeEnvBuilder", module = "fuseplug._internal", from_py_object)]
#[derive(Clone, Debug)]
pub struct PyRuntimeEnvBuilder {
    pool: PoolKind,
    disk: DiskManagerMode,
    max_temp_directory_size: Option<u64>,
}

impl Default for PyRuntimeEnvBuilder {
    fn default() -> Self {
        Self {
            pool: PoolKind::Unbounded,
            disk: DiskManagerMode::OsTmpDirectory,
            max_temp_directory_size: None,
        }
    }
}

impl PyRuntimeEnvBuilder {
    pub fn build(&self) -> Result<Arc<RuntimeEnv>> {
        let pool: Arc<dyn MemoryPool> = match self.pool {
            PoolKind::Unbounded => Arc::new(UnboundedMemoryPool::default()),
            PoolKind::FairSpill(size) => Arc::new(TrackConsumersPool::new(
                FairSpillPool::new(size),
                TOP_CONSUMERS.try_into().expect("non-zero"),
            )),
            PoolKind::Greedy(size) => Arc::new(TrackConsumersPool::new(
                GreedyMemoryPool::new(size),
                TOP_CONSUMERS.try_into().expect("non-zero"),
            )),
        };
        let mut disk = DiskManagerBuilder::default().with_mode(self.disk.clone());
        if let Some(size) = self.max_temp_directory_size {
            disk = disk.with_max_temp_directory_size(size);
        }
        Ok(RuntimeEnvBuilder::new()
            .with_memory_pool(pool)
            .with_disk_manager_builder(disk)
            .with_object_store_registry(crate::object_store::registry())
            .build_arc()?)
    }

    fn with(&self, f: impl FnOnce(&mut Self)) -> Self {
        let mut next = self.clone();
        f(&mut next);
        next
    }
}

fn positive(size: usize, what: &str) -> Result<usize> {
    if size == 0 { Err(Error::Value(format!("{what} must be positive"))) } else { Ok(size) }
}

#[pymethods]
impl PyRuntimeEnvBuilder {
    #[new]
    fn new() -> Self {
        Self::default()
    }

    fn with_disk_manager_disabled(&self) -> Self {
        self.with(|b| b.disk = DiskManagerMode::Disabled)
    }

    fn with_disk_manager_os(&self) -> Self {
        self.with(|b| b.disk = DiskManagerMode::OsTmpDirectory)
    }

    #[pyo3(signature = (*paths))]
    fn with_disk_manager_specified(&self, paths: Vec<PathBuf>) -> Result<Self> {
        if paths.is_empty() {
            return Err(Error::Value("give at least one spill directory".into()));
        }
        Ok(self.with(|b| b.disk = DiskManagerMode::Directories(paths)))
    }

    fn with_temp_file_path(&self, path: PathBuf) -> Self {
        self.with(|b| b.disk = DiskManagerMode::Directories(vec![path]))
    }

    fn with_max_temp_directory_size(&self, size: u64) -> Self {
        self.with(|b| b.max_temp_directory_size = Some(size))
    }

    fn with_unbounded_memory_pool(&self) -> Self {
        self.with(|b| b.pool = PoolKind::Unbounded)
    }

    /// A pool that divides `size` bytes fairly among spilling operators.
    fn with_fair_spill_pool(&self, size: usize) -> Result<Self> {
        let size = positive(size, "memory pool size")?;
        Ok(self.with(|b| b.pool = PoolKind::FairSpill(size)))
    }

    /// A first-come-first-served pool of `size` bytes.
    fn with_greedy_memory_pool(&self, size: usize) -> Result<Self> {
        let size = positive(size, "memory pool size")?;
        Ok(self.with(|b| b.pool = PoolKind::Greedy(size)))
    }

    /// Limits memory to `max_memory * memory_fraction` bytes with a spilling pool.
    #[pyo3(signature = (max_memory, memory_fraction = 1.0))]
    fn with_memory_limit(&self, max_memory: usize, memory_fraction: f64) -> Result<Self> {
        if !(memory_fraction > 0.0 && memory_fraction <= 1.0) {
            return Err(Error::Value("memory_fraction must be in (0, 1]".into()));
        }
        let size = positive((max_memory as f64 * memory_fraction) as usize, "memory limit")?;
        Ok(self.with(|b| b.pool = PoolKind::FairSpill(size)))
    }

    fn __repr__(&self) -> String {
        format!("RuntimeEnvBuilder(pool={:?}, disk={:?})", self.pool, self.disk)
    }
}
