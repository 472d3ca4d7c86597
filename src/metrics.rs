//! Prometheus metrics of the server (`GET /metrics`): documents, search and
//! commit latency histograms, watcher events, errors.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Every metric, registered once.
pub struct Metrics {
    registry: Registry,
    /// Live documents.
    pub documents: Gauge,
    /// Searches served.
    pub searches: Counter,
    /// Requests answered with an error status.
    pub errors: Counter,
    /// Search latency (seconds).
    pub search_duration: Histogram,
    /// Commit latency (seconds).
    pub commit_duration: Histogram,
    /// Batches committed.
    pub batches: Counter,
    /// Watcher events received.
    pub watcher_events: Counter,
    /// Watcher errors.
    pub watcher_errors: Counter,
    /// Indexing errors.
    pub index_errors: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("coe");
        let m = Metrics {
            documents: Gauge::default(),
            searches: Counter::default(),
            errors: Counter::default(),
            search_duration: Histogram::new(exponential_buckets(0.0001, 2.0, 16)),
            commit_duration: Histogram::new(exponential_buckets(0.001, 2.0, 16)),
            batches: Counter::default(),
            watcher_events: Counter::default(),
            watcher_errors: Counter::default(),
            index_errors: Counter::default(),
            registry: Registry::default(),
        };
        registry.register("documents", "Documents in the index", m.documents.clone());
        registry.register("searches", "Search requests served", m.searches.clone());
        registry.register("http_errors", "Requests answered with an error status", m.errors.clone());
        registry.register("search_duration_seconds", "Search latency", m.search_duration.clone());
        registry.register("commit_duration_seconds", "Index batch latency, commit included", m.commit_duration.clone());
        registry.register("index_batches", "Batches committed", m.batches.clone());
        registry.register("watcher_events", "File-system events received", m.watcher_events.clone());
        registry.register("watcher_errors", "Watcher errors", m.watcher_errors.clone());
        registry.register("index_errors", "Indexing errors", m.index_errors.clone());
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
