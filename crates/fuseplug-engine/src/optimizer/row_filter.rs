//! Dynamic filters applied to rows, not just to row groups.
//!
//! A hash join (or a TopK sort) publishes a *dynamic filter* once its build side is known, and
//! DataFusion pushes it into the Parquet scans below the other side. With
//! `datafusion.execution.parquet.pushdown_filters` off (DataFusion's default, and fuseplug's: turning
//! it on slowed 14 of the 22 TPC-H queries) the scan only prunes row groups with it, so every row
//! still flows up through the aggregates and joins between the scan and the operator that made the
//! filter. TPC-H q17 aggregates all 6 million `lineitem` rows by part although only the ~200 parts
//! of one brand and container are asked about; q18 hash-joins all of `orders` although 57 orders
//! survive the `IN` subquery.
//!
//! [`DynamicRowFilter`] wraps such scans in a [`DynamicRowFilterExec`], which applies only the
//! dynamic part of the scan's predicate to each batch (the static part stays where DataFusion put
//! it). The node adapts: while the filter is still empty it passes batches through, and when a
//! filter keeps nearly every row it stops evaluating it until the filter changes.
//!
//! **Proof obligation.** The node may drop a row only where DataFusion's own Parquet reader with
//! `pushdown_filters = true` drops it: it applies nothing but the dynamic conjuncts DataFusion
//! itself pushed into that scan (its filter pushdown decides where that is valid, for which join
//! types and through which operators), against the same columns, with a null dropping its row as
//! in the reader's row filter. A filter is evaluated as of its latest generation: a hash join
//! publishes its filter only once its whole build side is known, and a TopK filter only narrows to
//! rows that cannot enter the top K, so a later generation never drops a row an earlier one had to
//! keep. Before a filter is filled (`true`), every row passes. The rule ships only with
//! DataFusion's sqllogictest suite passing as on stock DataFusion and the differential run clean
//! (docs/development.md, "Rules and defaults").

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::array::{Array, AsArray};
use arrow::compute::BatchCoalescer;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, ScalarValue, internal_err};
use datafusion::datasource::physical_plan::{FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::ScalarFunctionExpr;
use datafusion::physical_expr::expressions::{
    BinaryExpr, Column, DynamicFilterPhysicalExpr, LikeExpr, Literal,
};
use datafusion::physical_expr::utils::{conjunction, split_conjunction};
use datafusion::physical_expr_common::physical_expr::{
    PhysicalExpr, snapshot_generation, snapshot_physical_expr,
};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::execution_plan::replace_children_if_necessary;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::joins::HashTableLookupExpr;
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet,
};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, RecordBatchStream,
    SendableRecordBatchStream,
};
use futures::{Stream, StreamExt};

use super::enabled;

/// Rows a filter is tried on (since it last changed) before the node judges whether it pays.
const SAMPLE_ROWS: usize = 64 * 1024;
/// A filter that keeps more than this share of the sampled rows is not evaluated again until it
/// changes: it costs a hash or an `IN` lookup per row and saves almost nothing downstream.
const KEEP_LIMIT: f64 = 0.8;

/// The physical optimizer rule; it runs after DataFusion's own rules, dynamic filter pushdown
/// included. `fuseplug.optimizer.dynamic_filter_rows = false` turns it off.
#[derive(Debug, Default)]
pub struct DynamicRowFilter;

