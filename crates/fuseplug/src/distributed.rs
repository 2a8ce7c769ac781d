//! Distributed queries on datafusion-distributed: a coordinating session cuts each physical plan into
//! stages and fuseplug worker processes run them, streaming Arrow to each other over Arrow Flight.
//!
//! - The coordinating side is an ordinary session with the engine's planner, a fixed list of worker
//!   URLs, channels that connect within a bounded time and name their worker in every failure, and
//!   the session's Python codec stack as the engine's user codec (Python UDFs travel inline).
//! - A worker is the engine's gRPC service on our tokio runtime. Each task it runs gets a session
//!   built from a template session (what `--setup` prepared: functions, catalogs, object stores,
//!   codecs), so whatever the template knows, the plan fragments it decodes may use.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::common::format::ExplainFormat;
use datafusion::config::ConfigExtension;
use datafusion::dataframe::DataFrame;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::displayable;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_distributed::grpc::{BoxCloneSyncChannel, create_worker_client};
use datafusion_distributed::{
    ChannelResolver, CoordinatorToWorkerMsg, DistributedConfig, DistributedExt,
    DistributedGetterExt, ExecuteTaskRequest, GetWorkerInfoRequest, GetWorkerInfoResponse,
    SessionStateBuilderExt, SetPlanRequest, Worker, WorkerChannel, WorkerQueryContext,
    WorkerResolver, WorkerSessionBuilder, WorkerToCoordinatorMsg,
};
use fuseplug_capsule::runtime::{runtime, wait_for_future};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use pyo3::prelude::*;
use tokio::sync::watch;
use tonic::codegen::http::HeaderMap;
use tonic::transport::{Channel, Server};
use url::Url;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use datafusion_proto::physical_plan::PhysicalExtensionCodec;
use tonic::codegen::http::{HeaderName, HeaderValue};

use crate::capsule::SessionTasks;
use crate::context::PySessionContext;
use crate::errors::{Error, Result};
use crate::serialize::{Env, FunctionRef, own_function_payload};

/// How long a worker may take to accept a connection when no timeout is given.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// HTTP/2 pings on every worker connection: a peer that stops answering (a frozen host, a cut
/// cable) fails its queries after about interval + timeout instead of hanging them.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(5);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest header block a worker accepts (and a coordinator sends): Python UDFs travel in it.
const MAX_HEADER_LIST_SIZE: u32 = 64 << 20;
/// Headers named `x-fuseplug-function-<n>` carry the session's Python UDFs and native functions to
/// the workers (see `refresh_functions`).
const FUNCTION_HEADER: &str = "x-fuseplug-function-";

/// A failure to reach or to keep talking to one worker (as opposed to an error the query itself
/// raised on that worker, which keeps its own kind). Raised in Python as `WorkerError`.
#[derive(Debug)]
pub struct WorkerFailure {
    pub url: String,
    pub message: String,
}

const FAILURE_PREFIX: &str = "distributed worker ";
const FAILURE_INFIX: &str = " failed: ";

impl fmt::Display for WorkerFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{FAILURE_PREFIX}{}{FAILURE_INFIX}{}", self.url, self.message)
    }
}

impl WorkerFailure {
    /// A failure one worker saw while talking to another travels back as text; this reads the
    /// text again, so the coordinator still reports it as that other worker's failure.
    fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix(FAILURE_PREFIX)?;
        let (url, message) = rest.split_once(FAILURE_INFIX)?;
        (url.starts_with("http://") || url.starts_with("https://"))
            .then(|| Self { url: url.to_string(), message: message.to_string() })
    }
}

impl std::error::Error for WorkerFailure {}

fn worker_failure(url: &Url, message: impl fmt::Display) -> DataFusionError {
    DataFusionError::External(Box::new(WorkerFailure {
        url: url.as_str().trim_end_matches('/').to_string(),
        message: message.to_string(),
    }))
}

