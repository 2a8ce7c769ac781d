//! What we hand to other hosts and consumers: tables, and Arrow streams in the schema a consumer
//! requests. Tables plan on fuseplug's own session state: planning through the caller's session
//! would mean serializing our logical plan across the FFI boundary, which fails for anything the
//! default codec cannot encode (in-memory tables, Python UDFs).

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Column, internal_err};
use datafusion::dataframe::DataFrame;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use fuseplug_capsule::panic::{guard, guard_future, guard_stream};
use fuseplug_capsule::runtime::try_handle;

/// A DataFrame's query as a table whose scans are planned by the DataFrame's own session.
#[derive(Debug)]
pub struct LocalPlanTable {
    df: DataFrame,
    schema: SchemaRef,
}

impl LocalPlanTable {
    pub fn new(df: DataFrame) -> Self {
        let schema = Arc::new(df.schema().as_arrow().clone());
        Self { df, schema }
    }
}

#[async_trait]
impl TableProvider for LocalPlanTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        _caller: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        guard_future("fuseplug's scan planning", self.plan(projection, limit)).await
    }
}

impl LocalPlanTable {
    async fn plan(
        &self,
        projection: Option<&Vec<usize>>,
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut df = self.df.clone();
        if let Some(indices) = projection {
            let columns: Vec<Expr> = indices
                .iter()
                .map(|&i| Expr::Column(Column::from(df.schema().qualified_field(i))))
                .collect();
            df = df.select(columns)?;
        }
        if limit.is_some() {
            df = df.limit(0, limit)?;
        }
        let plan = df.create_physical_plan().await?;
        Ok(Arc::new(OnOurRuntime { inner: plan }))
    }
}

/// Runs a plan's `execute` and every poll of its streams inside fuseplug's tokio runtime.
///
/// Another host polls our streams from its own executor threads, where this library's copy of tokio
/// sees no runtime: any `tokio::spawn` in our operators would panic ("no reactor running") inside an
/// `extern "C"` call and abort the process. Entering our runtime first makes spawns land on it.
#[derive(Debug)]
pub struct OnOurRuntime {
    inner: Arc<dyn ExecutionPlan>,
}

impl DisplayAs for OnOurRuntime {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let inner = datafusion::physical_plan::displayable(self.inner.as_ref()).one_line();
        write!(f, "FuseplugExec: {}", inner.to_string().trim_end())
    }
}

impl ExecutionPlan for OnOurRuntime {
    fn name(&self) -> &str {
        "OnOurRuntime"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.inner.properties()
    }

    /// None, on purpose: a leaf cannot be rewritten by the other host's optimizer. Pushing its
    /// operators into our tree would make our runtime's tasks drive code from its library, whose tokio
    /// sees no runtime on our threads (seen with the official 55 wheel: an abort on `spawn`).
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
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            internal_err!("OnOurRuntime is a leaf and takes no children")
        }
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        // Starting (or entering) the runtime is inside the guard too: nothing may unwind into the
        // other host's `extern "C"` call.
        guard("fuseplug's execute", || {
            let runtime = try_handle()?;
            let _entered = runtime.enter();
            let inner = self.inner.execute(partition, context)?;
            Ok(guard_stream("a fuseplug stream", inner, Some(runtime)))
        })
    }
}

/// The schema a consumer asks for in `__arrow_c_stream__(requested_schema)`: an `arrow_schema`
/// capsule (what the protocol passes) or any object exporting `__arrow_c_schema__`.
pub fn requested_schema(requested: &pyo3::Bound<'_, pyo3::PyAny>) -> crate::errors::Result<Schema> {
    use arrow::ffi::FFI_ArrowSchema;
    use arrow::pyarrow::FromPyArrow;
    use pyo3::types::{PyCapsule, PyCapsuleMethods};

    let Ok(capsule) = requested.cast::<PyCapsule>() else {
        return Ok(Schema::from_pyarrow_bound(requested)?);
    };
    let pointer = capsule.pointer_checked(Some(c"arrow_schema")).map_err(|_| {
        crate::errors::Error::Type(
            "requested_schema must be an \"arrow_schema\" PyCapsule or a schema object".into(),
        )
    })?;
    // SAFETY: the capsule is named "arrow_schema", so by the Arrow PyCapsule protocol it holds an
    // `ArrowSchema`; `capsule` keeps it alive while it is read (the conversion copies it).
    let ffi = unsafe { pointer.cast::<FFI_ArrowSchema>().as_ref() };
    Ok(Schema::try_from(ffi)?)
}

/// The schema a stream of `from` batches is sent with when the consumer asks for `requested`:
/// `requested`'s fields in its order, merged with ours (so a field we have keeps its type, and one we
/// do not have stays as requested, null-filled). Types that do not merge are an error ("Fail to
/// merge schema"), as in the official bindings.
pub fn project_schema(from: &Schema, requested: &Schema) -> crate::errors::Result<SchemaRef> {
    let merged = Schema::try_merge([from.clone(), requested.clone()])?;
    let indices: Vec<usize> =
        requested.fields().iter().filter_map(|f| merged.index_of(f.name()).ok()).collect();
    Ok(Arc::new(merged.project(&indices)?))
}

/// `batch` in `schema`: its columns by name, cast where the type differs, and null columns for the
/// fields it lacks.
pub fn batch_into_schema(
    batch: &RecordBatch,
    schema: &SchemaRef,
) -> std::result::Result<RecordBatch, ArrowError> {
    let rows = batch.num_rows();
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.column_by_name(field.name()) {
            Some(column) if column.data_type() == field.data_type() => Ok(Arc::clone(column)),
            Some(column) => arrow::compute::cast(column, field.data_type()),
            None => Ok(arrow::array::new_null_array(field.data_type(), rows)),
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let options = arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options)
}

/// A reader that hands `inner`'s batches over in `schema` (see [`batch_into_schema`]).
pub struct ProjectedReader {
    inner: Box<dyn RecordBatchReader + Send>,
    schema: SchemaRef,
}

impl ProjectedReader {
    pub fn new(inner: Box<dyn RecordBatchReader + Send>, schema: SchemaRef) -> Self {
        Self { inner, schema }
    }
}

impl Iterator for ProjectedReader {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|batch| batch.and_then(|b| batch_into_schema(&b, &self.schema)))
    }
}

impl RecordBatchReader for ProjectedReader {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}
