//! What fuseplug changes in DataFusion itself, kept apart from the Python bindings so that the
//! sqllogictest runner (`crates/fuseplug-slt`) checks exactly the session `SessionContext()` builds:
//! the session defaults ([`defaults`]), the `fuseplug.*` options ([`options`]) and the physical
//! optimizer rules ([`optimizer`]).

pub mod defaults;
pub mod optimizer;
pub mod options;
pub mod state;
