//! `fuseplug_bridge54`: serves DataFusion 54 datafusion-ffi objects in a DataFusion 55 host.
//!
//! datafusion-ffi structs only work within one DataFusion major. This library links both: it imports
//! a plugin's 54 struct with datafusion-ffi 54, adapts the 54 trait object to the 55 traits
//! ([`table`], [`udf`], [`udaf`], [`window`], [`udtf`], [`catalog`]) and exports the result with datafusion-ffi 55. It never links the host crate.
//! fuseplug calls [`adapt`] itself when its version guard finds a plugin built on DataFusion 54.

#[macro_use]
mod function;

mod bridged;
mod capsule;
mod catalog;
mod convert;
mod physical;
mod session;
mod table;
mod udaf;
mod udf;
mod udtf;
mod window;

use pyo3::prelude::*;

/// The DataFusion major this bridge serves plugins of.
#[pyfunction]
fn plugin_datafusion_major() -> u64 {
    capsule::PLUGIN_MAJOR
}

/// The DataFusion major of the hosts it serves them to.
#[pyfunction]
fn host_datafusion_major() -> u64 {
    fuseplug_capsule::version::datafusion_major()
}

#[pymodule]
fn _internal(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(capsule::adapt, m)?)?;
    m.add_function(wrap_pyfunction!(capsule::kinds, m)?)?;
    m.add_function(wrap_pyfunction!(plugin_datafusion_major, m)?)?;
    m.add_function(wrap_pyfunction!(host_datafusion_major, m)?)?;
    m.add_class::<session::Session54>()?;
    m.add_class::<bridged::BridgedTable>()?;
    m.add_class::<bridged::BridgedScalarUDF>()?;
    m.add_class::<bridged::BridgedAggregateUDF>()?;
    m.add_class::<bridged::BridgedWindowUDF>()?;
    m.add_class::<bridged::BridgedTableFunction>()?;
    m.add_class::<bridged::BridgedCatalog>()?;
    m.add_class::<bridged::BridgedSchema>()?;
    m.add_class::<bridged::BridgedCatalogList>()?;
    Ok(())
}
