//! Logical and physical extension codecs that count every call a host makes and carry the example's
//! `double` UDF by a payload of their own, so a plan that uses it decodes in a session where it was
//! never registered.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::{TableReference, not_impl_err};
use datafusion::error::Result;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_ffi::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi::proto::physical_extension_codec::FFI_PhysicalExtensionCodec;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use fuseplug_capsule::import::task_context_provider;
use fuseplug_capsule::runtime::handle;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::double_udf;

/// What the codecs write for `double`: the function is rebuilt from this, not looked up by name.
const DOUBLE_PAYLOAD: &[u8] = b"fuseplug_ffi_example.double/1";

/// Calls per codec method, shared by a Python object and every capsule it exported.
#[derive(Debug, Default)]
struct Calls(Mutex<BTreeMap<&'static str, usize>>);

impl Calls {
    fn hit(&self, method: &'static str) {
        if let Ok(mut calls) = self.0.lock() {
            *calls.entry(method).or_default() += 1;
        }
    }

    fn snapshot(&self) -> BTreeMap<String, usize> {
        let calls = self.0.lock().map(|c| c.clone()).unwrap_or_default();
        calls.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }
}

fn encode_double(calls: &Calls, method: &'static str, node: &ScalarUDF, buf: &mut Vec<u8>) {
    calls.hit(method);
    if node.name() == "double" {
        buf.extend_from_slice(DOUBLE_PAYLOAD);
    }
}

fn decode_double(
    calls: &Calls,
    method: &'static str,
    name: &str,
    buf: &[u8],
) -> Result<Arc<ScalarUDF>> {
    calls.hit(method);
    if buf == DOUBLE_PAYLOAD {
        return Ok(Arc::new(double_udf()));
    }
    not_impl_err!("the example codec has no scalar function {name}")
}

#[derive(Debug)]
struct CountingLogical(Arc<Calls>);

impl LogicalExtensionCodec for CountingLogical {
    fn try_decode(
        &self,
        _buf: &[u8],
        _inputs: &[LogicalPlan],
        _ctx: &TaskContext,
    ) -> Result<Extension> {
        self.0.hit("try_decode");
        not_impl_err!("the example codec has no extension nodes")
    }

    fn try_encode(&self, _node: &Extension, _buf: &mut Vec<u8>) -> Result<()> {
        self.0.hit("try_encode");
        not_impl_err!("the example codec has no extension nodes")
    }

    fn try_decode_table_provider(
        &self,
        _buf: &[u8],
        _table_ref: &TableReference,
        _schema: SchemaRef,
        _ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.0.hit("try_decode_table_provider");
        not_impl_err!("the example codec has no tables")
    }

    fn try_encode_table_provider(
        &self,
        _table_ref: &TableReference,
        _node: Arc<dyn TableProvider>,
        _buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.0.hit("try_encode_table_provider");
        not_impl_err!("the example codec has no tables")
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_double(&self.0, "try_decode_udf", name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_double(&self.0, "try_encode_udf", node, buf);
        Ok(())
    }
}

#[derive(Debug)]
struct CountingPhysical(Arc<Calls>);

impl PhysicalExtensionCodec for CountingPhysical {
    fn try_decode(
        &self,
        _buf: &[u8],
        _inputs: &[Arc<dyn ExecutionPlan>],
        _ctx: &TaskContext,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.0.hit("try_decode");
        not_impl_err!("the example codec has no execution plans")
    }

    fn try_encode(
        &self,
        _node: Arc<dyn ExecutionPlan>,
        _buf: &mut Vec<u8>,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.0.hit("try_encode");
        not_impl_err!("the example codec has no execution plans")
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        decode_double(&self.0, "try_decode_udf", name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        encode_double(&self.0, "try_encode_udf", node, buf);
        Ok(())
    }
}

/// A logical codec; `calls` counts what hosts asked of it, per method.
#[pyclass(frozen, module = "fuseplug_ffi_example")]
pub struct CountingLogicalCodec {
    calls: Arc<Calls>,
}

#[pymethods]
impl CountingLogicalCodec {
    #[new]
    fn new() -> Self {
        Self { calls: Arc::default() }
    }

    #[getter]
    fn calls(&self) -> BTreeMap<String, usize> {
        self.calls.snapshot()
    }

    /// The codec, bound to the installing session's task context (how it resolves names).
    fn __datafusion_logical_extension_codec__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let codec = Arc::new(CountingLogical(Arc::clone(&self.calls)));
        let ffi =
            FFI_LogicalExtensionCodec::new(codec, Some(handle()), task_context_provider(session)?);
        PyCapsule::new_with_value(py, ffi, c"datafusion_logical_extension_codec")
    }
}

/// A physical codec; `calls` counts what hosts asked of it, per method.
#[pyclass(frozen, module = "fuseplug_ffi_example")]
pub struct CountingPhysicalCodec {
    calls: Arc<Calls>,
}

#[pymethods]
impl CountingPhysicalCodec {
    #[new]
    fn new() -> Self {
        Self { calls: Arc::default() }
    }

    #[getter]
    fn calls(&self) -> BTreeMap<String, usize> {
        self.calls.snapshot()
    }

    fn __datafusion_physical_extension_codec__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let codec = Arc::new(CountingPhysical(Arc::clone(&self.calls)));
        let ffi =
            FFI_PhysicalExtensionCodec::new(codec, Some(handle()), task_context_provider(session)?);
        PyCapsule::new_with_value(py, ffi, c"datafusion_physical_extension_codec")
    }
}
