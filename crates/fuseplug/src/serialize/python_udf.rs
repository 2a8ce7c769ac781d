//! Python scalar, aggregate and window UDFs inline: the definition (name, callable, argument and
//! return types, state types, volatility) cloudpickled into a frame that records the sender's
//! Python version. Decoding checks every field of the frame before it runs any code.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, FieldRef};
use arrow::pyarrow::{FromPyArrow, ToPyArrow};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{AggregateUDF, ScalarUDF, Signature, WindowUDF};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};

use super::Env;
use super::frame::{self, Kind, PyVersion};
use crate::udf::{
    PythonAggregateUDF, PythonScalarUDF, PythonWindowUDF, parse_volatility, volatility_name,
};

/// How the opt-out reads in error messages.
pub const STRICT_OPTION: &str = "SessionContext.with_python_udf_inlining(enabled=False)";

fn running_python(py: Python<'_>) -> PyVersion {
    let version = py.version_info();
    (version.major, version.minor)
}

fn volatility(signature: &Signature) -> &'static str {
    volatility_name(signature.volatility)
}

fn pyarrow_types<'py>(py: Python<'py>, types: &[DataType]) -> PyResult<Vec<Bound<'py, PyAny>>> {
    types.iter().map(|t| t.to_pyarrow(py)).collect()
}

fn cloudpickle<'py>(py: Python<'py>, env: &Env, action: &str) -> Result<Bound<'py, PyModule>> {
    py.import("cloudpickle").map_err(|e| {
        env.fail(
            format!("{action} needs the cloudpickle package, which is not installed: pip install cloudpickle"),
            Some(e),
        )
    })
}

/// A UDF's argument and return types: plain types, or (scalar UDFs) fields, which keep nullability
/// and metadata.
enum Types<'a> {
    Plain(&'a [DataType], &'a DataType),
    Fields(&'a [FieldRef], &'a FieldRef),
}

impl Types<'_> {
    fn to_pyarrow<'py>(&self, py: Python<'py>) -> PyResult<[Bound<'py, PyAny>; 2]> {
        Ok(match self {
            Types::Plain(inputs, output) => {
                [pyarrow_types(py, inputs)?.into_pyobject(py)?.into_any(), output.to_pyarrow(py)?]
            }
            Types::Fields(inputs, output) => {
                let inputs = inputs
                    .iter()
                    .map(|f| f.as_ref().to_pyarrow(py))
                    .collect::<PyResult<Vec<_>>>()?;
                [inputs.into_pyobject(py)?.into_any(), output.as_ref().to_pyarrow(py)?]
            }
        })
    }
}

/// What a Python UDF's frame holds. It is pickled as the tuple `(name, callable, input types,
/// return type, [state types,] volatility)`; only aggregates have state types, and a scalar UDF's
/// types are pyarrow fields.
struct Definition<'a> {
    kind: Kind,
    name: &'a str,
    callable: &'a Py<PyAny>,
    types: Types<'a>,
    state_types: Option<&'a [DataType]>,
    signature: &'a Signature,
}

impl Definition<'_> {
    fn to_tuple<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let [inputs, output] = self.types.to_pyarrow(py)?;
        let mut items: Vec<Bound<'py, PyAny>> = vec![
            self.name.into_pyobject(py)?.into_any(),
            self.callable.bind(py).clone(),
            inputs,
            output,
        ];
        if let Some(state_types) = self.state_types {
            items.push(pyarrow_types(py, state_types)?.into_pyobject(py)?.into_any());
        }
        items.push(volatility(self.signature).into_pyobject(py)?.into_any());
        PyTuple::new(py, items)
    }

    /// Writes the definition, cloudpickled, as a frame of its kind.
    fn write(&self, env: &Env, buf: &mut Vec<u8>) -> Result<()> {
        let (kind, name) = (self.kind, self.name);
        Python::attach(|py| {
            let action = format!("sending {kind} {name:?} inline");
            let cloudpickle = cloudpickle(py, env, &action)?;
            let pickled = self
                .to_tuple(py)
                .and_then(|d| cloudpickle.call_method1("dumps", (d,)))
                .and_then(|b| Ok(b.cast_into::<PyBytes>()?))
                .map_err(|e| {
                    env.fail(format!("{action}: cloudpickle could not serialize it"), Some(e))
                })?;
            frame::open(kind, Some(running_python(py)), buf);
            buf.extend_from_slice(pickled.as_bytes());
            Ok(())
        })
    }
}

