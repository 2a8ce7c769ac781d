//! `Expr`, `SortExpr`, the CASE builder, window frames and the aggregate / window modifier builder.

use arrow::array::{ArrayData, make_array};
use arrow::datatypes::DataType;
use arrow::pyarrow::{FromPyArrow, PyArrowType, ToPyArrow};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::expr::{Like, NullTreatment, WindowFunction};
use datafusion::logical_expr::{
    Between, BinaryExpr, Expr, ExprFuncBuilder, ExprFunctionExt, Operator, SortExpr, WindowFrame,
    WindowFrameBound, WindowFrameUnits, WindowFunctionDefinition, cast, lit, try_cast,
};
use datafusion::prelude::{col, ident};
use pyo3::basic::CompareOp;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyFloat, PyInt, PyString};

use crate::errors::{Error, Result};

#[pyclass(frozen, name = "Expr", module = "fuseplug._internal", from_py_object)]
#[derive(Clone, Debug)]
pub struct PyExpr {
    pub inner: Expr,
}

impl From<Expr> for PyExpr {
    fn from(inner: Expr) -> Self {
        Self { inner }
    }
}

impl From<PyExpr> for Expr {
    fn from(expr: PyExpr) -> Self {
        expr.inner
    }
}

/// Unwraps a list of Python expressions.
pub fn exprs(list: Vec<PyExpr>) -> Vec<Expr> {
    list.into_iter().map(Expr::from).collect()
}

/// Unwraps a list of Python sort expressions.
pub fn sort_exprs(list: Vec<PySortExpr>) -> Vec<SortExpr> {
    list.into_iter().map(|s| s.inner).collect()
}

/// Converts a Python value (None, bool, int, float, str, bytes, or anything pyarrow can turn into an
/// array element, including pyarrow scalars, dates, datetimes and decimals) into a DataFusion scalar.
pub fn py_to_scalar(value: &Bound<'_, PyAny>) -> Result<ScalarValue> {
    if value.is_none() {
        return Ok(ScalarValue::Null);
    }
    if value.is_instance_of::<PyBool>() {
        return Ok(ScalarValue::Boolean(Some(value.extract()?)));
    }
    if value.is_instance_of::<PyInt>() {
        if let Ok(v) = value.extract::<i64>() {
            return Ok(ScalarValue::Int64(Some(v)));
        }
        if let Ok(v) = value.extract::<u64>() {
            return Ok(ScalarValue::UInt64(Some(v)));
        }
        return Err(Error::Value(format!("integer literal out of the 64-bit range: {value}")));
    }
    if value.is_instance_of::<PyFloat>() {
        return Ok(ScalarValue::Float64(Some(value.extract()?)));
    }
    if value.is_instance_of::<PyString>() {
        return Ok(ScalarValue::Utf8(Some(value.extract()?)));
    }
    if value.is_instance_of::<PyBytes>() {
        return Ok(ScalarValue::Binary(Some(value.extract()?)));
    }
    let py = value.py();
    let pa = py.import("pyarrow")?;
    let array = if value.is_instance(&pa.getattr("Scalar")?)? {
        pa.call_method1("array", ((value.call_method0("as_py")?,), value.getattr("type")?))?
    } else {
        pa.call_method1("array", ((value,),)).map_err(|_| {
            Error::Type(format!(
                "cannot use a value of type {} as a literal",
                value.get_type().name().map(|n| n.to_string()).unwrap_or_default()
            ))
        })?
    };
    let data = ArrayData::from_pyarrow_bound(&array)?;
    Ok(ScalarValue::try_from_array(&make_array(data), 0)?)
}

/// The scalar of a literal: a Python str is `Utf8View`, as in the official bindings (whose `lit`
/// makes a `pa.string_view()` scalar of it); `Expr.string_literal` makes a `Utf8` one.
fn literal_scalar(value: &Bound<'_, PyAny>) -> Result<ScalarValue> {
    if value.is_instance_of::<PyString>() {
        return Ok(ScalarValue::Utf8View(Some(value.extract()?)));
    }
    py_to_scalar(value)
}

/// Converts a DataFusion scalar into a pyarrow scalar.
pub fn scalar_to_pyarrow<'py>(py: Python<'py>, value: &ScalarValue) -> Result<Bound<'py, PyAny>> {
    let array = value.to_array()?;
    let py_array = array.to_data().to_pyarrow(py)?;
    Ok(py_array.get_item(0)?)
}

