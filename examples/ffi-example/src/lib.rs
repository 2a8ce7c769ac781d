//! An example plugin wheel. Each class publishes one DataFusion object as a named PyCapsule around a
//! datafusion-ffi struct; the host's session object (or codec capsule) is read with the helpers of
//! `fuseplug-capsule`, and every struct carries this library's tokio runtime handle.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arrow::array::{ArrayRef, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::catalog::{
    CatalogProvider, CatalogProviderList, MemTable, MemoryCatalogProvider,
    MemoryCatalogProviderList, MemorySchemaProvider, SchemaProvider, Session, TableFunctionArgs,
    TableFunctionImpl, TableProviderFactory,
};
use datafusion::common::config::ConfigOptions;
use datafusion::common::{ScalarValue, plan_err};
use datafusion::datasource::TableProvider;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{
    Accumulator, ColumnarValue, CreateExternalTable, Expr, PartitionEvaluator, ScalarUDF,
    Volatility, create_udaf, create_udf, create_udwf,
};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion_ffi::catalog_provider::FFI_CatalogProvider;
use datafusion_ffi::catalog_provider_list::FFI_CatalogProviderList;
use datafusion_ffi::physical_optimizer::FFI_PhysicalOptimizerRule;
use datafusion_ffi::schema_provider::FFI_SchemaProvider;
use datafusion_ffi::table_provider::FFI_TableProvider;
use datafusion_ffi::table_provider_factory::FFI_TableProviderFactory;
use datafusion_ffi::udaf::FFI_AggregateUDF;
use datafusion_ffi::udf::FFI_ScalarUDF;
use datafusion_ffi::udtf::FFI_TableFunction;
use datafusion_ffi::udwf::FFI_WindowUDF;
use fuseplug_capsule::import::{logical_codec, task_context_provider};
use fuseplug_capsule::panic::{guard, guard_future, guard_stream};
use fuseplug_capsule::runtime::handle;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

mod codec;
mod options;
mod planner;
pub mod test_hooks;

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

/// The first argument as Int64, or an execution error naming `what`.
fn int64_arg<'a>(args: &'a [ArrayRef], what: &str) -> Result<&'a Int64Array> {
    args.first()
        .and_then(|a| a.as_any().downcast_ref::<Int64Array>())
        .ok_or_else(|| DataFusionError::Execution(format!("{what} takes one Int64 argument")))
}

fn overflow(what: &str) -> DataFusionError {
    DataFusionError::Execution(format!("{what}: Int64 overflow"))
}

pub(crate) fn to_py(err: DataFusionError) -> PyErr {
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
        let stream =
            RecordBatchStreamAdapter::new(Arc::clone(&self.schema), futures::stream::once(batch));
        guard_stream("example SleepyTable stream", Box::pin(stream), None)
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
        let udf = FFI_ScalarUDF::from(Arc::new(double_udf()));
        PyCapsule::new_with_value(py, udf, c"datafusion_scalar_udf")
    }
}

/// The `double` UDF itself, also rebuilt by the example's codecs when a plan that uses it is decoded.
pub(crate) fn double_udf() -> ScalarUDF {
    let double = |args: &[ColumnarValue]| -> Result<ColumnarValue> {
        guard("example double()", || {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let values = int64_arg(&arrays, "double()")?;
            let doubled = values
                .iter()
                .map(|v| {
                    v.map(|v| v.checked_mul(2).ok_or_else(|| overflow("double()"))).transpose()
                })
                .collect::<Result<Int64Array>>()?;
            Ok(ColumnarValue::Array(Arc::new(doubled)))
        })
    };
    create_udf(
        "double",
        vec![DataType::Int64],
        DataType::Int64,
        Volatility::Immutable,
        Arc::new(double),
    )
}

/// `example_range(n)`: a table function returning `n` rows `0..n`.
#[derive(Debug)]
struct Range;

impl TableFunctionImpl for Range {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        guard("example_range()", || range(args))
    }
}

