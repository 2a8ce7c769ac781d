//! Pulling batches out of an executing plan: the Python iterator and the Arrow C stream reader.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::error::ArrowError;
use arrow::pyarrow::ToPyArrow;
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use datafusion::execution::SendableRecordBatchStream;
use fuseplug_capsule::runtime::wait_for_future;
use futures::StreamExt;
use pyo3::prelude::*;
use tokio::sync::Mutex;

use crate::errors::Result;

/// A stream of record batches. `next()` returns a pyarrow RecordBatch, or `None` at the end.
#[pyclass(frozen, name = "RecordBatchStream", module = "fuseplug._internal")]
pub struct PyRecordBatchStream {
    schema: SchemaRef,
    stream: Arc<Mutex<SendableRecordBatchStream>>,
}

impl PyRecordBatchStream {
    pub fn new(stream: SendableRecordBatchStream) -> Self {
        Self { schema: stream.schema(), stream: Arc::new(Mutex::new(stream)) }
    }
}

#[pymethods]
impl PyRecordBatchStream {
    fn next(&self, py: Python<'_>) -> Result<Option<Py<PyAny>>> {
        let stream = Arc::clone(&self.stream);
        let batch = wait_for_future(py, async move { stream.lock().await.next().await })?;
        match batch {
            Some(batch) => Ok(Some(batch?.to_pyarrow(py)?.unbind())),
            None => Ok(None),
        }
    }

    fn schema<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        Ok(self.schema.to_pyarrow(py)?)
    }
}

/// Adapts a DataFusion stream to a blocking arrow reader, for export over the Arrow C stream interface.
struct BlockingReader {
    schema: SchemaRef,
    stream: SendableRecordBatchStream,
}

impl Iterator for BlockingReader {
    type Item = std::result::Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        // The consumer may or may not hold the GIL; `wait_for_future` releases it while we wait,
        // because Python UDFs in the plan need it on the worker threads, and stops on Ctrl-C or an
        // exception raised in this thread, which reaches the consumer as the stream's error (pyarrow
        // raises `ArrowInvalid: External error: KeyboardInterrupt`, as with the official wheel).
        let stream = &mut self.stream;
        Python::attach(|py| match wait_for_future(py, stream.next()) {
            Ok(next) => next.map(|r| r.map_err(|e| ArrowError::ExternalError(Box::new(e)))),
            Err(interrupt) => Some(Err(ArrowError::ExternalError(interrupt.to_string().into()))),
        })
    }
}

impl RecordBatchReader for BlockingReader {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

pub fn batch_reader(stream: SendableRecordBatchStream) -> Box<dyn RecordBatchReader + Send> {
    Box::new(BlockingReader { schema: stream.schema(), stream })
}
