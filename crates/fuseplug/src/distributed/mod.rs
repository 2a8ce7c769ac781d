//! Distributed queries on datafusion-distributed: a coordinating session cuts each physical plan into
//! stages and fuseplug worker processes run them, streaming Arrow to each other over Arrow Flight.
//!
//! - The coordinating side is an ordinary session with the engine's planner, a fixed list of worker
//!   URLs, channels that connect within a bounded time and name their worker in every failure, and
//!   the session's Python codec stack as the engine's user codec (Python UDFs travel inline).
//! - A worker is the engine's gRPC service on our tokio runtime. Each task it runs gets a session
//!   built from a template session (what `--setup` prepared: functions, catalogs, object stores,
//!   codecs), so whatever the template knows, the plan fragments it decodes may use.

mod channels;
mod functions;
mod progress;
mod worker;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::record_batch::RecordBatch;
use datafusion::common::format::ExplainFormat;
use datafusion::config::ConfigExtension;
use datafusion::dataframe::DataFrame;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::displayable;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_distributed::{
    DistributedConfig, DistributedExt, DistributedGetterExt, SessionStateBuilderExt,
};
use fuseplug_capsule::runtime::wait_for_future;
use fuseplug_engine::state::rebuilt;
use pyo3::prelude::*;
use url::Url;

pub use channels::WorkerFailure;
use channels::{StaticWorkers, WorkerChannels};
pub use functions::refresh_functions;
pub use progress::{RemoteQuery, is_network_boundary, leaf_original, tagged};

use crate::capsule::SessionTasks;
use crate::context::PySessionContext;
use crate::errors::{Error, Result};
use crate::optimizer;
use crate::serialize::Env;

/// Parses worker URLs: `host:port` gets `http://`; anything but http(s) with a host is refused.
pub fn parse_workers(workers: &[String]) -> Result<Vec<Url>> {
    if workers.is_empty() {
        return Err(Error::Value("with_distributed needs at least one worker URL".into()));
    }
    workers
        .iter()
        .map(|raw| {
            let text = raw.trim();
            let text =
                if text.contains("://") { text.to_string() } else { format!("http://{text}") };
            let url = Url::parse(&text)
                .map_err(|e| Error::Value(format!("{raw:?} is not a worker URL: {e}")))?;
            if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
                return Err(Error::Value(format!(
                    "{raw:?} is not a worker URL: expected http://host:port"
                )));
            }
            if url.port_or_known_default().is_none() {
                return Err(Error::Value(format!("{raw:?} is not a worker URL: no port")));
            }
            Ok(url)
        })
        .collect()
}

/// What `with_distributed` takes from Python (on `SessionConfig` and on `SessionContext`), checked.
pub struct Settings {
    workers: Vec<Url>,
    /// `distributed.*` options without the prefix, e.g. `max_tasks_per_stage`.
    knobs: Vec<(String, String)>,
    connect_timeout: Duration,
}

impl Settings {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        workers: &Bound<'_, PyAny>,
        tasks_per_stage: Option<usize>,
        bytes_per_partition: Option<usize>,
        broadcast_joins: Option<bool>,
        compression: Option<&str>,
        connect_timeout: f64,
        options: Option<HashMap<String, String>>,
    ) -> Result<Self> {
        let knobs = knob_options(
            tasks_per_stage,
            bytes_per_partition,
            broadcast_joins,
            compression,
            options,
        )?;
        let connect_timeout = seconds("connect_timeout", connect_timeout)?;
        Ok(Self { workers: parse_workers(&worker_list(workers)?)?, knobs, connect_timeout })
    }

    /// Makes `config` a coordinating session's: its workers, bounded connections, the knobs.
    pub fn apply(&self, config: &mut SessionConfig) -> Result<()> {
        config.set_distributed_worker_resolver(StaticWorkers(self.workers.clone()));
        let channels = WorkerChannels::new(self.connect_timeout);
        config.set_distributed_channel_resolver(channels.clone());
        // the progress line asks the same workers over the same connections
        config.set_extension(Arc::new(progress::ProgressChannels(channels)));
        for (key, value) in &self.knobs {
            let key = format!("{}.{key}", DistributedConfig::PREFIX);
            config.options_mut().set(&key, value)?;
        }
        Ok(())
    }
}

