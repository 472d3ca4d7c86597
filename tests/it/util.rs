//! Shared helpers: fixture folders, a temp index built from them, the real binary.

use coe_kb::index::Store;
use coe_kb::source::{self, Report, SourceSpec};
use coe_kb::vocab::Vocab;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// examples/coes.
pub fn examples() -> PathBuf {
    root().join("examples/coes")
}

/// Copy a folder tree into a new temp dir.
pub fn copy_tree(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for e in walkdir::WalkDir::new(from) {
        let e = e.expect("walk");
        let rel = e.path().strip_prefix(from).expect("prefix");
        let to = dir.path().join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("mkdir");
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
    dir
}

/// An index of `root` (as source `name`) in a new temp dir.
pub fn index_of(name: &str, root: &Path) -> (tempfile::TempDir, Store, Report) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("open index");
    let report = reindex(&store, name, root);
    (dir, store, report)
}

/// Reconcile `root` into `store` again.
pub fn reindex(store: &Store, name: &str, root: &Path) -> Report {
    let vocab = Vocab::builtin().expect("vocab");
    let mut w = store.writer().expect("writer");
    source::reconcile(store, &mut w, &SourceSpec::new(name, root), &vocab, 1_700_000_000, &|_, _| {}).expect("reconcile")
}

/// The real `coe` binary.
pub fn coe() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coe"));
    c.env_remove("COE_INDEX").env("COE_LOG", "warn");
    c
}
