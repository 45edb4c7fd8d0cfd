//! A request id on every log line of a request, and request metrics in Prometheus text format.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use poem::http::HeaderValue;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response};
use tracing::Instrument;

use crate::route_table::RouteTable;
use crate::routes::Readiness;

/// Latency bucket bounds, in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];
/// Past this many (method, route, status) series, new ones are counted as `other`. Routes are
/// templates, so this bounds only odd methods and statuses.
const MAX_SERIES: usize = 500;

#[derive(Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

/// Request counts and latencies by method, route and status.
#[derive(Default)]
pub struct Metrics {
    series: Mutex<HashMap<(String, String, u16), Series>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// A label value as the exposition format requires it: backslash, quote and newline escaped.
fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(['\\', '"', '\n']) {
        return value.into();
    }
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n").into()
}

impl Metrics {
    fn observe(&self, method: &str, route: String, status: u16, seconds: f64) {
        let Ok(mut series) = self.series.lock() else { return };
        let key = if series.len() >= MAX_SERIES && !series.contains_key(&(method.to_owned(), route.clone(), status)) {
            (method.to_owned(), "other".to_owned(), status)
        } else {
            (method.to_owned(), route, status)
        };
        let s = series.entry(key).or_default();
        s.count += 1;
        s.sum += seconds;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                s.buckets[i] += 1;
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let series: Vec<((String, String, u16), Series)> = match self.series.lock() {
            Ok(s) => s.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            Err(_) => Vec::new(),
        };
        let mut sorted = series;
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out = String::from(
            "# HELP portal_http_requests_total Requests served.\n# TYPE portal_http_requests_total counter\n",
        );
        for ((method, route, status), s) in &sorted {
            let (method, route) = (escape(method), escape(route));
            out.push_str(&format!(
                "portal_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}\n",
                s.count
            ));
        }
        out.push_str("# HELP portal_http_request_duration_seconds Time to answer.\n# TYPE portal_http_request_duration_seconds histogram\n");
        for ((method, route, status), s) in &sorted {
            let (method, route) = (escape(method), escape(route));
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{status}\"");
            for (i, bound) in BUCKETS.iter().enumerate() {
                out.push_str(&format!(
                    "portal_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {}\n",
                    s.buckets[i]
                ));
            }
            out.push_str(&format!("portal_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n", s.count));
            out.push_str(&format!("portal_http_request_duration_seconds_sum{{{labels}}} {}\n", s.sum));
            out.push_str(&format!("portal_http_request_duration_seconds_count{{{labels}}} {}\n", s.count));
        }
        out
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn request_id(req: &Request) -> String {
    // Keep a caller's id when it is sane (to follow a request across services), else make one.
    match req.headers().get("x-request-id").and_then(|v| v.to_str().ok()) {
        Some(id) if !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
            id.to_owned()
        }
        _ => format!("{:x}-{:x}", std::process::id(), NEXT_ID.fetch_add(1, Ordering::Relaxed)),
    }
}

/// Wraps an endpoint: a span with the request id around the whole request, one log line when it
/// ends (method, route, status, latency; never a body or a header), metrics, `X-Request-Id` back.
pub async fn observe<E: Endpoint>(
    ep: Arc<E>,
    metrics: Arc<Metrics>,
    routes: Arc<RouteTable>,
    req: Request,
) -> poem::Result<Response> {
    let id = request_id(&req);
    let method = req.method().to_string();
    let route = routes.label(req.uri().path()).to_owned();
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let started = Instant::now();
    let result = ep.call(req).instrument(span.clone()).await;
    let mut response = match result {
        Ok(r) => r.into_response(),
        Err(e) => e.into_response(),
    };
    let seconds = started.elapsed().as_secs_f64();
    let status = response.status().as_u16();
    span.in_scope(|| tracing::info!(status, latency_ms = seconds * 1000.0, "request"));
    metrics.observe(&method, route, status, seconds);
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", value);
    }
    Ok(response)
}

/// The management application: `/metrics`, `/healthz`, `/readyz`, for a listener of its own.
pub fn management(metrics: Arc<Metrics>, ready: Arc<dyn Readiness>) -> impl Endpoint<Output = Response> {
    let probe = ready.clone();
    poem::Route::new()
        .at(
            "/metrics",
            poem::endpoint::make(move |_| {
                let (metrics, ready) = (metrics.clone(), ready.clone());
                async move {
                    let text = metrics.render() + &ready.gauges().await;
                    Response::builder().content_type("text/plain; version=0.0.4").body(text)
                }
            }),
        )
        .at("/healthz", poem::endpoint::make_sync(|_| poem::web::Json(serde_json::json!({"status": "ok"}))))
        .at(
            "/readyz",
            poem::endpoint::make(move |_| {
                let ready = probe.clone();
                async move {
                    match ready.ready().await {
                        Ok(()) => poem::web::Json(serde_json::json!({"status": "ok"})).into_response(),
                        Err(why) => {
                            tracing::warn!(%why, "not ready");
                            let body = poem::web::Json(serde_json::json!({"status": "unavailable"}));
                            (poem::http::StatusCode::SERVICE_UNAVAILABLE, body).into_response()
                        }
                    }
                }
            }),
        )
        .map_to_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::default();
        m.observe("GET", "/x\"}\\\n".into(), 404, 0.001);
        assert!(m.render().contains("route=\"/x\\\"}\\\\\\n\""), "{}", m.render());
    }

    #[test]
    fn metrics_render_counts_and_buckets() {
        let m = Metrics::default();
        m.observe("GET", "/api/v1/healthz".into(), 200, 0.002);
        m.observe("GET", "/api/v1/healthz".into(), 200, 0.2);
        let text = m.render();
        assert!(
            text.contains("portal_http_requests_total{method=\"GET\",route=\"/api/v1/healthz\",status=\"200\"} 2"),
            "{text}"
        );
        assert!(text.contains("le=\"0.0025\"} 1"), "{text}");
        assert!(text.contains("le=\"+Inf\"} 2"), "{text}");
    }
}
