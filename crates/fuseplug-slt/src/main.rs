//! `fuseplug-slt`: DataFusion's own sqllogictest suite, run on stock DataFusion and on the session
//! fuseplug's `SessionContext()` builds, record by record.
//!
//! The suite is the one the crate `datafusion-sqllogictest` 55.2.0 ships (its `test_files/` and
//! `data/`), with its engine and its per-file setup (`TestContext::try_new_for_test_file`). Each
//! file runs twice from the same setup: once as upstream configures it (stock), once with
//! fuseplug's session defaults and physical optimizer rules added (`fuseplug_engine`). A record
//! (statement or query) that passes on stock and fails on fuseplug is a regression, and the run
//! fails. A query whose expected output is a plan (`EXPLAIN`) is judged with fuseplug's rules off, and is listed as a plan change when the rules change its output.
//!
//! Usage: `fuseplug-slt --suite DIR [--partitions N] [--jobs N] [--report FILE] [NAME ...]`, where
//! DIR is the crate's source directory and each NAME keeps only files whose path contains it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use datafusion::common::runtime::SpawnedTask;
use datafusion::error::{DataFusionError, Result};
use datafusion::prelude::SessionContext;
use datafusion_sqllogictest::{
    DataFusion, TestContext, TestFile, df_value_validator, read_dir_recursive, setup_scratch_dir,
    value_normalizer,
};
use fuseplug_engine::defaults::with_defaults;
use fuseplug_engine::state::rebuilt;
use futures::StreamExt;
use indicatif::ProgressBar;
use serde_json::json;
use sqllogictest::{Record, Runner, strict_column_validator};

/// The engine a file runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Engine {
    Stock,
    Fuseplug,
}

/// The fuseplug switches that change plans.
const RULE_SWITCHES: &[&str] = &[
    "fuseplug.optimizer.share_repeated_subplans",
    "fuseplug.optimizer.dynamic_filter_rows",
    "fuseplug.optimizer.collect_joins",
];

/// Records that pass on stock DataFusion and differ on fuseplug by a documented default, not by an
/// answer: `information_schema` is on in `SessionContext()` (as in the official bindings), so
/// queries the file expects to fail without it succeed, and `SHOW ALL` lists the `fuseplug.*`
/// options too. (file, line, reason); docs/development.md, "DataFusion's sqllogictest suite".
const DELIBERATE: &[(&str, u32, &str)] = &[
    ("information_schema.slt", 20, INFO_SCHEMA),
    ("information_schema.slt", 24, INFO_SCHEMA),
    ("information_schema.slt", 27, INFO_SCHEMA),
    ("information_schema.slt", 206, OPTIONS),
    ("information_schema.slt", 366, OPTIONS),
    ("information_schema_multiple_catalogs.slt", 20, INFO_SCHEMA),
    ("information_schema_multiple_catalogs.slt", 23, INFO_SCHEMA),
];
const INFO_SCHEMA: &str = "information_schema is on by default, as in the official bindings";
const OPTIONS: &str = "SHOW ALL lists the fuseplug.* options as well";

struct Options {
    suite: PathBuf,
    partitions: usize,
    jobs: usize,
    report: Option<PathBuf>,
    only: Vec<String>,
}

/// One statement or query of a file, as one engine ran it.
#[derive(Clone, Debug)]
struct Outcome {
    line: u32,
    sql: String,
    error: Option<String>,
    /// With fuseplug's rules on, an `EXPLAIN` gave another output than with them off.
    plan_changed: bool,
}

/// One file on one engine: `None` when the upstream setup skips the file.
type FileRun = Option<Vec<Outcome>>;

struct FileResult {
    relative: PathBuf,
    /// Data the file names that the crate does not ship.
    missing: Vec<String>,
    stock: std::result::Result<FileRun, String>,
    fuseplug: std::result::Result<FileRun, String>,
    seconds: f64,
}

fn main() -> Result<()> {
    let options = parse_args()?;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.jobs.max(2))
        // deeply nested test queries recurse in the planner
        .thread_stack_size(16 * 1024 * 1024)
        .enable_all()
        .build()?
        .block_on(run(options))
}

