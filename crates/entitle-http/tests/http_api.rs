//! The HTTP service end to end: a real server on a loopback port over a
//! temporary SQLite database (and PostgreSQL when
//! `ENTITLE_TEST_POSTGRES_URL` is set), driven by a real HTTP client. Every
//! endpoint, every error status, auth and roles, the log after a restart,
//! and every response checked against the OpenAPI document.
#![expect(
    clippy::indexing_slicing,
    clippy::panic,
    clippy::string_slice,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use crate::openapi_check;
use crate::schemathesis;

use entitle_test_support::on_both;
use entitle_test_support::postgres::TestDb;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entitle_http::auth::{Role, TokenFile};
use entitle_http::{RunningServer, ServerOptions};
use entitle_store::{Records, Store};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use openapi_check::Seen;

/// The tokens of each role, by role.
struct Tokens {
    reader: String,
    engineer: String,
    manager: String,
    lr: String,
    revoked_id: String,
    revoked: String,
}

fn make_tokens(path: &Path) -> Tokens {
    let mut file = TokenFile::default();
    let now = chrono::Utc::now();
    let (reader, _) = file.add(Role::Reader, now).unwrap();
    let (engineer, _) = file.add(Role::SupportEngineer, now).unwrap();
    let (manager, _) = file.add(Role::SupportManager, now).unwrap();
    let (lr, _) = file.add(Role::LrTeam, now).unwrap();
    let (revoked, record) = file.add(Role::SupportEngineer, now).unwrap();
    file.save(path).unwrap();
    Tokens {
        reader,
        engineer,
        manager,
        lr,
        revoked_id: record.id,
        revoked,
    }
}

fn options() -> ServerOptions {
    ServerOptions {
        request_timeout: Duration::from_secs(2),
        header_read_timeout: Duration::from_secs(2),
        shutdown_grace: Duration::from_secs(5),
        token_reload_interval: Duration::from_millis(100),
        ..ServerOptions::default()
    }
}

async fn start(db: &str, tokens: &Path) -> RunningServer {
    let store = Store::open(db).await.unwrap();
    crate::support::serve(store, tokens, options()).await
}

/// A client that records every response for the OpenAPI check.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Asserts a problem of `status` and returns it.
    fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(
            self.headers["content-type"], "application/problem+json",
            "{}",
            self.text
        );
        let p = self.json();
        assert_eq!(p["status"], status, "{p}");
        for key in ["type", "title", "detail"] {
            assert!(p[key].is_string(), "{key} missing in {p}");
        }
        assert_eq!(
            p["request_id"].as_str().unwrap(),
            self.headers["x-request-id"].to_str().unwrap()
        );
        p
    }
}

impl Client {
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some((content_type, bytes)) = body {
            if !content_type.is_empty() {
                request = request.header("content-type", content_type);
            }
            request = request.body(bytes);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        assert!(
            headers.contains_key("x-request-id"),
            "no request id on {method} {path}"
        );
        self.seen.lock().unwrap().push(Seen {
            method: method.as_str().to_owned(),
            path: path.split('?').next().unwrap_or("").to_owned(),
            status: status.as_u16(),
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned(),
            body: text.clone(),
        });
        Answer {
            status,
            headers,
            text,
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(Method::GET, path, token, None).await
    }

    async fn post_json(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.send(
            Method::POST,
            path,
            Some(token),
            Some(("application/json", serde_json::to_vec(body).unwrap())),
        )
        .await
    }
}

fn example(policy: &str, index: usize) -> (Value, String) {
    let examples = entitle::examples(policy).unwrap().unwrap();
    let e = &examples[index % examples.len()];
    (named_ticket(policy, e.facts.clone()), e.now.clone())
}

/// `facts` with a `ticket_url` where the policy's outcome may make or
/// re-run a license: such a decision names its ticket (#20).
fn named_ticket(policy: &str, mut facts: Value) -> Value {
    if matches!(policy, "star-self-managed" | "emergency-license-follow-up") {
        facts["ticket_url"] = json!(format!("https://support.example/tickets/{}", unique()));
    }
    facts
}

/// A unique suffix, so runs against a shared PostgreSQL do not collide.
fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}")
}

async fn seed_ticket(db: &str, ticket: &str) {
    let store = Store::open(db).await.unwrap();
    let sample: Records =
        serde_json::from_str(include_str!("../../../examples/data/support.json")).unwrap();
    store.records().put(&sample).await.unwrap();
    let records: Records = serde_json::from_value(json!({
        "tickets": [{
            "id": ticket,
            "url": format!("https://support.example.com/tickets/{ticket}"),
            "requester_email": "admin@customer.example",
            "internal_request": "success"
        }]
    }))
    .unwrap();
    store.records().put(&records).await.unwrap();
    store.close().await;
}