impl PhysicalOptimizerRule for DynamicRowFilter {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // with row-level pushdown on, the Parquet reader already filters rows with them
        if !enabled(config, |o| o.dynamic_filter_rows) || config.execution.parquet.pushdown_filters
        {
            return Ok(plan);
        }
        rewrite(plan, &mut Vec::new())
    }

    fn name(&self) -> &str {
        "fuseplug_dynamic_row_filter"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Operators whose work grows with every row they get: rows a filter drops below them save more
/// than the filter costs, even one that probes a hash table. A `FilterExec` counts when it compares
/// strings or calls functions (`costly_filter`); projections, repartitions and numeric filters
/// do not.
const HEAVY: &[&str] = &[
    "AggregateExec",
    "BoundedWindowAggExec",
    "CrossJoinExec",
    "HashJoinExec",
    "NestedLoopJoinExec",
    "SortExec",
    "SortMergeJoinExec",
    "SymmetricHashJoinExec",
    "WindowAggExec",
];

/// `node` with its Parquet scans wrapped; `ancestors` are the operators above it, nearest last.
fn rewrite(
    node: Arc<dyn ExecutionPlan>,
    ancestors: &mut Vec<Arc<dyn ExecutionPlan>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    if let Some((predicate, ids)) = dynamic_predicate(&node) {
        // the heavy operator nearest the scan below any of the filters' producers
        let below = ids.iter().find_map(|&id| heavy_below_producer(ancestors, id));
        return Ok(Arc::new(DynamicRowFilterExec::new(node, predicate, below)));
    }
    let children: Vec<_> = node.children().into_iter().cloned().collect();
    if children.is_empty() {
        return Ok(node);
    }
    ancestors.push(Arc::clone(&node));
    let children = children.into_iter().map(|c| rewrite(c, ancestors)).collect::<Result<_>>();
    ancestors.pop();
    replace_children_if_necessary(node, children?)
}

/// The first [`HEAVY`] operator between a scan (below `ancestors`, nearest last) and the operator
/// that produces the dynamic filter `id`, if any. With none, the producer does the filter's work
/// itself (a hash join probes its own table), and only a filter cheaper than that is applied.
fn heavy_below_producer(ancestors: &[Arc<dyn ExecutionPlan>], id: u64) -> Option<&'static str> {
    let mut heavy = None;
    for node in ancestors.iter().rev() {
        if node.dynamic_expressions_produced().iter().any(|e| e.expression_id() == Some(id)) {
            return heavy;
        }
        heavy = heavy
            .or_else(|| HEAVY.iter().copied().find(|h| *h == node.name()))
            .or_else(|| costly_filter(node).then_some("FilterExec"));
    }
    // a producer outside this plan (it should not happen): only cheap filters
    None
}

/// Whether `node` is a `FilterExec` whose predicate reads a string or binary column or calls a
/// function (`LIKE`, regular expressions, ...): per row, about as costly as a hash table probe
/// (TPC-H q19's filter on `l_shipmode` and `l_shipinstruct`), where a date or number comparison
/// (q03's on `l_shipdate`) costs far less than the dynamic filter would.
fn costly_filter(node: &Arc<dyn ExecutionPlan>) -> bool {
    let Some(filter) = node.downcast_ref::<FilterExec>() else {
        return false;
    };
    let schema = filter.input().schema();
    let costly = filter.predicate().exists(|e| {
        Ok(match e.downcast_ref::<Column>() {
            Some(c) => schema.fields().get(c.index()).is_some_and(|f| {
                matches!(
                    f.data_type(),
                    DataType::Utf8
                        | DataType::LargeUtf8
                        | DataType::Utf8View
                        | DataType::Binary
                        | DataType::LargeBinary
                        | DataType::BinaryView
                )
            }),
            None => {
                e.downcast_ref::<ScalarFunctionExpr>().is_some()
                    || e.downcast_ref::<LikeExpr>().is_some()
            }
        })
    });
    // the closure never fails
    costly.unwrap_or(false)
}

/// The dynamic filters of a Parquet scan that reads without row-level pushdown, rewritten against
/// the scan's output columns, and their ids; `None` when there are none, or when one names a
/// column the scan does not output as is.
fn dynamic_predicate(node: &Arc<dyn ExecutionPlan>) -> Option<(Arc<dyn PhysicalExpr>, Vec<u64>)> {
    let (_, source) =
        node.downcast_ref::<DataSourceExec>()?.downcast_to_file_source::<ParquetSource>()?;
    if source.table_parquet_options().global.pushdown_filters {
        return None;
    }
    let filter = source.filter()?;
    let output = node.schema();
    // each output column that is a table column as is: (table index, output index)
    let outputs: Vec<(usize, usize)> = match source.projection() {
        Some(projection) => projection
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let column = p.expr.downcast_ref::<Column>()?;
                (column.name() == p.alias).then_some((column.index(), i))
            })
            .collect(),
        None => (0..output.fields().len()).map(|i| (i, i)).collect(),
    };
    let (dynamic, ids): (Vec<_>, Vec<_>) = split_conjunction(&filter)
        .into_iter()
        .filter(|e| e.downcast_ref::<DynamicFilterPhysicalExpr>().is_some())
        .filter_map(|e| Some((remap(e, &outputs, &output)?, e.expression_id()?)))
        .unzip();
    (!dynamic.is_empty()).then(|| (conjunction(dynamic), ids))
}