fn parse_args() -> Result<Options> {
    let mut options =
        Options { suite: PathBuf::new(), partitions: 4, jobs: 2, report: None, only: vec![] };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| DataFusionError::Configuration(format!("{name} needs a value")))
        };
        match arg.as_str() {
            "--suite" => options.suite = PathBuf::from(value("--suite")?),
            "--partitions" => options.partitions = number(&value("--partitions")?)?,
            "--jobs" => options.jobs = number(&value("--jobs")?)?,
            "--report" => options.report = Some(PathBuf::from(value("--report")?)),
            "-h" | "--help" => {
                println!(
                    "usage: fuseplug-slt --suite DIR [--partitions N] [--jobs N] [--report FILE] \
                     [NAME ...]"
                );
                std::process::exit(0);
            }
            other if other.starts_with('-') => {
                return Err(DataFusionError::Configuration(format!("unknown option {other}")));
            }
            other => options.only.push(other.to_string()),
        }
    }
    if !options.suite.join("test_files").is_dir() {
        return Err(DataFusionError::Configuration(format!(
            "--suite must name the datafusion-sqllogictest crate's directory (with test_files/), \
             not {:?}",
            options.suite
        )));
    }
    Ok(options)
}

fn number(text: &str) -> Result<usize> {
    text.parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| DataFusionError::Configuration(format!("not a positive number: {text}")))
}

/// Copies the suite where upstream's engine expects it and runs every file on both engines.
async fn run(options: Options) -> Result<()> {
    let started = Instant::now();
    // the report's path is the caller's, who may name it relative to where they are
    let report = match &options.report {
        Some(path) => Some(std::path::absolute(path)?),
        None => None,
    };
    let work = prepare(&options.suite)?;
    std::env::set_current_dir(&work)?;
    let mut files: Vec<TestFile> = read_dir_recursive("test_files/")?
        .into_iter()
        .map(|path| TestFile::new(path, &["test_files/"]))
        .filter(|f| f.is_slt_file())
        .filter(|f| {
            let name = f.relative_path.to_string_lossy();
            options.only.is_empty() || options.only.iter().any(|o| name.contains(o.as_str()))
        })
        .collect();
    files.sort_unstable();
    let total = files.len();
    let partitions = options.partitions;
    let mut done = 0;
    let mut results = Vec::with_capacity(total);
    let mut stream = futures::stream::iter(files)
        .map(|file| SpawnedTask::spawn(run_file(file, partitions)))
        .buffer_unordered(options.jobs);
    while let Some(result) = stream.next().await {
        let result = result.map_err(|e| DataFusionError::External(Box::new(e)))?;
        done += 1;
        eprintln!("[{done}/{total}] {}", progress_line(&result));
        results.push(result);
    }
    results.sort_by(|a, b| a.relative.cmp(&b.relative));
    let summary = Summary::of(&results);
    let text = summary.text(partitions, started.elapsed().as_secs_f64());
    println!("{text}");
    if let Some(path) = &report {
        fs::write(path, summary.json(&results, partitions).to_string())?;
    }
    if summary.regressions.is_empty() { Ok(()) } else { std::process::exit(1) }
}

