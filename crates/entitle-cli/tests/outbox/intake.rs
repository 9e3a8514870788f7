//! Intake through the binary: `entitle serve --intake --actions` taking
//! signed deliveries and carrying the decisions out through the outbox to
//! the stand-ins; and kill -9 while deliveries are in flight.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use super::common::{Server, Site, run};
use super::provision::{provision_config, provision_env};
use super::services::{GitLab, Zendesk};

pub const WEBHOOK_TOKEN: &str = "gitlab-webhook-token";
pub const SIGNING_SECRET: &str = "zendesk-signing-secret";

/// The intake config of the tests: both sources.
pub fn intake_file(site: &Site) -> PathBuf {
    let path = site.path().join("intake.toml");
    std::fs::write(
        &path,
        r#"
[zendesk]
secret_env = "ZENDESK_WEBHOOK_SECRET"

[[zendesk.rules]]
tag = "license_emergency"
policy = "license-emergency"

[gitlab]
token_env = "GITLAB_WEBHOOK_TOKEN"
"#,
    )
    .unwrap();
    path
}

pub fn intake_env() -> Vec<(&'static str, String)> {
    vec![
        ("ZENDESK_WEBHOOK_SECRET", SIGNING_SECRET.to_owned()),
        ("GITLAB_WEBHOOK_TOKEN", WEBHOOK_TOKEN.to_owned()),
    ]
}

