//! One run for a subplan a query needs twice.
//!
//! A view or common table expression that a query reads twice is planned, and run, twice: TPC-H
//! q15 aggregates three months of `lineitem` by supplier once to find the best revenue (a scalar
//! subquery) and again to find who earned it. DataFusion has no operator that runs a subplan once
//! for several readers.
//!
//! [`ShareRepeatedSubplans`] finds complete aggregates that occur more than once in a physical
//! plan and replaces each occurrence with a [`SharedExec`]. All of them share one state: the first
//! to run collects the aggregate's output (every partition) into memory, and the others read it
//! from there. Only aggregates are shared, since their output is usually small next to what they
//! read.
//!
//! **Proof obligation.** Two occurrences may share one run only if each would return exactly the
//! rows the other returns, in every partition. [`super::identity`] proves it or refuses: same
//! operators with the same fields (not the same rendering), the same functions by implementation,
//! deterministic expressions of known kinds, and leaves that read the same data (the same
//! in-memory buffers, or the same files, ranges, schema, projection and static predicate). Dynamic
//! filters are left out of the comparison and of the shared run: they only drop rows that the
//! operator above each occurrence drops anyway. Anything else is not shared. The rule ships only
//! with DataFusion's sqllogictest suite passing as on stock DataFusion and the differential run
//! clean (docs/development.md, "Rules and defaults").

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, internal_err};
use datafusion::datasource::physical_plan::{FileScanConfigBuilder, FileSource, ParquetSource};
use datafusion::datasource::source::DataSourceExec;
use datafusion::execution::TaskContext;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::physical_expr::DynamicFilterTracking;
use datafusion::physical_expr::utils::{conjunction, split_conjunction};
use datafusion::physical_expr_common::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
    collect_partitioned,
};
use futures::{StreamExt, TryStreamExt, stream};
use tokio::sync::OnceCell;

use super::enabled;
use super::identity::identity;
use super::row_filter::DynamicRowFilterExec;

/// The physical optimizer rule; `fuseplug.optimizer.share_repeated_subplans = false` turns it off.
/// Distributed sessions go without it (`super::for_distributed`): their stages run on other
/// machines.
#[derive(Debug, Default)]
pub struct ShareRepeatedSubplans;

