//! The walk itself: a protobuf wire-format reader over [`Schema`], with the limits of
//! [`super`] and the checks of the few messages whose contents DataFusion trusts.

use std::sync::OnceLock;

use arrow::array::timezone::Tz;
use arrow::datatypes::Schema as ArrowSchema;
use datafusion_proto::protobuf;
use prost::Message as _;

use super::schema::{MessageId, Schema};
use super::{MAX_ALIAS_DEPTH, MAX_LITERAL_VALUES, MAX_NESTING, MAX_TREE_DEPTH, Root};
use crate::serialize::ipc_check;

/// The schema, with the messages the walk treats specially.
struct Known {
    schema: Schema,
    roots: [MessageId; 3],
    /// `BinaryExprNode.operands` (field 1): DataFusion chains them left-deep.
    binary_expr: MessageId,
    /// `UnionNode.inputs` (field 1): DataFusion unions them pairwise, left-deep.
    union_node: MessageId,
    /// Aliases are counted within the expressions of one plan node.
    alias: MessageId,
    logical_plan: MessageId,
    arrow_type: MessageId,
    nested_value: MessageId,
    fixed_size_binary: MessageId,
    memory_scan: MessageId,
    /// The decimal literals and types.
    decimals: Vec<(MessageId, Decimal)>,
    /// The timestamp type and literal, with the number of their `string timezone` field.
    timestamps: [(MessageId, u32); 2],
}

/// A decimal message: a literal (`Decimal128 { bytes value; int64 p; int64 s; }`) or a type
/// (`Decimal128Type { uint32 precision = 3; int32 scale = 4; }`), of `bytes` bytes.
#[derive(Clone, Copy)]
struct Decimal {
    literal: bool,
    bytes: usize,
    max_precision: i64,
}

impl Known {
    fn new() -> Result<Self, String> {
        let schema = Schema::datafusion()?;
        let id = |name: &str| schema.id(name);
        let mut decimals = Vec::new();
        for (bytes, max_precision) in [(4, 9), (8, 18), (16, 38), (32, 76)] {
            let bits = bytes * 8;
            for (suffix, literal) in [("", true), ("Type", false)] {
                let decimal = Decimal { literal, bytes, max_precision };
                decimals.push((id(&format!("datafusion_common.Decimal{bits}{suffix}"))?, decimal));
            }
        }
        Ok(Self {
            roots: [
                id("datafusion.LogicalPlanNode")?,
                id("datafusion.PhysicalPlanNode")?,
                id("datafusion.LogicalExprNode")?,
            ],
            binary_expr: id("datafusion.BinaryExprNode")?,
            union_node: id("datafusion.UnionNode")?,
            alias: id("datafusion.AliasNode")?,
            logical_plan: id("datafusion.LogicalPlanNode")?,
            arrow_type: id("datafusion_common.ArrowType")?,
            nested_value: id("datafusion_common.ScalarNestedValue")?,
            fixed_size_binary: id("datafusion_common.ScalarFixedSizeBinary")?,
            memory_scan: id("datafusion.MemoryScanExecNode")?,
            decimals,
            timestamps: [
                (id("datafusion_common.Timestamp")?, 2),
                (id("datafusion_common.ScalarTimestampValue")?, 5),
            ],
            schema,
        })
    }

    fn get() -> Result<&'static Self, String> {
        static KNOWN: OnceLock<Result<Known, String>> = OnceLock::new();
        KNOWN
            .get_or_init(Self::new)
            .as_ref()
            .map_err(|e| format!("fuseplug's protobuf schema: {e}"))
    }
}

pub fn check(root: Root, bytes: &[u8]) -> Result<(), String> {
    let known = Known::get()?;
    let root = known.roots[root as usize];
    let at = At { nesting: 0, tree: 0, aliases: 0, in_type: false };
    Walk { known }.message(root, bytes, at)
}

/// Where a message sits.
#[derive(Clone, Copy)]
struct At {
    /// Messages above it.
    nesting: u32,
    /// Levels of the tree DataFusion builds above it.
    tree: u64,
    /// Aliases above it, since the last logical plan node.
    aliases: u32,
    /// Inside an `ArrowType` (whose outermost one was checked whole).
    in_type: bool,
}

struct Walk<'k> {
    known: &'k Known,
}