/// Imports the sample records into the site's `entitle.db`.
pub fn import_sample(site: &Site) {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/data/support.json");
    let out = run(site.path(), &["import", sample.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
}

/// The report template, filled in.
pub fn report(subscription: &str) -> String {
    format!(
        "## Report a provision failure\n\n\
         - subscription: {subscription}\n\
         - kind: Zuora callback failed\n\
         - occurred_at: 2026-11-21T10:15:00Z\n\
         - customer_email: billing@initech.example\n\
         - fulfillment_resolved: no\n\
         - needs_lr_intervention: yes\n\
         - root_cause: fixed\n"
    )
}

/// An issue event as GitLab sends it for issue `iid` of `base`'s project.
pub fn issue_event(base: &str, iid: u64, description: &str) -> Value {
    json!({
        "object_kind": "issue",
        "event_type": "issue",
        "project": {"id": 42, "path_with_namespace": "support/internal-requests"},
        "object_attributes": {
            "iid": iid,
            "action": "open",
            "title": "Report a provision failure",
            "url": format!("{base}/support/internal-requests/-/issues/{iid}"),
            "description": description
        }
    })
}

/// Posts a GitLab delivery; the status and the answer.
pub async fn deliver_gitlab(
    http: &reqwest::Client,
    base: &str,
    delivery: &str,
    body: &Value,
) -> Result<(u16, Value), reqwest::Error> {
    let response = http
        .post(format!("{base}/v1/intake/gitlab"))
        .header("x-gitlab-token", WEBHOOK_TOKEN)
        .header("x-gitlab-event", "Issue Hook")
        .header("idempotency-key", delivery)
        .json(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

fn args(pairs: &[(&str, &Path)]) -> Vec<OsString> {
    pairs
        .iter()
        .flat_map(|(flag, path)| [OsString::from(flag), path.as_os_str().to_owned()])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tracker_report_is_acknowledged_on_its_issue_and_the_customer_gets_a_ticket() {
    let gitlab = GitLab::start(Duration::ZERO).await;
    let zendesk = Zendesk::start(Duration::ZERO).await;
    let site = Site::new();
    let actions = site.actions_file(&provision_config(
        &gitlab.receiver.url,
        &zendesk.receiver.url,
    ));
    let intake = intake_file(&site);
    let mut env = provision_env();
    env.extend(intake_env());
    let server = Server::start_with(
        &site,
        "entitle.db",
        &args(&[("--actions", &actions), ("--intake", &intake)]),
        &env,
    )
    .await;
    let http = reqwest::Client::new();
    // Fulfillment opens the report in the tracker (issue 1)...
    let opened = http
        .post(format!(
            "{}/api/v4/projects/support%2Finternal-requests/issues",
            gitlab.receiver.url
        ))
        .json(&json!({"title": "Report a provision failure", "description": report("A-S00010003")}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 201);
    // ...and GitLab tells entitle.
    let event = issue_event(&gitlab.receiver.url, 1, &report("A-S00010003"));
    let (status, answer) = deliver_gitlab(&http, &server.base, "delivery-1", &event)
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "decided", "{answer}");
    assert_eq!(answer["outcome"], "request-lr-support", "{answer}");
    let decision = answer["decision_id"].as_str().unwrap().to_owned();
    let mut actions: Vec<Value>;
    let delivered = wait_until!(Duration::from_secs(20), {
        actions = server.decision_actions(&site.engineer, &decision).await;
        actions[0]["status"] == "delivered" && actions[1]["status"] == "delivered"
    });
    assert!(delivered, "{actions:#?}\n{}", server.log());
    // The request is acknowledged on its own issue: no second issue.
    let issues = gitlab.issues();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0].notes.len(), 1, "{issues:#?}");
    assert!(
        issues[0].notes[0].starts_with("Acknowledged by entitle"),
        "{issues:#?}"
    );
    // The customer's ticket, theirs.
    let tickets = zendesk.tickets();
    assert_eq!(tickets.len(), 1, "{tickets:#?}");
    assert_eq!(
        tickets[0].requester.as_deref(),
        Some("billing@initech.example"),
        "{tickets:#?}"
    );

    // GitLab delivers it again: nothing new anywhere.
    let (status, again) = deliver_gitlab(&http, &server.base, "delivery-1", &event)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(again["status"], "duplicate");
    assert_eq!(again["decision_id"], decision.as_str());
    // The notes entitle wrote do not start anything either (GitLab sends
    // note events to note hooks; an issue hook about entitle's own issue
    // is ignored).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(gitlab.issues()[0].notes.len(), 1);
    assert_eq!(zendesk.tickets().len(), 1);
    let listed = run(site.path(), &["intake", "list", "--source", "gitlab"]);
    assert!(listed.status.success(), "{listed:?}");
    let text = String::from_utf8(listed.stdout).unwrap();
    assert!(text.starts_with("RECEIVED"), "{text}");
    assert_eq!(text.matches("decided").count(), 1, "{text}");
    assert_eq!(text.matches("duplicate").count(), 1, "{text}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_that_does_not_follow_the_template_gets_a_note_saying_what_is_missing() {
    let gitlab = GitLab::start(Duration::ZERO).await;
    let zendesk = Zendesk::start(Duration::ZERO).await;
    let site = Site::new();
    let config = provision_config(&gitlab.receiver.url, &zendesk.receiver.url).replace(
        "[routes]\n",
        "[routes]\n\"note-refused-request\" = \"gitlab\"\n",
    );
    let actions = site.actions_file(&config);
    let intake = intake_file(&site);
    let mut env = provision_env();
    env.extend(intake_env());
    let server = Server::start_with(
        &site,
        "entitle.db",
        &args(&[("--actions", &actions), ("--intake", &intake)]),
        &env,
    )
    .await;
    let http = reqwest::Client::new();
    // Fulfillment opens a report without its `needs_lr_intervention` line.
    let description = report("A-S00010003").replace("- needs_lr_intervention: yes\n", "");
    let opened = http
        .post(format!(
            "{}/api/v4/projects/support%2Finternal-requests/issues",
            gitlab.receiver.url
        ))
        .json(&json!({"title": "Report a provision failure", "description": description}))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 201);
    let event = issue_event(&gitlab.receiver.url, 1, &description);
    let (status, answer) = deliver_gitlab(&http, &server.base, "delivery-r1", &event)
        .await
        .unwrap();
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("needs_lr_intervention"),
        "{answer}"
    );
    // The note goes on the issue itself, saying what is missing; no
    // decision, no other issue, no ticket.
    let noted = wait_until!(Duration::from_secs(20), {
        gitlab.issues().first().is_some_and(|i| !i.notes.is_empty())
    });
    assert!(noted, "no note on the refused issue: {}", server.log());
    let issues = gitlab.issues();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0].notes.len(), 1, "{issues:#?}");
    let note = &issues[0].notes[0];
    assert!(
        note.starts_with("entitle could not take this request"),
        "{note}"
    );
    assert!(note.contains("needs_lr_intervention"), "{note}");
    assert!(note.contains("Report a provision failure"), "{note}");
    assert!(zendesk.tickets().is_empty());
    // The step is listed (an intake event's, no decision's) and delivered:
    // the worker records the delivery just after GitLab answered, so wait
    // for it rather than read the list the instant the note arrived.
    let mut listed: Value;
    let delivered = wait_until!(Duration::from_secs(20), {
        let (status, body) = server.call("GET", "/v1/actions", &site.reader, None).await;
        assert_eq!(status, 200, "{body:#}");
        listed = body;
        listed["actions"].as_array().is_some_and(|actions| {
            actions
                .iter()
                .any(|a| a["action"] == "note-refused-request" && a["status"] == "delivered")
        })
    });
    assert!(delivered, "the note's step is not delivered: {listed:#}");
    let steps: Vec<&Value> = listed["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["action"] == "note-refused-request")
        .collect();
    assert_eq!(steps.len(), 1, "{listed:#}");
    assert_eq!(steps[0]["status"], "delivered", "{listed:#}");
    assert!(steps[0]["decision_id"].is_null(), "{listed:#}");
    assert!(steps[0]["intake_id"].is_string(), "{listed:#}");
    let (_, decisions) = server
        .call("GET", "/v1/decisions", &site.reader, None)
        .await;
    assert!(
        decisions["decisions"].as_array().unwrap().is_empty(),
        "{decisions:#}"
    );

    // GitLab delivers it again: a duplicate, no second note.
    let (status, again) = deliver_gitlab(&http, &server.base, "delivery-r1", &event)
        .await
        .unwrap();
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["status"], "duplicate");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(gitlab.issues()[0].notes.len(), 1);

    // Fixed by an edit: decided, acknowledged on the same issue.
    let mut edited = issue_event(&gitlab.receiver.url, 1, &report("A-S00010003"));
    edited["object_attributes"]["action"] = json!("update");
    let (status, answer) = deliver_gitlab(&http, &server.base, "delivery-r2", &edited)
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "decided", "{answer}");
    let acknowledged = wait_until!(Duration::from_secs(20), {
        gitlab.issues()[0].notes.len() == 2
    });
    assert!(acknowledged, "{:#?}", gitlab.issues());
    assert!(gitlab.issues()[0].notes[1].starts_with("Acknowledged by entitle"));
    server.stop().await;
}

