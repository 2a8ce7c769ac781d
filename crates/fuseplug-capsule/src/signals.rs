//! What a compiled library's file says about the DataFusion it was built from.
//!
//! A Rust library keeps the source paths of the crates it was compiled from (panic locations, file
//! names in debug info) and a few version strings. For DataFusion these name the major:
//!
//! - `datafusion-ffi-X.Y.Z`, `datafusion-common-X.Y.Z` and `datafusion-X.Y.Z`: crates.io source paths;
//! - `datafusion version X.Y.Z`: the Parquet `created_by` default compiled into `datafusion-common`,
//!   present whatever the crate's source (crates.io, a git checkout, a vendored copy);
//! - `.../git/checkouts/<repo>-<hash>/...`: DataFusion compiled from a git checkout, whose paths carry
//!   no version;
//! - `<len>datafusion_common` / `<len>datafusion_ffi`: mangled symbol names, which say the library
//!   contains DataFusion even when every path was stripped. Their crate hashes depend on the build
//!   (compiler, features, profile), so they tell two builds apart but never name a version: they are
//!   used as evidence that DataFusion is there, not of which major.
//!
//! Files are memory-mapped and searched once for `datafusion` (SIMD substring search); every hit is
//! classified by the bytes around it. Results are cached per (path, size, modification time).

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::SystemTime;

use memchr::memmem;

/// The DataFusion facts found in one library file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// Majors of `datafusion-ffi-X.Y.Z` source paths.
    pub ffi: BTreeSet<u64>,
    /// Majors of `datafusion-X.Y.Z` source paths.
    pub datafusion: BTreeSet<u64>,
    /// Majors of `datafusion-common-X.Y.Z` source paths.
    pub common: BTreeSet<u64>,
    /// Majors of the `datafusion version X.Y.Z` string.
    pub created_by: BTreeSet<u64>,
    /// Source paths under a Cargo git checkout of a DataFusion repository.
    pub git_checkout: bool,
    /// Mangled `datafusion_common` / `datafusion_ffi` symbols.
    pub symbols: bool,
}

impl Signals {
    /// Every major any signal names.
    pub fn majors(&self) -> BTreeSet<u64> {
        let mut all = self.ffi.clone();
        for set in [&self.datafusion, &self.common, &self.created_by] {
            all.extend(set.iter().copied());
        }
        all
    }

    /// Whether the library contains DataFusion at all.
    pub fn carries_datafusion(&self) -> bool {
        !self.majors().is_empty() || self.git_checkout || self.symbols
    }

    /// A short account of the evidence, for error messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let named = |label: &str, set: &BTreeSet<u64>| {
            (!set.is_empty()).then(|| {
                let majors: Vec<String> = set.iter().map(u64::to_string).collect();
                format!("{label} {}", majors.join(", "))
            })
        };
        parts.extend(named("datafusion-ffi", &self.ffi));
        parts.extend(named("datafusion", &self.datafusion));
        parts.extend(named("datafusion-common", &self.common));
        parts.extend(named("`datafusion version`", &self.created_by));
        if self.git_checkout {
            parts.push("a git checkout of DataFusion (no version in its paths)".into());
        }
        if parts.is_empty() && self.symbols {
            parts.push("DataFusion symbols but no version".into());
        }
        if parts.is_empty() { "no sign of DataFusion".into() } else { parts.join("; ") }
    }
}

/// Classifies every occurrence of `datafusion` in `bytes`.
pub fn scan(bytes: &[u8]) -> Signals {
    let mut found = Signals::default();
    for at in memmem::find_iter(bytes, b"datafusion") {
        let after = &bytes[at + b"datafusion".len()..];
        if let Some(rest) = after.strip_prefix(b"-ffi-") {
            found.ffi.extend(version_major(rest));
        } else if let Some(rest) = after.strip_prefix(b"-common-") {
            found.common.extend(version_major(rest));
        } else if let Some(rest) = after.strip_prefix(b" version ") {
            found.created_by.extend(version_major(rest));
        } else if let Some(rest) = after.strip_prefix(b"-")
            && starts_a_name(bytes, at)
            && let Some(major) = version_major(rest)
        {
            found.datafusion.insert(major);
        } else if (after.starts_with(b"_common") || after.starts_with(b"_ffi"))
            && at > 0
            && bytes[at - 1].is_ascii_digit()
        {
            found.symbols = true;
        }
        if !found.git_checkout && in_git_checkout(bytes, at) {
            found.git_checkout = true;
        }
    }
    found
}

/// The major of `X.Y.Z` at the start of `rest` (X up to 4 digits, then a dot and a digit).
fn version_major(rest: &[u8]) -> Option<u64> {
    let digits = rest.iter().take(5).take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 4 || rest.get(digits) != Some(&b'.') {
        return None;
    }
    if !rest.get(digits + 1).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(&rest[..digits]).ok()?.parse().ok()
}