/// Sends raw bytes on a fresh connection and returns what the server
/// answered before closing (bounded by `limit`).
async fn raw(addr: std::net::SocketAddr, bytes: &[u8], limit: Duration) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(limit, stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn suite(db: &str, label: &str) {
    let dir = tempfile::tempdir().unwrap();
    let tokens_path = dir.path().join("tokens.json");
    let tokens = make_tokens(&tokens_path);
    let ticket = format!("T-{}", unique());
    seed_ticket(db, &ticket).await;

    let server = start(db, &tokens_path).await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let client = Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
        base: server.url(),
        seen: seen.clone(),
    };
    let eng = tokens.engineer.as_str();

    // --- public endpoints
    let health = client.get("/healthz", None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    let doc = client.get("/v1/openapi.json", None).await;
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert_eq!(doc["openapi"], "3.1.0");

    // --- the catalog, for any role
    for token in [
        &tokens.reader,
        &tokens.engineer,
        &tokens.manager,
        &tokens.lr,
    ] {
        let list = client.get("/v1/policies", Some(token)).await;
        assert_eq!(list.status, 200, "{}", list.text);
    }
    let list = client
        .get("/v1/policies", Some(&tokens.reader))
        .await
        .json();
    let ids: Vec<&str> = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), entitle::policies::POLICIES.len());
    for id in &ids {
        let structure = client
            .get(&format!("/v1/policies/{id}"), Some(&tokens.reader))
            .await;
        assert_eq!(structure.status, 200);
        assert!(
            !structure.text.contains('\n'),
            "compact, as every endpoint answers"
        );
        assert_eq!(
            structure.json(),
            serde_json::from_str::<Value>(
                &entitle::render(id, entitle::RenderFormat::Json).unwrap()
            )
            .unwrap()
        );
        let mermaid = client
            .get(&format!("/v1/policies/{id}/mermaid"), Some(&tokens.reader))
            .await;
        assert_eq!(mermaid.status, 200);
        assert!(mermaid.text.starts_with("flowchart"), "{}", mermaid.text);
        assert!(
            mermaid.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/plain")
        );
        let schema = client
            .get(&format!("/v1/policies/{id}/schema"), Some(&tokens.reader))
            .await;
        assert_eq!(schema.json(), entitle::schema(id).unwrap());
        let examples = client
            .get(&format!("/v1/policies/{id}/examples"), Some(&tokens.reader))
            .await;
        assert_eq!(examples.status, 200);
        assert!(!examples.json().as_array().unwrap().is_empty());
    }
    for suffix in ["", "/mermaid", "/schema", "/examples"] {
        let p = client
            .get(&format!("/v1/policies/no-such-policy{suffix}"), Some(eng))
            .await
            .problem(404);
        assert_eq!(p["type"], "urn:entitle:problem:unknown-policy");
    }

    // --- a decision, logged before the answer
    let (facts, now) = example("emergency-license-follow-up", 0);
    let decided = client
        .post_json(
            "/v1/decisions/emergency-license-follow-up",
            eng,
            &json!({"facts": facts, "now": now}),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.text);
    let decision = decided.json();
    let expected = entitle::decide_json(
        "emergency-license-follow-up",
        &serde_json::to_vec(&facts).unwrap(),
        now.parse().unwrap(),
        &entitle::config::PolicyConfig::default(),
    )
    .unwrap();
    let mut expected = serde_json::to_value(&expected).unwrap();
    expected["decision_id"] = decision["decision_id"].clone();
    // The answer also lists the actions the decision put in the outbox:
    // unrouted here, so one manual task.
    let actions = decision["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["action"], "generate-license");
    assert_eq!(actions[0]["sink"], "manual");
    assert_eq!(actions[0]["status"], "pending");
    expected["actions"] = decision["actions"].clone();
    assert_eq!(
        decision, expected,
        "same JSON as `entitle decide` plus decision_id and actions"
    );
    refused_changes(&client, &tokens, actions[0]["id"].as_str().unwrap()).await;
    let decision_id = decision["decision_id"].as_str().unwrap().to_owned();
    let request_id = decided.headers["x-request-id"].to_str().unwrap().to_owned();
    // Readable at once, by a reader too.
    let entry = client
        .get(
            &format!("/v1/decisions/{decision_id}"),
            Some(&tokens.reader),
        )
        .await;
    assert_eq!(entry.status, 200, "{}", entry.text);
    let entry = entry.json();
    assert_eq!(entry["outcome"], decision["outcome"]);
    assert_eq!(entry["facts"], facts);
    assert_eq!(entry["role"], "support-engineer");
    assert_eq!(entry["request_id"], request_id.as_str());
    assert_eq!(entry["trace"], decision["trace"]);

    // `now` defaults to the server clock; a client request id is kept.
    let before = chrono::Utc::now();
    let answer = client
        .http
        .post(format!(
            "{}/v1/decisions/emergency-license-follow-up",
            client.base
        ))
        .bearer_auth(eng)
        .header("x-request-id", format!("req-{label}-1"))
        .json(&json!({"facts": named_ticket("emergency-license-follow-up", json!({"internal_request": "none"}))}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["x-request-id"],
        format!("req-{label}-1").as_str()
    );
    let body: Value = answer.json().await.unwrap();
    let decided_at: chrono::DateTime<chrono::Utc> = body["now"].as_str().unwrap().parse().unwrap();
    assert!(decided_at >= before - chrono::Duration::seconds(1));
    let entry = client
        .get(
            &format!("/v1/decisions/{}", body["decision_id"].as_str().unwrap()),
            Some(eng),
        )
        .await
        .json();
    assert_eq!(entry["request_id"], format!("req-{label}-1").as_str());
    // A hostile request id is replaced.
    let answer = client
        .http
        .get(format!("{}/healthz", client.base))
        .header("x-request-id", "a b<script>")
        .send()
        .await
        .unwrap();
    assert_ne!(answer.headers()["x-request-id"], "a b<script>");

    // Every policy decides its examples over HTTP.
    for info in entitle::policies::POLICIES {
        let examples = entitle::examples(info.id).unwrap().unwrap();
        for e in examples {
            let mut facts = named_ticket(info.id, e.facts.clone());
            // The role is the actor: use the token of the example's actor.
            let token = match facts.get("actor").and_then(Value::as_str) {
                Some("support-manager") => &tokens.manager,
                Some("lr-team") => &tokens.lr,
                _ => &tokens.engineer,
            };
            if facts.get("actor").is_some() {
                facts.as_object_mut().unwrap().remove("actor");
            }
            let answer = client
                .post_json(
                    &format!("/v1/decisions/{}", info.id),
                    token,
                    &json!({"facts": facts, "now": e.now}),
                )
                .await;
            assert_eq!(answer.status, 200, "{}: {}", info.id, answer.text);
            assert_eq!(
                answer.json()["outcome"],
                e.outcome,
                "{} {:?}",
                info.id,
                e.path
            );
        }
    }

    // --- the role is the actor
    let (facts, now) = example("star-self-managed", 0);
    assert!(
        facts.get("actor").is_some(),
        "star-self-managed has an actor"
    );
    let mut claimed = facts.clone();
    claimed["actor"] = json!("support-manager");
    let p = client
        .post_json(
            "/v1/decisions/star-self-managed",
            eng,
            &json!({"facts": claimed, "now": now}),
        )
        .await
        .problem(403);
    assert_eq!(p["type"], "urn:entitle:problem:actor-mismatch");
    assert_eq!(p["pointer"], "/facts/actor");
    let mut own = facts.clone();
    own["actor"] = json!("support-engineer");
    let answer = client
        .post_json(
            "/v1/decisions/star-self-managed",
            eng,
            &json!({"facts": own, "now": now}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let mut absent = facts.clone();
    absent.as_object_mut().unwrap().remove("actor");
    let answer = client
        .post_json(
            "/v1/decisions/star-self-managed",
            &tokens.lr,
            &json!({"facts": absent, "now": now}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let id = answer.json()["decision_id"].as_str().unwrap().to_owned();
    let entry = client
        .get(&format!("/v1/decisions/{id}"), Some(eng))
        .await
        .json();
    assert_eq!(entry["facts"]["actor"], "lr-team");
    assert_eq!(entry["role"], "lr-team");

    // --- ticket decisions: facts from the store
    let path = format!("/v1/tickets/{ticket}/decisions/emergency-license-follow-up");
    let empty = client.send(Method::POST, &path, Some(eng), None).await;
    assert_eq!(empty.status, 200, "{}", empty.text);
    let ticket_decision = empty.json();
    assert_eq!(ticket_decision["outcome"], "resend-from-success-record");
    let with_now = client
        .post_json(&path, eng, &json!({"now": "2026-11-21T10:00:00Z"}))
        .await;
    assert_eq!(with_now.status, 200, "{}", with_now.text);
    assert_eq!(with_now.json()["now"], "2026-11-21T10:00:00Z");
    let p = client
        .post_json(
            "/v1/tickets/no-such-ticket/decisions/emergency-license-follow-up",
            eng,
            &json!({}),
        )
        .await
        .problem(404);
    assert_eq!(p["type"], "urn:entitle:problem:unknown-ticket");
    let p = client
        .post_json(
            &format!("/v1/tickets/{ticket}/decisions/nope"),
            eng,
            &json!({}),
        )
        .await
        .problem(404);
    assert_eq!(p["type"], "urn:entitle:problem:unknown-policy");
    let p = client
        .post_json(
            &format!("/v1/tickets/{ticket}/decisions/provision-failure"),
            eng,
            &json!({}),
        )
        .await
        .problem(422);
    assert_eq!(p["type"], "urn:entitle:problem:incomplete-records");
    client
        .post_json(&path, &tokens.reader, &json!({}))
        .await
        .problem(403);
    // A role-sensitive policy on a stored ticket: the caller supplies what no
    // record holds, the server the actor.
    let star = "/v1/tickets/T-1007/decisions/star-self-managed";
    let supplied = json!({"request": "license-extension", "lr_team_available": false});
    let answer = client
        .post_json(
            star,
            &tokens.manager,
            &json!({"facts": supplied, "now": "2026-11-21T10:00:00Z"}),
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let id = answer.json()["decision_id"].as_str().unwrap().to_owned();
    let entry = client
        .get(&format!("/v1/decisions/{id}"), Some(eng))
        .await
        .json();
    assert_eq!(entry["facts"]["actor"], "support-manager");
    assert_eq!(entry["ticket_id"], "T-1007");
    let mut claimed = supplied.clone();
    claimed["actor"] = json!("lr-team");
    client
        .post_json(star, &tokens.manager, &json!({"facts": claimed}))
        .await
        .problem(403);
    let p = client
        .post_json(
            star,
            &tokens.manager,
            &json!({"facts": {"request": "license-extension"}}),
        )
        .await
        .problem(422);
    assert_eq!(p["pointer"], "/facts/lr_team_available", "{p}");

    // --- the log
    let list = client
        .get(
            &format!("/v1/decisions?ticket={ticket}&policy=emergency-license-follow-up"),
            Some(&tokens.reader),
        )
        .await;
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.json();
    let entries = list["decisions"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{list}");
    assert!(entries.iter().all(|e| e["ticket_id"] == ticket.as_str()));
    assert_eq!(
        entries[1]["decision_id"], ticket_decision["decision_id"],
        "newest first"
    );
    let page = client
        .get(&format!("/v1/decisions?ticket={ticket}&limit=1"), Some(eng))
        .await
        .json();
    assert_eq!(page["decisions"].as_array().unwrap().len(), 1);
    let next = page["next_before"].as_str().unwrap();
    let page2 = client
        .get(
            &format!("/v1/decisions?ticket={ticket}&limit=1&before={next}"),
            Some(eng),
        )
        .await
        .json();
    assert_eq!(
        page2["decisions"][0]["decision_id"],
        ticket_decision["decision_id"]
    );
    // Every spelling of the cursor's UUID is the same cursor (#20): upper
    // case gave an empty page, the others restarted from the newest.
    let simple = next.replace('-', "");
    for spelling in [
        next.to_uppercase(),
        simple.clone(),
        format!("%7B{next}%7D"),
        format!("urn:uuid:{next}"),
        simple.to_uppercase(),
    ] {
        let again = client
            .get(
                &format!("/v1/decisions?ticket={ticket}&limit=1&before={spelling}"),
                Some(eng),
            )
            .await
            .json();
        assert_eq!(again["decisions"], page2["decisions"], "{spelling}");
    }
    // Declared JSON but left empty (`curl -H 'Content-Type: application/json'
    // -X POST`): no body, not a parse error.
    let declared = client
        .send(
            Method::POST,
            &format!("/v1/tickets/{ticket}/decisions/emergency-license-follow-up"),
            Some(eng),
            Some(("application/json", Vec::new())),
        )
        .await;
    assert_eq!(declared.status, 200, "{}", declared.text);
    assert_eq!(declared.json()["outcome"], "resend-from-success-record");
    let all = client
        .get("/v1/decisions?policy=star-self-managed", Some(eng))
        .await;
    assert_eq!(all.status, 200);
    assert!(!all.json()["decisions"].as_array().unwrap().is_empty());
    client
        .get("/v1/decisions?policy=nope", Some(eng))
        .await
        .problem(404);
    client
        .get("/v1/decisions?ticket=no-such-ticket", Some(eng))
        .await
        .problem(404);
    client
        .get("/v1/decisions?limit=0", Some(eng))
        .await
        .problem(400);
    client
        .get("/v1/decisions?limit=ten", Some(eng))
        .await
        .problem(400);
    client
        .get("/v1/decisions?colour=red", Some(eng))
        .await
        .problem(400);
    // A cursor that is no id would match nothing and list from the start.
    for path in ["/v1/decisions?before=garbage", "/v1/actions?before=garbage"] {
        let p = client.get(path, Some(eng)).await.problem(400);
        assert_eq!(p["type"], "urn:entitle:problem:bad-query", "{path}");
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains("`before`") && detail.contains("`garbage`"),
            "{detail}"
        );
    }
    let p = client
        .get(
            "/v1/decisions/00000000-0000-0000-0000-000000000000",
            Some(eng),
        )
        .await
        .problem(404);
    assert_eq!(p["type"], "urn:entitle:problem:unknown-decision");

    // --- auth
    for path in [
        "/v1/policies",
        "/v1/decisions",
        &format!("/v1/decisions/{decision_id}"),
    ] {
        let answer = client.get(path, None).await;
        answer.problem(401);
        assert!(
            answer.headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        client.get(path, Some("ent_not-a-token")).await.problem(401);
    }
    let basic = client
        .http
        .get(format!("{}/v1/policies", client.base))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    let no_token = client
        .post_json("/v1/decisions/emergency-license-follow-up", "", &json!({}))
        .await;
    no_token.problem(401);
    let p = client
        .post_json(
            "/v1/decisions/emergency-license-follow-up",
            &tokens.reader,
            &json!({"facts": {"internal_request": "none"}}),
        )
        .await
        .problem(403);
    assert_eq!(p["type"], "urn:entitle:problem:forbidden");
    // Revocation reaches the running server.
    assert_eq!(
        client
            .get("/v1/policies", Some(&tokens.revoked))
            .await
            .status,
        200
    );
    let mut file = TokenFile::load(&tokens_path).unwrap();
    file.revoke(&tokens.revoked_id).unwrap();
    file.save(&tokens_path).unwrap();
    let mut revoked = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if client
            .get("/v1/policies", Some(&tokens.revoked))
            .await
            .status
            == 401
        {
            revoked = true;
            break;
        }
    }
    assert!(revoked, "a revoked token still works");
    assert_eq!(client.get("/v1/policies", Some(eng)).await.status, 200);

    // --- errors
    let decide = "/v1/decisions/emergency-license-follow-up";
    // 400: not JSON.
    let p = client
        .send(
            Method::POST,
            decide,
            Some(eng),
            Some(("application/json", b"{\"facts\": ".to_vec())),
        )
        .await
        .problem(400);
    assert_eq!(p["type"], "urn:entitle:problem:malformed-json");
    client
        .send(
            Method::POST,
            decide,
            Some(eng),
            Some(("application/json", vec![0xff, 0xfe, b'{'])),
        )
        .await
        .problem(400);
    // 404: unknown policy, unknown route.
    client
        .post_json("/v1/decisions/nope", eng, &json!({"facts": {}}))
        .await
        .problem(404);
    let p = client.get("/v2/nothing", Some(eng)).await.problem(404);
    assert_eq!(p["type"], "urn:entitle:problem:not-found");
    // 405: a known path, another method.
    for (method, path) in [
        (Method::DELETE, "/v1/policies"),
        (Method::PUT, decide),
        (Method::GET, "/v1/tickets/T-1/decisions/license-status"),
        (Method::POST, "/healthz"),
    ] {
        let answer = client.send(method, path, Some(eng), None).await;
        let p = answer.problem(405);
        assert_eq!(p["type"], "urn:entitle:problem:method-not-allowed");
        assert!(answer.headers.contains_key("allow"));
    }
    // 413: over 64 KiB.
    let big = json!({"facts": {"internal_request": "none", "pad": "x".repeat(70 * 1024)}});
    client.post_json(decide, eng, &big).await.problem(413);
    // 415: not JSON, or no content type.
    client
        .send(
            Method::POST,
            decide,
            Some(eng),
            Some(("text/plain", b"{\"facts\": {}}".to_vec())),
        )
        .await
        .problem(415);
    client
        .send(
            Method::POST,
            decide,
            Some(eng),
            Some(("", b"{\"facts\": {}}".to_vec())),
        )
        .await
        .problem(415);
    client
        .send(Method::POST, decide, Some(eng), None)
        .await
        .problem(415);
    // 422: facts that do not validate, with the field path.
    let cases: &[(&str, Value, &str, &str)] = &[
        (
            "emergency-license-follow-up",
            json!({"internal_request": "maybe"}),
            "/facts/internal_request",
            "invalid-facts",
        ),
        (
            "emergency-license-follow-up",
            json!({"internal_request": "none", "extra": 1}),
            "/facts/extra",
            "invalid-facts",
        ),
        (
            "emergency-license-follow-up",
            json!({}),
            "/facts/internal_request",
            "invalid-facts",
        ),
        (
            "emergency-license-follow-up",
            json!([1, 2]),
            "/facts",
            "invalid-facts",
        ),
        (
            "license-status",
            json!({"license": {"plan": "premium", "trial": false, "starts_on": "2026-01-01", "expires_on": "2026-13-01", "users": 5}}),
            "/facts/license/expires_on",
            "invalid-facts",
        ),
        (
            "license-status",
            json!({"license": {"plan": "premium", "trial": "no", "starts_on": "2026-01-01", "expires_on": "2026-12-01", "users": 5}}),
            "/facts/license/trial",
            "invalid-facts",
        ),
        (
            "license-status",
            json!({"license": {"plan": "premium", "trial": false, "starts_on": "2026-01-01", "expires_on": "2026-12-01"}}),
            "/facts/license/users",
            "invalid-facts",
        ),
    ];
    for (policy, facts, pointer, kind) in cases {
        let p = client
            .post_json(
                &format!("/v1/decisions/{policy}"),
                eng,
                &json!({"facts": facts, "now": "2026-11-21T10:00:00Z"}),
            )
            .await
            .problem(422);
        assert_eq!(p["pointer"], *pointer, "{p}");
        assert_eq!(p["field"], pointer[1..].replace('/', "."), "{p}");
        assert_eq!(p["type"], format!("urn:entitle:problem:{kind}"), "{p}");
    }
    // 422: the envelope.
    for (body, pointer) in [
        (
            json!({"facts": {"internal_request": "none"}, "now": "yesterday"}),
            "/now",
        ),
        (
            json!({"facts": {"internal_request": "none"}, "now": 5}),
            "/now",
        ),
        (
            json!({"facts": {"internal_request": "none"}, "when": "x"}),
            "/when",
        ),
        (json!({"now": "2026-11-21T10:00:00Z"}), "/facts"),
    ] {
        let p = client.post_json(decide, eng, &body).await.problem(422);
        assert_eq!(p["pointer"], pointer, "{p}");
        assert_eq!(p["type"], "urn:entitle:problem:invalid-body");
    }
    client
        .post_json(decide, eng, &json!([1]))
        .await
        .problem(422);

    // Hostile input: deep nesting, huge numbers, NUL bytes; the server stays up.
    let deep = format!("{{\"facts\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
    let answer = client
        .send(
            Method::POST,
            decide,
            Some(eng),
            Some(("application/json", deep.into_bytes())),
        )
        .await;
    assert!(
        answer.status == 400 || answer.status == 422,
        "{}",
        answer.text
    );
    let answer = client
        .post_json(
            "/v1/decisions/license-status",
            eng,
            &json!({"facts": {"license": {"plan": "premium", "trial": false, "starts_on": "2026-01-01", "expires_on": "2026-12-01", "users": 1e300}}}),
        )
        .await;
    answer.problem(422);
    assert_eq!(client.get("/healthz", None).await.status, 200);

    // 408: a body that never finishes.
    let slow = format!(
        "POST {decide} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {eng}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"facts\":"
    );
    let started = std::time::Instant::now();
    let text = raw(server.addr(), slow.as_bytes(), Duration::from_secs(10)).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("urn:entitle:problem:timeout"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(8));
    // Headers that never finish: the connection is closed, not held.
    let started = std::time::Instant::now();
    let _ = raw(
        server.addr(),
        b"GET /healthz HTTP/1.1\r\nhost: x\r\n",
        Duration::from_secs(10),
    )
    .await;
    assert!(started.elapsed() < Duration::from_secs(8));
    // Garbage instead of HTTP.
    let text = raw(
        server.addr(),
        b"\x00\x01\x02 nonsense\r\n\r\n",
        Duration::from_secs(5),
    )
    .await;
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 400"),
        "{text}"
    );
    assert_eq!(client.get("/healthz", None).await.status, 200);

    // --- graceful shutdown drains a request in flight: a slow body is
    // still answered after shutdown began.
    let addr = server.addr();
    let (sent_tx, sent_rx) = tokio::sync::oneshot::channel::<()>();
    let in_flight = tokio::spawn({
        let eng = eng.to_owned();
        async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let body =
                br#"{"facts": {"internal_request": "success"}, "now": "2026-11-21T10:00:00Z"}"#;
            let head = format!(
                "POST /v1/decisions/emergency-license-follow-up HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {eng}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.write_all(&body[..10]).await.unwrap();
            let _ = sent_tx.send(());
            tokio::time::sleep(Duration::from_millis(700)).await;
            stream.write_all(&body[10..]).await.unwrap();
            let mut out = Vec::new();
            tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out))
                .await
                .unwrap()
                .unwrap();
            String::from_utf8_lossy(&out).into_owned()
        }
    });
    // Shut down once the request is surely being read (headers sent, body
    // half-sent); it must still be answered.
    sent_rx.await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.shutdown().await.unwrap();
    let text = in_flight.await.unwrap();
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let drained_id = text
        .split("\"decision_id\":\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();

    // --- the log after a restart
    let server = start(db, &tokens_path).await;
    let client = Client {
        base: server.url(),
        ..client
    };
    for id in [&decision_id, &drained_id] {
        let entry = client.get(&format!("/v1/decisions/{id}"), Some(eng)).await;
        assert_eq!(entry.status, 200, "{id} after restart: {}", entry.text);
    }
    let entry = client
        .get(&format!("/v1/decisions/{decision_id}"), Some(eng))
        .await
        .json();
    assert_eq!(entry["outcome"], decision["outcome"]);
    assert_eq!(entry["now"], decision["now"]);
    assert_eq!(entry["stable_until"], decision["stable_until"]);
    server.shutdown().await.unwrap();

    // --- the OpenAPI document declares everything the suite saw
    let seen = seen.lock().unwrap().clone();
    let problems = openapi_check::check(&doc, &seen);
    assert!(
        problems.is_empty(),
        "OpenAPI mismatches:\n{}",
        problems.join("\n")
    );
    let statuses: std::collections::BTreeSet<u16> = seen.iter().map(|s| s.status).collect();
    for status in [200, 400, 401, 403, 404, 405, 413, 415, 422] {
        assert!(statuses.contains(&status), "no {status} seen");
    }
    eprintln!(
        "{label}: {} responses checked against the OpenAPI document",
        seen.len()
    );
}

/// Changes to step `action` that are refused, alike on both backends, and
/// leave it pending (#20 item 14): a NUL in a note or a license is a 422
/// naming the member (PostgreSQL refused it with a 500); an array is not
/// the body (serde read `["x"]` as `{"note": "x"}`); JSON cut short is a
/// 400 `malformed-json`, as docs/http.md says (it was a 422).
async fn refused_changes(client: &Client, tokens: &Tokens, action: &str) {
    let post = |change: &str, body: Vec<u8>| {
        let path = format!("/v1/actions/{action}/{change}");
        async move {
            client
                .send(
                    Method::POST,
                    &path,
                    Some(&tokens.manager),
                    Some(("application/json", body)),
                )
                .await
        }
    };
    for (change, body, status, kind, field) in [
        (
            "done",
            json!({"note": "made\u{0}by hand"}),
            422,
            "invalid-body",
            Some("note"),
        ),
        (
            "cancel",
            json!({"note": "\u{0}"}),
            422,
            "invalid-body",
            Some("note"),
        ),
        (
            "done",
            json!({"note": "by hand", "license": "LICENSE\u{0}"}),
            422,
            "invalid-body",
            Some("license"),
        ),
        ("done", json!(["made by hand"]), 422, "invalid-body", None),
        ("cancel", json!(["x"]), 422, "invalid-body", None),
        (
            "done",
            json!({"note": ["x"]}),
            422,
            "invalid-body",
            Some("note"),
        ),
    ] {
        let answer = post(change, serde_json::to_vec(&body).unwrap()).await;
        let p = answer.problem(status);
        assert_eq!(
            p["type"],
            format!("urn:entitle:problem:{kind}"),
            "{body}: {p}"
        );
        match field {
            Some(field) => assert_eq!(p["field"], field, "{body}: {p}"),
            None => assert!(p.get("field").is_none(), "{body}: {p}"),
        }
        assert!(!p["detail"].as_str().unwrap().contains('\0'), "{p}");
    }
    for body in [
        &b"{\"note\": \"by h"[..],
        b"{\"note\": ",
        b"{",
        b"{\"note\": \"x\"} {",
    ] {
        for change in ["done", "cancel", "retry"] {
            let answer = post(change, body.to_vec()).await;
            let p = answer.problem(400);
            assert_eq!(
                p["type"],
                "urn:entitle:problem:malformed-json",
                "{change} {}: {p}",
                String::from_utf8_lossy(body)
            );
        }
    }
    let step = client
        .get(&format!("/v1/actions/{action}"), Some(&tokens.reader))
        .await;
    assert_eq!(step.json()["status"], "pending", "{}", step.text);
}

/// The whole API suite on each back-end (a fresh database each).
async fn whole_suite(db: &TestDb) {
    suite(&db.url, db.backend).await;
}

on_both!(api_suite, whole_suite);

/// Schemathesis, `--checks all` with the document's links, finds nothing
/// (`tests/schemathesis/mod.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_failure() {
    schemathesis::run().await;
}

/// The checker itself finds what it should.
#[test]
fn openapi_checker_catches_mismatches() {
    let doc = entitle_http::openapi::document();
    let seen = |method: &str, path: &str, status: u16, body: &str| Seen {
        method: method.to_owned(),
        path: path.to_owned(),
        status,
        content_type: if status == 200 {
            "application/json".to_owned()
        } else {
            "application/problem+json".to_owned()
        },
        body: body.to_owned(),
    };
    let good = [
        seen(
            "GET",
            "/healthz",
            200,
            r#"{"status":"ok","version":"0.1.0"}"#,
        ),
        seen(
            "DELETE",
            "/healthz",
            405,
            r#"{"type":"x","title":"t","status":405,"detail":"d"}"#,
        ),
    ];
    assert!(openapi_check::check(&doc, &good).is_empty());
    let bad = [
        seen(
            "GET",
            "/healthz",
            200,
            r#"{"status":"fine","version":"0.1.0"}"#,
        ),
        seen("GET", "/healthz", 200, r#"{"status":"ok"}"#),
        seen("GET", "/healthz", 418, r#"{}"#),
        seen("GET", "/v1/nowhere", 200, r#"{}"#),
        seen("GET", "/v1/decisions/x", 200, r#"{"decision_id": 5}"#),
        seen(
            "GET",
            "/v1/policies",
            401,
            r#"{"type":"x","title":"t","status":"401","detail":"d"}"#,
        ),
    ];
    for s in bad {
        let errors = openapi_check::check(&doc, std::slice::from_ref(&s));
        assert!(!errors.is_empty(), "not caught: {s:?}");
    }
}

/// Issue 9: `now` is an exact RFC 3339 instant, and refused facts values are
/// 422s located at their field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_now_and_facts_values() {
    let dir = tempfile::tempdir().unwrap();
    let tokens_path = dir.path().join("tokens.json");
    let tokens = make_tokens(&tokens_path);
    let db = dir.path().join("entitle.db");
    let server = start(db.to_str().unwrap(), &tokens_path).await;
    let client = Client {
        http: reqwest::Client::new(),
        base: server.url(),
        seen: Arc::new(Mutex::new(Vec::new())),
    };
    let eng = tokens.engineer.as_str();
    let follow_up = "/v1/decisions/emergency-license-follow-up";
    for (now, words) in [
        ("2026-11-21T23:59:60Z", "leap second"),
        (
            "2026-11-21T10:00:00.1234567891Z",
            "more than 9 fractional digits",
        ),
    ] {
        let p = client
            .post_json(
                follow_up,
                eng,
                &json!({"facts": {"internal_request": "none"}, "now": now}),
            )
            .await
            .problem(422);
        assert_eq!(p["type"], "urn:entitle:problem:invalid-body", "{p}");
        assert_eq!(p["pointer"], "/now", "{p}");
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("`{now}`")), "{p}");
        assert!(detail.contains(words), "{p}");
    }
    let ok = client
        .post_json(
            follow_up,
            eng,
            &json!({"facts": {"internal_request": "success"}, "now": "2026-11-21T10:00:00.5Z"}),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json()["now"], "2026-11-21T10:00:00.500Z");

    let license = json!({"plan": "premium", "trial": false, "starts_on": "2026-11-02",
                         "expires_on": "2026-11-01", "users": 5});
    let p = client
        .post_json(
            "/v1/decisions/license-status",
            eng,
            &json!({"facts": {"license": license}, "now": "2026-11-21T10:00:00Z"}),
        )
        .await
        .problem(422);
    assert_eq!(p["type"], "urn:entitle:problem:invalid-facts", "{p}");
    assert_eq!(p["pointer"], "/facts/license", "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("`starts_on` (2026-11-02) is after `expires_on` (2026-11-01)"),
        "{p}"
    );
    server.shutdown().await.unwrap();
}

// ---------------------------------------------------------------------------
// Connections, protocol errors, body shape, paging, the tokens file

/// A server over a fresh SQLite file, with `options`.
async fn fresh_server(options: ServerOptions) -> (RunningServer, Tokens, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let tokens_path = dir.path().join("tokens.json");
    let tokens = make_tokens(&tokens_path);
    let db = dir.path().join("entitle.db");
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let server = crate::support::serve(store, &tokens_path, options).await;
    (server, tokens, dir)
}

/// One response read off `stream`: status, head (lower-case) and body;
/// `None` when the connection ends first.
async fn read_response(stream: &mut tokio::net::TcpStream) -> Option<(u16, String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            while buf.len() < end + 4 + length {
                let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
                    .await
                    .ok()?
                    .ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let status = head.get(9..12)?.parse().ok()?;
            let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).into_owned();
            return Some((status, head, body));
        }
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A POST answered before its body is read (401, 403, 404) leaves the
/// connection usable: the server reads the rest of the body (bounded), or
/// says `Connection: close`. The body arrives after the headers, as it does
/// from a client that writes them separately.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_after_an_early_answer() {
    let (server, tokens, _dir) = fresh_server(options()).await;
    let body = br#"{"facts": {"internal_request": "none"}, "now": "2026-11-21T10:00:00Z"}"#;
    let cases: [(&str, Option<&str>, u16); 5] = [
        ("/v1/decisions/emergency-license-follow-up", None, 401),
        (
            "/v1/decisions/emergency-license-follow-up",
            Some("ent_not-a-token"),
            401,
        ),
        (
            "/v1/decisions/emergency-license-follow-up",
            Some(&tokens.reader),
            403,
        ),
        ("/v1/decisions/no-such-policy", Some(&tokens.engineer), 404),
        ("/v2/nothing", Some(&tokens.engineer), 404),
    ];
    for (path, token, status) in cases {
        let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
        let auth = token
            .map(|t| format!("authorization: Bearer {t}\r\n"))
            .unwrap_or_default();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        let _ = stream.write_all(body).await;
        let (got, head, text) = read_response(&mut stream).await.unwrap();
        assert_eq!(got, status, "{path}: {head}\n{text}");
        assert!(head.contains("application/problem+json"), "{head}");
        assert!(!head.contains("connection: close"), "{path}: {head}");
        // The same connection answers the next request.
        let _ = stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            .await;
        let next = read_response(&mut stream).await;
        assert!(
            matches!(&next, Some((200, _, _))),
            "{path} ({status}): the connection did not answer the next request: {next:?}"
        );
    }
    // A body larger than the limit is not read: the answer says so.
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let head = "POST /v1/decisions/emergency-license-follow-up HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n{\"facts\":";
    stream.write_all(head.as_bytes()).await.unwrap();
    let (got, head, _) = read_response(&mut stream).await.unwrap();
    assert_eq!(got, 401);
    assert!(head.contains("connection: close"), "{head}");
    server.shutdown().await.unwrap();
}

/// Requests hyper refuses before the router sees them (malformed, URI too
/// long, headers too large) and a path segment that is not UTF-8 are
/// problems too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_protocol_error_is_a_problem() {
    let (server, tokens, _dir) = fresh_server(options()).await;
    let check = |text: &str, status: u16, kind: &str| {
        let (head, body) = text
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("no head: {text:?}"));
        let head = head.to_ascii_lowercase();
        assert!(head.starts_with(&format!("http/1.1 {status} ")), "{head}");
        assert!(
            head.contains("content-type: application/problem+json"),
            "{head}"
        );
        let problem: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
        assert_eq!(problem["status"], status, "{problem}");
        assert_eq!(
            problem["type"],
            format!("urn:entitle:problem:{kind}"),
            "{problem}"
        );
        let id = problem["request_id"].as_str().unwrap();
        assert!(head.contains(&format!("x-request-id: {id}")), "{head}");
    };
    let limit = Duration::from_secs(5);
    let long = format!(
        "GET /v1/policies/{} HTTP/1.1\r\nhost: x\r\n\r\n",
        "a".repeat(70_000)
    );
    check(
        &raw(server.addr(), long.as_bytes(), limit).await,
        414,
        "uri-too-long",
    );
    let many: String = (0..120).map(|i| format!("x-h{i}: v\r\n")).collect();
    let many = format!("GET /healthz HTTP/1.1\r\nhost: x\r\n{many}\r\n");
    check(
        &raw(server.addr(), many.as_bytes(), limit).await,
        431,
        "headers-too-large",
    );
    let large = format!(
        "GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "b".repeat(600_000)
    );
    check(
        &raw(server.addr(), large.as_bytes(), limit).await,
        431,
        "headers-too-large",
    );
    check(
        &raw(server.addr(), b"\x00\x01\x02 nonsense\r\n\r\n", limit).await,
        400,
        "bad-request",
    );
    let framing =
        "POST /healthz HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\ncontent-length: 7\r\n\r\nhello";
    check(
        &raw(server.addr(), framing.as_bytes(), limit).await,
        400,
        "bad-request",
    );
    // A path segment that does not decode is a bad path, not bad JSON.
    let client = reqwest::Client::new();
    for path in [
        "/v1/policies/%ff",
        "/v1/decisions/%ff",
        "/v1/policies/%ff/schema",
    ] {
        let answer = client
            .get(format!("{}{path}", server.url()))
            .bearer_auth(&tokens.reader)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{path}");
        let problem: Value = answer.json().await.unwrap();
        assert_eq!(problem["type"], "urn:entitle:problem:bad-path", "{problem}");
    }
    // The OpenAPI document declares them on every operation.
    let doc = entitle_http::openapi::document();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            for status in ["400", "414", "431"] {
                assert!(
                    op["responses"].get(status).is_some(),
                    "{method} {path} does not declare {status}"
                );
            }
        }
    }
    // The server still serves.
    let health = client
        .get(format!("{}/healthz", server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    server.shutdown().await.unwrap();
}

/// A JSON array is not a request body, even one that lists the facts and
/// the instant in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_array_is_not_a_request_body() {
    let (server, tokens, _dir) = fresh_server(options()).await;
    let client = reqwest::Client::new();
    let (facts, now) = example("emergency-license-follow-up", 0);
    for path in [
        "/v1/decisions/emergency-license-follow-up",
        "/v1/tickets/T-1/decisions/emergency-license-follow-up",
    ] {
        for body in [json!([facts, now]), json!([facts])] {
            let answer = client
                .post(format!("{}{path}", server.url()))
                .bearer_auth(&tokens.engineer)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 422, "{path} {body}");
            let problem: Value = answer.json().await.unwrap();
            assert_eq!(problem["type"], "urn:entitle:problem:invalid-body");
            assert!(
                problem["detail"]
                    .as_str()
                    .unwrap()
                    .contains("the body must be a JSON object"),
                "{problem}"
            );
        }
    }
    server.shutdown().await.unwrap();
}

