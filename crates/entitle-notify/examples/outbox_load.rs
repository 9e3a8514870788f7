//! What the actions outbox costs and how fast it delivers, measured in one
//! process against a local receiver:
//!
//! 1. logged decisions per second over HTTP (`entitle serve`'s router, the
//!    durable SQLite log) for a decision whose outcome carries no action and
//!    for one whose three actions are routed and written to the outbox with
//!    it (weekend-emergency: `not-lapsed` vs `generate-temporary-license`,
//!    each ticket new), alternating rounds, medians;
//! 2. deliveries per second of the worker draining that outbox with N
//!    concurrent deliveries to a local receiver;
//! 3. lost (a step never received) and duplicated (a key received twice).
//!
//! With `--crash`, then a kill -9 run: a worker in a child process
//! delivers another such outbox (the channel post to a Slack sink, which
//! does not deduplicate and resends when in doubt) and is killed with
//! SIGKILL while deliveries are under way; a worker in this process
//! finishes the outbox once the dead worker's leases run out. `in_doubt` is
//! the number of steps the crash left in doubt (found in flight, their
//! attempt perhaps received): resent (Slack) or held for a person.
//!
//! ```sh
//! cargo run --release -p entitle-notify --example outbox_load
//! cargo run --release -p entitle-notify --example outbox_load -- --decisions 2000 --clients 8 --concurrency 32
//! cargo run --release -p entitle-notify --example outbox_load -- --crash
//! ```
//!
//! The last line is
//! `outbox deliveries_per_s=<x> decide_with_actions_per_s=<y> decide_without_per_s=<z> lost=<n> duplicated=<m>`,
//! with ` in_doubt=<k>` added after a `--crash` run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::HeaderMap;
use entitle_http::auth::{Role, TokenFile, TokenSource, Tokens};
use entitle_http::{AppState, ServerOptions};
use entitle_notify::{ActionsConfig, Worker};
use serde_json::{Value, json};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

struct Args {
    decisions: usize,
    clients: usize,
    concurrency: u32,
    rounds: usize,
    crash: bool,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut args = Args {
        decisions: 1000,
        clients: 8,
        concurrency: 32,
        rounds: 3,
        crash: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--crash" {
            args.crash = true;
            continue;
        }
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--decisions" => args.decisions = value.parse()?,
            "--clients" => args.clients = value.parse()?,
            "--concurrency" => args.concurrency = value.parse()?,
            "--rounds" => args.rounds = value.parse()?,
            _ => return Err(format!("unknown flag {flag}").into()),
        }
    }
    if args.decisions == 0 || args.clients == 0 || args.concurrency == 0 || args.rounds == 0 {
        return Err("every count must be at least 1".into());
    }
    Ok(args)
}

/// Requests received, by `Idempotency-Key`.
type Seen = Arc<Mutex<HashMap<String, u32>>>;

