//! One tokio runtime per library and the one function that blocks on it from Python.

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use datafusion::error::{DataFusionError, Result};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tokio::runtime::{Handle, Runtime};

/// How often a blocked call wakes to let Python handle signals (Ctrl-C) and exceptions raised in
/// its thread by another (`PyThreadState_SetAsyncExc`).
const SIGNAL_POLL_INTERVAL: Duration = Duration::from_millis(50);

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
/// Held while the runtime starts, so that two threads never both build one.
static STARTING: Mutex<()> = Mutex::new(());
/// The process that started [`RUNTIME`]. A child made by `fork()` inherits the runtime's state but
/// none of its threads (a task spawned there would never run), so it starts one of its own.
static RUNTIME_PID: AtomicU32 = AtomicU32::new(0);
/// A forked child's runtime, with the child's process id.
static FORKED: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// The library's multi-threaded tokio runtime, started on first use.
///
/// Panics if the runtime cannot start. Code that another library calls through an `extern "C"`
/// function uses [`try_runtime`] or [`try_handle`] instead.
pub fn runtime() -> &'static Runtime {
    try_runtime().unwrap_or_else(|e| panic!("{e}"))
}

/// The library's multi-threaded tokio runtime, started on first use; an error if it cannot start
/// (the next call tries again).
pub fn try_runtime() -> Result<&'static Runtime> {
    let pid = std::process::id();
    if RUNTIME.get().is_none() || RUNTIME_PID.load(Ordering::Relaxed) == pid {
        return start(&RUNTIME, || {
            RUNTIME_PID.store(pid, Ordering::Relaxed);
            build_runtime()
        });
    }
    // A forked child: the parent's runtime is there without its threads. Start another (the
    // parent's is leaked: dropping it would wait for threads that do not exist here).
    let mut forked = FORKED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, runtime)) = *forked
        && owner == pid
    {
        return Ok(runtime);
    }
    let runtime: &'static Runtime = Box::leak(Box::new(build_runtime().map_err(not_started)?));
    *forked = Some((pid, runtime));
    Ok(runtime)
}

fn not_started(e: std::io::Error) -> DataFusionError {
    DataFusionError::Execution(format!("cannot start the tokio runtime: {e}"))
}

fn build_runtime() -> std::io::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread().thread_name("fuseplug-worker").enable_all().build()
}

fn start(
    cell: &'static OnceLock<Runtime>,
    build: impl FnOnce() -> std::io::Result<Runtime>,
) -> Result<&'static Runtime> {
    if let Some(runtime) = cell.get() {
        return Ok(runtime);
    }
    let _starting = STARTING.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(runtime) = cell.get() {
        return Ok(runtime);
    }
    let runtime = build().map_err(not_started)?;
    Ok(cell.get_or_init(|| runtime))
}

/// A handle to [`runtime`], for exporting with FFI structs so that foreign futures find a reactor.
pub fn handle() -> Handle {
    runtime().handle().clone()
}

/// A handle to [`try_runtime`]: an error, never a panic, if the runtime cannot start.
pub fn try_handle() -> Result<Handle> {
    Ok(try_runtime()?.handle().clone())
}

/// Runs `fut` to completion with the GIL released, waking every 50 ms to let Python run signal
/// handlers and deliver asynchronous exceptions.
///
/// A pending `KeyboardInterrupt` (or any exception a signal handler raises, or another thread
/// raised in this one with `PyThreadState_SetAsyncExc`) drops the future, which cancels the work it
/// drives, and is returned as the error. Signals reach only the main thread; an asynchronous
/// exception reaches whichever thread waits here, so a query collected in a worker thread stops
/// too. Safe to call from a thread that already runs inside a tokio runtime (for example a Python
/// UDF that runs a nested query): the wait then moves to a fresh thread.
pub fn wait_for_future<F>(py: Python<'_>, fut: F) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
{
    wait_for_future_with(py, fut, |_| Ok(()))
}

/// [`wait_for_future`], calling `on_tick` with the GIL held each time the wait wakes (every 50 ms),
/// on the waiting thread, after the signal handlers ran. An error from `on_tick` ends the wait as
/// an interrupt does.
pub fn wait_for_future_with<F, T>(py: Python<'_>, fut: F, mut on_tick: T) -> PyResult<F::Output>
where
    F: Future + Send,
    F::Output: Send,
    T: FnMut(Python<'_>) -> PyResult<()> + Send,
{
    check_interrupts(py)?;
    let drive = move || {
        runtime().block_on(async move {
            tokio::pin!(fut);
            let mut ticks = tokio::time::interval(SIGNAL_POLL_INTERVAL);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.reset();
            loop {
                // The timer goes first: a future that is always ready to go on (rows generated
                // in memory) spends tokio's whole cooperative budget on every poll, and a timer
                // polled after it would never see its deadline.
                tokio::select! {
                    biased;
                    _ = ticks.tick() => Python::attach(|py| {
                        check_interrupts(py)?;
                        on_tick(py)
                    })?,
                    out = &mut fut => return Ok(out),
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

/// Runs the signal handlers (main thread only) and delivers an exception that another thread
/// raised in this one. CPython hands such an exception over only while the thread runs bytecode,
/// so this calls a function written in Python that does nothing.
pub fn check_interrupts(py: Python<'_>) -> PyResult<()> {
    static NOTHING: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    py.check_signals()?;
    let nothing =
        NOTHING.get_or_try_init(py, || py.eval(c"lambda: None", None, None).map(Bound::unbind))?;
    nothing.call0(py)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_that_cannot_start_is_an_error_and_the_next_call_retries() {
        static CELL: OnceLock<Runtime> = OnceLock::new();
        let failed = start(&CELL, || Err(std::io::Error::other("no threads left")));
        let message = failed.unwrap_err().to_string();
        assert!(message.contains("cannot start the tokio runtime: no threads left"), "{message}");
        let started = start(&CELL, || tokio::runtime::Builder::new_current_thread().build());
        assert!(started.is_ok());
        assert!(CELL.get().is_some());
    }

    #[test]
    fn try_handle_starts_the_runtime() {
        assert!(try_handle().is_ok());
    }
}
