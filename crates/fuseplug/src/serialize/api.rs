//! `to_bytes` / `from_bytes` of logical plans, physical plans and expressions through a session's
//! whole codec stack (or, without a session, the Python layers over DataFusion's defaults).

use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::bytes::{
    logical_plan_from_bytes_with_extension_codec, logical_plan_to_bytes_with_extension_codec,
    physical_plan_from_bytes_with_extension_codec, physical_plan_to_bytes_with_extension_codec,
};
use datafusion_proto::logical_plan::from_proto::parse_expr;
use datafusion_proto::logical_plan::to_proto::serialize_expr;
use datafusion_proto::protobuf::LogicalExprNode;
use prost::Message;
use pyo3::prelude::*;

use super::precheck::{self, Root};
use super::{Env, PythonLogicalCodec, PythonPhysicalCodec, table};
use crate::capsule::SessionTasks;
use crate::errors::Result;

/// The environment and codec stacks of `tasks`, or of no session (inline Python on, no plugins).
fn stacks(tasks: Option<&SessionTasks>) -> (Arc<Env>, PythonLogicalCodec, PythonPhysicalCodec) {
    match tasks {
        Some(tasks) => {
            let env = tasks.env();
            (Arc::clone(&env), tasks.logical_codec(&env), tasks.physical_codec(&env))
        }
        None => {
            let env = Env::new(true, None);
            let logical = PythonLogicalCodec::new(Arc::default(), Arc::clone(&env));
            let physical = PythonPhysicalCodec::new(Arc::default(), Arc::clone(&env));
            (env, logical, physical)
        }
    }
}

fn empty(what: &str) -> DataFusionError {
    DataFusionError::Plan(format!("empty bytes are not a serialized {what}"))
}

/// Refuses `data` before DataFusion decodes it if it breaks one of `precheck`'s limits.
fn precheck(env: &Env, root: Root, data: &[u8]) -> datafusion::error::Result<()> {
    precheck::check(root, data).map_err(|why| env.fail(why, None))
}

pub fn logical_to_bytes(
    py: Python<'_>,
    plan: &LogicalPlan,
    tasks: Option<&SessionTasks>,
) -> Result<Vec<u8>> {
    let (env, codec, _) = stacks(tasks);
    env.run("serializing a logical plan", || {
        py.detach(|| Ok(logical_plan_to_bytes_with_extension_codec(plan, &codec)?.to_vec()))
    })
}

pub fn logical_from_bytes(
    py: Python<'_>,
    tasks: &SessionTasks,
    data: &[u8],
) -> Result<LogicalPlan> {
    let (env, codec, _) = stacks(Some(tasks));
    let task_ctx = tasks.task_ctx();
    env.run("decoding a logical plan", || {
        if data.is_empty() {
            return Err(empty("logical plan"));
        }
        py.detach(|| {
            precheck(&env, Root::LogicalPlan, data)?;
            logical_plan_from_bytes_with_extension_codec(data, &task_ctx, &codec)
        })
    })
}

pub fn physical_to_bytes(
    py: Python<'_>,
    plan: &Arc<dyn ExecutionPlan>,
    tasks: Option<&SessionTasks>,
) -> Result<Vec<u8>> {
    let (env, _, codec) = stacks(tasks);
    env.run("serializing an execution plan", || {
        table::check_inline_tables(&env, plan)?;
        let plan = Arc::clone(plan);
        py.detach(|| Ok(physical_plan_to_bytes_with_extension_codec(plan, &codec)?.to_vec()))
    })
}

pub fn physical_from_bytes(
    py: Python<'_>,
    tasks: &SessionTasks,
    data: &[u8],
) -> Result<Arc<dyn ExecutionPlan>> {
    let (env, _, codec) = stacks(Some(tasks));
    let task_ctx = tasks.task_ctx();
    env.run("decoding an execution plan", || {
        if data.is_empty() {
            return Err(empty("execution plan"));
        }
        py.detach(|| {
            precheck(&env, Root::PhysicalPlan, data)?;
            physical_plan_from_bytes_with_extension_codec(data, &task_ctx, &codec)
        })
    })
}

pub fn expr_to_bytes(py: Python<'_>, expr: &Expr, tasks: Option<&SessionTasks>) -> Result<Vec<u8>> {
    let (env, codec, _) = stacks(tasks);
    env.run("serializing an expression", || {
        py.detach(|| Ok(serialize_expr(expr, &codec)?.encode_to_vec()))
    })
}

pub fn expr_from_bytes(py: Python<'_>, tasks: &SessionTasks, data: &[u8]) -> Result<Expr> {
    let (env, codec, _) = stacks(Some(tasks));
    let task_ctx = tasks.task_ctx();
    env.run("decoding an expression", || {
        if data.is_empty() {
            return Err(empty("expression"));
        }
        py.detach(|| {
            precheck(&env, Root::LogicalExpr, data)?;
            let node = LogicalExprNode::decode(data)
                .map_err(|e| DataFusionError::Plan(format!("not a serialized expression: {e}")))?;
            Ok(parse_expr(&node, &task_ctx, &codec)?)
        })
    })
}
