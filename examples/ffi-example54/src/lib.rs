//! A test plugin built on DataFusion 54 only: it publishes datafusion-ffi 54 capsules of the kinds
//! that no DataFusion 54 wheel on PyPI publishes, so the bridge's handling of them is tested end to
//! end (fuseplug -> fuseplug_bridge54 -> this library). It reads what a host hands it (a session
//! object or a raw codec capsule) with DataFusion 54's layout, as any 54 plugin does.

use std::ops::Range;
use std::sync::Arc;

use datafusion_ffi54::catalog_provider_list::FFI_CatalogProviderList;
use datafusion_ffi54::proto::logical_extension_codec::FFI_LogicalExtensionCodec;
use datafusion_ffi54::schema_provider::FFI_SchemaProvider;
use datafusion_ffi54::table_provider::FFI_TableProvider;
use datafusion_ffi54::udtf::FFI_TableFunction;
use datafusion_ffi54::udwf::FFI_WindowUDF;
use datafusion54::arrow::array::{Array, ArrayRef, Int64Array, StringArray};
use datafusion54::arrow::datatypes::{DataType, Field, Schema};
use datafusion54::arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use datafusion54::arrow::record_batch::{RecordBatch, RecordBatchReader};
use datafusion54::catalog::{
    CatalogProvider, CatalogProviderList, MemTable, MemoryCatalogProvider,
    MemoryCatalogProviderList, MemorySchemaProvider, SchemaProvider, TableFunctionArgs,
    TableFunctionImpl,
};
use datafusion54::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion54::datasource::TableProvider;
use datafusion54::logical_expr::{Expr, PartitionEvaluator, Volatility, create_udwf};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

const CODEC: &std::ffi::CStr = c"datafusion_logical_extension_codec";

/// The host's logical codec: `host` is the raw capsule, or an object whose
/// `__datafusion_logical_extension_codec__()` returns it. The host is trusted to be on DataFusion
/// 54, as every plugin trusts its host.
fn logical_codec(host: &Bound<'_, PyAny>) -> PyResult<FFI_LogicalExtensionCodec> {
    let capsule = match host.cast::<PyCapsule>() {
        Ok(capsule) => capsule.clone(),
        Err(_) => host
            .call_method0("__datafusion_logical_extension_codec__")?
            .cast_into::<PyCapsule>()
            .map_err(|_| PyTypeError::new_err("the host's codec is not a PyCapsule"))?,
    };
    // SAFETY: a null return (wrong name) is checked before use.
    let pointer = unsafe { pyo3::ffi::PyCapsule_GetPointer(capsule.as_ptr(), CODEC.as_ptr()) };
    if pointer.is_null() {
        return Err(PyErr::take(host.py())
            .unwrap_or_else(|| PyValueError::new_err("the host's codec capsule is empty")));
    }
    // SAFETY: a capsule of that name holds an `FFI_LogicalExtensionCodec`; cloning runs its clone.
    Ok(unsafe { &*pointer.cast::<FFI_LogicalExtensionCodec>() }.clone())
}

fn to_py(e: datafusion54::error::DataFusionError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

fn int64(values: &ArrayRef, function: &str) -> Result<Int64Array> {
    match values.as_any().downcast_ref::<Int64Array>() {
        Some(values) => Ok(values.clone()),
        None => exec_err!("{function} takes a BIGINT argument, got {}", values.data_type()),
    }
}

/// `running_total54(x)`: the sum of `x` over the partition up to and including each row (nulls
/// count as 0).
#[derive(Debug)]
struct RunningTotalEvaluator;

impl PartitionEvaluator for RunningTotalEvaluator {
    fn evaluate_all(&mut self, values: &[ArrayRef], _num_rows: usize) -> Result<ArrayRef> {
        let Some(x) = values.first() else {
            return exec_err!("running_total54 takes one argument");
        };
        let x = int64(x, "running_total54")?;
        let mut total = 0i64;
        let totals = x.iter().map(|v| {
            total = total.wrapping_add(v.unwrap_or(0));
            total
        });
        Ok(Arc::new(Int64Array::from_iter_values(totals)))
    }
}

/// `frame_sum54(x)`: the sum of `x` over the row's window frame (`ROWS BETWEEN ...`).
#[derive(Debug)]
struct FrameSumEvaluator;

impl PartitionEvaluator for FrameSumEvaluator {
    fn uses_window_frame(&self) -> bool {
        true
    }

    fn evaluate(&mut self, values: &[ArrayRef], range: &Range<usize>) -> Result<ScalarValue> {
        let Some(x) = values.first() else {
            return exec_err!("frame_sum54 takes one argument");
        };
        let x = int64(x, "frame_sum54")?;
        let sum = (range.start..range.end).filter(|&i| x.is_valid(i)).map(|i| x.value(i)).sum();
        Ok(ScalarValue::Int64(Some(sum)))
    }
}

fn window_capsule<'py>(
    py: Python<'py>,
    name: &str,
    evaluator: fn() -> Box<dyn PartitionEvaluator>,
) -> PyResult<Bound<'py, PyCapsule>> {
    let udwf = create_udwf(
        name,
        DataType::Int64,
        Arc::new(DataType::Int64),
        Volatility::Immutable,
        Arc::new(move || Ok(evaluator())),
    );
    PyCapsule::new_with_value(py, FFI_WindowUDF::from(Arc::new(udwf)), c"datafusion_window_udf")
}

