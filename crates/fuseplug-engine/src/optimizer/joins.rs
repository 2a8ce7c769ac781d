//! Hash joins without repartitioning on small machines.
//!
//! With at most [`COLLECT_JOINS_MAX_PARTITIONS`] target partitions (by default, the machine's
//! cores) fuseplug plans a query as DataFusion does with `datafusion.optimizer.repartition_joins`
//! off: each hash join builds one table that every partition probes, instead of hash-partitioning
//! both inputs. On 2 cores this won TPC-H SF 1 (q07 0.57x, geomean about 0.9x, every answer the
//! same; docs/compatibility.md, "Session defaults").
//!
//! It is done at planning time by [`CollectJoinsPlanner`], not by changing the session's option, so
//! that what `SHOW` reports stays DataFusion's and a query asks for what it needs at the moment it
//! is planned: with `prefer_hash_join` off, DataFusion plans sort-merge joins, which spill under a
//! memory limit, and only with `repartition_joins` on; so the planner steps aside then, as it does
//! when `repartition_joins` is off already or `fuseplug.optimizer.collect_joins` is false.
//!
//! **Proof obligation.** The planner changes nothing but an option DataFusion itself offers and
//! tests both ways (its sqllogictest suite runs files with `repartition_joins` on and off); the
//! plan it gets is the one stock DataFusion gives with that option off. It ships only with
//! DataFusion's sqllogictest suite passing as on stock DataFusion and the differential run clean
//! (docs/development.md, "Rules and defaults").

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::Result;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::execution::SessionState;
use datafusion::execution::context::QueryPlanner;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_planner::{DefaultPhysicalPlanner, PhysicalPlanner};

use super::enabled;

/// The largest partition count at which [`CollectJoinsPlanner`] plans joins without repartitioning.
pub const COLLECT_JOINS_MAX_PARTITIONS: usize = 2;

/// DataFusion's own planner, given the session with `repartition_joins` off where the module docs
/// say so.
#[derive(Debug, Default)]
pub struct CollectJoinsPlanner;

#[async_trait]
impl QueryPlanner for CollectJoinsPlanner {
    async fn create_physical_plan(
        &self,
        logical_plan: &LogicalPlan,
        session_state: &dyn Session,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let planner = DefaultPhysicalPlanner::default();
        let state = session_state.as_any().downcast_ref::<SessionState>();
        match state.filter(|_| has_join(logical_plan)).and_then(collecting) {
            Some(state) => planner.create_physical_plan(logical_plan, &state).await,
            None => planner.create_physical_plan(logical_plan, session_state).await,
        }
    }
}

/// Whether `plan` (subqueries included) joins anything: only joins read `repartition_joins`, so
/// without one the session is not copied (a copy costs about as much as planning `SELECT 1`).
fn has_join(plan: &LogicalPlan) -> bool {
    let mut found = false;
    // the closure never fails
    let _ = plan.apply_with_subqueries(|node| {
        found = matches!(node, LogicalPlan::Join(_));
        Ok(if found { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
    });
    found
}

/// `state` with `repartition_joins` off, if the planner changes it.
fn collecting(state: &SessionState) -> Option<SessionState> {
    let options = state.config_options();
    let applies = enabled(options, |o| o.collect_joins)
        && options.execution.target_partitions <= COLLECT_JOINS_MAX_PARTITIONS
        && options.optimizer.repartition_joins
        && options.optimizer.prefer_hash_join;
    applies.then(|| {
        let mut state = state.clone();
        state.config_mut().options_mut().optimizer.repartition_joins = false;
        state
    })
}
