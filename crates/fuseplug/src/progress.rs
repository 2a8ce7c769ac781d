//! The progress line of a long query: how far its scans are, read from their execution metrics
//! while the query runs, and handed to a reporter written in Python (`fuseplug._progress`), which
//! draws it on stderr or in a Jupyter cell.
//!
//! Each scan's share done is the largest of three lower bounds, each of which can lag behind the
//! truth but never runs ahead of it: rows read against the rows the files' statistics (Parquet
//! metadata) promise, bytes read against the files' sizes, and files finished against files to
//! read. Scans are weighted by their bytes. The wait wakes every 50 ms anyway (to handle Ctrl-C);
//! before the delay (`fuseplug.progress.delay_ms`) is up a wake-up costs one clock read.
//!
//! The scans of a distributed query run on its workers: their totals are read from the
//! coordinating side's copy of the plan, and what they have read so far is summed over the
//! workers' answers (`distributed::progress`), as one scan.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::record_batch::RecordBatch;
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::error::Result as DFResult;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::statistics::{StatisticsArgs, StatisticsContext};
use datafusion::prelude::DataFrame;
use fuseplug_capsule::runtime::{runtime, wait_for_future, wait_for_future_with};
use fuseplug_engine::options::progress_options;
use pyo3::prelude::*;

use crate::plan::LastRun;

/// The shortest time between two updates of the reporter.
const UPDATE_INTERVAL: Duration = Duration::from_millis(100);

/// Runs `df` to the end through `run` (which keeps its plan), showing its progress where the
/// session's `fuseplug.progress.*` options ask for it.
pub fn collect(
    py: Python<'_>,
    df: DataFrame,
    run: &Arc<LastRun>,
) -> PyResult<DFResult<Vec<RecordBatch>>> {
    watched(py, df, run, |run, df, task_ctx| async move { run.collect(df, task_ctx).await })
}

/// [`collect`], one list of batches per output partition.
pub fn collect_partitioned(
    py: Python<'_>,
    df: DataFrame,
    run: &Arc<LastRun>,
) -> PyResult<DFResult<Vec<Vec<RecordBatch>>>> {
    watched(
        py,
        df,
        run,
        |run, df, task_ctx| async move { run.collect_partitioned(df, task_ctx).await },
    )
}

/// Runs what `work` makes of `df` and its task context (made once, here: the session's options
/// are read from it) as a task of the runtime, so that the waiting thread stays free to handle
/// Ctrl-C and draw progress even when the query never yields (one partition of CPU-bound work runs
/// a whole aggregate in one poll); the task is aborted if the wait ends first.
fn watched<W, F>(py: Python<'_>, df: DataFrame, run: &Arc<LastRun>, work: W) -> PyResult<F::Output>
where
    W: FnOnce(Arc<LastRun>, DataFrame, Arc<TaskContext>) -> F,
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task_ctx = df.task_ctx();
    let options = progress_options(task_ctx.session_config());
    // `false`: the query is not watched at all
    let watching = options.enabled != "false";
    let (task_ctx, remote) = match watching {
        true => crate::distributed::tagged(task_ctx),
        false => (task_ctx, None),
    };
    let task_ctx = Arc::new(task_ctx);
    let task = AbortOnDrop(runtime().spawn(work(Arc::clone(run), df, task_ctx)));
    let joined = async move {
        let mut task = task;
        (&mut task.0).await
    };
    let out = if !watching {
        wait_for_future(py, joined)
    } else {
        let mut watch = Watch {
            mode: options.enabled,
            delay: Duration::from_millis(options.delay_ms),
            started: Instant::now(),
            run,
            state: State::Waiting,
            last_update: None,
            scans: None,
            remote,
        };
        let out = wait_for_future_with(py, joined, |py| watch.tick(py));
        watch.close(py);
        out
    };
    match out? {
        Ok(value) => Ok(value),
        Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
        Err(join) => {
            Err(pyo3::exceptions::PyRuntimeError::new_err(format!("query task ended: {join}")))
        }
    }
}

/// A task that is aborted when its handle is dropped (the wait for it was interrupted).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

enum State {
    /// The delay is not up yet.
    Waiting,
    /// Showing through this reporter.
    Showing(Py<PyAny>),
    /// Nothing to show (no reporter for this environment, or the reporter failed).
    Off,
}

struct Watch<'a> {
    mode: String,
    delay: Duration,
    started: Instant,
    run: &'a LastRun,
    state: State,
    last_update: Option<Instant>,
    scans: Option<Vec<Scan>>,
    /// The workers' side of a distributed query.
    remote: Option<crate::distributed::RemoteQuery>,
}

