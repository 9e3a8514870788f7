//! Intake end to end: a real server on a loopback port, deliveries signed
//! here with the documented algorithms and sent by a real HTTP client,
//! over SQLite (and PostgreSQL when `ENTITLE_TEST_POSTGRES_URL` is set).
#![expect(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use entitle_http::auth::{Role, TokenFile};
use entitle_http::intake::{IntakeConfig, IntakeSecret, zendesk};
use entitle_http::{Clock, RunningServer, ServerOptions};
use entitle_store::{Records, Store};
use entitle_test_support::on_both;
use entitle_test_support::postgres::TestDb;
use serde_json::{Value, json};

const SECRET: &str = "zendesk-signing-secret-for-tests";
const GITLAB_TOKEN: &str = "gitlab-webhook-token-for-tests";
/// Saturday 21 November 2026, 15:00 UTC (10:00 in New York): a weekend.
const SATURDAY: &str = "2026-11-21T15:00:00Z";

fn saturday() -> DateTime<Utc> {
    SATURDAY.parse().unwrap()
}

fn intake_config() -> IntakeConfig {
    let text = r#"
[zendesk]
secret_env = "ZENDESK_SECRET"

[[zendesk.rules]]
tag = "license_emergency"
policy = "license-emergency"

[gitlab]
token_env = "GITLAB_TOKEN"
"#;
    IntakeConfig::from_toml(text, |name| match name {
        "ZENDESK_SECRET" => Some(SECRET.to_owned()),
        "GITLAB_TOKEN" => Some(GITLAB_TOKEN.to_owned()),
        _ => None,
    })
    .unwrap()
}

struct Site {
    server: RunningServer,
    http: reqwest::Client,
    reader: String,
    engineer: String,
    _dir: tempfile::TempDir,
}

async fn site(db: &str) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let mut file = TokenFile::default();
    let (reader, _) = file.add(Role::Reader, Utc::now()).unwrap();
    let (engineer, _) = file.add(Role::SupportEngineer, Utc::now()).unwrap();
    let path = dir.path().join("tokens.json");
    file.save(&path).unwrap();
    let store = Store::open(db).await.unwrap();
    let sample: Records =
        serde_json::from_str(include_str!("../../../examples/data/support.json")).unwrap();
    store.records().put(&sample).await.unwrap();
    let options = ServerOptions {
        intake: intake_config(),
        clock: Clock::fixed(saturday()),
        ..ServerOptions::default()
    };
    let server = crate::support::serve(store, &path, options).await;
    Site {
        server,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap(),
        reader,
        engineer,
        _dir: dir,
    }
}

/// A Zendesk ticket event's body, as docs/intake.md's trigger renders it.
fn ticket_body(ticket: &str, tags: &str, user_count: &str) -> String {
    json!({
        "ticket": {
            "id": ticket,
            "url": format!("https://example.zendesk.com/agent/tickets/{ticket}"),
            "requester_email": "ops@globex.example",
            "tags": tags,
            "fields": {
                "subscription_id": "A-S00010002",
                "admin_dashboard_screenshot": "true",
                "license_page_screenshot": "true",
                "screenshot_user_count": user_count
            }
        }
    })
    .to_string()
}

struct Reply {
    status: u16,
    body: Value,
}

impl Site {
    async fn zendesk_signed(
        &self,
        delivery: &str,
        body: &str,
        secret: &str,
        at: DateTime<Utc>,
    ) -> Reply {
        let timestamp = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let signature = zendesk::sign(secret.as_bytes(), &timestamp, body.as_bytes());
        self.post(
            "/v1/intake/zendesk",
            body.to_owned(),
            &[
                (zendesk::SIGNATURE_HEADER, signature),
                (zendesk::TIMESTAMP_HEADER, timestamp),
                (zendesk::INVOCATION_HEADER, delivery.to_owned()),
            ],
        )
        .await
    }

    async fn zendesk(&self, delivery: &str, body: &str) -> Reply {
        self.zendesk_signed(delivery, body, SECRET, saturday())
            .await
    }

    async fn gitlab(&self, delivery: &str, body: &Value) -> Reply {
        self.post(
            "/v1/intake/gitlab",
            body.to_string(),
            &[
                ("x-gitlab-token", GITLAB_TOKEN.to_owned()),
                ("x-gitlab-event", "Issue Hook".to_owned()),
                ("idempotency-key", delivery.to_owned()),
            ],
        )
        .await
    }

    async fn post(&self, path: &str, body: String, headers: &[(&str, String)]) -> Reply {
        let mut request = self
            .http
            .post(format!("{}{path}", self.server.url()))
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.server.url()))
            .bearer_auth(&self.reader)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.unwrap()
    }

    async fn events(&self) -> Vec<Value> {
        self.get("/v1/intake?limit=1000").await["events"]
            .as_array()
            .unwrap()
            .clone()
    }
}

