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
use datafusion::logical_expr::function::{
    AccumulatorArgs, PartitionEvaluatorArgs, StateFieldsArgs, WindowUDFFieldArgs,
};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, ColumnarValue, PartitionEvaluator,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, WindowUDF, WindowUDFImpl,
};
use fuseplug_capsule::panic::guard;
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::errors::{Error, Result, py_to_datafusion};
use crate::expr::{PyExpr, exprs, py_to_scalar};

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

/// The name `parse_volatility` reads back.
pub fn volatility_name(volatility: Volatility) -> &'static str {
    match volatility {
        Volatility::Immutable => "immutable",
        Volatility::Stable => "stable",
        Volatility::Volatile => "volatile",
    }
}

/// A Python object compared and hashed by identity, so that function definitions holding one can
/// be `Eq + Hash` as DataFusion requires.
#[derive(Debug)]
pub struct PyIdentity(pub Py<PyAny>);

impl PartialEq for PyIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_ptr() == other.0.as_ptr()
    }
}

impl Eq for PyIdentity {}

impl Hash for PyIdentity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.0.as_ptr() as usize).hash(state);
    }
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

/// As [`arrays_to_py`], each array exported with its field, so that field metadata reaches
/// pyarrow: an extension type (e.g. `arrow.uuid`) arrives as its pyarrow extension array.
fn fields_arrays_to_py<'py>(
    py: Python<'py>,
    arrays: &[ArrayRef],
    fields: &[FieldRef],
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    arrays
        .iter()
        .enumerate()
        .map(|(i, array)| match fields.get(i) {
            Some(field) if !field.metadata().is_empty() => array_with_field_to_py(py, array, field),
            _ => array.to_data().to_pyarrow(py),
        })
        .collect()
}

fn array_with_field_to_py<'py>(
    py: Python<'py>,
    array: &ArrayRef,
    field: &Field,
) -> PyResult<Bound<'py, PyAny>> {
    use arrow::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
    let field = field.clone().with_data_type(array.data_type().clone());
    let schema =
        FFI_ArrowSchema::try_from(&field).map_err(|e| crate::errors::to_py_err(e.into()))?;
    let ffi_array = FFI_ArrowArray::new(&array.to_data());
    let class = py.import("pyarrow")?.getattr("Array")?;
    // pyarrow moves both structs out (leaving released shells that drop as no-ops)
    class.call_method1(
        "_import_from_c",
        (std::ptr::addr_of!(ffi_array) as usize, std::ptr::addr_of!(schema) as usize),
    )
}

/// Accepts a pyarrow Array (or anything `pyarrow.array` accepts) of the declared type.
fn py_to_array(value: &Bound<'_, PyAny>, expected: &DataType) -> PyResult<ArrayRef> {
    let value = if value.hasattr("__arrow_c_array__")? {
        value.clone()
    } else if value.is_none() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "function returned None; it must return an array of {expected} (one value per row)"
        )));
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

/// Converts a Python value or pyarrow scalar into a scalar of the declared type. For a list type, a
/// pyarrow array (or any `__arrow_c_array__` exporter) is the list's elements.
fn py_to_typed_scalar(value: &Bound<'_, PyAny>, expected: &DataType) -> PyResult<ScalarValue> {
    if let DataType::List(field) | DataType::LargeList(field) = expected
        && value.hasattr("__arrow_c_array__")?
    {
        let elements = make_array(ArrayData::from_pyarrow_bound(value)?);
        let list = datafusion::common::utils::SingleRowListArrayBuilder::new(elements)
            .with_nullable(field.is_nullable())
            .build_list_scalar();
        return list.cast_to(expected).map_err(crate::errors::to_py_err);
    }
    let scalar = py_to_scalar(value).map_err(PyErr::from)?;
    let scalar =
        if scalar.is_null() { ScalarValue::try_from(expected) } else { scalar.cast_to(expected) };
    scalar.map_err(crate::errors::to_py_err)
}

/// A scalar function whose body is a Python callable: arrays in, one array out. Its argument and
/// return fields carry nullability and metadata (an extension type is metadata on its storage
/// type). Its parts are kept so that a plan codec can send the function inline (`crate::serialize`).
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PythonScalarUDF {
    pub name: String,
    pub func: PyIdentity,
    pub input_fields: Vec<FieldRef>,
    pub return_field: FieldRef,
    pub signature: Signature,
}

