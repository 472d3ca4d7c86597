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

/// A running `coe serve` child process on a loopback port.
pub struct Server {
    /// The child.
    pub child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Its stderr log file.
    pub log: PathBuf,
}

impl Server {
    /// Start `coe serve ARGS --bind 127.0.0.1:0` and wait until it listens.
    pub fn start(args: &[&str], index: &Path, envs: &[(&str, &str)]) -> Server {
        Server::spawn(coe(), args, index, envs)
    }

    /// Like [`Server::start`], with files limited to `kb` KiB (RLIMIT_FSIZE,
    /// SIGXFSZ ignored): every larger write fails with EFBIG, as on a full disk.
    pub fn start_with_file_limit(kb: u64, args: &[&str], index: &Path) -> Server {
        let mut sh = Command::new("sh");
        sh.args(["-c", &format!("trap '' XFSZ; ulimit -f {}; exec \"$0\" \"$@\"", kb * 2), env!("CARGO_BIN_EXE_coe")]);
        sh.env_remove("COE_INDEX").env("COE_LOG", "warn");
        Server::spawn(sh, args, index, &[])
    }

    fn spawn(mut cmd: Command, args: &[&str], index: &Path, envs: &[(&str, &str)]) -> Server {
        let log = index.with_extension("log");
        let err = std::fs::File::create(&log).expect("log file");
        cmd.arg("serve").args(args).arg("--bind").arg("127.0.0.1:0").arg("--index").arg(index).env("COE_LOG", "info");
        if !args.contains(&"--rate-limit") {
            // Tests poll hard; the limiter has its own test.
            cmd.args(["--rate-limit", "0"]);
        }
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let child = cmd.stderr(err).stdout(std::process::Stdio::null()).spawn().expect("spawn coe serve");
        // From here on the child is always reaped, by Drop.
        let mut server = Server { child, base: String::new(), log };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(&server.log).unwrap_or_default();
            if let Some(i) = text.find("serving on http://") {
                let rest = &text[i + "serving on ".len()..];
                server.base = rest.split_whitespace().next().expect("url").trim_end_matches('/').to_string();
                return server;
            }
            assert!(std::time::Instant::now() < deadline, "server did not start: {text}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// GET a path; (status, body).
    pub fn get(&self, path: &str) -> (u16, String) {
        // A refused connection means the server is gone: its log says why.
        let r = reqwest::blocking::Client::new()
            .get(format!("{}{}", self.base, path))
            .send()
            .unwrap_or_else(|e| panic!("GET {path}: {e}\nserver log:\n{}", self.log()));
        let status = r.status().as_u16();
        (status, r.text().expect("body"))
    }

    /// GET a path as JSON.
    pub fn json(&self, path: &str) -> serde_json::Value {
        let (s, body) = self.get(path);
        assert_eq!(s, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("json")
    }

    /// Wait until `/readyz` says ready.
    pub fn wait_ready(&self) {
        wait_for(|| self.get("/readyz").0 == 200, "server ready");
    }

    /// Total hits for a query.
    pub fn total(&self, q: &str) -> u64 {
        let v = self.json(&format!("/api/v1/search?q={}", urlencode(q)));
        v["total"].as_u64().expect("total")
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encode a query value.
pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Poll `f` until true (20 s at most).
pub fn wait_for(mut f: impl FnMut() -> bool, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
