//! DataFusion 54 window functions served as DataFusion 55 ones.
//!
//! As for aggregates ([`crate::udaf`]), the host's argument expressions reach the 54 side wrapped
//! ([`Expr55`]) and every batch of values and every result crosses as Arrow C data. `memoize` is
//! not forwarded: datafusion-ffi 54 does not carry it either, so a plugin never sees it.

use std::ops::Range;

use arrow::array::ArrayRef;
use arrow::compute::SortOptions;
use arrow::datatypes::FieldRef;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::function::{PartitionEvaluatorArgs, WindowUDFFieldArgs};
use datafusion::logical_expr::window_state::WindowAggState;
use datafusion::logical_expr::{PartitionEvaluator, WindowUDFImpl};
use datafusion54::logical_expr::function::{
    PartitionEvaluatorArgs as PartitionEvaluatorArgs54, WindowUDFFieldArgs as WindowUDFFieldArgs54,
};
use datafusion54::logical_expr::{
    PartitionEvaluator as PartitionEvaluator54, WindowUDF as WindowUDF54,
    WindowUDFImpl as WindowUDFImpl54,
};
use fuseplug_capsule::panic::guard;

use crate::convert;
use crate::physical::Expr55;
use crate::udf::fields_to_54;

const WHAT: &str = "a DataFusion 54 window function through the bridge";

function54!(
    /// A DataFusion 54 window function as a DataFusion 55 one.
    WindowUdf54,
    WindowUDF54,
    WindowUDFImpl54
);

impl WindowUDFImpl for WindowUdf54 {
    forward_signature!();

    fn partition_evaluator(
        &self,
        args: PartitionEvaluatorArgs,
    ) -> Result<Box<dyn PartitionEvaluator>> {
        guard(WHAT, || {
            let exprs: Vec<_> = args.input_exprs().iter().map(Expr55::wrap).collect();
            let fields = fields_to_54(args.input_fields())?;
            let inner = self
                .inner
                .partition_evaluator_factory(PartitionEvaluatorArgs54::new(
                    &exprs,
                    &fields,
                    args.is_reversed(),
                    args.ignore_nulls(),
                ))
                .map_err(convert::error)?;
            Ok(Box::new(Evaluator54 { inner }) as Box<dyn PartitionEvaluator>)
        })
    }

    fn field(&self, args: WindowUDFFieldArgs) -> Result<FieldRef> {
        let fields = fields_to_54(args.input_fields())?;
        let field = self
            .inner
            .field(WindowUDFFieldArgs54::new(&fields, args.name()))
            .map_err(convert::error)?;
        convert::field(&field)
    }

    fn sort_options(&self) -> Option<SortOptions> {
        self.inner
            .sort_options()
            .map(|o| SortOptions { descending: o.descending, nulls_first: o.nulls_first })
    }
}

/// A DataFusion 54 partition evaluator driven by a DataFusion 55 window aggregation.
#[derive(Debug)]
struct Evaluator54 {
    inner: Box<dyn PartitionEvaluator54>,
}

impl PartitionEvaluator for Evaluator54 {
    fn memoize(&mut self, _state: &mut WindowAggState) -> Result<()> {
        Ok(())
    }

    fn get_range(&self, idx: usize, n_rows: usize) -> Result<Range<usize>> {
        guard(WHAT, || self.inner.get_range(idx, n_rows).map_err(convert::error))
    }

    fn is_causal(&self) -> bool {
        self.inner.is_causal()
    }

    fn evaluate_all(&mut self, values: &[ArrayRef], num_rows: usize) -> Result<ArrayRef> {
        guard(WHAT, || {
            let values = convert::arrays_to_54(values)?;
            convert::array(&self.inner.evaluate_all(&values, num_rows).map_err(convert::error)?)
        })
    }

    fn evaluate(&mut self, values: &[ArrayRef], range: &Range<usize>) -> Result<ScalarValue> {
        guard(WHAT, || {
            let values = convert::arrays_to_54(values)?;
            convert::scalar(&self.inner.evaluate(&values, range).map_err(convert::error)?)
        })
    }

    fn evaluate_all_with_rank(
        &self,
        num_rows: usize,
        ranks_in_partition: &[Range<usize>],
    ) -> Result<ArrayRef> {
        guard(WHAT, || {
            let ranked = self
                .inner
                .evaluate_all_with_rank(num_rows, ranks_in_partition)
                .map_err(convert::error)?;
            convert::array(&ranked)
        })
    }

    fn supports_bounded_execution(&self) -> bool {
        self.inner.supports_bounded_execution()
    }

    fn uses_window_frame(&self) -> bool {
        self.inner.uses_window_frame()
    }

    fn include_rank(&self) -> bool {
        self.inner.include_rank()
    }
}