impl PythonScalarUDF {
    pub fn new(
        name: String,
        func: Py<PyAny>,
        input_fields: Vec<FieldRef>,
        return_field: FieldRef,
        volatility: Volatility,
    ) -> Self {
        let types = input_fields.iter().map(|f| f.data_type().clone()).collect();
        let signature = Signature::exact(types, volatility);
        Self { name, func: PyIdentity(func), input_fields, return_field, signature }
    }
}

impl ScalarUDFImpl for PythonScalarUDF {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DFResult<DataType> {
        Ok(self.return_field.data_type().clone())
    }

    fn return_field_from_args(
        &self,
        _args: datafusion::logical_expr::ReturnFieldArgs,
    ) -> DFResult<FieldRef> {
        Ok(Arc::clone(&self.return_field))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DFResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let rows = arrays.first().map_or(1, |a| a.len());
        let result = with_python(|py| {
            let py_args = PyTuple::new(py, fields_arrays_to_py(py, &arrays, &args.arg_fields)?)?;
            let out = self.func.0.bind(py).call1(py_args)?;
            py_to_array(&out, self.return_field.data_type())
        })?;
        if result.len() != rows {
            return Err(DataFusionError::Execution(format!(
                "Python UDF returned {} rows for {rows} input rows",
                result.len()
            )));
        }
        Ok(ColumnarValue::Array(result))
    }
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
        input_fields: Vec<PyArrowType<Field>>,
        return_field: PyArrowType<Field>,
        volatility: &str,
    ) -> Result<Self> {
        let definition = PythonScalarUDF::new(
            name.to_string(),
            func,
            input_fields.into_iter().map(|f| Arc::new(f.0)).collect(),
            Arc::new(return_field.0),
            parse_volatility(volatility)?,
        );
        Ok(Self { inner: ScalarUDF::new_from_impl(definition) })
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

/// An aggregate function whose groups are Python `Accumulator` objects made by `factory`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PythonAggregateUDF {
    pub name: String,
    pub factory: PyIdentity,
    pub input_types: Vec<DataType>,
    pub return_type: DataType,
    pub state_types: Arc<Vec<DataType>>,
    pub signature: Signature,
}

impl PythonAggregateUDF {
    pub fn new(
        name: String,
        factory: Py<PyAny>,
        input_types: Vec<DataType>,
        return_type: DataType,
        state_types: Vec<DataType>,
        volatility: Volatility,
    ) -> Self {
        let signature = Signature::exact(input_types.clone(), volatility);
        let state_types = Arc::new(state_types);
        Self {
            name,
            factory: PyIdentity(factory),
            input_types,
            return_type,
            state_types,
            signature,
        }
    }
}