#[test]
fn the_refused_note_is_routed_to_a_gitlab_sink_only() {
    let site = Site::new();
    let actions = site.actions_file(
        r#"
[routes]
"note-refused-request" = "chat"

[sinks.chat]
kind = "slack"
url_env = "SLACK_WEBHOOK_URL"
"#,
    );
    let out = super::common::entitle(site.path())
        .args(["serve", "--listen", "127.0.0.1:0", "--actions"])
        .arg(&actions)
        .env("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("note-refused-request") && stderr.contains("not a `gitlab` sink"),
        "{stderr}"
    );
}

/// Kill -9 while deliveries are in flight, restart, and GitLab delivers
/// every one of them again (it retries what it got no answer for; here,
/// all): each event is decided once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_between_the_inbox_and_the_answer_leaves_one_decision_per_event() {
    let site = Site::new();
    let intake = intake_file(&site);
    let serve_args = args(&[("--intake", &intake)]);
    let env = intake_env();
    let start = || Server::start_with(&site, "entitle.db", &serve_args, &env);
    let server = start().await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    const EVENTS: u64 = 40;
    let events: Vec<(String, Value)> = (1..=EVENTS)
        .map(|iid| {
            (
                format!("delivery-{iid}"),
                issue_event(
                    "https://gitlab.example.com",
                    iid,
                    &report(&format!("A-S000{iid:05}")),
                ),
            )
        })
        .collect();
    let answered = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut sending = Vec::new();
    for (delivery, body) in events.clone() {
        let http = http.clone();
        let base = server.base.clone();
        let answered = answered.clone();
        sending.push(tokio::spawn(async move {
            if let Ok((200, _)) = deliver_gitlab(&http, &base, &delivery, &body).await {
                answered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }));
    }
    // Kill it once some deliveries are answered and others are in flight.
    let started = std::time::Instant::now();
    while answered.load(std::sync::atomic::Ordering::SeqCst) < 5
        && started.elapsed() < Duration::from_secs(10)
    {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.kill9().await;
    for task in sending {
        let _ = task.await;
    }
    let answered = answered.load(std::sync::atomic::Ordering::SeqCst);
    let decided_rows = |site: &Site| {
        let listed = run(
            site.path(),
            &["intake", "list", "--json", "--limit", "1000"],
        );
        assert!(listed.status.success(), "{listed:?}");
        let rows: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
        rows.into_iter()
            .filter(|row| row["status"] == "decided")
            .count() as u64
    };
    let written = decided_rows(&site);
    eprintln!("kill -9: {answered} of {EVENTS} answered, {written} written before it");
    assert!(written >= answered, "an answered delivery was lost");
    let server = start().await;
    for (delivery, body) in &events {
        let (status, answer) = deliver_gitlab(&http, &server.base, delivery, body)
            .await
            .unwrap();
        assert_eq!(status, 200, "{answer}");
        assert!(
            answer["status"] == "decided" || answer["status"] == "duplicate",
            "{answer}"
        );
    }
    let listed = run(
        site.path(),
        &["intake", "list", "--json", "--limit", "1000"],
    );
    assert!(listed.status.success(), "{listed:?}");
    let rows: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
    let mut decided: HashMap<String, usize> = HashMap::new();
    for row in &rows {
        if row["status"] == "decided" {
            *decided
                .entry(row["delivery_id"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
    }
    assert_eq!(
        decided.len() as u64,
        EVENTS,
        "answered before the kill: {answered}"
    );
    assert!(decided.values().all(|n| *n == 1), "{decided:?}");
    let log = server
        .call(
            "GET",
            "/v1/decisions?policy=provision-failure&limit=1000",
            &site.reader,
            None,
        )
        .await;
    assert_eq!(log.0, 200);
    assert_eq!(
        log.1["decisions"].as_array().unwrap().len() as u64,
        EVENTS,
        "one decision per event"
    );
    server.stop().await;
}

/// A wrong intake config stops `entitle serve` at startup: exit 2, one
/// line naming the key, never a secret's value.
#[test]
fn a_wrong_intake_config_is_refused_at_startup_naming_the_key() {
    let site = Site::new();
    let secret = "https://hooks.example/SECRET-VALUE";
    let cases = [
        ("[zendesk]\nsecret_env = \"S\"\nsecert = 1\n", "secert"),
        (
            "[zendesk]\nsecret_env = \"S\"\n[[zendesk.rules]]\ntag = \"x\"\npolicy = \"no-such-policy\"\n",
            "zendesk.rules[0].policy",
        ),
        (
            "[zendesk]\nsecret_env = \"S\"\n[[zendesk.rules]]\ntag = \"x\"\npolicy = \"provision-failure\"\n",
            "zendesk.rules[0].policy",
        ),
        (
            "[zendesk]\nsecret_env = \"S\"\n[[zendesk.rules]]\ntag = \"x\"\npolicy = \"license-emergency\"\n[zendesk.rules.facts]\nno_such_fact = \"f\"\n",
            "zendesk.rules[0].facts.no_such_fact",
        ),
        ("[zendesk]\nsecret_env = \"S\"\n", "zendesk.rules"),
        (
            "[zendesk]\nsecret_env = \"UNSET_VARIABLE\"\n[[zendesk.rules]]\ntag = \"x\"\npolicy = \"license-emergency\"\n",
            "zendesk.secret_env",
        ),
        (
            "[gitlab]\ntoken_env = \"https://hooks.example/SECRET-VALUE\"\n",
            "gitlab.token_env",
        ),
        (
            "[gitlab]\ntoken_env = \"S\"\nrole = \"reader\"\n",
            "gitlab.role",
        ),
        ("", "no source"),
    ];
    for (i, (toml, key)) in cases.iter().enumerate() {
        let path = site.path().join(format!("intake-{i}.toml"));
        std::fs::write(&path, toml).unwrap();
        let out = super::common::entitle(site.path())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--db",
                "entitle.db",
                "--intake",
            ])
            .arg(&path)
            .env("S", "a-secret")
            .env_remove("UNSET_VARIABLE")
            .output()
            .unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(2), "case {i}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "case {i}: {stderr}");
        assert!(stderr.contains(key), "case {i}: {stderr}");
        assert!(
            !stderr.contains(secret) && !stderr.contains("a-secret"),
            "case {i}: {stderr}"
        );
    }
}

/// The files docs/intake.md's walkthrough uses work as it says: its intake
/// config, the Zendesk ticket event (signed as the doc signs it), the
/// tracker issue filled in from the template (its guidance comments
/// included), each decided as the doc says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_files_of_docs_intake_md_work_as_it_says() {
    use entitle_http::intake::zendesk;
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(repo.join("docs/intake.md")).unwrap();
    let template =
        std::fs::read_to_string(repo.join("examples/intake/Report a provision failure.md"))
            .unwrap();
    let issue: Value = serde_json::from_str(
        &std::fs::read_to_string(repo.join("examples/intake/gitlab-issue.json")).unwrap(),
    )
    .unwrap();
    // The issue is the template filled in, comments and all.
    let description = issue["object_attributes"]["description"].as_str().unwrap();
    assert!(description.starts_with(template.lines().next().unwrap()));
    assert!(description.contains("<!--") && template.contains("<!--"));
    for line in ["- subscription: A-S00010003", "- root_cause: fixed"] {
        assert!(description.contains(line) && doc.contains(line), "{line}");
    }
    let site = Site::new();
    import_sample(&site);
    let args = args(&[("--intake", &repo.join("examples/intake/intake.toml"))]);
    let mut args = args;
    args.extend(["--clock".into(), "2026-11-21T15:00:00Z".into()]);
    let env = vec![
        ("ZENDESK_WEBHOOK_SECRET", "demo-signing-secret".to_owned()),
        ("GITLAB_WEBHOOK_TOKEN", WEBHOOK_TOKEN.to_owned()),
    ];
    let server = Server::start_with(&site, "entitle.db", &args, &env).await;
    let body = std::fs::read(repo.join("examples/intake/zendesk-ticket.json")).unwrap();
    let timestamp = "2026-11-21T15:00:00Z";
    let http = reqwest::Client::new();
    let answer: Value = http
        .post(format!("{}/v1/intake/zendesk", server.base))
        .header("content-type", "application/json")
        .header(
            zendesk::SIGNATURE_HEADER,
            zendesk::sign(b"demo-signing-secret", timestamp, &body),
        )
        .header(zendesk::TIMESTAMP_HEADER, timestamp)
        .header(zendesk::INVOCATION_HEADER, "demo-1")
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], "decided", "{answer}");
    assert_eq!(answer["outcome"], "generate-temporary-license", "{answer}");
    assert!(doc.contains("\"outcome\":\"generate-temporary-license\""));
    let (status, answer) = deliver_gitlab(&http, &server.base, "demo-gitlab-1", &issue)
        .await
        .unwrap();
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["outcome"], "request-lr-support", "{answer}");
    assert!(doc.contains("\"outcome\":\"request-lr-support\""));
    server.stop().await;
}
