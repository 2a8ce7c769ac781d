//! Tables over a `pyarrow.dataset.Dataset`, with projection and filter pushdown: the columns a query
//! reads and the filters pyarrow can evaluate go to `dataset.scanner(columns=, filter=)`, so pyarrow
//! skips fragments by their partition expressions and row groups by their statistics.
//!
//! The filters are pushed as *inexact*: DataFusion still applies them to what the scan returns, so a
//! pyarrow expression only has to keep every row the SQL filter keeps (its null handling is
//! Kleene's, as in SQL). A filter with no pyarrow form (arithmetic, casts, functions) is not pushed.

use std::fmt;
use std::sync::Arc;

use arrow::array::Array;
use arrow::datatypes::{DataType, Schema, SchemaRef};
use arrow::ffi_stream::ArrowArrayStreamReader;
use arrow::pyarrow::{FromPyArrow, ToPyArrow};
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{ScalarValue, internal_err};
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result as DFResult;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::expr::InList;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator, TableProviderFilterPushDown};
use datafusion::physical_expr::{EquivalenceProperties, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, Partitioning, PlanProperties,
};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::arrow_stream::read_on_blocking_thread;
use crate::errors::{Result, py_to_datafusion};

/// Whether `obj` is a `pyarrow.dataset.Dataset` (false when pyarrow is not installed).
pub fn is_dataset(obj: &Bound<'_, PyAny>) -> bool {
    let py = obj.py();
    py.import("pyarrow.dataset")
        .and_then(|module| module.getattr("Dataset"))
        .and_then(|cls| obj.is_instance(&cls))
        .unwrap_or(false)
}

/// A table reading a pyarrow Dataset again on every scan.
pub struct DatasetTable {
    dataset: Py<PyAny>,
    schema: SchemaRef,
}

impl fmt::Debug for DatasetTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatasetTable").field("schema", &self.schema).finish()
    }
}

impl DatasetTable {
    pub fn new(dataset: &Bound<'_, PyAny>) -> Result<Self> {
        let schema = Schema::from_pyarrow_bound(&dataset.getattr("schema")?)?;
        Ok(Self { dataset: dataset.clone().unbind(), schema: Arc::new(schema) })
    }
}

/// `expr` as a `pyarrow.compute.Expression`, or None when it has no faithful pyarrow form.
fn to_pyarrow<'py>(pc: &Bound<'py, PyModule>, expr: &Expr) -> Option<Bound<'py, PyAny>> {
    let convert = || -> PyResult<Option<Bound<'py, PyAny>>> {
        Ok(match expr {
            Expr::Column(column) => Some(pc.call_method1("field", (column.name.as_str(),))?),
            Expr::Literal(value, _) => literal(pc, value)?,
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let method = match op {
                    Operator::Eq => "__eq__",
                    Operator::NotEq => "__ne__",
                    Operator::Lt => "__lt__",
                    Operator::LtEq => "__le__",
                    Operator::Gt => "__gt__",
                    Operator::GtEq => "__ge__",
                    Operator::And => "__and__",
                    Operator::Or => "__or__",
                    _ => return Ok(None),
                };
                match (to_pyarrow(pc, left), to_pyarrow(pc, right)) {
                    (Some(l), Some(r)) => Some(l.call_method1(method, (r,))?),
                    _ => None,
                }
            }
            Expr::Not(inner) => match to_pyarrow(pc, inner) {
                Some(e) => Some(e.call_method0("__invert__")?),
                None => None,
            },
            Expr::IsNull(inner) => match to_pyarrow(pc, inner) {
                Some(e) => Some(e.call_method0("is_null")?),
                None => None,
            },
            Expr::IsNotNull(inner) => match to_pyarrow(pc, inner) {
                Some(e) => Some(e.call_method0("is_valid")?),
                None => None,
            },
            Expr::Between(Between { expr, negated, low, high }) => {
                match (to_pyarrow(pc, expr), to_pyarrow(pc, low), to_pyarrow(pc, high)) {
                    (Some(e), Some(low), Some(high)) => {
                        let inside = e
                            .call_method1("__ge__", (low,))?
                            .call_method1("__and__", (e.call_method1("__le__", (high,))?,))?;
                        Some(if *negated { inside.call_method0("__invert__")? } else { inside })
                    }
                    _ => None,
                }
            }
            Expr::InList(InList { expr, list, negated }) => {
                let Some(e) = to_pyarrow(pc, expr) else { return Ok(None) };
                let mut values = Vec::with_capacity(list.len());
                for item in list {
                    // Only non-null literals: `x IN (.., NULL)` is NULL, never false, in SQL.
                    let Expr::Literal(value, _) = item else { return Ok(None) };
                    if value.is_null() {
                        return Ok(None);
                    }
                    match scalar(pc.py(), value)? {
                        Some(s) => values.push(s),
                        None => return Ok(None),
                    }
                }
                let values = PyList::new(pc.py(), values)?;
                let isin = e.call_method1("isin", (values,))?;
                Some(if *negated { isin.call_method0("__invert__")? } else { isin })
            }
            _ => None,
        })
    };
    convert().ok().flatten()
}