impl AggregateUDFImpl for PythonAggregateUDF {
    fn name(&self) -> &str {
        &self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> DFResult<DataType> {
        Ok(self.return_type.clone())
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> DFResult<Box<dyn Accumulator>> {
        let accumulator = with_python(|py| Ok(self.factory.0.bind(py).call0()?.unbind()))?;
        Ok(Box::new(PythonAccumulator {
            accumulator,
            return_type: self.return_type.clone(),
            state_types: Arc::clone(&self.state_types),
        }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> DFResult<Vec<FieldRef>> {
        Ok(self
            .state_types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                Arc::new(Field::new(
                    format_state_name(args.name, &format!("state_{i}")),
                    t.clone(),
                    true,
                ))
            })
            .collect())
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
        let definition = PythonAggregateUDF::new(
            name.to_string(),
            accumulator,
            types(input_types),
            return_type.0,
            types(state_types),
            parse_volatility(volatility)?,
        );
        Ok(Self { inner: AggregateUDF::new_from_impl(definition) })
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

/// `array` when it has one value per row of the partition, else an execution error naming `method`.
fn rows_of_partition(array: ArrayRef, num_rows: usize, method: &str) -> DFResult<ArrayRef> {
    if array.len() != num_rows {
        return Err(DataFusionError::Execution(format!(
            "window UDF {method} returned {} rows for a partition of {num_rows} rows",
            array.len()
        )));
    }
    Ok(array)
}

impl PartitionEvaluator for PythonEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> DFResult<ArrayRef> {
        with_python(|py| {
            let values = arrays_to_py(py, values)?;
            let out = self.evaluator.bind(py).call_method1("evaluate_all", (values, num_rows))?;
            py_to_array(&out, &self.return_type)
        })
        .and_then(|array| rows_of_partition(array, num_rows, "evaluate_all"))
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
        .and_then(|array| rows_of_partition(array, num_rows, "evaluate_all_with_rank"))
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

    fn is_causal(&self) -> bool {
        self.flag("is_causal")
    }

    fn memoize(
        &mut self,
        _state: &mut datafusion::logical_expr::window_state::WindowAggState,
    ) -> DFResult<()> {
        with_python(|py| {
            self.evaluator.bind(py).call_method0("memoize")?;
            Ok(())
        })
    }

    fn get_range(&self, idx: usize, n_rows: usize) -> DFResult<Range<usize>> {
        with_python(|py| {
            let (start, end): (usize, usize) =
                self.evaluator.bind(py).call_method1("get_range", (idx, n_rows))?.extract()?;
            if start > end || end > n_rows {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "get_range({idx}, {n_rows}) returned ({start}, {end}), not a range of the partition"
                )));
            }
            Ok(start..end)
        })
    }
}

/// A window function backed by a Python factory of `WindowEvaluator` objects.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct PythonWindowUDF {
    pub name: String,
    pub factory: PyIdentity,
    pub input_types: Vec<DataType>,
    pub return_type: DataType,
    pub signature: Signature,
}

impl PythonWindowUDF {
    pub fn new(
        name: String,
        factory: Py<PyAny>,
        input_types: Vec<DataType>,
        return_type: DataType,
        volatility: Volatility,
    ) -> Self {
        let signature = Signature::exact(input_types.clone(), volatility);
        Self { name, factory: PyIdentity(factory), input_types, return_type, signature }
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
        let evaluator = with_python(|py| Ok(self.factory.0.bind(py).call0()?.unbind()))?;
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
        let definition = PythonWindowUDF::new(
            name.to_string(),
            evaluator,
            types(input_types),
            return_type.0,
            parse_volatility(volatility)?,
        );
        Ok(Self { inner: WindowUDF::new_from_impl(definition) })
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
/// It gets the call's arguments as expressions (simplified by the planner: `1 + 2` arrives as the
/// literal `3`) and, when registered `with_session`, the calling session as keyword `session`.
#[derive(Debug)]
struct PythonTableFunction {
    func: Py<PyAny>,
    /// Turns the callable's result into a table provider (see `fuseplug.udf`).
    to_provider: Py<PyAny>,
    with_session: bool,
}

impl TableFunctionImpl for PythonTableFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DFResult<Arc<dyn TableProvider>> {
        let session = match self.with_session {
            true => Some(calling_session(&args)?),
            false => None,
        };
        with_python(|py| {
            let exprs = args
                .exprs()
                .iter()
                .map(|e| Ok(PyExpr::from(e.clone()).into_pyobject(py)?.into_any()))
                .collect::<PyResult<Vec<_>>>()?;
            let kwargs = match session {
                Some(session) => {
                    let kwargs = pyo3::types::PyDict::new(py);
                    kwargs.set_item("session", session)?;
                    Some(kwargs)
                }
                None => None,
            };
            let result = self.func.bind(py).call(PyTuple::new(py, exprs)?, kwargs.as_ref())?;
            let table = self.to_provider.bind(py).call1((result,))?;
            let table: crate::catalog::PyTable = table.extract()?;
            Ok(table.inner)
        })
    }
}

/// The session a table function is called in, as a compiled `SessionContext`: it shares the
/// caller's catalogs (tables registered through it are visible to the caller) but holds a copy of
/// the configuration.
fn calling_session(args: &TableFunctionArgs) -> DFResult<crate::context::PySessionContext> {
    use datafusion::execution::SessionState;
    let Some(state) = args.session().as_any().downcast_ref::<SessionState>() else {
        return Err(DataFusionError::Plan(
            "a table function registered with_session=True was called outside a DataFusion \
             SessionState"
                .to_string(),
        ));
    };
    let ctx = datafusion::prelude::SessionContext::new_with_state(state.clone());
    Ok(crate::context::PySessionContext::from_context(ctx))
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
    #[pyo3(signature = (name, func, to_provider, with_session = false))]
    fn new(name: &str, func: Py<PyAny>, to_provider: Py<PyAny>, with_session: bool) -> Self {
        let inner = PythonTableFunction { func, to_provider, with_session };
        Self { name: name.to_string(), inner: Arc::new(inner) }
    }

    #[getter]
    fn name(&self) -> String {
        self.name.clone()
    }

    fn __repr__(&self) -> String {
        format!("TableFunction({})", self.name)
    }
}
