//! `DataFrame`: a lazy plan bound to its session. Every transformation returns a new DataFrame; the
//! methods that execute release the GIL through `wait_for_future`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::pyarrow::{PyArrowType, ToPyArrow};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::config::{
    ConfigField, CsvOptions, JsonOptions, ParquetColumnOptions, TableParquetOptions,
};
use datafusion::common::{Column, JoinType, RecursionUnnestOption, TableReference, UnnestOptions};
use datafusion::dataframe::{DataFrame, DataFrameWriteOptions};
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{ExplainFormat, ExplainOption};
use datafusion::logical_expr::{Expr, Partitioning, cast};
use datafusion::prelude::coalesce;
use fuseplug_capsule::runtime::wait_for_future;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::capsule::SessionTasks;
use crate::errors::{Error, Result};
use crate::expr::{PyExpr, PySortExpr, exprs, py_to_scalar, sort_exprs};
use crate::plan::{PyExecutionPlan, PyLogicalPlan};
use crate::stream::{PyRecordBatchStream, batch_reader};

/// The longest cell the text rendering prints before cutting it with `…`.
const MAX_CELL_WIDTH: usize = 40;

#[pyclass(frozen, name = "DataFrame", module = "fuseplug._internal", from_py_object)]
#[derive(Clone)]
pub struct PyDataFrame {
    pub inner: Arc<DataFrame>,
    /// The session's task provider, which capsules exported to plugins hold weakly: a DataFrame keeps
    /// it alive, so a plugin table still works after the SessionContext itself is gone.
    session: SessionTasks,
    /// The physical plan `collect()` / `execute_stream()` last ran (`execution_plan()` returns it).
    ran: Arc<crate::plan::LastRun>,
}

impl PyDataFrame {
    pub fn new(df: DataFrame, session: SessionTasks) -> Self {
        Self { inner: Arc::new(df), session, ran: Arc::default() }
    }

    /// A DataFrame made from this one, keeping the same session alive. Lambda parameters the new
    /// top node refers to (`lambda_var`) are bound to their element types here, as SQL does.
    fn derive(&self, df: DataFrame) -> Self {
        let df = crate::higher_order::resolve_lambdas(df);
        Self::new(df, self.session.clone())
    }

    fn df(&self) -> DataFrame {
        self.inner.as_ref().clone()
    }

    fn map(
        &self,
        f: impl FnOnce(DataFrame) -> datafusion::error::Result<DataFrame>,
    ) -> Result<Self> {
        Ok(self.derive(f(self.df())?))
    }

    /// The schema of collected batches: theirs when there are any, else the plan's.
    fn result_schema(&self, batches: &[RecordBatch]) -> SchemaRef {
        match batches.first() {
            Some(batch) => batch.schema(),
            None => Arc::new(self.inner.schema().as_arrow().clone()),
        }
    }

    /// The stored batches when the plan only reads an in-memory table (see `stored.rs`).
    fn stored(&self) -> Option<(SchemaRef, Vec<RecordBatch>)> {
        crate::stored::stored_batches(self.inner.logical_plan())
    }

    /// Runs `df` to the end, showing its progress (`crate::progress`) where the session asks.
    fn collect_batches(&self, py: Python<'_>, df: DataFrame) -> Result<Vec<RecordBatch>> {
        Ok(crate::progress::collect(py, df, &Arc::default())??)
    }

    /// At most `max_rows` rows (as one batch; none when the query produced no batch), their
    /// schema, and whether more rows exist.
    fn first_rows(
        &self,
        py: Python<'_>,
        max_rows: usize,
    ) -> Result<(Vec<RecordBatch>, SchemaRef, bool)> {
        let df = self.df();
        // An EXPLAIN plan must stay the root of its plan, so it takes no limit; its few rows are
        // collected whole.
        let first = if is_explain(&df) { df } else { df.limit(0, Some(max_rows + 1))? };
        let batches = self.collect_batches(py, first)?;
        let schema = self.result_schema(&batches);
        if batches.is_empty() {
            return Ok((batches, schema, false));
        }
        let all = concat_batches(&schema, &batches)?;
        let more = all.num_rows() > max_rows;
        Ok((vec![all.slice(0, all.num_rows().min(max_rows))], schema, more))
    }
}

