//! Liveness and readiness: `/healthz` and `/readyz`, and what the deployment says is ready.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::tags::ApiTags;

/// Liveness or readiness.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HealthResponse {
    /// `ok`.
    #[oai(validator(max_length = 16))]
    pub status: String,
}

/// Whether the service can take traffic (database reachable, schema current), and any gauges
/// the deployment adds to `/metrics`.
pub trait Readiness: Send + Sync {
    /// `Err` says what is not ready.
    fn ready(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>>;

    /// Extra lines in Prometheus text format (the outbox depth, in the server).
    fn gauges(&self) -> Pin<Box<dyn Future<Output = String> + Send + '_>> {
        Box::pin(async { String::new() })
    }
}

/// Always ready: for stores with nothing to reach.
#[derive(Debug, Clone, Copy)]
pub struct AlwaysReady;

impl Readiness for AlwaysReady {
    fn ready(&self) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async { Ok(()) })
    }
}

/// Liveness and readiness.
pub struct HealthApi {
    pub(crate) ready: Arc<dyn Readiness>,
}

impl std::fmt::Debug for HealthApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HealthApi")
    }
}

/// `GET /readyz` answers.
#[derive(Debug, ApiResponse)]
pub enum ReadyResponse {
    /// Ready for traffic.
    #[oai(status = 200)]
    Ready(Json<HealthResponse>),
    /// Not ready (database unreachable or migrations pending).
    #[oai(status = 503)]
    NotReady(Json<HealthResponse>),
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// The process is up.
    #[oai(path = "/healthz", method = "get")]
    async fn healthz(&self) -> Json<HealthResponse> {
        Json(HealthResponse { status: "ok".into() })
    }

    /// The process can serve: the database answers and its schema is current.
    #[oai(path = "/readyz", method = "get")]
    async fn readyz(&self) -> ReadyResponse {
        match self.ready.ready().await {
            Ok(()) => ReadyResponse::Ready(Json(HealthResponse { status: "ok".into() })),
            Err(why) => {
                tracing::warn!(%why, "not ready");
                ReadyResponse::NotReady(Json(HealthResponse { status: "unavailable".into() }))
            }
        }
    }
}
