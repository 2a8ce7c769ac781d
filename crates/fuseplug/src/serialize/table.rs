//! In-memory tables inside serialized plans, as one Arrow IPC stream per partition.
//!
//! Logical plans reach the codec with the table itself (`try_encode_table_provider`); physical plans
//! carry their memory scans through DataFusion's own protobuf, so for them only the size limit is
//! checked here, before encoding.

use std::io::Cursor;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::catalog::streaming::StreamingTable;
use datafusion::common::TableReference;
use datafusion::datasource::TableProvider;
use datafusion::datasource::memory::{DataSourceExec, MemorySourceConfig};
use datafusion::error::Result;
use datafusion::physical_plan::ExecutionPlan;

use super::Env;
use super::frame::{self, Kind};
use super::ipc_check::check_stream;
use super::options::MAX_INLINE_TABLE_BYTES_KEY;

fn too_big(
    env: &Env,
    what: &str,
    bytes: usize,
    limit: usize,
) -> datafusion::error::DataFusionError {
    env.fail(
        format!(
            "{what} needs more than {limit} bytes inline ({bytes} so far), over \
             {MAX_INLINE_TABLE_BYTES_KEY} = {limit}; raise it (SessionConfig().set({:?}, n) or SET \
             {MAX_INLINE_TABLE_BYTES_KEY} = n) or write the table to Parquet and register that",
            MAX_INLINE_TABLE_BYTES_KEY
        ),
        None,
    )
}

/// Encodes `provider` when it is a table this host can send by value: writes its frame and returns
/// `true`. Tables over live Arrow streams are refused; anything else is left to other codecs.
pub fn encode(
    env: &Env,
    table_ref: &TableReference,
    provider: &Arc<dyn TableProvider>,
    buf: &mut Vec<u8>,
) -> Result<bool> {
    let provider = provider.as_ref();
    if provider.is::<StreamingTable>() {
        return Err(env.fail(
            format!(
                "table {table_ref} reads a live Arrow stream (registered from an __arrow_c_stream__ \
                 object or a one-shot reader), which cannot travel inside a plan; load it into \
                 memory first, e.g. ctx.from_arrow(pyarrow.table(obj)), or DataFrame.cache()"
            ),
            None,
        ));
    }
    let Some(table) = provider.downcast_ref::<MemTable>() else {
        return Ok(false);
    };
    let limit = env.max_inline_table_bytes();
    let what = format!("in-memory table {table_ref}");
    let mut body = Vec::new();
    body.extend_from_slice(&(table.batches.len() as u64).to_le_bytes());
    for partition in &table.batches {
        let batches = partition.try_read().map_err(|_| {
            env.fail(format!("{what} is being written to; serialize it after the insert"), None)
        })?;
        let ipc = ipc_bytes(&table.schema(), &batches)?;
        if body.len() + ipc.len() > limit {
            return Err(too_big(env, &what, body.len() + ipc.len(), limit));
        }
        frame::put_bytes(&mut body, &ipc);
    }
    frame::open(Kind::MemoryTable, None, buf);
    buf.extend_from_slice(&body);
    Ok(true)
}

fn ipc_bytes(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let mut writer = StreamWriter::try_new(Vec::new(), schema)?;
    for batch in batches {
        writer.write(batch)?;
    }
    Ok(writer.into_inner()?)
}

/// A table from a frame written by [`encode`], with the schema the plan recorded for it.
pub fn decode(env: &Env, buf: &[u8], schema: SchemaRef) -> Result<Arc<dyn TableProvider>> {
    let kind = Kind::MemoryTable;
    let opened = frame::read(kind, buf).map_err(|e| env.fail(e.to_string(), None))?;
    let mut rest = opened.payload;
    let truncated = || env.fail(format!("{kind} payload is truncated"), None);
    let (count, tail) = rest.split_first_chunk::<8>().ok_or_else(truncated)?;
    rest = tail;
    let count = u64::from_le_bytes(*count);
    // each partition takes at least its 8-byte length: a count beyond that is corrupt
    if count > (rest.len() / 8) as u64 {
        return Err(truncated());
    }
    let mut partitions = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let ipc = frame::take_bytes(&mut rest).ok_or_else(truncated)?;
        check_stream(ipc)
            .map_err(|why| env.fail(format!("{kind} holds invalid Arrow IPC: {why}"), None))?;
        let reader = StreamReader::try_new(Cursor::new(ipc), None)
            .map_err(|e| env.fail(format!("{kind} holds invalid Arrow IPC: {e}"), None))?;
        let batches = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| env.fail(format!("{kind} holds invalid Arrow IPC: {e}"), None))?;
        partitions.push(batches);
    }
    if !rest.is_empty() {
        return Err(env.fail(format!("{kind} payload has {} trailing bytes", rest.len()), None));
    }
    let table = MemTable::try_new(schema, partitions)
        .map_err(|e| env.fail(format!("{kind} does not match the plan's schema: {e}"), None))?;
    Ok(Arc::new(table))
}

/// Refuses a physical plan whose memory scans together hold more than the session's inline limit
/// (DataFusion's protobuf writes their batches into the plan).
pub fn check_inline_tables(env: &Env, plan: &Arc<dyn ExecutionPlan>) -> Result<()> {
    let limit = env.max_inline_table_bytes();
    let mut total = 0usize;
    let mut pending = vec![Arc::clone(plan)];
    while let Some(node) = pending.pop() {
        if let Some(source) = node.as_ref().downcast_ref::<DataSourceExec>()
            && let Some(memory) = source.data_source().as_ref().downcast_ref::<MemorySourceConfig>()
        {
            total += memory
                .partitions()
                .iter()
                .flatten()
                .map(RecordBatch::get_array_memory_size)
                .sum::<usize>();
            if total > limit {
                return Err(too_big(env, "the plan's in-memory data", total, limit));
            }
        }
        pending.extend(node.children().into_iter().cloned());
    }
    Ok(())
}
