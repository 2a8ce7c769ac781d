//! Results that are already in memory. A DataFrame whose plan only reads an in-memory table
//! (`from_arrow`, `from_pydict`, `register_record_batches`, `cache()`), keeping or renaming whole
//! columns, hands out the stored batches as they are: no execution, no copy and no re-chunking
//! into `batch_size` pieces. `to_arrow_table`, `collect` and `__arrow_c_stream__` use it.

use std::sync::Arc;

use arrow::array::RecordBatchOptions;
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::catalog::{MemTable, TableProvider};
use datafusion::datasource::source_as_provider;
use datafusion::logical_expr::{Expr, LogicalPlan};

/// The batches `plan` would return, taken from the in-memory table it reads, with its schema; or
/// `None` when the plan does anything else (filters, limits, computed columns, joins, ...), in
/// which case it is executed as usual.
pub fn stored_batches(plan: &LogicalPlan) -> Option<(SchemaRef, Vec<RecordBatch>)> {
    let (provider, columns) = scan_columns(plan)?;
    let table = provider.downcast_ref::<MemTable>()?;
    let stored = table.schema();
    let out = plan.schema().as_arrow();
    if out.fields().len() != columns.len() {
        return None;
    }
    // The stored fields (types, nullability, metadata) under the names the plan gives them.
    let fields: Vec<Field> = columns
        .iter()
        .zip(out.fields())
        .map(|(&i, named)| stored.field(i).clone().with_name(named.name()))
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, stored.metadata().clone()));
    let mut batches = Vec::new();
    for partition in &table.batches {
        // A writer (INSERT INTO) holds the lock: execute the plan instead of waiting for it.
        let partition = partition.try_read().ok()?;
        for batch in partition.iter() {
            let arrays = columns.iter().map(|&i| Arc::clone(batch.column(i))).collect();
            let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
            batches.push(
                RecordBatch::try_new_with_options(Arc::clone(&schema), arrays, &options).ok()?,
            );
        }
    }
    Some((schema, batches))
}

/// The table a plan reads whole (no filter, no limit) and, per output column, the index of the
/// table column it is: the plan is a scan under any number of aliases and projections of plain
/// (possibly renamed) columns.
fn scan_columns(plan: &LogicalPlan) -> Option<(Arc<dyn TableProvider>, Vec<usize>)> {
    match plan {
        LogicalPlan::TableScan(scan) if scan.filters.is_empty() && scan.fetch.is_none() => {
            let provider = source_as_provider(&scan.source).ok()?;
            let all = || (0..provider.schema().fields().len()).collect();
            let columns = scan.projection.clone().unwrap_or_else(all);
            Some((provider, columns))
        }
        LogicalPlan::SubqueryAlias(alias) => scan_columns(&alias.input),
        LogicalPlan::Projection(projection) => {
            let (provider, columns) = scan_columns(&projection.input)?;
            let input = projection.input.schema();
            let picked = projection
                .expr
                .iter()
                .map(|expr| {
                    let column = match expr {
                        Expr::Column(column) => column,
                        Expr::Alias(alias) => match alias.expr.as_ref() {
                            Expr::Column(column) => column,
                            _ => return None,
                        },
                        _ => return None,
                    };
                    input.index_of_column(column).ok().map(|i| columns[i])
                })
                .collect::<Option<Vec<_>>>()?;
            Some((provider, picked))
        }
        _ => None,
    }
}
