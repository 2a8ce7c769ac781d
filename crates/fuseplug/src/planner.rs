//! Query planners across wheels: installing a plugin's `FFI_QueryPlanner` as the session's planner,
//! exporting the session's own planner for a plugin planner to delegate to, and keeping the codecs a
//! plugin planner works through the session's own.
//!
//! A foreign planner only ever sees plans as bytes: the host encodes the logical plan with the
//! codecs the planner struct carries, and decodes the physical plan it returns with them. Here those
//! codecs are always the installing context's whole stack (the Python layer, the plugin chain,
//! DataFusion's defaults), so a plan crosses to a planner exactly as `to_bytes` would write it. They
//! are bound when the planner is installed and bound again when a context adds a codec.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Weak};

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::TableReference;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::error::{DataFusionError, Result as DfResult};
use datafusion::execution::TaskContext;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::{
    AggregateUDF, Extension, HigherOrderUDF, LogicalPlan, ScalarUDF, WindowUDF,
};
use datafusion::physical_expr_common::physical_expr::PhysicalExpr;
use datafusion::physical_expr_common::physical_expr::proto_decode::PhysicalExprDecodeCtx;
use datafusion::physical_expr_common::physical_expr::proto_encode::PhysicalExprEncodeCtx;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::SessionContext;
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi::proto::physical_extension_codec::FFI_PhysicalExtensionCodec;
use datafusion_ffi::query_planner::{FFI_QueryPlanner, ForeignQueryPlanner};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use fuseplug_capsule::names::QUERY_PLANNER;
use fuseplug_capsule::panic::{guard, guard_future};
use fuseplug_capsule::runtime::handle;
use fuseplug_engine::state::rebuilt;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::capsule::{SessionTasks, check_version, with_struct};
use crate::codec::{LogicalChain, PhysicalChain};
use crate::errors::Result;
use crate::serialize::{Env, PythonLogicalCodec, PythonPhysicalCodec};

type Planner = Arc<dyn QueryPlanner + Send + Sync>;

/// A context's codec stack as a planner carries it. The session is held weakly: the session's own
/// state holds the planner, and a strong reference back would keep every session that ever had a
/// plugin planner alive for good. Each call gets a fresh [`Env`] on the live session.
struct SessionStack {
    session: Weak<SessionContext>,
    logical: Arc<LogicalChain>,
    physical: Arc<PhysicalChain>,
    inline_python: bool,
}

impl fmt::Debug for SessionStack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionStack")
            .field("logical", &self.logical)
            .field("physical", &self.physical)
            .field("inline_python", &self.inline_python)
            .finish()
    }
}

impl SessionStack {
    fn env(&self) -> DfResult<Arc<Env>> {
        let session = self.session.upgrade().ok_or_else(|| {
            DataFusionError::Execution(
                "the session whose codecs this query planner uses is gone".into(),
            )
        })?;
        Ok(Env::new(self.inline_python, Some(session)))
    }

    fn logical(&self) -> DfResult<PythonLogicalCodec> {
        Ok(PythonLogicalCodec::new(Arc::clone(&self.logical), self.env()?))
    }

    fn physical(&self) -> DfResult<PythonPhysicalCodec> {
        Ok(PythonPhysicalCodec::new(Arc::clone(&self.physical), self.env()?))
    }
}

/// The eight function methods of both codec traits, each forwarded under a panic guard (a plugin
/// calls them through an `extern "C"` function).
macro_rules! forward_functions {
    ($codec:ident, $what:expr) => {
        fn try_decode_udf(&self, name: &str, buf: &[u8]) -> DfResult<Arc<ScalarUDF>> {
            guard($what, || self.$codec()?.try_decode_udf(name, buf))
        }

        fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> DfResult<()> {
            guard($what, || self.$codec()?.try_encode_udf(node, buf))
        }

        fn try_decode_higher_order_function(
            &self,
            name: &str,
            buf: &[u8],
        ) -> DfResult<Arc<HigherOrderUDF>> {
            guard($what, || self.$codec()?.try_decode_higher_order_function(name, buf))
        }

        fn try_encode_higher_order_function(
            &self,
            node: &HigherOrderUDF,
            buf: &mut Vec<u8>,
        ) -> DfResult<()> {
            guard($what, || self.$codec()?.try_encode_higher_order_function(node, buf))
        }

        fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> DfResult<Arc<AggregateUDF>> {
            guard($what, || self.$codec()?.try_decode_udaf(name, buf))
        }

        fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> DfResult<()> {
            guard($what, || self.$codec()?.try_encode_udaf(node, buf))
        }

        fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> DfResult<Arc<WindowUDF>> {
            guard($what, || self.$codec()?.try_decode_udwf(name, buf))
        }

        fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> DfResult<()> {
            guard($what, || self.$codec()?.try_encode_udwf(node, buf))
        }
    };
}

