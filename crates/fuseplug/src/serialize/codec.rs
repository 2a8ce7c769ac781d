//! `PythonLogicalCodec` and `PythonPhysicalCodec`: the outer layer of every session's codec stack.
//! Each encodes what only this host knows and forwards every other call (and every payload that is
//! not its own) to the session's plugin chain, which forwards to DataFusion's defaults.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
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
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use fuseplug_capsule::panic::guard;
use pyo3::prelude::*;

use super::frame::{self, Kind};
use super::python_udf::{self, STRICT_OPTION};
use super::{Env, table};
use crate::codec::{LogicalChain, PhysicalChain};
use crate::native::{self, Identity};
use crate::optimizer::{DynamicRowFilterExec, SharedExec};
use crate::udf::{PythonAggregateUDF, PythonScalarUDF, PythonWindowUDF};

/// The host's own encodings of functions, shared by both codecs.
struct Functions<'a>(&'a Env);

/// The host's own payload for a function that only this host can rebuild (a Python UDF, inline; a
/// native-extension function, by identity), or None for one that travels by name. Distributed
/// sessions send these to their workers beside the plan (see `distributed`).
pub fn own_function_payload(env: &Env, function: FunctionRef<'_>) -> Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let functions = Functions(env);
    let written = match function {
        FunctionRef::Scalar(f) => functions.encode_udf(f, &mut buf)?,
        FunctionRef::Aggregate(f) => functions.encode_udaf(f, &mut buf)?,
        FunctionRef::Window(f) => functions.encode_udwf(f, &mut buf)?,
    };
    Ok(written.then_some(buf))
}