pub fn encode_scalar(env: &Env, udf: &PythonScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
    let definition = Definition {
        kind: Kind::PythonScalar,
        name: &udf.name,
        callable: &udf.func.0,
        types: Types::Fields(&udf.input_fields, &udf.return_field),
        state_types: None,
        signature: &udf.signature,
    };
    definition.write(env, buf)
}

pub fn encode_aggregate(env: &Env, udf: &PythonAggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
    let definition = Definition {
        kind: Kind::PythonAggregate,
        name: &udf.name,
        callable: &udf.factory.0,
        types: Types::Plain(&udf.input_types, &udf.return_type),
        state_types: Some(&udf.state_types),
        signature: &udf.signature,
    };
    definition.write(env, buf)
}

pub fn encode_window(env: &Env, udf: &PythonWindowUDF, buf: &mut Vec<u8>) -> Result<()> {
    let definition = Definition {
        kind: Kind::PythonWindow,
        name: &udf.name,
        callable: &udf.factory.0,
        types: Types::Plain(&udf.input_types, &udf.return_type),
        state_types: None,
        signature: &udf.signature,
    };
    definition.write(env, buf)
}

/// The fields of a decoded definition, by position.
struct Fields<'py> {
    items: Vec<Bound<'py, PyAny>>,
    kind: Kind,
}

impl<'py> Fields<'py> {
    fn bad(&self, env: &Env, what: &str) -> DataFusionError {
        env.fail(format!("{} payload is malformed: {what}", self.kind), None)
    }

    fn string(&self, env: &Env, i: usize) -> Result<String> {
        self.items[i]
            .extract::<String>()
            .map_err(|_| self.bad(env, &format!("field {i} is not a string")))
    }

    fn callable(&self, env: &Env, i: usize) -> Result<Py<PyAny>> {
        let value = &self.items[i];
        if !value.is_callable() {
            return Err(self.bad(env, &format!("field {i} is not callable")));
        }
        Ok(value.clone().unbind())
    }

    fn data_type(&self, env: &Env, i: usize) -> Result<DataType> {
        DataType::from_pyarrow_bound(&self.items[i])
            .map_err(|_| self.bad(env, &format!("field {i} is not a pyarrow DataType")))
    }

    /// A pyarrow Field, or a DataType as a nullable field named `value`.
    fn field_of(&self, env: &Env, i: usize, value: &Bound<'py, PyAny>) -> Result<FieldRef> {
        if let Ok(field) = Field::from_pyarrow_bound(value) {
            return Ok(Arc::new(field));
        }
        DataType::from_pyarrow_bound(value)
            .map(|t| Arc::new(Field::new("value", t, true)))
            .map_err(|_| self.bad(env, &format!("field {i} is not a pyarrow Field or DataType")))
    }

    fn field(&self, env: &Env, i: usize) -> Result<FieldRef> {
        self.field_of(env, i, &self.items[i])
    }

    fn fields(&self, env: &Env, i: usize) -> Result<Vec<FieldRef>> {
        let list: Vec<Bound<'py, PyAny>> = self.items[i]
            .extract()
            .map_err(|_| self.bad(env, &format!("field {i} is not a list")))?;
        list.iter().map(|f| self.field_of(env, i, f)).collect()
    }

    fn data_types(&self, env: &Env, i: usize) -> Result<Vec<DataType>> {
        let list: Vec<Bound<'py, PyAny>> = self.items[i]
            .extract()
            .map_err(|_| self.bad(env, &format!("field {i} is not a list")))?;
        list.iter()
            .map(|t| {
                DataType::from_pyarrow_bound(t)
                    .map_err(|_| self.bad(env, &format!("field {i} holds a non-DataType")))
            })
            .collect()
    }

