//! Python functions as DataFusion scalar, aggregate, window and table functions.
//!
//! Values cross as pyarrow arrays. A Python exception raised inside a function travels through DataFusion
//! as an external error and is re-raised unchanged, traceback included, where the query was started.

use std::hash::{Hash, Hasher};
use std::ops::Range;
use std::sync::Arc;

use arrow::array::{Array, ArrayData, ArrayRef, make_array};
use arrow::datatypes::{DataType, Field, FieldRef};
use arrow::pyarrow::{FromPyArrow, PyArrowType, ToPyArrow};
use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::ScalarValue;
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::{
    Accumulator, ColumnarValue, Expr, PartitionEvaluator, ScalarUDF, Signature, Volatility,
    WindowUDF, WindowUDFImpl, create_udaf, create_udf,
};
use datafusion::logical_expr::{AggregateUDF, TypeSignature};
use fuseplug_capsule::panic::guard;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::errors::{Error, Result, py_to_datafusion};
use crate::expr::{PyExpr, exprs, py_to_scalar, scalar_to_pyarrow};

pub fn parse_volatility(volatility: &str) -> Result<Volatility> {
    match volatility.to_ascii_lowercase().as_str() {
        "immutable" => Ok(Volatility::Immutable),
        "stable" => Ok(Volatility::Stable),
        "volatile" => Ok(Volatility::Volatile),
        other => Err(Error::Value(format!(
            "volatility must be 'immutable', 'stable' or 'volatile', not {other:?}"
        ))),
    }
}

fn types(list: Vec<PyArrowType<DataType>>) -> Vec<DataType> {
    list.into_iter().map(|t| t.0).collect()
}

/// Runs `f` with the GIL, turning a Python exception into a DataFusion error that carries it. Every
/// call into a Python function body goes through here, also when another host calls one of our
/// exported UDFs over FFI, where an escaping panic would abort the process: a panic (including
/// pyo3 re-raising its `PanicException`) becomes an execution error.
fn with_python<T>(f: impl FnOnce(Python<'_>) -> PyResult<T>) -> DFResult<T> {
    guard("a Python function", || Python::attach(f).map_err(py_to_datafusion))
}

fn arrays_to_py<'py>(py: Python<'py>, arrays: &[ArrayRef]) -> PyResult<Vec<Bound<'py, PyAny>>> {
    arrays.iter().map(|a| a.to_data().to_pyarrow(py)).collect()
}

/// Accepts a pyarrow Array (or anything `pyarrow.array` accepts) of the declared type.
fn py_to_array(value: &Bound<'_, PyAny>, expected: &DataType) -> PyResult<ArrayRef> {
    let value = if value.hasattr("__arrow_c_array__")? {
        value.clone()
    } else {
        let pa = value.py().import("pyarrow")?;
        pa.call_method1("array", (value, expected.to_pyarrow(value.py())?))?
    };
    let array = make_array(ArrayData::from_pyarrow_bound(&value)?);
    if array.data_type() == expected {
        return Ok(array);
    }
    // Strict cast: a value that does not convert is an error, never a silent null.
    let options = arrow::compute::CastOptions { safe: false, ..Default::default() };
    arrow::compute::cast_with_options(&array, expected, &options).map_err(|e| {
        pyo3::exceptions::PyTypeError::new_err(format!(
            "function returned {} but declared {expected}: {e}",
            array.data_type()
        ))
    })
}

/// Converts a Python value or pyarrow scalar into a scalar of the declared type.
fn py_to_typed_scalar(value: &Bound<'_, PyAny>, expected: &DataType) -> PyResult<ScalarValue> {
    let scalar = py_to_scalar(value).map_err(PyErr::from)?;
    let scalar =
        if scalar.is_null() { ScalarValue::try_from(expected) } else { scalar.cast_to(expected) };
    scalar.map_err(crate::errors::to_py_err)
}

/// A Python scalar function.
#[pyclass(frozen, name = "ScalarUDF", module = "fuseplug._internal", from_py_object)]
#[derive(Clone)]
pub struct PyScalarUDF {
    pub inner: ScalarUDF,
}

