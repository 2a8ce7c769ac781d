//! The DataFusion major this library was compiled against.
//!
//! datafusion-ffi structs are only layout-compatible within one major, so every capsule exchange starts by
//! comparing majors.

/// The DataFusion major of the `datafusion-ffi` crate this library links.
pub fn datafusion_major() -> u64 {
    datafusion_ffi::version()
}
