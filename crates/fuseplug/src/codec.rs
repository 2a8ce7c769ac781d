//! The session's extension codecs: an ordered chain of plugin codecs, each installed under a stable
//! id, in front of DataFusion's default codec.
//!
//! Every payload a chained codec writes is tagged with that codec's id, so decoding goes straight
//! to the codec that wrote it (never "try each until one succeeds", which can decode protobuf
//! bytes under the wrong codec). Every trait method is forwarded. On encode, a codec that writes
//! nothing or returns an error is taken to mean "not mine" and the next one is asked; the FFI codec
//! of datafusion-ffi, for instance, errors on extension nodes and file formats.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::{TableReference, plan_datafusion_err, plan_err};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{
    AggregateUDF, Extension, HigherOrderUDF, LogicalPlan, ScalarUDF, WindowUDF,
};
use datafusion::physical_expr_common::physical_expr::PhysicalExpr;
use datafusion::physical_expr_common::physical_expr::proto_decode::PhysicalExprDecodeCtx;
use datafusion::physical_expr_common::physical_expr::proto_encode::PhysicalExprEncodeCtx;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::{DefaultLogicalExtensionCodec, LogicalExtensionCodec};
use datafusion_proto::physical_plan::{
    DefaultPhysicalExtensionCodec, PhysicalExtensionCodec, PhysicalProtoConverterExtension,
};

/// Marks a payload written by a chained codec: magic, wire version 1, then the id's length (u16,
/// little endian), the id, and the codec's own bytes.
const TAG_MAGIC: &[u8; 4] = b"FPc\x01";

/// One installed codec.
struct Layer<C: ?Sized> {
    id: String,
    codec: Arc<C>,
}

/// Codecs in install order, in front of DataFusion's default codec.
pub struct Chain<C: ?Sized> {
    layers: Vec<Layer<C>>,
}

pub type LogicalChain = Chain<dyn LogicalExtensionCodec>;
pub type PhysicalChain = Chain<dyn PhysicalExtensionCodec>;

impl<C: ?Sized> Default for Chain<C> {
    fn default() -> Self {
        Self { layers: Vec::new() }
    }
}

impl<C: ?Sized> fmt::Debug for Chain<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.layers.iter().map(|l| &l.id)).finish()
    }
}

fn tag(id: &str, payload: &[u8], buf: &mut Vec<u8>) {
    // ids are checked to fit in a u16 when the codec is installed
    let len = u16::try_from(id.len()).unwrap_or(u16::MAX);
    buf.extend_from_slice(TAG_MAGIC);
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(id.as_bytes());
    buf.extend_from_slice(payload);
}

/// The id and the codec's own bytes of a tagged payload; `None` when `buf` carries no tag.
fn untag(buf: &[u8]) -> Result<Option<(&str, &[u8])>> {
    let Some(rest) = buf.strip_prefix(TAG_MAGIC.as_slice()) else {
        return Ok(None);
    };
    let truncated = || plan_datafusion_err!("truncated codec tag in a serialized payload");
    let len = rest.get(..2).ok_or_else(truncated)?;
    let len = usize::from(u16::from_le_bytes([len[0], len[1]]));
    let id = rest.get(2..2 + len).ok_or_else(truncated)?;
    let id = std::str::from_utf8(id).map_err(|_| truncated())?;
    Ok(Some((id, &rest[2 + len..])))
}

/// The id of a codec installed without one (a bare capsule): the name of the library that made it
/// and the codec's `kind`, e.g. `fuseplug_ffi_example._internal:logical_extension_codec`. The same
/// library gives the same id in every process, so what it writes decodes anywhere it is installed.
///
/// The library's name is its file name up to the first dot, behind the names of the enclosing
/// Python package directories (those holding an `__init__.py`): a wheel's extension module is named
/// as Python imports it, and neither its install path nor its ABI tag enters the id.
///
/// A capsule this library made itself is a session's own codec
/// (`SessionContext.__datafusion_logical_extension_codec__()`). The library does not tell one
/// session's codec from another's, so such a capsule gets a random `anon:` id, new on every
/// install, as the official bindings give every bare capsule: what it writes decodes only on the
/// session it is installed on. (Installing the context itself, not its capsule, uses the session's
/// stable `__datafusion_codec_id__`.)
pub fn library_codec_id(library: &Path, kind: &str) -> String {
    if is_host_library(library) {
        return anonymous_codec_id();
    }
    let stem = |p: &Path| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        name.split('.').next().unwrap_or_default().to_string()
    };
    let mut parts = vec![stem(library)];
    let mut dir = library.parent();
    while let Some(package) = dir.filter(|d| d.join("__init__.py").is_file()) {
        parts.push(stem(package));
        dir = package.parent();
    }
    parts.reverse();
    format!("{}:{kind}", parts.join("."))
}

