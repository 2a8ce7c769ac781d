//! Substrait plans (`fuseplug.substrait`): a logical plan to and from the cross-engine Substrait
//! format, as protobuf bytes or as JSON, on the `datafusion-substrait` crate.
//!
//! Bytes and JSON that do not decode, and plans the consumer finds malformed, reach Python as
//! `fuseplug.exceptions.SerializationError`; a plan over a table the session lacks is a
//! `PlanError`, and a construct DataFusion does not implement a `NotSupportedError`.

use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use datafusion_substrait::logical_plan::{consumer, producer};
use datafusion_substrait::serializer;
use datafusion_substrait::substrait::proto::Plan;
use fuseplug_capsule::panic::panic_message;
use fuseplug_capsule::runtime::wait_for_future;
use futures::FutureExt;
use prost::Message;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::Result;
use crate::plan::{PyLogicalPlan, session_of};
use crate::sql;

/// A Substrait plan: the protobuf message, decoded.
#[pyclass(frozen, name = "SubstraitPlan", module = "fuseplug._internal", skip_from_py_object)]
#[derive(Clone, Debug)]
pub struct PySubstraitPlan {
    pub inner: Plan,
}

impl From<Plan> for PySubstraitPlan {
    fn from(inner: Plan) -> Self {
        Self { inner }
    }
}

/// The session of a `fuseplug.SessionContext` (or of the `_internal` one it wraps).
fn session(ctx: &Bound<'_, PyAny>) -> Result<Arc<SessionContext>> {
    Ok(Arc::clone(&session_of(ctx)?.get().ctx))
}

/// A panic inside the Substrait crate (a plan that decodes but breaks one of its assumptions)
/// becomes a Substrait error, like the malformed plans it does catch.
fn substrait_panic(what: &str, payload: &(dyn std::any::Any + Send)) -> DataFusionError {
    DataFusionError::Substrait(format!("{what} failed: {}", panic_message(payload)))
}

fn produce(plan: &datafusion::logical_expr::LogicalPlan, ctx: &SessionContext) -> Result<Plan> {
    let state = ctx.state();
    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        producer::to_substrait_plan(plan, &state)
    }))
    .unwrap_or_else(|payload| Err(substrait_panic("producing a Substrait plan", &*payload)))?;
    Ok(*made)
}

#[pymethods]
impl PySubstraitPlan {
    /// The plan as Substrait protobuf bytes.
    fn encode<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.encode_to_vec())
    }

    /// A plan from Substrait protobuf bytes.
    #[staticmethod]
    fn decode(data: &[u8]) -> Result<Self> {
        Ok((*serializer::deserialize_bytes(data)?).into())
    }

    /// The plan in Substrait's canonical JSON form.
    fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(&self.inner).map_err(|e| {
            DataFusionError::Substrait(format!("cannot write the plan as JSON: {e}")).into()
        })
    }

    /// A plan from Substrait's JSON form.
    #[staticmethod]
    fn from_json(json: &str) -> Result<Self> {
        let plan: Plan = serde_json::from_str(json).map_err(|e| {
            DataFusionError::Substrait(format!("cannot read a Substrait plan from JSON: {e}"))
        })?;
        Ok(plan.into())
    }

    /// Plans `sql` on `ctx` and converts its optimized logical plan to Substrait.
    #[staticmethod]
    fn from_sql(py: Python<'_>, sql: &str, ctx: &Bound<'_, PyAny>) -> Result<Self> {
        let ctx = session(ctx)?;
        let df = sql::plan(py, &ctx, sql, None, Default::default(), Default::default())?;
        let plan = df.into_optimized_plan()?;
        Ok(produce(&plan, &ctx)?.into())
    }

    /// Converts a DataFusion logical plan to Substrait, resolving functions against `ctx`.
    #[staticmethod]
    fn from_logical_plan(plan: &PyLogicalPlan, ctx: &Bound<'_, PyAny>) -> Result<Self> {
        let ctx = session(ctx)?;
        Ok(produce(&plan.inner, &ctx)?.into())
    }

    /// The DataFusion logical plan this Substrait plan describes, with its tables and functions
    /// resolved against `ctx`.
    fn to_logical_plan(&self, py: Python<'_>, ctx: &Bound<'_, PyAny>) -> Result<PyLogicalPlan> {
        let state = session(ctx)?.state();
        let plan = &self.inner;
        let consumed = wait_for_future(py, async move {
            std::panic::AssertUnwindSafe(consumer::from_substrait_plan(&state, plan))
                .catch_unwind()
                .await
                .unwrap_or_else(|payload| {
                    Err(substrait_panic("consuming a Substrait plan", &*payload))
                })
        })??;
        Ok(consumed.into())
    }

    fn __repr__(&self) -> String {
        format!("SubstraitPlan(relations={})", self.inner.relations.len())
    }
}
