//! Values that cross from DataFusion 54 (arrow 58) to DataFusion 55 (arrow 59) and back.
//!
//! Schemas and arrays cross through the Arrow C data interface: arrow 58 exports an `FFI_ArrowArray`
//! whose buffers stay owned by its release callback, and arrow 59 imports it without copying a byte.
//! Expressions, scalars and statistics cross as protobuf: datafusion-proto encodes them on one side and
//! decodes them on the other (the wire format is stable between the two majors).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions, StructArray};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow58::array::Array as _;
use datafusion::common::{DataFusionError, Result, ScalarValue, Statistics};
use datafusion::logical_expr::Expr;
use datafusion54::common::{
    DataFusionError as DataFusionError54, ScalarValue as ScalarValue54, Statistics as Statistics54,
};
use datafusion54::execution::TaskContext as TaskContext54;
use datafusion54::logical_expr::Expr as Expr54;
use prost::Message;

/// A DataFusion 54 error as a DataFusion 55 one, keeping the producer's text.
pub fn error(e: DataFusionError54) -> DataFusionError {
    let text = e.strip_backtrace();
    match e {
        DataFusionError54::Plan(_) => {
            DataFusionError::Plan(strip(&text, "Error during planning: "))
        }
        DataFusionError54::NotImplemented(_) => {
            DataFusionError::NotImplemented(strip(&text, "This feature is not implemented: "))
        }
        _ => DataFusionError::Execution(strip(&text, "Execution error: ")),
    }
}

fn strip(text: &str, prefix: &str) -> String {
    text.strip_prefix(prefix).unwrap_or(text).to_string()
}

fn arrow_error(what: &str, e: impl std::fmt::Display) -> DataFusionError {
    DataFusionError::Execution(format!("the DataFusion 54 bridge cannot convert {what}: {e}"))
}

fn schema_to_55(schema: &arrow58::datatypes::Schema) -> Result<Schema> {
    let exported =
        arrow58::ffi::FFI_ArrowSchema::try_from(schema).map_err(|e| arrow_error("a schema", e))?;
    // SAFETY: both are the Arrow C data interface's `ArrowSchema` (`#[repr(C)]`, same fields); the
    // release callback stays arrow 58's and runs when the arrow 59 value drops.
    let imported: FFI_ArrowSchema = unsafe { std::mem::transmute(exported) };
    Schema::try_from(&imported).map_err(|e| arrow_error("a schema", e))
}

/// An arrow 58 schema as arrow 59 (fields, types, metadata).
pub fn schema(schema: &arrow58::datatypes::SchemaRef) -> Result<SchemaRef> {
    Ok(Arc::new(schema_to_55(schema)?))
}

/// An arrow 59 schema as arrow 58.
pub fn schema_to_54(schema: &Schema) -> Result<arrow58::datatypes::SchemaRef> {
    let exported = FFI_ArrowSchema::try_from(schema).map_err(|e| arrow_error("a schema", e))?;
    // SAFETY: as in `schema_to_55`, the other way round.
    let imported: arrow58::ffi::FFI_ArrowSchema = unsafe { std::mem::transmute(exported) };
    let schema =
        arrow58::datatypes::Schema::try_from(&imported).map_err(|e| arrow_error("a schema", e))?;
    Ok(Arc::new(schema))
}

/// An arrow 59 field as arrow 58.
pub fn field_to_54(field: &Field) -> Result<arrow58::datatypes::FieldRef> {
    let exported = FFI_ArrowSchema::try_from(field).map_err(|e| arrow_error("a field", e))?;
    // SAFETY: as in `schema_to_55`.
    let imported: arrow58::ffi::FFI_ArrowSchema = unsafe { std::mem::transmute(exported) };
    let field =
        arrow58::datatypes::Field::try_from(&imported).map_err(|e| arrow_error("a field", e))?;
    Ok(Arc::new(field))
}

/// An arrow 58 field as arrow 59.
pub fn field(field: &arrow58::datatypes::Field) -> Result<FieldRef> {
    let exported =
        arrow58::ffi::FFI_ArrowSchema::try_from(field).map_err(|e| arrow_error("a field", e))?;
    // SAFETY: as in `schema_to_55`.
    let imported: FFI_ArrowSchema = unsafe { std::mem::transmute(exported) };
    Ok(Arc::new(Field::try_from(&imported).map_err(|e| arrow_error("a field", e))?))
}

/// An arrow 58 data type as arrow 59.
pub fn data_type(data_type: &arrow58::datatypes::DataType) -> Result<DataType> {
    Ok(field(&arrow58::datatypes::Field::new("t", data_type.clone(), true))?.data_type().clone())
}

/// An arrow 59 data type as arrow 58.
pub fn data_type_to_54(data_type: &DataType) -> Result<arrow58::datatypes::DataType> {
    Ok(field_to_54(&Field::new("t", data_type.clone(), true))?.data_type().clone())
}