/// Whether `library` is the library this code runs in (the host's compiled module).
fn is_host_library(library: &Path) -> bool {
    let this = library_codec_id as fn(&Path, &str) -> String;
    fuseplug_capsule::guard::library_of(this as usize).is_some_and(|host| host == library)
}

/// `anon:` and 32 random hex digits.
fn anonymous_codec_id() -> String {
    let mut bytes = [0u8; 16];
    if getrandom02::getrandom(&mut bytes).is_err() {
        // no OS randomness: a process-unique counter still keeps two installs apart
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bytes[..8].copy_from_slice(&n.to_le_bytes());
        bytes[8..12].copy_from_slice(&std::process::id().to_le_bytes());
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("anon:{hex}")
}

impl<C: ?Sized> Chain<C> {
    /// This chain with `codec` appended under `id`; an id may be installed only once.
    pub fn with(&self, id: String, codec: Arc<C>) -> Result<Self> {
        if id.is_empty() || id.len() > usize::from(u16::MAX) {
            return plan_err!("a codec id must be 1 to 65535 bytes long");
        }
        if self.layers.iter().any(|l| l.id == id) {
            return plan_err!("a codec with id {id:?} is already installed on this session");
        }
        let mut layers: Vec<Layer<C>> = self
            .layers
            .iter()
            .map(|l| Layer { id: l.id.clone(), codec: Arc::clone(&l.codec) })
            .collect();
        layers.push(Layer { id, codec });
        Ok(Self { layers })
    }

    pub fn ids(&self) -> Vec<String> {
        self.layers.iter().map(|l| l.id.clone()).collect()
    }

    /// Asks each codec in turn to encode; the first that writes bytes wins and they go into `buf`
    /// behind its tag. Returns the first error seen when no codec wrote anything.
    fn encode(
        &self,
        buf: &mut Vec<u8>,
        encode: impl Fn(&C, &mut Vec<u8>) -> Result<()>,
    ) -> std::result::Result<bool, Option<DataFusionError>> {
        let mut first_error = None;
        for layer in &self.layers {
            let mut own = Vec::new();
            match encode(layer.codec.as_ref(), &mut own) {
                Ok(()) if !own.is_empty() => {
                    tag(&layer.id, &own, buf);
                    return Ok(true);
                }
                Ok(()) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error)
    }

    /// Encodes a node that may also be left to the default codec (`fallback`), which only runs when
    /// no installed codec claimed it.
    fn encode_or(
        &self,
        buf: &mut Vec<u8>,
        encode: impl Fn(&C, &mut Vec<u8>) -> Result<()>,
        fallback: impl FnOnce(&mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        match self.encode(buf, encode) {
            Ok(_) => Ok(()),
            Err(first_error) => fallback(buf).map_err(|e| first_error.unwrap_or(e)),
        }
    }

    /// Decodes with the codec whose id tags `buf`. An untagged payload goes to `untagged`.
    fn decode<R>(
        &self,
        buf: &[u8],
        decode: impl FnOnce(&C, &[u8]) -> Result<R>,
        untagged: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Result<R> {
        let Some((id, payload)) = untag(buf)? else {
            return untagged(buf);
        };
        match self.layers.iter().find(|l| l.id == id) {
            Some(layer) => decode(layer.codec.as_ref(), payload),
            None => plan_err!(
                "this payload was written by the extension codec {id:?}, which is not installed on \
                 this session (installed: {:?}); install it with with_*_extension_codec",
                self.ids()
            ),
        }
    }

    /// A function with no payload (`buf` empty): DataFusion asks the codec only after the session's
    /// registry has no function of that name, so each codec gets the chance to supply one.
    fn decode_by_name<R>(
        &self,
        decode: impl Fn(&C, &[u8]) -> Result<R>,
        default: impl FnOnce() -> Result<R>,
    ) -> Result<R> {
        for layer in &self.layers {
            if let Ok(found) = decode(layer.codec.as_ref(), &[]) {
                return Ok(found);
            }
        }
        default()
    }

    /// A UDF-like decode: tagged goes to its codec, empty is looked up by name, anything else is
    /// left to the default codec (which refuses it).
    fn decode_function<R>(
        &self,
        buf: &[u8],
        decode: impl Fn(&C, &[u8]) -> Result<R>,
        default: impl FnOnce(&[u8]) -> Result<R>,
    ) -> Result<R> {
        if buf.is_empty() {
            return self.decode_by_name(decode, || default(buf));
        }
        self.decode(buf, &decode, default)
    }

    /// A UDF-like encode: when no codec writes, the function travels by name (empty `buf`).
    fn encode_function(
        &self,
        buf: &mut Vec<u8>,
        encode: impl Fn(&C, &mut Vec<u8>) -> Result<()>,
    ) -> Result<()> {
        let _ = self.encode(buf, encode);
        Ok(())
    }
}

const LOGICAL_DEFAULT: DefaultLogicalExtensionCodec = DefaultLogicalExtensionCodec {};
const PHYSICAL_DEFAULT: DefaultPhysicalExtensionCodec = DefaultPhysicalExtensionCodec {};

/// The eight function methods, the same in both codec traits: a function travels by name when no
/// codec writes a payload for it.
macro_rules! forward_functions {
    ($default:expr) => {
        fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
            self.decode_function(
                buf,
                |c, b| c.try_decode_udf(name, b),
                |b| $default.try_decode_udf(name, b),
            )
        }

        fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
            self.encode_function(buf, |c, b| c.try_encode_udf(node, b))
        }

        fn try_decode_higher_order_function(
            &self,
            name: &str,
            buf: &[u8],
        ) -> Result<Arc<HigherOrderUDF>> {
            self.decode_function(
                buf,
                |c, b| c.try_decode_higher_order_function(name, b),
                |b| $default.try_decode_higher_order_function(name, b),
            )
        }

        fn try_encode_higher_order_function(
            &self,
            node: &HigherOrderUDF,
            buf: &mut Vec<u8>,
        ) -> Result<()> {
            self.encode_function(buf, |c, b| c.try_encode_higher_order_function(node, b))
        }

        fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
            self.decode_function(
                buf,
                |c, b| c.try_decode_udaf(name, b),
                |b| $default.try_decode_udaf(name, b),
            )
        }

        fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
            self.encode_function(buf, |c, b| c.try_encode_udaf(node, b))
        }

        fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
            self.decode_function(
                buf,
                |c, b| c.try_decode_udwf(name, b),
                |b| $default.try_decode_udwf(name, b),
            )
        }

        fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
            self.encode_function(buf, |c, b| c.try_encode_udwf(node, b))
        }
    };
}

