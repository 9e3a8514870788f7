//! Measures the decision log: entries per second with group commit and with
//! one transaction per entry, on a SQLite file and, when
//! `ENTITLE_TEST_POSTGRES_URL` is set, on PostgreSQL.
//!
//! ```text
//! cargo run --release -p entitle-store --example log_throughput [-- ENTRIES CONCURRENCY]
//! ```
//!
//! Each run writes ENTRIES (default 20,000) entries from CONCURRENCY
//! (default 64) concurrent tasks, each awaiting its own acknowledgement, and
//! prints one line per back-end and mode (`group`: group commit; `single`:
//! one transaction per entry; `-normal`: SQLite with `synchronous = NORMAL`
//! instead of `FULL`; `group-actions`: group commit, every entry with the
//! weekend page's three actions, four outbox steps, written in the same
//! transaction):
//! `log backend=sqlite mode=group entries=.. transactions=.. entries_per_s=..`.
#![expect(
    clippy::unwrap_used,
    reason = "an example on its own fixed inputs: a panic is a broken example, reported at once"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use entitle::policy::LicenseEffect;
use entitle_store::{JsonText, NewAction, NewDecision, SqliteSynchronous, Store, StoreOptions};
use serde_json::json;

/// The weekend page's actions, routed: the license (generator, then email),
/// the channel post needing it, the record reporting on it (manual).
fn weekend_actions(facts: &serde_json::Value) -> Vec<NewAction> {
    let action = |id: &str, sinks: &[&str]| NewAction {
        action_id: id.to_owned(),
        sinks: sinks.iter().map(|s| (*s).to_owned()).collect(),
        needs: None,
        reports: None,
        license: LicenseEffect::None,
        payload: JsonText::from(json!({
            "action": id, "text": "...", "policy": "weekend-emergency", "policy_version": 1,
            "outcome": "generate-temporary-license",
            "details": {"plan": "ultimate", "users": 48, "days": 5, "email": "it-admin@acme.example"},
            "facts": facts, "ticket": {"id": null, "url": facts["ticket_url"]},
            "requester_email": "it-admin@acme.example",
            "actor": {"role": "support-engineer", "user": "bench"}
        })),
    };
    let mut email = action("email-license", &["license-generator", "email"]);
    email.license = LicenseEffect::Create;
    let mut post = action("post-to-licensing-channel", &["slack"]);
    post.needs = Some("email-license".to_owned());
    let mut record = action("record-internal-request", &[]);
    record.reports = Some("email-license".to_owned());
    vec![email, post, record]
}

fn entry(n: usize, with_actions: bool) -> NewDecision {
    let mut entry = plain_entry(n);
    if with_actions {
        let facts = entry.facts.to_value().unwrap();
        entry.actions = weekend_actions(&facts);
        entry.action_ticket = Some(format!("https://support.example/tickets/{n}"));
    }
    entry
}

/// The weekend decision every entry logs, made once.
fn report() -> std::sync::Arc<entitle::DecisionReport> {
    static REPORT: std::sync::OnceLock<std::sync::Arc<entitle::DecisionReport>> =
        std::sync::OnceLock::new();
    REPORT
        .get_or_init(|| {
            std::sync::Arc::new(entitle::DecisionReport {
                policy: "weekend-emergency",
                version: 1,
                now: chrono::Utc::now(),
                outcome: "generate-temporary-license",
                outcome_text: "",
                details: entitle::policy::Details {
                    plan: Some(entitle::domain::Plan::Ultimate),
                    users: Some(48),
                    days: Some(5),
                    email: Some("it-admin@acme.example".to_owned()),
                    ..entitle::policy::Details::default()
                },
                stable_until: Some(chrono::Utc::now()),
                config: entitle::config::PolicyConfig::default(),
                trace: vec![entitle::graph::Step {
                    node: "weekend",
                    question: "Is it a weekend?",
                    answer: "yes",
                    detail: None,
                    changes_at: None,
                    node_index: 0,
                    answer_index: 0,
                }],
                subject: entitle::policy::Subject::default(),
            })
        })
        .clone()
}

