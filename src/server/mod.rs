//! `coe serve`: the axum application (JSON API under `/api/v1`, the web UI,
//! health and metrics), its security layers, and graceful shutdown.

pub mod api;
pub mod error;
pub mod ratelimit;

use crate::config::Config;
use crate::index::Store;
use crate::metrics::Metrics;
use crate::vocab::Vocab;
use crate::watch::SharedStatus;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tower_http::set_header::SetResponseHeaderLayer;

/// The web UI, embedded from `web/`.
#[derive(rust_embed::Embed)]
#[folder = "web/"]
pub struct Web;

/// The strict Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                       font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The index.
    pub store: Arc<Store>,
    /// Vocabularies.
    pub vocab: Arc<Vocab>,
    /// Ingestion status.
    pub status: SharedStatus,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Bounds concurrent searches.
    pub searches: Arc<Semaphore>,
    /// Team tokens.
    pub tokens: Arc<Vec<(String, String)>>,
    /// Lint settings (findings are part of a CoE's detail).
    pub lint: Arc<crate::lint::LintConfig>,
    /// Today's date, for overdue items (tests pin it).
    pub today: Arc<dyn Fn() -> chrono::NaiveDate + Send + Sync>,
    /// Now, for digest windows (tests pin it).
    pub now: Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>,
    /// Base URL for links in feeds and digests (else taken from the Host header).
    pub base_url: Option<String>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("store", &self.store).finish()
    }
}

impl AppState {
    /// State over an open store.
    pub fn new(store: Arc<Store>, vocab: Arc<Vocab>, status: SharedStatus, metrics: Arc<Metrics>) -> AppState {
        AppState {
            store,
            vocab,
            status,
            metrics,
            searches: Arc::new(Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()) * 2)),
            tokens: Arc::new(Vec::new()),
            lint: Arc::new(crate::lint::LintConfig::default()),
            today: Arc::new(|| chrono::Local::now().date_naive()),
            now: Arc::new(chrono::Utc::now),
            base_url: None,
        }
    }
}

async fn count_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status().is_client_error() || res.status().is_server_error() {
        state.metrics.errors.inc();
    }
    res
}

async fn page(uri: axum::http::Uri) -> Response {
    let _ = uri;
    asset_response("index.html", false)
}

fn asset_response(path: &str, cache: bool) -> Response {
    match Web::get(path) {
        Some(f) => {
            let mime = f.metadata.mimetype().to_string();
            let mut r = Response::new(Body::from(f.data.into_owned()));
            if let Ok(v) = HeaderValue::from_str(&mime) {
                r.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            let cc = if cache { "public, max-age=300" } else { "no-cache" };
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cc));
            r
        }
        None => error::json_error(StatusCode::NOT_FOUND, "not_found", "no such file"),
    }
}

async fn asset(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    if file.contains("..") || file.contains('\\') || file.starts_with('/') {
        return error::json_error(StatusCode::NOT_FOUND, "not_found", "no such file");
    }
    asset_response(&file, true)
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        error::json_error(StatusCode::NOT_FOUND, "not_found", &format!("no such endpoint: {}", uri.path()))
    } else {
        let mut r = asset_response("index.html", false);
        *r.status_mut() = StatusCode::NOT_FOUND;
        r
    }
}

/// The whole application, without rate limiting (see [`router_limited`]).
pub fn router(state: AppState, cors_origins: &[String]) -> Router {
    router_limited(state, cors_origins, None)
}

