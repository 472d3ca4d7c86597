//! JSON API handlers under `/api/v1`, and the OpenAPI document describing them
//! (built from the same endpoint table the tests check against the router).

use super::AppState;
use super::error::{ApiError, bad};
use crate::error::Error;
use crate::index::search::{Access, ActionQuery, SearchRequest, Sort};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// How long a search may wait for a slot.
const QUEUE_WAIT: Duration = Duration::from_secs(2);
/// How long a search may run.
const SEARCH_TIMEOUT: Duration = Duration::from_secs(10);

/// Which internal CoEs the request may read: from `Authorization: Bearer <token>`
/// (or `?token=` for feed readers), compared in constant time.
pub fn access_of(state: &AppState, headers: &HeaderMap, query_token: Option<&str>) -> Access {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").map(str::trim))
        .or(query_token);
    let Some(presented) = presented else { return Access::Public };
    let mut teams = Vec::new();
    for (team, token) in state.tokens.iter() {
        if bool::from(presented.as_bytes().ct_eq(token.as_bytes())) {
            teams.push(team.clone());
        }
    }
    if teams.is_empty() { Access::Public } else { Access::Teams(teams) }
}

/// Run blocking index work with bounded concurrency and time.
pub async fn blocking<T: Send + 'static>(state: &AppState, f: impl FnOnce() -> crate::Result<T> + Send + 'static) -> Result<T, ApiError> {
    let permit = tokio::time::timeout(QUEUE_WAIT, state.searches.clone().acquire_owned())
        .await
        .map_err(|_| ApiError(Error::Locked("search queue is full; try again".into())))?
        .map_err(|_| ApiError(Error::Other("search pool closed".into())))?;
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        f()
    });
    match tokio::time::timeout(SEARCH_TIMEOUT, task).await {
        Ok(Ok(r)) => r.map_err(ApiError),
        Ok(Err(e)) => Err(ApiError(Error::Other(format!("search task failed: {e}")))),
        Err(_) => Err(ApiError(Error::Locked("search took too long".into()))),
    }
}

/// Query parameters, with repeats.
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Parse a raw query string; reject keys outside `allowed`.
    pub fn parse(raw: Option<String>, allowed: &[&str]) -> Result<Params, ApiError> {
        let raw = raw.unwrap_or_default();
        if raw.len() > 16 * 1024 {
            return Err(bad("query string is longer than 16 KB"));
        }
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        for (k, _) in &pairs {
            if !allowed.contains(&k.as_str()) {
                return Err(bad(format!("unknown parameter `{k}`; expected one of: {}", allowed.join(", "))));
            }
        }
        Ok(Params(pairs))
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.0.iter().filter(|(k, v)| k == key && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string()).collect()
    }

    fn one(&self, key: &str) -> Option<String> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    fn num(&self, key: &str, default: usize, max: usize) -> Result<usize, ApiError> {
        match self.one(key) {
            None => Ok(default),
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n >= 1 && n <= max => Ok(n),
                _ => Err(bad(format!("`{key}` must be a whole number from 1 to {max}"))),
            },
        }
    }

    fn date(&self, key: &str) -> Result<Option<NaiveDate>, ApiError> {
        match self.one(key) {
            None => Ok(None),
            Some(v) => {
                NaiveDate::parse_from_str(&v, "%Y-%m-%d").map(Some).map_err(|_| bad(format!("`{key}` must be a date like 2024-06-13")))
            }
        }
    }

    fn flag(&self, key: &str) -> Result<bool, ApiError> {
        match self.one(key).as_deref() {
            None | Some("false") | Some("0") | Some("no") => Ok(false),
            Some("true") | Some("1") | Some("yes") => Ok(true),
            Some(v) => Err(bad(format!("`{key}` must be true or false, not `{v}`"))),
        }
    }
}

const SEARCH_PARAMS: &[&str] = &[
    "q",
    "technology",
    "service",
    "team",
    "severity",
    "failure_mode",
    "year",
    "since",
    "until",
    "sort",
    "page",
    "per_page",
    "fuzzy",
    "min_completeness",
];