#[pymethods]
impl PyScalarUDF {
    /// Exports this function to another DataFusion host of the same major.
    fn __datafusion_scalar_udf__<'py>(
        &self,
        py: Python<'py>,
    ) -> Result<Bound<'py, pyo3::types::PyCapsule>> {
        let ffi = datafusion_ffi::udf::FFI_ScalarUDF::from(Arc::new(self.inner.clone()));
        Ok(pyo3::types::PyCapsule::new_with_value(py, ffi, c"datafusion_scalar_udf")?)
    }

    /// A plugin's scalar UDF: its capsule, or an object exporting one.
    #[staticmethod]
    fn from_pycapsule(obj: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self { inner: crate::capsule::scalar_udf(obj)? })
    }

    #[new]
    fn new(
        name: &str,
        func: Py<PyAny>,
        input_types: Vec<PyArrowType<DataType>>,
        return_type: PyArrowType<DataType>,
        volatility: &str,
    ) -> Result<Self> {
        let return_type = return_type.0;
        let declared = return_type.clone();
        let call = move |args: &[ColumnarValue]| -> DFResult<ColumnarValue> {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let rows = arrays.first().map_or(1, |a| a.len());
            let result = with_python(|py| {
                let py_args = PyTuple::new(py, arrays_to_py(py, &arrays)?)?;
                let out = func.bind(py).call1(py_args)?;
                py_to_array(&out, &declared)
            })?;
            if result.len() != rows {
                return Err(DataFusionError::Execution(format!(
                    "Python UDF returned {} rows for {rows} input rows",
                    result.len()
                )));
            }
            Ok(ColumnarValue::Array(result))
        };
        let udf = create_udf(
            name,
            types(input_types),
            return_type,
            parse_volatility(volatility)?,
            Arc::new(call),
        );
        Ok(Self { inner: udf })
    }

    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_string()
    }

    #[pyo3(signature = (*args))]
    fn __call__(&self, args: Vec<PyExpr>) -> PyExpr {
        self.inner.call(exprs(args)).into()
    }

    fn __repr__(&self) -> String {
        format!("ScalarUDF({})", self.inner.name())
    }
}

/// Drives a Python `Accumulator` object.
#[derive(Debug)]
struct PythonAccumulator {
    accumulator: Py<PyAny>,
    return_type: DataType,
    state_types: Arc<Vec<DataType>>,
}

impl Accumulator for PythonAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DFResult<()> {
        with_python(|py| {
            let args = PyTuple::new(py, arrays_to_py(py, values)?)?;
            self.accumulator.bind(py).call_method1("update", args)?;
            Ok(())
        })
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DFResult<()> {
        with_python(|py| {
            let states = arrays_to_py(py, states)?;
            self.accumulator.bind(py).call_method1("merge", (states,))?;
            Ok(())
        })
    }

    fn state(&mut self) -> DFResult<Vec<ScalarValue>> {
        with_python(|py| {
            let values = self.accumulator.bind(py).call_method0("state")?;
            let values: Vec<Bound<'_, PyAny>> = values.extract()?;
            if values.len() != self.state_types.len() {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "Accumulator.state() returned {} values but {} state types were declared",
                    values.len(),
                    self.state_types.len()
                )));
            }
            values
                .iter()
                .zip(self.state_types.iter())
                .map(|(v, t)| py_to_typed_scalar(v, t))
                .collect()
        })
    }

    fn evaluate(&mut self) -> DFResult<ScalarValue> {
        with_python(|py| {
            let value = self.accumulator.bind(py).call_method0("evaluate")?;
            py_to_typed_scalar(&value, &self.return_type)
        })
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

/// A Python aggregate function: a factory of `Accumulator` objects.
#[pyclass(frozen, name = "AggregateUDF", module = "fuseplug._internal", from_py_object)]
#[derive(Clone)]
pub struct PyAggregateUDF {
    pub inner: AggregateUDF,
}

#[pymethods]
impl PyAggregateUDF {
    /// Exports this function to another DataFusion host of the same major.
    fn __datafusion_aggregate_udf__<'py>(
        &self,
        py: Python<'py>,
    ) -> Result<Bound<'py, pyo3::types::PyCapsule>> {
        let ffi = datafusion_ffi::udaf::FFI_AggregateUDF::from(Arc::new(self.inner.clone()));
        Ok(pyo3::types::PyCapsule::new_with_value(py, ffi, c"datafusion_aggregate_udf")?)
    }

    /// A plugin's aggregate UDF: its capsule, or an object exporting one.
    #[staticmethod]
    fn from_pycapsule(obj: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self { inner: crate::capsule::aggregate_udf(obj)? })
    }

    #[new]
    fn new(
        name: &str,
        accumulator: Py<PyAny>,
        input_types: Vec<PyArrowType<DataType>>,
        return_type: PyArrowType<DataType>,
        state_types: Vec<PyArrowType<DataType>>,
        volatility: &str,
    ) -> Result<Self> {
        let return_type = return_type.0;
        let state_types = Arc::new(types(state_types));
        let (rt, st) = (return_type.clone(), Arc::clone(&state_types));
        let factory = move |_args: datafusion::logical_expr::function::AccumulatorArgs<'_>| {
            let accumulator = with_python(|py| Ok(accumulator.bind(py).call0()?.unbind()))?;
            Ok(Box::new(PythonAccumulator {
                accumulator,
                return_type: rt.clone(),
                state_types: Arc::clone(&st),
            }) as Box<dyn Accumulator>)
        };
        let udaf = create_udaf(
            name,
            types(input_types),
            Arc::new(return_type),
            parse_volatility(volatility)?,
            Arc::new(factory),
            state_types,
        );
        Ok(Self { inner: udaf })
    }

    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_string()
    }

    #[pyo3(signature = (*args))]
    fn __call__(&self, args: Vec<PyExpr>) -> PyExpr {
        self.inner.call(exprs(args)).into()
    }

    fn __repr__(&self) -> String {
        format!("AggregateUDF({})", self.inner.name())
    }
}

