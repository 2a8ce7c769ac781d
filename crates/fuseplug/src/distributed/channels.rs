//! Connections to workers: a fixed worker list, channels that connect within a bounded time, and
//! every failure labelled with the worker it came from ([`WorkerFailure`] for the transport).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::metrics::ExecutionPlanMetricsSet;
use datafusion_distributed::grpc::{BoxCloneSyncChannel, create_worker_client};
use datafusion_distributed::{
    ChannelResolver, CoordinatorToWorkerMsg, ExecuteTaskRequest, GetWorkerInfoRequest,
    GetWorkerInfoResponse, SetPlanRequest, WorkerChannel, WorkerResolver, WorkerToCoordinatorMsg,
};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use tonic::codegen::http::HeaderMap;
use tonic::transport::Channel;
use url::Url;

/// HTTP/2 pings on every worker connection: a peer that stops answering (a frozen host, a cut
/// cable) fails its queries after about interval + timeout instead of hanging them.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(5);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest header block a worker accepts (and a coordinator sends): Python UDFs travel in it.
pub(super) const MAX_HEADER_LIST_SIZE: u32 = 64 << 20;

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

pub(super) fn worker_failure(url: &Url, message: impl fmt::Display) -> DataFusionError {
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
pub(super) struct StaticWorkers(pub(super) Vec<Url>);

impl WorkerResolver for StaticWorkers {
    fn get_urls(&self) -> datafusion::error::Result<Vec<Url>> {
        Ok(self.0.clone())
    }
}

/// Connections to workers: one cached channel per URL, a bounded connect time, HTTP/2 keep-alive,
/// and every failure labelled with the worker's URL.
#[derive(Clone)]
pub(super) struct WorkerChannels {
    channels: Arc<Mutex<HashMap<Url, BoxCloneSyncChannel>>>,
    connect_timeout: Duration,
}

impl WorkerChannels {
    pub(super) fn new(connect_timeout: Duration) -> Self {
        Self { channels: Arc::default(), connect_timeout }
    }

    pub(super) async fn channel(
        &self,
        url: &Url,
    ) -> datafusion::error::Result<BoxCloneSyncChannel> {
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
