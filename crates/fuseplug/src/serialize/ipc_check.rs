//! A check of Arrow IPC stream framing before arrow-ipc reads it.
//!
//! arrow-ipc allocates a message body of the length the message declares before it reads the body,
//! so a corrupt or hostile length (up to 2^63) aborts the process on a failed allocation, which no
//! `catch_unwind` can stop. This walk reads only the framing and the flatbuffer headers (verified
//! by `root_as_message`) and refuses any message whose declared sizes run past the bytes actually
//! there, and any compressed message (whose declared decompressed sizes would be the same trap;
//! nothing fuseplug or DataFusion writes into a plan is compressed).

use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::ipc::root_as_message;
use datafusion::error::{DataFusionError, Result};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::physical_plan::from_proto::parse_physical_expr_with_converter;
use datafusion_proto::physical_plan::to_proto::serialize_physical_expr_with_converter;
use datafusion_proto::physical_plan::{
    PhysicalExtensionCodec, PhysicalPlanDecodeContext, PhysicalPlanNodeExt,
    PhysicalProtoConverterExtension,
};
use datafusion_proto::protobuf::physical_plan_node::PhysicalPlanType;
use datafusion_proto::protobuf::{PhysicalExprNode, PhysicalPlanNode};

/// The continuation marker that starts each message of the current IPC format.
const CONTINUATION: i32 = -1;

/// Checks that every message of the IPC stream `bytes` fits in `bytes`.
pub fn check_stream(bytes: &[u8]) -> Result<(), String> {
    let mut rest = bytes;
    loop {
        let Some((word, tail)) = rest.split_first_chunk::<4>() else {
            return if rest.is_empty() {
                Ok(())
            } else {
                Err("a message length is truncated".into())
            };
        };
        rest = tail;
        let mut length = i32::from_le_bytes(*word);
        if length == CONTINUATION {
            let (word, tail) =
                rest.split_first_chunk::<4>().ok_or("a message length is truncated")?;
            rest = tail;
            length = i32::from_le_bytes(*word);
        }
        if length == 0 {
            return Ok(()); // end of stream
        }
        let length = usize::try_from(length).map_err(|_| "a message length is negative")?;
        if length > rest.len() {
            return Err(format!("a message header of {length} bytes runs past the end"));
        }
        let (header, tail) = rest.split_at(length);
        let message =
            root_as_message(header).map_err(|e| format!("a message header is invalid: {e}"))?;
        let body = usize::try_from(message.bodyLength())
            .map_err(|_| "a message body length is negative".to_string())?;
        if body > tail.len() {
            return Err(format!(
                "a message declares {body} body bytes but only {} remain",
                tail.len()
            ));
        }
        let compressed = message.header_as_record_batch().and_then(|b| b.compression()).is_some()
            || message
                .header_as_dictionary_batch()
                .and_then(|d| d.data())
                .and_then(|b| b.compression())
                .is_some();
        if compressed {
            return Err("compressed IPC messages are not accepted inside a plan".into());
        }
        rest = &tail[body..];
    }
}

/// DataFusion's own conversion of physical plan nodes, with every memory scan's IPC checked before
/// DataFusion reads it.
pub struct CheckedConverter;

impl PhysicalProtoConverterExtension for CheckedConverter {
    fn proto_to_execution_plan(
        &self,
        proto: &PhysicalPlanNode,
        ctx: &PhysicalPlanDecodeContext<'_>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if let Some(PhysicalPlanType::MemoryScan(scan)) = &proto.physical_plan_type {
            for partition in &scan.partitions {
                check_stream(partition).map_err(|why| {
                    DataFusionError::Plan(format!("a memory scan holds invalid Arrow IPC: {why}"))
                })?;
            }
        }
        proto.try_into_physical_plan_with_context(ctx, self)
    }

    fn execution_plan_to_proto(
        &self,
        plan: &Arc<dyn ExecutionPlan>,
        codec: &dyn PhysicalExtensionCodec,
    ) -> Result<PhysicalPlanNode> {
        PhysicalPlanNode::try_from_physical_plan_with_converter(Arc::clone(plan), codec, self)
    }

    fn proto_to_physical_expr(
        &self,
        proto: &PhysicalExprNode,
        input_schema: &Schema,
        ctx: &PhysicalPlanDecodeContext<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        parse_physical_expr_with_converter(proto, input_schema, ctx, self)
    }

    fn physical_expr_to_proto(
        &self,
        expr: &Arc<dyn PhysicalExpr>,
        codec: &dyn PhysicalExtensionCodec,
    ) -> Result<PhysicalExprNode> {
        serialize_physical_expr_with_converter(expr, codec, self)
    }
}