fn range(args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
    let n = match args.exprs() {
        [Expr::Literal(ScalarValue::Int64(Some(n)), _)] if *n >= 0 => *n,
        _ => return plan_err!("example_range takes one non-negative integer"),
    };
    let schema = Arc::new(Schema::new(vec![Field::new("i", DataType::Int64, false)]));
    let column: ArrayRef = Arc::new(Int64Array::from_iter_values(0..n));
    let batch = RecordBatch::try_new(Arc::clone(&schema), vec![column])?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
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

/// A catalog with one schema, `plugin`, holding the table `items`.
fn example_catalog() -> Result<Arc<dyn CatalogProvider>> {
    let catalog = MemoryCatalogProvider::new();
    catalog.register_schema("plugin", example_schema()?)?;
    Ok(Arc::new(catalog))
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
        let catalog = example_catalog().map_err(to_py)?;
        let ffi =
            FFI_CatalogProvider::new_with_ffi_codec(catalog, Some(handle()), logical_codec(codec)?);
        PyCapsule::new_with_value(py, ffi, c"datafusion_catalog_provider")
    }
}

/// A list of catalogs: `plugin_catalog.plugin.items`.
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
        let list = MemoryCatalogProviderList::new();
        list.register_catalog("plugin_catalog".into(), example_catalog().map_err(to_py)?);
        let list: Arc<dyn CatalogProviderList> = Arc::new(list);
        let ffi = FFI_CatalogProviderList::new_with_ffi_codec(
            list,
            Some(handle()),
            logical_codec(codec)?,
        );
        PyCapsule::new_with_value(py, ffi, c"datafusion_catalog_provider_list")
    }
}

/// `CREATE EXTERNAL TABLE t STORED AS EXAMPLE LOCATION '...' OPTIONS ('rows' '4')` makes a table
/// `i` = 0..rows (the location is required by the FFI layer and ignored here).
#[derive(Debug)]
struct RowsFactory;

#[async_trait::async_trait]
impl TableProviderFactory for RowsFactory {
    async fn create(
        &self,
        _state: &dyn Session,
        cmd: &CreateExternalTable,
    ) -> Result<Arc<dyn TableProvider>> {
        guard_future("example table factory", async { rows_table(cmd) }).await
    }
}

fn rows_table(cmd: &CreateExternalTable) -> Result<Arc<dyn TableProvider>> {
    let rows = cmd
        .options
        .iter()
        .find(|(k, _)| k.ends_with("rows"))
        .map(|(_, v)| v.parse::<i64>())
        .transpose()
        .map_err(|e| DataFusionError::Plan(format!("option 'rows' must be an integer: {e}")))?
        .unwrap_or(3);
    let schema = Arc::new(Schema::new(vec![Field::new("i", DataType::Int64, false)]));
    let column: ArrayRef = Arc::new(Int64Array::from_iter_values(0..rows));
    let batch = RecordBatch::try_new(Arc::clone(&schema), vec![column])?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}

#[pyclass(frozen)]
struct RowsTableFactory;

#[pymethods]
impl RowsTableFactory {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_table_provider_factory__<'py>(
        &self,
        py: Python<'py>,
        codec: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let ffi = FFI_TableProviderFactory::new_with_ffi_codec(
            Arc::new(RowsFactory),
            Some(handle()),
            logical_codec(codec)?,
        );
        PyCapsule::new_with_value(py, ffi, c"datafusion_table_provider_factory")
    }
}

/// `sum_of_squares(x)`: an Int64 aggregate.
#[derive(Debug, Default)]
struct SumOfSquares(i64);

impl SumOfSquares {
    /// Adds terms (`None`: a term that overflowed); an overflow is an error, never a wrap or a panic.
    fn add(&mut self, terms: impl Iterator<Item = Option<i64>>) -> Result<()> {
        for term in terms {
            let sum = term.and_then(|t| self.0.checked_add(t));
            self.0 = sum.ok_or_else(|| overflow("sum_of_squares()"))?;
        }
        Ok(())
    }
}

