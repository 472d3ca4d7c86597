//! Hostile input (RELIABILITY.md §6): quadratic and deep Markdown, huge and
//! binary files, symlink loops and links out of a source, unreadable files,
//! hostile queries, oversized requests, spoofed X-Forwarded-For, injected
//! commit failures, and repeated SIGKILLs.

use crate::util::{Server, coe, copy_tree, examples, index_of, wait_for};
use coe_kb::parse::markdown::{render_html, render_safe};
use std::fs;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn timed(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

#[test]
fn pathological_markdown_stays_linear() {
    let vocab = coe_kb::vocab::Vocab::builtin().expect("vocab");
    let parse = |s: &str| {
        let d = coe_kb::parse::parse(
            coe_kb::parse::Input { source: "h", path: "x.md", bytes: s.as_bytes(), defaults: &Default::default() },
            &vocab,
        );
        let _ = render_safe(s);
        d
    };
    for (name, unit) in [("pipes", "|"), ("brackets", "[a]("), ("stars", "*a "), ("backticks", "`"), ("lt", "<a "), ("quote", "> ")] {
        let small = unit.repeat(20_000);
        let big = unit.repeat(40_000);
        let t1 = timed(|| {
            parse(&small);
        });
        let t2 = timed(|| {
            parse(&big);
        });
        // Doubling the input must not much more than double the time (allow noise).
        assert!(t2.as_secs_f64() < t1.as_secs_f64() * 4.0 + 0.05, "{name}: {t1:?} -> {t2:?}");
    }
    // Deep nesting is rendered as escaped text, not fed to the quadratic sanitizer.
    let deep = format!("{}deep\n\n## Summary\n\nok\n", "> ".repeat(50_000));
    let t = timed(|| {
        let d = parse(&deep);
        assert!(d.sections.iter().any(|s| s.kind == "summary"));
    });
    assert!(t < Duration::from_secs(5), "{t:?}");
    let lists = format!("{}x\n", (0..1500).map(|i| format!("{}- ", "  ".repeat(i))).collect::<Vec<_>>().join("\n"));
    let t = timed(|| {
        parse(&lists);
    });
    assert!(t < Duration::from_secs(5), "{t:?}");
}

#[test]
fn xss_corpus_renders_inert() {
    for (input, forbidden) in [
        ("<script>alert(1)</script>", "<script"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ("[a](javascript:alert(1))", "javascript:"),
        ("[a](JaVaScRiPt:alert(1))", "avascript:"),
        ("<a href=\"&#106;avascript:alert(1)\">x</a>", "avascript"),
        ("<a href=\"data:text/html,<script>alert(1)</script>\">x</a>", "data:"),
        ("<svg><set attributeName=href to=javascript:alert(1) /></svg>", "<svg"),
        ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "onerror"),
        ("<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>", "iframe"),
        ("<div style=\"background:url(javascript:alert(1))\">x</div>", "style="),
        ("![x](javascript:alert(1))", "javascript:"),
        ("<a href=\"vbscript:msgbox(1)\">x</a>", "vbscript"),
    ] {
        let html = render_html(input, 0).to_lowercase();
        assert!(!html.contains(forbidden), "{input} -> {html}");
    }
}

#[cfg(unix)]
#[test]
fn files_that_cannot_be_read_are_reported_and_the_rest_indexed() {
    let tree = tempfile::tempdir().expect("tree");
    let root = tree.path();
    fs::write(root.join("good.md"), "# Good\n\n## Summary\n\nRedis fine.\n").expect("write");
    fs::create_dir(root.join("loop")).expect("mkdir");
    std::os::unix::fs::symlink("..", root.join("loop/up")).expect("symlink loop");
    std::os::unix::fs::symlink("/etc", root.join("etc-link")).expect("symlink out");
    std::os::unix::fs::symlink("/etc/hostname", root.join("host.md")).expect("file link out");
    std::os::unix::fs::symlink(root.join("nowhere.md"), root.join("dangling.md")).expect("dangling");
    fs::write(root.join("huge.md"), vec![b'a'; 11 * 1024 * 1024]).expect("huge");
    fs::write(root.join("nul.md"), b"# x\0\0\0binary").expect("nul");
    fs::write(root.join("utf16.md"), {
        let mut v = vec![0xFF, 0xFE];
        for u in "# Wide title\n\n## Summary\n\nKafka.\n".encode_utf16() {
            v.extend_from_slice(&u.to_le_bytes());
        }
        v
    })
    .expect("utf16");
    let (_d, store, report) = index_of("h", root);
    let reasons: Vec<String> = report.skipped.iter().map(|s| format!("{}: {}", s.path, s.reason)).collect();
    let joined = reasons.join("\n");
    assert!(joined.contains("huge.md: too large"), "{joined}");
    assert!(joined.contains("nul.md: binary"), "{joined}");
    assert!(joined.contains("host.md: symlink points outside"), "{joined}");
    assert!(joined.contains("dangling.md: unreadable"), "{joined}");
    assert!(joined.contains("symlink loop"), "{joined}");
    let paths: Vec<String> = store.state("h").expect("state").into_keys().collect();
    assert!(paths.contains(&"good.md".to_string()) && paths.contains(&"utf16.md".to_string()), "{paths:?}");
    assert!(!paths.iter().any(|p| p.starts_with("etc-link")), "nothing outside the source: {paths:?}");
}

#[test]
fn hostile_queries_get_4xx_or_a_quick_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&[examples().to_str().expect("utf8")], &dir.path().join("idx"), &[]);
    server.wait_ready();
    // A 100 KB query line: sent raw (HTTP clients refuse such URLs); refused or answered.
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut raw = std::net::TcpStream::connect(&addr).expect("connect");
    raw.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    raw.write_all(format!("GET /api/v1/search?q={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "a".repeat(100_000)).as_bytes())
        .expect("send");
    let mut head = [0u8; 32];
    let n = raw.read(&mut head).unwrap_or(0);
    let status = String::from_utf8_lossy(&head[..n]);
    assert!(n == 0 || status.contains(" 4"), "100 KB query: {status}");
    let queries = [
        "a".repeat(60_000),
        "term ".repeat(10_000),
        format!("{}x{}", "(".repeat(1000), ")".repeat(1000)),
        "*".into(),
        "/.*/".into(),
        "kafka~2 redis~2 postgres~2".into(),
        "title:*".into(),
        "\u{0}\u{1}\u{2}".into(),
        "[a TO z]".into(),
        "\"unterminated".into(),
        "AND OR NOT".into(),
    ];
    for q in &queries {
        let started = Instant::now();
        let url = format!("{}/api/v1/search?q={}", server.base, crate::util::urlencode(q));
        let r = reqwest::blocking::Client::new().get(url).send().expect("send");
        let status = r.status().as_u16();
        let took = started.elapsed();
        assert!(status == 200 || (400..500).contains(&status), "{:?}: {status}", &q[..q.len().min(40)]);
        assert!(took < Duration::from_secs(2), "{:?} took {took:?}", &q[..q.len().min(40)]);
    }
    // Huge page sizes and deep pages are refused, not attempted.
    assert_eq!(server.get("/api/v1/search?per_page=1000000").0, 400);
    assert_eq!(server.get("/api/v1/search?page=999999").0, 400);
    // The server still answers after all that.
    assert_eq!(server.get("/healthz").0, 200);
}

#[test]
fn oversized_requests_and_slow_headers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&[examples().to_str().expect("utf8")], &dir.path().join("idx"), &[]);
    server.wait_ready();
    let client = reqwest::blocking::Client::new();
    let r = client.post(format!("{}/api/v1/search", server.base)).body(vec![b'x'; 10 * 1024 * 1024]).send();
    if let Ok(r) = r {
        assert!([405, 413].contains(&r.status().as_u16()), "{}", r.status());
    }
    // A client that never finishes its headers does not hold the server up.
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut slow = std::net::TcpStream::connect(&addr).expect("connect");
    slow.write_all(b"GET /api/v1/search HTTP/1.1\r\nHost: x\r\n").expect("partial header");
    let started = std::time::Instant::now();
    assert_eq!(server.get("/healthz").0, 200, "other clients are served meanwhile");
    // Huge headers are refused.
    let mut big = std::net::TcpStream::connect(&addr).expect("connect");
    let _ = big.write_all(format!("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(1024 * 1024)).as_bytes());
    let mut buf = [0u8; 64];
    big.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    let n = big.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(n == 0 || head.contains("431") || head.contains("400"), "{head}");
    // Slowloris: a byte every few seconds never completes the headers, and the
    // server cuts the connection after its header-read timeout.
    slow.set_read_timeout(Some(Duration::from_secs(2))).expect("timeout");
    let limit = coe_kb::server::HEADER_READ_TIMEOUT * 3;
    let closed = loop {
        if started.elapsed() > limit {
            break false;
        }
        let _ = slow.write_all(b"X");
        match slow.read(&mut buf) {
            // End of stream or a 408: either way the server ended it.
            Ok(_) => break true,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
            Err(_) => break true,
        }
    };
    assert!(closed, "a client that trickles its headers is disconnected");
    assert!(started.elapsed() >= coe_kb::server::HEADER_READ_TIMEOUT / 2, "not before the timeout");
}

#[test]
fn rate_limit_per_client_ignores_spoofed_forwarded_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&[examples().to_str().expect("utf8"), "--rate-limit", "20"], &dir.path().join("idx"), &[]);
    let client = reqwest::blocking::Client::new();
    let mut limited = 0;
    for i in 0..200 {
        let r = client
            .get(format!("{}/healthz", server.base))
            .header("X-Forwarded-For", format!("10.0.{}.{}", i / 250, i % 250))
            .send()
            .expect("send");
        if r.status().as_u16() == 429 {
            limited += 1;
            assert!(r.headers().contains_key("retry-after"));
        }
    }
    assert!(limited > 100, "spoofed X-Forwarded-For must not bypass the limit: {limited} of 200 limited");
}

