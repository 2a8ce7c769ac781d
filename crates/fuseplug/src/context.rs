//! `SessionContext`: the entry point. Owns the DataFusion session; every method that reads files or
//! plans SQL goes through `wait_for_future`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::pyarrow::PyArrowType;
use arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::TableProvider;
use datafusion::datasource::file_format::options::ReadOptions;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::error::Result as DFResult;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::prelude::SessionContext;
use fuseplug_capsule::runtime::{runtime, wait_for_future};
use fuseplug_engine::state::rebuilt;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::capsule::{self, SessionTasks};
use crate::read_options::{
    CsvDetails, PartitionCols, Paths, arrow_options, avro_options, csv_options, json_options,
    parquet_options, partition_cols, sort_order,
};

use crate::catalog::{PyCatalog, PyTable};
use crate::config::{PyRuntimeEnvBuilder, PySessionConfig};
use crate::dataframe::PyDataFrame;
use crate::errors::{Error, Result, fuseplug_exception};
use crate::expr::{PySortExpr, py_to_scalar};
use crate::plan::{PyExecutionPlan, PyLogicalPlan};
use crate::planner;
use crate::py_catalog;
use crate::sql::{self, PySQLOptions};
use crate::stream::PyRecordBatchStream;
use crate::udf::{PyAggregateUDF, PyScalarUDF, PyTableFunction, PyWindowUDF};

#[pyclass(frozen, name = "SessionContext", module = "fuseplug._internal", skip_from_py_object)]
#[derive(Clone)]
pub struct PySessionContext {
    pub ctx: Arc<SessionContext>,
    /// What exported capsules hold (weakly): lives as long as this context.
    pub tasks: SessionTasks,
}

impl PySessionContext {
    pub fn from_context(ctx: SessionContext) -> Self {
        let ctx = Arc::new(ctx);
        let tasks = SessionTasks::new(Arc::clone(&ctx));
        Self { ctx, tasks }
    }

    /// A context over the session `tasks` belong to.
    pub fn from_tasks(tasks: SessionTasks) -> Self {
        Self { ctx: tasks.session(), tasks }
    }

    /// A DataFrame of this session (it keeps the session's plugin callbacks alive).
    fn frame(&self, df: DataFrame) -> PyDataFrame {
        PyDataFrame::new(df, self.tasks.clone())
    }

    fn target_partitions(&self) -> usize {
        self.ctx.copied_config().target_partitions()
    }

    fn provide(&self, name: Option<&str>, provider: Arc<dyn TableProvider>) -> Result<PyDataFrame> {
        match name {
            Some(name) => {
                self.ctx.register_table(name, Arc::clone(&provider))?;
                Python::attach(|py| self.table(py, name))
            }
            None => Ok(self.frame(self.ctx.read_table(provider)?)),
        }
    }
}

#[pymethods]
impl PySessionContext {
    #[new]
    #[pyo3(signature = (config = None, runtime = None))]
    fn new(config: Option<PySessionConfig>, runtime: Option<PyRuntimeEnvBuilder>) -> Result<Self> {
        let config = config.unwrap_or_default().inner;
        let runtime = runtime.unwrap_or_default().build()?;
        // what `SessionContext::new_with_config_rt` builds, with fuseplug's optimizer rules
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features();
        let this =
            Self::from_context(SessionContext::new_with_state(crate::optimizer::install(state)));
        // a config made by `SessionConfig.with_distributed` plans on its workers
        crate::distributed::install(&this.ctx, &this.tasks)?;
        Ok(this)
    }

    /// A new context over the same session state that also resolves file paths used as table names.
    fn enable_url_table(&self) -> Self {
        Self::from_context(self.ctx.as_ref().clone().enable_url_table())
    }

    fn session_id(&self) -> String {
        self.ctx.session_id()
    }