fn parse_join_type(how: &str) -> Result<JoinType> {
    Ok(match how.to_ascii_lowercase().as_str() {
        "inner" => JoinType::Inner,
        "left" => JoinType::Left,
        "right" => JoinType::Right,
        "full" | "outer" => JoinType::Full,
        "semi" | "left_semi" => JoinType::LeftSemi,
        "anti" | "left_anti" => JoinType::LeftAnti,
        "right_semi" => JoinType::RightSemi,
        "right_anti" => JoinType::RightAnti,
        other => {
            return Err(Error::Value(format!(
                "join type must be one of inner, left, right, full, semi, anti, right_semi, \
                 right_anti; got {other:?}"
            )));
        }
    })
}

fn batches_to_py(py: Python<'_>, batches: &[RecordBatch]) -> Result<Vec<Py<PyAny>>> {
    batches.iter().map(|b| Ok(b.to_pyarrow(py)?.unbind())).collect()
}

/// Formats `batches` as a bordered text table, cutting long cells.
fn render_table(
    batches: &[RecordBatch],
    schema: &arrow::datatypes::Schema,
) -> Result<Vec<Vec<String>>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows: Vec<Vec<String>> =
        vec![schema.fields().iter().map(|f| f.name().clone()).collect()];
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .map(|f| {
                        let cell = f.value(row).to_string();
                        if cell.chars().count() > MAX_CELL_WIDTH {
                            let cut: String = cell.chars().take(MAX_CELL_WIDTH - 1).collect();
                            format!("{cut}…")
                        } else {
                            cell
                        }
                    })
                    .collect(),
            );
        }
    }
    Ok(rows)
}

fn format_grid(rows: &[Vec<String>], more: bool) -> String {
    let columns = rows.first().map_or(0, Vec::len);
    if columns == 0 {
        return "++\n++".to_string();
    }
    let widths: Vec<usize> = (0..columns)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let rule =
        format!("+{}+", widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("+"));
    let line = |row: &Vec<String>| {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!(" {cell}{} ", " ".repeat(w - cell.chars().count())))
            .collect();
        format!("|{}|", cells.join("|"))
    };
    let mut out = vec![rule.clone(), line(&rows[0]), rule.clone()];
    out.extend(rows[1..].iter().map(line));
    out.push(rule);
    if more {
        out.push("(more rows not shown)".to_string());
    }
    out.join("\n")
}

#[pymethods]
impl PyDataFrame {
    fn select(&self, exprs_: Vec<PyExpr>) -> Result<Self> {
        self.map(|df| df.select(exprs(exprs_)))
    }

    fn select_columns(&self, names: Vec<String>) -> Result<Self> {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.map(|df| df.select_columns(&names))
    }

    fn filter(&self, predicate: PyExpr) -> Result<Self> {
        self.map(|df| df.filter(predicate.inner))
    }

    fn with_column(&self, name: &str, expr: PyExpr) -> Result<Self> {
        self.map(|df| df.with_column(name, expr.inner))
    }

    /// Adds or replaces one column per expression, named by its alias.
    fn with_columns(&self, exprs_: Vec<PyExpr>) -> Result<Self> {
        let mut df = self.df();
        for expr in exprs(exprs_) {
            let name = expr.schema_name().to_string();
            df = df.with_column(&name, expr.unalias())?;
        }
        Ok(self.derive(df))
    }

    fn with_column_renamed(&self, old: &str, new: &str) -> Result<Self> {
        self.map(|df| df.with_column_renamed(old, new))
    }

    fn drop(&self, names: Vec<String>) -> Result<Self> {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        self.map(|df| df.drop_columns(&names))
    }

    fn aggregate(&self, group_by: Vec<PyExpr>, aggregates: Vec<PyExpr>) -> Result<Self> {
        self.map(|df| df.aggregate(exprs(group_by), exprs(aggregates)))
    }

    fn sort(&self, sort: Vec<PySortExpr>) -> Result<Self> {
        self.map(|df| df.sort(sort_exprs(sort)))
    }

    #[pyo3(signature = (count, offset = 0))]
    fn limit(&self, count: Option<usize>, offset: usize) -> Result<Self> {
        self.map(|df| df.limit(offset, count))
    }

