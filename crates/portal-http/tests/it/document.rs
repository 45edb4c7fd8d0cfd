//! The OpenAPI document: the whole API registers (schema-name collisions fail here, not at
//! start-up), it is snapshotted, and `docs/openapi.yaml` is kept current.

use poem::http::StatusCode;

use crate::support::client;

#[tokio::test]
async fn the_whole_api_registers_and_serves_its_document() {
    let cli = client();
    let resp = cli.get("/api/v1/openapi.json").send().await;
    resp.assert_status_is_ok();
    let doc: serde_json::Value = resp.json().await.value().deserialize();
    assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.")), Some(true));
    insta::assert_json_snapshot!("openapi", doc);
    cli.get("/docs/").send().await.assert_status(StatusCode::OK);
}

#[test]
fn the_committed_yaml_copy_is_current() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml")).unwrap_or_default();
    assert!(committed == portal_http::openapi_yaml(), "docs/openapi.yaml is stale: run `cargo xtask openapi`");
}