/// One function of a session's registry, of any kind.
#[derive(Clone, Copy)]
pub enum FunctionRef<'a> {
    Scalar(&'a ScalarUDF),
    Aggregate(&'a AggregateUDF),
    Window(&'a WindowUDF),
}

impl Functions<'_> {
    fn wrong_kind(&self, found: Kind, expected: &str, name: &str) -> DataFusionError {
        self.0.fail(format!("the plan calls {expected} {name:?}, but its payload is {found}"), None)
    }

    /// Some(...) when `buf` is one of our frames, None when it belongs to another layer.
    fn decode_udf(&self, name: &str, buf: &[u8]) -> Option<Result<Arc<ScalarUDF>>> {
        Some(match Kind::of(buf)? {
            Kind::PythonScalar => python_udf::decode_scalar(self.0, name, buf).map(Arc::new),
            Kind::Native => self.native(name, buf, true).and_then(|(s, _)| {
                s.map(Arc::new).ok_or_else(|| {
                    self.0.fail(format!("{name:?} is not a native scalar function"), None)
                })
            }),
            other => Err(self.wrong_kind(other, "the scalar function", name)),
        })
    }

    fn decode_udaf(&self, name: &str, buf: &[u8]) -> Option<Result<Arc<AggregateUDF>>> {
        Some(match Kind::of(buf)? {
            Kind::PythonAggregate => python_udf::decode_aggregate(self.0, name, buf).map(Arc::new),
            Kind::Native => self.native(name, buf, false).and_then(|(_, a)| {
                a.map(Arc::new).ok_or_else(|| {
                    self.0.fail(format!("{name:?} is not a native aggregate function"), None)
                })
            }),
            other => Err(self.wrong_kind(other, "the aggregate function", name)),
        })
    }

    fn decode_udwf(&self, name: &str, buf: &[u8]) -> Option<Result<Arc<WindowUDF>>> {
        Some(match Kind::of(buf)? {
            Kind::PythonWindow => python_udf::decode_window(self.0, name, buf).map(Arc::new),
            other => Err(self.wrong_kind(other, "the window function", name)),
        })
    }

    /// Whether this layer wrote `node` (true) or leaves it to the next one (false).
    fn encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<bool> {
        if !self.0.inline_python {
            return Ok(false);
        }
        if let Some(udf) = node.inner().downcast_ref::<PythonScalarUDF>() {
            python_udf::encode_scalar(self.0, udf, buf)?;
            return Ok(true);
        }
        Ok(native::scalar_identity(node).is_some_and(|id| encode_native(id, b's', buf)))
    }

    fn encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<bool> {
        if !self.0.inline_python {
            return Ok(false);
        }
        if let Some(udaf) = node.inner().downcast_ref::<PythonAggregateUDF>() {
            python_udf::encode_aggregate(self.0, udaf, buf)?;
            return Ok(true);
        }
        Ok(native::aggregate_identity(node).is_some_and(|id| encode_native(id, b'a', buf)))
    }

    fn encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<bool> {
        if !self.0.inline_python {
            return Ok(false);
        }
        match node.inner().downcast_ref::<PythonWindowUDF>() {
            Some(udwf) => python_udf::encode_window(self.0, udwf, buf).map(|()| true),
            None => Ok(false),
        }
    }

    /// The native function a frame names: one already registered on the session under that
    /// identity, else loaded from its library (and registered there).
    #[allow(clippy::type_complexity)]
    fn native(
        &self,
        name: &str,
        buf: &[u8],
        scalar: bool,
    ) -> Result<(Option<ScalarUDF>, Option<AggregateUDF>)> {
        let env = self.0;
        let opened = frame::read(Kind::Native, buf).map_err(|e| env.fail(e.to_string(), None))?;
        let identity = decode_identity(opened.payload)
            .ok_or_else(|| env.fail(format!("{} payload is malformed", Kind::Native), None))?;
        if identity.function != name {
            return Err(env.fail(
                format!("the plan calls {name:?} but its payload names {:?}", identity.function),
                None,
            ));
        }
        if let Some(session) = &env.session {
            // read under the state's lock: no copy of the whole state per function
            let state = session.state_ref();
            let state = state.read();
            if scalar
                && let Some(f) = state.scalar_functions().get(name)
                && native::scalar_identity(f).is_some_and(|id| same_function(id, &identity))
            {
                return Ok((Some(f.as_ref().clone()), None));
            }
            if !scalar
                && let Some(f) = state.aggregate_functions().get(name)
                && native::aggregate_identity(f).is_some_and(|id| same_function(id, &identity))
            {
                return Ok((None, Some(f.as_ref().clone())));
            }
        }
        if !env.inline_python {
            return Err(env.fail(
                format!(
                    "Refusing to deserialize {name:?}: refusing to load the native library {} \
                     it needs, as this session was made with {STRICT_OPTION}, which loads no \
                     library; load the extension on the decoding session first \
                     (ctx.load_extension)",
                    identity.library.display()
                ),
                None,
            ));
        }
        let (scalars, aggregates) =
            Python::attach(|py| native::load_for_plan(py, &identity, env.session.as_deref()))
                .map_err(|e| {
                    let message = format!("loading the native extension for {name:?} failed: {e}");
                    env.fail(message, None)
                })?;
        let scalar_fn = scalars.into_iter().find(|f| f.name() == name);
        let aggregate_fn = aggregates.into_iter().find(|f| f.name() == name);
        if scalar_fn.is_none() && aggregate_fn.is_none() {
            return Err(env.fail(
                format!(
                    "the native extension {:?} at {} defines no function {name:?}",
                    identity.extension,
                    identity.library.display()
                ),
                None,
            ));
        }
        Ok((scalar_fn, aggregate_fn))
    }
}

/// A function the plan names without a payload (it travelled by name) that the decoding session
/// lacks: say so plainly instead of DataFusion's nested "codec is not provided".
fn by_name_failure(
    env: &Env,
    what: &str,
    name: &str,
    buf: &[u8],
    error: DataFusionError,
) -> DataFusionError {
    if !buf.is_empty() {
        return error;
    }
    env.fail(
        format!(
            "the plan calls the {what} {name:?} by name, and the decoding session has no {what} \
             of that name: register it there first (Python UDFs travel inline unless the sender \
             used with_python_udf_inlining(enabled=False))"
        ),
        None,
    )
}

/// The same native function, wherever its library was loaded from (another machine's path to the
/// same extension differs).
fn same_function(a: &Identity, b: &Identity) -> bool {
    a.extension == b.extension && a.function == b.function
}

fn encode_native(identity: &Identity, kind: u8, buf: &mut Vec<u8>) -> bool {
    frame::open(Kind::Native, None, buf);
    buf.push(kind);
    frame::put_bytes(buf, identity.extension.as_bytes());
    frame::put_bytes(buf, identity.library.as_os_str().as_encoded_bytes());
    frame::put_bytes(buf, identity.function.as_bytes());
    true
}

fn decode_identity(payload: &[u8]) -> Option<Identity> {
    let (_kind, mut rest) = payload.split_first()?;
    let extension = String::from_utf8(frame::take_bytes(&mut rest)?.to_vec()).ok()?;
    let library = String::from_utf8(frame::take_bytes(&mut rest)?.to_vec()).ok()?;
    let function = String::from_utf8(frame::take_bytes(&mut rest)?.to_vec()).ok()?;
    rest.is_empty().then(|| Identity { extension, library: PathBuf::from(library), function })
}

/// The logical layer: Python UDFs, native functions and in-memory tables, in front of `inner`.
pub struct PythonLogicalCodec {
    inner: Arc<LogicalChain>,
    env: Arc<Env>,
}

impl PythonLogicalCodec {
    pub fn new(inner: Arc<LogicalChain>, env: Arc<Env>) -> Self {
        Self { inner, env }
    }
}

impl fmt::Debug for PythonLogicalCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonLogicalCodec")
            .field("inline_python", &self.env.inline_python)
            .field("inner", &self.inner)
            .finish()
    }
}