    /// The last `n` rows in the frame's current order (counts the rows first).
    fn tail(&self, py: Python<'_>, n: usize) -> Result<Self> {
        let total = wait_for_future(py, self.df().count())??;
        self.map(|df| df.limit(total.saturating_sub(n), Some(n)))
    }

    /// Joins on equal columns. With `coalesce_keys`, a key that has the same name on both sides appears
    /// once in the result.
    #[pyo3(signature = (right, how, left_on, right_on, coalesce_keys = true))]
    fn join(
        &self,
        right: PyDataFrame,
        how: &str,
        left_on: Vec<String>,
        right_on: Vec<String>,
        coalesce_keys: bool,
    ) -> Result<Self> {
        if left_on.len() != right_on.len() {
            return Err(Error::Value(format!(
                "left_on has {} columns but right_on has {}",
                left_on.len(),
                right_on.len()
            )));
        }
        if left_on.is_empty() {
            return Err(Error::Value("a join needs at least one key column".into()));
        }
        let join_type = parse_join_type(how)?;
        let left_fields = self.inner.schema().fields().len();
        let right_schema = right.inner.schema().clone();
        let l: Vec<&str> = left_on.iter().map(String::as_str).collect();
        let r: Vec<&str> = right_on.iter().map(String::as_str).collect();
        let right = disambiguate(&self.inner, right.df())?;
        let joined = self.df().join(right, join_type, &l, &r, None)?;
        let keeps_both_sides = !matches!(
            join_type,
            JoinType::LeftSemi | JoinType::LeftAnti | JoinType::RightSemi | JoinType::RightAnti
        );
        if !coalesce_keys || !keeps_both_sides {
            return Ok(self.derive(joined));
        }
        // Indices (in the joined schema) of right keys that share the left key's name.
        let schema = joined.schema().clone();
        let mut duplicate_right = HashMap::new();
        for (lk, rk) in left_on.iter().zip(&right_on) {
            if lk != rk {
                continue;
            }
            let (Some(li), Some(ri)) = (
                schema.columns().iter().take(left_fields).position(|c| &c.name == lk),
                right_schema.columns().iter().position(|c| &c.name == rk),
            ) else {
                continue;
            };
            duplicate_right.insert(left_fields + ri, li);
        }
        if duplicate_right.is_empty() {
            return Ok(self.derive(joined));
        }
        let columns: Vec<Column> = schema.columns();
        let left_of: HashMap<usize, usize> =
            duplicate_right.iter().map(|(r, l)| (*l, *r)).collect();
        let projection: Vec<Expr> = columns
            .iter()
            .enumerate()
            .filter(|(i, _)| !duplicate_right.contains_key(i))
            .map(|(i, c)| match (left_of.get(&i), join_type) {
                (Some(r), JoinType::Right) => Expr::Column(columns[*r].clone()).alias(&c.name),
                (Some(r), JoinType::Full) => {
                    coalesce(vec![Expr::Column(c.clone()), Expr::Column(columns[*r].clone())])
                        .alias(&c.name)
                }
                _ => Expr::Column(c.clone()),
            })
            .collect();
        Ok(self.derive(joined.select(projection)?))
    }

    fn join_on(&self, right: PyDataFrame, on: Vec<PyExpr>, how: &str) -> Result<Self> {
        let join_type = parse_join_type(how)?;
        let right = disambiguate(&self.inner, right.df())?;
        self.map(|df| df.join_on(right, join_type, exprs(on)))
    }

    #[pyo3(signature = (other, distinct = false))]
    fn union(&self, other: PyDataFrame, distinct: bool) -> Result<Self> {
        if distinct {
            self.map(|df| df.union_distinct(other.df()))
        } else {
            self.map(|df| df.union(other.df()))
        }
    }

    /// Rows of both frames, columns matched by name (`UNION ALL BY NAME`; with `distinct`, `UNION
    /// BY NAME`).
    #[pyo3(signature = (other, distinct = false))]
    fn union_by_name(&self, other: PyDataFrame, distinct: bool) -> Result<Self> {
        if distinct {
            self.map(|df| df.union_by_name_distinct(other.df()))
        } else {
            self.map(|df| df.union_by_name(other.df()))
        }
    }