impl LogicalExtensionCodec for LogicalChain {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.decode(
            buf,
            |c, b| c.try_decode(b, inputs, ctx),
            |b| LOGICAL_DEFAULT.try_decode(b, inputs, ctx),
        )
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.encode_or(buf, |c, b| c.try_encode(node, b), |b| LOGICAL_DEFAULT.try_encode(node, b))
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.decode(
            buf,
            |c, b| c.try_decode_table_provider(b, table_ref, Arc::clone(&schema), ctx),
            |b| LOGICAL_DEFAULT.try_decode_table_provider(b, table_ref, Arc::clone(&schema), ctx),
        )
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.encode_or(
            buf,
            |c, b| c.try_encode_table_provider(table_ref, Arc::clone(&node), b),
            |b| LOGICAL_DEFAULT.try_encode_table_provider(table_ref, Arc::clone(&node), b),
        )
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.decode(
            buf,
            |c, b| c.try_decode_file_format(b, ctx),
            |b| LOGICAL_DEFAULT.try_decode_file_format(b, ctx),
        )
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.encode_or(
            buf,
            |c, b| c.try_encode_file_format(b, Arc::clone(&node)),
            |b| LOGICAL_DEFAULT.try_encode_file_format(b, Arc::clone(&node)),
        )
    }

    forward_functions!(LOGICAL_DEFAULT);
}

impl PhysicalExtensionCodec for PhysicalChain {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.decode(
            buf,
            |c, b| c.try_decode(b, inputs, ctx, proto_converter),
            |b| PHYSICAL_DEFAULT.try_decode(b, inputs, ctx, proto_converter),
        )
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.encode_or(
            buf,
            |c, b| c.try_encode(Arc::clone(&node), b, proto_converter),
            |b| PHYSICAL_DEFAULT.try_encode(Arc::clone(&node), b, proto_converter),
        )
    }

    fn try_decode_expr(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn PhysicalExpr>],
        ctx: &PhysicalExprDecodeCtx<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        self.decode(
            buf,
            |c, b| c.try_decode_expr(b, inputs, ctx),
            |b| PHYSICAL_DEFAULT.try_decode_expr(b, inputs, ctx),
        )
    }

    fn try_encode_expr(
        &self,
        node: &Arc<dyn PhysicalExpr>,
        buf: &mut Vec<u8>,
        ctx: &PhysicalExprEncodeCtx<'_>,
    ) -> Result<()> {
        self.encode_or(
            buf,
            |c, b| c.try_encode_expr(node, b, ctx),
            |b| PHYSICAL_DEFAULT.try_encode_expr(node, b, ctx),
        )
    }

    forward_functions!(PHYSICAL_DEFAULT);
}