/// `expr` with each table column replaced by the scan's output column it is.
fn remap(
    expr: &Arc<dyn PhysicalExpr>,
    outputs: &[(usize, usize)],
    output: &SchemaRef,
) -> Option<Arc<dyn PhysicalExpr>> {
    let mut missing = false;
    let remapped = Arc::clone(expr)
        .transform_up(|e| {
            let Some(column) = e.downcast_ref::<Column>() else {
                return Ok(Transformed::no(e));
            };
            match outputs.iter().find(|(table, _)| *table == column.index()) {
                Some(&(_, i)) if output.field(i).name() == column.name() => {
                    Ok(Transformed::yes(Arc::new(Column::new(column.name(), i)) as _))
                }
                _ => {
                    missing = true;
                    Ok(Transformed::no(e))
                }
            }
        })
        .ok()?
        .data;
    (!missing).then_some(remapped)
}

/// Applies the dynamic filters of the scan below it to that scan's rows (see the module docs).
/// Output: the same columns, partitioning and order as the input; fewer rows.
#[derive(Debug)]
pub struct DynamicRowFilterExec {
    input: Arc<dyn ExecutionPlan>,
    predicate: Arc<dyn PhysicalExpr>,
    /// The heavy operator between the input and the filters' producer (`heavy_below_producer`).
    /// Without one, a filter that probes a hash table is not applied: the producer probes it anyway.
    below: Option<&'static str>,
    metrics: ExecutionPlanMetricsSet,
}

impl DynamicRowFilterExec {
    pub fn new(
        input: Arc<dyn ExecutionPlan>,
        predicate: Arc<dyn PhysicalExpr>,
        below: Option<&'static str>,
    ) -> Self {
        Self { input, predicate, below, metrics: ExecutionPlanMetricsSet::new() }
    }

    pub fn input(&self) -> &Arc<dyn ExecutionPlan> {
        &self.input
    }
}

impl DisplayAs for DynamicRowFilterExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let below = self.below.unwrap_or("none");
        write!(f, "DynamicRowFilterExec: below={below}, predicate={}", self.predicate)
    }
}

impl ExecutionPlan for DynamicRowFilterExec {
    fn name(&self) -> &str {
        "DynamicRowFilterExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        f(&self.predicate)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match <[_; 1]>::try_from(children) {
            Ok([input]) if input.schema() == self.input.schema() => {
                Ok(Arc::new(Self::new(input, Arc::clone(&self.predicate), self.below)))
            }
            // a changed input may no longer have the columns the predicate names: drop the node
            Ok([input]) => Ok(input),
            Err(_) => internal_err!("DynamicRowFilterExec takes exactly one child"),
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, Arc::clone(&context))?;
        let schema = input.schema();
        let batch_size = context.session_config().batch_size();
        Ok(Box::pin(RowFilterStream {
            input,
            predicate: Arc::clone(&self.predicate),
            coalescer: BatchCoalescer::new(Arc::clone(&schema), batch_size),
            schema,
            state: FilterState { probes: self.below.is_some(), ..FilterState::default() },
            baseline: BaselineMetrics::new(&self.metrics, partition),
            pruned: MetricBuilder::new(&self.metrics).counter("rows_pruned", partition),
            skipped: MetricBuilder::new(&self.metrics).counter("batches_unfiltered", partition),
            done: false,
        }))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

/// What a stream knows of its filter since the filter last changed.
#[derive(Default)]
struct FilterState {
    /// The generation the rest describes (0: none yet).
    generation: u64,
    /// The filter as of that generation, with its dynamic parts resolved; `None` when it is
    /// trivially true (not filled yet) or not worth evaluating.
    current: Option<Arc<dyn PhysicalExpr>>,
    seen: usize,
    kept: usize,
    /// Whether a filter that probes a hash table is applied (`DynamicRowFilterExec::below`).
    probes: bool,
}

impl FilterState {
    /// The filter to apply to the next batch, if any.
    fn refresh(&mut self, predicate: &Arc<dyn PhysicalExpr>) -> Option<Arc<dyn PhysicalExpr>> {
        let generation = snapshot_generation(predicate);
        if generation != self.generation {
            self.generation = generation;
            self.seen = 0;
            self.kept = 0;
            // a snapshot that fails (it should not) leaves the rows unfiltered, as DataFusion would
            self.current = snapshot_physical_expr(Arc::clone(predicate))
                .ok()
                .filter(|e| !is_true(e) && (self.probes || !probes_hash_table(e)));
        }
        self.current.clone()
    }