/// Worker URLs from what Python passed: a list of URLs, one comma-separated string, or an object
/// with a `urls` attribute (a `LocalCluster`).
fn worker_list(workers: &Bound<'_, PyAny>) -> Result<Vec<String>> {
    if let Ok(text) = workers.extract::<String>() {
        return Ok(text
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(String::from)
            .collect());
    }
    let workers = match workers.getattr("urls") {
        Ok(urls) => urls,
        Err(_) => workers.clone(),
    };
    workers.extract::<Vec<String>>().map_err(|_| {
        Error::Type(
            "workers must be a list of URLs, a comma-separated string or a LocalCluster".into(),
        )
    })
}

/// The engine's knobs as `distributed.*` keys (without the prefix), checked.
fn knob_options(
    tasks_per_stage: Option<usize>,
    bytes_per_partition: Option<usize>,
    broadcast_joins: Option<bool>,
    compression: Option<&str>,
    options: Option<HashMap<String, String>>,
) -> Result<Vec<(String, String)>> {
    let mut knobs = Vec::new();
    if let Some(n) = tasks_per_stage {
        if n == 0 {
            return Err(Error::Value("tasks_per_stage must be at least 1".into()));
        }
        knobs.push(("max_tasks_per_stage".to_string(), n.to_string()));
    }
    if let Some(n) = bytes_per_partition {
        if n == 0 {
            return Err(Error::Value("bytes_per_partition must be positive".into()));
        }
        knobs.push(("file_scan_config_bytes_per_partition".to_string(), n.to_string()));
    }
    if let Some(enabled) = broadcast_joins {
        knobs.push(("broadcast_joins".to_string(), enabled.to_string()));
    }
    if let Some(codec) = compression {
        let codec = codec.to_ascii_lowercase();
        if !matches!(codec.as_str(), "lz4" | "zstd" | "none") {
            return Err(Error::Value(format!(
                "compression must be 'lz4', 'zstd' or 'none', not {codec:?}"
            )));
        }
        knobs.push(("compression".to_string(), codec));
    }
    for (key, value) in options.unwrap_or_default() {
        let key = key.strip_prefix("distributed.").unwrap_or(&key).to_string();
        knobs.push((key, value));
    }
    Ok(knobs)
}

pub(super) fn seconds(what: &str, value: f64) -> Result<Duration> {
    match Duration::try_from_secs_f64(value) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(Error::Value(format!("{what} must be a positive number of seconds, not {value}"))),
    }
}

/// Whether `config` names workers (made by `Settings::apply`).
pub fn is_distributed(config: &SessionConfig) -> bool {
    config.get_distributed_worker_resolver().is_ok()
}

/// The URLs of a coordinating session's workers (empty for a local session).
pub fn worker_urls(config: &SessionConfig) -> Vec<String> {
    config
        .get_distributed_worker_resolver()
        .and_then(|resolver| resolver.get_urls())
        .map(|urls| urls.iter().map(|u| u.as_str().trim_end_matches('/').to_string()).collect())
        .unwrap_or_default()
}

/// Installs the distributed planner and this session's codec stack on a session whose config
/// names workers. The codec is built without a session (an `Arc` to it from its own config would
/// never be freed), so on the coordinating side it runs with the default inline-table limit.
pub fn install(ctx: &SessionContext, tasks: &SessionTasks) -> Result<()> {
    {
        let state = ctx.state_ref();
        let mut state = state.write();
        if !is_distributed(state.config()) {
            return Ok(());
        }
        let env = Env::new(tasks.inline_python, None);
        let codec = Arc::new(tasks.physical_codec(&env));
        *state = rebuilt(&state, |b| {
            optimizer::for_distributed(b)
                .with_distributed_user_codec_arc(codec)
                .with_distributed_planner()
        })?;
    }
    refresh_functions(ctx, tasks)
}

