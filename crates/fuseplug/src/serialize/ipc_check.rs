//! A check of Arrow IPC before arrow-ipc reads it: in-memory tables and memory scans (IPC streams)
//! and nested literals (one record batch message, its body and dictionary messages).
//!
//! arrow-ipc allocates what a message declares before it looks at the bytes behind it: a message
//! body of the declared length, a decompressed buffer of the declared size. A corrupt or hostile
//! length (up to 2^63) aborts the process on a failed allocation, which no `catch_unwind` can
//! stop. This walk reads only the framing and the flatbuffer headers (verified by `root_as_message`)
//! and follows the field nodes and buffers in the order arrow-ipc consumes them, refusing:
//!
//! - a message whose declared sizes run past the bytes actually there, and any compressed message
//!   (nothing fuseplug or DataFusion writes into a plan is compressed);
//! - an array whose length does not fit its parent (a struct's children, a fixed-size list's child
//!   of `length * size` values, a sparse union's children), whose null count exceeds its length,
//!   or whose buffers are shorter than its length and type need;
//! - arrays longer than the [`Budget`] allows: no array of a stream longer than `i32::MAX`, and no
//!   more than [`MAX_LITERAL_VALUES`](super::precheck::MAX_LITERAL_VALUES) values in one literal,
//!   so arrays with no buffers behind them (the `Null` type, fixed-size lists of those) cannot
//!   declare lengths that later code materializes.

use std::collections::VecDeque;

use arrow::datatypes::{DataType, Schema, UnionMode};
use arrow::ipc::convert::fb_to_schema;
use arrow::ipc::writer::{DictionaryTracker, IpcDataGenerator, IpcWriteOptions};
use arrow::ipc::{Endianness, FieldNode, Message, MessageHeader, MetadataVersion, root_as_message};

/// The continuation marker that starts each message of the current IPC format.
const CONTINUATION: i32 = -1;

/// How long the arrays of one IPC payload may be.
struct Budget {
    /// The longest array.
    longest: u64,
    /// The values all arrays may still hold together (the sum of their lengths), if limited.
    left: Option<u64>,
}

impl Budget {
    /// A stream of an in-memory table: any array up to `i32::MAX` values.
    fn stream() -> Self {
        Self { longest: i32::MAX as u64, left: None }
    }

    /// One nested literal: `values` values in all its arrays together.
    fn literal(values: u64) -> Self {
        Self { longest: values, left: Some(values) }
    }

    fn take(&mut self, length: u64) -> Result<(), String> {
        let Some(left) = &mut self.left else {
            if length > self.longest {
                return Err(format!("an array declares {length} values, over {}", self.longest));
            }
            return Ok(());
        };
        *left = left.checked_sub(length).ok_or_else(|| {
            format!(
                "its arrays declare more than the literal size limit of {} values",
                self.longest
            )
        })?;
        Ok(())
    }
}

/// Checks every message of the IPC stream `bytes` (an in-memory table's partition).
pub fn check_stream(bytes: &[u8]) -> Result<(), String> {
    let mut budget = Budget::stream();
    let mut schema: Option<Schema> = None;
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
        let (body, tail) = tail.split_at(body);
        rest = tail;
        match message.header_type() {
            MessageHeader::Schema if schema.is_none() => schema = Some(read_schema(&message)?),
            MessageHeader::RecordBatch | MessageHeader::DictionaryBatch => {
                let schema = schema.as_ref().ok_or("a batch comes before the stream's schema")?;
                check_message(&message, body, schema, &mut budget, None)?;
            }
            _ => {}
        }
    }
}

/// Checks a nested literal's IPC as DataFusion reads it: the record batch message
/// `ipc_message` with body `arrow_data`, after the `dictionaries` (message, body), all against
/// `schema` (the literal's schema as DataFusion rebuilds it, with dictionary ids).
pub fn check_literal(
    ipc_message: &[u8],
    arrow_data: &[u8],
    dictionaries: &[(&[u8], &[u8])],
    schema: &Schema,
    max_values: u64,
) -> Result<(), String> {
    let mut budget = Budget::literal(max_values);
    for (message, body) in dictionaries {
        let message = root_as_message(message)
            .map_err(|e| format!("a dictionary message is invalid: {e}"))?;
        if message.header_type() != MessageHeader::DictionaryBatch {
            return Err("a dictionary message is not a dictionary batch".into());
        }
        check_message(&message, body, schema, &mut budget, None)?;
    }
    let message =
        root_as_message(ipc_message).map_err(|e| format!("the message is invalid: {e}"))?;
    if message.header_type() != MessageHeader::RecordBatch {
        return Err("the message is not a record batch".into());
    }
    // a literal is one value: DataFusion writes a one-row batch
    check_message(&message, arrow_data, schema, &mut budget, Some(1))
}

