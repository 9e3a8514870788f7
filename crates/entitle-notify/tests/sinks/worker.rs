//! The worker against a real store (SQLite) and a real receiver: what it
//! records when a receiver asks for a retry in a long while.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{DateTime, TimeDelta, Utc};
use entitle_notify::{ActionsConfig, MAX_RETRY_DELAY_SECONDS, Worker};
use entitle_store::{ActionFilter, ActionRecord, ActionStatus, NewDecision, Routes, Store};
use serde_json::json;

use super::common::env;
use super::receiver::{Receiver, Reply};

/// A weekend-emergency decision whose first action (`email-license`) goes to the
/// sink `chat`; the rest are manual tasks.
fn decision() -> NewDecision {
    let facts = json!({
        "customer": {"status": "paid"},
        "license": {"expires_on": "2026-11-04", "plan": "premium", "starts_on": "2025-11-04",
                    "trial": false, "users": 120},
        "requester_email": "ops@example.com",
        "screenshot_user_count": 134,
        "screenshots": {"admin_dashboard": true, "license_page": true},
        "ticket_url": "https://support.example.com/tickets/4711"
    });
    let now: DateTime<Utc> = "2026-11-21T10:00:00Z".parse().unwrap();
    let config = entitle::config::PolicyConfig::default();
    let report = entitle::decide_json(
        "weekend-emergency",
        facts.to_string().as_bytes(),
        now,
        &config,
    )
    .unwrap();
    let routes = Routes::new().route("email-license", ["chat"]);
    NewDecision::from_report(report.clone(), facts, "support-engineer", "req-1", None)
        .with_actions(&routes, Some("tok-1"))
        .unwrap()
}

/// A store (in `dir`) holding [`decision`], and a worker whose sink `chat`
/// is Slack at `receiver`, with `worker_toml` as its `[worker]` table.
async fn chat_worker(
    dir: &tempfile::TempDir,
    receiver: &Receiver,
    worker_toml: &str,
) -> (Store, String, Worker) {
    let db = dir.path().join("entitle.db");
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let logged = store.log().append(decision()).await.unwrap();
    let config = ActionsConfig::from_toml(
        &format!(
            "[worker]\n{worker_toml}\n[sinks.chat]\nkind = \"slack\"\nurl_env = \"CHAT_URL\"\ntimeout_seconds = 5\n"
        ),
        env(&[("CHAT_URL", &format!("{}/hook", receiver.url))]),
    )
    .unwrap();
    let worker = Worker::new(store.clone(), config.sinks, config.worker);
    (store, logged.decision_id, worker)
}

/// The step of decision `id` that went to the sink `chat`.
async fn chat_step(store: &Store, id: &str) -> ActionRecord {
    let steps = store
        .outbox()
        .actions(&ActionFilter {
            decision: Some(id.to_owned()),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    steps.into_iter().find(|s| s.sink == "chat").unwrap()
}

/// A 503 with `Retry-After: 9000000000000` (285,000 years) is a failure to
/// retry in at most 30 days, recorded at once (#20 item 4: `now + delay`
/// overflowed, the delivery's task panicked, and the step stayed in flight
/// with no error until its lease ran out).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_retry_after_is_a_retry_in_at_most_30_days() {
    for retry_after in ["9000000000000", "18446744073709551615"] {
        let receiver =
            Receiver::always(Reply::text(503, "busy").header("retry-after", retry_after)).await;
        let dir = tempfile::tempdir().unwrap();
        let (store, decision_id, worker) = chat_worker(&dir, &receiver, "").await;

        let before = Utc::now();
        let stats = worker.run_once().await.unwrap();
        assert_eq!((stats.claimed, stats.retrying), (1, 1), "{stats:?}");
        assert_eq!(receiver.requests().len(), 1);

        let chat = chat_step(&store, &decision_id).await;
        assert_eq!(chat.status, ActionStatus::Failed, "{chat:#?}");
        assert!(
            chat.last_error.as_deref().unwrap().contains("503"),
            "{chat:#?}"
        );
        let at = chat.next_attempt_at.unwrap();
        let ceiling = TimeDelta::seconds(i64::try_from(MAX_RETRY_DELAY_SECONDS).unwrap());
        assert!(
            at >= before + ceiling - TimeDelta::seconds(1)
                && at <= Utc::now() + ceiling + TimeDelta::seconds(1),
            "{at}"
        );
        assert!(chat.lease_until.is_none(), "{chat:#?}");
        store.close().await;
    }
}

/// A step that fails its last attempt dies, and its error says how many
/// attempts it had in words that count: `1 attempt`, not `1 attempts` (the
/// console's queue showed "gave up after 1 attempts").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_that_gives_up_says_after_how_many_attempts() {
    let receiver = Receiver::always(Reply::text(503, "down")).await;
    let dir = tempfile::tempdir().unwrap();
    let (store, decision_id, worker) = chat_worker(&dir, &receiver, "max_attempts = 1\n").await;
    worker.run_once().await.unwrap();

    let chat = chat_step(&store, &decision_id).await;
    assert_eq!(chat.status, ActionStatus::Dead, "{chat:#?}");
    let error = chat.last_error.as_deref().unwrap();
    assert!(
        error.contains("503") && error.ends_with("(gave up after 1 attempt)"),
        "{error}"
    );
    store.close().await;
}
