//! Checks a capsule before anything reads the struct inside it.
//!
//! datafusion-ffi structs are only layout-compatible within one DataFusion major, and reading a field of
//! a struct from another major (even its `version` function pointer) can crash. So the producer's major
//! is found without touching the struct: the capsule's destructor lives in the library that made the
//! capsule, `dladdr` names that library, and the library's file says which DataFusion it was built
//! from ([`crate::signals`]). A capsule is read only when that evidence names this host's major and
//! nothing else. When it names none (stripped paths, a git checkout, no destructor to find the library
//! by) or several, the capsule is refused unless the user opted in with [`TRUST_ENV`].

use std::ffi::{CStr, c_void};
use std::fmt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::signals::{Signals, library_signals};
use crate::version::datafusion_major;

/// Setting this environment variable to `1` lets through a plugin whose DataFusion major cannot be
/// determined, at the user's own risk. A plugin known to be on another major is refused regardless.
pub const TRUST_ENV: &str = "FUSEPLUG_TRUST_UNVERSIONED_PLUGINS";

/// Why a capsule was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapsuleError {
    /// The capsule's name is not the one this kind of object travels under.
    WrongName { expected: String, found: Option<String> },
    /// The capsule holds a null pointer.
    NullPointer { name: String },
    /// The producing library was built against another DataFusion major.
    IncompatibleMajor { name: String, producer: u64, ours: u64, library: PathBuf },
    /// The producing library's major could not be determined, so the capsule was not read.
    UnknownMajor { name: String, library: Option<PathBuf>, reason: String },
}

impl fmt::Display for CapsuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapsuleError::WrongName { expected, found: Some(found) } => {
                write!(f, "expected a capsule named {expected:?}, got one named {found:?}")
            }
            CapsuleError::WrongName { expected, found: None } => {
                write!(f, "expected a capsule named {expected:?}, got an unnamed capsule")
            }
            CapsuleError::NullPointer { name } => {
                write!(f, "capsule {name:?} holds a null pointer")
            }
            CapsuleError::IncompatibleMajor { name, producer, ours, library } => write!(
                f,
                "capsule {name:?} comes from {} which is built on DataFusion {producer}, but this \
                 host is built on DataFusion {ours}; datafusion-ffi objects only work within one \
                 major version: install a release of that plugin built on DataFusion {ours}",
                library.display()
            ),
            CapsuleError::UnknownMajor { name, library, reason } => {
                let from = library
                    .as_ref()
                    .map(|l| format!("comes from {}, whose", l.display()))
                    .unwrap_or_else(|| "comes from a library whose".into());
                write!(
                    f,
                    "capsule {name:?} {from} DataFusion major could not be determined ({reason}), \
                     so it was not read: datafusion-ffi objects only work within one major and this \
                     host is built on DataFusion {}. If you know the plugin is built on DataFusion \
                     {}, set {TRUST_ENV}=1 to load it at your own risk",
                    datafusion_major(),
                    datafusion_major()
                )
            }
        }
    }
}

impl std::error::Error for CapsuleError {}

/// The shared library that holds the code or data at `address`, if the dynamic loader knows it.
pub fn library_of(address: usize) -> Option<PathBuf> {
    // SAFETY: dladdr only looks the address up in the loader's tables (it never dereferences it);
    // `info` is plain data it fills in.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    if unsafe { libc::dladdr(address as *const c_void, &mut info) } == 0 || info.dli_fname.is_null()
    {
        return None;
    }
    // SAFETY: dli_fname is a NUL-terminated string owned by the loader.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    Some(PathBuf::from(name.to_string_lossy().into_owned()))
}

/// The library whose code will release `capsule`: the one that made it.
pub fn producer_library(capsule: &Bound<'_, PyCapsule>) -> Option<PathBuf> {
    // SAFETY: `capsule` is a live capsule object.
    let destructor = unsafe { pyo3::ffi::PyCapsule_GetDestructor(capsule.as_ptr()) }?;
    library_of(destructor as usize)
}

/// The library that holds the C code of `method`, when it is a built-in (extension) function or
/// bound method, as the `#[pymethods]` of a PyO3 class are. `None` for Python functions.
pub fn method_library(method: &Bound<'_, PyAny>) -> Option<PathBuf> {
    // SAFETY: `method` is a live object; the check runs before the function pointer is read.
    unsafe {
        if pyo3::ffi::PyCFunction_Check(method.as_ptr()) == 0 {
            return None;
        }
        let function = pyo3::ffi::PyCFunction_GetFunction(method.as_ptr())?;
        library_of(function as usize)
    }
}

/// Refuses to call a plugin's dunder compiled against another DataFusion major. Calling it is
/// already unsafe: a provider's dunder reads the host's session capsules as its own major's layout.
/// A dunder written in Python has no library of its own: the caller checks the libraries behind it
/// with [`check_libraries`].
pub fn check_method(method: &Bound<'_, PyAny>, expected: &CStr) -> Result<(), CapsuleError> {
    match method_library(method) {
        Some(library) => check_library(library, expected),
        None => Ok(()),
    }
}

/// Refuses when any of `libraries` that contains DataFusion is not on this host's major. Libraries
/// without DataFusion in them (numpy, pyarrow, ...) are ignored.
pub fn check_libraries(libraries: &[PathBuf], expected: &CStr) -> Result<(), CapsuleError> {
    for library in libraries {
        let signals = library_signals(library);
        if signals.carries_datafusion() {
            check_signals(library.clone(), &signals, expected)?;
        }
    }
    Ok(())
}

