//! fuseplug's own physical optimizer rules, appended after DataFusion's to every context that
//! `SessionContext()` makes. Each has a `fuseplug.optimizer.*` switch (docs/compatibility.md,
//! "Optimizer rules"); the plans they write still serialize (`serialize::codec`).

pub mod row_filter;
pub mod shared;

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::physical_optimizer::PhysicalOptimizerRule;

use crate::serialize::options::{FuseplugOptions, OptimizerOptions};

pub use row_filter::{DynamicRowFilter, DynamicRowFilterExec};
pub use shared::{ShareRepeatedSubplans, SharedExec};

/// The session `builder` makes, with fuseplug's rules after its physical optimizer rules.
pub fn install(builder: SessionStateBuilder) -> SessionState {
    builder
        .with_physical_optimizer_rule(Arc::new(DynamicRowFilter))
        .with_physical_optimizer_rule(Arc::new(ShareRepeatedSubplans))
        .build()
}

/// `state` without the rules that only hold within one process: a distributed session's stages run
/// on its workers, and a subplan shared by two stages would be run by whichever runs first.
pub fn for_distributed(state: SessionState) -> SessionState {
    let rules = state
        .physical_optimizers()
        .iter()
        .filter(|rule| rule.name() != ShareRepeatedSubplans.name())
        .cloned()
        .collect();
    SessionStateBuilder::new_from_existing(state).with_physical_optimizer_rules(rules).build()
}

/// A `fuseplug.optimizer` switch as `config` sets it (its default where fuseplug's options are not
/// installed).
fn enabled(config: &ConfigOptions, switch: impl Fn(&OptimizerOptions) -> bool) -> bool {
    match config.extensions.get::<FuseplugOptions>() {
        Some(options) => switch(&options.optimizer),
        None => switch(&OptimizerOptions::default()),
    }
}