fn plain_entry(n: usize) -> NewDecision {
    NewDecision {
        report: report(),
        facts: json!({
            "customer": {"status": "paid"},
            "license": {"plan": "premium", "trial": false, "starts_on": "2025-11-04",
                        "expires_on": "2026-11-04", "users": 48},
            "screenshots": {"admin_dashboard": true, "license_page": true},
            "screenshot_user_count": 48,
            "requester_email": "it-admin@acme.example",
            "ticket_url": format!("https://support.example/tickets/{n}")
        })
        .into(),
        role: "support-engineer".to_owned(),
        request_id: format!("bench-{n}"),
        ticket_id: Some(format!("T-{}", n % 1000)),
        actions: Vec::new(),
        action_ticket: None,
    }
}

async fn run(
    url: &str,
    backend: &str,
    mode: &str,
    batch_max: usize,
    entries: usize,
    concurrency: usize,
) {
    let store = Store::open_with(
        url,
        StoreOptions {
            log_batch_max: batch_max,
            sqlite_synchronous: if mode.ends_with("normal") {
                SqliteSynchronous::Normal
            } else {
                SqliteSynchronous::Full
            },
            ..StoreOptions::default()
        },
    )
    .await
    .unwrap();
    let with_actions = mode.ends_with("actions");
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let store = store.clone();
        let next = Arc::clone(&next);
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= entries {
                    break;
                }
                let logged = store.log().append(entry(n, with_actions)).await.unwrap();
                assert_eq!(logged.actions.len(), if with_actions { 4 } else { 0 });
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let stats = store.log().stats();
    assert_eq!(stats.entries as usize, entries);
    println!(
        "log backend={backend} mode={mode} entries={entries} concurrency={concurrency} transactions={} largest_batch={} seconds={elapsed:.2} entries_per_s={:.0}",
        stats.transactions,
        stats.largest_batch,
        entries as f64 / elapsed
    );
    store.close().await;
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    let entries = args.first().copied().unwrap_or(20_000);
    let concurrency = args.get(1).copied().unwrap_or(64);
    let dir = std::env::temp_dir().join(format!("entitle-log-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (mode, batch) in [
        ("group", 512),
        ("single", 1),
        ("group-normal", 512),
        ("single-normal", 1),
        ("group-actions", 512),
    ] {
        let n = if batch == 1 {
            entries.min(2_000)
        } else {
            entries
        };
        let url = format!("sqlite://{}", dir.join(format!("{mode}.db")).display());
        run(&url, "sqlite", mode, batch, n, concurrency).await;
    }
    std::fs::remove_dir_all(&dir).unwrap();
    match std::env::var("ENTITLE_TEST_POSTGRES_URL") {
        Ok(base) => {
            // A database of its own, dropped at the end: the server's other
            // databases (and their schema versions) are left alone.
            let name = format!("entitle_log_bench_{}", std::process::id());
            admin(&base, &format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            let url = entitle_test_support::postgres::with_database(&base, &name);
            for (mode, batch) in [("group", 512), ("single", 1), ("group-actions", 512)] {
                let n = if batch == 1 {
                    entries.min(5_000)
                } else {
                    entries
                };
                run(&url, "postgres", mode, batch, n, concurrency).await;
            }
            // Best effort: a backend of the server's own (autovacuum) may
            // still be connected for a moment.
            let drop = format!("DROP DATABASE IF EXISTS {name}");
            for attempt in 0..10 {
                match admin(&base, &drop).await {
                    Ok(()) => break,
                    Err(e) if attempt == 9 => eprintln!("could not drop {name}: {e}"),
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
                }
            }
        }
        Err(_) => println!("skipped: ENTITLE_TEST_POSTGRES_URL not set (postgres)"),
    }
}

/// Runs `sql` on the server's default database.
async fn admin(base: &str, sql: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(base).await?;
    sqlx::query(sql).execute(&mut conn).await?;
    conn.close().await
}
