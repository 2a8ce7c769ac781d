//! Pieces that both the fuseplug host and plugin authors need: the one tokio runtime of a library and the
//! blessed way to block on it from Python (`runtime`), guards that turn a panic in an FFI callback,
//! future or stream into an error (`panic`), the checks made before reading a foreign capsule
//! (`guard`, `import`, `signals`), the capsule names of the kinds it imports (`names`), and the DataFusion
//! major a library was built against (`version`).
//!
//! A plugin links its own copy of this crate (never the host crate), so each cdylib gets its own runtime.

pub mod guard;
pub mod import;
pub mod names;
pub mod panic;
pub mod runtime;
pub mod signals;
pub mod version;