#[test]
fn injected_commit_failure_keeps_serving_and_recovers() {
    let tree = copy_tree(&examples());
    let dir = tempfile::tempdir().expect("tempdir");
    let server = Server::start(&[tree.path().to_str().expect("utf8")], &dir.path().join("idx"), &[("COE_FAILPOINT", "commit=error:2")]);
    // The first two commits fail (the initial index build among them); the
    // writer is recreated and the work retried, so the index still converges.
    wait_for(|| server.get("/readyz").0 == 200 && server.total("dynamodb") > 0, "recovered after injected commit errors");
    fs::write(tree.path().join("after.md"), "# After\n\n## Summary\n\nquuxafter happened.\n").expect("write");
    wait_for(|| server.total("quuxafter") == 1, "indexing continues");
    assert!(server.log().contains("injected I/O error"), "the failure was logged");
}

#[cfg(unix)]
#[test]
fn repeated_sigkill_never_loses_or_duplicates() {
    let runs: usize = std::env::var("COE_KILL_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let tree = copy_tree(&examples());
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = dir.path().join("idx");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for run in 0..runs {
        // Change the tree, then kill the server at a random moment (some runs
        // pause between preparing and finishing a commit, then die there).
        fs::write(tree.path().join(format!("k{}.md", run % 5)), format!("# Kill {run}\n\n## Summary\n\nquuxkill{run}\n")).expect("write");
        if run % 3 == 0 {
            let _ = fs::remove_file(tree.path().join(format!("k{}.md", (run + 2) % 5)));
        }
        let envs: Vec<(&str, &str)> = if run % 2 == 0 { vec![("COE_FAILPOINT", "before-commit=pause")] } else { vec![] };
        let mut s = Server::start(&[tree.path().to_str().expect("utf8")], &idx, &envs);
        std::thread::sleep(Duration::from_millis(next() % 600));
        s.child.kill().expect("SIGKILL");
        let _ = s.child.wait();
    }
    let server = Server::start(&[tree.path().to_str().expect("utf8")], &idx, &[]);
    server.wait_ready();
    // Read the index directly (a reader beside the server's writer): internal CoEs included.
    let store = coe_kb::index::Store::open(&idx).expect("open index");
    let state = store.state(&coe_kb::source::SourceSpec::name_for(tree.path())).expect("state");
    let on_disk: std::collections::BTreeSet<String> = walkdir::WalkDir::new(tree.path())
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(tree.path()).expect("prefix").to_string_lossy().into_owned())
        .collect();
    let indexed: std::collections::BTreeSet<String> = state.keys().cloned().collect();
    assert_eq!(indexed, on_disk, "converged to the files on disk after {runs} kills");
    assert_eq!(store.num_docs() as usize, on_disk.len(), "no duplicate documents after {runs} kills");
    eprintln!("kill test: {runs} runs, 0 lost, 0 duplicated");
}

