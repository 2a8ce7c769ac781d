//! The compiled core of fuseplug, imported as `fuseplug._internal`. The public API lives in the pure-Python
//! package `fuseplug`, which wraps the classes defined here.

use pyo3::prelude::*;

pub mod arrow_stream;
pub mod bridge;
pub mod capsule;
pub mod catalog;
pub mod codec;
pub mod config;
pub mod context;
pub mod dataframe;
pub mod dataset;
#[cfg(feature = "distributed")]
pub mod distributed;
pub mod errors;
pub mod export;
pub mod expr;
pub mod functions;
pub mod higher_order;
pub mod lean;
#[cfg(not(feature = "distributed"))]
pub use lean::distributed;
pub mod metrics;
pub mod native;
pub mod object_store;
pub use fuseplug_engine::optimizer;
pub mod plan;
pub mod planner;
pub mod plugin_udf;
pub mod progress;
pub mod py_catalog;
pub mod read_options;
pub mod serialize;
#[cfg(feature = "spark")]
pub mod spark;
pub mod sql;
pub mod sql_split;
pub mod stored;
pub mod stream;
#[cfg(feature = "substrait")]
pub mod substrait;
pub mod udf;
pub mod unparser;
pub mod variant;

/// mimalloc v2 in place of the system allocator, only in a build with the `mimalloc` feature (the
/// allocator study, docs/development.md); `_internal.ALLOCATOR` says which one a build has.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The global allocator of this build: "system", or "mimalloc" and its version (`2.3.2`).
fn allocator() -> String {
    #[cfg(feature = "mimalloc")]
    {
        // SAFETY: mi_version takes nothing and only returns a constant (major, then two digits
        // each of minor and patch: 20302 is 2.3.2).
        let v = unsafe { libmimalloc_sys::mi_version() };
        format!("mimalloc {}.{}.{}", v / 10000, v / 100 % 100, v % 100)
    }
    #[cfg(not(feature = "mimalloc"))]
    {
        "system".to_string()
    }
}

/// Panics with `message`. Exists only so the tests can check that a panic inside a function body
/// becomes an exception in every host, never an abort.
#[pyfunction]
fn _panic(message: &str) {
    panic!("{message}");
}

#[pymodule]
fn _internal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DATAFUSION_VERSION", datafusion::DATAFUSION_VERSION)?;
    lean::register(m)?;
    m.add("ALLOCATOR", allocator())?;
    m.add_class::<config::PySessionConfig>()?;
    m.add_class::<config::PyRuntimeEnvBuilder>()?;
    m.add_class::<context::PySessionContext>()?;
    m.add_class::<sql::PySQLOptions>()?;
    m.add_class::<dataframe::PyDataFrame>()?;
    m.add_class::<stream::PyRecordBatchStream>()?;
    m.add_class::<expr::PyExpr>()?;
    m.add_class::<expr::PySortExpr>()?;
    m.add_class::<expr::PyCaseBuilder>()?;
    m.add_class::<expr::PyWindowFrame>()?;
    m.add_class::<expr::PyExprFuncBuilder>()?;
    m.add_class::<plan::PyLogicalPlan>()?;
    m.add_class::<plan::PyExecutionPlan>()?;
    m.add_class::<metrics::PyMetric>()?;
    m.add_class::<metrics::PyMetricsSet>()?;
    m.add_class::<metrics::PyPhysicalPartitioning>()?;
    m.add_class::<catalog::PyCatalog>()?;
    m.add_class::<catalog::PySchema>()?;
    m.add_class::<catalog::PyTable>()?;
    m.add_class::<catalog::PyCatalogList>()?;
    m.add_class::<udf::PyScalarUDF>()?;
    m.add_class::<udf::PyAggregateUDF>()?;
    m.add_class::<udf::PyWindowUDF>()?;
    m.add_class::<udf::PyTableFunction>()?;
    m.add_class::<functions::PyFunctionInfo>()?;
    m.add_class::<native::PyNativeExtension>()?;
    #[cfg(feature = "substrait")]
    m.add_class::<substrait::PySubstraitPlan>()?;
    m.add_class::<unparser::PyDialect>()?;
    m.add_class::<unparser::PyUnparser>()?;
    object_store::register(m)?;
    #[cfg(feature = "distributed")]
    distributed::register(m)?;
    m.add_function(wrap_pyfunction!(functions::builtin_functions, m)?)?;
    m.add_function(wrap_pyfunction!(functions::call_builtin, m)?)?;
    #[cfg(feature = "spark")]
    {
        m.add_function(wrap_pyfunction!(spark::spark_functions, m)?)?;
        m.add_function(wrap_pyfunction!(spark::call_spark, m)?)?;
        m.add_function(wrap_pyfunction!(spark::enable_spark_functions, m)?)?;
    }
    m.add_function(wrap_pyfunction!(capsule::datafusion_majors_of, m)?)?;
    m.add_function(wrap_pyfunction!(capsule::host_datafusion_major, m)?)?;
    m.add_function(wrap_pyfunction!(capsule::type_library, m)?)?;
    m.add_function(wrap_pyfunction!(expr::expr_to_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(higher_order::call_higher_order, m)?)?;
    m.add_function(wrap_pyfunction!(higher_order::lambda_, m)?)?;
    m.add_function(wrap_pyfunction!(higher_order::lambda_var, m)?)?;
    m.add_function(wrap_pyfunction!(variant::expr_variant, m)?)?;
    m.add_function(wrap_pyfunction!(variant::plan_variant, m)?)?;
    m.add_function(wrap_pyfunction!(variant::grouping_set, m)?)?;
    m.add_function(wrap_pyfunction!(variant::expr_column_name, m)?)?;
    m.add_function(wrap_pyfunction!(variant::expr_data_type, m)?)?;
    m.add_function(wrap_pyfunction!(variant::parse_sql_expr, m)?)?;
    m.add_function(wrap_pyfunction!(expr::expr_from_bytes, m)?)?;
    m.add_function(wrap_pyfunction!(sql_split::split_sql, m)?)?;
    m.add_function(wrap_pyfunction!(_panic, m)?)?;
    Ok(())
}
