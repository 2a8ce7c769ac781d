//! A DataFusion 54 table provider served as a DataFusion 55 one.
//!
//! [`Table54`] implements 55's `TableProvider` over a 54 `TableProvider` (the plugin's provider as
//! datafusion-ffi 54 imports it). Scans are planned by the 54 provider against the bridge's own 54
//! session; filters cross as protobuf; the 54 plan is wrapped in [`Exec54`], whose streams hand every
//! batch over through the Arrow C data interface without copying it.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, Statistics, internal_err};
use datafusion::datasource::{TableProvider, TableType};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, StatisticsArgs,
};
use datafusion54::catalog::TableProvider as TableProvider54;
use datafusion54::logical_expr::{
    Expr as Expr54, TableProviderFilterPushDown as PushDown54, TableType as TableType54,
};
use datafusion54::physical_plan::execution_plan::{
    Boundedness as Boundedness54, EmissionType as EmissionType54,
};
use datafusion54::physical_plan::{ExecutionPlan as ExecutionPlan54, ExecutionPlanProperties as _};
use fuseplug_capsule::panic::{guard, guard_future, guard_stream};
use futures::StreamExt;

use crate::convert;
use crate::session;

/// A DataFusion 54 table as a DataFusion 55 one.
#[derive(Debug)]
pub struct Table54 {
    inner: Arc<dyn TableProvider54>,
    schema: SchemaRef,
}

impl Table54 {
    pub fn new(inner: Arc<dyn TableProvider54>) -> Result<Self> {
        let schema = convert::schema(&inner.schema())?;
        Ok(Self { inner, schema })
    }

    /// The 54 provider, for handing it back to its own plugin.
    pub fn inner(&self) -> Arc<dyn TableProvider54> {
        Arc::clone(&self.inner)
    }

    /// The filters the 54 side can decode, with their positions among `filters`.
    fn filters_54(filters: &[&Expr]) -> Vec<(usize, Expr54)> {
        let ctx = session::context().task_ctx();
        filters
            .iter()
            .enumerate()
            .filter_map(|(i, f)| convert::expr_to_54(f, &ctx).ok().map(|f| (i, f)))
            .collect()
    }
}

#[async_trait]
impl TableProvider for Table54 {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        match self.inner.table_type() {
            TableType54::Base => TableType::Base,
            TableType54::View => TableType::View,
            TableType54::Temporary => TableType::Temporary,
        }
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        guard("the DataFusion 54 bridge's filter pushdown", || self.pushdown(filters))
    }

    fn statistics(&self) -> Option<Statistics> {
        guard("the DataFusion 54 bridge's statistics", || {
            Ok(self.inner.statistics().and_then(|s| convert::statistics(&s).ok()))
        })
        .ok()
        .flatten()
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let planned = self.plan(state.config_options(), projection, filters, limit);
        guard_future("the DataFusion 54 bridge's scan", planned).await
    }
}

impl Table54 {
    fn pushdown(&self, filters: &[&Expr]) -> Result<Vec<TableProviderFilterPushDown>> {
        let mut out = vec![TableProviderFilterPushDown::Unsupported; filters.len()];
        let decoded = Self::filters_54(filters);
        if decoded.is_empty() {
            return Ok(out);
        }
        let refs: Vec<&Expr54> = decoded.iter().map(|(_, f)| f).collect();
        let answers = self.inner.supports_filters_pushdown(&refs).map_err(convert::error)?;
        for ((i, _), answer) in decoded.iter().zip(answers) {
            out[*i] = match answer {
                PushDown54::Exact => TableProviderFilterPushDown::Exact,
                PushDown54::Inexact => TableProviderFilterPushDown::Inexact,
                PushDown54::Unsupported => TableProviderFilterPushDown::Unsupported,
            };
        }
        Ok(out)
    }

    /// Plans the scan with the 54 provider against the bridge's 54 session, configured as the host's.
    async fn plan(
        &self,
        host: &datafusion::config::ConfigOptions,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // DataFusion only hands a scan the filters `supports_filters_pushdown` accepted, and those
        // were decoded by the 54 side there; one that no longer decodes is an error, not a dropped
        // filter (an Exact filter dropped would return wrong rows).
        let ctx = session::context();
        let task_ctx = ctx.task_ctx();
        let filters = filters
            .iter()
            .map(|f| convert::expr_to_54(f, &task_ctx))
            .collect::<Result<Vec<_>>>()?;
        let state = session::state_for(host);
        let plan =
            self.inner.scan(&state, projection, &filters, limit).await.map_err(convert::error)?;
        Ok(Arc::new(Exec54::new(plan)?))
    }
}

/// A DataFusion 54 execution plan as a DataFusion 55 leaf.
pub struct Exec54 {
    inner: Arc<dyn ExecutionPlan54>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for Exec54 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exec54").field("inner", &self.inner.name()).finish()
    }
}

impl Exec54 {
    pub fn new(inner: Arc<dyn ExecutionPlan54>) -> Result<Self> {
        let schema = convert::schema(&inner.schema())?;
        let emission = match inner.pipeline_behavior() {
            EmissionType54::Incremental => EmissionType::Incremental,
            EmissionType54::Final => EmissionType::Final,
            EmissionType54::Both => EmissionType::Both,
        };
        let boundedness = match inner.boundedness() {
            Boundedness54::Bounded => Boundedness::Bounded,
            Boundedness54::Unbounded { requires_infinite_memory } => {
                Boundedness::Unbounded { requires_infinite_memory }
            }
        };
        let partitions = inner.output_partitioning().partition_count();
        let properties = PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(partitions),
            emission,
            boundedness,
        );
        Ok(Self { inner, properties: Arc::new(properties) })
    }
}

impl DisplayAs for Exec54 {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        let inner = datafusion54::physical_plan::displayable(self.inner.as_ref()).one_line();
        write!(f, "DataFusion54Exec: {}", inner.to_string().trim_end())
    }
}

impl ExecutionPlan for Exec54 {
    fn name(&self) -> &str {
        "DataFusion54Exec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    /// A leaf: the 54 plan below it is opaque to the 55 optimizer.
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
            internal_err!("DataFusion54Exec is a leaf and takes no children")
        }
    }

    fn statistics_from_inputs(
        &self,
        _input_stats: &[Arc<Statistics>],
        args: &StatisticsArgs,
    ) -> Result<Arc<Statistics>> {
        let stats = self.inner.partition_statistics(args.partition()).map_err(convert::error)?;
        Ok(Arc::new(convert::statistics(&stats)?))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        guard("the DataFusion 54 bridge's execute", || self.stream(partition, &context))
    }
}

impl Exec54 {
    fn stream(&self, partition: usize, host: &TaskContext) -> Result<SendableRecordBatchStream> {
        let task_ctx = session::task_ctx_for(host.session_config().options());
        let stream = self.inner.execute(partition, task_ctx).map_err(convert::error)?;
        let schema = Arc::clone(self.properties.eq_properties.schema());
        let converted = {
            let schema = Arc::clone(&schema);
            stream.map(move |batch| match batch {
                Ok(batch) => convert::batch(&batch, &schema),
                Err(e) => Err(convert::error(e)),
            })
        };
        let stream = Box::pin(RecordBatchStreamAdapter::new(schema, converted));
        Ok(guard_stream("a DataFusion 54 stream through the bridge", stream, None))
    }
}
