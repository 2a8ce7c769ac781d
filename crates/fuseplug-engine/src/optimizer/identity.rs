//! When two subplans are provably the same computation over the same data.
//!
//! [`super::ShareRepeatedSubplans`] may run one subplan for two places only if both would return
//! the same rows. Text cannot tell: an in-memory scan renders as its partition sizes, so two
//! `VALUES` lists or two `from_pydict` tables of the same shape render alike (that rule once merged
//! them and returned wrong rows). [`identity`] builds a key instead from what decides the answer:
//!
//! - **leaves** by the data they read: an in-memory scan by the addresses of the very buffers its
//!   batches hold (so a copy of equal values is *not* the same; sharing is then only missed), a file
//!   scan (Parquet or CSV) by its store, every file's path, size, modification time and byte range, its schema,
//!   projection, limit, ordering and the format's options;
//! - **operators** (DataFusion's own, from a fixed list) by their full `Debug` form with each child
//!   replaced by a stand-in, so every field DataFusion prints counts, not only what `EXPLAIN` shows,
//!   and by the fields a `Debug` form is known to leave out (a fetch, a null-aware anti join);
//! - **functions** by the address of their implementation as well as by name, since `Debug` of a
//!   scalar function leaves the function out and two Python UDFs may share a name.
//!
//! Whatever cannot be proven is refused (`None`): an operator, leaf, file source or expression kind
//! not listed here, a file carrying extensions, a volatile or dynamic expression. A refused subplan
//! is run as often as the query says, as stock DataFusion does.

use std::fmt::{self, Write};
use std::sync::Arc;

use arrow::array::{Array, ArrayData};
use datafusion::catalog::memory::MemorySourceConfig;
use datafusion::common::Result;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::physical_plan::{CsvSource, FileScanConfig, ParquetSource};
use datafusion::datasource::source::{DataSource, DataSourceExec};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::ScalarFunctionExpr;
use datafusion::physical_expr::expressions::{
    BinaryExpr, CaseExpr, CastExpr, Column, InListExpr, IsNotNullExpr, IsNullExpr, LikeExpr,
    Literal, NegativeExpr, NotExpr, TryCastExpr,
};
use datafusion::physical_expr_common::physical_expr::PhysicalExpr;
use datafusion::physical_plan::aggregates::AggregateExec;
use datafusion::physical_plan::execution_plan::{ChildrenPropertiesMode, ReplaceChildrenOptions};
use datafusion::physical_plan::joins::HashJoinExec;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};

/// The operators a shareable subplan may be made of: DataFusion's own, whose output depends only
/// on their inputs and expressions. A scan (`DataSourceExec`) is the only kind of leaf.
const OPERATORS: &[&str] = &[
    "AggregateExec",
    "CoalesceBatchesExec",
    "CoalescePartitionsExec",
    "CooperativeExec",
    "CrossJoinExec",
    "FilterExec",
    "HashJoinExec",
    "NestedLoopJoinExec",
    "ProjectionExec",
    "RepartitionExec",
    "SortExec",
    "SortMergeJoinExec",
    "SortPreservingMergeExec",
    "UnionExec",
];

/// The identity of `plan`: equal keys mean equal output, for plans alive at the same time (buffer
/// addresses are only unique while the buffers live). `None` when it cannot be proven.
pub fn identity(plan: &Arc<dyn ExecutionPlan>) -> Option<String> {
    let mut key = String::new();
    write_node(plan, &mut key).ok()?;
    Some(key)
}

/// Why a subplan has no provable identity; it never reaches the user.
struct Unproven;

impl From<fmt::Error> for Unproven {
    fn from(_: fmt::Error) -> Self {
        Unproven
    }
}

type Proof = std::result::Result<(), Unproven>;

fn write_node(node: &Arc<dyn ExecutionPlan>, key: &mut String) -> Proof {
    let children = node.children();
    writeln!(key, "[{} children={}]", node.name(), children.len())?;
    if let Some(scan) = node.downcast_ref::<DataSourceExec>() {
        if !children.is_empty() {
            return Err(Unproven);
        }
        return write_scan(scan, key);
    }
    if !OPERATORS.contains(&node.name()) || children.is_empty() {
        return Err(Unproven);
    }
    write_expressions(node.as_ref(), key)?;
    // fields a `Debug` form leaves out: `HashJoinExec`'s prints neither its fetch nor whether it
    // is a null-aware anti join (`NOT IN`, which keeps no row once the other side holds a null)
    writeln!(key, "fetch={:?}", node.fetch())?;
    if let Some(join) = node.downcast_ref::<HashJoinExec>() {
        writeln!(key, "null_aware={}", join.null_aware)?;
    }
    // the operator's own fields, its inputs replaced by stand-ins with the same properties
    let holes = children.iter().map(|c| Arc::new(Hole::of(c)) as Arc<dyn ExecutionPlan>).collect();
    let keep = ReplaceChildrenOptions::new(ChildrenPropertiesMode::Keep);
    let alone = Arc::clone(node).replace_children(holes, keep).map_err(|_| Unproven)?;
    writeln!(key, "{alone:?}")?;
    for child in children {
        write_node(child, key)?;
    }
    Ok(())
}

