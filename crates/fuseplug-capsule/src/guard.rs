//! Checks a capsule before anything reads the struct inside it.
//!
//! datafusion-ffi structs are only layout-compatible within one DataFusion major, and reading a field of
//! a struct from another major (even its `version` function pointer) can crash. So the producer's major
//! is found without touching the struct: the capsule's destructor lives in the library that made the
//! capsule, `dladdr` names that library, and the library's file carries the path of the datafusion-ffi
//! crate it was compiled from (`datafusion-ffi-<major>.<minor>.<patch>`).

use std::collections::{BTreeSet, HashMap};
use std::ffi::{CStr, c_void};
use std::fmt;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::{LazyLock, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyCapsule;

use crate::version::datafusion_major;

/// Why a capsule was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapsuleError {
    /// The capsule's name is not the one this kind of object travels under.
    WrongName { expected: String, found: Option<String> },
    /// The capsule holds a null pointer.
    NullPointer { name: String },
    /// The producing library was built against another DataFusion major.
    IncompatibleMajor { name: String, producer: u64, ours: u64, library: PathBuf },
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
pub fn check_method(method: &Bound<'_, PyAny>, expected: &CStr) -> Result<(), CapsuleError> {
    match method_library(method) {
        Some(library) => check_library(library, expected),
        None => Ok(()),
    }
}

fn check_library(library: PathBuf, expected: &CStr) -> Result<(), CapsuleError> {
    let ours = datafusion_major();
    let majors = library_majors(&library);
    match majors.iter().find(|&&m| m != ours) {
        Some(&producer) if !majors.contains(&ours) => Err(CapsuleError::IncompatibleMajor {
            name: expected.to_string_lossy().into_owned(),
            producer,
            ours,
            library,
        }),
        _ => Ok(()),
    }
}

static MAJORS: LazyLock<Mutex<HashMap<PathBuf, BTreeSet<u64>>>> = LazyLock::new(Default::default);

const FFI_CRATE: &[u8] = b"datafusion-ffi-";

/// The datafusion-ffi majors a library's file names (normally exactly one), read once per library.
pub fn library_majors(path: &Path) -> BTreeSet<u64> {
    if let Some(found) = MAJORS.lock().ok().and_then(|m| m.get(path).cloned()) {
        return found;
    }
    let found = std::fs::read(path).map(|bytes| scan_majors(&bytes)).unwrap_or_default();
    if let Ok(mut cache) = MAJORS.lock() {
        cache.insert(path.to_path_buf(), found.clone());
    }
    found
}

/// Every `<major>` in `datafusion-ffi-<major>.<minor>.<patch>` inside `bytes`.
pub fn scan_majors(bytes: &[u8]) -> BTreeSet<u64> {
    let mut majors = BTreeSet::new();
    let mut rest = bytes;
    while let Some(at) = find(rest, FFI_CRATE) {
        rest = &rest[at + FFI_CRATE.len()..];
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let dotted = rest.get(digits) == Some(&b'.');
        if digits > 0
            && digits <= 4
            && dotted
            && let Ok(major) = std::str::from_utf8(&rest[..digits]).unwrap_or("").parse()
        {
            majors.insert(major);
        }
    }
    majors
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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
/// A producer whose major cannot be determined (its library names no datafusion-ffi version, or the
/// capsule has no destructor) is let through; the caller may then check a `version` field.
pub fn checked_pointer<T>(
    capsule: &Bound<'_, PyCapsule>,
    expected: &CStr,
) -> Result<NonNull<T>, CapsuleError> {
    let expected_name = expected.to_string_lossy().into_owned();
    let name = capsule_name(capsule);
    if name.as_deref() != Some(expected_name.as_str()) {
        return Err(CapsuleError::WrongName { expected: expected_name, found: name });
    }
    if let Some(library) = producer_library(capsule) {
        check_library(library, expected)?;
    }
    // SAFETY: the name matched, so this is the pointer the producer stored under it.
    let pointer = unsafe { pyo3::ffi::PyCapsule_GetPointer(capsule.as_ptr(), expected.as_ptr()) };
    NonNull::new(pointer.cast::<T>()).ok_or_else(|| {
        let _ = PyErr::take(capsule.py());
        CapsuleError::NullPointer { name: expected_name }
    })
}
