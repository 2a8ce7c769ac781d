//! Capsule names that both the host and plugins use for the kinds this crate helps with.
//!
//! datafusion-ffi 55 does not export the names as constants; these are the ones the official
//! `datafusion` 55 wheel reads and writes, so a capsule made with them works in either host.

use std::ffi::CStr;

/// An `FFI_QueryPlanner`: what `__datafusion_query_planner__(session)` returns, what a host's
/// `set_query_planner` accepts, and what a session hands a planner hook as its fallback.
pub const QUERY_PLANNER: &CStr = c"datafusion_query_planner";

/// An `FFI_PhysicalExtensionCodec`: what a session's `__datafusion_physical_extension_codec__()`
/// returns.
pub const PHYSICAL_EXTENSION_CODEC: &CStr = c"datafusion_physical_extension_codec";