/// Build a search request from query parameters.
pub fn search_request(p: &Params, vocab: &crate::vocab::Vocab, access: Access) -> Result<SearchRequest, ApiError> {
    let mut req = SearchRequest {
        q: p.one("q").unwrap_or_default(),
        since: p.date("since")?,
        until: p.date("until")?,
        page: p.num("page", 1, 1000)?,
        per_page: p.num("per_page", 20, crate::index::search::MAX_PER_PAGE)?,
        fuzzy: p.flag("fuzzy")?,
        access,
        ..Default::default()
    };
    req.sort = match p.one("sort").as_deref() {
        None | Some("relevance") => Sort::Relevance,
        Some("date") | Some("newest") => Sort::Date,
        Some("completeness") => Sort::Completeness,
        Some(s) => return Err(bad(format!("`sort` must be relevance, date or completeness, not `{s}`"))),
    };
    if let Some(m) = p.one("min_completeness") {
        req.min_completeness = Some(m.parse::<u64>().ok().filter(|m| *m <= 100).ok_or_else(|| bad("`min_completeness` must be 0 to 100"))?);
    }
    for (name, _) in crate::index::search::FACETS {
        let mut values = p.all(name);
        if *name == "technology" {
            values = values.into_iter().map(|v| vocab.canonical_technology(&v).map(str::to_string).unwrap_or(v)).collect();
        }
        if !values.is_empty() {
            req.filters.insert(name.to_string(), values);
        }
    }
    Ok(req)
}

/// `GET /api/v1/search`.
pub async fn search(State(state): State<AppState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(raw, SEARCH_PARAMS)?;
    let req = search_request(&p, &state.vocab, access_of(&state, &headers, None))?;
    let started = Instant::now();
    let (store, vocab) = (state.store.clone(), state.vocab.clone());
    let resp = blocking(&state, move || store.search(&req, Some(&vocab))).await?;
    state.metrics.searches.inc();
    state.metrics.search_duration.observe(started.elapsed().as_secs_f64());
    Ok(Json(resp).into_response())
}

/// `GET /api/v1/facets`.
pub async fn facets(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let req = SearchRequest { page: 1, per_page: 1, access: access_of(&state, &headers, None), ..Default::default() };
    let store = state.store.clone();
    let resp = blocking(&state, move || store.search(&req, None)).await?;
    Ok(Json(resp.facets).into_response())
}

/// Ids are `[A-Za-z0-9._-]`; anything else (traversal, NUL, slashes) is not found.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 512
        && !id.contains("..")
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

fn check_id(id: &str) -> Result<(), ApiError> {
    if valid_id(id) { Ok(()) } else { Err(ApiError(Error::NotFound(id.chars().take(80).collect()))) }
}

