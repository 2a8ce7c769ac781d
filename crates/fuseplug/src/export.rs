//! Tables we hand to other hosts. They plan on fuseplug's own session state: planning through the
//! caller's session would mean serializing our logical plan across the FFI boundary, which fails for
//! anything the default codec cannot encode (in-memory tables, Python UDFs).

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
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
