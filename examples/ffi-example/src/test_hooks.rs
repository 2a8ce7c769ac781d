//! Test hooks, not examples to follow: objects that panic on purpose, so tests can show that a panic
//! in plugin code becomes an error in any host (fuseplug, the official `datafusion` wheel) instead of
//! aborting the process. Never register them outside a test.
//!
//! Each panic happens under one of `fuseplug_capsule::panic`'s guards, exactly where a real bug would:
//! in a UDF body, in a table scan, in a poll of a scan's stream.

use std::sync::Arc;
use std::task::Poll;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{ColumnarValue, Expr, Volatility, create_udf};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use datafusion_ffi::table_provider::FFI_TableProvider;
use datafusion_ffi::udf::FFI_ScalarUDF;
use fuseplug_capsule::import::task_context_provider;
use fuseplug_capsule::panic::{guard, guard_future, guard_stream};
use fuseplug_capsule::runtime::handle;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// Test hook: `example_panic(x)`, a scalar UDF whose body panics on every call.
#[pyclass(frozen)]
pub struct PanickingUdf;

#[pymethods]
impl PanickingUdf {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_scalar_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let body = |_args: &[ColumnarValue]| -> Result<ColumnarValue> {
            guard("example_panic()", || panic!("example_panic() panics on purpose (a test hook)"))
        };
        let udf = create_udf(
            "example_panic",
            vec![DataType::Int64],
            DataType::Int64,
            Volatility::Volatile,
            Arc::new(body),
        );
        PyCapsule::new_with_value(py, FFI_ScalarUDF::from(Arc::new(udf)), c"datafusion_scalar_udf")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum At {
    Scan,
    Stream,
}

/// Test hook: a one-column table (`v` Int64) that panics in its scan (`at="scan"`) or when the host
/// polls its stream (`at="stream"`).
#[pyclass(frozen)]
pub struct PanickingTable {
    at: At,
}

#[pymethods]
impl PanickingTable {
    #[new]
    fn new(at: &str) -> PyResult<Self> {
        let at = match at {
            "scan" => At::Scan,
            "stream" => At::Stream,
            other => {
                return Err(PyValueError::new_err(format!(
                    "at must be 'scan' or 'stream', not {other:?}"
                )));
            }
        };
        Ok(Self { at })
    }

    fn __datafusion_table_provider__<'py>(
        &self,
        py: Python<'py>,
        session: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        let table = Arc::new(Panicking { at: self.at, schema });
        let tasks = task_context_provider(session)?;
        let ffi = FFI_TableProvider::new(table, false, Some(handle()), tasks, None);
        PyCapsule::new_with_value(py, ffi, c"datafusion_table_provider")
    }
}

#[derive(Debug)]
struct Panicking {
    at: At,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for Panicking {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        guard_future("example PanickingTable scan", async {
            if self.at == At::Scan {
                panic!("PanickingTable panics in its scan on purpose (a test hook)");
            }
            let partition = Arc::new(PanickingStream { schema: Arc::clone(&self.schema) });
            let table = StreamingTable::try_new(Arc::clone(&self.schema), vec![partition])?;
            table.scan(state, projection, filters, limit).await
        })
        .await
    }
}

#[derive(Debug)]
struct PanickingStream {
    schema: SchemaRef,
}

impl PartitionStream for PanickingStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let panicking = futures::stream::poll_fn(|_| -> Poll<Option<Result<RecordBatch>>> {
            panic!("PanickingTable panics in its stream on purpose (a test hook)")
        });
        let stream = RecordBatchStreamAdapter::new(Arc::clone(&self.schema), panicking);
        guard_stream("example PanickingTable stream", Box::pin(stream), None)
    }
}