/// Window UDF `running_total54(x)`.
#[pyclass(frozen)]
struct RunningTotal;

#[pymethods]
impl RunningTotal {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_window_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        window_capsule(py, "running_total54", || Box::new(RunningTotalEvaluator))
    }
}

/// Window UDF `frame_sum54(x)`.
#[pyclass(frozen)]
struct FrameSum;

#[pymethods]
impl FrameSum {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_window_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        window_capsule(py, "frame_sum54", || Box::new(FrameSumEvaluator))
    }
}

/// `series54(n)`: a table of `i` = 0 .. n-1.
#[derive(Debug)]
struct SeriesFunction;

impl TableFunctionImpl for SeriesFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let n = match args.exprs() {
            [Expr::Literal(ScalarValue::Int64(Some(n)), _)] if *n >= 0 => *n,
            _ => return plan_err!("series54 takes one non-negative integer"),
        };
        let schema = Arc::new(Schema::new(vec![Field::new("i", DataType::Int64, false)]));
        let column: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![column])?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}

/// Table function `series54(n)`.
#[pyclass(frozen)]
struct Series;

#[pymethods]
impl Series {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_table_function__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let ffi = FFI_TableFunction::new_with_ffi_codec(
            Arc::new(SeriesFunction),
            None,
            logical_codec(session)?,
        );
        PyCapsule::new_with_value(py, ffi, c"datafusion_table_function")
    }
}

/// `t54`: three rows of `i` (BIGINT) and `name` (VARCHAR).
fn table() -> Result<Arc<dyn TableProvider>> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("i", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from(vec![1, 2, 3])),
            Arc::new(StringArray::from(vec![Some("one"), None, Some("three")])),
        ],
    )?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

fn schema() -> Result<Arc<dyn SchemaProvider>> {
    let schema = MemorySchemaProvider::new();
    schema.register_table("t54".into(), table()?)?;
    Ok(Arc::new(schema))
}

/// A schema holding `t54`.
#[pyclass(frozen)]
struct ExampleSchema;

#[pymethods]
impl ExampleSchema {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_schema_provider__<'py>(
        &self,
        py: Python<'py>,
        codec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let ffi = FFI_SchemaProvider::new_with_ffi_codec(
            schema().map_err(to_py)?,
            None,
            logical_codec(codec)?,
        );
        PyCapsule::new_with_value(py, ffi, c"datafusion_schema_provider")
    }
}

/// A table holding the record batches of any Arrow stream (`__arrow_c_stream__`), read once
/// through the Arrow C stream interface with arrow 58 (the buffers are shared, not copied), served
/// by DataFusion 54's `MemTable` in one partition. `benchmarks/bridge54.py` scans it through the
/// bridge against the same batches in a native fuseplug table.
#[pyclass(frozen)]
struct ArrowTable {
    table: Arc<dyn TableProvider>,
}