/// Whether `err` is the transport failing (a connection refused or reset, a stream cut short)
/// rather than an error the remote side encoded and sent back.
fn is_transport(err: &DataFusionError) -> bool {
    match err {
        DataFusionError::External(e) => transport_cause(e.as_ref()),
        DataFusionError::Context(_, inner) => is_transport(inner),
        DataFusionError::Shared(inner) => is_transport(inner),
        DataFusionError::ArrowError(inner, _) => match inner.as_ref() {
            arrow::error::ArrowError::ExternalError(e) => transport_cause(e.as_ref()),
            _ => false,
        },
        _ => false,
    }
}

fn transport_cause(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if e.is::<tonic::Status>()
            || e.is::<tonic::transport::Error>()
            || e.is::<std::io::Error>()
            || e.is::<WorkerFailure>()
        {
            return true;
        }
        if let Some(df) = e.downcast_ref::<DataFusionError>() {
            return is_transport(df);
        }
        cause = e.source();
    }
    false
}

/// Names the worker in an error: a transport failure becomes a [`WorkerFailure`]; an error the
/// query raised over there keeps its kind and gains the worker's URL as context.
fn label(url: &Url, err: DataFusionError) -> DataFusionError {
    if let DataFusionError::External(e) = &err
        && e.is::<WorkerFailure>()
    {
        return err;
    }
    if is_transport(&err) {
        worker_failure(url, describe_transport(&err))
    } else if let DataFusionError::External(root) = err.find_root()
        && let Some(failure) = WorkerFailure::parse(&root.to_string())
    {
        DataFusionError::External(Box::new(failure))
    } else {
        err.context(format!("on distributed worker {}", url.as_str().trim_end_matches('/')))
    }
}

/// What went wrong with a connection, in words, followed by the transport's own text.
fn describe_transport(err: &DataFusionError) -> String {
    let raw = match err {
        DataFusionError::External(e) => e.to_string(),
        other => other.strip_backtrace(),
    };
    let summary = if raw.contains("KeepAliveTimedOut") {
        let waited = (KEEP_ALIVE_INTERVAL + KEEP_ALIVE_TIMEOUT).as_secs();
        format!("stopped answering (no reply to HTTP/2 keep-alive pings for about {waited} s)")
    } else if raw.contains("onnection refused") {
        "connection refused".to_string()
    } else {
        "the connection was lost".to_string()
    };
    format!("{summary}: {raw}")
}

/// The fixed list of workers a coordinating session distributes to.
#[derive(Debug, Clone)]
struct StaticWorkers(Vec<Url>);

impl WorkerResolver for StaticWorkers {
    fn get_urls(&self) -> datafusion::error::Result<Vec<Url>> {
        Ok(self.0.clone())
    }
}

/// Connections to workers: one cached channel per URL, a bounded connect time, HTTP/2 keep-alive,
/// and every failure labelled with the worker's URL.
#[derive(Clone)]
pub struct WorkerChannels {
    channels: Arc<Mutex<HashMap<Url, BoxCloneSyncChannel>>>,
    connect_timeout: Duration,
}

impl WorkerChannels {
    pub fn new(connect_timeout: Duration) -> Self {
        Self { channels: Arc::default(), connect_timeout }
    }

    async fn channel(&self, url: &Url) -> datafusion::error::Result<BoxCloneSyncChannel> {
        if let Some(channel) = self.channels.lock().ok().and_then(|c| c.get(url).cloned()) {
            return Ok(channel);
        }
        let endpoint = Channel::from_shared(url.to_string())
            .map_err(|e| worker_failure(url, format!("not a valid worker URL: {e}")))?
            .connect_timeout(self.connect_timeout)
            .tcp_nodelay(true)
            .http2_keep_alive_interval(KEEP_ALIVE_INTERVAL)
            .keep_alive_timeout(KEEP_ALIVE_TIMEOUT)
            .keep_alive_while_idle(true)
            .http2_max_header_list_size(MAX_HEADER_LIST_SIZE);
        // `connect_timeout` bounds the TCP connect; the outer timeout also bounds the HTTP/2
        // handshake with a peer that accepts but never answers.
        let connected = tokio::time::timeout(self.connect_timeout, endpoint.connect()).await;
        let channel = match connected {
            Ok(Ok(channel)) => channel,
            Ok(Err(e)) => {
                let cause = std::error::Error::source(&e).map(|s| format!(": {s}"));
                return Err(worker_failure(
                    url,
                    format!("cannot connect ({e}{})", cause.unwrap_or_default()),
                ));
            }
            Err(_) => {
                return Err(worker_failure(
                    url,
                    format!("no answer within {:.1} s", self.connect_timeout.as_secs_f64()),
                ));
            }
        };
        let channel = BoxCloneSyncChannel::new(channel);
        if let Ok(mut channels) = self.channels.lock() {
            channels.insert(url.clone(), channel.clone());
        }
        Ok(channel)
    }
}

