//! Per-client rate limiting: a token bucket per peer IP address. The peer is
//! the TCP peer; `X-Forwarded-For` and similar headers are ignored, so
//! spoofing them does not buy more requests.

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Buckets are forgotten after this long idle.
const IDLE_SECS: f64 = 300.0;
/// Most clients tracked at once.
const MAX_CLIENTS: usize = 100_000;

/// A shared limiter.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    inner: Arc<Mutex<HashMap<IpAddr, (f64, Instant)>>>,
    /// Tokens added per second.
    pub per_second: f64,
    /// Bucket size.
    pub burst: f64,
}

impl RateLimiter {
    /// A limiter allowing `per_second` sustained and `burst` at once per client.
    pub fn new(per_second: f64, burst: f64) -> RateLimiter {
        RateLimiter { inner: Arc::new(Mutex::new(HashMap::new())), per_second, burst }
    }

    /// Take a token for `ip`; false when the client is over its limit.
    pub fn allow(&self, ip: IpAddr) -> bool {
        let Ok(mut map) = self.inner.lock() else { return true };
        let now = Instant::now();
        if map.len() >= MAX_CLIENTS {
            map.retain(|_, (_, t)| now.duration_since(*t).as_secs_f64() < IDLE_SECS);
        }
        let (tokens, last) = map.entry(ip).or_insert((self.burst, now));
        let refill = now.duration_since(*last).as_secs_f64() * self.per_second;
        *tokens = (*tokens + refill).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Middleware: 429 with a JSON error when the peer is over its limit.
pub async fn limit(State(limiter): State<Option<RateLimiter>>, req: Request, next: Next) -> Response {
    if let Some(l) = &limiter {
        let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        if let Some(ip) = peer
            && !l.allow(ip)
        {
            let mut r = super::error::json_error(axum::http::StatusCode::TOO_MANY_REQUESTS, "rate_limited", "too many requests; slow down")
                .into_response();
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("1"));
            return r;
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refills_and_clients_are_separate() {
        let l = RateLimiter::new(10.0, 3.0);
        let a: IpAddr = "127.0.0.1".parse().expect("ip");
        let b: IpAddr = "127.0.0.2".parse().expect("ip");
        assert!(l.allow(a) && l.allow(a) && l.allow(a));
        assert!(!l.allow(a));
        assert!(l.allow(b));
        std::thread::sleep(std::time::Duration::from_millis(120));
        assert!(l.allow(a));
    }
}