/// Lays the crate's `test_files/` and `data/` out fresh as `datafusion/sqllogictest/` two levels
/// above the crate: the directory the engine names `WORKSPACE_ROOT` in plans is the crate's
/// grandparent (it was built from `datafusion/sqllogictest` in DataFusion's repository), so the
/// expected plans' paths match.
fn prepare(suite: &Path) -> Result<PathBuf> {
    let suite = suite.canonicalize()?;
    let root = suite
        .parent()
        .and_then(Path::parent)
        .ok_or_else(|| DataFusionError::Configuration(format!("{suite:?} has no grandparent")))?;
    let work = root.join("datafusion").join("sqllogictest");
    if work.exists() {
        fs::remove_dir_all(&work)?;
    }
    for dir in ["test_files", "data"] {
        copy_dir(&suite.join(dir), &work.join(dir))?;
    }
    Ok(work)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// One file on stock DataFusion, then on fuseplug; a panic on either is that engine's error.
async fn run_file(file: TestFile, partitions: usize) -> FileResult {
    let started = Instant::now();
    let mut runs = Vec::with_capacity(2);
    for engine in [Engine::Stock, Engine::Fuseplug] {
        let (path, relative) = (file.path.clone(), file.relative_path.clone());
        let task = SpawnedTask::spawn(run_engine(path, relative, engine, partitions));
        runs.push(match task.join().await {
            Ok(Ok(run)) => Ok(run),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(format!("panicked: {e}")),
        });
    }
    let fuseplug = runs.pop().unwrap_or_else(|| Err("not run".into()));
    let stock = runs.pop().unwrap_or_else(|| Err("not run".into()));
    FileResult {
        missing: missing_paths(&file.path),
        relative: file.relative_path,
        stock,
        fuseplug,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// The session a file runs on: the file's own upstream setup, at `partitions` target partitions,
/// with fuseplug's defaults and rules for [`Engine::Fuseplug`].
fn session(base: &SessionContext, engine: Engine, partitions: usize) -> Result<SessionContext> {
    let state = base.state();
    let mut config = state.config().clone();
    config.options_mut().execution.target_partitions = partitions;
    let state = match engine {
        Engine::Stock => rebuilt(&state, |b| b.with_config(config))?,
        Engine::Fuseplug => rebuilt(&state, |b| {
            fuseplug_engine::optimizer::with_rules(b.with_config(with_defaults(config)))
        })?,
    };
    Ok(SessionContext::new_with_state(state))
}

async fn run_engine(
    path: PathBuf,
    relative: PathBuf,
    engine: Engine,
    partitions: usize,
) -> Result<FileRun> {
    // the setup lives as long as the run: it may own the file's temporary directory
    let Some(setup) = TestContext::try_new_for_test_file(&relative).await else {
        return Ok(None);
    };
    setup_scratch_dir(&relative)?;
    let ctx = session(setup.session_ctx(), engine, partitions)?;
    let mut runner = Runner::new(|| {
        let (ctx, relative) = (ctx.clone(), relative.clone());
        async move { Ok(DataFusion::new(ctx, relative, ProgressBar::hidden())) }
    });
    runner.add_label("Datafusion");
    runner.with_column_validator(strict_column_validator);
    runner.with_normalizer(value_normalizer);
    runner.with_validator(df_value_validator);
    let records =
        sqllogictest::parse_file(&path).map_err(|e| DataFusionError::External(Box::new(e)))?;
    let mut outcomes = Vec::new();
    for record in records {
        let (line, sql) = match &record {
            Record::Halt { .. } => break,
            Record::Statement { loc, sql, .. } | Record::Query { loc, sql, .. } => {
                (loc.line(), sql.clone())
            }
            _ => {
                // control records (sort mode, labels, ...) shape how later records are checked
                let _ = runner.run_async(record).await;
                continue;
            }
        };
        let explain = matches!(record, Record::Query { .. })
            && sql.trim_start().to_ascii_lowercase().starts_with("explain");
        let mut outcome = Outcome { line, sql, error: None, plan_changed: false };
        if engine == Engine::Fuseplug && explain {
            let analyze = outcome.sql.to_ascii_lowercase().contains("analyze");
            let with_rules =
                if analyze { None } else { Some(runner.run_async(record.clone()).await) };
            switch_rules(&ctx, false).await?;
            let without = runner.run_async(record).await;
            switch_rules(&ctx, true).await?;
            outcome.plan_changed = without.is_ok() && matches!(with_rules, Some(Err(_)));
            outcome.error = without.err().map(|e| e.to_string());
        } else {
            outcome.error = runner.run_async(record).await.err().map(|e| e.to_string());
        }
        outcomes.push(outcome);
    }
    runner.shutdown_async().await;
    Ok(Some(outcomes))
}

/// Turns fuseplug's plan-changing rules off (or back on) for one `EXPLAIN`.
async fn switch_rules(ctx: &SessionContext, on: bool) -> Result<()> {
    for switch in RULE_SWITCHES {
        ctx.sql(&format!("SET {switch} = {on}")).await?.collect().await?;
    }
    Ok(())
}

fn progress_line(result: &FileResult) -> String {
    let describe = |run: &std::result::Result<FileRun, String>| match run {
        Ok(Some(outcomes)) => {
            let passed = outcomes.iter().filter(|o| o.error.is_none()).count();
            format!("{passed}/{}", outcomes.len())
        }
        Ok(None) => "skipped".to_string(),
        Err(e) => format!("error: {}", first_line(e)),
    };
    format!(
        "{} stock {} fuseplug {} ({:.1}s)",
        result.relative.display(),
        describe(&result.stock),
        describe(&result.fuseplug),
        result.seconds
    )
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// A record that passes on stock and fails on fuseplug.
struct Regression {
    file: PathBuf,
    line: u32,
    sql: String,
    error: String,
}

#[derive(Default)]
struct Summary {
    files: usize,
    skipped: usize,
    records: usize,
    stock_passed: usize,
    fuseplug_passed: usize,
    regressions: Vec<Regression>,
    /// Regressions listed in [`DELIBERATE`], with their reason.
    deliberate: Vec<(Regression, &'static str)>,
    /// Records that pass on fuseplug and fail on stock (fuseplug's defaults, e.g.
    /// `information_schema` on).
    gains: Vec<Regression>,
    plan_changes: Vec<(PathBuf, u32, String)>,
    /// Files that name data the crate does not ship, and which.
    missing_data: BTreeMap<PathBuf, String>,
}

impl Summary {
    fn of(results: &[FileResult]) -> Self {
        let mut summary = Summary::default();
        for result in results {
            summary.files += 1;
            let file = &result.relative;
            let stock = match &result.stock {
                Ok(Some(outcomes)) => outcomes,
                Ok(None) => {
                    summary.skipped += 1;
                    continue;
                }
                // a file stock cannot run at all cannot regress
                Err(_) => continue,
            };
            summary.records += stock.len();
            summary.stock_passed += stock.iter().filter(|o| o.error.is_none()).count();
            if !result.missing.is_empty() {
                summary.missing_data.insert(file.clone(), result.missing.join(", "));
            }
            let fuseplug = match &result.fuseplug {
                Ok(Some(outcomes)) => outcomes.as_slice(),
                Ok(None) => &[],
                Err(e) => {
                    // every record stock passed is lost
                    for o in stock.iter().filter(|o| o.error.is_none()) {
                        summary.regressions.push(regression(file, o, e));
                    }
                    continue;
                }
            };
            summary.fuseplug_passed += fuseplug.iter().filter(|o| o.error.is_none()).count();
            for (i, s) in stock.iter().enumerate() {
                let f = fuseplug.get(i);
                match (s.error.as_deref(), f.and_then(|f| f.error.as_deref())) {
                    (None, Some(e)) => match deliberate(file, s.line) {
                        Some(why) => summary.deliberate.push((regression(file, s, e), why)),
                        None => summary.regressions.push(regression(file, s, e)),
                    },
                    (None, None) if f.is_none() => {
                        summary.regressions.push(regression(file, s, "not run on fuseplug"))
                    }
                    (Some(_), None) if f.is_some() => summary.gains.push(regression(file, s, "")),
                    _ => {}
                }
                if f.is_some_and(|f| f.plan_changed) {
                    summary.plan_changes.push((file.clone(), s.line, s.sql.clone()));
                }
            }
        }
        summary
    }

    fn text(&self, partitions: usize, seconds: f64) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "sqllogictest at {partitions} target partitions: {} files ({} skipped by the \
             upstream setup), {} records; passed on stock {}, on fuseplug {}; {} regressions; \
             {} deliberate differences; {} records pass only on fuseplug; {} EXPLAIN records changed by fuseplug's rules; \
             {} files need data the crate does not ship; {seconds:.0} s",
            self.files,
            self.skipped,
            self.records,
            self.stock_passed,
            self.fuseplug_passed,
            self.regressions.len(),
            self.deliberate.len(),
            self.gains.len(),
            self.plan_changes.len(),
            self.missing_data.len(),
        );
        for r in &self.regressions {
            let _ = writeln!(
                out,
                "REGRESSION {}:{}: {}\n    {}",
                r.file.display(),
                r.line,
                one_line(&r.sql),
                r.error.replace('\n', "\n    ")
            );
        }
        let _ = write!(
            out,
            "{} passed, {} failed",
            self.stock_passed - (self.regressions.len() + self.deliberate.len()),
            self.regressions.len()
        );
        out
    }

    fn json(&self, results: &[FileResult], partitions: usize) -> serde_json::Value {
        let records = |list: &[Regression]| {
            list.iter()
                .map(|r| json!({"file": r.file, "line": r.line, "sql": r.sql, "error": r.error}))
                .collect::<Vec<_>>()
        };
        let count = |run: &std::result::Result<FileRun, String>| match run {
            Ok(Some(o)) => json!({
                "records": o.len(),
                "passed": o.iter().filter(|o| o.error.is_none()).count(),
                "failed": o.iter()
                    .filter_map(|o| Some(json!({"line": o.line, "error": first_line(o.error.as_deref()?)})))
                    .collect::<Vec<_>>(),
            }),
            Ok(None) => json!("skipped"),
            Err(e) => json!({"error": e}),
        };
        json!({
            "partitions": partitions,
            "files": self.files,
            "skipped": self.skipped,
            "records": self.records,
            "stock_passed": self.stock_passed,
            "fuseplug_passed": self.fuseplug_passed,
            "regressions": records(&self.regressions),
            "deliberate": self.deliberate.iter()
                .map(|(r, why)| json!({"file": r.file, "line": r.line, "sql": r.sql, "why": why}))
                .collect::<Vec<_>>(),
            "fuseplug_only_passes": records(&self.gains),
            "plan_changes": self.plan_changes.iter()
                .map(|(f, l, s)| json!({"file": f, "line": l, "sql": s}))
                .collect::<Vec<_>>(),
            "missing_data": self.missing_data,
            "per_file": results.iter()
                .map(|r| json!({"file": r.relative, "stock": count(&r.stock),
                                "fuseplug": count(&r.fuseplug), "seconds": r.seconds}))
                .collect::<Vec<_>>(),
        })
    }
}

fn deliberate(file: &Path, line: u32) -> Option<&'static str> {
    DELIBERATE
        .iter()
        .find(|(name, at, _)| file == Path::new(name) && *at == line)
        .map(|(_, _, why)| *why)
}

fn regression(file: &Path, outcome: &Outcome, error: &str) -> Regression {
    Regression {
        file: file.to_path_buf(),
        line: outcome.line,
        sql: outcome.sql.clone(),
        error: error.to_string(),
    }
}

/// The paths outside the suite that a file names (`'../core/tests/data/...'`) and that do not
/// exist: the crate ships its `test_files/` and `data/` only, not DataFusion's `core/tests/data`
/// nor the arrow-testing and parquet-testing repositories. Relative to the working directory.
fn missing_paths(path: &Path) -> Vec<String> {
    let Ok(text) = fs::read_to_string(path) else {
        return vec![];
    };
    let mut missing: Vec<String> = text
        .split('\'')
        .skip(1)
        .step_by(2)
        .filter(|p| p.starts_with("../"))
        .filter(|p| !Path::new(p.trim_end_matches('*')).exists())
        .map(|p| {
            // the repository or directory it comes from, not every file
            let parts: Vec<&str> =
                p.split('/').take_while(|c| *c == ".." || !c.contains('.')).collect();
            parts.iter().take(parts.len().min(5)).copied().collect::<Vec<_>>().join("/")
        })
        .collect();
    missing.sort();
    missing.dedup();
    missing
}

fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(200).collect()
}
