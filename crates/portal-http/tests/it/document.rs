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
    assert!(committed == crate::support::openapi_yaml(), "docs/openapi.yaml is stale: run `cargo xtask openapi`");
}

/// Every operation the server mounts is in the document exactly once, and the document lists
/// nothing the server does not answer.
#[test]
fn the_document_lists_every_served_operation_once() {
    use portal_testkit::memory::{InsecureHasher, MemoryStore};
    let served = portal_http::served_routes::<MemoryStore, InsecureHasher>();
    let served: std::collections::BTreeSet<(String, String)> = served
        .operations()
        .into_iter()
        .map(|(m, t)| (m.as_str().to_lowercase(), t.trim_start_matches(portal_http::API_PREFIX).to_owned()))
        .collect();
    let yaml = crate::support::openapi_yaml();
    // Path keys are the lines indented by two under `paths:`; a repeated one is a path two
    // groups share, of which a JSON reader keeps only the last.
    let section = yaml.split("\npaths:\n").nth(1).unwrap().split("\ncomponents:").next().unwrap();
    let keys: Vec<&str> = section.lines().filter(|l| l.starts_with("  /")).collect();
    let unique: std::collections::BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!(keys.len(), unique.len(), "a path appears twice in the document");
    let doc: serde_json::Value = serde_json::from_str(
        &portal_http::openapi(
            std::sync::Arc::new(portal_testkit::memory::memory_portal(crate::support::t0()).0),
            std::sync::Arc::new(portal_http::AlwaysReady),
            std::sync::Arc::from([]),
        )
        .spec(),
    )
    .unwrap();
    let documented: std::collections::BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| ops.as_object().unwrap().keys().map(move |m| (m.clone(), path.clone())))
        .collect();
    assert_eq!(documented, served);
}

/// What an operation can answer is documented: 413 and 415 on every body, 429 with
/// `Retry-After`, page sizes with their bounds, and no field is documented that is sent as `null`.
#[tokio::test]
async fn statuses_bounds_and_absent_fields_are_documented_as_sent() {
    let cli = client();
    let doc: serde_json::Value = cli.get("/api/v1/openapi.json").send().await.json().await.value().deserialize();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path} does not document {status}");
                }
            }
            for param in op["parameters"].as_array().into_iter().flatten() {
                if param["name"] == "limit" {
                    assert_eq!(param["schema"]["minimum"], 1.0, "{method} {path}");
                    assert_eq!(param["schema"]["maximum"], 200.0, "{method} {path}");
                }
            }
        }
    }
    // Every string a request body carries has its maxLength (arrays: their items).
    let schemas = &doc["components"]["schemas"];
    let mut checked = 0;
    for ops in doc["paths"].as_object().unwrap().values() {
        for op in ops.as_object().unwrap().values() {
            let content = op["requestBody"]["content"].as_object();
            let Some(reference) = content.into_iter().flatten().find_map(|(_, c)| c["schema"]["$ref"].as_str()) else {
                continue;
            };
            let name = reference.rsplit('/').next().unwrap();
            let mut pending = vec![(name.to_owned(), &schemas[name])];
            while let Some((name, schema)) = pending.pop() {
                for (prop, spec) in schema["properties"].as_object().into_iter().flatten() {
                    let spec = if spec["type"] == "array" { &spec["items"] } else { spec };
                    if let Some(inner) = spec["$ref"].as_str().or(spec["allOf"][0]["$ref"].as_str()) {
                        let inner = inner.rsplit('/').next().unwrap();
                        pending.push((inner.to_owned(), &schemas[inner]));
                    } else if spec["type"] == "string" && spec["format"] != "uuid" {
                        assert!(spec["maxLength"].is_u64(), "{name}.{prop} has no maxLength: {spec}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked >= 30, "only {checked} string fields checked");
    // The answers' bounds are literals (validators take no paths): held to the domain's here.
    use portal_domain::values::{CompanyName, EmailAddress, PersonName, RoleLabel};
    for (schema, prop, max) in [
        ("MeResponse", "name", PersonName::MAX_CHARS),
        ("MeResponse", "email", EmailAddress::MAX_CHARS),
        ("AccountResponse", "display_name", CompanyName::MAX_CHARS),
        ("MemberResponse", "role", RoleLabel::MAX_CHARS),
    ] {
        assert_eq!(schemas[schema]["properties"][prop]["maxLength"], max, "{schema}.{prop}");
    }
    // And every string of every schema, answers included (uuids and times are bounded by their format).
    for (name, schema) in schemas.as_object().unwrap() {
        for (prop, spec) in schema["properties"].as_object().into_iter().flatten() {
            let spec = if spec["type"] == "array" { &spec["items"] } else { spec };
            let bounded_by_format = matches!(spec["format"].as_str(), Some("uuid" | "date-time"));
            if spec["type"] == "string" && !bounded_by_format {
                assert!(spec["maxLength"].is_u64(), "{name}.{prop} has no maxLength: {spec}");
            }
        }
    }
    let limited = doc["paths"]["/auth/login"]["post"]["responses"]["429"]["headers"].as_object().unwrap();
    assert!(limited.keys().any(|h| h.eq_ignore_ascii_case("retry-after")), "{limited:?}");
    assert!(!doc.to_string().contains("\"nullable\""), "the document declares nullable fields: check what is sent");

    // Nothing the API sends holds a null: optional fields are left out.
    let (token, user, account) = crate::support::signup(&cli, "ann@acme.example", "Acme").await;
    let auth = format!("Bearer {token}");
    for path in [
        "/api/v1/me".to_owned(),
        "/api/v1/me/accounts".to_owned(),
        format!("/api/v1/accounts/{account}"),
        format!("/api/v1/accounts/{account}/users"),
        format!("/api/v1/accounts/{account}/users/{user}"),
        format!("/api/v1/accounts/{account}/invites"),
        format!("/api/v1/accounts/{account}/contacts"),
        format!("/api/v1/accounts/{account}/notices"),
        format!("/api/v1/accounts/{account}/audit-events"),
        format!("/api/v1/accounts/{account}/access-review"),
    ] {
        let resp = cli.get(&path).header("Authorization", &auth).send().await;
        resp.assert_status_is_ok();
        let body: serde_json::Value = resp.json().await.value().deserialize();
        assert!(!has_null(&body), "{path} sent a null: {body}");
    }
}

/// Whether `v` holds a null outside an audit entry's `change` (documented as any JSON value: the
/// event as the domain serialises it).
fn has_null(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::Array(items) => items.iter().any(has_null),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k != "change" && has_null(v)),
        _ => false,
    }
}
