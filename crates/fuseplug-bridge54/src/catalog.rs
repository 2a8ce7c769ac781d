//! DataFusion 54 catalogs served as DataFusion 55 ones: catalog lists, catalogs and schemas, with
//! their tables as [`Table54`].
//!
//! Reads go to the 54 side. Writes carry DataFusion 55 objects, which the 54 side cannot hold: a
//! schema or table registered from the host side is refused with an error, except that a 54 object
//! the bridge handed out goes back as itself. A catalog list cannot report an error from
//! `register_catalog`, so catalogs registered from the host side are kept beside the 54 ones
//! (listed and resolved first), never dropped.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use datafusion::catalog::{CatalogProvider, CatalogProviderList, SchemaProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableProvider;
use datafusion54::catalog::{
    CatalogProvider as CatalogProvider54, CatalogProviderList as CatalogProviderList54,
    SchemaProvider as SchemaProvider54, TableProvider as TableProvider54,
};
use fuseplug_capsule::panic::{guard, guard_future};

use crate::convert;
use crate::table::Table54;

fn not_54(what: &str, name: &str) -> DataFusionError {
    DataFusionError::NotImplemented(format!(
        "cannot register {what} {name:?} in a DataFusion 54 plugin's catalog through the bridge: \
         only objects of that plugin can be handed back to it"
    ))
}

fn table(inner: Arc<dyn TableProvider54>) -> Result<Arc<dyn TableProvider>> {
    Ok(Arc::new(Table54::new(inner)?))
}

/// A DataFusion 54 catalog list as a DataFusion 55 one.
#[derive(Debug)]
pub struct CatalogList54 {
    inner: Arc<dyn CatalogProviderList54>,
    /// Catalogs registered from the 55 side that are not the 54 plugin's own.
    added: RwLock<BTreeMap<String, Arc<dyn CatalogProvider>>>,
}

impl CatalogList54 {
    pub fn new(inner: Arc<dyn CatalogProviderList54>) -> Self {
        Self { inner, added: RwLock::default() }
    }

    fn added(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        self.added.read().ok()?.get(name).cloned()
    }
}

impl CatalogProviderList for CatalogList54 {
    fn register_catalog(
        &self,
        name: String,
        catalog: Arc<dyn CatalogProvider>,
    ) -> Option<Arc<dyn CatalogProvider>> {
        let previous = self.catalog(&name);
        match catalog.downcast_ref::<Catalog54>() {
            Some(ours) => {
                if let Ok(mut added) = self.added.write() {
                    added.remove(&name);
                }
                let _ = guard("the DataFusion 54 bridge's register_catalog", || {
                    Ok(self.inner.register_catalog(name, Arc::clone(&ours.inner)))
                });
            }
            None => {
                if let Ok(mut added) = self.added.write() {
                    added.insert(name, catalog);
                }
            }
        }
        previous
    }

    fn catalog_names(&self) -> Vec<String> {
        let mut names =
            guard("the DataFusion 54 bridge's catalog_names", || Ok(self.inner.catalog_names()))
                .unwrap_or_default();
        if let Ok(added) = self.added.read() {
            names.extend(added.keys().filter(|k| !names.contains(k)).cloned().collect::<Vec<_>>());
        }
        names
    }

    fn catalog(&self, name: &str) -> Option<Arc<dyn CatalogProvider>> {
        if let Some(added) = self.added(name) {
            return Some(added);
        }
        guard("the DataFusion 54 bridge's catalog", || Ok(self.inner.catalog(name)))
            .ok()
            .flatten()
            .map(|c| Arc::new(Catalog54::new(c)) as Arc<dyn CatalogProvider>)
    }
}

/// A DataFusion 54 catalog as a DataFusion 55 one.
#[derive(Debug)]
pub struct Catalog54 {
    inner: Arc<dyn CatalogProvider54>,
}

impl Catalog54 {
    pub fn new(inner: Arc<dyn CatalogProvider54>) -> Self {
        Self { inner }
    }
}

fn schema(inner: Arc<dyn SchemaProvider54>) -> Arc<dyn SchemaProvider> {
    Arc::new(Schema54::new(inner))
}

impl CatalogProvider for Catalog54 {
    fn schema_names(&self) -> Vec<String> {
        guard("the DataFusion 54 bridge's schema_names", || Ok(self.inner.schema_names()))
            .unwrap_or_default()
    }

    fn schema(&self, name: &str) -> Option<Arc<dyn SchemaProvider>> {
        guard("the DataFusion 54 bridge's schema", || Ok(self.inner.schema(name)))
            .ok()
            .flatten()
            .map(schema)
    }

    fn register_schema(
        &self,
        name: &str,
        provider: Arc<dyn SchemaProvider>,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        let Some(ours) = provider.downcast_ref::<Schema54>() else {
            return Err(not_54("schema", name));
        };
        guard("the DataFusion 54 bridge's register_schema", || {
            let previous = self
                .inner
                .register_schema(name, Arc::clone(&ours.inner))
                .map_err(convert::error)?;
            Ok(previous.map(schema))
        })
    }

    fn deregister_schema(
        &self,
        name: &str,
        cascade: bool,
    ) -> Result<Option<Arc<dyn SchemaProvider>>> {
        guard("the DataFusion 54 bridge's deregister_schema", || {
            let removed = self.inner.deregister_schema(name, cascade).map_err(convert::error)?;
            Ok(removed.map(schema))
        })
    }
}

/// A DataFusion 54 schema as a DataFusion 55 one; its tables are [`Table54`]s.
#[derive(Debug)]
pub struct Schema54 {
    inner: Arc<dyn SchemaProvider54>,
}

impl Schema54 {
    pub fn new(inner: Arc<dyn SchemaProvider54>) -> Self {
        Self { inner }
    }
}

#[async_trait]
impl SchemaProvider for Schema54 {
    fn owner_name(&self) -> Option<&str> {
        self.inner.owner_name()
    }

    fn table_names(&self) -> Vec<String> {
        guard("the DataFusion 54 bridge's table_names", || Ok(self.inner.table_names()))
            .unwrap_or_default()
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        let found = guard_future("the DataFusion 54 bridge's table", async {
            self.inner.table(name).await.map_err(convert::error)
        })
        .await?;
        found.map(table).transpose()
    }

    fn register_table(
        &self,
        name: String,
        provider: Arc<dyn TableProvider>,
    ) -> Result<Option<Arc<dyn TableProvider>>> {
        let Some(ours) = provider.downcast_ref::<Table54>() else {
            return Err(not_54("table", &name));
        };
        guard("the DataFusion 54 bridge's register_table", || {
            let previous = self.inner.register_table(name, ours.inner()).map_err(convert::error)?;
            previous.map(table).transpose()
        })
    }

    fn deregister_table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>> {
        guard("the DataFusion 54 bridge's deregister_table", || {
            let removed = self.inner.deregister_table(name).map_err(convert::error)?;
            removed.map(table).transpose()
        })
    }

    fn table_exist(&self, name: &str) -> bool {
        guard("the DataFusion 54 bridge's table_exist", || Ok(self.inner.table_exist(name)))
            .unwrap_or(false)
    }
}