impl Walk<'_> {
    fn message(&self, id: MessageId, bytes: &[u8], at: At) -> Result<(), String> {
        let known = self.known;
        let message = &known.schema.messages[id];
        let outermost_type = id == known.arrow_type && !at.in_type;
        let in_type = at.in_type || outermost_type;

        // the repeated field DataFusion chains into a left-deep tree, and the levels it adds
        let chained = (id == known.binary_expr || id == known.union_node).then_some(1);
        let extra = match chained {
            Some(chained) => {
                let mut count = 0u64;
                for field in Fields(bytes) {
                    count += u64::from(matches!(field?, (n, Value::Bytes(_)) if n == chained));
                }
                let extra = count.saturating_sub(1);
                if at.tree + 1 + extra > MAX_TREE_DEPTH {
                    let (what, items) = if id == known.binary_expr {
                        ("a binary expression", "operands")
                    } else {
                        ("a union", "inputs")
                    };
                    return Err(format!(
                        "{what} has {count} {items}, which DataFusion chains {extra} levels deep: \
                         over the tree depth limit of {MAX_TREE_DEPTH} levels"
                    ));
                }
                extra
            }
            None => 0,
        };

        // the singular message fields seen: a bit each for the usual small numbers
        let (mut singular_bits, mut singular) = (0u128, Vec::new());
        for field in Fields(bytes) {
            let (number, value) = field?;
            let Some(field) = message.fields.get(number) else {
                continue; // unknown: prost skips it
            };
            let (Some(child), Value::Bytes(payload)) = (field.message, value) else {
                continue; // not a message (or of the wrong wire type, which prost refuses)
            };
            if !field.repeated {
                let seen = if number < 128 {
                    let bit = 1u128 << number;
                    let seen = singular_bits & bit != 0;
                    singular_bits |= bit;
                    seen
                } else if singular.contains(&number) {
                    true
                } else {
                    singular.push(number);
                    false
                };
                if seen {
                    return Err(format!(
                        "field {number} of {} occurs twice (protobuf would merge the two)",
                        message.name
                    ));
                }
            }
            let next = At {
                nesting: at.nesting + 1,
                tree: at.tree + 1 + if Some(number) == chained { extra } else { 0 },
                aliases: match child {
                    alias if alias == known.alias => at.aliases + 1,
                    plan if plan == known.logical_plan => 0,
                    _ => at.aliases,
                },
                in_type,
            };
            if next.nesting > MAX_NESTING {
                return Err(format!(
                    "messages nest deeper than the nesting limit of {MAX_NESTING} levels"
                ));
            }
            if next.tree > MAX_TREE_DEPTH {
                return Err(format!(
                    "the tree DataFusion would build is deeper than the tree depth limit of \
                     {MAX_TREE_DEPTH} levels (binary operands and union inputs chained)"
                ));
            }
            if next.aliases > MAX_ALIAS_DEPTH {
                return Err(format!(
                    "aliases nest deeper than the alias limit of {MAX_ALIAS_DEPTH} (DataFusion \
                     takes time exponential in their number to type them)"
                ));
            }
            self.message(child, payload, next)?;
        }

        if outermost_type {
            let values = self.type_values(bytes)?;
            if values > MAX_LITERAL_VALUES {
                return Err(format!(
                    "an Arrow type holds {values} values per row (fixed-size list sizes and \
                     binary widths multiplied out): over the literal size limit of \
                     {MAX_LITERAL_VALUES} values"
                ));
            }
        } else if id == known.nested_value {
            check_nested_value(bytes).map_err(|why| format!("a nested literal: {why}"))?;
        } else if id == known.fixed_size_binary {
            check_fixed_size_binary(bytes)?;
        } else if let Some((_, decimal)) = known.decimals.iter().find(|(d, _)| *d == id) {
            check_decimal(bytes, *decimal)?;
        } else if let Some((_, field)) = known.timestamps.iter().find(|(t, _)| *t == id) {
            check_timezone(bytes, *field)?;
        } else if id == known.memory_scan {
            for field in Fields(bytes) {
                if let (1, Value::Bytes(partition)) = field? {
                    ipc_check::check_stream(partition)
                        .map_err(|why| format!("a memory scan holds invalid Arrow IPC: {why}"))?;
                }
            }
        }
        Ok(())
    }

    /// The values one row of the `ArrowType` `bytes` holds, as a null of it is allocated
    /// (saturating). The walk below it has run: its fields are well formed and its singular
    /// message fields occur once.
    fn type_values(&self, bytes: &[u8]) -> Result<u64, String> {
        use arrow_type::*;
        let known = &self.known.schema.messages[self.known.arrow_type].fields;
        // the type is a oneof: prost keeps the last of its fields
        let mut last = None;
        for field in Fields(bytes) {
            let field = field?;
            if known.get(field.0).is_some() {
                last = Some(field);
            }
        }
        let values = match last {
            Some((FIXED_SIZE_BINARY, Value::Varint(width))) => {
                let width = int32(width);
                u64::try_from(width).map_err(|_| format!("a fixed-size binary width of {width}"))?
            }
            Some((FIXED_SIZE_LIST, Value::Bytes(list))) => {
                let (mut size, mut child) = (0, 1);
                for field in Fields(list) {
                    match field? {
                        (FIELD_1, Value::Bytes(field)) => child = self.field_values(field)?,
                        (LIST_SIZE, Value::Varint(value)) => size = int32(value),
                        _ => {}
                    }
                }
                let size =
                    u64::try_from(size).map_err(|_| format!("a fixed-size list size of {size}"))?;
                size.saturating_mul(child)
            }
            Some((DICTIONARY, Value::Bytes(dictionary))) => {
                // a null dictionary literal is a null of its value type
                let mut values = 1;
                for field in Fields(dictionary) {
                    if let (DICTIONARY_VALUE, Value::Bytes(value)) = field? {
                        values = self.type_values(value)?;
                    }
                }
                values
            }
            Some((STRUCT | UNION | RUN_END_ENCODED, Value::Bytes(fields))) => {
                let mut sum = 0u64;
                for field in Fields(fields) {
                    if let (FIELD_1 | FIELD_2, Value::Bytes(field)) = field? {
                        sum = sum.saturating_add(self.field_values(field)?);
                    }
                }
                sum
            }
            // lists and maps hold no values in a null row; the rest hold one
            _ => 1,
        };
        Ok(values.max(1))
    }

    /// The values of one row of a `Field`'s type.
    fn field_values(&self, field: &[u8]) -> Result<u64, String> {
        let mut values = 1;
        for part in Fields(field) {
            if let (arrow_type::FIELD_TYPE, Value::Bytes(arrow_type)) = part? {
                values = self.type_values(arrow_type)?;
            }
        }
        Ok(values)
    }
}

