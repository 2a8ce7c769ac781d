//! The session `SessionContext()` starts from, where it differs from DataFusion's, and the state
//! it builds. The Python bindings and the sqllogictest runner both use these, so the suite checks
//! what users get.

use datafusion::prelude::SessionConfig;

use crate::options::with_fuseplug_options;

/// The config `SessionConfig()` makes: DataFusion's defaults with `information_schema` on (as in
/// the official bindings, so that `SHOW` and `SET` work out of the box) and fuseplug's options.
/// What fuseplug changes in planning is in [`crate::optimizer`], each part behind its switch.
pub fn session_config() -> SessionConfig {
    with_defaults(SessionConfig::new())
}

/// `config` with fuseplug's defaults: what the sqllogictest runner applies to each file's config.
pub fn with_defaults(config: SessionConfig) -> SessionConfig {
    with_fuseplug_options(config.with_information_schema(true))
}