    /// Rows in both frames (`INTERSECT ALL`; `INTERSECT` with `distinct`).
    #[pyo3(signature = (other, distinct = false))]
    fn intersect(&self, other: PyDataFrame, distinct: bool) -> Result<Self> {
        if distinct {
            self.map(|df| df.intersect_distinct(other.df()))
        } else {
            self.map(|df| df.intersect(other.df()))
        }
    }

    /// Rows of this frame not in `other` (`EXCEPT ALL`; `EXCEPT` with `distinct`).
    #[pyo3(signature = (other, distinct = false))]
    fn except_all(&self, other: PyDataFrame, distinct: bool) -> Result<Self> {
        if distinct {
            self.map(|df| df.except_distinct(other.df()))
        } else {
            self.map(|df| df.except(other.df()))
        }
    }

    /// The same rows under the table alias `alias` (columns are then qualified by it).
    fn alias(&self, alias: &str) -> Result<Self> {
        self.map(|df| df.alias(alias))
    }

    /// Spreads the rows round-robin over `num` partitions.
    fn repartition(&self, num: usize) -> Result<Self> {
        if num == 0 {
            return Err(Error::Value("repartition needs at least one partition".into()));
        }
        self.map(|df| df.repartition(Partitioning::RoundRobinBatch(num)))
    }

    /// Partitions the rows by the hash of `exprs` into `num` partitions.
    fn repartition_by_hash(&self, exprs_: Vec<PyExpr>, num: usize) -> Result<Self> {
        if num == 0 {
            return Err(Error::Value("repartition_by_hash needs at least one partition".into()));
        }
        self.map(|df| df.repartition(Partitioning::Hash(exprs(exprs_), num)))
    }

    /// The first row (in `sort` order) of each distinct `on` key, projected to `select`.
    fn distinct_on(
        &self,
        on: Vec<PyExpr>,
        select: Vec<PyExpr>,
        sort: Option<Vec<PySortExpr>>,
    ) -> Result<Self> {
        self.map(|df| df.distinct_on(exprs(on), exprs(select), sort.map(sort_exprs)))
    }

    /// Adds window-function columns.
    fn window(&self, exprs_: Vec<PyExpr>) -> Result<Self> {
        self.map(|df| df.window(exprs(exprs_)))
    }

    /// Projects SQL expression strings (`"a + 1 AS b"`).
    fn select_exprs(&self, sql: Vec<String>) -> Result<Self> {
        let sql: Vec<&str> = sql.iter().map(String::as_str).collect();
        self.map(|df| df.select_exprs(&sql))
    }

    /// A SQL expression string as an expression over this DataFrame's columns.
    fn parse_sql_expr(&self, sql: &str) -> Result<PyExpr> {
        Ok(self.df().parse_sql_expr(sql)?.into())
    }

    /// Fully qualified column expressions for unqualified `names`.
    fn find_qualified_columns(&self, names: Vec<String>) -> Result<Vec<PyExpr>> {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let df = self.df();
        let found = df.find_qualified_columns(&names)?;
        Ok(found
            .into_iter()
            .map(|(q, f)| Expr::Column(Column::new(q.cloned(), f.name())).into())
            .collect())
    }

    fn distinct(&self) -> Result<Self> {
        self.map(DataFrame::distinct)
    }

    /// Casts the named columns; the others pass through unchanged.
    fn cast(&self, mapping: HashMap<String, PyArrowType<DataType>>) -> Result<Self> {
        let schema = self.inner.schema();
        for name in mapping.keys() {
            if schema.index_of_column_by_name(None, name).is_none()
                && !schema.fields().iter().any(|f| f.name() == name)
            {
                return Err(Error::DataFusion(datafusion::error::DataFusionError::SchemaError(
                    Box::new(datafusion::common::SchemaError::FieldNotFound {
                        field: Box::new(Column::from_name(name)),
                        valid_fields: schema.columns(),
                    }),
                    Box::new(None),
                )));
            }
        }
        let projection: Vec<Expr> = schema
            .columns()
            .into_iter()
            .map(|c| match mapping.get(&c.name) {
                Some(to) => cast(Expr::Column(c.clone()), to.0.clone()).alias(&c.name),
                None => Expr::Column(c),
            })
            .collect();
        self.map(|df| df.select(projection))
    }