/// Field numbers of `datafusion_common.proto` that [`Walk::type_values`] reads.
mod arrow_type {
    /// `ArrowType` (one `oneof`): `int32 FIXED_SIZE_BINARY`, `FixedSizeList`, `Struct`,
    /// `Union`, `Dictionary`, `RunEndEncoded`.
    pub const FIXED_SIZE_BINARY: u32 = 16;
    pub const FIXED_SIZE_LIST: u32 = 27;
    pub const STRUCT: u32 = 28;
    pub const UNION: u32 = 29;
    pub const DICTIONARY: u32 = 30;
    pub const RUN_END_ENCODED: u32 = 42;
    /// `Dictionary { ArrowType key = 1; ArrowType value = 2; }`.
    pub const DICTIONARY_VALUE: u32 = 2;
    /// `Field.arrow_type`.
    pub const FIELD_TYPE: u32 = 2;
    /// `FixedSizeList { Field field_type = 1; int32 list_size = 2; }`, `Struct.sub_field_types`,
    /// `Union.union_types`, `RunEndEncoded { run_ends_field = 1; values_field = 2; }`.
    pub const FIELD_1: u32 = 1;
    pub const LIST_SIZE: u32 = 2;
    pub const FIELD_2: u32 = 2;
}

/// prost's reading of an `int32` varint.
fn int32(varint: u64) -> i32 {
    varint as i32
}

/// Checks a nested literal's Arrow IPC as DataFusion will read it.
fn check_nested_value(bytes: &[u8]) -> Result<(), String> {
    let (mut ipc_message, mut arrow_data, mut schema): (&[u8], &[u8], _) = (&[], &[], None);
    let mut dictionaries = Vec::new();
    for field in Fields(bytes) {
        match field? {
            (1, Value::Bytes(value)) => ipc_message = value,
            (2, Value::Bytes(value)) => arrow_data = value,
            (3, Value::Bytes(value)) => schema = Some(value),
            (4, Value::Bytes(value)) => {
                let (mut message, mut body): (&[u8], &[u8]) = (&[], &[]);
                for field in Fields(value) {
                    match field? {
                        (1, Value::Bytes(value)) => message = value,
                        (2, Value::Bytes(value)) => body = value,
                        _ => {}
                    }
                }
                dictionaries.push((message, body));
            }
            _ => {}
        }
    }
    let schema = schema.ok_or("it has no schema")?;
    let schema = protobuf::Schema::decode(schema).map_err(|e| format!("its schema: {e}"))?;
    let schema = ArrowSchema::try_from(&schema).map_err(|e| format!("its schema: {e}"))?;
    let schema = ipc_check::with_dictionary_ids(&schema)?;
    ipc_check::check_literal(ipc_message, arrow_data, &dictionaries, &schema, MAX_LITERAL_VALUES)
        .map_err(|why| format!("invalid Arrow IPC: {why}"))
}