    /// Plans one statement. `param_values` bind `$name` placeholders by value; `tables` are
    /// DataFrames that `$name` placeholders stand for (see `sql.rs`).
    #[pyo3(signature = (query, options = None, param_values = None, tables = None))]
    fn sql(
        &self,
        py: Python<'_>,
        query: &str,
        options: Option<PySQLOptions>,
        param_values: Option<HashMap<String, Bound<'_, PyAny>>>,
        tables: Option<HashMap<String, PyDataFrame>>,
    ) -> Result<PyDataFrame> {
        let values = param_values
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| Ok((name, py_to_scalar(&value)?)))
            .collect::<Result<HashMap<_, _>>>()?;
        let tables =
            tables.unwrap_or_default().into_iter().map(|(n, df)| (n, df.inner.as_ref().clone()));
        let df =
            sql::plan(py, &self.ctx, query, options.map(|o| o.inner), values, tables.collect())?;
        Ok(self.frame(crate::distributed::explained(py, &self.ctx, df)?))
    }

    #[pyo3(signature = (name, path, table_partition_cols = None, parquet_pruning = true, file_extension = ".parquet", skip_metadata = true, schema = None, file_sort_order = None))]
    #[allow(clippy::too_many_arguments)]
    fn register_parquet(
        &self,
        py: Python<'_>,
        name: &str,
        path: &str,
        table_partition_cols: Option<PartitionCols>,
        parquet_pruning: bool,
        file_extension: &str,
        skip_metadata: bool,
        schema: Option<PyArrowType<Schema>>,
        file_sort_order: Option<Vec<Vec<PySortExpr>>>,
    ) -> Result<()> {
        let options = parquet_options(
            table_partition_cols,
            parquet_pruning,
            file_extension,
            skip_metadata,
            schema.as_ref(),
            file_sort_order,
        );
        wait_for_future(py, self.ctx.register_parquet(name, path, options))??;
        Ok(())
    }

    #[pyo3(signature = (path, table_partition_cols = None, parquet_pruning = true, file_extension = ".parquet", skip_metadata = true, schema = None, file_sort_order = None))]
    #[allow(clippy::too_many_arguments)]
    fn read_parquet(
        &self,
        py: Python<'_>,
        path: Paths,
        table_partition_cols: Option<PartitionCols>,
        parquet_pruning: bool,
        file_extension: &str,
        skip_metadata: bool,
        schema: Option<PyArrowType<Schema>>,
        file_sort_order: Option<Vec<Vec<PySortExpr>>>,
    ) -> Result<PyDataFrame> {
        let options = parquet_options(
            table_partition_cols,
            parquet_pruning,
            file_extension,
            skip_metadata,
            schema.as_ref(),
            file_sort_order,
        );
        Ok(self.frame(wait_for_future(py, self.ctx.read_parquet(path.into_vec(), options))??))
    }

    #[pyo3(signature = (name, path, schema = None, has_header = true, delimiter = ",", schema_infer_max_records = 1000, file_extension = ".csv", file_compression_type = None, table_partition_cols = None, details = None))]
    #[allow(clippy::too_many_arguments)]
    fn register_csv(
        &self,
        py: Python<'_>,
        name: &str,
        path: Paths,
        schema: Option<PyArrowType<Schema>>,
        has_header: bool,
        delimiter: &str,
        schema_infer_max_records: usize,
        file_extension: &str,
        file_compression_type: Option<&str>,
        table_partition_cols: Option<PartitionCols>,
        details: Option<CsvDetails>,
    ) -> Result<()> {
        let options = csv_options(
            schema.as_ref(),
            has_header,
            delimiter,
            schema_infer_max_records,
            file_extension,
            file_compression_type,
            table_partition_cols,
            details,
        )?;
        let paths = match path {
            Paths::One(path) => {
                wait_for_future(py, self.ctx.register_csv(name, &path, options))??;
                return Ok(());
            }
            Paths::Many(paths) => paths,
        };
        // Several files: one listing table over all of them, its schema read from the first.
        let Some(first) = paths.first() else {
            return Err(Error::Value("register_csv needs at least one path".into()));
        };
        let first = ListingTableUrl::parse(first)?;
        let urls = paths.iter().map(ListingTableUrl::parse).collect::<DFResult<Vec<_>>>()?;
        let config = self.ctx.copied_config();
        let listing = options.to_listing_options(&config, self.ctx.copied_table_options());
        let state = self.ctx.state();
        let schema = wait_for_future(py, options.get_resolved_schema(&config, state, first))??;
        let table = ListingTable::try_new(
            ListingTableConfig::new_with_multi_paths(urls)
                .with_listing_options(listing)
                .with_schema(schema),
        )?;
        self.ctx.register_table(name, Arc::new(table))?;
        Ok(())
    }

    #[pyo3(signature = (path, schema = None, has_header = true, delimiter = ",", schema_infer_max_records = 1000, file_extension = ".csv", file_compression_type = None, table_partition_cols = None, details = None))]
    #[allow(clippy::too_many_arguments)]
    fn read_csv(
        &self,
        py: Python<'_>,
        path: Paths,
        schema: Option<PyArrowType<Schema>>,
        has_header: bool,
        delimiter: &str,
        schema_infer_max_records: usize,
        file_extension: &str,
        file_compression_type: Option<&str>,
        table_partition_cols: Option<PartitionCols>,
        details: Option<CsvDetails>,
    ) -> Result<PyDataFrame> {
        let options = csv_options(
            schema.as_ref(),
            has_header,
            delimiter,
            schema_infer_max_records,
            file_extension,
            file_compression_type,
            table_partition_cols,
            details,
        )?;
        Ok(self.frame(wait_for_future(py, self.ctx.read_csv(path.into_vec(), options))??))
    }

    #[pyo3(signature = (name, path, schema = None, schema_infer_max_records = 1000, file_extension = ".json", file_compression_type = None, table_partition_cols = None))]
    #[allow(clippy::too_many_arguments)]
    fn register_json(
        &self,
        py: Python<'_>,
        name: &str,
        path: &str,
        schema: Option<PyArrowType<Schema>>,
        schema_infer_max_records: usize,
        file_extension: &str,
        file_compression_type: Option<&str>,
        table_partition_cols: Option<PartitionCols>,
    ) -> Result<()> {
        let options = json_options(
            schema.as_ref(),
            schema_infer_max_records,
            file_extension,
            file_compression_type,
            table_partition_cols,
        )?;
        wait_for_future(py, self.ctx.register_json(name, path, options))??;
        Ok(())
    }

    #[pyo3(signature = (path, schema = None, schema_infer_max_records = 1000, file_extension = ".json", file_compression_type = None, table_partition_cols = None))]
    #[allow(clippy::too_many_arguments)]
    fn read_json(
        &self,
        py: Python<'_>,
        path: Paths,
        schema: Option<PyArrowType<Schema>>,
        schema_infer_max_records: usize,
        file_extension: &str,
        file_compression_type: Option<&str>,
        table_partition_cols: Option<PartitionCols>,
    ) -> Result<PyDataFrame> {
        let options = json_options(
            schema.as_ref(),
            schema_infer_max_records,
            file_extension,
            file_compression_type,
            table_partition_cols,
        )?;
        Ok(self.frame(wait_for_future(py, self.ctx.read_json(path.into_vec(), options))??))
    }

    #[pyo3(signature = (name, path, schema = None, file_extension = ".avro", table_partition_cols = None))]
    fn register_avro(
        &self,
        py: Python<'_>,
        name: &str,
        path: &str,
        schema: Option<PyArrowType<Schema>>,
        file_extension: &str,
        table_partition_cols: Option<PartitionCols>,
    ) -> Result<()> {
        let options = avro_options(schema.as_ref(), file_extension, table_partition_cols);
        wait_for_future(py, self.ctx.register_avro(name, path, options))??;
        Ok(())
    }

    #[pyo3(signature = (path, schema = None, file_extension = ".avro", table_partition_cols = None))]
    fn read_avro(
        &self,
        py: Python<'_>,
        path: Paths,
        schema: Option<PyArrowType<Schema>>,
        file_extension: &str,
        table_partition_cols: Option<PartitionCols>,
    ) -> Result<PyDataFrame> {
        let options = avro_options(schema.as_ref(), file_extension, table_partition_cols);
        Ok(self.frame(wait_for_future(py, self.ctx.read_avro(path.into_vec(), options))??))
    }

    /// Registers in-memory partitions of pyarrow RecordBatches as a table.
    fn register_record_batches(
        &self,
        name: &str,
        partitions: Vec<Vec<PyArrowType<RecordBatch>>>,
    ) -> Result<()> {
        let partitions: Vec<Vec<RecordBatch>> =
            partitions.into_iter().map(|p| p.into_iter().map(|b| b.0).collect()).collect();
        let schema =
            partitions.iter().flatten().next().map(RecordBatch::schema).ok_or_else(|| {
                Error::Value(
                    "register_record_batches got no record batches: at least one is needed for \
                     the schema"
                        .into(),
                )
            })?;
        self.ctx.register_table(name, Arc::new(MemTable::try_new(schema, partitions)?))?;
        Ok(())
    }

    /// Reads any object exporting `__arrow_c_stream__` or `__arrow_c_array__` into memory; registers
    /// it as `name` when one is given.
    #[pyo3(signature = (data, name = None))]
    #[allow(clippy::wrong_self_convention, reason = "the Python API name of the official bindings")]
    fn from_arrow(&self, data: &Bound<'_, PyAny>, name: Option<&str>) -> Result<PyDataFrame> {
        let table = PyTable::from_arrow(data, self.target_partitions())?;
        self.provide(name, table.inner)
    }

    fn register_view(&self, name: &str, df: PyDataFrame) -> Result<()> {
        self.ctx.register_table(name, df.inner.as_ref().clone().into_view())?;
        Ok(())
    }

    fn register_table(&self, name: &str, table: PyTable) -> Result<()> {
        self.ctx.register_table(name, table.inner)?;
        Ok(())
    }

    /// Registers a plugin's table: a `datafusion_table_provider` capsule or an object whose
    /// `__datafusion_table_provider__(session)` returns one. `session` is what the plugin is handed.
    fn register_table_provider(
        &self,
        name: &str,
        provider: &Bound<'_, PyAny>,
        session: &Bound<'_, PyAny>,
    ) -> Result<()> {
        self.ctx.register_table(name, capsule::table_provider(provider, session)?)?;
        Ok(())
    }

    fn read_table_provider(
        &self,
        provider: &Bound<'_, PyAny>,
        session: &Bound<'_, PyAny>,
    ) -> Result<PyDataFrame> {
        Ok(self.frame(self.ctx.read_table(capsule::table_provider(provider, session)?)?))
    }

    /// Registers a plugin's table function (`__datafusion_table_function__(session)` or its capsule).
    fn register_table_function(
        &self,
        name: &str,
        function: &Bound<'_, PyAny>,
        session: &Bound<'_, PyAny>,
    ) -> Result<()> {
        self.ctx.register_udtf(name, capsule::table_function(function, session)?);
        Ok(())
    }

    /// Registers a `Catalog`, a Python `CatalogProvider` or a plugin's catalog
    /// (`__datafusion_catalog_provider__(codec)` or its capsule).
    fn register_catalog_provider(&self, name: &str, catalog: &Bound<'_, PyAny>) -> Result<()> {
        let catalogs = py_catalog::session_catalogs(&self.ctx);
        py_catalog::register_catalog(&catalogs, name, catalog, &self.tasks)?;
        Ok(())
    }

    /// Replaces this session's catalogs with a `CatalogList`, a Python `CatalogProviderList` or a
    /// plugin's (`__datafusion_catalog_provider_list__(codec)` or its capsule).
    fn register_catalog_provider_list(&self, catalogs: &Bound<'_, PyAny>) -> Result<()> {
        let catalogs = py_catalog::catalog_provider_list(catalogs, Some(&self.tasks))?;
        self.ctx.register_catalog_list(catalogs);
        Ok(())
    }

    /// Routes `CREATE EXTERNAL TABLE ... STORED AS <format>` to a Python `TableProviderFactory` or
    /// a plugin's factory (`__datafusion_table_provider_factory__(codec)` or its capsule).
    fn register_table_factory(&self, format: &str, factory: &Bound<'_, PyAny>) -> Result<()> {
        let factory = py_catalog::table_factory(factory, &self.tasks)?;
        let state = self.ctx.state_ref();
        let mut state = state.write();
        state.table_factories_mut().insert(format.to_uppercase(), factory);
        Ok(())
    }

    /// Appends a plugin's physical optimizer rule to this session's rules.
    fn add_physical_optimizer_rule(&self, rule: &Bound<'_, PyAny>) -> Result<()> {
        let rule = capsule::physical_optimizer_rule(rule)?;
        let state = self.ctx.state_ref();
        let mut state = state.write();
        *state = rebuilt(&state, |b| b.with_physical_optimizer_rule(rule))?;
        Ok(())
    }

    /// Registers a plugin's scalar, aggregate or window UDF (a capsule, or an object exporting one).
    fn register_foreign_udf(&self, kind: &str, udf: &Bound<'_, PyAny>) -> Result<()> {
        match kind {
            "scalar" => self.ctx.register_udf(capsule::scalar_udf(udf)?),
            "aggregate" => self.ctx.register_udaf(capsule::aggregate_udf(udf)?),
            "window" => self.ctx.register_udwf(capsule::window_udf(udf)?),
            other => return Err(Error::Value(format!("unknown UDF kind {other:?}"))),
        }
        Ok(())
    }

    fn __datafusion_task_context_provider__<'py>(
        &self,
        py: Python<'py>,
    ) -> Result<Bound<'py, PyCapsule>> {
        capsule::export_task_context_provider(py, &self.tasks)
    }

    /// The session's logical codec. `session` is accepted (and ignored) so that a context answers the
    /// same call a plugin's codec object does.
    #[pyo3(signature = (session = None))]
    fn __datafusion_logical_extension_codec__<'py>(
        &self,
        py: Python<'py>,
        session: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyCapsule>> {
        let _ = session;
        capsule::export_logical_codec(py, &self.tasks)
    }

    #[pyo3(signature = (session = None))]
    fn __datafusion_physical_extension_codec__<'py>(
        &self,
        py: Python<'py>,
        session: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyCapsule>> {
        let _ = session;
        capsule::export_physical_codec(py, &self.tasks)
    }

    /// Makes a plugin's planner (`__datafusion_query_planner__(session)` or its capsule) the
    /// session's, working through this context's codecs (see `planner`).
    fn set_query_planner(
        &self,
        planner: &Bound<'_, PyAny>,
        session: &Bound<'_, PyAny>,
    ) -> Result<()> {
        planner::install(&self.ctx, &self.tasks, planner, session)
    }

    /// The session's current planner as a `datafusion_query_planner` capsule; `session` is ignored.
    #[pyo3(signature = (session = None))]
    fn __datafusion_query_planner__<'py>(
        &self,
        py: Python<'py>,
        session: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyCapsule>> {
        let _ = session;
        planner::export_current(py, &self.ctx, &self.tasks)
    }

    /// A plugin's planner checked and exported again on this context's codecs; writes nothing.
    fn export_query_planner<'py>(
        &self,
        planner: &Bound<'py, PyAny>,
        session: &Bound<'py, PyAny>,
    ) -> Result<Bound<'py, PyCapsule>> {
        planner::reexport(planner, session, &self.tasks)
    }

    /// Binds a plugin planner the session holds to this context's codecs.
    fn rebind_query_planner(&self) -> Result<()> {
        planner::rebind(&self.ctx, &self.tasks)
    }

    /// A context on the same session whose logical codec chain ends with a plugin's codec
    /// (`__datafusion_logical_extension_codec__(session)` or its capsule), installed under `id` (for a
    /// bare capsule without one, its library's; see `codec::library_codec_id`).
    fn with_logical_extension_codec(
        &self,
        codec: &Bound<'_, PyAny>,
        session: &Bound<'_, PyAny>,
        id: Option<String>,
    ) -> Result<Self> {
        let (id, codec) = capsule::logical_codec(codec, session, id)?;
        Ok(Self { ctx: Arc::clone(&self.ctx), tasks: self.tasks.with_logical(id, codec)? })
    }

    /// As `with_logical_extension_codec`, for the physical chain.
    fn with_physical_extension_codec(
        &self,
        codec: &Bound<'_, PyAny>,
        session: &Bound<'_, PyAny>,
        id: Option<String>,
    ) -> Result<Self> {
        let (id, codec) = capsule::physical_codec(codec, session, id)?;
        Ok(Self { ctx: Arc::clone(&self.ctx), tasks: self.tasks.with_physical(id, codec)? })
    }

    /// A context on the same session whose codecs send Python UDFs inline (`enabled`) or only by
    /// name. Without inlining, decoding refuses inline Python payloads and native libraries.
    #[pyo3(signature = (*, enabled))]
    fn with_python_udf_inlining(&self, enabled: bool) -> Self {
        Self { ctx: Arc::clone(&self.ctx), tasks: self.tasks.with_inline_python(enabled) }
    }

    /// Whether this context's codecs send Python UDFs inline.
    #[getter]
    fn python_udf_inlining(&self) -> bool {
        self.tasks.inline_python
    }

    /// Runs one partition of a physical plan (e.g. one decoded with `ExecutionPlan.from_bytes`).
    fn execute(
        &self,
        plan: &Bound<'_, PyExecutionPlan>,
        partition: usize,
    ) -> Result<PyRecordBatchStream> {
        let plan = plan.get();
        let partitions = plan.inner.properties().output_partitioning().partition_count();
        if partition >= partitions {
            return Err(Error::Value(format!(
                "partition {partition} is out of range: the plan has {partitions}"
            )));
        }
        let _entered = runtime().enter();
        Ok(PyRecordBatchStream::new(plan.inner.execute(partition, self.ctx.task_ctx())?))
    }

    fn logical_extension_codec_ids(&self) -> Vec<String> {
        self.tasks.logical.ids()
    }

    fn physical_extension_codec_ids(&self) -> Vec<String> {
        self.tasks.physical.ids()
    }

    fn create_dataframe_from_logical_plan(&self, plan: &Bound<'_, PyLogicalPlan>) -> PyDataFrame {
        self.frame(DataFrame::new(self.ctx.state(), plan.get().inner.clone()))
    }

    fn read_table(&self, table: PyTable) -> Result<PyDataFrame> {
        Ok(self.frame(self.ctx.read_table(table.inner)?))
    }

    fn deregister_table(&self, name: &str) -> Result<()> {
        self.ctx.deregister_table(name)?;
        Ok(())
    }

    /// The registered table `name`; `KeyError` when there is none.
    fn table(&self, py: Python<'_>, name: &str) -> Result<PyDataFrame> {
        let ctx = Arc::clone(&self.ctx);
        match wait_for_future(py, async move { ctx.table(name).await })? {
            Ok(df) => Ok(self.frame(df)),
            Err(_) if !self.ctx.table_exist(name).unwrap_or(true) => {
                Err(PyKeyError::new_err(format!("No table named '{name}'")).into())
            }
            Err(err) => Err(err.into()),
        }
    }

    fn table_exist(&self, name: &str) -> Result<bool> {
        Ok(self.ctx.table_exist(name)?)
    }

    /// The catalog names (a set, as in the official bindings).
    fn catalog_names(&self, py: Python<'_>) -> Result<std::collections::HashSet<String>> {
        let catalogs = py_catalog::session_catalogs(&self.ctx);
        Ok(py_catalog::catalog_names(py, &catalogs)?.into_iter().collect())
    }

    #[pyo3(signature = (name = "datafusion"))]
    fn catalog(&self, py: Python<'_>, name: &str) -> Result<PyCatalog> {
        match py_catalog::catalog(py, &py_catalog::session_catalogs(&self.ctx), name)? {
            Some(inner) => Ok(PyCatalog { inner, tasks: self.tasks.clone() }),
            None => Err(PyKeyError::new_err(format!("no catalog named {name:?}")).into()),
        }
    }

    /// A scalar or aggregate function registered on this session (built-in, Python, plugin or
    /// native), by name, to build call expressions with.
    fn function<'py>(&self, py: Python<'py>, name: &str) -> Result<Bound<'py, PyAny>> {
        for kind in ["scalar", "aggregate"] {
            if let Some(found) = self.registered_function(py, kind, name)? {
                return Ok(found);
            }
        }
        let message = format!("no scalar or aggregate function named {name:?} in this session");
        Err(fuseplug_exception(py, "PlanError", message).into())
    }

    /// The sorted names of the registered functions of one kind: "scalar", "aggregate" or "window"
    /// (built-in ones included).
    fn function_names(&self, kind: &str) -> Result<Vec<String>> {
        let state = self.ctx.state_ref();
        let state = state.read();
        let mut names: Vec<String> = match kind {
            "scalar" => state.scalar_functions().keys().cloned().collect(),
            "aggregate" => state.aggregate_functions().keys().cloned().collect(),
            "window" => state.window_functions().keys().cloned().collect(),
            other => return Err(Error::Value(format!("unknown function kind {other:?}"))),
        };
        names.sort();
        Ok(names)
    }

    /// The registered function `name` of one kind, or `None`.
    fn registered_function<'py>(
        &self,
        py: Python<'py>,
        kind: &str,
        name: &str,
    ) -> Result<Option<Bound<'py, PyAny>>> {
        // Look up under the lock, build Python objects after releasing it.
        let (scalar, aggregate, window) = {
            let state = self.ctx.state_ref();
            let state = state.read();
            match kind {
                "scalar" => (state.scalar_functions().get(name).cloned(), None, None),
                "aggregate" => (None, state.aggregate_functions().get(name).cloned(), None),
                "window" => (None, None, state.window_functions().get(name).cloned()),
                other => return Err(Error::Value(format!("unknown function kind {other:?}"))),
            }
        };
        let found = if let Some(f) = scalar {
            Some(Bound::new(py, PyScalarUDF { inner: f.as_ref().clone() })?.into_any())
        } else if let Some(f) = aggregate {
            Some(Bound::new(py, PyAggregateUDF { inner: f.as_ref().clone() })?.into_any())
        } else if let Some(f) = window {
            Some(Bound::new(py, PyWindowUDF { inner: f.as_ref().clone() })?.into_any())
        } else {
            None
        };
        Ok(found)
    }

    /// Removes a function of one kind: "scalar", "aggregate", "window" or "table".
    fn deregister_function(&self, kind: &str, name: &str) -> Result<()> {
        match kind {
            "scalar" => self.ctx.deregister_udf(name),
            "aggregate" => self.ctx.deregister_udaf(name),
            "window" => self.ctx.deregister_udwf(name),
            "table" => self.ctx.deregister_udtf(name),
            other => return Err(Error::Value(format!("unknown function kind {other:?}"))),
        }
        Ok(())
    }

    /// A size such as "512K", "100M" or "1.5G" in bytes; `config_name` names the setting in errors.
    #[staticmethod]
    fn parse_capacity_limit(config_name: &str, limit: &str) -> Result<usize> {
        Ok(SessionContext::parse_capacity_limit(config_name, limit)?)
    }

    /// When the session started, as RFC 3339.
    fn session_start_time(&self) -> String {
        self.ctx.session_start_time().to_rfc3339()
    }

    fn enable_ident_normalization(&self) -> bool {
        self.ctx.enable_ident_normalization()
    }

    /// A copy of the session's configuration as it is now (`SET` included).
    fn copied_config(&self) -> PySessionConfig {
        self.ctx.copied_config().into()
    }

    /// One row and no columns.
    fn read_empty(&self) -> Result<PyDataFrame> {
        Ok(self.frame(self.ctx.read_empty()?))
    }

    /// Removes the logical optimizer rule `name`; whether there was one.
    fn remove_optimizer_rule(&self, name: &str) -> bool {
        self.ctx.remove_optimizer_rule(name)
    }

    /// Asks every catalog to refresh its metadata.
    fn refresh_catalogs(&self, py: Python<'_>) -> Result<()> {
        let ctx = Arc::clone(&self.ctx);
        wait_for_future(py, async move { ctx.refresh_catalogs().await })??;
        Ok(())
    }

    /// The table registered as `name`, or `None`.
    fn table_provider(&self, py: Python<'_>, name: &str) -> Result<Option<PyTable>> {
        if !self.ctx.table_exist(name)? {
            return Ok(None);
        }
        let ctx = Arc::clone(&self.ctx);
        let name = name.to_string();
        let table = wait_for_future(py, async move { ctx.table_provider(name.as_str()).await })??;
        Ok(Some(PyTable::owned(table, &self.tasks)))
    }

    /// Registers the Parquet files under `path` as one table.
    #[pyo3(signature = (name, path, table_partition_cols = None, file_extension = ".parquet", schema = None, file_sort_order = None))]
    #[allow(clippy::too_many_arguments)]
    fn register_listing_table(
        &self,
        py: Python<'_>,
        name: &str,
        path: &str,
        table_partition_cols: Option<PartitionCols>,
        file_extension: &str,
        schema: Option<PyArrowType<Schema>>,
        file_sort_order: Option<Vec<Vec<PySortExpr>>>,
    ) -> Result<()> {
        let options = ListingOptions::new(Arc::new(ParquetFormat::new()))
            .with_file_extension(file_extension)
            .with_table_partition_cols(partition_cols(table_partition_cols))
            .with_file_sort_order(sort_order(file_sort_order));
        let schema = schema.map(|s| Arc::new(s.0));
        let ctx = Arc::clone(&self.ctx);
        wait_for_future(py, async move {
            ctx.register_listing_table(name, path, options, schema, None).await
        })??;
        Ok(())
    }

    #[pyo3(signature = (name, path, schema = None, file_extension = ".arrow", table_partition_cols = None))]
    fn register_arrow(
        &self,
        py: Python<'_>,
        name: &str,
        path: &str,
        schema: Option<PyArrowType<Schema>>,
        file_extension: &str,
        table_partition_cols: Option<PartitionCols>,
    ) -> Result<()> {
        let options = arrow_options(schema.as_ref(), file_extension, table_partition_cols);
        wait_for_future(py, self.ctx.register_arrow(name, path, options))??;
        Ok(())
    }

    #[pyo3(signature = (path, schema = None, file_extension = ".arrow", table_partition_cols = None))]
    fn read_arrow(
        &self,
        py: Python<'_>,
        path: Paths,
        schema: Option<PyArrowType<Schema>>,
        file_extension: &str,
        table_partition_cols: Option<PartitionCols>,
    ) -> Result<PyDataFrame> {
        let options = arrow_options(schema.as_ref(), file_extension, table_partition_cols);
        Ok(self.frame(wait_for_future(py, self.ctx.read_arrow(path.into_vec(), options))??))
    }

    // A distributed session sends its Python UDFs to the workers: each change refreshes them.
    fn register_udf(&self, udf: PyScalarUDF) -> Result<()> {
        self.ctx.register_udf(udf.inner);
        crate::distributed::refresh_functions(&self.ctx, &self.tasks)
    }

    fn register_udaf(&self, udaf: PyAggregateUDF) -> Result<()> {
        self.ctx.register_udaf(udaf.inner);
        crate::distributed::refresh_functions(&self.ctx, &self.tasks)
    }

    fn register_udwf(&self, udwf: PyWindowUDF) -> Result<()> {
        self.ctx.register_udwf(udwf.inner);
        crate::distributed::refresh_functions(&self.ctx, &self.tasks)
    }

    fn register_udtf(&self, udtf: PyTableFunction) {
        self.ctx.register_udtf(&udtf.name, udtf.inner);
    }

    fn deregister_udf(&self, name: &str) -> Result<()> {
        self.ctx.deregister_udf(name);
        crate::distributed::refresh_functions(&self.ctx, &self.tasks)
    }

    fn __repr__(&self) -> String {
        format!("SessionContext(session_id={:?})", self.ctx.session_id())
    }
}
