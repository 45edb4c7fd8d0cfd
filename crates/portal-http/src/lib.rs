//! portal-http: the HTTP API of DESIGN.md §3 over the domain's use cases (Poem + poem-openapi).
//!
//! Handlers parse, call one use case and map the result; no rule of the domain is written here.
//! Errors are RFC 9457 problem details (`error.rs`, one mapping function); the document is
//! served at `/api/v1/openapi.json`, an interactive page at `/docs`.
#![expect(clippy::result_large_err, reason = "an ApiError carries its whole problem body; error paths are not hot")]

pub mod body;
pub mod client;
pub mod error;
pub mod extract;
pub mod observe;
pub mod page;
mod pages;

/// The client area's pages: each path (poem's `:name` for a parameter) and its methods.
pub use pages::PAGES;
pub mod route_table;
pub mod routes;
pub mod security;
pub mod tags;
pub mod transport;
pub mod wire;

use std::sync::Arc;

use poem::http::{HeaderValue, Method, StatusCode, header};
use poem::{Endpoint, EndpointExt, Response, Route};
use poem_openapi::OpenApiService;
use portal_domain::ports::{PasswordHasher, SessionStore, Store};
use portal_domain::service::Portal;

use crate::route_table::RouteTable;
use crate::routes::{
    AccountsApi, AuthApi, CatalogueApi, ContactsApi, GovernanceApi, HealthApi, InvitesApi, MeApi, MfaApi, OperatorApi,
    SecurityApi, UsersApi,
};
pub use crate::routes::{AlwaysReady, Readiness};
pub use crate::transport::HttpSettings;

/// Where the API lives.
pub const API_PREFIX: &str = "/api/v1";

type Apis<S, H> = (
    HealthApi,
    AuthApi<S, H>,
    MeApi<S, H>,
    AccountsApi<S, H>,
    UsersApi<S, H>,
    InvitesApi<S, H>,
    ContactsApi<S, H>,
    GovernanceApi<S, H>,
    OperatorApi<S, H>,
    SecurityApi<S, H>,
    MfaApi<S, H>,
    CatalogueApi,
);

/// The OpenAPI service: every operation, documented.
pub fn openapi<S, H>(
    portal: Arc<Portal<S, H>>,
    ready: Arc<dyn Readiness>,
    trusted_proxies: Arc<[ipnet::IpNet]>,
) -> OpenApiService<Apis<S, H>, ()>
where
    S: Store + SessionStore + 'static,
    H: PasswordHasher + 'static,
{
    let apis = (
        HealthApi { ready },
        AuthApi { portal: portal.clone(), trusted_proxies: trusted_proxies.clone() },
        MeApi { portal: portal.clone() },
        AccountsApi { portal: portal.clone() },
        UsersApi { portal: portal.clone(), trusted_proxies: trusted_proxies.clone() },
        InvitesApi { portal: portal.clone(), trusted_proxies: trusted_proxies.clone() },
        ContactsApi { portal: portal.clone() },
        GovernanceApi { portal: portal.clone() },
        OperatorApi { portal: portal.clone() },
        SecurityApi {
            portal: portal.clone(),
            trusted_proxies: trusted_proxies.clone(),
            reset_jobs: crate::routes::security::ResetJobs::new(),
        },
        MfaApi { portal, trusted_proxies },
        CatalogueApi,
    );
    OpenApiService::new(apis, "portal", env!("CARGO_PKG_VERSION"))
        .description("Accounts, users, contacts and permissions of a customer portal.")
        .server(API_PREFIX)
}

/// The operations the API serves, from their own metadata (what the router mounts), as route
/// templates under [`API_PREFIX`]: what the document must list, each once.
pub fn served_routes<S, H>() -> RouteTable
where
    S: Store + SessionStore + 'static,
    H: PasswordHasher + 'static,
{
    RouteTable::from_meta(API_PREFIX, &<Apis<S, H> as poem_openapi::OpenApi>::meta())
}