/// Refuses a fixed-size binary literal whose declared length is not that of its bytes.
fn check_fixed_size_binary(bytes: &[u8]) -> Result<(), String> {
    let (mut values, mut length) = (0usize, 0i64);
    for field in Fields(bytes) {
        match field? {
            (1, Value::Bytes(value)) => values = value.len(),
            (2, Value::Varint(value)) => length = i64::from(int32(value)),
            _ => {}
        }
    }
    if usize::try_from(length).ok() != Some(values) {
        return Err(format!("a fixed-size binary literal of {values} bytes declares {length}"));
    }
    Ok(())
}

/// Refuses a decimal literal or type whose precision or scale Arrow does not allow (formatting
/// one panics), or a literal whose value is not of its width.
fn check_decimal(bytes: &[u8], decimal: Decimal) -> Result<(), String> {
    let (mut value, mut precision, mut scale) = (None, 0i64, 0i64);
    for field in Fields(bytes) {
        match (decimal.literal, field?) {
            (true, (1, Value::Bytes(bytes))) => value = Some(bytes.len()),
            (true, (2, Value::Varint(p))) => precision = p as i64, // int64
            (true, (3, Value::Varint(s))) => scale = s as i64,
            (false, (3, Value::Varint(p))) => precision = i64::from(p as u32), // uint32
            (false, (4, Value::Varint(s))) => scale = i64::from(int32(s)),
            _ => {}
        }
    }
    let max = decimal.max_precision;
    if !(1..=max).contains(&precision) || !(i64::from(i8::MIN)..=precision).contains(&scale) {
        return Err(format!(
            "a decimal of precision {precision} and scale {scale} (Arrow allows precision 1 to \
             {max} and a scale of at most the precision)"
        ));
    }
    match value {
        Some(len) if len != decimal.bytes => {
            Err(format!("a {}-byte decimal literal holds {len} bytes", decimal.bytes))
        }
        _ => Ok(()),
    }
}

/// Refuses a timezone Arrow cannot parse (formatting a value of it panics).
fn check_timezone(bytes: &[u8], number: u32) -> Result<(), String> {
    let mut timezone: &[u8] = &[];
    for field in Fields(bytes) {
        if let (n, Value::Bytes(value)) = field?
            && n == number
        {
            timezone = value;
        }
    }
    // an empty one is none; one that is not UTF-8 prost refuses
    match std::str::from_utf8(timezone) {
        Ok(timezone) if !timezone.is_empty() => timezone
            .parse::<Tz>()
            .map(|_| ())
            .map_err(|_| format!("an invalid timezone {timezone:?}")),
        _ => Ok(()),
    }
}

/// One field's value on the wire.
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The fields of one message, in wire order.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        let field = self.field();
        if field.is_err() {
            self.0 = &[];
        }
        Some(field)
    }
}

impl<'a> Fields<'a> {
    fn field(&mut self) -> Result<(u32, Value<'a>), String> {
        let key = self.varint()?;
        let number = u32::try_from(key >> 3)
            .ok()
            .filter(|number| *number > 0)
            .ok_or_else(|| format!("an invalid protobuf field key {key}"))?;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => self.skip(8).map(|_| Value::Fixed)?,
            2 => {
                let length = self.varint()?;
                let length = usize::try_from(length)
                    .ok()
                    .filter(|length| *length <= self.0.len())
                    .ok_or_else(|| {
                        format!("a field of {length} bytes runs past the {} left", self.0.len())
                    })?;
                Value::Bytes(self.skip(length)?)
            }
            5 => self.skip(4).map(|_| Value::Fixed)?,
            3 | 4 => return Err("protobuf groups are not accepted".into()),
            wire => return Err(format!("an invalid protobuf wire type {wire}")),
        };
        Ok((number, value))
    }

    fn skip(&mut self, length: usize) -> Result<&'a [u8], String> {
        if length > self.0.len() {
            return Err("a protobuf field is truncated".into());
        }
        let (taken, rest) = self.0.split_at(length);
        self.0 = rest;
        Ok(taken)
    }

    /// A varint as prost reads it: at most ten bytes, the tenth at most 1.
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for (i, byte) in self.0.iter().enumerate().take(10) {
            if i == 9 && *byte > 1 {
                break;
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                self.0 = &self.0[i + 1..];
                return Ok(value);
            }
        }
        Err("an invalid protobuf varint".into())
    }
}