#[async_trait]
impl ChannelResolver for WorkerChannels {
    async fn get_worker_client_for_url(
        &self,
        url: &Url,
    ) -> datafusion::error::Result<Box<dyn WorkerChannel>> {
        let channel = self.channel(url).await?;
        Ok(Box::new(NamedWorker { url: url.clone(), inner: create_worker_client(channel) }))
    }
}

/// A worker client whose errors, and the errors of the streams it returns, name the worker.
struct NamedWorker {
    url: Url,
    inner: Box<dyn WorkerChannel>,
}

impl NamedWorker {
    fn labelled<T: Send + 'static>(
        &self,
        stream: BoxStream<'static, datafusion::error::Result<T>>,
    ) -> BoxStream<'static, datafusion::error::Result<T>> {
        let url = self.url.clone();
        stream.map_err(move |e| label(&url, e)).boxed()
    }
}

#[async_trait]
impl WorkerChannel for NamedWorker {
    async fn coordinator_channel(
        &mut self,
        headers: HeaderMap,
        set_plan_request: SetPlanRequest,
        c2w_stream: BoxStream<'static, CoordinatorToWorkerMsg>,
        metrics: ExecutionPlanMetricsSet,
        task_ctx: &Arc<TaskContext>,
    ) -> datafusion::error::Result<
        BoxStream<'static, datafusion::error::Result<WorkerToCoordinatorMsg>>,
    > {
        let stream = self
            .inner
            .coordinator_channel(headers, set_plan_request, c2w_stream, metrics, task_ctx)
            .await
            .map_err(|e| label(&self.url, e))?;
        Ok(self.labelled(stream))
    }

    async fn execute_task(
        &mut self,
        headers: HeaderMap,
        request: ExecuteTaskRequest,
        metrics: ExecutionPlanMetricsSet,
        task_ctx: &Arc<TaskContext>,
    ) -> datafusion::error::Result<Vec<BoxStream<'static, datafusion::error::Result<RecordBatch>>>>
    {
        let streams = self
            .inner
            .execute_task(headers, request, metrics, task_ctx)
            .await
            .map_err(|e| label(&self.url, e))?;
        Ok(streams.into_iter().map(|s| self.labelled(s)).collect())
    }

    async fn get_worker_info(
        &mut self,
        request: GetWorkerInfoRequest,
    ) -> datafusion::error::Result<GetWorkerInfoResponse> {
        self.inner.get_worker_info(request).await.map_err(|e| label(&self.url, e))
    }
}

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

/// Makes `config` a coordinating session's: its workers, bounded connections, and the engine's
/// knobs (`options` are `distributed.*` keys without the prefix, e.g. `max_tasks_per_stage`).
pub fn configure(
    config: &mut SessionConfig,
    workers: &[String],
    options: &[(String, String)],
    connect_timeout: Duration,
) -> Result<()> {
    let urls = parse_workers(workers)?;
    if connect_timeout.is_zero() {
        return Err(Error::Value("connect_timeout must be positive".into()));
    }
    config.set_distributed_worker_resolver(StaticWorkers(urls));
    config.set_distributed_channel_resolver(WorkerChannels::new(connect_timeout));
    for (key, value) in options {
        let key = format!("{}.{key}", DistributedConfig::PREFIX);
        config.options_mut().set(&key, value)?;
    }
    Ok(())
}

