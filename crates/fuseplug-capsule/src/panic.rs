//! Panic guards for code that another library calls through an `extern "C"` function.
//!
//! datafusion-ffi has no `catch_unwind`: a panic that escapes one of its callbacks aborts the whole
//! process. Whatever a library runs on behalf of another host goes through one of these guards, so a
//! panic becomes a DataFusion error instead: [`guard`] for a call (a UDF body, an accumulator method,
//! a table function), [`guard_future`] for an async one (a table scan, a table factory) and
//! [`guard_stream`] for every poll of a record batch stream.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream};
use futures::{FutureExt, Stream};
use tokio::runtime::Handle;

/// The text a panic was raised with, when it was a string.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

/// The execution error a caught panic becomes: it names `what` panicked and keeps the message.
pub fn panic_error(what: &str, payload: &(dyn Any + Send)) -> DataFusionError {
    DataFusionError::Execution(format!("panic in {what}: {}", panic_message(payload)))
}

/// Runs `f`, turning a panic into an execution error (see [`panic_error`]).
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(panic_error(what, &*payload)))
}

/// Awaits `fut`, turning a panic in any of its polls into an execution error (see [`panic_error`]).
pub async fn guard_future<T>(what: &str, fut: impl Future<Output = Result<T>>) -> Result<T> {
    AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .unwrap_or_else(|payload| Err(panic_error(what, &*payload)))
}

/// `inner` with every poll guarded: a panic becomes one execution error item, after which the
/// stream ends (the inner stream is in an unknown state and is never polled again). With `runtime`,
/// each poll runs inside that tokio runtime, so the inner stream can spawn and sleep on it whichever
/// executor polls it; entering it is guarded too.
pub fn guard_stream(
    what: impl Into<String>,
    inner: SendableRecordBatchStream,
    runtime: Option<Handle>,
) -> SendableRecordBatchStream {
    Box::pin(GuardedStream { what: what.into(), inner, runtime, done: false })
}

/// See [`guard_stream`].
pub struct GuardedStream {
    what: String,
    inner: SendableRecordBatchStream,
    runtime: Option<Handle>,
    done: bool,
}

impl Stream for GuardedStream {
    type Item = Result<RecordBatch>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        let (inner, runtime) = (&mut this.inner, &this.runtime);
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let _entered = runtime.as_ref().map(Handle::enter);
            inner.as_mut().poll_next(cx)
        }));
        polled.unwrap_or_else(|payload| {
            this.done = true;
            Poll::Ready(Some(Err(panic_error(&this.what, &*payload))))
        })
    }
}

impl RecordBatchStream for GuardedStream {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::datatypes::Schema;
    use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
    use futures::StreamExt;

    use super::*;

    fn block_on<F: Future>(fut: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(fut)
    }

    #[test]
    fn guard_turns_a_panic_into_an_execution_error() {
        let err = guard::<()>("a test", || panic!("boom")).unwrap_err();
        assert!(matches!(&err, DataFusionError::Execution(m) if m == "panic in a test: boom"));
        assert_eq!(guard("a test", || Ok(7)).unwrap(), 7);
    }

    #[test]
    fn guard_future_turns_a_panic_into_an_execution_error() {
        let err = block_on(guard_future::<()>("a scan", async { panic!("at {}", 3) })).unwrap_err();
        assert!(matches!(&err, DataFusionError::Execution(m) if m == "panic in a scan: at 3"));
    }

    #[test]
    fn a_panicking_stream_yields_one_error_then_ends() {
        let schema = Arc::new(Schema::empty());
        let panicking = futures::stream::poll_fn(|_| -> Poll<Option<Result<RecordBatch>>> {
            panic!("poll failed")
        });
        let inner = Box::pin(RecordBatchStreamAdapter::new(Arc::clone(&schema), panicking));
        let mut stream = guard_stream("a stream", inner, None);
        assert_eq!(stream.schema(), schema);
        let first = block_on(stream.next()).unwrap().unwrap_err();
        assert!(first.to_string().contains("panic in a stream: poll failed"), "{first}");
        assert!(block_on(stream.next()).is_none());
    }

    #[test]
    fn a_guarded_stream_polls_inside_the_given_runtime() {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let schema = Arc::new(Schema::empty());
        // tokio::spawn panics ("no reactor running") unless the poll runs inside a runtime.
        let spawning = futures::stream::once(async {
            tokio::spawn(async {}).await.map_err(|e| DataFusionError::External(Box::new(e)))?;
            Ok(RecordBatch::new_empty(Arc::new(Schema::empty())))
        });
        let inner = Box::pin(RecordBatchStreamAdapter::new(schema, spawning));
        let mut stream = guard_stream("a stream", inner, Some(runtime.handle().clone()));
        let polled = futures::executor::block_on(stream.next()).unwrap();
        assert!(polled.is_ok(), "{polled:?}");
    }
}