/// Whether the `datafusion` at `at` begins a name (a path component, a string), so
/// `arrow-datafusion-1.0` or `my_datafusion-2.0` do not count as the `datafusion` crate.
fn starts_a_name(bytes: &[u8], at: usize) -> bool {
    at == 0
        || !matches!(bytes[at - 1], b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.')
}

/// Whether the `datafusion` at `at` names the repository directory of a Cargo git checkout of
/// DataFusion: `.../checkouts/datafusion-<16 hex>/<rev>/...` (or the old `arrow-datafusion-` name).
/// Add-on repositories such as `checkouts/datafusion-extra-functions-<hash>` do not count.
fn in_git_checkout(bytes: &[u8], at: usize) -> bool {
    let before = &bytes[..at];
    if !(before.ends_with(b"checkouts/") || before.ends_with(b"checkouts/arrow-")) {
        return false;
    }
    let after = &bytes[at + b"datafusion".len()..];
    after.len() > 18
        && after[0] == b'-'
        && after[1..17].iter().all(u8::is_ascii_hexdigit)
        && after[17] == b'/'
}

type Key = (PathBuf, u64, Option<SystemTime>);

static CACHE: LazyLock<Mutex<HashMap<Key, Arc<Signals>>>> = LazyLock::new(Default::default);

/// The signals of the library at `path`, read once per file version. A file that cannot be read has
/// no signals.
pub fn library_signals(path: &Path) -> Arc<Signals> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Arc::new(Signals::default());
    };
    let key = (path.to_path_buf(), meta.len(), meta.modified().ok());
    if let Some(found) = CACHE.lock().ok().and_then(|cache| cache.get(&key).cloned()) {
        return found;
    }
    let found = Arc::new(Mapped::open(path).map(|m| scan(m.bytes())).unwrap_or_default());
    if let Ok(mut cache) = CACHE.lock() {
        cache.insert(key, Arc::clone(&found));
    }
    found
}

/// A read-only memory map of a whole file.
struct Mapped {
    address: *mut libc::c_void,
    len: usize,
}

impl Mapped {
    fn open(path: &Path) -> std::io::Result<Self> {
        let file = File::open(path)?;
        let len = usize::try_from(file.metadata()?.len())
            .map_err(|_| std::io::Error::other("file too large to map"))?;
        if len == 0 {
            return Ok(Mapped { address: std::ptr::null_mut(), len: 0 });
        }
        // SAFETY: a private read-only mapping of a file we opened; the kernel validates every
        // argument and the mapping outlives the descriptor, which is closed when `file` drops.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Mapped { address, len })
    }

    fn bytes(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `address` maps `len` readable bytes until `drop` unmaps them.
        unsafe { std::slice::from_raw_parts(self.address.cast::<u8>(), self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: unmapping exactly the region `open` mapped.
            unsafe { libc::munmap(self.address, self.len) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_io_paths_and_the_created_by_string_name_majors() {
        let bytes =
            b"\0/reg/datafusion-ffi-54.1.0/src/lib.rs\0/reg/datafusion-common-54.1.0/src/x.rs\
            \0/reg/datafusion-54.1.0/src/y.rs\0datafusion version 54.1.0\0";
        let found = scan(bytes);
        assert_eq!(found.ffi, BTreeSet::from([54]));
        assert_eq!(found.common, BTreeSet::from([54]));
        assert_eq!(found.datafusion, BTreeSet::from([54]));
        assert_eq!(found.created_by, BTreeSet::from([54]));
        assert!(!found.git_checkout);
    }

    #[test]
    fn other_crates_named_like_datafusion_do_not_count() {
        let bytes = b"\0/reg/datafusion-functions-json-0.55.0/src\0/reg/arrow-datafusion-1.2.3/x\
            \0/reg/datafusion-spark-55.2.0/src\0datafusion-ffi-x.1\0datafusion-ffi-\0datafusion-9";
        let found = scan(bytes);
        assert!(found.majors().is_empty(), "{found:?}");
        assert!(!found.carries_datafusion());
    }

    #[test]
    fn git_checkouts_and_symbols_say_datafusion_is_there_without_a_version() {
        let bytes =
            b"/h/.cargo/git/checkouts/datafusion-8b3e1f0c2a9d4e11/5f2a9c1/datafusion/common/src\
            \0_RNvNtCs1a2b_17datafusion_common5error";
        let found = scan(bytes);
        assert!(found.git_checkout && found.symbols);
        assert!(found.majors().is_empty());
        assert!(found.carries_datafusion());
        let fork = scan(b"/git/checkouts/arrow-datafusion-0123456789abcdef/abc/datafusion/expr");
        assert!(fork.git_checkout);
        let elsewhere =
            scan(b"/git/checkouts/other-0123/abc/src/some/deep/path/datafusion_glue.rs");
        assert!(!elsewhere.git_checkout);
        let add_on =
            scan(b"/git/checkouts/datafusion-extra-functions-0f9f29023dc2c8e2/9ba4d80/src");
        assert!(!add_on.git_checkout);
    }

    #[test]
    fn mapped_files_are_scanned_once_per_version() {
        let dir = std::env::temp_dir().join(format!("fuseplug-signals-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lib.so");
        std::fs::write(&path, b"datafusion version 53.0.0").unwrap();
        assert_eq!(library_signals(&path).created_by, BTreeSet::from([53]));
        std::fs::write(&path, b"datafusion version 54.10.0 and more").unwrap();
        assert_eq!(library_signals(&path).created_by, BTreeSet::from([54]));
        let empty = dir.join("empty.so");
        std::fs::write(&empty, b"").unwrap();
        assert!(!library_signals(&empty).carries_datafusion());
        assert!(!library_signals(&dir.join("missing.so")).carries_datafusion());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