/// An arrow 58 array as arrow 59, sharing its buffers.
pub fn array(array: &arrow58::array::ArrayRef) -> Result<ArrayRef> {
    let (data, schema) =
        arrow58::ffi::to_ffi(&array.to_data()).map_err(|e| arrow_error("an array", e))?;
    // SAFETY: the C data interface's `ArrowArray` and `ArrowSchema` on both sides; arrow 59 takes
    // ownership of `data` (its release callback, arrow 58's, frees the buffers when the last arrow 59
    // reference drops).
    let (data, schema) = unsafe {
        (
            std::mem::transmute::<arrow58::ffi::FFI_ArrowArray, FFI_ArrowArray>(data),
            std::mem::transmute::<arrow58::ffi::FFI_ArrowSchema, FFI_ArrowSchema>(schema),
        )
    };
    // SAFETY: `data` and `schema` describe one valid array, just exported.
    let data =
        unsafe { arrow::ffi::from_ffi(data, &schema) }.map_err(|e| arrow_error("an array", e))?;
    Ok(arrow::array::make_array(data))
}

/// An arrow 59 array as arrow 58, sharing its buffers.
pub fn array_to_54(array: &ArrayRef) -> Result<arrow58::array::ArrayRef> {
    let (data, schema) =
        arrow::ffi::to_ffi(&array.to_data()).map_err(|e| arrow_error("an array", e))?;
    // SAFETY: as in `array`, the other way round.
    let (data, schema) = unsafe {
        (
            std::mem::transmute::<FFI_ArrowArray, arrow58::ffi::FFI_ArrowArray>(data),
            std::mem::transmute::<FFI_ArrowSchema, arrow58::ffi::FFI_ArrowSchema>(schema),
        )
    };
    // SAFETY: as in `array`.
    let data =
        unsafe { arrow58::ffi::from_ffi(data, &schema) }.map_err(|e| arrow_error("an array", e))?;
    Ok(arrow58::array::make_array(data))
}

/// Arrow 59 arrays as arrow 58, sharing their buffers.
pub fn arrays_to_54(arrays: &[ArrayRef]) -> Result<Vec<arrow58::array::ArrayRef>> {
    arrays.iter().map(array_to_54).collect()
}

/// An arrow 58 record batch as arrow 59 with `schema` (the converted schema of its stream), sharing
/// every buffer.
pub fn batch(batch: &arrow58::array::RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let rows = batch.num_rows();
    let columns = if batch.num_columns() == 0 {
        vec![]
    } else {
        let whole: arrow58::array::ArrayRef =
            Arc::new(arrow58::array::StructArray::from(batch.clone()));
        let converted = array(&whole)?;
        let Some(converted) = converted.as_any().downcast_ref::<StructArray>() else {
            return Err(arrow_error("a record batch", "the struct came back as another type"));
        };
        converted.columns().to_vec()
    };
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options)
        .map_err(|e| arrow_error("a record batch", e))
}

/// A scalar from the 54 side, through its protobuf form.
pub fn scalar(value: &ScalarValue54) -> Result<ScalarValue> {
    let proto = datafusion_proto_common54::ScalarValue::try_from(value)
        .map_err(|e| arrow_error("a scalar", e))?;
    let proto = datafusion_proto_common::ScalarValue::decode(proto.encode_to_vec().as_slice())
        .map_err(|e| arrow_error("a scalar", e))?;
    ScalarValue::try_from(&proto).map_err(|e| arrow_error("a scalar", e))
}

/// A scalar for the 54 side, through its protobuf form.
pub fn scalar_to_54(value: &ScalarValue) -> Result<ScalarValue54> {
    let proto = datafusion_proto_common::ScalarValue::try_from(value)
        .map_err(|e| arrow_error("a scalar", e))?;
    let proto = datafusion_proto_common54::ScalarValue::decode(proto.encode_to_vec().as_slice())
        .map_err(|e| arrow_error("a scalar", e))?;
    ScalarValue54::try_from(&proto).map_err(|e| arrow_error("a scalar", e))
}

/// Statistics from the 54 side (row counts, sizes and per-column null counts, min and max).
pub fn statistics(stats: &Statistics54) -> Result<Statistics> {
    let proto = datafusion_proto_common54::Statistics::from(stats);
    let proto = datafusion_proto_common::Statistics::decode(proto.encode_to_vec().as_slice())
        .map_err(|e| arrow_error("statistics", e))?;
    Statistics::try_from(&proto).map_err(|e| arrow_error("statistics", e))
}

/// A filter expression for the 54 side: encoded by datafusion-proto 55, decoded by datafusion-proto
/// 54 against `ctx`'s functions. An expression the 54 side cannot decode (a function it does not
/// know, a newer node) is an error; callers treat such filters as not pushed down.
pub fn expr_to_54(expr: &Expr, ctx: &TaskContext54) -> Result<Expr54> {
    let codec = datafusion_proto::logical_plan::DefaultLogicalExtensionCodec {};
    let node = datafusion_proto::logical_plan::to_proto::serialize_expr(expr, &codec)
        .map_err(|e| arrow_error("an expression", e))?;
    let node =
        datafusion_proto54::protobuf::LogicalExprNode::decode(node.encode_to_vec().as_slice())
            .map_err(|e| arrow_error("an expression", e))?;
    let codec = datafusion_proto54::logical_plan::DefaultLogicalExtensionCodec {};
    datafusion_proto54::logical_plan::from_proto::parse_expr(&node, ctx, &codec)
        .map_err(|e| arrow_error("an expression", e))
}