/// Whether `config` names workers (made by `configure`).
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
        let updated = SessionStateBuilder::new_from_existing(state.clone())
            .with_distributed_user_codec_arc(codec)
            .with_distributed_planner()
            .build();
        *state = updated;
    }
    refresh_functions(ctx, tasks)
}

/// Puts the session's Python UDFs (and native-extension functions) in the headers every task
/// request carries, so workers register them before they decode the plan, which names them.
///
/// They cannot travel inside the plan: datafusion-distributed composes its own codec in front of
/// the user codecs, and that one claims every function (by name). Called when a distributed
/// session is made and whenever a function is registered on one; a function that cannot be sent
/// (a Python UDF cloudpickle cannot pickle) fails that call with `SerializationError`.
pub fn refresh_functions(ctx: &SessionContext, tasks: &SessionTasks) -> Result<()> {
    let (scalars, aggregates, windows) = {
        let state = ctx.state_ref();
        let state = state.read();
        if !is_distributed(state.config()) {
            return Ok(());
        }
        (
            state.scalar_functions().values().cloned().collect::<Vec<_>>(),
            state.aggregate_functions().values().cloned().collect::<Vec<_>>(),
            state.window_functions().values().cloned().collect::<Vec<_>>(),
        )
    };
    let env = Env::new(tasks.inline_python, None);
    let functions = scalars
        .iter()
        .map(|f| (b's', f.name(), FunctionRef::Scalar(f)))
        .chain(aggregates.iter().map(|f| (b'a', f.name(), FunctionRef::Aggregate(f))))
        .chain(windows.iter().map(|f| (b'w', f.name(), FunctionRef::Window(f))));
    let mut headers = HeaderMap::new();
    for (kind, name, function) in functions {
        let payload = env.run(&format!("sending function {name:?} to the workers"), || {
            own_function_payload(&env, function)
        })?;
        let Some(payload) = payload else { continue };
        let header = HeaderName::try_from(format!("{FUNCTION_HEADER}{}", headers.len()))
            .map_err(|e| Error::Value(e.to_string()))?;
        let value = HeaderValue::try_from(encode_function(kind, name, &payload))
            .map_err(|e| Error::Value(e.to_string()))?;
        headers.insert(header, value);
    }
    let state = ctx.state_ref();
    let mut state = state.write();
    state.config_mut().set_distributed_passthrough_headers(headers)?;
    Ok(())
}

/// `kind name_length(u16, big-endian) name payload`, base64.
fn encode_function(kind: u8, name: &str, payload: &[u8]) -> String {
    let mut frame = Vec::with_capacity(3 + name.len() + payload.len());
    frame.push(kind);
    frame.extend_from_slice(&(name.len().min(u16::MAX as usize) as u16).to_be_bytes());
    frame.extend_from_slice(&name.as_bytes()[..name.len().min(u16::MAX as usize)]);
    frame.extend_from_slice(payload);
    BASE64.encode(frame)
}

/// The functions a task request carries, decoded through the worker's codec stack.
fn decode_functions(
    headers: &HeaderMap,
    codec: &dyn PhysicalExtensionCodec,
) -> datafusion::error::Result<(HeaderMap, Received)> {
    let mut forwarded = HeaderMap::new();
    let mut received = Received::default();
    for (key, value) in headers.iter() {
        if !key.as_str().starts_with(FUNCTION_HEADER) {
            continue;
        }
        forwarded.insert(key.clone(), value.clone());
        let malformed = || DataFusionError::Plan(format!("header {key} is not a function frame"));
        let frame = BASE64.decode(value.as_bytes()).map_err(|_| malformed())?;
        if frame.len() < 3 {
            return Err(malformed());
        }
        let length = u16::from_be_bytes([frame[1], frame[2]]) as usize;
        let name = frame.get(3..3 + length).ok_or_else(malformed)?;
        let name = std::str::from_utf8(name).map_err(|_| malformed())?;
        let payload = &frame[3 + length..];
        // A function this worker refuses (inline Python on a strict worker) is left out: queries
        // that do not call it still run here, and one that does finds no such function.
        match frame[0] {
            b's' => received.scalars.extend(codec.try_decode_udf(name, payload).ok()),
            b'a' => received.aggregates.extend(codec.try_decode_udaf(name, payload).ok()),
            b'w' => received.windows.extend(codec.try_decode_udwf(name, payload).ok()),
            _ => return Err(malformed()),
        }
    }
    Ok((forwarded, received))
}

