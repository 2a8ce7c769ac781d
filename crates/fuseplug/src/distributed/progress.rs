//! The progress line of a distributed query (`crate::progress`), summed over its workers.
//!
//! - The coordinating side knows what the query has to read: its copy of every stage holds the
//!   scans with all their files (a `DistributedLeafExec` keeps the whole scan beside the per-task
//!   parts it sends). What the workers have read is known only on the workers.
//! - So each query the progress line watches carries a random token in a header of its task
//!   requests. A worker notes the scans of every task plan that arrives with a token (a plan
//!   rewrite handler that changes nothing), and answers `fuseplug.Progress/Get` with the rows,
//!   bytes and files those scans have read so far, read from their execution metrics.
//! - While the line is shown, the coordinating side asks every worker about four times a second
//!   and sums the answers. A worker that does not answer keeps its last answer.
//!
//! The service is plain gRPC beside the engine's own, with two messages defined here (no `.proto`
//! file: prost derives the encoding).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionConfig;
use datafusion_distributed::{
    DistributedExt, DistributedGetterExt, DistributedLeafExec, NetworkBoundaryExt,
    WorkerPlanRewriteEvent, WorkerPlanRewriteEventResponse,
};
use fuseplug_capsule::runtime::runtime;
use tonic::codegen::http::{self, HeaderMap, HeaderValue};
use tonic::codegen::{Body, BoxFuture, Context, Poll, Service, StdError};
use url::Url;

use super::channels::WorkerChannels;
use crate::progress::scan_counts;

/// The header that carries a watched query's token to the workers.
const TOKEN_HEADER: &str = "x-fuseplug-progress";
/// The service's name, and the path of its one method.
const SERVICE: &str = "fuseplug.Progress";
const GET: &str = "/fuseplug.Progress/Get";
/// How many queries a worker remembers the scans of (the oldest is forgotten first).
const KEPT_QUERIES: usize = 64;
/// How often the coordinating side asks, and how long it waits for an answer.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone, PartialEq, prost::Message)]
pub struct ProgressRequest {
    #[prost(uint64, tag = "1")]
    pub token: u64,
}

/// What the scans of one query have read on one worker so far.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProgressReply {
    #[prost(uint64, tag = "1")]
    pub rows: u64,
    #[prost(uint64, tag = "2")]
    pub bytes: u64,
    #[prost(uint64, tag = "3")]
    pub files: u64,
}

/// The function headers a session forwards to its workers (`functions::refresh_functions`), kept
/// so that a watched query can send them with its token added.
#[derive(Debug, Default)]
pub(super) struct Forwarded(pub(super) HeaderMap);

/// The connections a coordinating session's progress line asks its workers over: the ones its
/// queries use (set by `Settings::apply`; the engine keeps its channel resolver to itself).
pub(super) struct ProgressChannels(pub(super) WorkerChannels);

/// Whether `node` is a network boundary: what is below it runs on workers.
pub fn is_network_boundary(node: &Arc<dyn ExecutionPlan>) -> bool {
    node.is_network_boundary()
}

/// The whole scan a distributed leaf splits into per-task parts.
pub fn leaf_original(node: &Arc<dyn ExecutionPlan>) -> Option<Arc<dyn ExecutionPlan>> {
    node.downcast_ref::<DistributedLeafExec>().map(|leaf| Arc::clone(leaf.original()))
}

/// A watched query's task context: `task_ctx` with a fresh token in the headers its task requests
/// carry, and the handle that asks the workers; `task_ctx` itself where the session has no
/// workers.
pub fn tagged(task_ctx: TaskContext) -> (TaskContext, Option<RemoteQuery>) {
    let config = task_ctx.session_config();
    let (Some(channels), Some(forwarded), Ok(resolver)) = (
        config.get_extension::<ProgressChannels>(),
        config.get_extension::<Forwarded>(),
        config.get_distributed_worker_resolver(),
    ) else {
        return (task_ctx, None);
    };
    let Ok(urls) = resolver.get_urls() else { return (task_ctx, None) };
    let mut bytes = [0u8; 8];
    if getrandom02::getrandom(&mut bytes).is_err() {
        return (task_ctx, None);
    }
    let token = u64::from_le_bytes(bytes);
    let mut headers = forwarded.0.clone();
    headers.insert(TOKEN_HEADER, HeaderValue::from(token));
    let mut config: SessionConfig = config.clone();
    if config.set_distributed_passthrough_headers(headers).is_err() {
        return (task_ctx, None);
    }
    let remote = RemoteQuery {
        token,
        urls,
        channels: channels.0.clone(),
        answers: Arc::default(),
        poller: None,
    };
    (task_ctx.with_session_config(config), Some(remote))
}

/// The coordinating side of a watched query: asks every worker while the line is shown.
pub struct RemoteQuery {
    token: u64,
    urls: Vec<Url>,
    channels: WorkerChannels,
    /// The last answer of each worker.
    answers: Arc<Mutex<HashMap<Url, ProgressReply>>>,
    poller: Option<tokio::task::JoinHandle<()>>,
}