/// Drives a Python `WindowEvaluator` object.
#[derive(Debug)]
struct PythonEvaluator {
    evaluator: Py<PyAny>,
    return_type: DataType,
}

impl PythonEvaluator {
    fn flag(&self, method: &str) -> bool {
        Python::attach(|py| {
            self.evaluator
                .bind(py)
                .call_method0(method)
                .and_then(|v| v.extract::<bool>())
                .unwrap_or(false)
        })
    }
}

impl PartitionEvaluator for PythonEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> DFResult<ArrayRef> {
        with_python(|py| {
            let values = arrays_to_py(py, values)?;
            let out = self.evaluator.bind(py).call_method1("evaluate_all", (values, num_rows))?;
            py_to_array(&out, &self.return_type)
        })
    }

    fn evaluate(&mut self, values: &[ArrayRef], range: &Range<usize>) -> DFResult<ScalarValue> {
        with_python(|py| {
            let values = arrays_to_py(py, values)?;
            let out = self
                .evaluator
                .bind(py)
                .call_method1("evaluate", (values, (range.start, range.end)))?;
            py_to_typed_scalar(&out, &self.return_type)
        })
    }

    fn evaluate_all_with_rank(
        &self,
        num_rows: usize,
        ranks_in_partition: &[Range<usize>],
    ) -> DFResult<ArrayRef> {
        with_python(|py| {
            let ranks: Vec<(usize, usize)> =
                ranks_in_partition.iter().map(|r| (r.start, r.end)).collect();
            let out = self
                .evaluator
                .bind(py)
                .call_method1("evaluate_all_with_rank", (num_rows, ranks))?;
            py_to_array(&out, &self.return_type)
        })
    }

    fn uses_window_frame(&self) -> bool {
        self.flag("uses_window_frame")
    }

    fn include_rank(&self) -> bool {
        self.flag("include_rank")
    }

    fn supports_bounded_execution(&self) -> bool {
        self.flag("supports_bounded_execution")
    }
}

/// A window function backed by a Python factory of `WindowEvaluator` objects.
#[derive(Debug)]
struct PythonWindowUDF {
    name: String,
    factory: Py<PyAny>,
    signature: Signature,
    return_type: DataType,
}

impl PartialEq for PythonWindowUDF {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.factory.as_ptr() == other.factory.as_ptr()
            && self.signature == other.signature
            && self.return_type == other.return_type
    }
}

impl Eq for PythonWindowUDF {}

impl Hash for PythonWindowUDF {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
        (self.factory.as_ptr() as usize).hash(state);
        self.signature.hash(state);
        self.return_type.hash(state);
    }
}

