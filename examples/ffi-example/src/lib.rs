//! An example plugin wheel. Each class publishes one DataFusion object as a named PyCapsule around a
//! datafusion-ffi struct; the host's session object (or codec capsule) is read with the helpers of
//! `fuseplug-capsule`, and every struct carries this library's tokio runtime handle.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::catalog::{
    CatalogProvider, MemTable, MemoryCatalogProvider, MemorySchemaProvider, SchemaProvider,
    TableFunctionArgs, TableFunctionImpl,
};
use datafusion::common::{ScalarValue, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{ColumnarValue, Expr, Volatility, create_udf};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion_ffi::catalog_provider::FFI_CatalogProvider;
use datafusion_ffi::schema_provider::FFI_SchemaProvider;
use datafusion_ffi::table_provider::FFI_TableProvider;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udtf::FFI_TableFunction;
use fuseplug_capsule::import::{logical_codec, task_context_provider};
use fuseplug_capsule::runtime::handle;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

fn items() -> Result<MemTable> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![1, 2, 3])),
        Arc::new(StringArray::from(vec!["one", "two", "three"])),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    MemTable::try_new(schema, vec![vec![batch]])
}

fn to_py(err: DataFusionError) -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err(err.to_string())
}

/// A three-row in-memory table (`id`, `name`).
#[pyclass(frozen)]
struct MemoryTable;

#[pymethods]
impl MemoryTable {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_table_provider__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let provider = Arc::new(items().map_err(to_py)?);
        let tasks = task_context_provider(session)?;
        let ffi = FFI_TableProvider::new(provider, true, Some(handle()), tasks, None);
        PyCapsule::new_with_value(py, ffi, c"datafusion_table_provider")
    }
}

/// A table whose scan sleeps and spawns on tokio: it needs this library's reactor wherever the host
/// polls it.
#[derive(Debug)]
struct Sleepy {
    schema: SchemaRef,
}

impl PartitionStream for Sleepy {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = Arc::clone(&self.schema);
        let batch = async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let spawned = tokio::spawn(async move {
                let column: ArrayRef = Arc::new(Int64Array::from(vec![10, 20, 30]));
                RecordBatch::try_new(schema, vec![column]).map_err(DataFusionError::from)
            });
            spawned.await.map_err(|e| DataFusionError::External(Box::new(e)))?
        };
        Box::pin(RecordBatchStreamAdapter::new(
            Arc::clone(&self.schema),
            futures::stream::once(batch),
        ))
    }
}

#[pyclass(frozen)]
struct SleepyTable;

#[pymethods]
impl SleepyTable {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_table_provider__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let partition = Arc::new(Sleepy { schema: Arc::clone(&schema) });
        let table = StreamingTable::try_new(schema, vec![partition]).map_err(to_py)?;
        let tasks = task_context_provider(session)?;
        let ffi = FFI_TableProvider::new(Arc::new(table), false, Some(handle()), tasks, None);
        PyCapsule::new_with_value(py, ffi, c"datafusion_table_provider")
    }
}

/// `double(x)`: an Int64 scalar UDF.
#[pyclass(frozen)]
struct DoubleUdf;

#[pymethods]
impl DoubleUdf {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_scalar_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let double = |args: &[ColumnarValue]| -> Result<ColumnarValue> {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let values = arrays[0]
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| DataFusionError::Execution("double() takes Int64".into()))?;
            let doubled: Int64Array = values.iter().map(|v| v.map(|v| v * 2)).collect();
            Ok(ColumnarValue::Array(Arc::new(doubled)))
        };
        let udf = create_udf(
            "double",
            vec![DataType::Int64],
            DataType::Int64,
            Volatility::Immutable,
            Arc::new(double),
        );
        PyCapsule::new_with_value(py, FFI_ScalarUDF::from(Arc::new(udf)), c"datafusion_scalar_udf")
    }
}

/// `example_range(n)`: a table function returning `n` rows `0..n`.
#[derive(Debug)]
struct Range;

impl TableFunctionImpl for Range {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        let n = match args.exprs() {
            [Expr::Literal(ScalarValue::Int64(Some(n)), _)] if *n >= 0 => *n,
            _ => return plan_err!("example_range takes one non-negative integer"),
        };
        let schema = Arc::new(Schema::new(vec![Field::new("i", DataType::Int64, false)]));
        let column: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![column])?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}

#[pyclass(frozen)]
struct RangeFunction;

#[pymethods]
impl RangeFunction {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_table_function__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let tasks = task_context_provider(session)?;
        let ffi = FFI_TableFunction::new(Arc::new(Range), Some(handle()), tasks, None);
        PyCapsule::new_with_value(py, ffi, c"datafusion_table_function")
    }
}

fn example_schema() -> Result<Arc<MemorySchemaProvider>> {
    let schema = MemorySchemaProvider::new();
    schema.register_table("items".into(), Arc::new(items()?))?;
    Ok(Arc::new(schema))
}

/// A schema holding the table `items`.
#[pyclass(frozen)]
struct ExampleSchema;

#[pymethods]
impl ExampleSchema {
    #[new]
    fn new() -> Self {
        Self
    }

    /// `codec` is the host's `datafusion_logical_extension_codec` capsule (or an object exporting it).
    fn __datafusion_schema_provider__<'py>(
        &self,
        py: Python<'py>,
        codec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let schema: Arc<dyn SchemaProvider> = example_schema().map_err(to_py)?;
        let ffi =
            FFI_SchemaProvider::new_with_ffi_codec(schema, Some(handle()), logical_codec(codec)?);
        PyCapsule::new_with_value(py, ffi, c"datafusion_schema_provider")
    }
}

/// A catalog with one schema, `plugin`, holding the table `items`.
#[pyclass(frozen)]
struct ExampleCatalog;

#[pymethods]
impl ExampleCatalog {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_catalog_provider__<'py>(
        &self,
        py: Python<'py>,
        codec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let catalog = MemoryCatalogProvider::new();
        let schema: Arc<dyn SchemaProvider> = example_schema().map_err(to_py)?;
        catalog.register_schema("plugin", schema).map_err(to_py)?;
        let catalog: Arc<dyn CatalogProvider> = Arc::new(catalog);
        let ffi =
            FFI_CatalogProvider::new_with_ffi_codec(catalog, Some(handle()), logical_codec(codec)?);
        PyCapsule::new_with_value(py, ffi, c"datafusion_catalog_provider")
    }
}

#[pymodule]
fn _internal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<MemoryTable>()?;
    m.add_class::<SleepyTable>()?;
    m.add_class::<DoubleUdf>()?;
    m.add_class::<RangeFunction>()?;
    m.add_class::<ExampleSchema>()?;
    m.add_class::<ExampleCatalog>()?;
    Ok(())
}
