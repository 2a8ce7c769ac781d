//! The per-format read options shared by `SessionContext.register_*` and `read_*`.

use std::str::FromStr;

use arrow::datatypes::{DataType, Schema};
use arrow::pyarrow::PyArrowType;
use datafusion::datasource::file_format::file_compression_type::FileCompressionType;
use datafusion::datasource::file_format::options::ArrowReadOptions;
use datafusion::logical_expr::SortExpr;
use datafusion::prelude::{AvroReadOptions, CsvReadOptions, JsonReadOptions, ParquetReadOptions};
use pyo3::prelude::*;

use crate::dataframe::single_byte;
use crate::errors::Result;
use crate::expr::{PySortExpr, sort_exprs};

/// Either one path or a list of paths.
#[derive(FromPyObject)]
pub enum Paths {
    One(String),
    Many(Vec<String>),
}

impl Paths {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Paths::One(p) => vec![p],
            Paths::Many(ps) => ps,
        }
    }
}

pub type PartitionCols = Vec<(String, PyArrowType<DataType>)>;

pub fn partition_cols(cols: Option<PartitionCols>) -> Vec<(String, DataType)> {
    cols.unwrap_or_default().into_iter().map(|(name, ty)| (name, ty.0)).collect()
}

pub fn compression(name: Option<&str>) -> Result<FileCompressionType> {
    match name {
        None => Ok(FileCompressionType::UNCOMPRESSED),
        Some(name) => Ok(FileCompressionType::from_str(name)?),
    }
}

pub fn sort_order(order: Option<Vec<Vec<PySortExpr>>>) -> Vec<Vec<SortExpr>> {
    order.unwrap_or_default().into_iter().map(sort_exprs).collect()
}

// One builder per file format, shared by `register_*` and `read_*`.

pub type ArrowSchema = PyArrowType<Schema>;

pub fn parquet_options<'a>(
    table_partition_cols: Option<PartitionCols>,
    parquet_pruning: bool,
    file_extension: &'a str,
    skip_metadata: bool,
    schema: Option<&'a ArrowSchema>,
    file_sort_order: Option<Vec<Vec<PySortExpr>>>,
) -> ParquetReadOptions<'a> {
    let mut options = ParquetReadOptions::default()
        .table_partition_cols(partition_cols(table_partition_cols))
        .parquet_pruning(parquet_pruning)
        .skip_metadata(skip_metadata);
    options.file_extension = file_extension;
    options.schema = schema.map(|s| &s.0);
    options.file_sort_order = sort_order(file_sort_order);
    options
}

/// The CSV settings beyond the common ones (`CsvReadOptions` in Python): quoting, escapes,
/// comments, line handling, nulls, and the files' sort order. Read from a dict with every key.
#[derive(FromPyObject, Default)]
#[pyo3(from_item_all)]
pub struct CsvDetails {
    pub quote: Option<String>,
    pub terminator: Option<String>,
    pub escape: Option<String>,
    pub comment: Option<String>,
    pub newlines_in_values: bool,
    pub null_regex: Option<String>,
    pub truncated_rows: bool,
    pub file_sort_order: Option<Vec<Vec<PySortExpr>>>,
}

#[allow(clippy::too_many_arguments)]
pub fn csv_options<'a>(
    schema: Option<&'a ArrowSchema>,
    has_header: bool,
    delimiter: &str,
    schema_infer_max_records: usize,
    file_extension: &'a str,
    file_compression_type: Option<&str>,
    table_partition_cols: Option<PartitionCols>,
    details: Option<CsvDetails>,
) -> Result<CsvReadOptions<'a>> {
    let details = details.unwrap_or_default();
    let mut options = CsvReadOptions::new()
        .has_header(has_header)
        .delimiter(single_byte(delimiter, "delimiter")?)
        .schema_infer_max_records(schema_infer_max_records)
        .file_extension(file_extension)
        .file_compression_type(compression(file_compression_type)?)
        .table_partition_cols(partition_cols(table_partition_cols))
        .newlines_in_values(details.newlines_in_values)
        .null_regex(details.null_regex)
        .truncated_rows(details.truncated_rows)
        .file_sort_order(sort_order(details.file_sort_order));
    if let Some(quote) = details.quote {
        options = options.quote(single_byte(&quote, "quote")?);
    }
    if let Some(terminator) = details.terminator {
        options = options.terminator(Some(single_byte(&terminator, "terminator")?));
    }
    if let Some(escape) = details.escape {
        options = options.escape(single_byte(&escape, "escape")?);
    }
    if let Some(comment) = details.comment {
        options = options.comment(single_byte(&comment, "comment")?);
    }
    options.schema = schema.map(|s| &s.0);
    Ok(options)
}

pub fn json_options<'a>(
    schema: Option<&'a ArrowSchema>,
    schema_infer_max_records: usize,
    file_extension: &'a str,
    file_compression_type: Option<&str>,
    table_partition_cols: Option<PartitionCols>,
) -> Result<JsonReadOptions<'a>> {
    let mut options = JsonReadOptions::default()
        .schema_infer_max_records(schema_infer_max_records)
        .file_extension(file_extension)
        .file_compression_type(compression(file_compression_type)?)
        .table_partition_cols(partition_cols(table_partition_cols));
    options.schema = schema.map(|s| &s.0);
    Ok(options)
}

pub fn avro_options<'a>(
    schema: Option<&'a ArrowSchema>,
    file_extension: &'a str,
    table_partition_cols: Option<PartitionCols>,
) -> AvroReadOptions<'a> {
    let mut options =
        AvroReadOptions::default().table_partition_cols(partition_cols(table_partition_cols));
    options.file_extension = file_extension;
    options.schema = schema.map(|s| &s.0);
    options
}

pub fn arrow_options<'a>(
    schema: Option<&'a ArrowSchema>,
    file_extension: &'a str,
    table_partition_cols: Option<PartitionCols>,
) -> ArrowReadOptions<'a> {
    let mut options =
        ArrowReadOptions::default().table_partition_cols(partition_cols(table_partition_cols));
    options.file_extension = file_extension;
    options.schema = schema.map(|s| &s.0);
    options
}