/// `GET /api/v1/coes/{id}`: the model, a sanitized HTML rendering, lint findings.
pub async fn coe(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, ApiError> {
    check_id(&id)?;
    let access = access_of(&state, &headers, None);
    let (store, vocab, lint) = (state.store.clone(), state.vocab.clone(), state.lint.clone());
    let today = (state.today)();
    let value = blocking(&state, move || {
        let crate::index::search::Detail { doc, raw, first_seen } = store.get(&id, &vocab, &access)?;
        let body = crate::parse::frontmatter::split(&raw).body.to_string();
        let html = crate::parse::markdown::render_safe(&body);
        let findings = crate::lint::lint_doc(&doc, &raw, &lint);
        let first_seen = first_seen.and_then(|s| chrono::DateTime::from_timestamp(s, 0)).map(|d| d.to_rfc3339());
        let mut v = serde_json::to_value(&doc).map_err(|e| Error::Other(e.to_string()))?;
        if let Some(items) = v.get_mut("action_items").and_then(Value::as_array_mut) {
            for (item, a) in items.iter_mut().zip(&doc.action_items) {
                item["overdue"] = json!(crate::index::search::is_overdue(a, today));
            }
        }
        v["html"] = json!(html);
        v["lint"] = json!(findings);
        v["first_seen"] = json!(first_seen);
        v["source_url"] = json!(format!("/api/v1/coes/{}/raw", doc.id));
        Ok(v)
    })
    .await?;
    Ok(Json(value).into_response())
}

/// `GET /api/v1/coes/{id}/raw`: the Markdown as indexed.
pub async fn raw(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<String>) -> Result<Response, ApiError> {
    check_id(&id)?;
    let access = access_of(&state, &headers, None);
    let store = state.store.clone();
    let raw = blocking(&state, move || store.raw(&id, &access)).await?;
    let mut r = raw.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/markdown; charset=utf-8"));
    Ok(r)
}

/// `GET /api/v1/coes/{id}/similar`.
pub async fn similar(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    check_id(&id)?;
    let p = Params::parse(q, &["limit"])?;
    let limit = p.num("limit", 5, 50)?;
    let access = access_of(&state, &headers, None);
    let store = state.store.clone();
    let hits = blocking(&state, move || store.similar(&id, limit, &access)).await?;
    Ok(Json(json!({ "hits": hits })).into_response())
}

/// `GET /api/v1/action-items`.
pub async fn action_items(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(q, &["status", "overdue", "team", "technology"])?;
    let status = p.one("status");
    if let Some(s) = &status
        && !["open", "done", "not-doing", "all"].contains(&s.as_str())
    {
        return Err(bad(format!("`status` must be open, done, not-doing or all, not `{s}`")));
    }
    let aq = ActionQuery {
        status,
        overdue: p.flag("overdue")?,
        team: p.all("team"),
        technology: p
            .all("technology")
            .into_iter()
            .map(|t| state.vocab.canonical_technology(&t).map(str::to_string).unwrap_or(t))
            .collect(),
        access: access_of(&state, &headers, None),
    };
    let today = (state.today)();
    let store = state.store.clone();
    let rows = blocking(&state, move || store.action_items(&aq, today)).await?;
    Ok(Json(json!({ "total": rows.len(), "items": rows })).into_response())
}

fn percentiles(mut v: Vec<i64>) -> Value {
    v.sort_unstable();
    let pick = |p: f64| -> Option<i64> {
        if v.is_empty() {
            return None;
        }
        let idx = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        Some(v[idx])
    };
    json!({ "count": v.len(), "p50": pick(0.5), "p90": pick(0.9), "max": v.last(), "values": v })
}

/// Counts of one month: CoEs, by technology, by failure mode.
type MonthStats = (u64, HashMap<String, u64>, HashMap<String, u64>);
/// CoE count and detect / mitigate / duration minutes.
type Durations = (u64, Vec<i64>, Vec<i64>, Vec<i64>);

/// `GET /api/v1/stats`: CoEs per month by technology and failure mode, and
/// time-to-detect / mitigate / duration percentiles (overall and by technology).
pub async fn stats(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let access = access_of(&state, &headers, None);
    let store = state.store.clone();
    let docs = blocking(&state, move || store.all_docs(&access, None)).await?;
    let mut months: BTreeMap<String, MonthStats> = BTreeMap::new();
    let mut techs: HashMap<String, u64> = HashMap::new();
    let mut modes: HashMap<String, u64> = HashMap::new();
    let (mut ttd, mut ttm, mut dur) = (Vec::new(), Vec::new(), Vec::new());
    let mut by_tech: HashMap<String, Durations> = HashMap::new();
    for (d, _) in &docs {
        if let Some(month) = d.date.as_deref().and_then(|x| x.get(..7)) {
            let e = months.entry(month.to_string()).or_default();
            e.0 += 1;
            for t in &d.technologies {
                *e.1.entry(t.clone()).or_default() += 1;
            }
            for f in &d.failure_modes {
                *e.2.entry(f.clone()).or_default() += 1;
            }
        }
        for t in &d.technologies {
            *techs.entry(t.clone()).or_default() += 1;
            let e = by_tech.entry(t.clone()).or_default();
            e.0 += 1;
            e.1.extend(d.metrics.time_to_detect_min);
            e.2.extend(d.metrics.time_to_mitigate_min);
            e.3.extend(d.metrics.duration_min);
        }
        for f in &d.failure_modes {
            *modes.entry(f.clone()).or_default() += 1;
        }
        ttd.extend(d.metrics.time_to_detect_min);
        ttm.extend(d.metrics.time_to_mitigate_min);
        dur.extend(d.metrics.duration_min);
    }
    let top = |m: HashMap<String, u64>| -> Vec<Value> {
        let mut v: Vec<(String, u64)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.into_iter().take(20).map(|(value, count)| json!({ "value": value, "count": count })).collect()
    };
    let median = |mut v: Vec<i64>| -> Option<i64> {
        v.sort_unstable();
        (!v.is_empty()).then(|| v[(v.len() - 1) / 2])
    };
    let mut by_technology: Vec<(u64, Value)> = by_tech
        .into_iter()
        .map(|(t, (n, a, b, c))| {
            (n, json!({ "technology": t, "count": n, "ttd_p50": median(a), "ttm_p50": median(b), "duration_p50": median(c) }))
        })
        .collect();
    by_technology.sort_by_key(|x| std::cmp::Reverse(x.0));
    let per_month: Vec<Value> =
        months.into_iter().map(|(m, (n, t, f))| json!({ "month": m, "count": n, "by_technology": t, "by_failure_mode": f })).collect();
    Ok(Json(json!({
        "total": docs.len(),
        "per_month": per_month,
        "top_technologies": top(techs),
        "top_failure_modes": top(modes),
        "time_to_detect": percentiles(ttd),
        "time_to_mitigate": percentiles(ttm),
        "duration": percentiles(dur),
        "by_technology": by_technology.into_iter().take(20).map(|(_, v)| v).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// `GET /api/v1/digest`: new CoEs in a window (JSON, or `format=markdown|html|text`).
pub async fn digest(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let p = Params::parse(q, &["since", "until", "technology", "team", "format", "by", "group_by"])?;
    let now = (state.now)();
    let since = crate::digest::parse_since(&p.one("since").unwrap_or_else(|| "7d".into()), now).map_err(bad)?;
    let until = match p.one("until") {
        Some(u) => crate::digest::parse_since(&u, now).map_err(bad)?,
        None => now,
    };
    let by = match p.one("by").as_deref() {
        None | Some("first-seen") => crate::digest::WindowBy::FirstSeen,
        Some("incident-date") => crate::digest::WindowBy::IncidentDate,
        Some(o) => return Err(bad(format!("`by` must be first-seen or incident-date, not `{o}`"))),
    };
    let group_by = match p.one("group_by").as_deref() {
        None | Some("technology") => crate::digest::GroupBy::Technology,
        Some("team") => crate::digest::GroupBy::Team,
        Some(o) => return Err(bad(format!("`group_by` must be technology or team, not `{o}`"))),
    };
    let req = crate::digest::DigestRequest {
        since,
        until,
        technology: p
            .all("technology")
            .into_iter()
            .map(|t| state.vocab.canonical_technology(&t).map(str::to_string).unwrap_or(t))
            .collect(),
        team: p.all("team"),
        by,
        group_by,
        base_url: Some(base_url(&state, &headers)),
        access: access_of(&state, &headers, None),
    };
    let format = p.one("format").unwrap_or_else(|| "json".into());
    let today = (state.today)();
    let store = state.store.clone();
    let d = blocking(&state, move || crate::digest::build(&store, &req, today)).await?;
    let (body, ct) = match format.as_str() {
        "json" => return Ok(Json(d).into_response()),
        "markdown" => (crate::digest::to_markdown(&d), "text/markdown; charset=utf-8"),
        "html" => (crate::digest::to_html(&d), "text/html; charset=utf-8"),
        "text" => (crate::digest::to_text(&d), "text/plain; charset=utf-8"),
        o => return Err(bad(format!("`format` must be json, markdown, html or text, not `{o}`"))),
    };
    let mut r = body.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    Ok(r)
}

fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(b) = &state.base_url {
        return b.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b)));
    format!("http://{}", host.unwrap_or("localhost"))
}

/// `GET /feed.atom`: new CoEs as Atom; any search filter narrows it
/// (`/feed.atom?technology=Kafka&q=lag`). Feed readers may pass `?token=`.
pub async fn feed(State(state): State<AppState>, headers: HeaderMap, RawQuery(q): RawQuery) -> Result<Response, ApiError> {
    let mut allowed: Vec<&str> = SEARCH_PARAMS.to_vec();
    allowed.push("token");
    let p = Params::parse(q, &allowed)?;
    let token = p.one("token");
    let access = access_of(&state, &headers, token.as_deref());
    let req = search_request(&p, &state.vocab, access)?;
    let base = base_url(&state, &headers);
    let mut self_url = format!("{base}/feed.atom");
    let qs: Vec<String> = p.0.iter().filter(|(k, _)| k != "token").map(|(k, v)| format!("{}={}", k, crate::server::api::enc(v))).collect();
    if !qs.is_empty() {
        self_url.push('?');
        self_url.push_str(&qs.join("&"));
    }
    let title = if qs.is_empty() {
        "New CoEs".to_string()
    } else {
        format!("New CoEs: {}", p.0.iter().filter(|(k, _)| k != "token").map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "))
    };
    let store = state.store.clone();
    let docs = blocking(&state, move || crate::digest::feed_docs(&store, &req, 50)).await?;
    let xml = crate::digest::atom_feed(&title, &self_url, &base, &docs);
    let mut r = xml.into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/atom+xml; charset=utf-8"));
    Ok(r)
}

/// Percent-encode a query value.
pub fn enc(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// `GET /readyz`: 200 once every source was reconciled, with per-source detail.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let status = state.status.read().map(|s| s.clone()).unwrap_or_default();
    // Serving, but not as configured: a watcher fell back to polling, or a
    // source (folder, git pull) is failing.
    let degraded = status.sources.iter().any(|s| s.watch_note.is_some() || s.last_error.is_some()) || status.last_error.is_some();
    let body = json!({
        "ready": status.ready,
        "degraded": degraded,
        "index": { "documents": state.store.num_docs(), "dir": state.store.dir.display().to_string(), "last_commit": status.last_commit, "last_error": status.last_error },
        "sources": status.sources,
    });
    let code = if status.ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text.
pub async fn metrics(State(state): State<AppState>) -> Response {
    state.metrics.documents.set(state.store.num_docs() as i64);
    let mut r = state.metrics.render().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    r
}

/// One documented endpoint.
pub struct Endpoint {
    /// Path under the server root.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// Query or path parameters: (name, in, schema type, description).
    pub params: &'static [(&'static str, &'static str, &'static str, &'static str)],
    /// Response media type.
    pub media: &'static str,
}

const FILTER_PARAMS: &[(&str, &str, &str, &str)] = &[
    (
        "q",
        "query",
        "string",
        "Query: words, \"phrases\", field:term (title, summary, root_cause, impact, timeline, five_whys, action_items, lessons, technology, service, team, severity), -exclude, term~",
    ),
    ("technology", "query", "array", "Technology filter; repeat for OR (filters of different fields combine with AND)"),
    ("service", "query", "array", "Service filter; repeat for OR"),
    ("team", "query", "array", "Team filter; repeat for OR"),
    ("severity", "query", "array", "Severity filter (SEV1…); repeat for OR"),
    ("failure_mode", "query", "array", "Failure-mode filter; repeat for OR"),
    ("year", "query", "array", "Year filter; repeat for OR"),
    ("since", "query", "string", "Incidents on or after this date (YYYY-MM-DD)"),
    ("until", "query", "string", "Incidents on or before this date (YYYY-MM-DD)"),
    ("sort", "query", "string", "relevance (default), date or completeness"),
    ("page", "query", "integer", "Page from 1"),
    ("per_page", "query", "integer", "Results per page, 1–100 (default 20)"),
    ("fuzzy", "query", "boolean", "Typo-tolerant matching"),
    ("min_completeness", "query", "integer", "Only CoEs scoring at least this (0–100)"),
];

const ID: &[(&str, &str, &str, &str)] = &[("id", "path", "string", "CoE id")];

/// Every API endpoint, documented.
pub const ENDPOINTS: &[Endpoint] = &[
    Endpoint {
        path: "/api/v1/search",
        summary: "Search CoEs, with facet counts and highlighted snippets",
        params: FILTER_PARAMS,
        media: "application/json",
    },
    Endpoint { path: "/api/v1/facets", summary: "Facet values with counts over all readable CoEs", params: &[], media: "application/json" },
    Endpoint {
        path: "/api/v1/coes/{id}",
        summary: "One CoE: the full model, a sanitized HTML rendering and lint findings",
        params: ID,
        media: "application/json",
    },
    Endpoint { path: "/api/v1/coes/{id}/raw", summary: "The CoE's Markdown as indexed", params: ID, media: "text/markdown" },
    Endpoint {
        path: "/api/v1/coes/{id}/similar",
        summary: "Similar CoEs (more-like-this over the text, boosted by shared technologies and failure modes)",
        params: &[("id", "path", "string", "CoE id"), ("limit", "query", "integer", "How many (1–50, default 5)")],
        media: "application/json",
    },
    Endpoint {
        path: "/api/v1/action-items",
        summary: "Action items across all CoEs, each with its CoE",
        params: &[
            ("status", "query", "string", "open (default), done, not-doing or all"),
            ("overdue", "query", "boolean", "Only open items past their due date"),
            ("team", "query", "array", "Team of the CoE; repeat for OR"),
            ("technology", "query", "array", "Technology of the CoE; repeat for OR"),
        ],
        media: "application/json",
    },
    Endpoint {
        path: "/api/v1/stats",
        summary: "CoEs per month by technology and failure mode; detection and mitigation time percentiles",
        params: &[],
        media: "application/json",
    },
    Endpoint {
        path: "/api/v1/digest",
        summary: "New CoEs in a window (published date, else first seen), grouped, with open and overdue action items",
        params: &[
            ("since", "query", "string", "Window start: a span back from now (7d, 2w, 24h) or a date (default 7d)"),
            ("until", "query", "string", "Window end (default now)"),
            ("technology", "query", "array", "Only CoEs with this technology; repeat for OR"),
            ("team", "query", "array", "Only CoEs of this team; repeat for OR"),
            ("format", "query", "string", "json (default), markdown, html or text"),
            ("by", "query", "string", "first-seen (default) or incident-date"),
            ("group_by", "query", "string", "technology (default) or team"),
        ],
        media: "application/json",
    },
    Endpoint {
        path: "/feed.atom",
        summary: "Atom feed of new CoEs; every search parameter narrows it",
        params: FILTER_PARAMS,
        media: "application/atom+xml",
    },
    Endpoint { path: "/api/v1/healthz", summary: "Liveness", params: &[], media: "application/json" },
    Endpoint {
        path: "/api/v1/readyz",
        summary: "Readiness: index, sources, watcher mode, last reconcile and git pull",
        params: &[],
        media: "application/json",
    },
    Endpoint { path: "/api/v1/metrics", summary: "Prometheus metrics", params: &[], media: "text/plain" },
    Endpoint { path: "/api/v1/openapi.json", summary: "This document", params: &[], media: "application/json" },
];

/// The OpenAPI 3 document, built from [`ENDPOINTS`].
pub fn openapi_doc() -> Value {
    let mut paths = serde_json::Map::new();
    for e in ENDPOINTS {
        let params: Vec<Value> = e
            .params
            .iter()
            .map(|(name, loc, ty, desc)| {
                let schema = if *ty == "array" { json!({ "type": "array", "items": { "type": "string" } }) } else { json!({ "type": ty }) };
                let mut p = json!({ "name": name, "in": loc, "description": desc, "required": *loc == "path", "schema": schema });
                if *ty == "array" {
                    p["style"] = json!("form");
                    p["explode"] = json!(true);
                }
                p
            })
            .collect();
        paths.insert(
            e.path.to_string(),
            json!({ "get": {
                "summary": e.summary,
                "parameters": params,
                "responses": {
                    "200": { "description": "OK", "content": { e.media: {} } },
                    "400": { "description": "Bad request", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                    "404": { "description": "Not found", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
                    "503": { "description": "Busy or not ready", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
                }
            }}),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "coe-kb API", "version": env!("CARGO_PKG_VERSION"), "description": "Search and read Correction-of-Error documents. Internal CoEs need `Authorization: Bearer <team token>`." },
        "paths": paths,
        "components": { "schemas": { "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": { "code": { "type": "string" }, "message": { "type": "string" } } } } } } }
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> Response {
    Json(openapi_doc()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Visibility;

    #[test]
    fn ids_are_checked() {
        assert!(valid_id("examples--payments--2024-06-13-x"));
        for bad in ["", "../etc/passwd", "a/b", "a\\b", "a%2e%2e", "x\0y", ".."] {
            assert!(!valid_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn visibility_defaults_to_public() {
        assert!(Access::Public.allows(Visibility::Public, None));
        assert!(!Access::Public.allows(Visibility::Internal, Some("payments")));
        assert!(Access::Teams(vec!["payments".into()]).allows(Visibility::Internal, Some("Payments")));
    }
}
