//! A worker: the engine's gRPC service on our runtime. Each task it runs gets a session built from
//! the template session `--setup` prepared, plus the functions its request carries.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use datafusion::execution::session_state::SessionState;
use datafusion_distributed::{
    ChannelResolver, DistributedExt, GetWorkerInfoRequest, Worker, WorkerQueryContext,
    WorkerSessionBuilder,
};
use fuseplug_capsule::runtime::{runtime, wait_for_future};
use pyo3::prelude::*;
use tokio::sync::watch;
use tonic::transport::Server;

use super::channels::{MAX_HEADER_LIST_SIZE, WorkerChannels, worker_failure};
use super::functions::decode_functions;
use super::progress::{ProgressService, Scans};
use super::{parse_workers, seconds};
use crate::capsule::SessionTasks;
use crate::context::PySessionContext;
use crate::errors::{Error, Result};

/// Builds each task's session on a worker from the template session `--setup` prepared.
struct TemplateSessions {
    template: SessionTasks,
    channels: WorkerChannels,
    scans: Scans,
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
        let token = Scans::token(&ctx.headers);
        let scalars = template.scalar_functions().values().cloned().chain(received.scalars);
        let aggregates =
            template.aggregate_functions().values().cloned().chain(received.aggregates);
        let windows = template.window_functions().values().cloned().chain(received.windows);
        let mut builder = ctx.builder;
        if let Some(token) = token {
            builder = builder.with_distributed_worker_plan_rewrite_handler(self.scans.noter(token));
        }
        Ok(builder
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
        let scans = Scans::default();
        let sessions = TemplateSessions {
            template: template.tasks.clone(),
            channels: WorkerChannels::new(timeout),
            scans: scans.clone(),
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
                .add_service(ProgressService(scans))
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