    #[pyo3(signature = (value, subset = None))]
    fn fill_null(&self, value: &Bound<'_, PyAny>, subset: Option<Vec<String>>) -> Result<Self> {
        let scalar = py_to_scalar(value)?;
        let subset = subset.unwrap_or_default();
        let columns: Vec<&str> = subset.iter().map(String::as_str).collect();
        self.map(|df| df.fill_null(&scalar, &columns))
    }

    /// Expands list columns; `recursions` are `(input, output, depth)` for nested lists.
    #[pyo3(signature = (columns, preserve_nulls = true, recursions = None))]
    fn unnest_columns(
        &self,
        columns: Vec<String>,
        preserve_nulls: bool,
        recursions: Option<Vec<(String, String, usize)>>,
    ) -> Result<Self> {
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        let mut options = UnnestOptions::new().with_preserve_nulls(preserve_nulls);
        for (input, output, depth) in recursions.unwrap_or_default() {
            options = options.with_recursions(RecursionUnnestOption {
                input_column: Column::from_name(input),
                output_column: Column::from_name(output),
                depth,
            });
        }
        self.map(|df| df.unnest_columns_with_options(&columns, options))
    }

    /// The plans as a DataFrame; `format` is "indent", "tree", "pgjson" or "graphviz".
    /// `analyze_level` is "summary" or "dev"; `analyze_categories` is "none" or a comma-separated
    /// list of "rows", "bytes", "timing" and "uncategorized".
    #[pyo3(signature = (
        verbose = false, analyze = false, format = None, show_statistics = None,
        analyze_level = None, analyze_categories = None,
    ))]
    fn explain(
        &self,
        verbose: bool,
        analyze: bool,
        format: Option<&str>,
        show_statistics: Option<bool>,
        analyze_level: Option<&str>,
        analyze_categories: Option<&str>,
    ) -> Result<Self> {
        let mut option = ExplainOption::default().with_verbose(verbose).with_analyze(analyze);
        if let Some(format) = format {
            option = option.with_format(ExplainFormat::from_str(format)?);
        }
        option.show_statistics = show_statistics;
        option.analyze_level = analyze_level.map(str::parse).transpose()?;
        option.analyze_categories = analyze_categories.map(str::parse).transpose()?;
        let explained = self.df().explain_with_options(option)?;
        let session = self.session.session();
        Python::attach(
            |py| Ok(self.derive(crate::distributed::explained(py, &session, explained)?)),
        )
    }

    fn describe(&self, py: Python<'_>) -> Result<Self> {
        Ok(self.derive(wait_for_future(py, self.df().describe())??))
    }

    fn schema<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        Ok(self.inner.schema().as_arrow().to_pyarrow(py)?)
    }

    fn count(&self, py: Python<'_>) -> Result<usize> {
        Ok(wait_for_future(py, self.df().count())??)
    }

    /// Executes the plan once and keeps the result in memory.
    fn cache(&self, py: Python<'_>) -> Result<Self> {
        Ok(self.derive(wait_for_future(py, self.df().cache())??))
    }

    fn collect(&self, py: Python<'_>) -> Result<Vec<Py<PyAny>>> {
        let batches = match self.stored() {
            Some((_, batches)) => batches,
            None => crate::progress::collect(py, self.df(), &self.ran)??,
        };
        batches_to_py(py, &batches)
    }

    fn collect_partitioned(&self, py: Python<'_>) -> Result<Vec<Vec<Py<PyAny>>>> {
        let partitions = crate::progress::collect_partitioned(py, self.df(), &self.ran)??;
        partitions.iter().map(|p| batches_to_py(py, p)).collect()
    }

    /// All rows as one pyarrow Table.
    /// A plan that only reads an in-memory table returns its stored batches unchanged.
    fn to_arrow_table<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let (schema, batches) = match self.stored() {
            Some(stored) => stored,
            None => {
                let batches = self.collect_batches(py, self.df())?;
                // The batches' schema can be stricter than the plan's (nullability), so prefer it.
                (self.result_schema(&batches), batches)
            }
        };
        let py_batches = batches_to_py(py, &batches)?;
        let pa = py.import("pyarrow")?;
        Ok(pa
            .getattr("Table")?
            .call_method1("from_batches", (py_batches, schema.to_pyarrow(py)?))?)
    }

    fn execute_stream(&self, py: Python<'_>) -> Result<PyRecordBatchStream> {
        let stream = wait_for_future(py, self.ran.execute_stream(self.df()))??;
        Ok(PyRecordBatchStream::new(stream))
    }

    fn execute_stream_partitioned(&self, py: Python<'_>) -> Result<Vec<PyRecordBatchStream>> {
        let streams = wait_for_future(py, self.ran.execute_stream_partitioned(self.df()))??;
        Ok(streams.into_iter().map(PyRecordBatchStream::new).collect())
    }

    /// Exports the result as an Arrow C stream; batches are computed as the consumer pulls them, or
    /// handed out as stored when the plan only reads an in-memory table. A `requested_schema` is
    /// honoured as the official bindings do: its fields, in its order, ours cast where needed and
    /// null-filled where we have none; types that do not merge raise `SchemaError` now, before any
    /// batch is computed.
    #[pyo3(signature = (requested_schema = None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyCapsule>> {
        let projected = match &requested_schema {
            Some(requested) if !requested.is_none() => {
                let ours = self.inner.schema().as_arrow().clone();
                Some(crate::export::project_schema(
                    &ours,
                    &crate::export::requested_schema(requested)?,
                )?)
            }
            _ => None,
        };
        let mut reader: Box<dyn arrow::record_batch::RecordBatchReader + Send> = match self.stored()
        {
            Some((schema, batches)) => Box::new(arrow::record_batch::RecordBatchIterator::new(
                batches.into_iter().map(Ok),
                schema,
            )),
            None => batch_reader(wait_for_future(py, self.df().execute_stream())??),
        };
        if let Some(schema) = projected {
            reader = Box::new(crate::export::ProjectedReader::new(reader, schema));
        }
        let ffi = arrow::ffi_stream::FFI_ArrowArrayStream::new(reader);
        Ok(PyCapsule::new_with_value(py, ffi, c"arrow_array_stream")?)
    }

    /// The first `max_rows` rows as a bordered text table; `if_empty`, when given, is returned
    /// instead when the query produced no batch at all (what `show()` prints; an empty batch still
    /// shows its header, as in the official bindings).
    #[pyo3(signature = (max_rows = 20, if_empty = None))]
    fn to_string(
        &self,
        py: Python<'_>,
        max_rows: usize,
        if_empty: Option<String>,
    ) -> Result<String> {
        let (batches, schema, more) = self.first_rows(py, max_rows)?;
        match if_empty {
            Some(text) if batches.is_empty() => Ok(text),
            _ => Ok(format_grid(&render_table(&batches, &schema)?, more)),
        }
    }

    /// The header and first `max_rows` rows as strings, and whether more rows exist.
    #[pyo3(signature = (max_rows = 20))]
    fn preview_rows(&self, py: Python<'_>, max_rows: usize) -> Result<(Vec<Vec<String>>, bool)> {
        let (batches, schema, more) = self.first_rows(py, max_rows)?;
        Ok((render_table(&batches, &schema)?, more))
    }

    #[pyo3(signature = (path, compression = "zstd", compression_level = None, partition_by = vec![], single_file_output = None, insert_operation = None, sort_by = None))]
    #[allow(clippy::too_many_arguments)]
    fn write_parquet(
        &self,
        py: Python<'_>,
        path: &str,
        compression: &str,
        compression_level: Option<u32>,
        partition_by: Vec<String>,
        single_file_output: Option<bool>,
        insert_operation: Option<&str>,
        sort_by: Option<Vec<PySortExpr>>,
    ) -> Result<()> {
        let mut options = TableParquetOptions::default();
        let codec = compression.to_ascii_lowercase();
        options.global.compression = Some(match (codec.as_str(), compression_level) {
            ("zstd" | "gzip" | "brotli", Some(level)) => format!("{codec}({level})"),
            ("zstd", None) => "zstd(3)".to_string(),
            ("gzip", None) => "gzip(6)".to_string(),
            ("brotli", None) => "brotli(1)".to_string(),
            ("snappy" | "lz4" | "lz4_raw" | "uncompressed", None) => codec.clone(),
            (_, Some(_)) => {
                return Err(Error::Value(format!("compression {codec:?} takes no level")));
            }
            (other, None) => other.to_string(),
        });
        // The parquet crate's own parser checks the codec and its level range now, before any file
        // is created, as a ValueError.
        if let Some(setting) = &options.global.compression {
            setting.parse::<datafusion::parquet::basic::Compression>().map_err(|e| {
                Error::Value(format!("invalid parquet compression {setting:?}: {e}"))
            })?;
        }
        let write =
            write_options(path, partition_by, single_file_output, insert_operation, sort_by)?;
        wait_for_future(py, self.df().write_parquet(path, write, Some(options)))??;
        Ok(())
    }

    /// Writes Parquet with writer options by their DataFusion names (`max_row_group_size`,
    /// `compression`, ...), globally and per column.
    #[pyo3(signature = (path, options, column_options, partition_by = vec![], single_file_output = None, insert_operation = None, sort_by = None))]
    #[allow(clippy::too_many_arguments)]
    fn write_parquet_with_options(
        &self,
        py: Python<'_>,
        path: &str,
        options: HashMap<String, String>,
        column_options: HashMap<String, HashMap<String, String>>,
        partition_by: Vec<String>,
        single_file_output: Option<bool>,
        insert_operation: Option<&str>,
        sort_by: Option<Vec<PySortExpr>>,
    ) -> Result<()> {
        let mut parquet = TableParquetOptions::default();
        for (key, value) in &options {
            parquet.global.set(key, value)?;
        }
        for (column, settings) in column_options {
            let mut column_options = ParquetColumnOptions::default();
            for (key, value) in &settings {
                column_options.set(key, value)?;
            }
            parquet.column_specific_options.insert(column, column_options);
        }
        let write =
            write_options(path, partition_by, single_file_output, insert_operation, sort_by)?;
        wait_for_future(py, self.df().write_parquet(path, write, Some(parquet)))??;
        Ok(())
    }

    #[pyo3(signature = (path, with_header = false, delimiter = ",", partition_by = vec![], single_file_output = None, insert_operation = None, sort_by = None))]
    #[allow(clippy::too_many_arguments)]
    fn write_csv(
        &self,
        py: Python<'_>,
        path: &str,
        with_header: bool,
        delimiter: &str,
        partition_by: Vec<String>,
        single_file_output: Option<bool>,
        insert_operation: Option<&str>,
        sort_by: Option<Vec<PySortExpr>>,
    ) -> Result<()> {
        let delimiter = single_byte(delimiter, "delimiter")?;
        let options = CsvOptions::default().with_has_header(with_header).with_delimiter(delimiter);
        let write =
            write_options(path, partition_by, single_file_output, insert_operation, sort_by)?;
        wait_for_future(py, self.df().write_csv(path, write, Some(options)))??;
        Ok(())
    }

    #[pyo3(signature = (path, partition_by = vec![], single_file_output = None, insert_operation = None, sort_by = None))]
    fn write_json(
        &self,
        py: Python<'_>,
        path: &str,
        partition_by: Vec<String>,
        single_file_output: Option<bool>,
        insert_operation: Option<&str>,
        sort_by: Option<Vec<PySortExpr>>,
    ) -> Result<()> {
        let write =
            write_options(path, partition_by, single_file_output, insert_operation, sort_by)?;
        wait_for_future(py, self.df().write_json(path, write, Some(JsonOptions::default())))??;
        Ok(())
    }

    /// Inserts the rows into the registered table `table_name` (appending unless
    /// `insert_operation` says "overwrite" or "replace").
    #[pyo3(signature = (table_name, insert_operation = None, sort_by = None))]
    fn write_table(
        &self,
        py: Python<'_>,
        table_name: &str,
        insert_operation: Option<&str>,
        sort_by: Option<Vec<PySortExpr>>,
    ) -> Result<()> {
        let write = write_options("", vec![], Some(false), insert_operation, sort_by)?;
        let df = self.df();
        wait_for_future(py, async move { df.write_table(table_name, write).await })??;
        Ok(())
    }

    /// Exports this frame (as a view) to another DataFusion host of the same major, e.g. the official
    /// `datafusion` wheel: `their_ctx.register_table("t", fuseplug_df)`.
    fn __datafusion_table_provider__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> Result<Bound<'py, PyCapsule>> {
        let table = Arc::new(crate::export::LocalPlanTable::new(self.df()));
        crate::capsule::export_table_provider(py, table, session)
    }

    /// This frame as a view, for registering or passing where a table is expected.
    #[allow(clippy::wrong_self_convention, reason = "the Python API name of the official bindings")]
    #[pyo3(signature = (temporary = false))]
    fn into_view(&self, temporary: bool) -> crate::catalog::PyTable {
        let df = self.df();
        let inner = if temporary { df.into_temporary_view() } else { df.into_view() };
        crate::catalog::PyTable::owned(inner, &self.session)
    }

    fn logical_plan(&self) -> PyLogicalPlan {
        self.inner.logical_plan().clone().into()
    }

    fn optimized_logical_plan(&self) -> Result<PyLogicalPlan> {
        Ok(self.df().into_optimized_plan()?.into())
    }

    /// The physical plan: the one that last ran (with its metrics) once the DataFrame was
    /// collected or streamed, else a fresh one.
    fn execution_plan(&self, py: Python<'_>) -> Result<PyExecutionPlan> {
        if let Some(plan) = self.ran.get() {
            return Ok(plan.into());
        }
        Ok(wait_for_future(py, self.df().create_physical_plan())??.into())
    }

    fn __repr__(&self) -> String {
        format!("DataFrame({})", self.inner.logical_plan().display())
    }
}

