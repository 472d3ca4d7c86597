//! The watcher with the real server: create, edit, atomic save, vim save,
//! renames of files and directories, deletes, editor temp files, restarts with
//! changes made while down, poll mode, git sources, and SIGKILL mid-batch.

use crate::util::{Server, copy_tree, examples, wait_for};
use std::fs;
use std::path::Path;

fn doc(title: &str, word: &str) -> String {
    format!(
        "# {title}\n\n## Summary\n\nThe {word} cache failed on 2025-01-02.\n\n## Timeline\n\n- 10:00 UTC deploy started\n- 10:05 UTC alert fired\n"
    )
}

/// `coe serve ROOT --watch native` on a fresh index, ready.
fn native_server(root: &Path) -> (tempfile::TempDir, Server) {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&[root.to_str().expect("utf8"), "--watch", "native"], &dir.path().join("idx"), &[]);
    server.wait_ready();
    (dir, server)
}

fn ids(server: &Server, q: &str) -> Vec<String> {
    let v = server.json(&format!("/api/v1/search?per_page=100&q={}", crate::util::urlencode(q)));
    v["hits"].as_array().expect("hits").iter().map(|h| h["id"].as_str().expect("id").to_string()).collect()
}

fn exercise(server: &Server, root: &Path) {
    // Create.
    fs::write(root.join("new-one.md"), doc("Fresh CoE", "quuxalpha")).expect("write");
    wait_for(|| server.total("quuxalpha") == 1, "created file indexed");
    // Edit in place.
    fs::write(root.join("new-one.md"), doc("Fresh CoE", "quuxbeta")).expect("write");
    wait_for(|| server.total("quuxbeta") == 1 && server.total("quuxalpha") == 0, "edit indexed");
    // Atomic save: temp file, then rename over.
    fs::write(root.join(".new-one.md.tmp"), doc("Fresh CoE", "quuxgamma")).expect("write");
    fs::rename(root.join(".new-one.md.tmp"), root.join("new-one.md")).expect("rename");
    wait_for(|| server.total("quuxgamma") == 1 && server.total("quuxbeta") == 0, "atomic save indexed");
    assert_eq!(ids(server, "quuxgamma").len(), 1, "exactly one document after the atomic save");
    // vim-style save: rename to a backup, write a new file, remove the backup.
    fs::rename(root.join("new-one.md"), root.join("new-one.md~")).expect("rename");
    fs::write(root.join("new-one.md"), doc("Fresh CoE", "quuxdelta")).expect("write");
    fs::remove_file(root.join("new-one.md~")).expect("rm");
    wait_for(|| server.total("quuxdelta") == 1 && server.total("quuxgamma") == 0, "vim save indexed");
    // Editor temp files are never indexed.
    fs::write(root.join(".#new-one.md"), doc("Lock", "quuxlock")).expect("write");
    fs::write(root.join("new-one.md.swp"), doc("Swap", "quuxswap")).expect("write");
    // Rename a file.
    fs::rename(root.join("new-one.md"), root.join("renamed.md")).expect("rename");
    wait_for(|| ids(server, "quuxdelta").iter().any(|i| i.ends_with("--renamed")), "rename indexed");
    assert_eq!(ids(server, "quuxdelta").len(), 1);
    // A new directory with files created right away, then renamed as a whole.
    fs::create_dir_all(root.join("team-x/2025")).expect("mkdir");
    for i in 0..5 {
        fs::write(root.join(format!("team-x/2025/coe-{i}.md")), doc(&format!("Dir CoE {i}"), "quuxdir")).expect("write");
    }
    wait_for(|| server.total("quuxdir") == 5, "new directory indexed");
    fs::rename(root.join("team-x"), root.join("team-y")).expect("rename dir");
    wait_for(|| ids(server, "quuxdir").iter().filter(|i| i.contains("--team-y--")).count() == 5, "directory rename indexed");
    assert_eq!(server.total("quuxdir"), 5, "no stale ids after a directory rename");
    // Delete a file and a directory.
    fs::remove_file(root.join("renamed.md")).expect("rm");
    fs::remove_dir_all(root.join("team-y")).expect("rm dir");
    wait_for(|| server.total("quuxdelta") == 0 && server.total("quuxdir") == 0, "deletes indexed");
    assert_eq!(server.total("quuxlock") + server.total("quuxswap"), 0, "temp files never indexed");
}

