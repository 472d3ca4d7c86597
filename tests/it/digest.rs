//! The digest: snapshots of its Markdown, HTML and JSON forms over the
//! examples with a pinned clock, Atom feeds parsed back with feed-rs, and
//! webhook delivery against a real local receiver (failures, retries, restart).

use crate::util::{examples, index_of};
use chrono::{DateTime, NaiveDate, Utc};
use coe_kb::digest::{self, DigestConfig, DigestRequest, GroupBy, Scheduler, WebhookConfig, WebhookFormat, WindowBy};
use coe_kb::index::search::Access;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
}

fn request(since: &str, until: &str, by: WindowBy) -> DigestRequest {
    DigestRequest {
        since: at(since),
        until: at(until),
        by,
        group_by: GroupBy::Technology,
        base_url: Some("https://coe.example.com".into()),
        access: Access::Public,
        ..Default::default()
    }
}

#[test]
fn digest_snapshots() {
    let (_d, store, _) = index_of("examples", &examples());
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
    let req = request("2026-10-01T00:00:00Z", "2026-11-27T00:00:00Z", WindowBy::IncidentDate);
    let d = digest::build(&store, &req, today).expect("digest");
    assert!(d.count >= 3, "the examples have CoEs in Oct/Nov 2026");
    assert!(d.groups.iter().flat_map(|g| &g.coes).all(|c| c.url.starts_with("https://coe.example.com/coe/")));
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("digest_markdown", digest::to_markdown(&d));
        insta::assert_snapshot!("digest_html", digest::to_html(&d));
        insta::assert_json_snapshot!("digest_json", d);
    });
    // Internal CoEs are left out without a token.
    let internal_titles = ["ledger", "leaked"];
    for g in &d.groups {
        for c in &g.coes {
            assert!(!internal_titles.iter().any(|t| c.title.to_lowercase().contains(t)), "internal CoE in a public digest: {}", c.title);
        }
    }
}

#[test]
fn empty_window_says_so_and_filters_apply() {
    let (_d, store, _) = index_of("examples", &examples());
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).expect("date");
    let empty =
        digest::build(&store, &request("2020-01-01T00:00:00Z", "2020-01-08T00:00:00Z", WindowBy::IncidentDate), today).expect("digest");
    assert_eq!(empty.count, 0);
    assert!(digest::to_markdown(&empty).contains("No new CoEs this week"));
    // First-seen windows: every example was first seen at the pinned index time.
    let seen = digest::build(&store, &request("2023-11-14T00:00:00Z", "2023-11-15T00:00:00Z", WindowBy::FirstSeen), today).expect("digest");
    assert!(seen.count >= 10, "{}", seen.count);
    let mut kafka = request("2023-11-14T00:00:00Z", "2023-11-15T00:00:00Z", WindowBy::FirstSeen);
    kafka.technology = vec!["Kafka".into()];
    let k = digest::build(&store, &kafka, today).expect("digest");
    assert!(k.count >= 1 && k.count < seen.count);
    assert!(k.groups.iter().flat_map(|g| &g.coes).all(|c| c.technologies.iter().any(|t| t == "Kafka")));
}

#[test]
fn atom_feeds_parse_back() {
    let (_d, store, _) = index_of("examples", &examples());
    let mut req = coe_kb::index::search::SearchRequest { page: 1, per_page: 100, ..Default::default() };
    req.filters.insert("technology".into(), vec!["Kafka".into()]);
    let docs = digest::feed_docs(&store, &req, 50).expect("docs");
    let xml = digest::atom_feed(
        "New CoEs: technology=Kafka",
        "https://coe.example.com/feed.atom?technology=Kafka",
        "https://coe.example.com",
        &docs,
    );
    let feed = feed_rs::parser::parse(xml.as_bytes()).expect("valid Atom");
    assert_eq!(feed.feed_type, feed_rs::model::FeedType::Atom);
    assert!(!feed.entries.is_empty());
    for e in &feed.entries {
        assert!(e.title.as_ref().is_some_and(|t| !t.content.is_empty()));
        assert!(e.links.iter().any(|l| l.href.starts_with("https://coe.example.com/coe/")));
        assert!(e.updated.is_some() && e.summary.is_some());
        assert!(e.categories.iter().any(|c| c.term == "Kafka"));
    }
}

