//! The Python UDFs (and native-extension functions) of a coordinating session, sent to the workers
//! beside each plan fragment as HTTP/2 headers.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF, WindowUDF};
use datafusion::prelude::SessionContext;
use datafusion_distributed::DistributedExt;
use datafusion_proto::physical_plan::PhysicalExtensionCodec;
use tonic::codegen::http::{HeaderMap, HeaderName, HeaderValue};

use super::is_distributed;
use super::progress::Forwarded;
use crate::capsule::SessionTasks;
use crate::errors::{Error, Result};
use crate::serialize::{Env, FunctionRef, own_function_payload};

/// Headers named `x-fuseplug-function-<n>` carry the session's Python UDFs and native functions to
/// the workers (see `refresh_functions`).
const FUNCTION_HEADER: &str = "x-fuseplug-function-";

/// Puts the session's Python UDFs (and native-extension functions) in the headers every task
/// request carries, so workers register them before they decode the plan, which names them.
///
/// They cannot travel inside the plan: datafusion-distributed composes its own codec in front of
/// the user codecs, and that one claims every function (by name). Called when a distributed
/// session is made and whenever a function is registered on one; a function that cannot be sent
/// (a Python UDF cloudpickle cannot pickle) fails that call with `SerializationError`.
pub fn refresh_functions(ctx: &SessionContext, tasks: &SessionTasks) -> Result<()> {
    let (scalars, aggregates, windows) = {
        let state = ctx.state_ref();
        let state = state.read();
        if !is_distributed(state.config()) {
            return Ok(());
        }
        (
            state.scalar_functions().values().cloned().collect::<Vec<_>>(),
            state.aggregate_functions().values().cloned().collect::<Vec<_>>(),
            state.window_functions().values().cloned().collect::<Vec<_>>(),
        )
    };
    let env = Env::new(tasks.inline_python, None);
    let functions = scalars
        .iter()
        .map(|f| (b's', f.name(), FunctionRef::Scalar(f)))
        .chain(aggregates.iter().map(|f| (b'a', f.name(), FunctionRef::Aggregate(f))))
        .chain(windows.iter().map(|f| (b'w', f.name(), FunctionRef::Window(f))));
    let mut headers = HeaderMap::new();
    for (kind, name, function) in functions {
        let payload = env.run(&format!("sending function {name:?} to the workers"), || {
            own_function_payload(&env, function)
        })?;
        let Some(payload) = payload else { continue };
        let header = HeaderName::try_from(format!("{FUNCTION_HEADER}{}", headers.len()))
            .map_err(|e| Error::Value(e.to_string()))?;
        let value = HeaderValue::try_from(encode_function(kind, name, &payload))
            .map_err(|e| Error::Value(e.to_string()))?;
        headers.insert(header, value);
    }
    let state = ctx.state_ref();
    let mut state = state.write();
    state.config_mut().set_extension(Arc::new(Forwarded(headers.clone())));
    state.config_mut().set_distributed_passthrough_headers(headers)?;
    Ok(())
}

/// `kind name_length(u16, big-endian) name payload`, base64.
fn encode_function(kind: u8, name: &str, payload: &[u8]) -> String {
    let mut frame = Vec::with_capacity(3 + name.len() + payload.len());
    frame.push(kind);
    frame.extend_from_slice(&(name.len().min(u16::MAX as usize) as u16).to_be_bytes());
    frame.extend_from_slice(&name.as_bytes()[..name.len().min(u16::MAX as usize)]);
    frame.extend_from_slice(payload);
    BASE64.encode(frame)
}

/// The functions a task request carries, decoded through the worker's codec stack.
pub(super) fn decode_functions(
    headers: &HeaderMap,
    codec: &dyn PhysicalExtensionCodec,
) -> datafusion::error::Result<(HeaderMap, Received)> {
    let mut forwarded = HeaderMap::new();
    let mut received = Received::default();
    for (key, value) in headers.iter() {
        if !key.as_str().starts_with(FUNCTION_HEADER) {
            continue;
        }
        forwarded.insert(key.clone(), value.clone());
        let malformed = || DataFusionError::Plan(format!("header {key} is not a function frame"));
        let frame = BASE64.decode(value.as_bytes()).map_err(|_| malformed())?;
        if frame.len() < 3 {
            return Err(malformed());
        }
        let length = u16::from_be_bytes([frame[1], frame[2]]) as usize;
        let name = frame.get(3..3 + length).ok_or_else(malformed)?;
        let name = std::str::from_utf8(name).map_err(|_| malformed())?;
        let payload = &frame[3 + length..];
        // A function this worker refuses (inline Python on a strict worker) is left out: queries
        // that do not call it still run here, and one that does finds no such function.
        match frame[0] {
            b's' => received.scalars.extend(codec.try_decode_udf(name, payload).ok()),
            b'a' => received.aggregates.extend(codec.try_decode_udaf(name, payload).ok()),
            b'w' => received.windows.extend(codec.try_decode_udwf(name, payload).ok()),
            _ => return Err(malformed()),
        }
    }
    Ok((forwarded, received))
}

#[derive(Default)]
pub(super) struct Received {
    pub(super) scalars: Vec<Arc<ScalarUDF>>,
    pub(super) aggregates: Vec<Arc<AggregateUDF>>,
    pub(super) windows: Vec<Arc<WindowUDF>>,
}
