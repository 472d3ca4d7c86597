//! The HTTP API: handler tests through `oneshot`, and one real server on a
//! loopback port.

use crate::util::{Server, examples, index_of};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use coe_kb::metrics::Metrics;
use coe_kb::server::{AppState, router};
use coe_kb::vocab::Vocab;
use http_body_util::BodyExt;
use std::sync::Arc;
use tower::ServiceExt;

fn app() -> (tempfile::TempDir, axum::Router) {
    let (dir, store, _) = index_of("examples", &examples());
    let mut state =
        AppState::new(Arc::new(store), Arc::new(Vocab::builtin().expect("vocab")), Default::default(), Arc::new(Metrics::default()));
    state.today = Arc::new(|| chrono::NaiveDate::from_ymd_opt(2026, 11, 26).expect("date"));
    (dir, router(state, &[]))
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let res = app.clone().oneshot(Request::get(uri).body(Body::empty()).expect("request")).await.expect("response");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.expect("body").to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

async fn json(app: &axum::Router, uri: &str) -> serde_json::Value {
    let (s, _, b) = get(app, uri).await;
    assert_eq!(s, StatusCode::OK, "{uri}: {b}");
    serde_json::from_str(&b).expect("json")
}

#[tokio::test]
async fn search_shape_filters_and_facets() {
    let (_d, app) = app();
    let v = json(&app, "/api/v1/search?q=throttling&per_page=5").await;
    assert!(v["total"].as_u64().expect("total") >= 1);
    for k in ["id", "title", "date", "team", "severity", "technologies", "services", "failure_modes", "snippet", "score"] {
        assert!(v["hits"][0].get(k).is_some(), "hit key {k}");
    }
    for f in ["technology", "service", "team", "severity", "failure_mode", "year"] {
        assert!(v["facets"].get(f).is_some(), "facet {f}");
    }
    // OR within a field, AND across fields.
    let one = json(&app, "/api/v1/search?technology=DynamoDB").await["total"].as_u64().expect("n");
    let either = json(&app, "/api/v1/search?technology=DynamoDB&technology=Redis").await["total"].as_u64().expect("n");
    assert!(either > one);
    let both = json(&app, "/api/v1/search?technology=DynamoDB&severity=SEV1").await;
    assert!(both["hits"].as_array().expect("hits").iter().all(|h| h["severity"] == "SEV1"));
    // An alias works as a filter value.
    let alias = json(&app, "/api/v1/search?technology=postgres").await;
    assert!(alias["total"].as_u64().expect("n") >= 1);
}

#[tokio::test]
async fn errors_are_json_with_the_right_status() {
    let (_d, app) = app();
    let (s, _, b) = get(&app, "/api/v1/search?q=((((").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    let v: serde_json::Value = serde_json::from_str(&b).expect("json");
    assert_eq!(v["error"]["code"], "bad_request");
    assert!(v["error"]["message"].as_str().expect("msg").contains("query"));
    let (s, _, b) = get(&app, "/api/v1/search?techology=x").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b.contains("techology"), "the bad parameter is named: {b}");
    for uri in
        ["/api/v1/search?per_page=100000", "/api/v1/search?page=0", "/api/v1/search?since=yesterday", "/api/v1/action-items?status=maybe"]
    {
        let (s, _, b) = get(&app, uri).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{uri}: {b}");
    }
    let (s, _, b) = get(&app, "/api/v1/coes/no-such-coe").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(b.contains("not_found"));
    let (s, _, _) = get(&app, "/api/v1/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn path_traversal_is_refused_everywhere() {
    let (_d, app) = app();
    for uri in [
        "/api/v1/coes/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/coes/%2e%2e",
        "/api/v1/coes/..%5c..%5cwindows",
        "/api/v1/coes/x%00y/raw",
        "/api/v1/coes/../raw",
        "/assets/..%2F..%2FCargo.toml",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/src/main.rs",
    ] {
        let (s, _, b) = get(&app, uri).await;
        assert!(s == StatusCode::NOT_FOUND || s == StatusCode::BAD_REQUEST, "{uri}: {s} {b}");
        assert!(!b.contains("[package]") && !b.contains("fn main"), "{uri} leaked a file");
    }
}

#[tokio::test]
async fn coe_detail_raw_similar() {
    let (_d, app) = app();
    let hits = json(&app, "/api/v1/search?q=technology:dynamodb").await;
    let id = hits["hits"][0]["id"].as_str().expect("id").to_string();
    let v = json(&app, &format!("/api/v1/coes/{id}")).await;
    assert_eq!(v["id"], id);
    assert!(v["html"].as_str().expect("html").contains("<h2"));
    assert!(v["timeline"].as_array().expect("timeline").len() >= 3);
    assert!(v["action_items"][0].get("overdue").is_some());
    assert!(v.get("lint").is_some());
    // The detail view's first-seen date is the one search results show.
    let seen = v["first_seen"].as_str().expect("first_seen is a date");
    assert!(chrono::DateTime::parse_from_rfc3339(seen).is_ok(), "{seen}");
    assert_eq!(hits["hits"][0]["first_seen"].as_str(), Some(seen));
    let (s, h, raw) = get(&app, &format!("/api/v1/coes/{id}/raw")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h["content-type"].to_str().expect("ct").starts_with("text/markdown"));
    assert!(raw.contains("DynamoDB"));
    let sim = json(&app, &format!("/api/v1/coes/{id}/similar")).await;
    let hits = sim["hits"].as_array().expect("hits");
    assert!(!hits.is_empty() && hits.iter().all(|h| h["id"] != id.as_str()));
    assert!(hits.iter().any(|h| !h["shared_technologies"].as_array().expect("shared").is_empty()));
}

#[tokio::test]
async fn action_items_stats_health_openapi() {
    let (_d, app) = app();
    let open = json(&app, "/api/v1/action-items").await;
    let items = open["items"].as_array().expect("items");
    assert!(!items.is_empty() && items.iter().all(|i| i["status"] == "open" && i["coe"]["id"].is_string()));
    let overdue = json(&app, "/api/v1/action-items?overdue=true").await;
    assert!(overdue["items"].as_array().expect("items").iter().all(|i| i["overdue"] == true));
    let by_team = json(&app, "/api/v1/action-items?status=all&team=payments").await;
    assert!(by_team["items"].as_array().expect("items").iter().all(|i| i["coe"]["team"] == "payments"));
    let stats = json(&app, "/api/v1/stats").await;
    assert!(!stats["per_month"].as_array().expect("months").is_empty());
    assert!(stats["time_to_detect"]["count"].as_u64().expect("count") > 0);
    let (s, _, _) = get(&app, "/healthz").await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, m) = get(&app, "/metrics").await;
    assert_eq!(s, StatusCode::OK);
    assert!(m.contains("coe_documents"));
    let doc = json(&app, "/api/v1/openapi.json").await;
    assert_eq!(doc["openapi"], "3.0.3");
    for e in coe_kb::server::api::ENDPOINTS {
        assert!(doc["paths"].get(e.path).is_some());
        // Every documented endpoint answers (with a real id for the templated ones).
        let id = json(&app, "/api/v1/search?per_page=1").await["hits"][0]["id"].as_str().expect("id").to_string();
        let uri = e.path.replace("{id}", &id);
        let (s, _, b) = get(&app, &uri).await;
        assert!(s == StatusCode::OK || (uri.ends_with("readyz") && s == StatusCode::SERVICE_UNAVAILABLE), "{uri}: {s} {b}");
    }
}