/// The function methods of both codec traits: ours first, then the chain's.
macro_rules! python_functions {
    () => {
        fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
            guard("fuseplug's plan codec", || {
                Functions(&self.env).decode_udf(name, buf).unwrap_or_else(|| {
                    let decoded = self.inner.try_decode_udf(name, buf);
                    decoded.map_err(|e| by_name_failure(&self.env, "scalar function", name, buf, e))
                })
            })
        }

        fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
            guard("fuseplug's plan codec", || {
                if Functions(&self.env).encode_udf(node, buf)? {
                    return Ok(());
                }
                self.inner.try_encode_udf(node, buf)
            })
        }

        fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
            guard("fuseplug's plan codec", || {
                Functions(&self.env).decode_udaf(name, buf).unwrap_or_else(|| {
                    let decoded = self.inner.try_decode_udaf(name, buf);
                    decoded
                        .map_err(|e| by_name_failure(&self.env, "aggregate function", name, buf, e))
                })
            })
        }

        fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
            guard("fuseplug's plan codec", || {
                if Functions(&self.env).encode_udaf(node, buf)? {
                    return Ok(());
                }
                self.inner.try_encode_udaf(node, buf)
            })
        }

        fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
            guard("fuseplug's plan codec", || {
                Functions(&self.env).decode_udwf(name, buf).unwrap_or_else(|| {
                    let decoded = self.inner.try_decode_udwf(name, buf);
                    decoded.map_err(|e| by_name_failure(&self.env, "window function", name, buf, e))
                })
            })
        }

        fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
            guard("fuseplug's plan codec", || {
                if Functions(&self.env).encode_udwf(node, buf)? {
                    return Ok(());
                }
                self.inner.try_encode_udwf(node, buf)
            })
        }

        fn try_decode_higher_order_function(
            &self,
            name: &str,
            buf: &[u8],
        ) -> Result<Arc<HigherOrderUDF>> {
            guard("fuseplug's plan codec", || {
                self.inner.try_decode_higher_order_function(name, buf)
            })
        }

        fn try_encode_higher_order_function(
            &self,
            node: &HigherOrderUDF,
            buf: &mut Vec<u8>,
        ) -> Result<()> {
            guard("fuseplug's plan codec", || {
                self.inner.try_encode_higher_order_function(node, buf)
            })
        }
    };
}

impl LogicalExtensionCodec for PythonLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        guard("fuseplug's plan codec", || self.inner.try_decode(buf, inputs, ctx))
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        guard("fuseplug's plan codec", || self.inner.try_encode(node, buf))
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        guard("fuseplug's plan codec", || match Kind::of(buf) {
            Some(Kind::MemoryTable) => table::decode(&self.env, buf, schema),
            Some(other) => Err(self
                .env
                .fail(format!("table {table_ref}: expected a table payload, found {other}"), None)),
            None => self.inner.try_decode_table_provider(buf, table_ref, schema, ctx),
        })
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        guard("fuseplug's plan codec", || {
            if table::encode(&self.env, table_ref, &node, buf)? {
                return Ok(());
            }
            self.inner.try_encode_table_provider(table_ref, node, buf)
        })
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        guard("fuseplug's plan codec", || self.inner.try_decode_file_format(buf, ctx))
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        guard("fuseplug's plan codec", || self.inner.try_encode_file_format(buf, node))
    }

    python_functions!();
}

/// The physical layer: Python UDFs and native functions in front of `inner`. Memory scans travel in
/// DataFusion's own protobuf (their size is checked by `check_inline_tables`).
pub struct PythonPhysicalCodec {
    inner: Arc<PhysicalChain>,
    env: Arc<Env>,
}

impl PythonPhysicalCodec {
    pub fn new(inner: Arc<PhysicalChain>, env: Arc<Env>) -> Self {
        Self { inner, env }
    }
}

impl fmt::Debug for PythonPhysicalCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonPhysicalCodec")
            .field("inline_python", &self.env.inline_python)
            .field("inner", &self.inner)
            .finish()
    }
}

impl PhysicalExtensionCodec for PythonPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        guard("fuseplug's plan codec", || match Kind::of(buf) {
            // the host's optimizer nodes travel as their input alone
            Some(kind @ (Kind::RowFilter | Kind::SharedPlan)) => {
                frame::read(kind, buf).map_err(|e| self.env.fail(e.to_string(), None))?;
                match inputs {
                    [input] => Ok(Arc::clone(input)),
                    _ => Err(self
                        .env
                        .fail(format!("{kind} takes one input, found {}", inputs.len()), None)),
                }
            }
            _ => self.inner.try_decode(buf, inputs, ctx, proto_converter),
        })
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        guard("fuseplug's plan codec", || {
            if node.downcast_ref::<DynamicRowFilterExec>().is_some() {
                frame::open(Kind::RowFilter, None, buf);
                return Ok(());
            }
            if node.downcast_ref::<SharedExec>().is_some() {
                frame::open(Kind::SharedPlan, None, buf);
                return Ok(());
            }
            self.inner.try_encode(node, buf, proto_converter)
        })
    }

    fn try_decode_expr(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn PhysicalExpr>],
        ctx: &PhysicalExprDecodeCtx<'_>,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        guard("fuseplug's plan codec", || self.inner.try_decode_expr(buf, inputs, ctx))
    }

    fn try_encode_expr(
        &self,
        node: &Arc<dyn PhysicalExpr>,
        buf: &mut Vec<u8>,
        ctx: &PhysicalExprEncodeCtx<'_>,
    ) -> Result<()> {
        guard("fuseplug's plan codec", || self.inner.try_encode_expr(node, buf, ctx))
    }

    python_functions!();
}