#[pymethods]
impl ArrowTable {
    #[new]
    fn new(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let capsule = data
            .call_method0("__arrow_c_stream__")?
            .cast_into::<PyCapsule>()
            .map_err(|_| PyTypeError::new_err("__arrow_c_stream__ did not return a PyCapsule"))?;
        // SAFETY: a null return (wrong name) is checked before use.
        let pointer = unsafe {
            pyo3::ffi::PyCapsule_GetPointer(capsule.as_ptr(), c"arrow_array_stream".as_ptr())
        };
        if pointer.is_null() {
            return Err(PyErr::take(data.py())
                .unwrap_or_else(|| PyValueError::new_err("the Arrow stream capsule is empty")));
        }
        // SAFETY: an `arrow_array_stream` capsule holds an `ArrowArrayStream`; `from_raw` moves it
        // out and leaves the capsule's copy released, as the C stream interface expects.
        let stream = unsafe { FFI_ArrowArrayStream::from_raw(pointer.cast()) };
        let reader = ArrowArrayStreamReader::try_new(stream).map_err(|e| to_py(e.into()))?;
        let schema = reader.schema();
        let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|e| to_py(e.into()))?;
        let table = MemTable::try_new(schema, vec![batches]).map_err(to_py)?;
        Ok(Self { table: Arc::new(table) })
    }

    fn __datafusion_table_provider__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let ffi = FFI_TableProvider::new_with_ffi_codec(
            Arc::clone(&self.table),
            true,
            None,
            logical_codec(session)?,
        );
        PyCapsule::new_with_value(py, ffi, c"datafusion_table_provider")
    }
}

/// A table of one row: the `batch_size` and `target_partitions` of the session its scan was planned
/// in, so a test can see which configuration reached a DataFusion 54 plugin.
#[derive(Debug)]
struct ProbeTable {
    schema: Arc<Schema>,
}

#[async_trait::async_trait]
impl TableProvider for ProbeTable {
    fn schema(&self) -> Arc<Schema> {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> datafusion54::datasource::TableType {
        datafusion54::datasource::TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn datafusion54::catalog::Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn datafusion54::physical_plan::ExecutionPlan>> {
        let options = state.config().options();
        let seen = |n: usize| Arc::new(Int64Array::from(vec![n as i64])) as ArrayRef;
        let batch = RecordBatch::try_new(
            Arc::clone(&self.schema),
            vec![seen(options.execution.batch_size), seen(options.execution.target_partitions)],
        )?;
        let table = MemTable::try_new(Arc::clone(&self.schema), vec![vec![batch]])?;
        table.scan(state, projection, filters, limit).await
    }
}

/// A table provider whose one row says what configuration its scan saw (`batch_size`,
/// `target_partitions`).
#[pyclass(frozen)]
struct SessionProbe;

#[pymethods]
impl SessionProbe {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_table_provider__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("batch_size", DataType::Int64, false),
            Field::new("target_partitions", DataType::Int64, false),
        ]));
        let ffi = FFI_TableProvider::new_with_ffi_codec(
            Arc::new(ProbeTable { schema }),
            false,
            None,
            logical_codec(session)?,
        );
        PyCapsule::new_with_value(py, ffi, c"datafusion_table_provider")
    }
}

/// Catalog `c54` with schema `s54` holding `t54`.
#[pyclass(frozen)]
struct ExampleCatalogList;

#[pymethods]
impl ExampleCatalogList {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_catalog_provider_list__<'py>(
        &self,
        py: Python<'py>,
        codec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let catalog = MemoryCatalogProvider::new();
        catalog.register_schema("s54", schema().map_err(to_py)?).map_err(to_py)?;
        let list = MemoryCatalogProviderList::new();
        list.register_catalog("c54".into(), Arc::new(catalog) as Arc<dyn CatalogProvider>);
        let list: Arc<dyn CatalogProviderList> = Arc::new(list);
        let ffi = FFI_CatalogProviderList::new_with_ffi_codec(list, None, logical_codec(codec)?);
        PyCapsule::new_with_value(py, ffi, c"datafusion_catalog_provider_list")
    }
}

#[pymodule]
fn _internal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RunningTotal>()?;
    m.add_class::<FrameSum>()?;
    m.add_class::<Series>()?;
    m.add_class::<ExampleSchema>()?;
    m.add_class::<ExampleCatalogList>()?;
    m.add_class::<ArrowTable>()?;
    m.add_class::<SessionProbe>()?;
    Ok(())
}