#[test]
fn native_watcher_follows_every_kind_of_change() {
    let tree = copy_tree(&examples());
    let (_dir, server) = native_server(tree.path());
    assert_eq!(watch_mode(&server), "native");
    exercise(&server, tree.path());
}

/// The watch mode `/readyz` reports once watching has started (it may
/// start just after the server is ready).
fn watch_mode(server: &Server) -> serde_json::Value {
    let mode = || server.json("/readyz")["sources"][0]["watch"].clone();
    wait_for(|| mode() != "starting", "watching started");
    mode()
}

/// A file edited after the first reconcile but before the native watcher is
/// up (held back by a failpoint) sends no event to anyone: the catch-up by
/// change time must find it (an edit in place: no folder changed, so just
/// that file, not a full reconcile).
#[test]
fn change_before_the_watcher_is_up_is_caught_up() {
    let tree = copy_tree(&examples());
    // Older than the catch-up's clock slack, so only the edit counts.
    std::thread::sleep(std::time::Duration::from_millis(3500));
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(
        &[tree.path().to_str().expect("utf8"), "--watch", "native"],
        &dir.path().join("idx"),
        &[("COE_FAILPOINT", "before-watch=sleep:1500")],
    );
    server.wait_ready();
    assert_eq!(server.json("/readyz")["sources"][0]["watch"], "starting");
    let file = fs::read_dir(tree.path())
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "md"))
        .expect("a CoE at the top of the examples");
    fs::write(&file, doc("Edited before watching", "quuxcatchup")).expect("write");
    assert_eq!(watch_mode(&server), "native");
    wait_for(|| server.total("quuxcatchup") == 1, "edit made before the watcher was up indexed");
    assert!(server.log().contains("catching up"), "{}", server.log());
}

#[test]
fn poll_mode_sees_changes_without_events() {
    let tree = copy_tree(&examples());
    let dir = tempfile::tempdir().expect("tempdir");
    let server =
        Server::start(&[tree.path().to_str().expect("utf8"), "--watch", "poll", "--poll-interval", "200ms"], &dir.path().join("idx"), &[]);
    server.wait_ready();
    assert_eq!(watch_mode(&server), "poll");
    exercise(&server, tree.path());
}

#[test]
fn restart_picks_up_changes_made_while_down() {
    let tree = copy_tree(&examples());
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = dir.path().join("idx");
    let n = {
        let server = Server::start(&[tree.path().to_str().expect("utf8")], &idx, &[]);
        server.wait_ready();
        server.json("/api/v1/search")["total"].as_u64().expect("total")
    };
    fs::write(tree.path().join("while-down.md"), doc("Added while down", "quuxdown")).expect("write");
    fs::remove_file(tree.path().join("bgp-route-leak-transit-provider.md")).expect("rm");
    let server = Server::start(&[tree.path().to_str().expect("utf8")], &idx, &[]);
    server.wait_ready();
    assert_eq!(server.total("quuxdown"), 1);
    assert_eq!(server.json("/api/v1/search")["total"].as_u64().expect("total"), n);
    assert!(
        server.json("/api/v1/search?q=transit")["hits"]
            .as_array()
            .expect("h")
            .iter()
            .all(|h| !h["id"].as_str().expect("id").contains("bgp-route-leak"))
    );
}

#[test]
fn a_second_server_on_the_same_index_fails_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = dir.path().join("idx");
    let server = Server::start(&[examples().to_str().expect("utf8")], &idx, &[]);
    server.wait_ready();
    let out = crate::util::coe()
        .args(["serve", examples().to_str().expect("utf8"), "--bind", "127.0.0.1:0", "--index"])
        .arg(&idx)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("locked by another process"), "{}", String::from_utf8_lossy(&out.stderr));
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn git_source_clones_pulls_and_survives_a_bad_remote() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bare = dir.path().join("coes.git");
    let work = dir.path().join("work");
    fs::create_dir_all(&work).expect("mkdir");
    git(dir.path(), &["init", "--quiet", "--bare", "-b", "main", bare.to_str().expect("utf8")]);
    git(&work, &["init", "--quiet", "-b", "main"]);
    fs::write(work.join("first.md"), doc("First from git", "quuxgitone")).expect("write");
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "first"]);
    git(&work, &["remote", "add", "origin", bare.to_str().expect("utf8")]);
    git(&work, &["push", "--quiet", "origin", "main"]);
    let cfg = dir.path().join("coe.toml");
    fs::write(&cfg, format!("[[source]]\nname = \"repo\"\ngit = \"{}\"\nbranch = \"main\"\npull_interval = \"300ms\"\n", bare.display()))
        .expect("cfg");
    let server = Server::start(&["--config", cfg.to_str().expect("utf8")], &dir.path().join("idx"), &[]);
    server.wait_ready();
    wait_for(|| server.total("quuxgitone") == 1, "cloned and indexed");
    fs::write(work.join("second.md"), doc("Second from git", "quuxgittwo")).expect("write");
    git(&work, &["add", "."]);
    git(&work, &["commit", "--quiet", "-m", "second"]);
    git(&work, &["push", "--quiet", "origin", "main"]);
    wait_for(|| server.total("quuxgittwo") == 1, "pulled and indexed");
    // Break the remote: the last good state keeps being served; health shows it.
    fs::rename(&bare, dir.path().join("moved.git")).expect("mv");
    wait_for(|| server.json("/readyz")["sources"][0]["pull_error"].is_string(), "pull error in health");
    assert_eq!(server.total("quuxgitone") + server.total("quuxgittwo"), 2);
}