/// Whether `df` is an `EXPLAIN` (or `EXPLAIN ANALYZE`) query, whose plan node must stay the root.
fn is_explain(df: &DataFrame) -> bool {
    use datafusion::logical_expr::LogicalPlan;
    matches!(df.logical_plan(), LogicalPlan::Explain(_) | LogicalPlan::Analyze(_))
}

static JOIN_ALIASES: AtomicUsize = AtomicUsize::new(0);

/// Gives `right` a fresh alias when one of its columns has the same qualified name as one of
/// `left`'s (two unnamed in-memory frames, or a self-join), which DataFusion would reject.
fn disambiguate(left: &DataFrame, right: DataFrame) -> Result<DataFrame> {
    let taken: HashSet<(Option<&TableReference>, &str)> =
        left.schema().iter().map(|(q, f)| (q, f.name().as_str())).collect();
    let clash = right.schema().iter().any(|(q, f)| taken.contains(&(q, f.name().as_str())));
    if !clash {
        return Ok(right);
    }
    let n = JOIN_ALIASES.fetch_add(1, Ordering::Relaxed);
    Ok(right.alias(&format!("right_{n}"))?)
}

/// A path with a file extension is written as one file unless partitioned; anything else is a directory.
fn write_options(
    path: &str,
    partition_by: Vec<String>,
    single: Option<bool>,
    insert_operation: Option<&str>,
    sort_by: Option<Vec<PySortExpr>>,
) -> Result<DataFrameWriteOptions> {
    let looks_like_file = Path::new(path).extension().is_some() && !path.ends_with('/');
    let single = single.unwrap_or(looks_like_file && partition_by.is_empty());
    let insert = match insert_operation.map(str::to_ascii_lowercase).as_deref() {
        None | Some("append") => InsertOp::Append,
        Some("overwrite") => InsertOp::Overwrite,
        Some("replace") => InsertOp::Replace,
        Some(other) => {
            return Err(Error::Value(format!(
                "insert_operation must be append, overwrite or replace, not {other:?}"
            )));
        }
    };
    Ok(DataFrameWriteOptions::new()
        .with_single_file_output(single)
        .with_partition_by(partition_by)
        .with_insert_operation(insert)
        .with_sort_by(sort_by.map(sort_exprs).unwrap_or_default()))
}

/// A one-byte option such as a CSV delimiter.
pub fn single_byte(value: &str, what: &str) -> Result<u8> {
    match value.as_bytes() {
        [b] => Ok(*b),
        _ => Err(Error::Value(format!("{what} must be a single ASCII character, got {value:?}"))),
    }
}