/// A page of the log stops at `page_byte_limit` bytes as well as at `limit`
/// entries; `next_before` continues it, and the pages together are the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_the_log_is_bounded_in_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("entitle.db");
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let report = std::sync::Arc::new(entitle::DecisionReport {
        policy: "emergency-license-follow-up",
        version: 1,
        now: "2026-11-21T10:00:00Z".parse().unwrap(),
        outcome: "resend-from-success-record",
        outcome_text: "",
        details: entitle::policy::Details::default(),
        stable_until: None,
        config: entitle::config::PolicyConfig::default(),
        trace: Vec::new(),
        subject: entitle::policy::Subject::default(),
    });
    let entry = |n: usize, pad: usize| entitle_store::NewDecision {
        report: report.clone(),
        facts: json!({"internal_request": "none", "pad": "x".repeat(pad)}).into(),
        role: "support-engineer".to_owned(),
        request_id: format!("req-{n}"),
        ticket_id: None,
        actions: Vec::new(),
        action_ticket: None,
    };
    let mut logged = Vec::new();
    for n in 0..60 {
        // One entry far over the limit: it makes a page of its own.
        let pad = if n == 30 { 50_000 } else { 2_000 };
        logged.push(store.log().append(entry(n, pad)).await.unwrap().decision_id);
    }
    store.close().await;
    logged.reverse();

    let tokens_path = dir.path().join("tokens.json");
    let tokens = make_tokens(&tokens_path);
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let limit = 20_000;
    let options = ServerOptions {
        page_byte_limit: limit,
        ..options()
    };
    let server = crate::support::serve(store, &tokens_path, options).await;
    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut url = format!("{}/v1/decisions?limit=1000", server.url());
        if let Some(b) = &before {
            url.push_str(&format!("&before={b}"));
        }
        let text = client
            .get(url)
            .bearer_auth(&tokens.reader)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let page: Value = serde_json::from_str(&text).unwrap();
        let entries = page["decisions"].as_array().unwrap();
        assert!(!entries.is_empty(), "{text}");
        if entries.len() > 1 {
            assert!(text.len() <= limit + 100, "a page of {} bytes", text.len());
        }
        seen.extend(
            entries
                .iter()
                .map(|e| e["decision_id"].as_str().unwrap().to_owned()),
        );
        pages += 1;
        match page["next_before"].as_str() {
            Some(next) => {
                assert_eq!(Some(next), seen.last().map(String::as_str));
                before = Some(next.to_owned());
            }
            None => break,
        }
        assert!(pages < 60, "no end");
    }
    assert_eq!(seen, logged, "the pages together are the log, newest first");
    assert!(pages >= 7, "{pages} pages");
    // Under the byte limit, `limit` still bounds a page.
    let page: Value = client
        .get(format!("{}/v1/decisions?limit=3", server.url()))
        .bearer_auth(&tokens.reader)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["decisions"].as_array().unwrap().len(), 3);
    assert_eq!(page["next_before"], logged[2].as_str());
    server.shutdown().await.unwrap();
}

