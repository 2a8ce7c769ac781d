//! The frames the Python codecs write inside DataFusion's protobuf: a magic per kind of payload, a
//! wire version, and for inline Python the sender's Python major.minor, then the payload itself.
//!
//! The inline Python frames use the official bindings' family magics (`DFPYUDF`, `DFPYUDA`,
//! `DFPYUDW`) and layout (magic, version, major, minor, cloudpickle), so tools that look for them
//! find them; the tuple inside is fuseplug's own. The magics never begin like the plugin chain's
//! tag (`FPc\x01`, `crate::codec`), so a payload is claimed by exactly one layer of the codec stack.

use std::fmt;

/// The version of every frame below. A decoder refuses any other.
pub const WIRE_VERSION: u8 = 1;

/// What a frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Python scalar UDF, cloudpickled.
    PythonScalar,
    /// A Python aggregate UDF, cloudpickled.
    PythonAggregate,
    /// A Python window UDF, cloudpickled.
    PythonWindow,
    /// A native-extension function, by identity (extension, library path, function name).
    Native,
    /// An in-memory table, as Arrow IPC streams (one per partition).
    MemoryTable,
    /// A `DynamicRowFilterExec` (`crate::optimizer`): no payload; decoded as its input alone, since
    /// the dynamic filters it applies belong to the sending process's joins.
    RowFilter,
    /// A `SharedExec` (`crate::optimizer`): no payload; decoded as its input alone, so a decoded
    /// plan runs each occurrence of the subplan itself.
    SharedPlan,
}

impl Kind {
    const ALL: [Kind; 7] = [
        Kind::PythonScalar,
        Kind::PythonAggregate,
        Kind::PythonWindow,
        Kind::Native,
        Kind::MemoryTable,
        Kind::RowFilter,
        Kind::SharedPlan,
    ];

    pub const fn magic(self) -> &'static [u8] {
        match self {
            Kind::PythonScalar => b"DFPYUDF",
            Kind::PythonAggregate => b"DFPYUDA",
            Kind::PythonWindow => b"DFPYUDW",
            Kind::Native => b"FPnx",
            Kind::MemoryTable => b"FPmt",
            Kind::RowFilter => b"FPrf",
            Kind::SharedPlan => b"FPsp",
        }
    }

    /// Whether the frame carries Python bytecode (and so the sender's Python version).
    pub const fn is_python(self) -> bool {
        matches!(self, Kind::PythonScalar | Kind::PythonAggregate | Kind::PythonWindow)
    }

    /// The frame kind `buf` starts with, if any.
    pub fn of(buf: &[u8]) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| buf.starts_with(k.magic()))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::PythonScalar => "an inline Python scalar UDF",
            Kind::PythonAggregate => "an inline Python aggregate UDF",
            Kind::PythonWindow => "an inline Python window UDF",
            Kind::Native => "a native-extension function",
            Kind::MemoryTable => "an inline in-memory table",
            Kind::RowFilter => "a dynamic row filter",
            Kind::SharedPlan => "a shared subplan",
        })
    }
}

/// The Python version a payload was written with (major, minor).
pub type PyVersion = (u8, u8);

/// Starts a frame of `kind` in `buf`; for Python kinds `python` is the running interpreter's version.
pub fn open(kind: Kind, python: Option<PyVersion>, buf: &mut Vec<u8>) {
    buf.extend_from_slice(kind.magic());
    buf.push(WIRE_VERSION);
    if let Some((major, minor)) = python {
        buf.extend_from_slice(&[major, minor]);
    }
}

/// Why a frame could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameError {
    Truncated(Kind),
    WireVersion { kind: Kind, found: u8 },
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::Truncated(kind) => write!(f, "{kind} payload is truncated"),
            FrameError::WireVersion { kind, found } => write!(
                f,
                "{kind} payload has wire version {found}, but this fuseplug reads version \
                 {WIRE_VERSION}: encode and decode with the same fuseplug release"
            ),
        }
    }
}

/// A frame's header, read and checked: the Python version (for Python kinds) and the payload.
pub struct Opened<'a> {
    pub python: Option<PyVersion>,
    pub payload: &'a [u8],
}

/// Reads the header of a frame of `kind` (its magic already matched).
pub fn read(kind: Kind, buf: &[u8]) -> Result<Opened<'_>, FrameError> {
    let rest = &buf[kind.magic().len()..];
    let (&version, rest) = rest.split_first().ok_or(FrameError::Truncated(kind))?;
    if version != WIRE_VERSION {
        return Err(FrameError::WireVersion { kind, found: version });
    }
    if !kind.is_python() {
        return Ok(Opened { python: None, payload: rest });
    }
    match rest {
        [major, minor, payload @ ..] => Ok(Opened { python: Some((*major, *minor)), payload }),
        _ => Err(FrameError::Truncated(kind)),
    }
}

/// Appends a length-prefixed (u64, little endian) byte string.
pub fn put_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    buf.extend_from_slice(bytes);
}

/// Takes a length-prefixed byte string from the front of `buf`; `None` when it runs past the end.
pub fn take_bytes<'a>(buf: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, rest) = buf.split_first_chunk::<8>()?;
    let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
    if len > rest.len() {
        return None;
    }
    let (bytes, rest) = rest.split_at(len);
    *buf = rest;
    Some(bytes)
}