fn parse_units(units: &str) -> Result<WindowFrameUnits> {
    match units.to_ascii_lowercase().as_str() {
        "rows" => Ok(WindowFrameUnits::Rows),
        "range" => Ok(WindowFrameUnits::Range),
        "groups" => Ok(WindowFrameUnits::Groups),
        other => Err(Error::Value(format!(
            "window frame units must be 'rows', 'range' or 'groups', not {other:?}"
        ))),
    }
}

fn frame_bound(bound: Option<&Bound<'_, PyAny>>, start: bool) -> Result<WindowFrameBound> {
    let Some(bound) = bound.filter(|b| !b.is_none()) else {
        let unbounded = ScalarValue::Null;
        return Ok(if start {
            WindowFrameBound::Preceding(unbounded)
        } else {
            WindowFrameBound::Following(unbounded)
        });
    };
    let scalar = py_to_scalar(bound)?;
    let offset = match &scalar {
        ScalarValue::Int64(Some(v)) => *v,
        _ => {
            return Ok(if start {
                WindowFrameBound::Preceding(scalar)
            } else {
                WindowFrameBound::Following(scalar)
            });
        }
    };
    if offset == 0 {
        return Ok(WindowFrameBound::CurrentRow);
    }
    let magnitude = ScalarValue::UInt64(Some(offset.unsigned_abs()));
    Ok(match (start, offset > 0) {
        (true, true) | (false, false) => WindowFrameBound::Preceding(magnitude),
        (true, false) | (false, true) => WindowFrameBound::Following(magnitude),
    })
}

/// A window frame: units plus start and end bounds (`None` = unbounded, `0` = current row, `n` = n rows
/// before the current row for the start and after it for the end; a negative number flips the side).
#[pyclass(frozen, name = "WindowFrame", module = "fuseplug._internal", from_py_object)]
#[derive(Clone, Debug)]
pub struct PyWindowFrame {
    pub inner: WindowFrame,
}

#[pymethods]
impl PyWindowFrame {
    #[new]
    #[pyo3(signature = (units, start_bound = None, end_bound = None))]
    fn new(
        units: &str,
        start_bound: Option<&Bound<'_, PyAny>>,
        end_bound: Option<&Bound<'_, PyAny>>,
    ) -> Result<Self> {
        let units = parse_units(units)?;
        let start = frame_bound(start_bound, true)?;
        let end = frame_bound(end_bound, false)?;
        Ok(Self { inner: WindowFrame::new_bounds(units, start, end) })
    }

    fn __repr__(&self) -> String {
        format!("WindowFrame({})", self.inner)
    }
}

#[pyclass(frozen, name = "SortExpr", module = "fuseplug._internal", from_py_object)]
#[derive(Clone, Debug)]
pub struct PySortExpr {
    pub inner: SortExpr,
}

#[pymethods]
impl PySortExpr {
    #[new]
    #[pyo3(signature = (expr, ascending = true, nulls_first = false))]
    fn new(expr: PyExpr, ascending: bool, nulls_first: bool) -> Self {
        Self { inner: expr.inner.sort(ascending, nulls_first) }
    }

    fn expr(&self) -> PyExpr {
        self.inner.expr.clone().into()
    }

    fn ascending(&self) -> bool {
        self.inner.asc
    }

    fn nulls_first(&self) -> bool {
        self.inner.nulls_first
    }

    fn __repr__(&self) -> String {
        format!("SortExpr({})", self.inner)
    }
}

/// Collects the WHEN / THEN pairs of a CASE expression.
#[pyclass(frozen, name = "CaseBuilder", module = "fuseplug._internal", skip_from_py_object)]
#[derive(Clone, Debug)]
pub struct PyCaseBuilder {
    base: Option<Box<Expr>>,
    branches: Vec<(Box<Expr>, Box<Expr>)>,
}

