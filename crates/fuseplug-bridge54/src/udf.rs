//! DataFusion 54 functions served as DataFusion 55 ones.
//!
//! Arguments cross to the 54 side and results back through the Arrow C data interface (no copies);
//! scalars and types cross through their protobuf and C data forms. The 54 function's signature is
//! not readable across datafusion-ffi (it travels as "user defined" plus a `coerce_types` callback),
//! so the 55 side declares a user-defined signature and asks the 54 side to coerce.

use std::sync::Arc;

use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDFImpl, Volatility,
};
use datafusion54::config::ConfigOptions as ConfigOptions54;
use datafusion54::logical_expr::{
    ColumnarValue as ColumnarValue54, ReturnFieldArgs as ReturnFieldArgs54,
    ScalarFunctionArgs as ScalarFunctionArgs54, ScalarUDF as ScalarUDF54,
    ScalarUDFImpl as ScalarUDFImpl54, Volatility as Volatility54,
};

use fuseplug_capsule::panic::guard;

use crate::convert;

/// The 55 volatility of a 54 signature.
pub fn volatility(volatility: Volatility54) -> Volatility {
    match volatility {
        Volatility54::Immutable => Volatility::Immutable,
        Volatility54::Stable => Volatility::Stable,
        Volatility54::Volatile => Volatility::Volatile,
    }
}

/// Argument values for the 54 side.
pub fn values_to_54(values: &[ColumnarValue]) -> Result<Vec<ColumnarValue54>> {
    values
        .iter()
        .map(|v| match v {
            ColumnarValue::Array(a) => convert::array_to_54(a).map(ColumnarValue54::Array),
            ColumnarValue::Scalar(s) => convert::scalar_to_54(s).map(ColumnarValue54::Scalar),
        })
        .collect()
}

/// A result value from the 54 side.
pub fn value(value: &ColumnarValue54) -> Result<ColumnarValue> {
    match value {
        ColumnarValue54::Array(a) => convert::array(a).map(ColumnarValue::Array),
        ColumnarValue54::Scalar(s) => convert::scalar(s).map(ColumnarValue::Scalar),
    }
}

/// Fields for the 54 side.
pub fn fields_to_54(fields: &[FieldRef]) -> Result<Vec<arrow58::datatypes::FieldRef>> {
    fields.iter().map(|f| convert::field_to_54(f)).collect()
}

/// Data types for the 54 side.
pub fn types_to_54(types: &[DataType]) -> Result<Vec<arrow58::datatypes::DataType>> {
    types.iter().map(convert::data_type_to_54).collect()
}

/// Data types from the 54 side.
pub fn types(types: &[arrow58::datatypes::DataType]) -> Result<Vec<DataType>> {
    types.iter().map(convert::data_type).collect()
}

function54!(
    /// A DataFusion 54 scalar function as a DataFusion 55 one.
    ScalarUdf54,
    ScalarUDF54,
    ScalarUDFImpl54
);

impl ScalarUDFImpl for ScalarUdf54 {
    forward_signature!();

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let returned = self.inner.return_type(&types_to_54(arg_types)?).map_err(convert::error)?;
        convert::data_type(&returned)
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let arg_fields = fields_to_54(args.arg_fields)?;
        let scalars = args
            .scalar_arguments
            .iter()
            .map(|s| s.map(convert::scalar_to_54).transpose())
            .collect::<Result<Vec<_>>>()?;
        let scalar_arguments: Vec<_> = scalars.iter().map(Option::as_ref).collect();
        let field = self
            .inner
            .return_field_from_args(ReturnFieldArgs54 {
                arg_fields: &arg_fields,
                scalar_arguments: &scalar_arguments,
            })
            .map_err(convert::error)?;
        convert::field(&field)
    }

    fn short_circuits(&self) -> bool {
        self.inner.short_circuits()
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        guard("a DataFusion 54 scalar UDF through the bridge", || self.invoke(args))
    }
}

impl ScalarUdf54 {
    fn invoke(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let args = ScalarFunctionArgs54 {
            args: values_to_54(&args.args)?,
            arg_fields: fields_to_54(&args.arg_fields)?,
            number_rows: args.number_rows,
            return_field: convert::field_to_54(&args.return_field)?,
            config_options: Arc::new(ConfigOptions54::default()),
        };
        value(&self.inner.invoke_with_args(args).map_err(convert::error)?)
    }
}