/// Saving the tokens file never follows a link planted where a temporary
/// file would go: the link's target is untouched, the file is 0600.
#[cfg(unix)]
#[test]
fn saving_tokens_does_not_follow_a_planted_link() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "do not touch\n").unwrap();
    for name in [".tokens.json.tmp", ".tokens.tmp", "tokens.json.tmp"] {
        std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
    }
    let tokens = make_tokens(&path);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "do not touch\n");
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(meta.file_type().is_file(), "tokens.json is a plain file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let file = TokenFile::load(&path).unwrap();
    assert_eq!(file.tokens.len(), 5);
    assert!(file.tokens.iter().any(|t| t.id == tokens.revoked_id));
    // Saving again (over the file) leaves no temporary files behind.
    file.save(&path).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".tokens.json.tmp",
            ".tokens.tmp",
            "tokens.json",
            "tokens.json.tmp",
            "victim.txt"
        ]
    );
}

/// A decision that makes a license says which ticket it is for, or it is
/// refused (#20): `star-self-managed` over `POST /v1/decisions` carried no
/// ticket, so the one-license guard never applied. With `ticket_url` it
/// applies, to every spelling of that URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_license_names_its_ticket_and_every_spelling_is_one_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let tokens_path = dir.path().join("tokens.json");
    let tokens = make_tokens(&tokens_path);
    let db = dir.path().join("entitle.db");
    let server = start(db.to_str().unwrap(), &tokens_path).await;
    let client = Client {
        http: reqwest::Client::new(),
        base: server.url(),
        seen: Arc::new(Mutex::new(Vec::new())),
    };
    let eng = tokens.engineer.as_str();
    let star = "/v1/decisions/star-self-managed";
    let facts = json!({
        "admin_dashboard_screenshot": false,
        "customer_has_ticket": true,
        "license": {"expires_on": "2026-11-10", "plan": "premium", "starts_on": "2025-11-10",
                    "trial": false, "users": 120},
        "lr_team_available": false,
        "recipient_is_license_contact": true,
        "request": "temporary-key"
    });
    let now = "2026-11-23T15:00:00Z";
    let p = client
        .post_json(star, eng, &json!({"facts": facts, "now": now}))
        .await
        .problem(422);
    assert_eq!(p["type"], "urn:entitle:problem:invalid-facts", "{p}");
    assert_eq!(p["pointer"], "/facts/ticket_url", "{p}");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("generate-trial-license"), "{detail}");
    // Nothing was logged for it.
    let logged = client.get("/v1/decisions", Some(eng)).await.json();
    assert_eq!(logged["decisions"], json!([]), "{logged}");

    let named = |url: &str| {
        let mut facts = facts.clone();
        facts["ticket_url"] = json!(url);
        json!({"facts": facts, "now": now})
    };
    let first = client
        .post_json(star, eng, &named("https://support.example/tickets/42"))
        .await;
    assert_eq!(first.status, 200, "{}", first.text);
    let first = first.json();
    assert_eq!(first["outcome"], "generate-trial-license");
    let license = first["actions"][0]["id"].clone();
    assert!(license.is_string(), "{first}");
    for url in [
        "https://SUPPORT.example:443/tickets/42/",
        "https://support.example//tickets/4%32?utm=1#x",
    ] {
        let again = client.post_json(star, eng, &named(url)).await;
        assert_eq!(again.status, 200, "{}", again.text);
        let again = again.json();
        assert_eq!(again["actions"], json!([]), "{url}: {again}");
        assert_eq!(again["existing_license"]["id"], license, "{url}: {again}");
    }
    // Outcomes that make no license need no ticket.
    let mut routine = facts.clone();
    routine["request"] = json!("renewal-delay");
    let answer = client
        .post_json(star, eng, &json!({"facts": routine, "now": now}))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    server.shutdown().await.unwrap();
}