impl Accumulator for SumOfSquares {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        guard("example sum_of_squares() update", || {
            let values = int64_arg(values, "sum_of_squares()")?;
            let squares = values.iter().flatten().map(|v| v.checked_mul(v));
            self.add(squares)
        })
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        guard("example sum_of_squares() merge", || {
            let partial = int64_arg(states, "sum_of_squares() state")?;
            self.add(partial.iter().flatten().map(Some))
        })
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        guard("example sum_of_squares() state", || Ok(vec![ScalarValue::Int64(Some(self.0))]))
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        guard("example sum_of_squares() evaluate", || Ok(ScalarValue::Int64(Some(self.0))))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[pyclass(frozen)]
struct SumOfSquaresUdaf;

#[pymethods]
impl SumOfSquaresUdaf {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_aggregate_udf__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let udaf = create_udaf(
            "sum_of_squares",
            vec![DataType::Int64],
            Arc::new(DataType::Int64),
            Volatility::Immutable,
            Arc::new(|_| Ok(Box::new(SumOfSquares::default()))),
            Arc::new(vec![DataType::Int64]),
        );
        let ffi = FFI_AggregateUDF::from(Arc::new(udaf));
        PyCapsule::new_with_value(py, ffi, c"datafusion_aggregate_udf")
    }
}

/// `example_row_number()`: 1, 2, ... within each partition.
#[derive(Debug)]
struct Numbering;

impl PartitionEvaluator for Numbering {
    fn evaluate_all(&mut self, _values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        guard("example_row_number()", || {
            Ok(Arc::new(Int64Array::from_iter_values(1..=num_rows as i64)) as ArrayRef)
        })
    }
}

#[pyclass(frozen)]
struct RowNumberUdwf;

#[pymethods]
impl RowNumberUdwf {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_window_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let udwf = create_udwf(
            "example_row_number",
            DataType::Int64,
            Arc::new(DataType::Int64),
            Volatility::Immutable,
            Arc::new(|| Ok(Box::new(Numbering))),
        );
        let ffi = FFI_WindowUDF::from(Arc::new(udwf));
        PyCapsule::new_with_value(py, ffi, c"datafusion_window_udf")
    }
}

/// A physical optimizer rule that changes nothing and counts how often the host runs it.
#[derive(Debug, Default)]
struct Counting(Arc<AtomicUsize>);

impl PhysicalOptimizerRule for Counting {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        guard("example_counting_rule", || {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(plan)
        })
    }

    fn name(&self) -> &str {
        "example_counting_rule"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

#[pyclass(frozen)]
struct CountingRule {
    count: Arc<AtomicUsize>,
}

#[pymethods]
impl CountingRule {
    #[new]
    fn new() -> Self {
        Self { count: Arc::default() }
    }

    /// How many times a host has run this rule.
    #[getter]
    fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    fn __datafusion_physical_optimizer_rule__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let rule = Arc::new(Counting(Arc::clone(&self.count)));
        let ffi = FFI_PhysicalOptimizerRule::new(rule, Some(handle()));
        PyCapsule::new_with_value(py, ffi, c"datafusion_physical_optimizer_rule")
    }
}

#[pymodule]
fn _internal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<CountingRule>()?;
    m.add_class::<planner::CountingPlanner>()?;
    m.add_class::<ExampleCatalogList>()?;
    m.add_class::<RowsTableFactory>()?;
    m.add_class::<SumOfSquaresUdaf>()?;
    m.add_class::<RowNumberUdwf>()?;
    m.add_class::<MemoryTable>()?;
    m.add_class::<SleepyTable>()?;
    m.add_class::<DoubleUdf>()?;
    m.add_class::<RangeFunction>()?;
    m.add_class::<ExampleSchema>()?;
    m.add_class::<ExampleCatalog>()?;
    m.add_class::<codec::CountingLogicalCodec>()?;
    m.add_class::<codec::CountingPhysicalCodec>()?;
    m.add_class::<options::ExampleOptions>()?;
    m.add_class::<options::GreetUdf>()?;
    m.add_class::<test_hooks::PanickingTable>()?;
    m.add_class::<test_hooks::PanickingUdf>()?;
    Ok(())
}