impl Watch<'_> {
    /// Draws the line when it is due. A reporter's `Exception` turns the line off with a warning;
    /// anything else it raises (`KeyboardInterrupt` arriving while it ran) ends the wait.
    fn tick(&mut self, py: Python<'_>) -> PyResult<()> {
        let elapsed = self.started.elapsed();
        if elapsed < self.delay {
            return Ok(());
        }
        if matches!(self.state, State::Waiting) {
            self.state = match open_reporter(py, &self.mode) {
                Ok(Some(reporter)) => State::Showing(reporter),
                Ok(None) => State::Off,
                Err(err) => return self.failed(py, err),
            };
        }
        let State::Showing(reporter) = &self.state else { return Ok(()) };
        if self.last_update.is_some_and(|at| at.elapsed() < UPDATE_INTERVAL) {
            return Ok(());
        }
        self.last_update = Some(Instant::now());
        if self.scans.is_none() {
            self.scans = self.run.get().map(|plan| scans_of(&plan));
        }
        let remote = self.remote.as_mut().and_then(|remote| remote.counts());
        let done = Done::of(self.scans.as_deref().unwrap_or_default(), remote);
        let args = (done.fraction, done.bytes, done.total_bytes, done.rows, elapsed.as_secs_f64());
        match reporter.call_method1(py, "update", args) {
            Ok(_) => Ok(()),
            Err(err) => self.failed(py, err),
        }
    }

    fn failed(&mut self, py: Python<'_>, err: PyErr) -> PyResult<()> {
        if err.is_instance_of::<pyo3::exceptions::PyException>(py) {
            self.state = State::Off;
            warn_failed(py, &err);
            Ok(())
        } else {
            Err(err)
        }
    }

    fn close(&mut self, py: Python<'_>) {
        if let State::Showing(reporter) = std::mem::replace(&mut self.state, State::Off)
            && let Err(err) = reporter.call_method0(py, "close")
        {
            warn_failed(py, &err);
        }
    }
}

/// A reporter that fails never fails the query: a `RuntimeWarning` says why the line stopped.
fn warn_failed(py: Python<'_>, err: &PyErr) {
    let message = format!("the progress line stopped: {err}");
    let message = std::ffi::CString::new(message).unwrap_or_default();
    let category = py.get_type::<pyo3::exceptions::PyRuntimeWarning>();
    if let Err(warning) = PyErr::warn(py, category.as_any(), &message, 1) {
        // Warnings turned into errors: the query still stands, so report and go on.
        warning.write_unraisable(py, None);
    }
}

/// `fuseplug._progress.open(mode)`: a reporter for where this process runs, or None.
fn open_reporter(py: Python<'_>, mode: &str) -> PyResult<Option<Py<PyAny>>> {
    let reporter = py.import("fuseplug._progress")?.call_method1("open", (mode,))?;
    Ok((!reporter.is_none()).then(|| reporter.unbind()))
}

/// A leaf of the plan and what it has to read, where that is known.
struct Scan {
    node: Arc<dyn ExecutionPlan>,
    /// Run by workers (below a network boundary): its own metrics here count nothing.
    remote: bool,
    total_rows: Option<usize>,
    total_bytes: Option<usize>,
    total_files: usize,
    /// Its share of the whole: its bytes, or an estimate of them from its rows.
    weight: f64,
}

/// The leaves of `plan` (scans, in-memory tables, foreign tables); of a distributed leaf, the whole
/// scan it splits between tasks.
fn scans_of(plan: &Arc<dyn ExecutionPlan>) -> Vec<Scan> {
    let mut scans = Vec::new();
    let mut stack = vec![(Arc::clone(plan), false)];
    while let Some((node, remote)) = stack.pop() {
        if let Some(whole) = crate::distributed::leaf_original(&node) {
            scans.push(Scan::new(whole, true));
            continue;
        }
        let children = node.children();
        if children.is_empty() {
            scans.push(Scan::new(node, remote));
        } else {
            let remote = remote || crate::distributed::is_network_boundary(&node);
            stack.extend(children.into_iter().map(|child| (Arc::clone(child), remote)));
        }
    }
    scans
}