/// `df` itself, unless it is a non-analyzing `EXPLAIN` on a distributed session: then the same
/// rows with the physical plan the distributed planner makes, stages and all. (DataFusion's EXPLAIN
/// plans with the default physical planner, which knows nothing of the session's query planner;
/// `EXPLAIN ANALYZE` already goes through it.)
pub fn explained(py: Python<'_>, session: &SessionContext, df: DataFrame) -> Result<DataFrame> {
    let LogicalPlan::Explain(explain) = df.logical_plan() else {
        return Ok(df);
    };
    if explain.explain_format != ExplainFormat::Indent
        || !is_distributed(session.state_ref().read().config())
    {
        return Ok(df);
    }
    let (input, verbose) = (Arc::clone(&explain.plan), explain.verbose);
    let state = session.state();
    let rows = wait_for_future(py, async move {
        let physical = state.create_physical_plan(&input).await?;
        let text = displayable(physical.as_ref()).indent(verbose).to_string();
        let batches = df.collect().await?;
        batches
            .into_iter()
            .map(|batch| with_physical_plan(&batch, &text))
            .collect::<datafusion::error::Result<Vec<_>>>()
    })??;
    Ok(session.read_batches(rows)?)
}

/// `batch` (EXPLAIN's `plan_type`, `plan` rows) with the `physical_plan` row's text replaced.
fn with_physical_plan(batch: &RecordBatch, text: &str) -> datafusion::error::Result<RecordBatch> {
    use arrow::array::{Array, AsArray, StringArray};
    use arrow::datatypes::DataType;
    let kinds = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
    let plans = arrow::compute::cast(batch.column(1), &DataType::Utf8)?;
    let (kinds, plans) = (kinds.as_string::<i32>(), plans.as_string::<i32>());
    let replaced: StringArray = (0..plans.len())
        .map(|i| match kinds.is_valid(i) && kinds.value(i) == "physical_plan" {
            true => Some(text),
            false => plans.is_valid(i).then(|| plans.value(i)),
        })
        .collect();
    let replaced = arrow::compute::cast(&replaced, batch.column(1).data_type())?;
    let mut columns = batch.columns().to_vec();
    columns[1] = replaced;
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// A context sharing `ctx`'s tables, functions and codecs whose queries run on `workers`.
#[pyfunction]
#[pyo3(signature = (
    ctx, workers, *, tasks_per_stage = None, bytes_per_partition = None, broadcast_joins = None,
    compression = None, connect_timeout = 5.0, options = None
))]
#[allow(clippy::too_many_arguments)]
pub fn distributed_context(
    ctx: &PySessionContext,
    workers: &Bound<'_, PyAny>,
    tasks_per_stage: Option<usize>,
    bytes_per_partition: Option<usize>,
    broadcast_joins: Option<bool>,
    compression: Option<&str>,
    connect_timeout: f64,
    options: Option<HashMap<String, String>>,
) -> Result<PySessionContext> {
    let settings = Settings::new(
        workers,
        tasks_per_stage,
        bytes_per_partition,
        broadcast_joins,
        compression,
        connect_timeout,
        options,
    )?;
    // A copy of the state shares the catalogs (rebuilding it from a config would replace the
    // default catalog, in this context too).
    let mut state = ctx.ctx.state();
    settings.apply(state.config_mut())?;
    let session = Arc::new(SessionContext::new_with_state(state));
    let tasks = ctx.tasks.rebased(Arc::clone(&session));
    install(&session, &tasks)?;
    Ok(PySessionContext::from_tasks(tasks))
}

/// The worker URLs of `ctx`'s session (empty when its queries run locally).
#[pyfunction]
pub fn distributed_workers(ctx: &PySessionContext) -> Vec<String> {
    worker_urls(ctx.ctx.state_ref().read().config())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<worker::PyWorker>()?;
    m.add_function(wrap_pyfunction!(worker::ping_worker, m)?)?;
    m.add_function(wrap_pyfunction!(distributed_context, m)?)?;
    m.add_function(wrap_pyfunction!(distributed_workers, m)?)?;
    Ok(())
}
