//! Requests generated from the OpenAPI document: every operation, with a body and required query
//! parameters that pass the parsers, so tests cover new routes without being edited.

use poem::http::Method;
use serde_json::{Value, json};

use crate::support::PASSWORD;

/// A value for a property, by its name and schema, that passes our parsers: the request must
/// reach the access check rather than fail validation first.
pub fn value_for(name: &str, schema: &Value, doc: &Value) -> Value {
    let schema = resolve(schema, doc);
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        return Value::Object(props.iter().map(|(k, v)| (k.clone(), value_for(k, v, doc))).collect());
    }
    match (name, schema["type"].as_str(), schema["format"].as_str()) {
        (_, _, Some("uuid")) => json!(uuid::Uuid::nil()),
        (_, _, Some("date-time")) => json!("2030-01-01T00:00:00Z"),
        ("email" | "primary_email", _, _) => json!("probe@evil.example"),
        ("password", _, _) => json!(PASSWORD),
        ("permissions", _, _) => json!(["billing.view"]),
        ("categories" | "opted_out", _, _) => json!(["billing"]),
        ("category", _, _) => json!("billing"),
        ("role", _, _) => json!("read-only"),
        ("phone", _, _) => json!("+44 20 7946 0000"),
        ("country", _, _) => json!("GB"),
        ("lines", _, _) => json!(["1 High Street"]),
        ("confirmed" | "removed", _, _) => json!([]),
        (_, Some("boolean"), _) => json!(false),
        (_, Some("integer"), _) => json!(1),
        (_, Some("array"), _) => json!([]),
        _ => json!("Probe"),
    }
}

pub fn resolve<'a>(schema: &'a Value, doc: &'a Value) -> &'a Value {
    // Optional and nullable objects come wrapped in allOf/anyOf/oneOf.
    for wrapper in ["allOf", "anyOf", "oneOf"] {
        if let Some(first) = schema.get(wrapper).and_then(Value::as_array).and_then(|a| a.first()) {
            return resolve(first, doc);
        }
    }
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap_or_default();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

pub struct Operation {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub secured: bool,
    pub operator: bool,
    pub body: Option<Value>,
}

pub fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let security: Vec<String> = op["security"]
                .as_array()
                .map(|s| s.iter().flat_map(|r| r.as_object().unwrap().keys().cloned()).collect())
                .unwrap_or_default();
            // The JSON body, whatever its content-type key says about charset.
            let body = op["requestBody"]["content"]
                .as_object()
                .and_then(|c| c.values().next())
                .map(|media| value_for("", &media["schema"], doc));
            let query: Vec<String> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .map(|p| {
                    let name = p["name"].as_str().unwrap();
                    let value = value_for(name, &p["schema"], doc);
                    format!("{name}={}", value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string()))
                })
                .collect();
            out.push(Operation {
                method: method.to_uppercase().parse().unwrap(),
                path: path.clone(),
                query: if query.is_empty() { String::new() } else { format!("?{}", query.join("&")) },
                secured: !security.is_empty(),
                operator: security.iter().any(|s| s == "OperatorAuth"),
                body,
            });
        }
    }
    out
}
