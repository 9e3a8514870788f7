//! What intake costs, measured in one process: signed Zendesk ticket
//! events through `POST /v1/intake/zendesk` to a logged decision (each
//! ticket upserted into the store and decided from its records), one in
//! five of them a redelivery, against `POST /v1/decisions/license-emergency`
//! on the same facts (the facts the intake decisions were made on, read
//! back from the log), each phase on a fresh SQLite file of its own, with
//! the same number of concurrent clients. Also, for information, GitLab
//! issue events against the same direct decisions of `provision-failure`.
//!
//! ```sh
//! cargo run --release -p entitle-http --example intake_load
//! cargo run --release -p entitle-http --example intake_load -- --events 4000 --clients 32
//! ```
//!
//! The last line is
//! `intake events_per_s=<x> decide_per_s=<y> duplicates_started=<n>`:
//! Zendesk events (redeliveries included) per second, direct decisions per
//! second, and the decisions a redelivery started (must be 0).

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use entitle_http::auth::{Role, TokenFile, TokenSource, Tokens};
use entitle_http::intake::{IntakeConfig, zendesk};
use entitle_http::{AppState, Clock, RunningServer, ServerOptions};
use entitle_store::{Records, Store};
use serde_json::{Value, json};

type BoxError = Box<dyn Error + Send + Sync>;

const SECRET: &str = "intake-load-signing-secret";
const TOKEN: &str = "intake-load-gitlab-token";

