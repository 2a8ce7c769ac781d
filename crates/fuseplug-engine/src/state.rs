//! Changing a built `SessionState` without changing which function a name calls.
//!
//! DataFusion changes a built state by rebuilding it (`SessionStateBuilder::new_from_existing`),
//! which registers every function again from its maps in hash order. A function registered under
//! its name and its aliases can then take back a name that another function had overridden: after
//! `enable_spark_functions()`, `array_contains` is Spark's, but a rebuild may hand it back to
//! DataFusion's `array_has` (whose alias it is), and the same query answers differently from one
//! rebuild to the next. [`rebuilt`] rebuilds and then puts every name back to the function it
//! called before.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use datafusion::common::{Result, internal_err};
use datafusion::execution::FunctionRegistry;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};

/// `state` rebuilt with `change` applied to its builder, every function name still calling the
/// function it called in `state`.
pub fn rebuilt(
    state: &SessionState,
    change: impl FnOnce(SessionStateBuilder) -> SessionStateBuilder,
) -> Result<SessionState> {
    let mut new = change(SessionStateBuilder::new_from_existing(state.clone())).build();
    restore(
        &mut new,
        state.scalar_functions(),
        |s| s.scalar_functions(),
        |s, f| s.register_udf(f),
    )?;
    restore(
        &mut new,
        state.aggregate_functions(),
        |s| s.aggregate_functions(),
        |s, f| s.register_udaf(f),
    )?;
    restore(
        &mut new,
        state.window_functions(),
        |s| s.window_functions(),
        |s, f| s.register_udwf(f),
    )?;
    Ok(new)
}

/// Registers again, in `state`, each function of `before` that lost one of its names, until every
/// name of `before` calls its function again. A function registered under its aliases may take
/// another's name, so this repeats; it gives up (an internal error) only if two functions keep
/// taking each other's names, which a registry built one registration at a time never holds.
fn restore<F: ?Sized, K: Eq + Hash + Clone>(
    state: &mut SessionState,
    before: &HashMap<K, Arc<F>>,
    now: impl Fn(&SessionState) -> &HashMap<K, Arc<F>>,
    register: impl Fn(&mut SessionState, Arc<F>) -> Result<Option<Arc<F>>>,
) -> Result<()> {
    for _ in 0..=before.len() {
        let lost: Vec<Arc<F>> = before
            .iter()
            .filter(|(name, f)| !now(state).get(*name).is_some_and(|g| Arc::ptr_eq(f, g)))
            .map(|(_, f)| Arc::clone(f))
            .collect();
        if lost.is_empty() {
            return Ok(());
        }
        for f in lost {
            register(state, f)?;
        }
    }
    internal_err!("rebuilding the session state could not restore its function names")
}
