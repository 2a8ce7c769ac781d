//! The accumulator of a native extension's aggregate function.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StructArray, new_empty_array};
use arrow::datatypes::{DataType, Fields};
use datafusion::common::{ScalarValue, exec_datafusion_err};
use datafusion::error::Result as DFResult;
use datafusion::logical_expr::Accumulator;

use super::AggregateFn;

/// One group's accumulator: partial states (one-row structs) from `aggregate` and merged states,
/// combined by the module on demand. (Buffering a group's rows to make one `aggregate` call per
/// group instead of one per batch was measured in benchmarks/native_extension.py and gained
/// nothing: the per-group cost is DataFusion's adapter for row accumulators, not the calls.)
#[derive(Debug)]
pub(super) struct NativeAccumulator {
    function: Arc<AggregateFn>,
    state_fields: Fields,
    input_types: Vec<DataType>,
    return_type: DataType,
    partials: Vec<ArrayRef>,
}

impl NativeAccumulator {
    pub(super) fn new(
        function: Arc<AggregateFn>,
        state_fields: Fields,
        input_types: Vec<DataType>,
        return_type: DataType,
    ) -> Self {
        Self { function, state_fields, input_types, return_type, partials: Vec::new() }
    }

    /// All partial states combined into one (the module's `aggregate` of no rows when empty).
    fn combined(&mut self) -> DFResult<ArrayRef> {
        let state = match self.partials.len() {
            0 => {
                let empty: Vec<ArrayRef> = self.input_types.iter().map(new_empty_array).collect();
                self.function.aggregate(&empty)?
            }
            1 => Arc::clone(&self.partials[0]),
            _ => {
                let parts: Vec<&dyn Array> = self.partials.iter().map(|a| a.as_ref()).collect();
                let all = arrow::compute::concat(&parts)?;
                self.function.on_state(self.function.vtable.combine, &all)?
            }
        };
        self.partials = vec![Arc::clone(&state)];
        Ok(state)
    }

    fn state_struct(&self, state: &ArrayRef) -> DFResult<StructArray> {
        let state = state.as_any().downcast_ref::<StructArray>().ok_or_else(|| {
            exec_datafusion_err!("{}: state is not a struct array", self.function.what())
        })?;
        if state.len() != 1 {
            return Err(exec_datafusion_err!(
                "{}: expected a one-row state, got {} rows",
                self.function.what(),
                state.len()
            ));
        }
        Ok(state.clone())
    }
}

impl Accumulator for NativeAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DFResult<()> {
        let state = self.function.aggregate(values)?;
        self.partials.push(state);
        Ok(())
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DFResult<()> {
        if states.first().is_none_or(|s| s.is_empty()) {
            return Ok(());
        }
        let columns: Vec<ArrayRef> = states
            .iter()
            .zip(self.state_fields.iter())
            .map(|(s, f)| arrow::compute::cast(s, f.data_type()))
            .collect::<Result<_, _>>()?;
        let merged = StructArray::try_new(self.state_fields.clone(), columns, None)?;
        let merged: ArrayRef = Arc::new(merged);
        let state = self.function.on_state(self.function.vtable.combine, &merged)?;
        self.partials.push(state);
        Ok(())
    }

    fn state(&mut self) -> DFResult<Vec<ScalarValue>> {
        let state = self.combined()?;
        let state = self.state_struct(&state)?;
        state.columns().iter().map(|c| ScalarValue::try_from_array(c, 0)).collect()
    }

    fn evaluate(&mut self) -> DFResult<ScalarValue> {
        let state = self.combined()?;
        let result = self.function.on_state(self.function.vtable.finalize, &state)?;
        if result.len() != 1 {
            return Err(exec_datafusion_err!(
                "{}: finalize returned {} rows, expected 1",
                self.function.what(),
                result.len()
            ));
        }
        ScalarValue::try_from_array(&result, 0)?.cast_to(&self.return_type)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
            + self.partials.iter().map(|a| a.get_array_memory_size()).sum::<usize>()
    }
}
