//! fuseplug's own physical optimizer rules, appended after DataFusion's to every context that
//! `SessionContext()` makes. Each has a `fuseplug.optimizer.*` switch (docs/compatibility.md,
//! "Optimizer rules"); the plans they write still serialize (`serialize::codec`).

mod identity;
pub mod joins;
pub mod row_filter;
pub mod shared;

use std::sync::Arc;

use datafusion::common::config::ConfigOptions;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::physical_optimizer::PhysicalOptimizerRule;

use crate::options::{FuseplugOptions, OptimizerOptions};

pub use joins::{COLLECT_JOINS_MAX_PARTITIONS, CollectJoinsPlanner};
pub use row_filter::{DynamicRowFilter, DynamicRowFilterExec};
pub use shared::{ShareRepeatedSubplans, SharedExec};

/// The session `builder` makes, with fuseplug's planning changes ([`with_rules`]).
pub fn install(builder: SessionStateBuilder) -> SessionState {
    with_rules(builder).build()
}

/// `builder` with fuseplug's rules after its physical optimizer rules and its joins planned by
/// [`CollectJoinsPlanner`].
pub fn with_rules(builder: SessionStateBuilder) -> SessionStateBuilder {
    builder
        .with_query_planner(Arc::new(CollectJoinsPlanner))
        .with_physical_optimizer_rule(Arc::new(DynamicRowFilter))
        .with_physical_optimizer_rule(Arc::new(ShareRepeatedSubplans))
}

/// `builder` without the rules that only hold within one process: a distributed session's stages
/// run on its workers, and a subplan shared by two stages would be run by whichever runs first.
pub fn for_distributed(mut builder: SessionStateBuilder) -> SessionStateBuilder {
    let local = |rule: &Arc<dyn PhysicalOptimizerRule + Send + Sync>| {
        rule.name() != ShareRepeatedSubplans.name()
    };
    // a builder made from a state holds its rules as an optimizer; one being built, as a list
    if let Some(optimizer) = builder.physical_optimizers() {
        optimizer.rules.retain(local);
    }
    if let Some(rules) = builder.physical_optimizer_rules() {
        rules.retain(local);
    }
    builder
}

/// A `fuseplug.optimizer` switch as `config` sets it (its default where fuseplug's options are not
/// installed).
fn enabled(config: &ConfigOptions, switch: impl Fn(&OptimizerOptions) -> bool) -> bool {
    match config.extensions.get::<FuseplugOptions>() {
        Some(options) => switch(&options.optimizer),
        None => switch(&OptimizerOptions::default()),
    }
}