/// Zendesk's documentation prints a worked example: secret, body,
/// timestamp and signature. Its signature is of the body followed by the
/// timestamp (the formula that page once gave); the formula Zendesk's
/// webhook documentation gives now, and the one it signs with, is the
/// timestamp followed by the body. The signature below for that order was
/// computed apart (Python's `hmac`), and the printed one is refused.
#[test]
fn zendesks_published_example_signs_the_timestamp_then_the_body() {
    let secret = "HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA=";
    let body = br#"{"say": "hello"}"#;
    let timestamp = "2021-07-25T10:00:00Z";
    assert_eq!(
        zendesk::sign(secret.as_bytes(), timestamp, body),
        "Rry/4TtIdFyawtXXp8QdI6tlAUUQ/5kL1OTp5qo/ZIk="
    );
    let at: DateTime<Utc> = timestamp.parse().unwrap();
    let key = IntakeSecret::new(secret);
    let window = TimeDelta::minutes(5);
    assert_eq!(
        zendesk::verify(
            &key,
            Some("Rry/4TtIdFyawtXXp8QdI6tlAUUQ/5kL1OTp5qo/ZIk="),
            Some(timestamp),
            body,
            at,
            window
        ),
        Ok(())
    );
    assert_eq!(
        zendesk::verify(
            &key,
            Some("tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw="),
            Some(timestamp),
            body,
            at,
            window
        ),
        Err(zendesk::SignatureError::Mismatch)
    );
}