/// The schema of a literal as DataFusion decodes it: its fields are given dictionary ids by a
/// round trip through IPC, as in `datafusion-proto-common`'s `TryFrom<&ScalarValue>`.
pub fn with_dictionary_ids(schema: &Schema) -> Result<Schema, String> {
    let encoded = IpcDataGenerator {}.schema_to_bytes_with_dictionary_tracker(
        schema,
        &mut DictionaryTracker::new(false),
        &IpcWriteOptions::default(),
    );
    let message = root_as_message(&encoded.ipc_message).map_err(|e| e.to_string())?;
    read_schema(&message)
}

/// The schema of a schema message, refusing what would make arrow-ipc panic.
fn read_schema(message: &Message<'_>) -> Result<Schema, String> {
    let schema = message.header_as_schema().ok_or("a schema message has no schema")?;
    if schema.fields().is_none() {
        return Err("a schema message has no fields".into());
    }
    if schema.endianness() == Endianness::Big {
        return Err("big-endian IPC is not accepted inside a plan".into());
    }
    Ok(fb_to_schema(schema))
}

/// Checks one record batch or dictionary batch message against `schema`; `rows`, if given, is the
/// row count a record batch must declare.
fn check_message(
    message: &Message<'_>,
    body: &[u8],
    schema: &Schema,
    budget: &mut Budget,
    rows: Option<i64>,
) -> Result<(), String> {
    let (batch, types) = if let Some(batch) = message.header_as_record_batch() {
        if let Some(rows) = rows.filter(|rows| *rows != batch.length()) {
            return Err(format!("a literal declares {} rows, not {rows}", batch.length()));
        }
        (batch, schema.fields().iter().map(|f| f.data_type().clone()).collect::<Vec<_>>())
    } else if let Some(dictionary) = message.header_as_dictionary_batch() {
        let id = dictionary.id();
        #[allow(deprecated)] // arrow-ipc itself finds a dictionary's type by its id
        let value_type =
            schema.fields_with_dict_id(id).first().and_then(|field| match field.data_type() {
                DataType::Dictionary(_, value) => Some(value.as_ref().clone()),
                _ => None,
            });
        let value_type =
            value_type.ok_or_else(|| format!("dictionary {id} is not in the schema"))?;
        let batch = dictionary.data().ok_or("a dictionary batch has no data")?;
        (batch, vec![value_type])
    } else {
        return Ok(());
    };
    if batch.compression().is_some() {
        return Err("compressed IPC messages are not accepted inside a plan".into());
    }
    let rows = u64::try_from(batch.length()).map_err(|_| "a batch length is negative")?;
    let mut arrays = Arrays {
        nodes: batch.nodes().map(|nodes| nodes.iter().collect()).unwrap_or_default(),
        buffers: batch.buffers().map(|b| b.iter().map(|b| (b.offset(), b.length())).collect()),
        variadic: batch.variadicBufferCounts().into_iter().flatten().collect(),
        body,
        union_validity: message.version() < MetadataVersion::V5,
        budget,
    };
    for data_type in &types {
        arrays.array(data_type, Some(rows))?;
    }
    if !arrays.variadic.is_empty() {
        return Err("a batch declares more variadic buffer counts than its views use".into());
    }
    Ok(())
}

/// The field nodes and buffers of one batch, consumed in arrow-ipc's order.
struct Arrays<'a, 'b> {
    nodes: VecDeque<&'a FieldNode>,
    buffers: Option<VecDeque<(i64, i64)>>,
    variadic: VecDeque<i64>,
    body: &'a [u8],
    /// Unions carry a validity buffer before IPC version 5.
    union_validity: bool,
    budget: &'b mut Budget,
}