struct Args {
    events: usize,
    clients: usize,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        events: 2000,
        clients: 16,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let text = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let value: usize = text
            .parse()
            .map_err(|e| format!("{flag} `{text}`: not a count ({e})"))?;
        match flag.as_str() {
            "--events" => args.events = value.clamp(10, 1_000_000),
            "--clients" => args.clients = value.clamp(1, 512),
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    Ok(args)
}

/// A request: path, headers, body.
struct Call {
    path: String,
    headers: Vec<(&'static str, String)>,
    body: String,
}

/// Sends `calls` from `clients` concurrent clients; the answers' bodies,
/// in order, and the time taken.
async fn run(
    base: &str,
    calls: Vec<Call>,
    clients: usize,
) -> Result<(Vec<Value>, Duration), BoxError> {
    let calls = Arc::new(calls);
    let answers = Arc::new(std::sync::Mutex::new(vec![Value::Null; calls.len()]));
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()?;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (calls, answers, next, http) =
            (calls.clone(), answers.clone(), next.clone(), http.clone());
        let base = base.to_owned();
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(call) = calls.get(i) else {
                    return Ok::<(), BoxError>(());
                };
                let mut request = http
                    .post(format!("{base}{}", call.path))
                    .header("content-type", "application/json")
                    .body(call.body.clone());
                for (name, value) in &call.headers {
                    request = request.header(*name, value);
                }
                let response = request.send().await?;
                let status = response.status();
                let body: Value = response.json().await?;
                if !status.is_success() {
                    return Err(format!("{} answered {status}: {body}", call.path).into());
                }
                if let Ok(mut answers) = answers.lock() {
                    if let Some(slot) = answers.get_mut(i) {
                        *slot = body;
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();
    let answers = answers.lock().map_err(|_| "poisoned")?.clone();
    Ok((answers, elapsed))
}

async fn server(
    dir: &std::path::Path,
    name: &str,
    now: DateTime<Utc>,
    tokens: &TokenFile,
) -> Result<RunningServer, BoxError> {
    let store = Store::open(&format!("sqlite://{}", dir.join(name).display())).await?;
    let sample: Records =
        serde_json::from_str(include_str!("../../../examples/data/support.json"))?;
    store.records().put(&sample).await?;
    let config = "[zendesk]\nsecret_env = \"S\"\n[[zendesk.rules]]\ntag = \"license_emergency\"\npolicy = \"license-emergency\"\n[gitlab]\ntoken_env = \"T\"\n";
    let intake = IntakeConfig::from_toml(config, |name| match name {
        "S" => Some(SECRET.to_owned()),
        "T" => Some(TOKEN.to_owned()),
        _ => None,
    })?;
    let options = ServerOptions {
        intake,
        clock: Clock::fixed(now),
        ..ServerOptions::default()
    };
    let state = AppState::new(
        store,
        TokenSource::fixed(Tokens::from_file(tokens)),
        options,
    );
    Ok(entitle_http::spawn("127.0.0.1:0".parse()?, state).await?)
}

/// The deliveries: `events` in all, every fifth one a redelivery of an
/// earlier event.
fn zendesk_calls(events: usize, now: DateTime<Utc>) -> (Vec<Call>, usize) {
    let timestamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut calls = Vec::with_capacity(events);
    let mut unique = 0;
    for i in 0..events {
        let n = if i % 5 == 4 { i - 2 } else { i };
        if n == i {
            unique += 1;
        }
        let body = json!({"ticket": {
            "id": format!("{}", 100_000 + n),
            "url": format!("https://example.zendesk.com/agent/tickets/{}", 100_000 + n),
            "requester_email": "ops@globex.example",
            "tags": "license_emergency",
            "fields": {
                "subscription_id": "A-S00010002",
                "admin_dashboard_screenshot": "true",
                "license_page_screenshot": "true",
                "screenshot_user_count": "118"
            }
        }})
        .to_string();
        let signature = zendesk::sign(SECRET.as_bytes(), &timestamp, body.as_bytes());
        calls.push(Call {
            path: "/v1/intake/zendesk".to_owned(),
            headers: vec![
                (zendesk::SIGNATURE_HEADER, signature),
                (zendesk::TIMESTAMP_HEADER, timestamp.clone()),
                (zendesk::INVOCATION_HEADER, format!("inv-{n}")),
            ],
            body,
        });
    }
    (calls, unique)
}

fn gitlab_calls(events: usize) -> (Vec<Call>, Vec<Value>) {
    let mut calls = Vec::with_capacity(events);
    let mut facts = Vec::new();
    for i in 0..events {
        let n = if i % 5 == 4 { i - 2 } else { i };
        let description = format!(
            "## Report a provision failure\n- subscription: A-S{n:08}\n- kind: Zuora callback failed\n- occurred_at: 2026-11-21T10:15:00Z\n- customer_email: billing@initech.example\n- fulfillment_resolved: no\n- needs_lr_intervention: yes\n- root_cause: fixed\n"
        );
        if n == i {
            facts.push(json!({
                "failure": {"subscription": format!("A-S{n:08}"), "kind": "Zuora callback failed", "occurred_at": "2026-11-21T10:15:00Z"},
                "fulfillment_resolved": false, "needs_lr_intervention": true, "root_cause": "fixed",
                "customer_email": "billing@initech.example"
            }));
        }
        let body = json!({
            "object_kind": "issue",
            "object_attributes": {
                "iid": n, "action": "open",
                "url": format!("https://gitlab.example.com/support/internal-requests/-/issues/{n}"),
                "description": description
            }
        })
        .to_string();
        calls.push(Call {
            path: "/v1/intake/gitlab".to_owned(),
            headers: vec![
                ("x-gitlab-token", TOKEN.to_owned()),
                ("x-gitlab-event", "Issue Hook".to_owned()),
                ("idempotency-key", format!("gl-{n}")),
            ],
            body,
        });
    }
    (calls, facts)
}

fn direct_calls(policy: &str, facts: &[Value], now: DateTime<Utc>, engineer: &str) -> Vec<Call> {
    let now = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    facts
        .iter()
        .map(|facts| Call {
            path: format!("/v1/decisions/{policy}"),
            headers: vec![("authorization", format!("Bearer {engineer}"))],
            body: json!({"facts": facts, "now": now}).to_string(),
        })
        .collect()
}

/// Decisions a redelivery started: decided answers beyond one per event.
fn duplicates_started(answers: &[Value], unique: usize) -> usize {
    answers
        .iter()
        .filter(|a| a.get("status").and_then(Value::as_str) == Some("decided"))
        .count()
        .saturating_sub(unique)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = parse_args()?;
    let dir = tempfile::tempdir()?;
    let now: DateTime<Utc> = "2026-11-21T15:00:00Z".parse()?;
    let mut tokens = TokenFile::default();
    let (engineer, _) = tokens.add(Role::SupportEngineer, Utc::now())?;
    let engineer = engineer.as_str();

    // Zendesk events, then the same facts decided directly.
    let intake = server(dir.path(), "zendesk.db", now, &tokens).await?;
    let (calls, unique) = zendesk_calls(args.events, now);
    let (answers, zendesk_time) = run(&intake.url(), calls, args.clients).await?;
    let zendesk_dups = duplicates_started(&answers, unique);
    let http = reqwest::Client::new();
    let mut facts = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut url = format!("{}/v1/decisions?limit=1000", intake.url());
        if let Some(b) = &before {
            url.push_str(&format!("&before={b}"));
        }
        let page: Value = http
            .get(url)
            .bearer_auth(engineer)
            .send()
            .await?
            .json()
            .await?;
        let entries = page.get("decisions").and_then(Value::as_array);
        for entry in entries.into_iter().flatten() {
            facts.push(entry.get("facts").cloned().unwrap_or(Value::Null));
        }
        match page.get("next_before").and_then(Value::as_str) {
            Some(next) => before = Some(next.to_owned()),
            None => break,
        }
    }
    let _ = intake.shutdown().await;
    let direct = server(dir.path(), "direct.db", now, &tokens).await?;
    let calls = direct_calls("license-emergency", &facts, now, engineer);
    let (_, direct_time) = run(&direct.url(), calls, args.clients).await?;
    let _ = direct.shutdown().await;

    // GitLab events, then the same facts decided directly.
    let intake = server(dir.path(), "gitlab.db", now, &tokens).await?;
    let (calls, gitlab_facts) = gitlab_calls(args.events);
    let (answers, gitlab_time) = run(&intake.url(), calls, args.clients).await?;
    let gitlab_dups = duplicates_started(&answers, gitlab_facts.len());
    let _ = intake.shutdown().await;
    let direct = server(dir.path(), "direct-pf.db", now, &tokens).await?;
    let calls = direct_calls("provision-failure", &gitlab_facts, now, engineer);
    let (_, gitlab_direct_time) = run(&direct.url(), calls, args.clients).await?;
    let _ = direct.shutdown().await;

    let rate = |n: usize, t: Duration| n as f64 / t.as_secs_f64().max(1e-9);
    let zendesk_rate = rate(args.events, zendesk_time);
    let direct_rate = rate(facts.len(), direct_time);
    let gitlab_rate = rate(args.events, gitlab_time);
    let gitlab_direct_rate = rate(gitlab_facts.len(), gitlab_direct_time);
    println!(
        "zendesk: {} events ({} distinct) from {} clients: {:.0}/s; direct license-emergency decisions on the same facts: {:.0}/s; ratio {:.2}",
        args.events,
        unique,
        args.clients,
        zendesk_rate,
        direct_rate,
        zendesk_rate / direct_rate
    );
    println!(
        "gitlab: {} events ({} distinct): {:.0}/s; direct provision-failure decisions: {:.0}/s; ratio {:.2}; duplicates started {}",
        args.events,
        gitlab_facts.len(),
        gitlab_rate,
        gitlab_direct_rate,
        gitlab_rate / gitlab_direct_rate,
        gitlab_dups
    );
    println!(
        "intake events_per_s={zendesk_rate:.0} decide_per_s={direct_rate:.0} duplicates_started={zendesk_dups}"
    );
    Ok(())
}