async fn authenticity(site: &Site) {
    let body = ticket_body("5001", "license_emergency", "250");
    let tampered = body.replace("250", "2500");
    let cases: Vec<(&str, Reply)> = vec![
        ("tampered body", {
            let timestamp = saturday().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let signature = zendesk::sign(SECRET.as_bytes(), &timestamp, body.as_bytes());
            site.post(
                "/v1/intake/zendesk",
                tampered,
                &[
                    (zendesk::SIGNATURE_HEADER, signature),
                    (zendesk::TIMESTAMP_HEADER, timestamp),
                    (zendesk::INVOCATION_HEADER, "a-1".to_owned()),
                ],
            )
            .await
        }),
        (
            "wrong secret",
            site.zendesk_signed("a-2", &body, "another-secret", saturday())
                .await,
        ),
        (
            "stale timestamp",
            site.zendesk_signed("a-3", &body, SECRET, saturday() - TimeDelta::minutes(6))
                .await,
        ),
        (
            "future timestamp",
            site.zendesk_signed("a-4", &body, SECRET, saturday() + TimeDelta::minutes(6))
                .await,
        ),
        (
            "no signature",
            site.post(
                "/v1/intake/zendesk",
                body.clone(),
                &[
                    (zendesk::TIMESTAMP_HEADER, SATURDAY.to_owned()),
                    (zendesk::INVOCATION_HEADER, "a-5".to_owned()),
                ],
            )
            .await,
        ),
        (
            "no timestamp",
            site.post(
                "/v1/intake/zendesk",
                body.clone(),
                &[
                    (
                        zendesk::SIGNATURE_HEADER,
                        zendesk::sign(SECRET.as_bytes(), SATURDAY, body.as_bytes()),
                    ),
                    (zendesk::INVOCATION_HEADER, "a-6".to_owned()),
                ],
            )
            .await,
        ),
        (
            "wrong GitLab token",
            site.post(
                "/v1/intake/gitlab",
                "{}".to_owned(),
                &[
                    ("x-gitlab-token", "not-the-token".to_owned()),
                    ("x-gitlab-event", "Issue Hook".to_owned()),
                    ("idempotency-key", "a-7".to_owned()),
                ],
            )
            .await,
        ),
        (
            "no GitLab token",
            site.post(
                "/v1/intake/gitlab",
                "{}".to_owned(),
                &[
                    ("x-gitlab-event", "Issue Hook".to_owned()),
                    ("idempotency-key", "a-8".to_owned()),
                ],
            )
            .await,
        ),
    ];
    for (case, reply) in cases {
        assert_eq!(reply.status, 401, "{case}: {}", reply.body);
        assert_eq!(
            reply.body["type"], "urn:entitle:problem:intake-unauthorized",
            "{case}"
        );
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(
            !detail.contains(SECRET) && !detail.contains(GITLAB_TOKEN),
            "{case}: {detail}"
        );
    }
    // A signed delivery without its id, and a GitLab event of another kind.
    let timestamp = SATURDAY.to_owned();
    let signature = zendesk::sign(SECRET.as_bytes(), &timestamp, body.as_bytes());
    let reply = site
        .post(
            "/v1/intake/zendesk",
            body.clone(),
            &[
                (zendesk::SIGNATURE_HEADER, signature),
                (zendesk::TIMESTAMP_HEADER, timestamp),
            ],
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(
        reply.body["detail"]
            .as_str()
            .unwrap()
            .contains(zendesk::INVOCATION_HEADER)
    );
    let reply = site
        .post(
            "/v1/intake/gitlab",
            "{}".to_owned(),
            &[
                ("x-gitlab-token", GITLAB_TOKEN.to_owned()),
                ("x-gitlab-event", "Push Hook".to_owned()),
                ("idempotency-key", "a-9".to_owned()),
            ],
        )
        .await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(site.events().await.is_empty(), "nothing is in the inbox");
}

async fn decided_once(site: &Site) {
    // The same delivery five times at once: one decision, one set of steps.
    let body = ticket_body("4711", "vip license_emergency", "250");
    let replies = futures_join(
        (0..5)
            .map(|_| site.zendesk("z-4711-1", &body))
            .collect::<Vec<_>>(),
    )
    .await;
    let decided: Vec<&Reply> = replies
        .iter()
        .filter(|r| r.body["status"] == "decided")
        .collect();
    assert_eq!(
        decided.len(),
        1,
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let decision = decided[0].body["decision_id"].as_str().unwrap().to_owned();
    for reply in &replies {
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(
            reply.body["decision_id"],
            decision.as_str(),
            "{}",
            reply.body
        );
    }
    assert_eq!(decided[0].body["policy"], "license-emergency");
    let log = site.get("/v1/decisions?ticket=4711").await;
    assert_eq!(log["decisions"].as_array().unwrap().len(), 1, "{log}");
    let entry = &log["decisions"][0];
    assert_eq!(entry["decision_id"], decision.as_str());
    // The decision is the one a person would get for the stored ticket.
    let direct = site
        .http
        .post(format!(
            "{}/v1/tickets/4711/decisions/license-emergency",
            site.server.url()
        ))
        .bearer_auth(&site.engineer)
        .json(&json!({"now": SATURDAY}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(direct["outcome"], entry["outcome"], "{direct}");
    assert_eq!(entry["facts"]["screenshot_user_count"], 250);
    let events = site.get("/v1/intake?ticket=4711").await["events"].clone();
    let statuses: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "decided").count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == "duplicate").count(), 4);

    // The ticket updated again (a new delivery): no second license.
    let again = site.zendesk("z-4711-2", &body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["status"], "decided");
    let licenses = |reply: &Reply| {
        reply.body["actions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["action"].as_str().unwrap().contains("license"))
            .count()
    };
    let first_licenses = licenses(decided[0]);
    assert!(first_licenses >= 1, "{}", decided[0].body);
    assert_eq!(licenses(&again), 0, "{}", again.body);
}

async fn incomplete_facts_decide_what_the_page_says(site: &Site) {
    // No user count read yet, no screenshots: the weekend page asks for them.
    let body = json!({
        "ticket": {
            "id": "4712",
            "url": "https://example.zendesk.com/agent/tickets/4712",
            "requester_email": "ops@globex.example",
            "tags": "license_emergency",
            "fields": {"subscription_id": "A-S00010002", "screenshot_user_count": ""}
        }
    })
    .to_string();
    let reply = site.zendesk("z-4712", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "decided");
    assert_eq!(
        reply.body["outcome"], "request-screenshots",
        "{}",
        reply.body
    );
}

async fn refusals_are_recorded(site: &Site) {
    let deep = format!("{}{}", "[".repeat(400), "]".repeat(400));
    let cases: Vec<(String, &str)> = vec![
        ("not json".to_owned(), "body"),
        (deep, "body"),
        ("[1, 2]".to_owned(), "body"),
        (json!({"ticket": 7}).to_string(), "ticket"),
        (
            ticket_body("{{ticket.id}}", "license_emergency", "1"),
            "ticket.id",
        ),
        (
            ticket_body("4713", "license_emergency", "{{ticket.ticket_field_360}}"),
            "ticket.fields.screenshot_user_count",
        ),
        (
            ticket_body("4713", "license_emergency", "many"),
            "ticket.fields.screenshot_user_count",
        ),
        (
            json!({"ticket": {"id": "4713", "url": "ftp://x", "requester_email": "a@b.example"}})
                .to_string(),
            "ticket.url",
        ),
        (
            json!({"ticket": {"id": "4713", "url": "https://x.example/t/1", "requester_email": ["a"]}})
                .to_string(),
            "ticket.requester_email",
        ),
    ];
    for (i, (body, field)) in cases.iter().enumerate() {
        let delivery = format!("bad-{i}");
        let reply = site.zendesk(&delivery, body).await;
        assert_eq!(reply.status, 422, "case {i}: {}", reply.body);
        assert_eq!(reply.body["type"], "urn:entitle:problem:intake-refused");
        assert_eq!(reply.body["field"], *field, "case {i}: {}", reply.body);
        // Sent again: a duplicate of the refusal, 200 (the service stops
        // retrying), nothing new.
        let again = site.zendesk(&delivery, body).await;
        assert_eq!(again.status, 200, "case {i}: {}", again.body);
        assert_eq!(again.body["status"], "duplicate");
    }
    let events = site.get("/v1/intake?source=zendesk&limit=1000").await["events"].clone();
    let refused = events
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "refused")
        .count();
    assert_eq!(refused, cases.len());
    // A ticket whose tags no rule names is ignored, and says so.
    let reply = site
        .zendesk("z-other", &ticket_body("4714", "billing", "1"))
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body["status"], "ignored");
    assert!(reply.body["reason"].as_str().unwrap().contains("billing"));
}

