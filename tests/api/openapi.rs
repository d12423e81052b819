//! The OpenAPI document tells the truth: every operation documents the
//! statuses its extractors can answer (read from the document itself:
//! bearer security, request bodies, query, path and header parameters), and
//! real requests (no token, each role, the wrong content type, a bad query)
//! answer statuses the document lists for that operation. 405s carry
//! `Allow`.

use std::collections::BTreeSet;

use cipherpool_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// One operation of the document.
struct Op {
    method: Method,
    path: String,
    doc: Value,
    /// The whole document (for `$ref`s).
    root: std::sync::Arc<Value>,
}

impl Op {
    fn name(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn statuses(&self) -> BTreeSet<u16> {
        self.doc["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .map(|k| k.parse().expect("numeric status"))
            .collect()
    }

    fn response(&self, status: u16) -> &Value {
        &self.doc["responses"][status.to_string()]
    }

    fn secured(&self) -> bool {
        self.doc["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()))
    }

    /// Whether only some roles may call it: its 403 is the shared
    /// `Forbidden` response.
    fn role_restricted(&self) -> bool {
        self.response(403)["$ref"] == "#/components/responses/Forbidden"
    }

    fn json_body(&self) -> Option<bool> {
        let body = self.doc.get("requestBody")?;
        body["content"].get("application/json")?;
        Some(body["required"] == true)
    }

    fn params(&self, place: &str) -> Vec<&Value> {
        self.doc["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter(|p| p["in"] == place).collect())
            .unwrap_or_default()
    }

    /// The path with each parameter filled in: ids that do not exist.
    fn url(&self, app: &TestApp, query: &str) -> String {
        let path = self
            .path
            .replace("{id}", "999999999")
            .replace("{part}", "crs");
        format!("{}{path}{query}", app.address)
    }
}

fn operations(doc: &Value) -> Vec<Op> {
    let root = std::sync::Arc::new(doc.clone());
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            ops.push(Op {
                method,
                path: path.clone(),
                doc: op.clone(),
                root: root.clone(),
            });
        }
    }
    ops
}

/// A value of `schema` with only its required members, each the simplest
/// its type allows: a body the JSON extractor takes, so that what answers
/// is the role check or the handler, never the body's shape.
fn instance(doc: &Value, schema: &Value) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().expect("ref name");
        return instance(doc, &doc["components"]["schemas"][name]);
    }
    if let Some(first) = schema["oneOf"].get(0).or(schema["anyOf"].get(0)) {
        return instance(doc, first);
    }
    if let Some(all) = schema["allOf"].as_array() {
        let mut merged = serde_json::Map::new();
        for part in all {
            if let Value::Object(o) = instance(doc, part) {
                merged.extend(o);
            }
        }
        return Value::Object(merged);
    }
    if let Some(first) = schema["enum"].get(0) {
        return first.clone();
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types
            .iter()
            .find(|t| *t != "null")
            .cloned()
            .unwrap_or_default(),
        t => t.clone(),
    };
    match ty.as_str() {
        Some("string") => Value::from("x"),
        Some("integer") => Value::from(schema["minimum"].as_i64().unwrap_or(1)),
        Some("number") => Value::from(1.0),
        Some("boolean") => Value::from(true),
        Some("array") => Value::Array(vec![]),
        _ => {
            let mut o = serde_json::Map::new();
            for name in schema["required"].as_array().into_iter().flatten() {
                let name = name.as_str().expect("property name");
                o.insert(name.into(), instance(doc, &schema["properties"][name]));
            }
            Value::Object(o)
        }
    }
}