/// A webhook receiver that fails `fail_first` times, then accepts.
async fn receiver(fail_first: usize) -> (String, Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<serde_json::Value>>>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (c, b) = (calls.clone(), bodies.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let (c, b) = (c.clone(), b.clone());
            async move {
                let n = c.fetch_add(1, Ordering::SeqCst);
                if n < fail_first {
                    return axum::http::StatusCode::SERVICE_UNAVAILABLE;
                }
                b.lock().expect("lock").push(v);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), calls, bodies)
}

fn config(url: &str, format: WebhookFormat) -> DigestConfig {
    DigestConfig {
        schedule: "mon 09:00".into(),
        timezone: "Europe/Berlin".into(),
        window: std::time::Duration::from_secs(7 * 24 * 3600),
        base_url: Some("https://coe.example.com".into()),
        group_by: GroupBy::Technology,
        webhook: vec![WebhookConfig { name: Some("team".into()), url: url.into(), format, technology: vec![], team: vec![] }],
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn scheduled_delivery_retries_and_never_repeats() {
    let (dir, store, _) = index_of("examples", &examples());
    let (url, calls, bodies) = receiver(2).await;
    let mut s = Scheduler::new(config(&url, WebhookFormat::Slack), dir.path()).expect("scheduler");
    s.backoff = std::time::Duration::from_millis(10);
    // First start: the current slot becomes the baseline; nothing is sent.
    assert!(s.tick(&store, at("2026-11-24T12:00:00Z")).await.is_empty());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // Before the next Monday 09:00 Berlin (08:00 UTC): nothing due.
    assert!(s.tick(&store, at("2026-11-30T07:59:00Z")).await.is_empty());
    // Due: fails twice, then delivered on the third attempt.
    let d = s.tick(&store, at("2026-11-30T08:00:30Z")).await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].result, Ok(()));
    assert_eq!(d[0].attempts, 3);
    assert_eq!(d[0].slot, at("2026-11-30T08:00:00Z"));
    let body = bodies.lock().expect("lock")[0].clone();
    assert!(body["text"].as_str().expect("slack text").starts_with("*CoE digest"));
    // Same slot again, and after a restart: not sent twice.
    assert!(s.tick(&store, at("2026-11-30T09:00:00Z")).await.is_empty());
    drop(s);
    let mut restarted = Scheduler::new(config(&url, WebhookFormat::Slack), dir.path()).expect("scheduler");
    assert!(restarted.tick(&store, at("2026-11-30T10:00:00Z")).await.is_empty());
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    // A slot missed while down is sent once on the next start.
    let d = restarted.tick(&store, at("2026-12-08T10:00:00Z")).await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].slot, at("2026-12-07T08:00:00Z"));
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_webhook_and_cli_send() {
    let (dir, _store, _) = index_of("examples", &examples());
    let (url, _calls, bodies) = receiver(0).await;
    let out = tokio::task::spawn_blocking({
        let url = url.clone();
        let idx = dir.path().to_path_buf();
        move || {
            crate::util::coe()
                .args([
                    "digest",
                    "--since",
                    "2023-11-14",
                    "--until",
                    "2023-11-15",
                    "--send",
                    "--webhook",
                    &url,
                    "--webhook-format",
                    "json",
                    "--index",
                ])
                .arg(&idx)
                .output()
                .expect("run")
        }
    })
    .await
    .expect("join");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let body = bodies.lock().expect("lock")[0].clone();
    assert!(body["count"].as_u64().expect("count") >= 10);
    assert!(body["groups"].is_array());
}
