//! A walk of a serialized plan or expression's protobuf before DataFusion decodes it.
//!
//! DataFusion trusts what it decodes: a binary expression of a million operands becomes a tree a
//! million levels deep (dropping it overflows the stack), a nested literal's Arrow IPC or a null
//! literal of nested fixed-size lists allocates whatever sizes the bytes declare (a failed
//! allocation aborts the process). This walk reads the wire format with DataFusion's own schema
//! (the locked `.proto` files, see `build.rs`) and refuses, before anything is built:
//!
//! - messages nested deeper than [`MAX_NESTING`] (prost's own recursion limit, named);
//! - trees deeper than [`MAX_TREE_DEPTH`] once DataFusion chains a binary expression's operands
//!   and a union's inputs into left-deep trees;
//! - aliases of aliases more than [`MAX_ALIAS_DEPTH`] deep (DataFusion's typing of them takes
//!   time exponential in their number);
//! - a singular message field that occurs twice (protobuf would merge the two, so what the checks
//!   saw would not be what DataFusion decodes; no encoder writes this);
//! - Arrow types whose one row holds more than [`MAX_LITERAL_VALUES`] values (fixed-size list
//!   sizes and fixed-size binary widths multiplied out; a null literal of the type allocates it),
//!   and negative sizes;
//! - a fixed-size binary literal whose declared length is not that of its bytes;
//! - Arrow IPC that `ipc_check` refuses: a nested literal's (with its dictionaries, within
//!   [`MAX_LITERAL_VALUES`] values) and a memory scan's partitions.
//!
//! Every refusal names its limit; the entry points in `api.rs` turn it into `SerializationError`.

mod schema;
mod walk;

/// The deepest nesting of protobuf messages. prost refuses deeper input itself ("recursion limit
/// reached"); the walk refuses it first, with a message that names the limit.
pub const MAX_NESTING: u32 = 100;

/// The deepest tree DataFusion may build from a plan or expression, counting each message level
/// and each level that chaining a binary expression's operands (or a union's inputs) adds. A dev
/// build's stack runs out near 5,000 chained operands (stock DataFusion planning SQL of 5,000
/// `+`-joined terms, or dropping ~80,000); DataFusion takes seconds to plan 1,000.
pub const MAX_TREE_DEPTH: u64 = 2_048;

/// The most aliases an expression may nest, one inside another (counted within each plan node's
/// expressions). DataFusion types an alias by typing what it aliases twice, so the time to plan
/// nested aliases doubles with each: 20 take 0.16 s on a dev build, 40 would take days.
pub const MAX_ALIAS_DEPTH: u32 = 16;

/// The most values one literal may hold: all the arrays of a nested literal's Arrow IPC together,
/// and one row of any fixed-size Arrow type a plan names (what a null literal of it allocates).
pub const MAX_LITERAL_VALUES: u64 = 1 << 24;

/// What the bytes are the serialization of.
#[derive(Clone, Copy)]
pub enum Root {
    LogicalPlan,
    PhysicalPlan,
    LogicalExpr,
}

/// Checks the protobuf `bytes` of a `root` before DataFusion decodes them.
pub fn check(root: Root, bytes: &[u8]) -> Result<(), String> {
    walk::check(root, bytes)
}
