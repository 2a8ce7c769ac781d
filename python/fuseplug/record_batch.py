"""Record batches and streams of them, under the module name of the official bindings."""

from fuseplug.dataframe import RecordBatch, RecordBatchStream

__all__ = ["RecordBatch", "RecordBatchStream"]
