//! A DataFusion 55 physical expression handed to the 54 side as a DataFusion 54 one.
//!
//! An aggregate's arguments reach the bridge as the host's expressions (datafusion-ffi 55 foreign
//! expressions, which datafusion-proto cannot encode). [`Expr55`] wraps one for the 54 side: it
//! answers types and nullability from the 55 expression and evaluates it on batches handed over
//! through the Arrow C data interface.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::physical_expr::{PhysicalExpr, PhysicalSortExpr};
use datafusion54::common::{DataFusionError as DataFusionError54, Result as Result54};
use datafusion54::logical_expr::ColumnarValue as ColumnarValue54;
use datafusion54::physical_expr::{
    PhysicalExpr as PhysicalExpr54, PhysicalSortExpr as PhysicalSortExpr54,
};

use crate::{convert, udf};

/// A 55 physical expression as a 54 one.
#[derive(Debug)]
pub struct Expr55 {
    inner: Arc<dyn PhysicalExpr>,
}

impl Expr55 {
    pub fn wrap(inner: &Arc<dyn PhysicalExpr>) -> Arc<dyn PhysicalExpr54> {
        Arc::new(Self { inner: Arc::clone(inner) })
    }

    /// A 55 sort expression as a 54 one.
    pub fn sort(sort: &PhysicalSortExpr) -> PhysicalSortExpr54 {
        PhysicalSortExpr54 {
            expr: Self::wrap(&sort.expr),
            options: arrow58::compute::SortOptions {
                descending: sort.options.descending,
                nulls_first: sort.options.nulls_first,
            },
        }
    }
}

fn to_54(e: datafusion::error::DataFusionError) -> DataFusionError54 {
    DataFusionError54::Execution(e.strip_backtrace())
}

impl PartialEq for Expr55 {
    fn eq(&self, other: &Self) -> bool {
        self.inner.as_ref() == other.inner.as_ref()
    }
}

impl Eq for Expr55 {}

impl Hash for Expr55 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.inner.as_ref().hash(state);
    }
}

impl fmt::Display for Expr55 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)
    }
}

impl PhysicalExpr54 for Expr55 {
    fn data_type(
        &self,
        input_schema: &arrow58::datatypes::Schema,
    ) -> Result54<arrow58::datatypes::DataType> {
        Ok(self.return_field(input_schema)?.data_type().clone())
    }

    fn nullable(&self, input_schema: &arrow58::datatypes::Schema) -> Result54<bool> {
        Ok(self.return_field(input_schema)?.is_nullable())
    }

    fn return_field(
        &self,
        input_schema: &arrow58::datatypes::Schema,
    ) -> Result54<arrow58::datatypes::FieldRef> {
        let schema = convert::schema(&Arc::new(input_schema.clone())).map_err(to_54)?;
        let field = self.inner.return_field(&schema).map_err(to_54)?;
        convert::field_to_54(&field).map_err(to_54)
    }

    fn evaluate(&self, batch: &arrow58::array::RecordBatch) -> Result54<ColumnarValue54> {
        let schema = convert::schema(&batch.schema()).map_err(to_54)?;
        let batch = convert::batch(batch, &schema).map_err(to_54)?;
        let value = self.inner.evaluate(&batch).map_err(to_54)?;
        let mut values = udf::values_to_54(&[value]).map_err(to_54)?;
        values.pop().ok_or_else(|| DataFusionError54::Internal("no value".into()))
    }

    /// None: the 55 expression's children stay on the 55 side.
    fn children(&self) -> Vec<&Arc<dyn PhysicalExpr54>> {
        vec![]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn PhysicalExpr54>>,
    ) -> Result54<Arc<dyn PhysicalExpr54>> {
        if children.is_empty() {
            Ok(self)
        } else {
            Err(DataFusionError54::Internal(
                "a DataFusion 55 expression handed to DataFusion 54 takes no children".into(),
            ))
        }
    }

    fn fmt_sql(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.inner)
    }
}
