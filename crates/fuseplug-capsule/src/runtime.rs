//! One tokio runtime per library and the one function that blocks on it from Python.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;
use tokio::runtime::{Handle, Runtime};

/// How often a blocked call wakes to let Python handle signals (Ctrl-C).
const SIGNAL_POLL_INTERVAL: Duration = Duration::from_millis(50);

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The library's multi-threaded tokio runtime, started on first use.
pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("fuseplug-worker")
            .enable_all()
            .build()
            .expect("cannot start the tokio runtime")
    })
}

/// A handle to [`runtime`], for exporting with FFI structs so that foreign futures find a reactor.
pub fn handle() -> Handle {
    runtime().handle().clone()
}

/// Runs `fut` to completion with the GIL released, waking every 50 ms to let Python run signal handlers.
///
/// A pending `KeyboardInterrupt` (or any exception a signal handler raises) drops the future, which cancels
/// the work it drives, and is returned as the error. Safe to call from a thread that already runs inside a
/// tokio runtime (for example a Python UDF that runs a nested query): the wait then moves to a fresh thread.
pub fn wait_for_future<F>(py: Python<'_>, fut: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    let drive = move || {
        runtime().block_on(async move {
            tokio::pin!(fut);
            loop {
                tokio::select! {
                    biased;
                    out = &mut fut => return Ok(out),
                    _ = tokio::time::sleep(SIGNAL_POLL_INTERVAL) => {
                        Python::attach(|py| py.check_signals())?;
                    }
                }
            }
        })
    };
    py.detach(|| {
        if Handle::try_current().is_ok() {
            std::thread::scope(|scope| match scope.spawn(drive).join() {
                Ok(out) => out,
                Err(panic) => std::panic::resume_unwind(panic),
            })
        } else {
            drive()
        }
    })
}