/// Whether the user opted in to plugins of undetermined major.
pub fn trusts_unversioned() -> bool {
    std::env::var(TRUST_ENV).is_ok_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

fn check_library(library: PathBuf, expected: &CStr) -> Result<(), CapsuleError> {
    let signals = library_signals(&library);
    check_signals(library, &signals, expected)
}

fn check_signals(library: PathBuf, signals: &Signals, expected: &CStr) -> Result<(), CapsuleError> {
    match verdict(signals, datafusion_major()) {
        Verdict::Ours => Ok(()),
        Verdict::Foreign(producer) => Err(CapsuleError::IncompatibleMajor {
            name: expected.to_string_lossy().into_owned(),
            producer,
            ours: datafusion_major(),
            library,
        }),
        Verdict::Unknown(_) if trusts_unversioned() => Ok(()),
        Verdict::Unknown(reason) => Err(CapsuleError::UnknownMajor {
            name: expected.to_string_lossy().into_owned(),
            library: Some(library),
            reason,
        }),
    }
}

/// What a library's signals say about reading its structs at this host's layout.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every signal names this host's major.
    Ours,
    /// Every signal names one other major.
    Foreign(u64),
    /// No signal names a major, or signals name several.
    Unknown(String),
}

/// The verdict on a library with `signals` for a host on major `ours`.
pub fn verdict(signals: &Signals, ours: u64) -> Verdict {
    let majors = signals.majors();
    match majors.len() {
        1 if majors.contains(&ours) => Verdict::Ours,
        1 => Verdict::Foreign(*majors.first().expect("one major")),
        0 => Verdict::Unknown(format!("its file shows {}", signals.describe())),
        _ => Verdict::Unknown(format!("its file names several majors: {}", signals.describe())),
    }
}

/// The DataFusion majors a library's file names (normally exactly one), read once per library.
pub fn library_majors(path: &Path) -> std::collections::BTreeSet<u64> {
    library_signals(path).majors()
}

/// The capsule's name, if it has one.
pub fn capsule_name(capsule: &Bound<'_, PyCapsule>) -> Option<String> {
    // SAFETY: `capsule` is a live capsule; the name, if set, is a NUL-terminated string it owns.
    let name = unsafe { pyo3::ffi::PyCapsule_GetName(capsule.as_ptr()) };
    if name.is_null() {
        // A failed lookup sets an exception; an unnamed capsule does not. Either way: no name.
        let _ = PyErr::take(capsule.py());
        return None;
    }
    Some(unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned())
}

/// Checks name, pointer and producer major, then returns the pointer to the struct inside.
///
/// A producer whose major cannot be determined (its library names no DataFusion version, or the
/// capsule has no destructor to find the library by) is refused unless the user set [`TRUST_ENV`];
/// the caller may then still check a `version` field.
pub fn checked_pointer<T>(
    capsule: &Bound<'_, PyCapsule>,
    expected: &CStr,
) -> Result<NonNull<T>, CapsuleError> {
    let expected_name = expected.to_string_lossy().into_owned();
    let name = capsule_name(capsule);
    if name.as_deref() != Some(expected_name.as_str()) {
        return Err(CapsuleError::WrongName { expected: expected_name, found: name });
    }
    match producer_library(capsule) {
        Some(library) => check_library(library, expected)?,
        None if trusts_unversioned() => {}
        None => {
            return Err(CapsuleError::UnknownMajor {
                name: expected_name,
                library: None,
                reason: "the capsule has no destructor in a loaded library to identify it by"
                    .into(),
            });
        }
    }
    // SAFETY: the name matched, so this is the pointer the producer stored under it.
    let pointer = unsafe { pyo3::ffi::PyCapsule_GetPointer(capsule.as_ptr(), expected.as_ptr()) };
    NonNull::new(pointer.cast::<T>()).ok_or_else(|| {
        let _ = PyErr::take(capsule.py());
        CapsuleError::NullPointer { name: expected_name }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn signals(ffi: &[u64], common: &[u64], created_by: &[u64], git: bool) -> Signals {
        Signals {
            ffi: BTreeSet::from_iter(ffi.iter().copied()),
            common: BTreeSet::from_iter(common.iter().copied()),
            created_by: BTreeSet::from_iter(created_by.iter().copied()),
            git_checkout: git,
            ..Signals::default()
        }
    }

    #[test]
    fn a_capsule_is_read_only_when_every_signal_names_our_major() {
        assert_eq!(verdict(&signals(&[55], &[55], &[55], false), 55), Verdict::Ours);
        assert_eq!(verdict(&signals(&[], &[], &[55], true), 55), Verdict::Ours);
        assert_eq!(verdict(&signals(&[54], &[54], &[], false), 55), Verdict::Foreign(54));
        assert_eq!(verdict(&signals(&[], &[54], &[54], true), 55), Verdict::Foreign(54));
        let Verdict::Unknown(why) = verdict(&signals(&[], &[], &[], true), 55) else {
            panic!("a git checkout without a version must be unknown")
        };
        assert!(why.contains("git checkout"), "{why}");
        let Verdict::Unknown(why) = verdict(&signals(&[55], &[54], &[54], false), 55) else {
            panic!("disagreeing signals must be unknown")
        };
        assert!(why.contains("several majors"), "{why}");
        assert!(matches!(verdict(&Signals::default(), 55), Verdict::Unknown(_)));
    }
}