/// The public HTTP application with default settings and a management side nobody reads (for
/// tests that need only the API).
pub fn app<S, H>(portal: Arc<Portal<S, H>>, ready: Arc<dyn Readiness>) -> impl Endpoint<Output = Response>
where
    S: Store + SessionStore + 'static,
    H: PasswordHasher + 'static,
{
    apps(portal, ready, HttpSettings::default()).0
}

/// The two HTTP applications: the public one (the API, its document, the docs page, problem
/// details for every error raised before a handler runs) and the management one (`/metrics`,
/// `/healthz`, `/readyz`), for a listener of its own that the public never reaches.
pub fn apps<S, H>(
    portal: Arc<Portal<S, H>>,
    ready: Arc<dyn Readiness>,
    settings: HttpSettings,
) -> (impl Endpoint<Output = Response>, impl Endpoint<Output = Response>)
where
    S: Store + SessionStore + 'static,
    H: PasswordHasher + 'static,
{
    let trusted: Arc<[ipnet::IpNet]> = Arc::from(settings.trusted_proxies.as_slice());
    let client_area = settings.page_key.map(|key| {
        let pages = pages::Pages {
            portal: portal.clone(),
            trusted_proxies: trusted.clone(),
            secure: settings.secure_cookies,
            reset_jobs: routes::security::ResetJobs::new(),
        };
        Arc::new(pages::routes(pages, key))
    });
    let service = openapi(portal, ready.clone(), trusted);
    let spec = service.spec_endpoint();
    let docs_html = service.swagger_ui_html();
    let docs_csp = Arc::new(transport::docs_csp(&docs_html));
    let mut routes = served_routes::<S, H>();
    routes.add(&format!("{API_PREFIX}/openapi.json"), Method::GET);
    routes.add("/docs/*", Method::GET);
    if client_area.is_some() {
        for (path, methods) in pages::PAGES {
            for method in *methods {
                routes.add(path, method.clone());
            }
        }
        routes.add("/static/*", Method::GET);
    }
    let routes = Arc::new(routes);
    let metrics = Arc::new(observe::Metrics::default());
    let settings = Arc::new(settings);
    let public = {
        let (routes, metrics) = (routes.clone(), metrics.clone());
        let mut route = Route::new()
            .nest(API_PREFIX, service)
            .at(format!("{API_PREFIX}/openapi.json"), spec)
            .nest("/docs", poem::endpoint::make_sync(move |_| poem::web::Html(docs_html.clone())));
        if let Some(client_area) = client_area {
            for (path, _) in pages::PAGES {
                route = route.at(*path, client_area.clone());
            }
            route = route.nest("/static", pages::static_files());
        }
        route
            .after(|result: poem::Result<Response>| async move {
                let response = match result {
                    Ok(response) => response,
                    Err(err) => err.into_response(),
                };
                Ok::<_, poem::Error>(as_problem(response).await)
            })
            .around({
                let routes = routes.clone();
                move |ep, req| transport::guard(ep, settings.clone(), routes.clone(), docs_csp.clone(), req)
            })
            .around(move |ep, req| observe::observe(ep, metrics.clone(), routes.clone(), req))
            .map_to_response()
    };
    let management = observe::management(metrics, ready);
    (public, management)
}

/// Keeps answers that are already problem details; turns the plain-text errors poem itself
/// produces (unparsable bodies, bad parameters, no credentials, unknown routes) into problem
/// details with the same status.
async fn as_problem(response: Response) -> Response {
    let status = response.status();
    let content_type = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    // Problem details stay as they are; so do the pages' own answers, which a person reads.
    let is_final = content_type.starts_with("application/problem+json") || content_type.starts_with("text/html");
    if status.as_u16() < 400 || is_final {
        return response;
    }
    let detail = response.into_body().into_string().await.unwrap_or_default();
    let (_, problem) = error::from_status(status.as_u16(), detail);
    let body = serde_json::json!({
        "type": problem.kind, "title": problem.title, "status": problem.status,
        "detail": problem.detail, "code": problem.code,
    });
    let mut out = Response::builder().status(status).content_type("application/problem+json").body(body.to_string());
    if status == StatusCode::UNAUTHORIZED {
        out.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    out
}