/// A literal as a pyarrow scalar expression.
fn literal<'py>(
    pc: &Bound<'py, PyModule>,
    value: &ScalarValue,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    match scalar(pc.py(), value)? {
        Some(s) => Ok(Some(pc.call_method1("scalar", (s,))?)),
        None => Ok(None),
    }
}

/// A literal as a `pyarrow.Scalar` (string views as plain strings, which every pyarrow compares).
fn scalar<'py>(py: Python<'py>, value: &ScalarValue) -> PyResult<Option<Bound<'py, PyAny>>> {
    let value = match value.data_type() {
        DataType::Utf8View => match value.cast_to(&DataType::Utf8) {
            Ok(v) => v,
            Err(_) => return Ok(None),
        },
        DataType::BinaryView => match value.cast_to(&DataType::Binary) {
            Ok(v) => v,
            Err(_) => return Ok(None),
        },
        _ => value.clone(),
    };
    let Ok(array) = value.to_array() else { return Ok(None) };
    let array = array.to_data().to_pyarrow(py)?;
    Ok(Some(array.get_item(0)?))
}

#[async_trait]
impl TableProvider for DatasetTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DFResult<Vec<TableProviderFilterPushDown>> {
        Python::attach(|py| {
            let pc = py.import("pyarrow.compute").map_err(py_to_datafusion)?;
            Ok(filters
                .iter()
                .map(|f| match to_pyarrow(&pc, f) {
                    Some(_) => TableProviderFilterPushDown::Inexact,
                    None => TableProviderFilterPushDown::Unsupported,
                })
                .collect())
        })
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        let (schema, columns) = match projection {
            Some(indices) => {
                let schema = Arc::new(self.schema.project(indices)?);
                let names = schema.fields().iter().map(|f| f.name().clone()).collect();
                (schema, Some(names))
            }
            None => (Arc::clone(&self.schema), None),
        };
        let (dataset, filter, filter_text) = Python::attach(|py| -> PyResult<_> {
            let pc = py.import("pyarrow.compute")?;
            let mut combined: Option<Bound<'_, PyAny>> = None;
            for filter in filters {
                if let Some(e) = to_pyarrow(&pc, filter) {
                    combined = Some(match combined {
                        Some(c) => c.call_method1("__and__", (e,))?,
                        None => e,
                    });
                }
            }
            let text = combined.as_ref().map(|c| c.str().map(|s| s.to_string())).transpose()?;
            Ok((self.dataset.clone_ref(py), combined.map(Bound::unbind), text))
        })
        .map_err(py_to_datafusion)?;
        let properties = Arc::new(PlanProperties::new(
            EquivalenceProperties::new(Arc::clone(&schema)),
            Partitioning::UnknownPartitioning(1),
            EmissionType::Incremental,
            Boundedness::Bounded,
        ));
        Ok(Arc::new(DatasetExec { dataset, schema, columns, filter, filter_text, properties }))
    }
}

/// Scans a pyarrow Dataset through `dataset.scanner(columns=, filter=).to_reader()`.
pub struct DatasetExec {
    dataset: Py<PyAny>,
    schema: SchemaRef,
    columns: Option<Vec<String>>,
    filter: Option<Py<PyAny>>,
    filter_text: Option<String>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for DatasetExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatasetExec")
            .field("columns", &self.columns)
            .field("filter_expr", &self.filter_text)
            .finish()
    }
}

impl DisplayAs for DatasetExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("DatasetExec:")?;
        if let Some(filter) = &self.filter_text {
            write!(f, " filter_expr={filter},")?;
        }
        let names: Vec<&str> = self.schema.fields().iter().map(|f| f.name().as_str()).collect();
        write!(f, " projection=[{}]", names.join(", "))
    }
}

impl DatasetExec {
    fn reader(&self) -> PyResult<ArrowArrayStreamReader> {
        Python::attach(|py| {
            let kwargs = PyDict::new(py);
            if let Some(columns) = &self.columns {
                kwargs.set_item("columns", columns)?;
            }
            if let Some(filter) = &self.filter {
                kwargs.set_item("filter", filter.bind(py))?;
            }
            let scanner = self.dataset.bind(py).call_method("scanner", (), Some(&kwargs))?;
            let reader = scanner.call_method0("to_reader")?;
            ArrowArrayStreamReader::from_pyarrow_bound(&reader)
        })
    }
}

impl ExecutionPlan for DatasetExec {
    fn name(&self) -> &str {
        "DatasetExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> DFResult<TreeNodeRecursion>,
    ) -> DFResult<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DFResult<Arc<dyn ExecutionPlan>> {
        if children.is_empty() {
            Ok(self)
        } else {
            internal_err!("DatasetExec is a leaf and takes no children")
        }
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> DFResult<SendableRecordBatchStream> {
        if partition != 0 {
            return internal_err!("DatasetExec has one partition, asked for {partition}");
        }
        let reader = self.reader().map_err(py_to_datafusion)?;
        Ok(read_on_blocking_thread(reader, Arc::clone(&self.schema)))
    }
}