#[cfg(unix)]
#[test]
fn sigkill_between_prepare_and_commit_loses_nothing_committed() {
    let tree = copy_tree(&examples());
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = dir.path().join("idx");
    let n = {
        let server = Server::start(&[tree.path().to_str().expect("utf8")], &idx, &[]);
        server.wait_ready();
        server.json("/api/v1/search")["total"].as_u64().expect("total")
    };
    // Change files, then start a server that pauses right before committing.
    fs::write(tree.path().join("killed.md"), doc("Killed mid batch", "quuxkill")).expect("write");
    let mut server = Server::start(&[tree.path().to_str().expect("utf8")], &idx, &[("COE_FAILPOINT", "before-commit=pause")]);
    wait_for(|| server.log().contains("serving on"), "started");
    std::thread::sleep(std::time::Duration::from_millis(500));
    server.child.kill().expect("SIGKILL");
    let _ = server.child.wait();
    drop(server);
    let server = Server::start(&[tree.path().to_str().expect("utf8")], &idx, &[]);
    server.wait_ready();
    assert_eq!(server.json("/api/v1/search")["total"].as_u64().expect("total"), n + 1, "converged to the files on disk");
    let all = ids(&server, "");
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(all.len(), unique.len(), "no duplicate ids");
}

#[cfg(unix)]
#[test]
fn sigterm_shuts_down_gracefully() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(&[examples().to_str().expect("utf8")], &dir.path().join("idx"), &[]);
    server.wait_ready();
    let ok = std::process::Command::new("kill").arg("-TERM").arg(server.child.id().to_string()).status().expect("kill").success();
    assert!(ok);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = server.child.try_wait().expect("wait") {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "server did not stop on SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(server.log().contains("indexer stopped"), "the indexer finished its batch and stopped");
}

/// A burst like a `git checkout` of thousands of files converges (queue
/// overflow, if it happens, triggers a full reconcile).
#[test]
fn burst_of_files_converges() {
    let tree = tempfile::tempdir().expect("tree");
    let (_dir, server) = native_server(tree.path());
    for t in 0..20 {
        let sub = tree.path().join(format!("team-{t}/2025"));
        fs::create_dir_all(&sub).expect("mkdir");
        for i in 0..100 {
            fs::write(sub.join(format!("coe-{i}.md")), doc(&format!("Burst {t}-{i}"), "quuxburst")).expect("write");
        }
    }
    wait_for(|| server.json("/api/v1/search?q=quuxburst&per_page=1")["total"].as_u64() == Some(2000), "2000 files indexed");
    fs::remove_dir_all(tree.path().join("team-3")).expect("rm");
    wait_for(|| server.json("/api/v1/search?q=quuxburst&per_page=1")["total"].as_u64() == Some(1900), "directory delete converges");
}

/// The inotify watch limit (fs.inotify.max_user_watches) reached: the source
/// is polled instead, `/readyz` says so (degraded), and changes still arrive.
#[test]
fn watch_limit_falls_back_to_polling() {
    let tree = copy_tree(&examples());
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(
        &[tree.path().to_str().expect("utf8"), "--watch", "native", "--poll-interval", "200ms"],
        &dir.path().join("idx"),
        &[("COE_FAILPOINT", "native-watch=error:1")],
    );
    server.wait_ready();
    assert_eq!(watch_mode(&server), "poll");
    let ready = server.json("/readyz");
    assert!(ready["sources"][0]["watch_note"].as_str().is_some_and(|n| n.contains("watch")), "{ready}");
    assert_eq!(ready["degraded"], true);
    fs::write(tree.path().join("after-limit.md"), doc("After the limit", "quuxlimit")).expect("write");
    wait_for(|| server.total("quuxlimit") == 1, "polled change indexed");
}