const LOGICAL: &str = "fuseplug's logical codec (query planner)";
const PHYSICAL: &str = "fuseplug's physical codec (query planner)";

impl LogicalExtensionCodec for SessionStack {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> DfResult<Extension> {
        guard(LOGICAL, || self.logical()?.try_decode(buf, inputs, ctx))
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> DfResult<()> {
        guard(LOGICAL, || self.logical()?.try_encode(node, buf))
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> DfResult<Arc<dyn TableProvider>> {
        guard(LOGICAL, || self.logical()?.try_decode_table_provider(buf, table_ref, schema, ctx))
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> DfResult<()> {
        guard(LOGICAL, || self.logical()?.try_encode_table_provider(table_ref, node, buf))
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> DfResult<Arc<dyn FileFormatFactory>> {
        guard(LOGICAL, || self.logical()?.try_decode_file_format(buf, ctx))
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> DfResult<()> {
        guard(LOGICAL, || self.logical()?.try_encode_file_format(buf, node))
    }

    forward_functions!(logical, LOGICAL);
}

impl PhysicalExtensionCodec for SessionStack {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        guard(PHYSICAL, || self.physical()?.try_decode(buf, inputs, ctx, proto_converter))
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> DfResult<()> {
        guard(PHYSICAL, || self.physical()?.try_encode(node, buf, proto_converter))
    }

    fn try_decode_expr(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn PhysicalExpr>],
        ctx: &PhysicalExprDecodeCtx<'_>,
    ) -> DfResult<Arc<dyn PhysicalExpr>> {
        guard(PHYSICAL, || self.physical()?.try_decode_expr(buf, inputs, ctx))
    }

    fn try_encode_expr(
        &self,
        node: &Arc<dyn PhysicalExpr>,
        buf: &mut Vec<u8>,
        ctx: &PhysicalExprEncodeCtx<'_>,
    ) -> DfResult<()> {
        guard(PHYSICAL, || self.physical()?.try_encode_expr(node, buf, ctx))
    }

    forward_functions!(physical, PHYSICAL);
}

/// `tasks`' codec stack as the FFI codecs a planner struct carries, with the host runtime.
fn ffi_codecs(tasks: &SessionTasks) -> (FFI_LogicalExtensionCodec, FFI_PhysicalExtensionCodec) {
    let stack = Arc::new(SessionStack {
        session: Arc::downgrade(&tasks.session()),
        logical: Arc::clone(&tasks.logical),
        physical: Arc::clone(&tasks.physical),
        inline_python: tasks.inline_python,
    });
    let provider = tasks.ffi_task_provider();
    let logical = FFI_LogicalExtensionCodec::new(
        Arc::clone(&stack) as Arc<dyn LogicalExtensionCodec>,
        Some(handle()),
        provider.clone(),
    );
    let physical = FFI_PhysicalExtensionCodec::new(stack, Some(handle()), provider);
    (logical, physical)
}

/// One of our planners as another library calls it: through an `extern "C"` function, so a panic
/// while planning becomes an error.
#[derive(Debug)]
struct Guarded(Planner);

#[async_trait]
impl QueryPlanner for Guarded {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session: &dyn Session,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let planning = self.0.create_physical_plan(logical_plan, session);
        guard_future("fuseplug's query planner", planning).await
    }
}

fn is_foreign(planner: &Planner) -> bool {
    let planner: &dyn Any = planner.as_ref();
    planner.is::<ForeignQueryPlanner>()
}

/// The planner the session holds now.
fn current(ctx: &SessionContext) -> Planner {
    Arc::clone(ctx.state_ref().read().query_planner())
}

/// Makes `planner` the session's planner, for every context on the session.
fn replace(ctx: &SessionContext, planner: Planner) -> Result<()> {
    let state = ctx.state_ref();
    let mut state = state.write();
    *state = rebuilt(&state, |b| b.with_query_planner(planner))?;
    Ok(())
}

/// `planner` working through `tasks`' codecs: a foreign planner gets them in place of the ones it
/// came with; one of ours plans in this library and needs none.
fn bind(planner: Planner, tasks: &SessionTasks) -> Planner {
    if !is_foreign(&planner) {
        return planner;
    }
    let (logical, physical) = ffi_codecs(tasks);
    Arc::new(ForeignQueryPlanner(FFI_QueryPlanner::new_with_ffi_codecs(planner, logical, physical)))
}

/// A plugin's planner: `obj` itself (a `datafusion_query_planner` capsule) or what
/// `obj.__datafusion_query_planner__(session)` returns, checked like every import (name, producer
/// major, the struct's own version). A capsule this library exported comes back as the planner
/// inside it, without an FFI hop.
fn import(obj: &Bound<'_, PyAny>, session: &Bound<'_, PyAny>) -> Result<Planner> {
    let dunder = "__datafusion_query_planner__";
    with_struct(obj, dunder, Some(session), QUERY_PLANNER, |ffi: &FFI_QueryPlanner| {
        check_version(obj.py(), "query planner", ffi.version)?;
        Ok(ffi.into())
    })
}

fn export<'py>(
    py: Python<'py>,
    planner: Planner,
    tasks: &SessionTasks,
) -> Result<Bound<'py, PyCapsule>> {
    let planner = if is_foreign(&planner) { planner } else { Arc::new(Guarded(planner)) };
    let (logical, physical) = ffi_codecs(tasks);
    let ffi = FFI_QueryPlanner::new_with_ffi_codecs(planner, logical, physical);
    Ok(PyCapsule::new_with_value(py, ffi, QUERY_PLANNER)?)
}

/// `SessionContext.set_query_planner`: imports the plugin's planner (its dunder is handed
/// `session`), binds it to `tasks`' codecs and makes it the session's planner. Nothing is written
/// unless the import succeeds.
pub fn install(
    ctx: &SessionContext,
    tasks: &SessionTasks,
    obj: &Bound<'_, PyAny>,
    session: &Bound<'_, PyAny>,
) -> Result<()> {
    let planner = bind(import(obj, session)?, tasks);
    replace(ctx, planner)
}

/// `SessionContext.__datafusion_query_planner__`: the session's planner now, as a capsule carrying
/// `tasks`' codecs, for a plugin planner to delegate to.
pub fn export_current<'py>(
    py: Python<'py>,
    ctx: &SessionContext,
    tasks: &SessionTasks,
) -> Result<Bound<'py, PyCapsule>> {
    export(py, current(ctx), tasks)
}

/// Imports a planner and exports it again bound to `tasks`' codecs; writes nothing. What a planner
/// hook of `with_extensions` returned becomes the next hook's fallback this way, and a malformed
/// planner fails at the hook that produced it.
pub fn reexport<'py>(
    obj: &Bound<'py, PyAny>,
    session: &Bound<'py, PyAny>,
    tasks: &SessionTasks,
) -> Result<Bound<'py, PyCapsule>> {
    export(obj.py(), import(obj, session)?, tasks)
}

/// After a context gains a codec: a plugin planner the session holds is bound to that context's
/// codecs, so plans it receives carry what the new codec encodes. A planner of ours is left alone.
pub fn rebind(ctx: &SessionContext, tasks: &SessionTasks) -> Result<()> {
    let planner = current(ctx);
    if is_foreign(&planner) {
        replace(ctx, bind(planner, tasks))?;
    }
    Ok(())
}