    fn volatility(&self, env: &Env, i: usize) -> Result<datafusion::logical_expr::Volatility> {
        let name = self.string(env, i)?;
        parse_volatility(&name).map_err(|_| self.bad(env, &format!("unknown volatility {name:?}")))
    }
}

/// Checks a Python frame of `kind` in `buf` and unpickles its definition tuple of `arity` fields.
fn read<'py>(
    py: Python<'py>,
    env: &Env,
    kind: Kind,
    name: &str,
    buf: &[u8],
    arity: usize,
) -> Result<Fields<'py>> {
    let opened = frame::read(kind, buf).map_err(|e| env.fail(e.to_string(), None))?;
    if !env.inline_python {
        return Err(env.fail(
            format!(
                "Refusing to deserialize {kind} {name:?}: Python UDF inlining is disabled on this \
                 session ({STRICT_OPTION}), which never runs inline Python; register {name:?} on \
                 the decoding session and encode with inlining off so that it travels by name"
            ),
            None,
        ));
    }
    let sent = opened.python.unwrap_or_default();
    let here = running_python(py);
    if sent != here {
        return Err(env.fail(
            format!(
                "{kind} {name:?} was pickled by Python {}.{} but this is Python {}.{}: cloudpickle \
                 payloads are not portable across Python minor versions; run the same Python on \
                 both sides",
                sent.0, sent.1, here.0, here.1
            ),
            None,
        ));
    }
    let cloudpickle = cloudpickle(py, env, &format!("decoding {kind} {name:?}"))?;
    let value =
        cloudpickle.call_method1("loads", (PyBytes::new(py, opened.payload),)).map_err(|e| {
            env.fail(
                format!("{kind} {name:?} could not be unpickled (corrupt or hostile bytes?)"),
                Some(e),
            )
        })?;
    let items: Vec<Bound<'py, PyAny>> = value
        .cast::<PyTuple>()
        .map(|t| t.iter().collect())
        .map_err(|_| env.fail(format!("{kind} payload is malformed: not a tuple"), None))?;
    if items.len() != arity {
        return Err(env.fail(
            format!("{kind} payload is malformed: {} fields, expected {arity}", items.len()),
            None,
        ));
    }
    let fields = Fields { items, kind };
    let sent_name = fields.string(env, 0)?;
    if sent_name != name {
        return Err(
            fields.bad(env, &format!("it defines {sent_name:?}, but the plan calls {name:?}"))
        );
    }
    Ok(fields)
}

pub fn decode_scalar(env: &Env, name: &str, buf: &[u8]) -> Result<ScalarUDF> {
    Python::attach(|py| {
        let f = read(py, env, Kind::PythonScalar, name, buf, 5)?;
        let udf = PythonScalarUDF::new(
            name.to_string(),
            f.callable(env, 1)?,
            f.fields(env, 2)?,
            f.field(env, 3)?,
            f.volatility(env, 4)?,
        );
        Ok(ScalarUDF::new_from_impl(udf))
    })
}

pub fn decode_aggregate(env: &Env, name: &str, buf: &[u8]) -> Result<AggregateUDF> {
    Python::attach(|py| {
        let f = read(py, env, Kind::PythonAggregate, name, buf, 6)?;
        let udf = PythonAggregateUDF::new(
            name.to_string(),
            f.callable(env, 1)?,
            f.data_types(env, 2)?,
            f.data_type(env, 3)?,
            f.data_types(env, 4)?,
            f.volatility(env, 5)?,
        );
        Ok(AggregateUDF::new_from_impl(udf))
    })
}

pub fn decode_window(env: &Env, name: &str, buf: &[u8]) -> Result<WindowUDF> {
    Python::attach(|py| {
        let f = read(py, env, Kind::PythonWindow, name, buf, 5)?;
        let udf = PythonWindowUDF::new(
            name.to_string(),
            f.callable(env, 1)?,
            f.data_types(env, 2)?,
            f.data_type(env, 3)?,
            f.volatility(env, 4)?,
        );
        Ok(WindowUDF::new_from_impl(udf))
    })
}