impl Arrays<'_, '_> {
    /// Checks one array of type `data_type` and its children; `length`, if given, is the length
    /// its parent requires.
    fn array(&mut self, data_type: &DataType, length: Option<u64>) -> Result<(), String> {
        use DataType::*;
        let node = self.nodes.pop_front().ok_or("a batch has fewer field nodes than its schema")?;
        let (len, nulls) = (node.length(), node.null_count());
        let len = u64::try_from(len).map_err(|_| format!("an array length of {len}"))?;
        let nulls = u64::try_from(nulls).map_err(|_| format!("a null count of {nulls}"))?;
        if nulls > len {
            return Err(format!("an array of {len} values declares {nulls} nulls"));
        }
        if let Some(expected) = length.filter(|expected| *expected != len) {
            return Err(format!("a {data_type} array has {len} values where {expected} belong"));
        }
        self.budget.take(len)?;
        match data_type {
            Null => {
                if nulls != len {
                    return Err(format!("a null array of {len} values declares {nulls} nulls"));
                }
            }
            Boolean => {
                self.validity(len, nulls)?;
                self.buffer(len.div_ceil(8), "boolean values")?;
            }
            Utf8 | Binary => self.variable(len, nulls, 4)?,
            LargeUtf8 | LargeBinary => self.variable(len, nulls, 8)?,
            Utf8View | BinaryView => {
                let count = self.variadic.pop_front().ok_or("a view array has no buffer count")?;
                let count = usize::try_from(count)
                    .ok()
                    .filter(|count| *count <= self.buffers.as_ref().map_or(0, VecDeque::len))
                    .ok_or_else(|| format!("a view array declares {count} data buffers"))?;
                self.validity(len, nulls)?;
                self.buffer(times(len, 16)?, "views")?;
                for _ in 0..count {
                    self.buffer(0, "view data")?;
                }
            }
            FixedSizeBinary(width) => {
                let width = u64::try_from(*width).map_err(|_| format!("a width of {width}"))?;
                self.validity(len, nulls)?;
                self.buffer(times(len, width)?, "fixed-size binary values")?;
            }
            List(child) | Map(child, _) => {
                self.variable_offsets(len, nulls, 4)?;
                self.array(child.data_type(), None)?;
            }
            LargeList(child) => {
                self.variable_offsets(len, nulls, 8)?;
                self.array(child.data_type(), None)?;
            }
            ListView(child) | LargeListView(child) => {
                let width = if matches!(data_type, ListView(_)) { 4 } else { 8 };
                self.validity(len, nulls)?;
                self.buffer(times(len, width)?, "list view offsets")?;
                self.buffer(times(len, width)?, "list view sizes")?;
                self.array(child.data_type(), None)?;
            }
            FixedSizeList(child, size) => {
                let size = u64::try_from(*size).map_err(|_| format!("a list size of {size}"))?;
                self.validity(len, nulls)?;
                self.array(child.data_type(), Some(times(len, size)?))?;
            }
            Struct(fields) => {
                self.validity(len, nulls)?;
                for field in fields {
                    self.array(field.data_type(), Some(len))?;
                }
            }
            RunEndEncoded(run_ends, values) => {
                self.array(run_ends.data_type(), None)?;
                self.array(values.data_type(), None)?;
            }
            Dictionary(key, _) => {
                self.validity(len, nulls)?;
                let width = key.primitive_width().ok_or("a dictionary key is not an integer")?;
                self.buffer(times(len, width as u64)?, "dictionary keys")?;
            }
            Union(fields, mode) => {
                if self.union_validity {
                    self.buffer(0, "union validity")?;
                }
                self.buffer(len, "union type ids")?;
                if *mode == UnionMode::Dense {
                    self.buffer(times(len, 4)?, "union offsets")?;
                }
                let children = (*mode == UnionMode::Sparse).then_some(len);
                for (_, field) in fields.iter() {
                    self.array(field.data_type(), children)?;
                }
            }
            other => {
                let width = other
                    .primitive_width()
                    .ok_or_else(|| format!("arrays of type {other} are not accepted"))?;
                self.validity(len, nulls)?;
                self.buffer(times(len, width as u64)?, "values")?;
            }
        }
        Ok(())
    }

    /// Validity, offsets of `width` bytes and data, of a string or binary array.
    fn variable(&mut self, len: u64, nulls: u64, width: u64) -> Result<(), String> {
        self.variable_offsets(len, nulls, width)?;
        self.buffer(0, "data")
    }

    /// Validity and offsets of `width` bytes (an empty offsets buffer is allowed for no values).
    fn variable_offsets(&mut self, len: u64, nulls: u64, width: u64) -> Result<(), String> {
        self.validity(len, nulls)?;
        let offsets = if len == 0 { 0 } else { times(len + 1, width)? };
        self.buffer(offsets, "offsets")
    }

    /// The validity buffer, which must cover `len` bits when there are nulls.
    fn validity(&mut self, len: u64, nulls: u64) -> Result<(), String> {
        self.buffer(if nulls > 0 { len.div_ceil(8) } else { 0 }, "validity")
    }

    /// Takes the next buffer, which must lie in the body and hold at least `least` bytes.
    fn buffer(&mut self, least: u64, what: &str) -> Result<(), String> {
        let (offset, length) = self
            .buffers
            .as_mut()
            .and_then(VecDeque::pop_front)
            .ok_or("a batch has fewer buffers than its schema")?;
        let end = u64::try_from(offset)
            .ok()
            .zip(u64::try_from(length).ok())
            .and_then(|(offset, length)| offset.checked_add(length))
            .filter(|end| *end <= self.body.len() as u64)
            .ok_or_else(|| {
                format!(
                    "a buffer at {offset} of {length} bytes runs past the body of {} bytes",
                    self.body.len()
                )
            })?;
        let length = end - offset as u64;
        if length < least {
            return Err(format!("a buffer of {what} has {length} bytes where {least} are needed"));
        }
        Ok(())
    }
}

fn times(count: u64, width: u64) -> Result<u64, String> {
    count.checked_mul(width).ok_or_else(|| format!("{count} values of {width} bytes overflow"))
}