impl PyCaseBuilder {
    fn finish(&self, otherwise: Option<Expr>) -> Result<PyExpr> {
        if self.branches.is_empty() {
            return Err(Error::Value("a CASE expression needs at least one when()".into()));
        }
        // DataFusion's own builder, for its check that literal results share one type. This
        // builder is left as it was, so a failed `otherwise()` can be followed by `end()`.
        let (whens, thens) = self.branches.iter().map(|(w, t)| (*w.clone(), *t.clone())).unzip();
        let builder = datafusion::logical_expr::conditional_expressions::CaseBuilder::new(
            self.base.clone(),
            whens,
            thens,
            otherwise.map(Box::new),
        );
        Ok(builder.end()?.into())
    }
}

#[pymethods]
impl PyCaseBuilder {
    #[new]
    #[pyo3(signature = (base = None))]
    fn new(base: Option<PyExpr>) -> Self {
        Self { base: base.map(|e| Box::new(e.inner)), branches: vec![] }
    }

    fn when(&self, condition: PyExpr, then: PyExpr) -> Self {
        let mut next = self.clone();
        next.branches.push((Box::new(condition.inner), Box::new(then.inner)));
        next
    }

    fn otherwise(&self, value: PyExpr) -> Result<PyExpr> {
        self.finish(Some(value.inner))
    }

    fn end(&self) -> Result<PyExpr> {
        self.finish(None)
    }
}

/// Accumulates `filter`, `order_by`, `distinct`, `null_treatment`, `partition_by` and `window_frame` on an
/// aggregate or window function call; `build()` makes the expression.
#[pyclass(frozen, name = "ExprFuncBuilder", module = "fuseplug._internal", skip_from_py_object)]
#[derive(Clone, Debug)]
pub struct PyExprFuncBuilder {
    inner: ExprFuncBuilder,
}

impl From<ExprFuncBuilder> for PyExprFuncBuilder {
    fn from(inner: ExprFuncBuilder) -> Self {
        Self { inner }
    }
}

#[pymethods]
impl PyExprFuncBuilder {
    fn order_by(&self, order_by: Vec<PySortExpr>) -> Self {
        self.inner.clone().order_by(sort_exprs(order_by)).into()
    }

    fn filter(&self, condition: PyExpr) -> Self {
        self.inner.clone().filter(condition.inner).into()
    }

    fn distinct(&self) -> Self {
        self.inner.clone().distinct().into()
    }

    fn null_treatment(&self, ignore_nulls: bool) -> Self {
        self.inner.clone().null_treatment(null_treatment(ignore_nulls)).into()
    }

    fn partition_by(&self, partition_by: Vec<PyExpr>) -> Self {
        self.inner.clone().partition_by(exprs(partition_by)).into()
    }

    fn window_frame(&self, frame: PyWindowFrame) -> Self {
        self.inner.clone().window_frame(frame.inner).into()
    }

    fn build(&self) -> Result<PyExpr> {
        Ok(self.inner.clone().build()?.into())
    }
}

fn null_treatment(ignore_nulls: bool) -> NullTreatment {
    if ignore_nulls { NullTreatment::IgnoreNulls } else { NullTreatment::RespectNulls }
}

impl PyExpr {
    fn binary(&self, op: Operator, other: PyExpr) -> PyExpr {
        Expr::BinaryExpr(BinaryExpr::new(Box::new(self.inner.clone()), op, Box::new(other.inner)))
            .into()
    }

    /// Turns an aggregate call into the equivalent window call so `over()` works on both.
    fn as_window_call(&self) -> Expr {
        match &self.inner {
            Expr::AggregateFunction(agg) => {
                let mut window = WindowFunction::new(
                    WindowFunctionDefinition::AggregateUDF(agg.func.clone()),
                    agg.params.args.clone(),
                );
                window.params.distinct = agg.params.distinct;
                window.params.filter = agg.params.filter.clone();
                window.params.null_treatment = agg.params.null_treatment;
                Expr::from(window)
            }
            other => other.clone(),
        }
    }
}

#[pymethods]
impl PyExpr {
    #[staticmethod]
    fn column(name: &str) -> Self {
        col(name).into()
    }

    /// A column reference taken literally: no parsing of dots or case folding.
    #[staticmethod]
    fn identifier(name: &str) -> Self {
        ident(name).into()
    }

    #[staticmethod]
    fn literal(value: &Bound<'_, PyAny>) -> Result<Self> {
        Ok(lit(literal_scalar(value)?).into())
    }

    /// A `Utf8` string literal (`literal` makes a `Utf8View` one of a str).
    #[staticmethod]
    fn string_literal(value: String) -> Self {
        lit(ScalarValue::Utf8(Some(value))).into()
    }