#[derive(Default)]
struct Received {
    scalars: Vec<Arc<ScalarUDF>>,
    aggregates: Vec<Arc<AggregateUDF>>,
    windows: Vec<Arc<WindowUDF>>,
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

/// Builds each task's session on a worker from the template session `--setup` prepared.
struct TemplateSessions {
    template: SessionTasks,
    channels: WorkerChannels,
}

#[async_trait]
impl WorkerSessionBuilder for TemplateSessions {
    async fn build_session_state(
        &self,
        ctx: WorkerQueryContext,
    ) -> datafusion::error::Result<SessionState> {
        let template = self.template.session().state();
        let env = self.template.env();
        let codec = Arc::new(self.template.physical_codec(&env));
        let (forwarded, received) = decode_functions(&ctx.headers, codec.as_ref())?;
        let scalars = template.scalar_functions().values().cloned().chain(received.scalars);
        let aggregates =
            template.aggregate_functions().values().cloned().chain(received.aggregates);
        let windows = template.window_functions().values().cloned().chain(received.windows);
        Ok(ctx
            .builder
            .with_scalar_functions(scalars.collect())
            .with_aggregate_functions(aggregates.collect())
            .with_window_functions(windows.collect())
            .with_catalog_list(Arc::clone(template.catalog_list()))
            .with_distributed_channel_resolver(self.channels.clone())
            .with_distributed_passthrough_headers(forwarded)?
            .with_distributed_user_codec_arc(codec)
            .build())
    }
}

/// A running worker: the engine's gRPC service on our runtime, listening on `address`.
#[pyclass(frozen, name = "Worker", module = "fuseplug._internal")]
pub struct PyWorker {
    address: SocketAddr,
    stop: watch::Sender<bool>,
    done: Mutex<Option<tokio::task::JoinHandle<std::result::Result<(), tonic::transport::Error>>>>,
}

#[pymethods]
impl PyWorker {
    /// Binds `host:port` (port 0 picks a free one) and starts serving tasks with sessions built
    /// from `template`'s.
    #[staticmethod]
    #[pyo3(signature = (template, host, port, connect_timeout))]
    fn start(
        py: Python<'_>,
        template: &PySessionContext,
        host: &str,
        port: u16,
        connect_timeout: f64,
    ) -> Result<Self> {
        let timeout = seconds("connect_timeout", connect_timeout)?;
        let bind = format!("{host}:{port}");
        let listener =
            wait_for_future(py, tokio::net::TcpListener::bind(bind.clone()))?.map_err(|e| {
                Error::Python(pyo3::exceptions::PyOSError::new_err(format!(
                    "cannot listen on {bind}: {e}"
                )))
            })?;
        let address = listener
            .local_addr()
            .map_err(|e| Error::Python(pyo3::exceptions::PyOSError::new_err(e.to_string())))?;
        let sessions = TemplateSessions {
            template: template.tasks.clone(),
            channels: WorkerChannels::new(timeout),
        };
        let runtime_env = template.ctx.runtime_env();
        let worker = Worker::from_session_builder(sessions)
            .with_runtime_env(runtime_env)
            .with_version(env!("CARGO_PKG_VERSION"));
        let (stop, mut stopped) = watch::channel(false);
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        let done = runtime().spawn(async move {
            Server::builder()
                .http2_max_header_list_size(MAX_HEADER_LIST_SIZE)
                .add_service(worker.into_worker_server())
                .serve_with_incoming_shutdown(incoming, async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                })
                .await
        });
        Ok(Self { address, stop, done: Mutex::new(Some(done)) })
    }

    /// `http://host:port` of this worker.
    #[getter]
    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    #[getter]
    fn port(&self) -> u16 {
        self.address.port()
    }

