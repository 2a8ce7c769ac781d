//! Puts DataFusion's protobuf schema (the `.proto` files of the datafusion-proto crates that
//! Cargo.lock pins) where `serialize::precheck::schema` includes it, so the walk that checks plans
//! before DataFusion decodes them reads the very schema the decoder was generated from, and no copy
//! of it is kept in this repository.

use std::fs;
use std::path::{Path, PathBuf};

/// (file, crate that ships it in `proto/`)
const PROTOS: [(&str, &str); 2] = [
    ("datafusion_common.proto", "datafusion-proto-common"),
    ("datafusion.proto", "datafusion-proto-models"),
];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("set by cargo"));
    let lock = lock_file(&manifest);
    println!("cargo:rerun-if-changed={}", lock.display());
    println!("cargo:rerun-if-env-changed=CARGO_HOME");
    let lock = fs::read_to_string(&lock).expect("Cargo.lock is readable");
    let registry = cargo_home().join("registry").join("src");
    for (file, krate) in PROTOS {
        let version = newest(&lock, krate).unwrap_or_else(|| {
            panic!("{krate} is not in Cargo.lock: datafusion-proto pulls it in")
        });
        let found = fs::read_dir(&registry)
            .into_iter()
            .flatten()
            .flatten()
            .map(|index| index.path().join(format!("{krate}-{version}")).join("proto").join(file))
            .find(|path| path.is_file())
            .unwrap_or_else(|| {
                panic!(
                    "{file} of {krate} {version} is not under {}: fetch the crates first",
                    registry.display()
                )
            });
        println!("cargo:rerun-if-changed={}", found.display());
        fs::copy(&found, out.join(file)).expect("OUT_DIR is writable");
    }
}

/// The workspace's Cargo.lock (this crate's, when built from an sdist).
fn lock_file(manifest: &Path) -> PathBuf {
    manifest
        .ancestors()
        .map(|dir| dir.join("Cargo.lock"))
        .find(|lock| lock.is_file())
        .expect("a Cargo.lock above the crate")
}

fn cargo_home() -> PathBuf {
    match std::env::var_os("CARGO_HOME") {
        Some(home) => PathBuf::from(home),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME or CARGO_HOME")).join(".cargo"),
    }
}

/// The newest version of `krate` in the lock file (it also holds DataFusion 54's, for the bridge).
fn newest(lock: &str, krate: &str) -> Option<String> {
    let key = |v: &str| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>();
    lock.split("[[package]]")
        .filter(|entry| entry.contains(&format!("name = \"{krate}\"\n")))
        .filter_map(|entry| entry.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_string())
        .max_by_key(|v| key(v))
}