/// Every expression `node` holds must be of a kind whose `Debug` form is complete; functions add
/// the address of their implementation.
fn write_expressions(node: &dyn ExecutionPlan, key: &mut String) -> Proof {
    let mut proven = true;
    let mut visit = |expr: &Arc<dyn PhysicalExpr>| -> Result<TreeNodeRecursion> {
        expr.apply(|e| {
            proven = proven_expression(e.as_ref(), key);
            Ok(if proven { TreeNodeRecursion::Continue } else { TreeNodeRecursion::Stop })
        })
    };
    node.apply_expressions(&mut visit).map_err(|_| Unproven)?;
    if let Some(aggregate) = node.downcast_ref::<AggregateExec>() {
        for function in aggregate.aggr_expr() {
            let implementation = Arc::as_ptr(function.fun().inner()).cast::<()>();
            writeln!(key, "aggregate {} at {implementation:p}", function.name())?;
        }
    }
    proven.then_some(()).ok_or(Unproven)
}

fn proven_expression(expr: &dyn PhysicalExpr, key: &mut String) -> bool {
    if let Some(function) = expr.downcast_ref::<ScalarFunctionExpr>() {
        if function.fun().signature().volatility != datafusion::logical_expr::Volatility::Immutable
        {
            return false;
        }
        let implementation = Arc::as_ptr(function.fun().inner()).cast::<()>();
        return writeln!(key, "function {} at {implementation:p}", function.name()).is_ok();
    }
    expr.is::<Column>()
        || expr.is::<Literal>()
        || expr.is::<BinaryExpr>()
        || expr.is::<CastExpr>()
        || expr.is::<TryCastExpr>()
        || expr.is::<NotExpr>()
        || expr.is::<IsNullExpr>()
        || expr.is::<IsNotNullExpr>()
        || expr.is::<NegativeExpr>()
        || expr.is::<InListExpr>()
        || expr.is::<LikeExpr>()
        || expr.is::<CaseExpr>()
}

fn write_scan(scan: &DataSourceExec, key: &mut String) -> Proof {
    let source = scan.data_source();
    if let Some(memory) = source.downcast_ref::<MemorySourceConfig>() {
        return write_memory(memory, key);
    }
    let Some(files) = source.downcast_ref::<FileScanConfig>() else {
        return Err(Unproven);
    };
    write_files(files, key)?;
    // the file source's expressions (its predicate and projection) must be proven too
    write_expressions(scan, key)
}

/// An in-memory scan: the addresses of every buffer of every batch, which no other live batch
/// shares unless it holds the very same data.
fn write_memory(memory: &MemorySourceConfig, key: &mut String) -> Proof {
    writeln!(
        key,
        "memory schema={:?} projection={:?} fetch={:?} sort={:?}",
        memory.original_schema(),
        memory.projection(),
        memory.fetch(),
        memory.sort_information()
    )?;
    for (i, partition) in memory.partitions().iter().enumerate() {
        write!(key, "partition {i}:")?;
        for batch in partition {
            write!(key, " batch rows={} [", batch.num_rows())?;
            for column in batch.columns() {
                write_buffers(&column.to_data(), key)?;
            }
            write!(key, "]")?;
        }
        writeln!(key)?;
    }
    Ok(())
}

fn write_buffers(data: &ArrayData, key: &mut String) -> Proof {
    write!(key, "({:?} len={} offset={}", data.data_type(), data.len(), data.offset())?;
    if let Some(nulls) = data.nulls() {
        write!(key, " nulls={:p}+{}", nulls.buffer().as_ptr(), nulls.offset())?;
    }
    for buffer in data.buffers() {
        write!(key, " {:p}/{}", buffer.as_ptr(), buffer.len())?;
    }
    for child in data.child_data() {
        write_buffers(child, key)?;
    }
    write!(key, ")")?;
    Ok(())
}

/// A file scan: Parquet or CSV, whose `Debug` form holds every option of the format, and files
/// without per-file extensions (an access plan there would select other rows). JSON and Arrow
/// sources print no `Debug` form, so they are not proven.
fn write_files(files: &FileScanConfig, key: &mut String) -> Proof {
    let source = files.file_source.as_ref();
    let source = if let Some(parquet) = source.downcast_ref::<ParquetSource>() {
        format!("{parquet:?}")
    } else if let Some(csv) = source.downcast_ref::<CsvSource>() {
        format!("{csv:?}")
    } else {
        return Err(Unproven);
    };
    writeln!(
        key,
        "files store={:?} constraints={:?} limit={:?} preserve_order={} ordering={:?} \
         compression={:?} batch_size={:?} adapter={:?}\nsource={source}",
        files.object_store_url,
        files.constraints,
        files.limit,
        files.preserve_order,
        files.output_ordering,
        files.file_compression_type,
        files.batch_size,
        files.expr_adapter_factory,
    )?;
    for (i, group) in files.file_groups.iter().enumerate() {
        writeln!(key, "group {i}:")?;
        for file in group.iter() {
            if !file.extensions.is_empty() {
                return Err(Unproven);
            }
            writeln!(
                key,
                "  {} size={} modified={:?} etag={:?} range={:?} partition={:?} ordering={:?} table={:?}",
                file.object_meta.location,
                file.object_meta.size,
                file.object_meta.last_modified,
                file.object_meta.e_tag,
                file.range,
                file.partition_values,
                file.ordering,
                file.table_reference,
            )?;
        }
    }
    Ok(())
}

/// Stands in for a child while an operator's own fields are written: it has the child's
/// properties, so the operator rebuilt over it keeps its orderings and partitioning, and it never
/// runs.
#[derive(Debug)]
struct Hole {
    properties: Arc<PlanProperties>,
}

impl Hole {
    fn of(child: &Arc<dyn ExecutionPlan>) -> Self {
        Self { properties: Arc::clone(child.properties()) }
    }
}

impl DisplayAs for Hole {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Hole")
    }
}

impl ExecutionPlan for Hole {
    fn name(&self) -> &str {
        "Hole"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        _partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        datafusion::common::internal_err!("a Hole only stands in for a plan's input and never runs")
    }
}