    /// Whether the server is still serving.
    #[getter]
    fn running(&self) -> bool {
        self.done.lock().ok().is_some_and(|d| d.as_ref().is_some_and(|h| !h.is_finished()))
    }

    /// Blocks until the worker stops (`stop()` from another thread, or Ctrl-C, which stops it).
    fn serve(&self, py: Python<'_>) -> Result<()> {
        let mut stopped = self.stop.subscribe();
        let waited = wait_for_future(py, async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        });
        if let Err(interrupt) = waited {
            self.stop(py)?;
            return Err(Error::Python(interrupt));
        }
        self.stop(py)
    }

    /// Stops accepting tasks and waits for the server to shut down. Idempotent.
    fn stop(&self, py: Python<'_>) -> Result<()> {
        let _ = self.stop.send(true);
        let handle = self.done.lock().ok().and_then(|mut d| d.take());
        if let Some(handle) = handle {
            let served = wait_for_future(py, async move {
                // tasks still streaming hold the server open: give them a moment, then drop them
                tokio::time::timeout(Duration::from_secs(5), handle).await
            })?;
            if let Ok(Ok(Err(e))) = served {
                return Err(Error::Python(pyo3::exceptions::PyOSError::new_err(format!(
                    "the worker on {} failed: {e}",
                    self.address
                ))));
            }
        }
        Ok(())
    }

    fn __repr__(&self) -> String {
        let state = if self.running() { "running" } else { "stopped" };
        format!("Worker(url={:?}, {state})", self.url())
    }
}

/// Asks the worker at `url` for its version; fails with `WorkerError` within `timeout` seconds.
#[pyfunction]
#[pyo3(signature = (url, timeout))]
pub fn ping_worker(py: Python<'_>, url: &str, timeout: f64) -> Result<String> {
    let timeout = seconds("timeout", timeout)?;
    let url = parse_workers(&[url.to_string()])?.remove(0);
    let channels = WorkerChannels::new(timeout);
    let answer = wait_for_future(py, async move {
        let mut client = channels.get_worker_client_for_url(&url).await?;
        match tokio::time::timeout(timeout, client.get_worker_info(GetWorkerInfoRequest {})).await {
            Ok(answer) => answer,
            Err(_) => Err(worker_failure(&url, "no answer to a version request")),
        }
    })?;
    Ok(answer?.version)
}

/// Worker URLs from what Python passed: a list of URLs, one comma-separated string, or an object
/// with a `urls` attribute (a `LocalCluster`).
pub fn worker_list(workers: &Bound<'_, PyAny>) -> Result<Vec<String>> {
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
pub fn knob_options(
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

fn seconds(what: &str, value: f64) -> Result<Duration> {
    match Duration::try_from_secs_f64(value) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err(Error::Value(format!("{what} must be a positive number of seconds, not {value}"))),
    }
}

/// `config` made a coordinating session's (see `SessionConfig.with_distributed`).
pub fn configured(
    config: &SessionConfig,
    workers: &Bound<'_, PyAny>,
    options: Vec<(String, String)>,
    connect_timeout: f64,
) -> Result<SessionConfig> {
    let timeout = seconds("connect_timeout", connect_timeout)?;
    let mut config = config.clone();
    configure(&mut config, &worker_list(workers)?, &options, timeout)?;
    Ok(config)
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
    let knobs =
        knob_options(tasks_per_stage, bytes_per_partition, broadcast_joins, compression, options)?;
    let timeout = seconds("connect_timeout", connect_timeout)?;
    // A copy of the state shares the catalogs (rebuilding it from a config would replace the
    // default catalog, in this context too).
    let mut state = ctx.ctx.state();
    configure(state.config_mut(), &worker_list(workers)?, &knobs, timeout)?;
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
    m.add_class::<PyWorker>()?;
    m.add_function(wrap_pyfunction!(ping_worker, m)?)?;
    m.add_function(wrap_pyfunction!(distributed_context, m)?)?;
    m.add_function(wrap_pyfunction!(distributed_workers, m)?)?;
    Ok(())
}
