//! DataFusion 54 aggregate functions served as DataFusion 55 ones.
//!
//! The 55 host creates accumulators with physical argument expressions; the 54 side gets them
//! wrapped ([`Expr55`]), and every batch of values and states crosses as Arrow C data. Accumulators are the row kind: the 54 function's grouped
//! accumulator is not offered (DataFusion then groups with one accumulator per group).

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, FieldRef};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::AggregateOrderSensitivity;
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl};
use datafusion54::logical_expr::function::{
    AccumulatorArgs as AccumulatorArgs54, StateFieldsArgs as StateFieldsArgs54,
};
use datafusion54::logical_expr::utils::AggregateOrderSensitivity as Sensitivity54;
use datafusion54::logical_expr::{
    Accumulator as Accumulator54, AggregateUDF as AggregateUDF54,
    AggregateUDFImpl as AggregateUDFImpl54,
};

use fuseplug_capsule::panic::guard;

use crate::convert;
use crate::physical::Expr55;
use crate::udf::{fields_to_54, types_to_54};

function54!(
    /// A DataFusion 54 aggregate function as a DataFusion 55 one.
    AggregateUdf54,
    AggregateUDF54,
    AggregateUDFImpl54
);

impl AggregateUDFImpl for AggregateUdf54 {
    forward_signature!();

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let returned = self.inner.return_type(&types_to_54(arg_types)?).map_err(convert::error)?;
        convert::data_type(&returned)
    }

    fn return_field(&self, arg_fields: &[FieldRef]) -> Result<FieldRef> {
        let field = self.inner.return_field(&fields_to_54(arg_fields)?).map_err(convert::error)?;
        convert::field(&field)
    }

    fn is_nullable(&self) -> bool {
        self.inner.is_nullable()
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let input_fields = fields_to_54(args.input_fields)?;
        let ordering_fields = fields_to_54(args.ordering_fields)?;
        let fields = self
            .inner
            .state_fields(StateFieldsArgs54 {
                name: args.name,
                input_fields: &input_fields,
                return_field: convert::field_to_54(&args.return_field)?,
                ordering_fields: &ordering_fields,
                is_distinct: args.is_distinct,
            })
            .map_err(convert::error)?;
        fields.iter().map(|f| convert::field(f)).collect()
    }

    fn order_sensitivity(&self) -> AggregateOrderSensitivity {
        match self.inner.order_sensitivity() {
            Sensitivity54::Insensitive => AggregateOrderSensitivity::Insensitive,
            Sensitivity54::HardRequirement => AggregateOrderSensitivity::HardRequirement,
            Sensitivity54::SoftRequirement => AggregateOrderSensitivity::SoftRequirement,
            Sensitivity54::Beneficial => AggregateOrderSensitivity::Beneficial,
        }
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        guard(WHAT, || self.create(args))
    }
}

impl AggregateUdf54 {
    fn create(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let schema = convert::schema_to_54(args.schema)?;
        let exprs: Vec<_> = args.exprs.iter().map(Expr55::wrap).collect();
        let order_bys: Vec<_> = args.order_bys.iter().map(Expr55::sort).collect();
        let expr_fields = fields_to_54(args.expr_fields)?;
        let inner = self
            .inner
            .accumulator(AccumulatorArgs54 {
                return_field: convert::field_to_54(&args.return_field)?,
                schema: &schema,
                ignore_nulls: args.ignore_nulls,
                order_bys: &order_bys,
                is_reversed: args.is_reversed,
                name: args.name,
                is_distinct: args.is_distinct,
                exprs: &exprs,
                expr_fields: &expr_fields,
            })
            .map_err(convert::error)?;
        Ok(Box::new(BridgedAccumulator { inner }))
    }
}

/// A DataFusion 54 accumulator driven by a DataFusion 55 aggregation.
#[derive(Debug)]
pub struct BridgedAccumulator {
    inner: Box<dyn Accumulator54>,
}

const WHAT: &str = "a DataFusion 54 accumulator through the bridge";

impl Accumulator for BridgedAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        guard(WHAT, || {
            self.inner.update_batch(&convert::arrays_to_54(values)?).map_err(convert::error)
        })
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        guard(WHAT, || convert::scalar(&self.inner.evaluate().map_err(convert::error)?))
    }

    fn size(&self) -> usize {
        self.inner.size()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        guard(WHAT, || {
            let state = self.inner.state().map_err(convert::error)?;
            state.iter().map(convert::scalar).collect()
        })
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        guard(WHAT, || {
            self.inner.merge_batch(&convert::arrays_to_54(states)?).map_err(convert::error)
        })
    }

    fn retract_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        guard(WHAT, || {
            self.inner.retract_batch(&convert::arrays_to_54(values)?).map_err(convert::error)
        })
    }

    fn supports_retract_batch(&self) -> bool {
        self.inner.supports_retract_batch()
    }
}