/// Writes fail (RLIMIT_FSIZE, which is what a full disk or a quota looks like
/// to the indexer: EFBIG instead of ENOSPC): the failed commit is reported in
/// `/readyz`, nothing half-written is served, and reads keep working from the
/// last good commit.
#[test]
fn failing_writes_keep_reads_working() {
    let tree = copy_tree(&examples());
    let dir = tempfile::tempdir().expect("tempdir");
    let idx = dir.path().join("idx");
    let out = coe().args(["index", tree.path().to_str().expect("utf8"), "--index", idx.to_str().expect("utf8")]).output().expect("index");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Text that does not compress away: distinct words in every file.
    for i in 0..400 {
        let words: Vec<String> = (0..300).map(|j| format!("w{i}x{j}")).collect();
        fs::write(tree.path().join(format!("extra-{i}.md")), format!("# Extra {i}\n\n## Summary\n\nquuxdiskfull {}\n", words.join(" ")))
            .expect("write");
    }
    let server = Server::start_with_file_limit(64, &[tree.path().to_str().expect("utf8")], &idx);
    // 503 or 200: either way the body tells what happened.
    let readyz = || serde_json::from_str::<serde_json::Value>(&server.get("/readyz").1).expect("readyz json");
    wait_for(|| readyz()["index"]["last_error"].is_string(), "the failed commit is reported");
    let ready = readyz();
    let error = ready["index"]["last_error"].as_str().unwrap_or_default().to_lowercase();
    // EFBIG surfaces as "File too large" from the commit, or as a killed
    // writer when the indexing thread hit it first; either way it is named.
    assert!(error.contains("too large") || error.contains("writer was killed"), "the failure is named: {ready}");
    // Reads keep working, from the last good commit only.
    let all = server.json("/api/v1/search?per_page=1");
    assert!(all["total"].as_u64().is_some_and(|n| n > 0), "{all}");
    assert_eq!(server.total("quuxdiskfull"), 0);
    let id = all["hits"][0]["id"].as_str().expect("a hit");
    assert_eq!(server.get(&format!("/api/v1/coes/{id}")).0, 200, "a detail page still reads");
}
