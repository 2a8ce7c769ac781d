//! Configuration options a host installs with `SessionConfig.with_extension(ExampleOptions())`, and a
//! UDF that reads them back at run time: `SET ffi_example.greeting = 'hi'` changes what `greet` says.

use std::sync::Arc;

use arrow::array::{Array, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::config::{ConfigExtension, ConfigOptions};
use datafusion::common::extensions_options;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion_ffi::config::ExtensionOptionsFFIProvider;
use datafusion_ffi::config::extension_options::FFI_ExtensionOptions;
use datafusion_ffi::udf::FFI_ScalarUDF;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::to_py;

extensions_options! {
    /// The example's settings, reachable as `ffi_example.<key>` in SET and SHOW.
    pub struct Settings {
        /// The word `greet(name)` puts before the name.
        pub greeting: String, default = "hello".to_owned()
    }
}

impl ConfigExtension for Settings {
    const PREFIX: &'static str = "ffi_example";
}

/// The settings in force for one call: the session's values, or the defaults when the host did not
/// install the options.
fn settings(config: &ConfigOptions) -> Settings {
    config.local_or_ffi_extension::<Settings>().unwrap_or_default()
}

/// Publishes the example's options (`ffi_example.greeting`).
#[pyclass(frozen)]
pub struct ExampleOptions;

#[pymethods]
impl ExampleOptions {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_extension_options__<'py>(
        &self,
        py: Python<'py>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let mut ffi = FFI_ExtensionOptions::default();
        ffi.add_config(&Settings::default()).map_err(to_py)?;
        PyCapsule::new_with_value(py, ffi, c"datafusion_extension_options")
    }
}

/// `greet(name)`: `"<ffi_example.greeting>, <name>"`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Greet {
    signature: Signature,
}

impl ScalarUDFImpl for Greet {
    fn name(&self) -> &str {
        "greet"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        fuseplug_capsule::panic::guard("example greet()", || greet(args))
    }
}

fn greet(args: ScalarFunctionArgs) -> Result<ColumnarValue> {
    let greeting = settings(&args.config_options).greeting;
    let names = ColumnarValue::values_to_arrays(&args.args)?;
    let names = arrow::compute::cast(&names[0], &DataType::Utf8)?;
    let names = names
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| DataFusionError::Internal("greet: a cast to Utf8 gave no strings".into()))?;
    let greeted: StringArray =
        names.iter().map(|n| n.map(|n| format!("{greeting}, {n}"))).collect();
    Ok(ColumnarValue::Array(Arc::new(greeted) as Arc<dyn Array>))
}

/// Publishes `greet`.
#[pyclass(frozen)]
pub struct GreetUdf;

#[pymethods]
impl GreetUdf {
    #[new]
    fn new() -> Self {
        Self
    }

    fn __datafusion_scalar_udf__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let greet = Greet { signature: Signature::string(1, Volatility::Stable) };
        let udf = FFI_ScalarUDF::from(Arc::new(ScalarUDF::new_from_impl(greet)));
        PyCapsule::new_with_value(py, udf, c"datafusion_scalar_udf")
    }
}