    /// A literal's value as a pyarrow scalar (a `TypeError` for any other expression).
    fn python_value<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        match &self.inner {
            Expr::Literal(scalar, _) => Ok(scalar_to_pyarrow(py, scalar)?),
            other => Err(Error::Type(format!("python_value() needs a literal, got {other}"))),
        }
    }

    /// A literal whose field carries `metadata`.
    #[staticmethod]
    fn literal_with_metadata(
        value: &Bound<'_, PyAny>,
        metadata: std::collections::HashMap<String, String>,
    ) -> Result<Self> {
        let metadata = datafusion::common::metadata::FieldMetadata::from(metadata);
        Ok(datafusion::logical_expr::lit_with_metadata(literal_scalar(value)?, Some(metadata))
            .into())
    }

    /// Calls the operator named by its SQL / Python spelling, e.g. `+`, `=`, `and`, `||`.
    fn binary_op(&self, op: &str, other: PyExpr) -> Result<Self> {
        let op = match op {
            "+" => Operator::Plus,
            "-" => Operator::Minus,
            "*" => Operator::Multiply,
            "/" => Operator::Divide,
            "%" => Operator::Modulo,
            "=" | "==" => Operator::Eq,
            "!=" | "<>" => Operator::NotEq,
            "<" => Operator::Lt,
            "<=" => Operator::LtEq,
            ">" => Operator::Gt,
            ">=" => Operator::GtEq,
            "and" | "&" => Operator::And,
            "or" | "|" => Operator::Or,
            "||" => Operator::StringConcat,
            "is distinct from" => Operator::IsDistinctFrom,
            "is not distinct from" => Operator::IsNotDistinctFrom,
            "&&&" => Operator::BitwiseAnd,
            "|||" => Operator::BitwiseOr,
            "^" => Operator::BitwiseXor,
            "<<" => Operator::BitwiseShiftLeft,
            ">>" => Operator::BitwiseShiftRight,
            other => return Err(Error::Value(format!("unknown operator {other:?}"))),
        };
        Ok(self.binary(op, other))
    }

    fn __richcmp__(&self, other: PyExpr, op: CompareOp) -> Self {
        let op = match op {
            CompareOp::Lt => Operator::Lt,
            CompareOp::Le => Operator::LtEq,
            CompareOp::Eq => Operator::Eq,
            CompareOp::Ne => Operator::NotEq,
            CompareOp::Gt => Operator::Gt,
            CompareOp::Ge => Operator::GtEq,
        };
        self.binary(op, other)
    }

    fn not_(&self) -> Self {
        Expr::Not(Box::new(self.inner.clone())).into()
    }

    fn negate(&self) -> Self {
        Expr::Negative(Box::new(self.inner.clone())).into()
    }

    /// The expression under the output name `name`, with optional field `metadata`.
    #[pyo3(signature = (name, metadata = None))]
    fn alias(
        &self,
        name: &str,
        metadata: Option<std::collections::HashMap<String, String>>,
    ) -> Self {
        let metadata = metadata.map(datafusion::common::metadata::FieldMetadata::from);
        self.inner.clone().alias_with_metadata(name, metadata).into()
    }

    fn cast(&self, to: PyArrowType<DataType>) -> Self {
        cast(self.inner.clone(), to.0).into()
    }

    fn try_cast(&self, to: PyArrowType<DataType>) -> Self {
        try_cast(self.inner.clone(), to.0).into()
    }

    #[pyo3(signature = (ascending = true, nulls_first = false))]
    fn sort(&self, ascending: bool, nulls_first: bool) -> PySortExpr {
        PySortExpr { inner: self.inner.clone().sort(ascending, nulls_first) }
    }

    fn is_null(&self) -> Self {
        self.inner.clone().is_null().into()
    }

    fn is_not_null(&self) -> Self {
        self.inner.clone().is_not_null().into()
    }

    #[pyo3(signature = (low, high, negated = false))]
    fn between(&self, low: PyExpr, high: PyExpr, negated: bool) -> Self {
        Expr::Between(Between::new(
            Box::new(self.inner.clone()),
            negated,
            Box::new(low.inner),
            Box::new(high.inner),
        ))
        .into()
    }

    #[pyo3(signature = (values, negated = false))]
    fn in_list(&self, values: Vec<PyExpr>, negated: bool) -> Self {
        self.inner.clone().in_list(exprs(values), negated).into()
    }

    #[pyo3(signature = (pattern, negated = false, escape_char = None, case_insensitive = false))]
    fn like(
        &self,
        pattern: PyExpr,
        negated: bool,
        escape_char: Option<char>,
        case_insensitive: bool,
    ) -> Self {
        Expr::Like(Like::new(
            negated,
            Box::new(self.inner.clone()),
            Box::new(pattern.inner),
            escape_char,
            case_insensitive,
        ))
        .into()
    }

    /// Starts a window modifier chain: `PARTITION BY`. An aggregate call becomes a window call.
    fn partition_by(&self, partition_by: Vec<PyExpr>) -> PyExprFuncBuilder {
        self.as_window_call().partition_by(exprs(partition_by)).into()
    }

    /// Starts a window modifier chain with a frame. An aggregate call becomes a window call.
    fn window_frame(&self, frame: PyWindowFrame) -> PyExprFuncBuilder {
        self.as_window_call().window_frame(frame.inner).into()
    }

    fn filter(&self, condition: PyExpr) -> PyExprFuncBuilder {
        self.inner.clone().filter(condition.inner).into()
    }

    fn order_by(&self, order_by: Vec<PySortExpr>) -> PyExprFuncBuilder {
        self.inner.clone().order_by(sort_exprs(order_by)).into()
    }

    fn distinct(&self) -> PyExprFuncBuilder {
        self.inner.clone().distinct().into()
    }

    fn null_treatment(&self, ignore_nulls: bool) -> PyExprFuncBuilder {
        self.inner.clone().null_treatment(null_treatment(ignore_nulls)).into()
    }

    /// Makes this aggregate or window function a window expression.
    #[pyo3(signature = (partition_by = vec![], order_by = vec![], window_frame = None, null_treatment = None))]
    fn over(
        &self,
        partition_by: Vec<PyExpr>,
        order_by: Vec<PySortExpr>,
        window_frame: Option<PyWindowFrame>,
        null_treatment: Option<bool>,
    ) -> Result<Self> {
        let call = self.as_window_call();
        if !matches!(call, Expr::WindowFunction(_)) {
            return Err(Error::Value(format!(
                "over() needs an aggregate or window function call, not {}",
                self.inner.variant_name()
            )));
        }
        let mut builder = call.partition_by(exprs(partition_by));
        if !order_by.is_empty() {
            builder = builder.order_by(sort_exprs(order_by));
        }
        if let Some(frame) = window_frame {
            builder = builder.window_frame(frame.inner);
        }
        if let Some(ignore) = null_treatment {
            builder = builder.null_treatment(self::null_treatment(ignore));
        }
        Ok(builder.build()?.into())
    }

    /// The name DataFusion gives this expression's output column.
    fn schema_name(&self) -> String {
        self.inner.schema_name().to_string()
    }

    fn canonical_name(&self) -> String {
        self.inner.to_string()
    }

    fn variant_name(&self) -> String {
        self.inner.variant_name().to_string()
    }

    fn __repr__(&self) -> String {
        format!("Expr({})", self.inner)
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}

/// `expr` as protobuf bytes through `ctx`'s codec stack (or the Python layer alone without one).
#[pyfunction]
#[pyo3(signature = (expr, ctx = None))]
pub fn expr_to_bytes<'py>(
    py: Python<'py>,
    expr: &Bound<'py, PyExpr>,
    ctx: Option<&Bound<'py, PyAny>>,
) -> Result<Bound<'py, pyo3::types::PyBytes>> {
    let tasks = crate::plan::tasks_of(ctx)?;
    let bytes = crate::serialize::expr_to_bytes(py, &expr.get().inner, tasks.as_ref())?;
    Ok(pyo3::types::PyBytes::new(py, &bytes))
}

/// An expression from `expr_to_bytes` output, resolved against `ctx`.
#[pyfunction]
pub fn expr_from_bytes(py: Python<'_>, ctx: &Bound<'_, PyAny>, data: &[u8]) -> Result<PyExpr> {
    let tasks = crate::plan::decoding_tasks(ctx)?;
    Ok(crate::serialize::expr_from_bytes(py, &tasks, data)?.into())
}
