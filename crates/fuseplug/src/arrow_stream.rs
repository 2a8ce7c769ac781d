//! Tables over any object that exports the Arrow PyCapsule stream interface (`__arrow_c_stream__`):
//! DuckDB relations, polars and pyarrow frames, readers, SedonaDB and Daft frames. No datafusion-ffi
//! is involved, so the producer may be built on anything.
//!
//! The stream taken at registration (which gives the schema) serves the first scan; every later scan
//! asks the object for a fresh stream, so a DuckDB relation or a mutable producer is re-read. A
//! one-shot reader (`pyarrow.RecordBatchReader`) cannot be read twice and says so.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use arrow::ffi_stream::ArrowArrayStreamReader;
use arrow::pyarrow::FromPyArrow;
use arrow::record_batch::RecordBatchReader;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::error::{DataFusionError, Result as DFResult};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::PartitionStream;
use fuseplug_capsule::runtime::handle;
use pyo3::prelude::*;

use crate::errors::{Result, py_to_datafusion};

/// How many batches the reading thread may run ahead of the query.
const READ_AHEAD: usize = 2;

pub struct ArrowStreamPartition {
    source: Py<PyAny>,
    source_type: String,
    schema: SchemaRef,
    single_shot: bool,
    first: Mutex<Option<ArrowArrayStreamReader>>,
    /// How many scans have started (for the `Debug` output).
    scans: AtomicUsize,
}

impl fmt::Debug for ArrowStreamPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrowStreamPartition")
            .field("source_type", &self.source_type)
            .field("single_shot", &self.single_shot)
            .field("scans", &self.scans.load(Ordering::Relaxed))
            .finish()
    }
}

impl ArrowStreamPartition {
    fn next_reader(&self) -> DFResult<ArrowArrayStreamReader> {
        self.scans.fetch_add(1, Ordering::SeqCst);
        if let Some(reader) = self.first.lock().ok().and_then(|mut first| first.take()) {
            return Ok(reader);
        }
        if self.single_shot {
            return Err(DataFusionError::Execution(format!(
                "this table reads a one-shot Arrow stream ({}), which an earlier scan already \
                 consumed; register an object that can be read again (a pyarrow Table or Dataset, \
                 a polars or DuckDB frame) or a table function that returns a fresh reader",
                self.source_type
            )));
        }
        let reader =
            Python::attach(|py| ArrowArrayStreamReader::from_pyarrow_bound(self.source.bind(py)))
                .map_err(py_to_datafusion)?;
        let schema = reader.schema();
        if schema.fields() != self.schema.fields() {
            return Err(DataFusionError::Execution(format!(
                "the {} registered with schema {:?} now produces schema {:?}",
                self.source_type,
                self.schema.fields(),
                schema.fields()
            )));
        }
        Ok(reader)
    }
}

impl PartitionStream for ArrowStreamPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = Arc::clone(&self.schema);
        let reader = match self.next_reader() {
            Ok(reader) => reader,
            Err(err) => {
                let failed = futures::stream::once(async move { Err(err) });
                return Box::pin(RecordBatchStreamAdapter::new(schema, failed));
            }
        };
        read_on_blocking_thread(reader, schema)
    }
}

/// The batches of `reader` as a stream. Reading may block (or call back into Python, which takes
/// the GIL itself), so it runs on a blocking thread that hands batches over a bounded channel and
/// stops when the query stops reading.
pub(crate) fn read_on_blocking_thread(
    reader: ArrowArrayStreamReader,
    schema: SchemaRef,
) -> SendableRecordBatchStream {
    let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD);
    handle().spawn_blocking(move || {
        for batch in reader {
            if tx.blocking_send(batch.map_err(DataFusionError::from)).is_err() {
                break; // the query stopped reading
            }
        }
    });
    let batches =
        futures::stream::unfold(
            rx,
            |mut rx| async move { rx.recv().await.map(|batch| (batch, rx)) },
        );
    Box::pin(RecordBatchStreamAdapter::new(schema, batches))
}

/// A table over `source`'s Arrow stream; `single_shot` when the source can be read only once.
pub fn arrow_stream_table(source: &Bound<'_, PyAny>, single_shot: bool) -> Result<StreamingTable> {
    let reader = ArrowArrayStreamReader::from_pyarrow_bound(source)?;
    let schema = reader.schema();
    let partition = ArrowStreamPartition {
        source: source.clone().unbind(),
        source_type: source.get_type().name()?.to_string(),
        schema: Arc::clone(&schema),
        single_shot,
        first: Mutex::new(Some(reader)),
        scans: AtomicUsize::new(0),
    };
    Ok(StreamingTable::try_new(schema, vec![Arc::new(partition)])?)
}