#[tokio::test]
async fn pages_and_security_headers() {
    let (_d, app) = app();
    for uri in ["/", "/coe/anything", "/actions", "/insights", "/week", "/assets/app.js", "/assets/style.css"] {
        let (s, h, _) = get(&app, uri).await;
        assert_eq!(s, StatusCode::OK, "{uri}");
        let csp = h["content-security-policy"].to_str().expect("csp");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
    }
}

#[test]
fn internal_coes_need_a_team_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("coe.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[source]]\nname = \"examples\"\npath = \"{}\"\n\n[[access.token]]\nteam = \"payments\"\ntoken = \"payments-secret-token-123\"\n",
            examples().display()
        ),
    )
    .expect("config");
    let server = Server::start(&["--config", cfg.to_str().expect("utf8")], &dir.path().join("idx"), &[]);
    server.wait_ready();
    let client = reqwest::blocking::Client::new();
    let total = |token: Option<&str>| -> u64 {
        let mut r = client.get(format!("{}/api/v1/search?per_page=100", server.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let v: serde_json::Value = r.send().expect("send").json().expect("json");
        v["total"].as_u64().expect("total")
    };
    let public = total(None);
    let with_token = total(Some("payments-secret-token-123"));
    let wrong = total(Some("payments-secret-token-124"));
    assert!(with_token > public, "internal payments CoEs are visible with the token");
    assert_eq!(wrong, public);
    // The internal document itself is 404 without the token.
    let v: serde_json::Value = client
        .get(format!("{}/api/v1/search?per_page=100", server.base))
        .bearer_auth("payments-secret-token-123")
        .send()
        .expect("send")
        .json()
        .expect("json");
    let public_ids: Vec<String> = server.json("/api/v1/search?per_page=100")["hits"]
        .as_array()
        .expect("h")
        .iter()
        .map(|h| h["id"].as_str().expect("id").to_string())
        .collect();
    let internal = v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("id").to_string())
        .find(|id| !public_ids.contains(id))
        .expect("an internal id");
    assert_eq!(server.get(&format!("/api/v1/coes/{internal}")).0, 404);
    assert_eq!(server.get(&format!("/api/v1/coes/{internal}/raw")).0, 404);
}
