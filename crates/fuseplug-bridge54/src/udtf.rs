//! DataFusion 54 table functions served as DataFusion 55 ones.
//!
//! The call's argument expressions cross as protobuf and are decoded against the bridge's 54
//! session, which the 54 function is called with; the table it returns is served as a [`Table54`].

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl};
use datafusion::common::Result;
use datafusion::datasource::TableProvider;
use datafusion54::catalog::{
    TableFunctionArgs as TableFunctionArgs54, TableFunctionImpl as TableFunctionImpl54,
};
use fuseplug_capsule::panic::guard;

use crate::convert;
use crate::session;
use crate::table::Table54;

/// A DataFusion 54 table function as a DataFusion 55 one.
#[derive(Debug)]
pub struct TableFunction54 {
    inner: Arc<dyn TableFunctionImpl54>,
}

impl TableFunction54 {
    pub fn new(inner: Arc<dyn TableFunctionImpl54>) -> Self {
        Self { inner }
    }
}

impl TableFunctionImpl for TableFunction54 {
    fn call_with_args(&self, args: TableFunctionArgs) -> Result<Arc<dyn TableProvider>> {
        guard("a DataFusion 54 table function through the bridge", || {
            let ctx = session::context();
            let task_ctx = ctx.task_ctx();
            let exprs = args
                .exprs()
                .iter()
                .map(|e| convert::expr_to_54(e, &task_ctx))
                .collect::<Result<Vec<_>>>()?;
            let state = session::state_for(args.session().config_options());
            let table = self
                .inner
                .call_with_args(TableFunctionArgs54::new(&exprs, &state))
                .map_err(convert::error)?;
            Ok(Arc::new(Table54::new(table)?) as Arc<dyn TableProvider>)
        })
    }
}