/// A real inotify queue overflow: the server is stopped (SIGSTOP) while far
/// more events happen than the kernel queues (fs.inotify.max_queued_events);
/// on SIGCONT the watcher reads IN_Q_OVERFLOW and must rescan. The periodic
/// reconcile is an hour away, so only the overflow path can converge.
#[test]
fn inotify_queue_overflow_triggers_a_rescan() {
    let max: usize = fs::read_to_string("/proc/sys/fs/inotify/max_queued_events").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(16384);
    // Each new file is at least three events (create, modify, close-write).
    let n = max / 2 + 500;
    let tree = tempfile::tempdir().expect("tree");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("coe.toml");
    fs::write(&config, format!("reconcile_interval = \"1h\"\n\n[[source]]\npath = {:?}\nwatch = \"native\"\n", tree.path()))
        .expect("config");
    let server = Server::start(&["--config", config.to_str().expect("utf8")], &dir.path().join("idx"), &[]);
    server.wait_ready();
    // The folder first (a new folder alone makes the watcher rescan), and let
    // its event pass, so only the overflow can explain a rescan later.
    let sub = tree.path().join("flood");
    fs::create_dir_all(&sub).expect("mkdir");
    fs::write(sub.join("first.md"), "# First\n\nquuxfirst\n").expect("write");
    wait_for(|| server.total("quuxfirst") == 1, "the folder is watched");
    let pid = server.child.id().to_string();
    let signal = |sig: &str| assert!(std::process::Command::new("kill").args([sig, &pid]).status().expect("kill").success());
    signal("-STOP");
    for i in 0..n {
        fs::write(sub.join(format!("f-{i}.md")), format!("# Flood {i}\n\nquuxflood item {i}.\n")).expect("write");
    }
    signal("-CONT");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(240);
    while server.json("/api/v1/search?q=quuxflood&per_page=1")["total"].as_u64() != Some(n as u64) {
        assert!(std::time::Instant::now() < deadline, "all {n} files indexed after the overflow");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(server.log().contains("rescan"), "the overflow was seen as one: {}", server.log());
}

/// A writer that appends for a few seconds (a slow copy over a share): once
/// quiet, the index holds the final content, once.
#[test]
fn slow_writer_ends_with_the_final_content() {
    use std::io::Write;
    let tree = tempfile::tempdir().expect("tree");
    let (_dir, server) = native_server(tree.path());
    let path = tree.path().join("slow.md");
    let mut f = fs::File::create(&path).expect("create");
    f.write_all(b"# Slow copy\n\n## Summary\n\nquuxslowstart\n").expect("write");
    for i in 0..15 {
        std::thread::sleep(std::time::Duration::from_millis(200));
        writeln!(f, "\nline {i} of the copy.").expect("append");
    }
    f.write_all(b"\nquuxslowend\n").expect("write");
    drop(f);
    wait_for(|| server.total("quuxslowend") == 1, "final content indexed");
    assert_eq!(server.json("/api/v1/search?q=quuxslowstart")["total"], 1, "one document, not one per write");
    assert_eq!(server.json("/api/v1/search")["total"], 1);
}

/// Files deleted between the event and the read (editors, sync tools): a
/// vanished file is a delete, never an error, and the index ends as the disk.
#[test]
fn files_deleted_between_event_and_read() {
    let tree = tempfile::tempdir().expect("tree");
    let (_dir, server) = native_server(tree.path());
    let flicker = tree.path().join("flicker.md");
    let stays = tree.path().join("stays.md");
    for i in 0..300 {
        fs::write(&flicker, doc(&format!("Flicker {i}"), "quuxflicker")).expect("write");
        fs::write(&stays, doc(&format!("Stays {i}"), "quuxstays")).expect("write");
        fs::remove_file(&flicker).expect("rm");
        if i % 50 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(30));
        }
    }
    wait_for(|| server.json("/api/v1/search?q=quuxstays")["hits"][0]["title"] == "Stays 299", "the last write wins");
    wait_for(|| server.total("quuxflicker") == 0, "the deleted file is gone");
    assert_eq!(server.json("/api/v1/search")["total"], 1);
    assert!(!server.log().contains("panicked"), "{}", server.log());
}