/// The rows, bytes and files a leaf has read, from its metrics; None for a leaf that counts none
/// of them (an in-memory table).
pub fn scan_counts(node: &dyn ExecutionPlan) -> Option<[usize; 3]> {
    let metrics = node.metrics()?;
    // `sum_by_name` skips the built-in metrics such as output rows, which have their own getter
    let sum = |name: &str| metrics.sum_by_name(name).map(|v| v.as_usize());
    let counts = [metrics.output_rows(), sum("bytes_scanned"), sum("files_processed")];
    if counts.iter().all(Option::is_none) {
        return None;
    }
    Some(counts.map(|count| count.unwrap_or(0)))
}

impl Scan {
    fn new(node: Arc<dyn ExecutionPlan>, remote: bool) -> Self {
        let files = node
            .downcast_ref::<DataSourceExec>()
            .and_then(|exec| exec.data_source().downcast_ref::<FileScanConfig>())
            .map(|config| {
                let files = config.file_groups.iter().flat_map(|group| group.iter());
                files.fold((0usize, 0usize), |(count, bytes), file| {
                    let size = match &file.range {
                        Some(range) => (range.end - range.start).max(0) as usize,
                        None => file.object_meta.size as usize,
                    };
                    (count + 1, bytes + size)
                })
            });
        let statistics =
            StatisticsContext::new().compute(node.as_ref(), &StatisticsArgs::new()).ok();
        let total_rows = statistics.as_ref().and_then(|s| s.num_rows.get_value().copied());
        let stated_bytes = statistics.as_ref().and_then(|s| s.total_byte_size.get_value().copied());
        let (total_files, total_bytes) = match files {
            Some((count, bytes)) => (count, Some(bytes)),
            None => (0, None),
        };
        let row_width = 8 * node.schema().fields().len().max(1);
        let weight =
            total_bytes.or(stated_bytes).or(total_rows.map(|rows| rows * row_width)).unwrap_or(0)
                as f64;
        Self { node, remote, total_rows, total_bytes, total_files, weight }
    }
}

/// How far the scans are.
#[derive(Debug, Default, PartialEq)]
struct Done {
    /// The share done, 0 to 1; None where no scan knows what it has to read.
    fraction: Option<f64>,
    rows: usize,
    bytes: usize,
    total_bytes: Option<usize>,
}

impl Done {
    /// `remote`: the rows, bytes and files the workers' scans have read (None before they answer,
    /// and for a query that runs here).
    fn of(scans: &[Scan], remote: Option<[usize; 3]>) -> Self {
        let mut done = Done::default();
        let (mut weighted, mut weights) = (0.0, 0.0);
        let mut add = |counts: [usize; 3], whole: Whole| {
            let [rows, bytes, files] = counts;
            done.rows += rows;
            done.bytes += bytes;
            if let Some(total) = whole.bytes {
                *done.total_bytes.get_or_insert(0) += total;
            }
            if whole.weight > 0.0 {
                let share = |part: usize, whole: Option<usize>| match whole {
                    Some(whole) if whole > 0 => (part as f64 / whole as f64).min(1.0),
                    _ => 0.0,
                };
                let files_total = (whole.files > 0).then_some(whole.files);
                let fraction = share(rows, whole.rows)
                    .max(share(bytes, whole.bytes))
                    .max(share(files, files_total));
                weighted += fraction * whole.weight;
                weights += whole.weight;
            }
        };
        for scan in scans.iter().filter(|scan| !scan.remote) {
            if let Some(counts) = scan_counts(scan.node.as_ref()) {
                add(counts, Whole::of([scan]));
            }
        }
        // the workers answer for all their scans together: one scan, with the totals summed
        let remote_scans = scans.iter().filter(|scan| scan.remote);
        if let Some(counts) = remote
            && remote_scans.clone().next().is_some()
        {
            add(counts, Whole::of(remote_scans));
        }
        if weights > 0.0 {
            done.fraction = Some(weighted / weights);
        }
        done
    }
}

/// What one or more scans have to read together: a total is known only if every scan knows its.
struct Whole {
    rows: Option<usize>,
    bytes: Option<usize>,
    files: usize,
    weight: f64,
}

impl Whole {
    fn of<'a>(scans: impl IntoIterator<Item = &'a Scan>) -> Self {
        let mut whole = Whole { rows: Some(0), bytes: Some(0), files: 0, weight: 0.0 };
        for scan in scans {
            whole.rows = whole.rows.zip(scan.total_rows).map(|(a, b)| a + b);
            whole.bytes = whole.bytes.zip(scan.total_bytes).map(|(a, b)| a + b);
            whole.files += scan.total_files;
            whole.weight += scan.weight;
        }
        whole
    }
}