/// Two `Authorization` headers are a 400, whichever comes first and
/// whatever the roles (#20 item 12: the first won, so (reader, lr-team)
/// got 403 on `/v1/replay` and (lr-team, reader) 200). No token is echoed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_authorization_headers_are_a_bad_request() {
    let (server, tokens, _dir) = fresh_server(options()).await;
    let client = reqwest::Client::new();
    let pairs = [
        (&tokens.reader, &tokens.lr),
        (&tokens.lr, &tokens.reader),
        (&tokens.lr, &tokens.lr),
        (&tokens.revoked, &tokens.engineer),
    ];
    for (first, second) in pairs {
        for (method, path) in [
            (Method::POST, "/v1/replay"),
            (Method::GET, "/v1/decisions"),
            (Method::GET, "/v1/policies"),
            (Method::GET, "/v1/actions"),
        ] {
            let mut request = client
                .request(method.clone(), format!("{}{path}", server.url()))
                .header("authorization", format!("Bearer {first}"))
                .header("authorization", format!("Bearer {second}"));
            if method == Method::POST {
                request = request.json(&json!({"config": {}}));
            }
            let answer = request.send().await.unwrap();
            assert_eq!(answer.status(), 400, "{method} {path}");
            assert_eq!(answer.headers()["content-type"], "application/problem+json");
            let problem: Value = answer.json().await.unwrap();
            assert_eq!(
                problem["type"], "urn:entitle:problem:bad-request",
                "{problem}"
            );
            let detail = problem["detail"].as_str().unwrap();
            assert!(
                detail.contains("more than one `Authorization` header"),
                "{problem}"
            );
            assert!(!detail.contains(first.as_str()) && !detail.contains(second.as_str()));
        }
    }
    // One header still works.
    let answer = client
        .post(format!("{}/v1/replay", server.url()))
        .bearer_auth(&tokens.lr)
        .json(&json!({"config": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    server.shutdown().await.unwrap();
}