async fn receiver(seen: Seen) -> Result<String, BoxError> {
    let app = Router::new().fallback(move |headers: HeaderMap| {
        let seen = seen.clone();
        async move {
            let key = headers
                .get("idempotency-key")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            if let Ok(mut seen) = seen.lock() {
                *seen.entry(key).or_default() += 1;
            }
            axum::Json(json!({"license": "LOAD-TEST-LICENSE"}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

fn facts(lapsed: bool, ticket: usize) -> Value {
    let expires_on = if lapsed { "2026-11-04" } else { "2027-11-04" };
    json!({
        "now": "2026-11-21T10:00:00Z",
        "facts": {
            "customer": {"status": "paid"},
            "license": {"plan": "premium", "trial": false, "starts_on": "2025-11-04",
                        "expires_on": expires_on, "users": 120},
            "screenshots": {"admin_dashboard": true, "license_page": true},
            "screenshot_user_count": 134,
            "requester_email": "ops@example.com",
            "ticket_url": format!("https://support.example.com/tickets/{ticket}")
        }
    })
}

/// Decisions per second for `count` decisions by `clients` concurrent
/// clients; `first_ticket` keeps tickets distinct across rounds.
async fn decide_phase(
    url: &str,
    token: &str,
    lapsed: bool,
    count: usize,
    clients: usize,
    first_ticket: usize,
) -> Result<f64, BoxError> {
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, url, token) = (client.clone(), url.to_owned(), token.to_owned());
        let mine: Vec<usize> = (c..count).step_by(clients).collect();
        tasks.push(tokio::spawn(async move {
            for i in mine {
                let response = client
                    .post(format!("{url}/v1/decisions/weekend-emergency"))
                    .bearer_auth(&token)
                    .json(&facts(lapsed, first_ticket + i))
                    .send()
                    .await?;
                if !response.status().is_success() {
                    return Err(format!("decision answered {}", response.status()).into());
                }
                response.bytes().await?;
            }
            Ok::<(), BoxError>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// The kill -9 run's config: the license tool and the record keyed (a
/// signed webhook), the channel post to Slack; every sink times out after
/// 1 s, so a dead worker's claims are taken over after 7 s.
fn crash_config(receiver_url: &str) -> String {
    format!(
        r#"
[routes]
"email-license" = "generator"
"post-to-licensing-channel" = "chat"
"record-internal-request" = "hook"

[sinks.generator]
kind = "license-generator"
url = "{receiver_url}/licenses"
timeout_seconds = 1

[sinks.chat]
kind = "slack"
url_env = "LOAD_SLACK_URL"
timeout_seconds = 1

[sinks.hook]
kind = "webhook"
url = "{receiver_url}/hook"
secret_env = "HOOK_SECRET"
timeout_seconds = 1

[worker]
concurrency = 16
poll_interval_ms = 20
"#
    )
}

/// The secrets of [`crash_config`].
fn crash_env(receiver_url: &str) -> impl Fn(&str) -> Option<String> + use<> {
    let slack = format!("{receiver_url}/slack");
    move |name| match name {
        "HOOK_SECRET" => Some("load-test-secret".to_owned()),
        "LOAD_SLACK_URL" => Some(slack.clone()),
        _ => None,
    }
}

/// The child of a `--crash` run: delivers the outbox of `db` as `config`
/// says until it is killed.
async fn worker_child(db: &str, receiver_url: &str) -> Result<(), BoxError> {
    let actions = ActionsConfig::from_toml(&crash_config(receiver_url), crash_env(receiver_url))?;
    let store = entitle_store::Store::open(db).await?;
    let worker = Worker::new(store, actions.sinks, actions.worker);
    worker.run(std::future::pending::<()>()).await;
    Ok(())
}

/// The kill -9 run: returns how many steps were left in doubt, and
/// prints what it saw.
async fn crash_run(args: &Args, token_file: &TokenFile, token: &str) -> Result<usize, BoxError> {
    let seen: Seen = Arc::default();
    let receiver_url = receiver(seen.clone()).await?;
    let actions = ActionsConfig::from_toml(&crash_config(&receiver_url), crash_env(&receiver_url))?;
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("crash.db").display().to_string();
    let store = entitle_store::Store::open(&db).await?;
    let options = ServerOptions {
        routes: actions.routes.clone().into_iter().collect(),
        ..ServerOptions::default()
    };
    let state = AppState::new(
        store.clone(),
        TokenSource::fixed(Tokens::from_file(token_file)),
        options,
    );
    let server = entitle_http::spawn("127.0.0.1:0".parse()?, state).await?;
    let decisions = args.decisions;
    decide_phase(
        &server.url(),
        token,
        true,
        decisions,
        args.clients,
        5_000_000,
    )
    .await?;
    let expected = 3 * decisions;

    let mut child = tokio::process::Command::new(std::env::current_exe()?)
        .args(["--worker-child", &db, &receiver_url])
        .kill_on_drop(true)
        .spawn()?;
    let received = |seen: &Seen| seen.lock().map(|s| s.len()).unwrap_or(0);
    let started = Instant::now();
    while received(&seen) < expected / 3 && started.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    child.start_kill()?;
    child.wait().await?;
    let at_kill = received(&seen);

    // This process finishes the outbox once the dead worker's leases run out.
    let worker = Worker::new(store.clone(), actions.sinks, actions.worker);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        worker.run_once().await?;
        let open = store
            .outbox()
            .actions(&entitle_store::ActionFilter {
                manual: Some(false),
                limit: 10_000,
                ..entitle_store::ActionFilter::default()
            })
            .await?
            .iter()
            .filter(|a| !a.status.is_settled())
            .count();
        if open == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let steps = store
        .outbox()
        .actions(&entitle_store::ActionFilter {
            limit: 10_000,
            ..entitle_store::ActionFilter::default()
        })
        .await?;
    let mut in_doubt = 0;
    for step in &steps {
        let detail = store.outbox().action(&step.id).await?;
        let doubted = step.status == entitle_store::ActionStatus::InDoubt
            || detail
                .events
                .iter()
                .any(|e| e.note.as_deref().is_some_and(|n| n.starts_with("in doubt")));
        if doubted {
            in_doubt += 1;
        }
    }
    let (lost, repeated) = {
        let seen = seen.lock().map_err(|_| "receiver lock poisoned")?;
        (
            expected.saturating_sub(seen.len()),
            seen.values().filter(|&&n| n > 1).count(),
        )
    };
    server.shutdown().await?;
    store.close().await;
    println!(
        "kill -9 run: {decisions} decisions, {expected} steps; {at_kill} received when the worker was killed; \
         lost={lost}; {repeated} keys received again (keyed sinks deduplicate them; Slack posts resent in doubt); in_doubt={in_doubt}"
    );
    Ok(in_doubt)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let raw: Vec<String> = std::env::args().collect();
    if let [_, flag, db, receiver_url] = raw.as_slice()
        && flag == "--worker-child"
    {
        return worker_child(db, receiver_url).await;
    }
    let args = parse_args()?;
    let seen: Seen = Arc::default();
    let receiver_url = receiver(seen.clone()).await?;
    let config = format!(
        r#"
[routes]
"email-license" = "generator"
"post-to-licensing-channel" = "hook"
"record-internal-request" = "hook"

[sinks.generator]
kind = "license-generator"
url = "{receiver_url}/licenses"

[sinks.hook]
kind = "webhook"
url = "{receiver_url}/hook"
secret_env = "HOOK_SECRET"

[worker]
concurrency = {concurrency}
"#,
        concurrency = args.concurrency
    );
    let actions = ActionsConfig::from_toml(&config, |name| {
        (name == "HOOK_SECRET").then(|| "load-test-secret".to_owned())
    })?;

    let dir = tempfile::tempdir()?;
    let db = dir.path().join("entitle.db");
    let store = entitle_store::Store::open(&db.display().to_string()).await?;
    let mut file = TokenFile::default();
    let (token, _) = file.add(Role::SupportEngineer, chrono::Utc::now())?;
    let options = ServerOptions {
        routes: actions.routes.clone().into_iter().collect(),
        ..ServerOptions::default()
    };
    let state = AppState::new(
        store.clone(),
        TokenSource::fixed(Tokens::from_file(&file)),
        options,
    );
    let server = entitle_http::spawn("127.0.0.1:0".parse()?, state).await?;
    let url = server.url();

    // Warm up both shapes, then alternate rounds.
    decide_phase(&url, &token, false, 50, args.clients, 0).await?;
    decide_phase(&url, &token, true, 50, args.clients, 1_000_000).await?;
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for round in 0..args.rounds {
        let first = 2_000_000 + round * args.decisions;
        without.push(decide_phase(&url, &token, false, args.decisions, args.clients, 0).await?);
        with.push(decide_phase(&url, &token, true, args.decisions, args.clients, first).await?);
    }
    let (with, without) = (median(with), median(without));
    println!(
        "decisions over HTTP, {} clients, durable SQLite log: without actions {without:.0}/s, with 3 routed actions {with:.0}/s (ratio {:.2})",
        args.clients,
        with / without
    );

    // Everything decided with actions: the warm-up and every round.
    let expected = 3 * (50 + args.rounds * args.decisions);
    let worker = Worker::new(store.clone(), actions.sinks, actions.worker);
    let started = Instant::now();
    let mut delivered = 0;
    let deadline = started + Duration::from_secs(600);
    while delivered < expected && Instant::now() < deadline {
        let stats = worker.run_once().await?;
        delivered += stats.delivered;
        if stats.claimed == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let deliveries_per_s = delivered as f64 / started.elapsed().as_secs_f64();
    println!(
        "worker: {delivered} deliveries with {} concurrent to a local receiver: {deliveries_per_s:.0}/s",
        args.concurrency
    );
    let (lost, duplicated) = {
        let seen = seen.lock().map_err(|_| "receiver lock poisoned")?;
        let received = seen.len();
        (
            expected.saturating_sub(received),
            seen.values().filter(|&&n| n > 1).count(),
        )
    };
    server.shutdown().await?;
    store.close().await;
    let in_doubt = if args.crash {
        let n = crash_run(&args, &file, &token).await?;
        format!(" in_doubt={n}")
    } else {
        String::new()
    };
    println!(
        "outbox deliveries_per_s={deliveries_per_s:.0} decide_with_actions_per_s={with:.0} decide_without_per_s={without:.0} lost={lost} duplicated={duplicated}{in_doubt}"
    );
    Ok(())
}