/// Sends `op` with a token, a body and a content type; the status and
/// error code.
async fn send(
    app: &TestApp,
    op: &Op,
    token: Option<&str>,
    query: &str,
    content_type: &str,
) -> (u16, String) {
    let mut r = app.client.request(op.method.clone(), op.url(app, query));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(schema) = op.doc["requestBody"]["content"]["application/json"].get("schema") {
        let body = instance(&op.root, schema).to_string();
        r = r.header("content-type", content_type).body(body);
    }
    let resp = r.send().await.expect("request");
    let status = resp.status().as_u16();
    let code = resp
        .json::<Value>()
        .await
        .ok()
        .and_then(|b| b["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_default();
    (status, code)
}

fn assert_documented(op: &Op, what: &str, (status, code): &(u16, String)) {
    assert!(
        op.statuses().contains(status),
        "{}: {what} answered {status} {code}, which the document does not list (it lists {:?})",
        op.name(),
        op.statuses()
    );
}

#[tokio::test]
async fn every_operation_documents_the_statuses_its_extractors_answer() {
    let app = spawn_app().await;
    let resp = app.get("/api/openapi.json", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let doc = body(resp).await;
    assert_eq!(doc["info"]["title"], "Cipherpool API");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let ops = operations(&doc);
    assert!(ops.len() >= 44, "{} operations", ops.len());

    // What the document's own security, bodies and parameters imply.
    for op in &ops {
        let s = op.statuses();
        let name = op.name();
        if op.secured() {
            assert!(s.contains(&401), "{name}: bearer security without 401");
            assert!(s.contains(&403), "{name}: bearer security without 403");
        }
        if let Some(required) = op.json_body() {
            assert!(s.contains(&400), "{name}: JSON body without 400");
            assert!(s.contains(&413), "{name}: JSON body without 413");
            if required {
                assert!(s.contains(&415), "{name}: JSON body without 415");
            }
        }
        if !op.params("query").is_empty() {
            assert!(s.contains(&400), "{name}: query parameters without 400");
        }
        if !op.params("path").is_empty() {
            assert!(s.contains(&404), "{name}: path parameters without 404");
        }
        for h in op.params("header") {
            assert!(s.contains(&400), "{name}: header {} without 400", h["name"]);
            if h["name"] == "Idempotency-Key" {
                assert_eq!(h["schema"]["maxLength"], 255, "{name}");
                assert!(h["schema"]["pattern"].is_string(), "{name}");
            }
        }
        for p in op.params("query") {
            if p["name"] == "limit" {
                assert_eq!(p["schema"]["minimum"], 1, "{name}: limit");
                assert!(p["schema"]["maximum"].is_number(), "{name}: limit");
            }
        }
        for status in s.iter().filter(|s| **s >= 400) {
            let r = op.response(*status);
            let shared = r["$ref"]
                .as_str()
                .is_some_and(|r| r.starts_with("#/components/responses/"));
            let typed = r["content"]["application/json"]["schema"]["$ref"]
                == "#/components/schemas/ErrorBody";
            assert!(shared || typed, "{name}: {status} has no error body: {r}");
        }
    }

    // Real requests answer what the document lists.
    let users = [
        app.user("contributor").await,
        app.user("buyer").await,
        app.admin().await,
    ];
    for op in &ops {
        // Logging out would end the sessions the other probes use.
        let logout = op.path == "/api/auth/logout";
        if op.secured() {
            let answer = send(&app, op, None, "", "application/json").await;
            assert_documented(op, "no token", &answer);
            assert_eq!(answer, (401, "unauthenticated".into()), "{}", op.name());
            let answer = send(&app, op, Some("not-a-session"), "", "application/json").await;
            assert_eq!(answer, (401, "unauthenticated".into()), "{}", op.name());
        }
        let tokens: Vec<Option<&str>> = if op.secured() && !logout {
            users.iter().map(|u| Some(u.token.as_str())).collect()
        } else if op.secured() {
            vec![]
        } else {
            vec![None]
        };
        let mut forbidden = 0;
        let mut answers = Vec::new();
        for token in &tokens {
            let answer = send(&app, op, *token, "", "application/json").await;
            assert_documented(op, "a plain request", &answer);
            if answer == (403, "forbidden".into()) {
                forbidden += 1;
            }
            answers.push(answer);
        }
        if op.secured() && !logout {
            if op.role_restricted() {
                assert!(
                    (1..tokens.len()).contains(&forbidden),
                    "{}: documented as role-restricted, {forbidden} of {} roles refused: {answers:?}",
                    op.name(),
                    tokens.len()
                );
            } else {
                assert_eq!(forbidden, 0, "{}: refuses a role: {answers:?}", op.name());
            }
        }
        if op.json_body() == Some(true) {
            let mut unsupported = 0;
            for token in &tokens {
                let answer = send(&app, op, *token, "", "text/plain").await;
                assert_documented(op, "a text/plain body", &answer);
                if answer.0 == 415 {
                    unsupported += 1;
                }
            }
            assert!(unsupported > 0, "{}: text/plain never 415", op.name());
        }
        let query = op.params("query");
        if !query.is_empty() {
            let bad = if query.iter().any(|p| p["name"] == "limit") {
                "?limit=0"
            } else {
                "?no_such_parameter=1"
            };
            let mut invalid = 0;
            for token in &tokens {
                let answer = send(&app, op, *token, bad, "application/json").await;
                assert_documented(op, bad, &answer);
                if answer == (400, "invalid_query".into()) {
                    invalid += 1;
                }
            }
            assert!(invalid > 0, "{}: {bad} never 400 invalid_query", op.name());
        }
    }
}

#[tokio::test]
async fn method_not_allowed_says_what_is_allowed() {
    let app = spawn_app().await;
    let cases = [
        (Method::TRACE, "/api/campaigns", "GET, POST"),
        (Method::DELETE, "/api/wallet", "GET"),
        (Method::GET, "/api/campaigns/1/contributions", "POST"),
        (Method::PUT, "/api/campaigns/1/contributions", "POST"),
        (Method::PATCH, "/api/reports/7/results.csv", "GET"),
    ];
    for (method, path, allow) in cases {
        let resp = app
            .client
            .request(method.clone(), format!("{}{path}", app.address))
            .send()
            .await
            .expect("request");
        assert_eq!(
            resp.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            resp.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        assert_error(resp, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    }
    // An unknown path is still 404.
    let resp = app
        .client
        .request(Method::TRACE, format!("{}/api/no-such-thing", app.address))
        .send()
        .await
        .expect("request");
    assert!(
        resp.status() == StatusCode::NOT_FOUND || resp.status() == StatusCode::METHOD_NOT_ALLOWED,
        "{}",
        resp.status()
    );
}