/// The whole application, with an optional per-client rate limit.
pub fn router_limited(state: AppState, cors_origins: &[String], limiter: Option<ratelimit::RateLimiter>) -> Router {
    let api = Router::new()
        .route("/search", get(api::search))
        .route("/facets", get(api::facets))
        .route("/coes/{id}", get(api::coe))
        .route("/coes/{id}/raw", get(api::raw))
        .route("/coes/{id}/similar", get(api::similar))
        .route("/action-items", get(api::action_items))
        .route("/stats", get(api::stats))
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .route("/digest", get(api::digest))
        .route("/openapi.json", get(api::openapi));
    let mut app = Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(api::healthz))
        .route("/readyz", get(api::readyz))
        .route("/metrics", get(api::metrics))
        .route("/feed.atom", get(api::feed))
        .route("/", get(page))
        .route("/coe/{*id}", get(page))
        .route("/actions", get(page))
        .route("/insights", get(page))
        .route("/week", get(page))
        .route("/assets/{*file}", get(asset))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), count_errors))
        .with_state(state);
    if !cors_origins.is_empty() {
        let origins: Vec<HeaderValue> = cors_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
        app = app.layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(origins)
                .allow_methods([Method::GET])
                .allow_headers([header::AUTHORIZATION, header::ACCEPT]),
        );
    }
    app.layer(tower_http::compression::CompressionLayer::new())
        .layer(middleware::from_fn_with_state(limiter, ratelimit::limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(64 * 1024))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(30)))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
}

/// Resolve when SIGINT or SIGTERM arrives.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// Run `coe serve` with a resolved configuration until a signal arrives.
pub async fn run(config: Config) -> crate::Result<()> {
    let vocab = config.vocab.clone();
    let store = Arc::new(Store::open(&config.index)?);
    let metrics = Arc::new(Metrics::default());
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .map_err(|e| crate::Error::Config(format!("cannot listen on {}: {e}", config.bind)))?;
    let ingest = crate::watch::Ingest::start(
        store.clone(),
        vocab.clone(),
        config.sources.clone(),
        config.debounce,
        config.reconcile_interval,
        metrics.clone(),
    )?;
    let mut state = AppState::new(store, vocab, ingest.status.clone(), metrics);
    state.tokens = Arc::new(config.tokens.clone());
    state.lint = Arc::new(config.lint.clone());
    state.base_url = config.digest.as_ref().and_then(|d| d.base_url.clone());
    if let Some(dc) = config.digest.clone().filter(|d| !d.webhook.is_empty()) {
        let mut scheduler = crate::digest::Scheduler::new(dc, &config.index).map_err(crate::Error::Config)?;
        let store = state.store.clone();
        tokio::spawn(async move {
            loop {
                let deliveries = scheduler.tick(&store, chrono::Utc::now()).await;
                for d in deliveries {
                    if let Err(e) = d.result {
                        tracing::warn!(webhook = %d.webhook, error = %e, "digest not delivered");
                    }
                }
                tokio::time::sleep(Duration::from_secs(60)).await;
            }
        });
    }
    let limiter = (config.rate_limit > 0.0).then(|| ratelimit::RateLimiter::new(config.rate_limit, config.rate_limit * 2.0));
    let app = router_limited(state, &config.cors_origins, limiter);
    let addr = listener.local_addr().map_err(|e| crate::Error::Other(e.to_string()))?;
    tracing::info!(index = %config.index.display(), "serving on http://{addr}/");
    eprintln!("coe-kb is serving on http://{addr}/  (Ctrl-C to stop)");
    serve_connections(listener, app, shutdown_signal()).await;
    tokio::task::spawn_blocking(move || ingest.shutdown()).await.map_err(|e| crate::Error::Other(e.to_string()))?;
    Ok(())
}

/// How long a client may take to send a request's headers. Slow clients
/// (slowloris) are cut off instead of holding a connection open forever.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long open connections get to finish once shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Accept loop: HTTP/1 with a header-read timeout, `TCP_NODELAY` (small JSON
/// answers go out at once instead of waiting on delayed ACKs), the client's
/// address for rate limiting, and a graceful shutdown.
async fn serve_connections(listener: tokio::net::TcpListener, app: Router, shutdown: impl std::future::Future<Output = ()>) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT);
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let svc = tower::ServiceExt::map_request(app.clone(), move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(remote));
            req
        });
        let conn = http.serve_connection(TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(svc));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, client = %remote, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("connections still open after {}s; closing them", SHUTDOWN_GRACE.as_secs());
    }
}