impl PhysicalOptimizerRule for ShareRepeatedSubplans {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if !enabled(config, |o| o.share_repeated_subplans) {
            return Ok(plan);
        }
        // every shareable aggregate, by address: its rendering and its plain subplan; and how
        // often each rendering occurs
        let mut found: HashMap<*const (), (String, Arc<dyn ExecutionPlan>)> = HashMap::new();
        let mut counts: HashMap<String, usize> = HashMap::new();
        plan.apply(|node| {
            if let Some((key, plain)) = candidate(node)? {
                *counts.entry(key.clone()).or_default() += 1;
                found.insert(address(node), (key, plain));
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        if counts.values().all(|&n| n < 2) {
            return Ok(plan);
        }
        // one state and one plain subplan per repeated aggregate, for all its occurrences; the
        // nodes `transform_down` hands over are the ones `apply` saw until one is replaced, and
        // `Jump` skips the replaced one's subtree
        let mut shared: HashMap<String, (Arc<SharedState>, Arc<dyn ExecutionPlan>)> =
            HashMap::new();
        plan.transform_down(|node| {
            let Some((key, plain)) = found.get(&address(&node)) else {
                return Ok(Transformed::no(node));
            };
            if counts[key] < 2 {
                return Ok(Transformed::no(node));
            }
            let (state, input) =
                shared.entry(key.clone()).or_insert_with(|| (Arc::default(), Arc::clone(plain)));
            let node = SharedExec { input: Arc::clone(input), state: Arc::clone(state) };
            Ok(Transformed::new(Arc::new(node) as _, true, TreeNodeRecursion::Jump))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "fuseplug_share_repeated_subplans"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `node`'s address, without the vtable half of the pointer.
fn address(node: &Arc<dyn ExecutionPlan>) -> *const () {
    Arc::as_ptr(node).cast()
}

/// If `node` is a complete aggregate that may be shared: the identity of its whole subplan
/// without dynamic filters (`super::identity`, which decides by the data the leaves read, never by
/// text), and that plain subplan.
fn candidate(node: &Arc<dyn ExecutionPlan>) -> Result<Option<(String, Arc<dyn ExecutionPlan>)>> {
    let Some(aggregate) = node.downcast_ref::<AggregateExec>() else {
        return Ok(None);
    };
    if matches!(aggregate.mode(), AggregateMode::Partial | AggregateMode::PartialReduce) {
        return Ok(None);
    }
    let plain = without_dynamic_filters(Arc::clone(node))?;
    Ok(identity(&plain).map(|key| (key, plain)))
}

/// `node` without the dynamic filters that operators above it pushed into it. They only drop rows
/// that those operators would drop anyway, so every occurrence may read the plain subplan's output.
fn without_dynamic_filters(node: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    node.transform_up(|n| {
        if let Some(filter) = n.downcast_ref::<DynamicRowFilterExec>() {
            return Ok(Transformed::yes(Arc::clone(filter.input())));
        }
        let Some(scan) = n.downcast_ref::<DataSourceExec>() else {
            return Ok(Transformed::no(n));
        };
        let Some((config, source)) = scan.downcast_to_file_source::<ParquetSource>() else {
            return Ok(Transformed::no(n));
        };
        let Some(predicate) = source.filter() else {
            return Ok(Transformed::no(n));
        };
        let conjuncts = split_conjunction(&predicate);
        let static_part: Vec<_> = conjuncts
            .iter()
            .filter(|e| !DynamicFilterTracking::classify(e).contains_dynamic_filter())
            .map(|e| Arc::clone(e))
            .collect();
        if static_part.len() == conjuncts.len() {
            return Ok(Transformed::no(n));
        }
        // `conjunction` of nothing is `true`
        let source = source.with_predicate(conjunction(static_part));
        let config =
            FileScanConfigBuilder::from(config.clone()).with_source(Arc::new(source)).build();
        Ok(Transformed::yes(Arc::new(scan.clone().with_data_source(Arc::new(config))) as _))
    })
    .map(|t| t.data)
}

/// What the occurrences of one subplan share: its output, once the first of them has run it, and
/// the memory it holds. `None` inside means the output did not fit the session's memory pool, and
/// each occurrence runs the subplan itself.
#[derive(Default)]
pub struct SharedState {
    output: OnceCell<Option<Shared>>,
}

struct Shared {
    partitions: Vec<Vec<RecordBatch>>,
    _reservation: MemoryReservation,
}

impl fmt::Debug for SharedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedState").field("ran", &self.output.initialized()).finish()
    }
}

/// One occurrence of a subplan that runs once for all of them (see the module docs).
#[derive(Debug)]
pub struct SharedExec {
    input: Arc<dyn ExecutionPlan>,
    state: Arc<SharedState>,
}

impl SharedExec {
    pub fn input(&self) -> &Arc<dyn ExecutionPlan> {
        &self.input
    }
}

impl DisplayAs for SharedExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        // the state's address tells which occurrences share one run
        write!(f, "SharedExec: run={:p}", Arc::as_ptr(&self.state))
    }
}

impl ExecutionPlan for SharedExec {
    fn name(&self) -> &str {
        "SharedExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    /// A new input gets a state of its own: a rule that rewrites one occurrence and not the others
    /// must not leave them sharing one run.
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        match <[_; 1]>::try_from(children) {
            Ok([input]) if Arc::ptr_eq(&input, &self.input) => Ok(self),
            Ok([input]) => Ok(Arc::new(Self { input, state: Arc::default() })),
            Err(_) => internal_err!("SharedExec takes exactly one child"),
        }
    }

    /// Runs again from scratch (recursive queries): a state of its own.
    fn reset_state(self: Arc<Self>) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(Arc::new(Self { input: Arc::clone(&self.input), state: Arc::default() }))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = Arc::clone(&self.input);
        let state = Arc::clone(&self.state);
        let schema = self.input.schema();
        let batches = async move {
            let shared = state
                .output
                .get_or_try_init(|| collect(Arc::clone(&input), Arc::clone(&context)))
                .await?;
            let stream = match shared {
                Some(shared) => {
                    let batches = shared.partitions.get(partition).cloned().unwrap_or_default();
                    stream::iter(batches.into_iter().map(Ok)).boxed()
                }
                None => input.execute(partition, context)?,
            };
            Ok::<_, datafusion::error::DataFusionError>(stream)
        };
        let stream = stream::once(batches).try_flatten();
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, stream)))
    }
}

/// Runs the subplan and keeps its output, if the memory pool grants it.
async fn collect(
    input: Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
) -> Result<Option<Shared>> {
    let partitions = collect_partitioned(input, Arc::clone(&context)).await?;
    let bytes = partitions.iter().flatten().map(RecordBatch::get_array_memory_size).sum::<usize>();
    let reservation = MemoryConsumer::new("SharedExec").register(context.memory_pool());
    Ok(reservation
        .try_grow(bytes)
        .is_ok()
        .then_some(Shared { partitions, _reservation: reservation }))
}