impl WindowUDFImpl for PythonWindowUDF {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn partition_evaluator(
        &self,
        _args: PartitionEvaluatorArgs,
    ) -> DFResult<Box<dyn PartitionEvaluator>> {
        let evaluator = with_python(|py| Ok(self.factory.bind(py).call0()?.unbind()))?;
        Ok(Box::new(PythonEvaluator { evaluator, return_type: self.return_type.clone() }))
    }

    fn field(&self, field_args: WindowUDFFieldArgs) -> DFResult<FieldRef> {
        Ok(Arc::new(Field::new(field_args.name(), self.return_type.clone(), true)))
    }
}

#[pyclass(frozen, name = "WindowUDF", module = "fuseplug._internal", from_py_object)]
#[derive(Clone)]
pub struct PyWindowUDF {
    pub inner: WindowUDF,
}

#[pymethods]
impl PyWindowUDF {
    /// Exports this function to another DataFusion host of the same major.
    fn __datafusion_window_udf__<'py>(
        &self,
        py: Python<'py>,
    ) -> Result<Bound<'py, pyo3::types::PyCapsule>> {
        let ffi = datafusion_ffi::udwf::FFI_WindowUDF::from(Arc::new(self.inner.clone()));
        Ok(pyo3::types::PyCapsule::new_with_value(py, ffi, c"datafusion_window_udf")?)
    }

    /// A plugin's window UDF: its capsule, or an object exporting one.
    #[staticmethod]
    fn from_pycapsule(obj: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(Self { inner: crate::capsule::window_udf(obj)? })
    }

    #[new]
    fn new(
        name: &str,
        evaluator: Py<PyAny>,
        input_types: Vec<PyArrowType<DataType>>,
        return_type: PyArrowType<DataType>,
        volatility: &str,
    ) -> Result<Self> {
        let signature =
            Signature::new(TypeSignature::Exact(types(input_types)), parse_volatility(volatility)?);
        let udwf = PythonWindowUDF {
            name: name.to_string(),
            factory: evaluator,
            signature,
            return_type: return_type.0,
        };
        Ok(Self { inner: WindowUDF::new_from_impl(udwf) })
    }

    #[getter]
    fn name(&self) -> String {
        self.inner.name().to_string()
    }

    #[pyo3(signature = (*args))]
    fn __call__(&self, args: Vec<PyExpr>) -> PyExpr {
        self.inner.call(exprs(args)).into()
    }

    fn __repr__(&self) -> String {
        format!("WindowUDF({})", self.inner.name())
    }
}

/// A Python callable that returns a table: a fuseplug DataFrame or any Arrow stream / array object.
#[derive(Debug)]
struct PythonTableFunction {
    func: Py<PyAny>,
    /// Turns the callable's result into a table provider (see `fuseplug.udf`).
    to_provider: Py<PyAny>,
}

impl TableFunctionImpl for PythonTableFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DFResult<Arc<dyn TableProvider>> {
        with_python(|py| {
            let mut values = Vec::with_capacity(args.exprs().len());
            for expr in args.exprs() {
                values.push(match expr {
                    Expr::Literal(scalar, _) => {
                        scalar_to_pyarrow(py, scalar).map_err(PyErr::from)?.call_method0("as_py")?
                    }
                    other => PyExpr::from(other.clone()).into_pyobject(py)?.into_any(),
                });
            }
            let result = self.func.bind(py).call1(PyTuple::new(py, values)?)?;
            let table = self.to_provider.bind(py).call1((result,))?;
            let table: crate::catalog::PyTable = table.extract()?;
            Ok(table.inner)
        })
    }
}

#[pyclass(frozen, name = "TableFunction", module = "fuseplug._internal", from_py_object)]
#[derive(Clone)]
pub struct PyTableFunction {
    pub name: String,
    pub inner: Arc<dyn TableFunctionImpl>,
}

#[pymethods]
impl PyTableFunction {
    #[new]
    fn new(name: &str, func: Py<PyAny>, to_provider: Py<PyAny>) -> Self {
        Self { name: name.to_string(), inner: Arc::new(PythonTableFunction { func, to_provider }) }
    }

    #[getter]
    fn name(&self) -> String {
        self.name.clone()
    }

    fn __repr__(&self) -> String {
        format!("TableFunction({})", self.name)
    }
}