/// An issue event's body as GitLab sends it (the members intake reads).
fn issue(iid: u32, action: &str, description: &str) -> Value {
    json!({
        "object_kind": "issue",
        "event_type": "issue",
        "user": {"username": "fulfillment-bot"},
        "project": {"id": 42, "path_with_namespace": "support/internal-requests"},
        "object_attributes": {
            "iid": iid,
            "title": "Report a provision failure",
            "action": action,
            "url": format!("https://gitlab.example.com/support/internal-requests/-/issues/{iid}"),
            "description": description
        }
    })
}

const REPORT: &str = "## Report a provision failure\n\n\
- subscription: A-S00010003\n\
- kind: Zuora callback failed\n\
- occurred_at: 2026-11-21T10:15:00Z\n\
- customer_email: billing@initech.example\n\
- fulfillment_resolved: no\n\
- needs_lr_intervention: yes\n\
- root_cause: fixed\n";

async fn gitlab_reports(site: &Site) {
    let reply = site.gitlab("g-1", &issue(7, "open", REPORT)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.body["status"], "decided");
    assert_eq!(reply.body["policy"], "provision-failure");
    assert_eq!(reply.body["outcome"], "request-lr-support");
    let again = site.gitlab("g-1", &issue(7, "open", REPORT)).await;
    assert_eq!(again.body["status"], "duplicate");
    assert_eq!(again.body["decision_id"], reply.body["decision_id"]);
    // Edited afterwards: decided already, nothing new.
    let edited = site.gitlab("g-2", &issue(7, "update", REPORT)).await;
    assert_eq!(edited.body["status"], "ignored", "{}", edited.body);
    // An issue entitle opened itself.
    let own = format!("{REPORT}\n<!-- entitle-ref: abc -->");
    let reply = site.gitlab("g-3", &issue(8, "open", &own)).await;
    assert_eq!(reply.body["status"], "ignored");
    assert!(
        reply.body["reason"]
            .as_str()
            .unwrap()
            .contains("entitle opened")
    );
    // Not the template.
    let reply = site.gitlab("g-4", &issue(9, "open", "Please help")).await;
    assert_eq!(reply.body["status"], "ignored");
    // The template with a line wrong: refused, naming the line.
    let wrong = REPORT.replace("2026-11-21T10:15:00Z", "yesterday");
    let reply = site.gitlab("g-5", &issue(10, "open", &wrong)).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(
        reply.body["field"], "description.occurred_at",
        "{}",
        reply.body
    );
    let missing = REPORT.replace("- customer_email: billing@initech.example\n", "");
    let reply = site.gitlab("g-6", &issue(11, "open", &missing)).await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.body["field"], "description.customer_email");
    let issue10 = site
        .get("/v1/intake?ticket=https://gitlab.example.com/support/internal-requests/-/issues/10")
        .await;
    assert_eq!(issue10["events"][0]["status"], "refused", "{issue10}");
}

/// Runs `futures` at once.
async fn futures_join<F: std::future::Future<Output = Reply>>(futures: Vec<F>) -> Vec<Reply> {
    let mut handles = Vec::new();
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    // Poll them together on this task.
    let results = std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, future) in pinned.iter_mut().enumerate() {
            if handles.len() <= i {
                handles.push(None);
            }
            if handles[i].is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(reply) => handles[i] = Some(reply),
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(std::mem::take(&mut handles))
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

async fn suite(db: &str) {
    let site = site(db).await;
    authenticity(&site).await;
    decided_once(&site).await;
    incomplete_facts_decide_what_the_page_says(&site).await;
    refusals_are_recorded(&site).await;
    gitlab_reports(&site).await;
    let _ = site.server.shutdown().await;
}

/// The intake suite on each back-end (a fresh database each).
async fn intake_suite(db: &TestDb) {
    suite(&db.url).await;
}

on_both!(intake_on, intake_suite);
