//! Tables we hand to other hosts. They plan on fuseplug's own session state: planning through the
//! caller's session would mean serializing our logical plan across the FFI boundary, which fails for
//! anything the default codec cannot encode (in-memory tables, Python UDFs).

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Column, internal_err};
use datafusion::dataframe::DataFrame;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result;
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use fuseplug_capsule::panic::{guard, panic_error};
use fuseplug_capsule::runtime::handle;
use futures::{FutureExt, Stream};

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
        let planned = AssertUnwindSafe(self.plan(projection, limit)).catch_unwind().await;
        planned.unwrap_or_else(|payload| Err(panic_error("fuseplug's scan planning", &*payload)))
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
        let _entered = handle().enter();
        let inner = guard("fuseplug's execute", || self.inner.execute(partition, context))?;
        Ok(Box::pin(OnOurRuntimeStream { inner, done: false }))
    }
}

struct OnOurRuntimeStream {
    inner: SendableRecordBatchStream,
    /// Set after a panic: the inner stream is in an unknown state and is never polled again.
    done: bool,
}

impl Stream for OnOurRuntimeStream {
    type Item = Result<RecordBatch>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let _entered = handle().enter();
        let inner = &mut this.inner;
        catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll_next(cx))).unwrap_or_else(|payload| {
            this.done = true;
            Poll::Ready(Some(Err(panic_error("a fuseplug stream", &*payload))))
        })
    }
}

impl RecordBatchStream for OnOurRuntimeStream {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}