impl RemoteQuery {
    /// Rows, bytes and files the query's scans have read, summed over the workers that answered;
    /// None before any did. The first call starts asking.
    pub fn counts(&mut self) -> Option<[usize; 3]> {
        if self.poller.is_none() {
            self.poller = Some(runtime().spawn(poll(
                self.token,
                self.urls.clone(),
                self.channels.clone(),
                Arc::clone(&self.answers),
            )));
        }
        let answers = self.answers.lock().ok()?;
        if answers.is_empty() {
            return None;
        }
        let sum = |field: fn(&ProgressReply) -> u64| answers.values().map(field).sum::<u64>();
        Some([sum(|a| a.rows), sum(|a| a.bytes), sum(|a| a.files)].map(|n| n as usize))
    }
}

impl Drop for RemoteQuery {
    fn drop(&mut self) {
        if let Some(poller) = self.poller.take() {
            poller.abort();
        }
    }
}

/// Asks every worker in turn, again and again, until aborted.
async fn poll(
    token: u64,
    urls: Vec<Url>,
    channels: WorkerChannels,
    answers: Arc<Mutex<HashMap<Url, ProgressReply>>>,
) {
    loop {
        for url in &urls {
            let asked = tokio::time::timeout(ANSWER_TIMEOUT, ask(&channels, url, token)).await;
            if let Ok(Some(reply)) = asked
                && let Ok(mut answers) = answers.lock()
            {
                answers.insert(url.clone(), reply);
            }
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

async fn ask(channels: &WorkerChannels, url: &Url, token: u64) -> Option<ProgressReply> {
    let channel = channels.channel(url).await.ok()?;
    let mut client = tonic::client::Grpc::new(channel);
    client.ready().await.ok()?;
    let request = tonic::Request::new(ProgressRequest { token });
    let path = http::uri::PathAndQuery::from_static(GET);
    let codec = tonic_prost::ProstCodec::<ProgressRequest, ProgressReply>::default();
    client.unary(request, path, codec).await.ok().map(tonic::Response::into_inner)
}

/// A watched query's token and the leaves of its task plans that ran on this worker.
type Noted = (u64, Vec<Arc<dyn ExecutionPlan>>);

/// A worker's record of the scans each watched query ran there.
#[derive(Clone, Default)]
pub(super) struct Scans(Arc<Mutex<VecDeque<Noted>>>);

impl Scans {
    /// The token a task request carries, if its query is watched.
    pub(super) fn token(headers: &HeaderMap) -> Option<u64> {
        headers.get(TOKEN_HEADER)?.to_str().ok()?.parse().ok()
    }

    /// A plan rewrite handler that notes the scans of each task plan of the query `token`.
    pub(super) fn noter(
        &self,
        token: u64,
    ) -> impl Fn(
        WorkerPlanRewriteEvent<'_>,
    ) -> datafusion::error::Result<WorkerPlanRewriteEventResponse>
    + Send
    + Sync
    + 'static {
        let scans = self.clone();
        move |event: WorkerPlanRewriteEvent<'_>| {
            scans.note(token, &event.plan);
            Ok(WorkerPlanRewriteEventResponse::new(event.plan))
        }
    }

    fn note(&self, token: u64, plan: &Arc<dyn ExecutionPlan>) {
        let mut leaves = Vec::new();
        let mut stack = vec![Arc::clone(plan)];
        while let Some(node) = stack.pop() {
            let children = node.children();
            // a network boundary's leaves run elsewhere, and its own metrics count what arrived
            if children.is_empty() && !node.is_network_boundary() {
                leaves.push(node);
            } else {
                stack.extend(children.into_iter().cloned());
            }
        }
        let Ok(mut queries) = self.0.lock() else { return };
        match queries.iter_mut().find(|(t, _)| *t == token) {
            Some((_, noted)) => noted.extend(leaves),
            None => {
                if queries.len() == KEPT_QUERIES {
                    queries.pop_front();
                }
                queries.push_back((token, leaves));
            }
        }
    }

    fn reply(&self, token: u64) -> ProgressReply {
        let leaves = match self.0.lock() {
            Ok(queries) => queries
                .iter()
                .find(|(t, _)| *t == token)
                .map(|(_, leaves)| leaves.clone())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        let mut reply = ProgressReply::default();
        for [rows, bytes, files] in leaves.iter().filter_map(|leaf| scan_counts(leaf.as_ref())) {
            reply.rows += rows as u64;
            reply.bytes += bytes as u64;
            reply.files += files as u64;
        }
        reply
    }
}

/// `fuseplug.Progress` on a worker: answers `Get` from its [`Scans`].
#[derive(Clone)]
pub(super) struct ProgressService(pub(super) Scans);

impl tonic::server::NamedService for ProgressService {
    const NAME: &'static str = SERVICE;
}

/// The one method, in the form tonic's unary handling takes.
struct Get(Scans);

impl tonic::server::UnaryService<ProgressRequest> for Get {
    type Response = ProgressReply;
    type Future = BoxFuture<tonic::Response<ProgressReply>, tonic::Status>;

    fn call(&mut self, request: tonic::Request<ProgressRequest>) -> Self::Future {
        let reply = self.0.reply(request.into_inner().token);
        Box::pin(async move { Ok(tonic::Response::new(reply)) })
    }
}

impl<B> Service<http::Request<B>> for ProgressService
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = std::convert::Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let scans = self.0.clone();
        if request.uri().path() != GET {
            return Box::pin(async move {
                Ok(tonic::Status::unimplemented("fuseplug.Progress has only Get").into_http())
            });
        }
        Box::pin(async move {
            let codec = tonic_prost::ProstCodec::<ProgressReply, ProgressRequest>::default();
            Ok(tonic::server::Grpc::new(codec).unary(Get(scans), request).await)
        })
    }
}