    fn record(&mut self, rows: usize, kept: usize) {
        self.seen += rows;
        self.kept += kept;
        if self.seen >= SAMPLE_ROWS && self.kept as f64 > KEEP_LIMIT * self.seen as f64 {
            self.current = None;
        }
    }
}

/// Whether `expr` looks rows up in a join's hash table (a build side too large for an `IN` list).
fn probes_hash_table(expr: &Arc<dyn PhysicalExpr>) -> bool {
    // the closure never fails
    expr.exists(|e| Ok(e.downcast_ref::<HashTableLookupExpr>().is_some())).unwrap_or(false)
}

/// Whether `expr` is `true`, or a conjunction of `true`s (the snapshot of empty dynamic filters).
fn is_true(expr: &Arc<dyn PhysicalExpr>) -> bool {
    if let Some(literal) = expr.downcast_ref::<Literal>() {
        return matches!(literal.value(), ScalarValue::Boolean(Some(true)));
    }
    match expr.downcast_ref::<BinaryExpr>() {
        Some(b) if *b.op() == Operator::And => is_true(b.left()) && is_true(b.right()),
        _ => false,
    }
}

struct RowFilterStream {
    input: SendableRecordBatchStream,
    predicate: Arc<dyn PhysicalExpr>,
    coalescer: BatchCoalescer,
    schema: SchemaRef,
    state: FilterState,
    baseline: BaselineMetrics,
    pruned: Count,
    skipped: Count,
    done: bool,
}

impl RowFilterStream {
    /// Filters one batch into the coalescer, or hands it back when there is nothing to apply.
    fn apply(&mut self, batch: RecordBatch) -> Result<Option<RecordBatch>> {
        let Some(current) = self.state.refresh(&self.predicate) else {
            self.skipped.add(1);
            return self.pass(batch);
        };
        let elapsed = self.baseline.elapsed_compute().clone();
        let _timer = elapsed.timer();
        let mask = current.evaluate(&batch)?.into_array(batch.num_rows())?;
        let Some(mask) = mask.as_boolean_opt() else {
            return internal_err!("a dynamic filter gave {} instead of booleans", mask.data_type());
        };
        // a null drops its row, as in `FilterExec`; `true_count` counts only valid trues
        let kept = mask.true_count();
        self.state.record(batch.num_rows(), kept);
        self.pruned.add(batch.num_rows() - kept);
        if kept == batch.num_rows() {
            return self.pass(batch);
        }
        self.coalescer.push_batch_with_filter(batch, mask)?;
        Ok(self.coalescer.next_completed_batch())
    }

    /// A batch that keeps all its rows: as it is, unless filtered rows wait before it.
    fn pass(&mut self, batch: RecordBatch) -> Result<Option<RecordBatch>> {
        if self.coalescer.is_empty() {
            return Ok(Some(batch));
        }
        self.coalescer.push_batch(batch)?;
        Ok(self.coalescer.next_completed_batch())
    }
}

impl Stream for RowFilterStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(batch) = self.coalescer.next_completed_batch() {
                return self.baseline.record_poll(Poll::Ready(Some(Ok(batch))));
            }
            if self.done {
                return self.baseline.record_poll(Poll::Ready(None));
            }
            match self.input.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(batch))) => match self.apply(batch) {
                    Ok(Some(batch)) => {
                        return self.baseline.record_poll(Poll::Ready(Some(Ok(batch))));
                    }
                    Ok(None) => continue,
                    Err(e) => return Poll::Ready(Some(Err(e))),
                },
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => {
                    self.done = true;
                    if let Err(e) = self.coalescer.finish_buffered_batch() {
                        return Poll::Ready(Some(Err(e.into())));
                    }
                }
            }
        }
    }
}

impl RecordBatchStream for RowFilterStream {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
