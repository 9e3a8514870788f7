//! The actions outbox against SQLite and PostgreSQL (see `tests/common`):
//! atomicity with the decision log, order and cascade (the weekend page's
//! flows), one license per ticket under concurrency, `Regenerate`, claiming
//! (leases, stale tokens, concurrent claimers in two pools), the people's
//! transitions and their errors, events, and the follow-up facts.
#![expect(
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use crate::common;

use entitle_test_support::on_both;

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::TestDb;
use entitle::policy::LicenseEffect;
use entitle_store::{
    ActionChange, ActionFilter, ActionRecord, ActionStatus, DecisionFilter, HandMade, JsonText,
    LoggedDecision, NewAction, NewDecision, Redelivery, Routes, Store, StoreError, Violation,
};
use serde_json::{Value, json};
use sqlx::Connection;

const WEEKEND_NOW: &str = "2026-11-21T10:00:00Z";

fn t(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn weekend_facts(url: &str) -> Value {
    json!({
        "customer": {"status": "paid"},
        "license": {"expires_on": "2026-11-04", "plan": "premium", "starts_on": "2025-11-04",
                    "trial": false, "users": 120},
        "requester_email": "ops@example.com",
        "screenshot_user_count": 134,
        "screenshots": {"admin_dashboard": true, "license_page": true},
        "ticket_url": url
    })
}

fn routes() -> Routes {
    Routes::new()
        .route("email-license", ["license-generator", "email"])
        .route("post-to-licensing-channel", ["slack"])
        .route("record-internal-request", ["internal-requests"])
        .route("generate-license", ["license-generator"])
}

/// A `weekend-emergency` decision (license to generate) for the stored
/// ticket `ticket`, or for the ticket at `url`, with its actions routed.
fn weekend(ticket: Option<&str>, url: &str, request: &str) -> NewDecision {
    let facts = weekend_facts(url);
    let config = entitle::config::PolicyConfig::default();
    let report = entitle::decide_json(
        "weekend-emergency",
        facts.to_string().as_bytes(),
        t(WEEKEND_NOW),
        &config,
    )
    .unwrap();
    assert_eq!(report.outcome, "generate-temporary-license");
    NewDecision::from_report(
        report.clone(),
        facts,
        "support-engineer",
        request,
        ticket.map(str::to_owned),
    )
    .with_actions(&routes(), Some("tok-1"))
    .unwrap()
}

/// An `emergency-license-follow-up` decision for ticket `ticket` on
/// `internal_request`, with its actions routed.
fn follow_up(ticket: &str, internal_request: &str) -> NewDecision {
    let facts = json!({"internal_request": internal_request});
    let config = entitle::config::PolicyConfig::default();
    let report = entitle::decide_json(
        "emergency-license-follow-up",
        facts.to_string().as_bytes(),
        t(WEEKEND_NOW),
        &config,
    )
    .unwrap();
    NewDecision::from_report(
        report.clone(),
        facts,
        "support-lead",
        "req-follow-up",
        Some(ticket.to_owned()),
    )
    .with_actions(&routes(), None)
    .unwrap()
}

async fn count(url: &str, sql: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let n: i64 = sqlx::Row::get(&sqlx::query(sql).fetch_one(&mut conn).await.unwrap(), 0);
    conn.close().await.unwrap();
    n
}

fn statuses(steps: &[ActionRecord]) -> Vec<(u32, &str, ActionStatus)> {
    steps
        .iter()
        .map(|s| (s.seq, s.sink.as_str(), s.status))
        .collect()
}

/// Claims at `now` and returns the claimed steps' (id, token, seq).
async fn claim(store: &Store, now: &str) -> Vec<(String, String, u32)> {
    store
        .outbox()
        .claim(t(now), 10, Duration::from_secs(60))
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.action.id, c.claim_token, c.action.seq))
        .collect()
}

// ---------------------------------------------------------------- writing

/// Logs the weekend decision about stored ticket `T-1`.
async fn log_weekend(store: &Store) -> LoggedDecision {
    store
        .log()
        .append(weekend(
            Some("T-1"),
            "https://support.example/tickets/1",
            "req-1",
        ))
        .await
        .unwrap()
}

async fn written_with_the_decision(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    let logged = log_weekend(&store).await;
    assert_eq!(
        statuses(&logged.actions),
        [
            (0, "license-generator", ActionStatus::Pending),
            (1, "email", ActionStatus::Pending),
            (2, "slack", ActionStatus::Pending),
            (3, "internal-requests", ActionStatus::Pending),
        ]
    );
    assert!(logged.existing_license.is_none());
    let flow: Vec<(&[u32], &[u32])> = logged
        .actions
        .iter()
        .map(|s| (&s.requires[..], &s.inputs[..]))
        .collect();
    assert_eq!(
        flow,
        [
            (&[][..], &[][..]),
            (&[0][..], &[0][..]),
            (&[0, 1][..], &[0, 1][..]),
            (&[][..], &[0, 1][..]),
        ]
    );
    let first = &logged.actions[0];
    assert_eq!(first.license_ticket.as_deref(), Some("T-1"));
    assert!(
        logged.actions[1..]
            .iter()
            .all(|s| s.license_ticket.is_none())
    );
    assert_eq!(first.idempotency_key, format!("entitle-{}", first.id));
    // The payload: the action, the report without its actions, the facts,
    // the ticket, the requester, the caller.
    let p = &first.payload;
    assert_eq!(p["action"], "email-license");
    assert_eq!(p["policy"], "weekend-emergency");
    assert_eq!(p["policy_version"], 1);
    assert_eq!(p["outcome"], "generate-temporary-license");
    assert_eq!(p["details"]["users"], 134);
    assert!(p["details"].get("actions").is_none());
    assert_eq!(p["facts"]["screenshot_user_count"], 134);
    assert_eq!(
        p["ticket"],
        json!({"id": "T-1", "url": "https://support.example/tickets/1"})
    );
    assert_eq!(p["requester_email"], "ops@example.com");
    assert_eq!(
        p["actor"],
        json!({"role": "support-engineer", "user": "tok-1"})
    );
    assert!(p["text"].as_str().unwrap().contains("Mechanizer"));
    // Read back as written.
    assert_eq!(
        store
            .outbox()
            .of_decision(&logged.decision_id)
            .await
            .unwrap(),
        logged.actions
    );
    assert_eq!(
        store
            .outbox()
            .license_of_ticket("T-1")
            .await
            .unwrap()
            .as_ref(),
        Some(first)
    );
    // A decision without actions writes none.
    let plain = NewDecision {
        actions: Vec::new(),
        ..weekend(None, "https://x.example/2", "req-2")
    };
    let logged = store.log().append(plain).await.unwrap();
    assert!(logged.actions.is_empty());
    assert!(
        store
            .outbox()
            .of_decision(&logged.decision_id)
            .await
            .unwrap()
            .is_empty()
    );
    // An unrouted action is a manual task.
    let mut manual = weekend(None, "https://x.example/3", "req-3");
    manual.actions[2].sinks.clear();
    let logged = store.log().append(manual).await.unwrap();
    assert_eq!(logged.actions[3].sink, "manual");
    assert!(logged.actions[3].manual);
    assert_eq!(
        logged.actions[0].license_ticket.as_deref(),
        Some("https://x.example/3"),
        "no stored ticket: the facts' ticket URL"
    );
    store.close().await;
}
on_both!(
    steps_are_written_with_the_decision,
    written_with_the_decision
);

/// The text of `sql`'s single text column, one per row.
async fn texts(url: &str, sql: &str) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let rows = sqlx::query(sql).fetch_all(&mut conn).await.unwrap();
    conn.close().await.unwrap();
    rows.iter().map(|row| sqlx::Row::get(row, 0)).collect()
}

async fn payload_stored_once(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    let logged = log_weekend(&store).await;
    // Each step stores its own part: the facts and details are the log
    // entry's, stored once.
    let stored = texts(
        &db.url,
        "SELECT payload FROM outbox WHERE payload_form = 'own' ORDER BY seq",
    )
    .await;
    assert_eq!(stored.len(), 4);
    for text in &stored {
        assert!(!text.contains("screenshot_user_count"), "{text}");
        assert!(!text.contains("\"details\""), "{text}");
        let own: Value = serde_json::from_str(text).unwrap();
        assert_eq!(own["ticket"]["id"], "T-1");
    }
    // ... and read whole.
    let first = store
        .outbox()
        .action(&logged.actions[0].id)
        .await
        .unwrap()
        .action;
    assert_eq!(first.payload["facts"]["screenshot_user_count"], 134);
    assert_eq!(first.payload["details"]["users"], 134);
    assert_eq!(first.payload, logged.actions[0].payload);

    // A step written before migration 4 holds its whole payload and is
    // read as stored, with nothing joined.
    let decision = &logged.decision_id;
    let whole = json!({"action": "manual-check", "text": "as it was", "facts": {"old": true}});
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query(
        "INSERT INTO outbox (id, decision_id, seq, action_id, sink, payload, requires, inputs,
             generation, idempotency_key, status, attempts, created_at, updated_at)
         VALUES ('old-step', $1, 9, 'manual-check', 'manual', $2, '[]', '[]', 0, 'entitle-old-step',
             'pending', 0, '2026-11-21T10:00:00Z', '2026-11-21T10:00:00Z')",
    )
    .bind(decision.as_str())
    .bind(whole.to_string())
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let old = store.outbox().action("old-step").await.unwrap().action;
    assert_eq!(old.payload, whole);
    store.close().await;
}
on_both!(
    a_step_stores_its_own_payload_and_reads_whole,
    payload_stored_once
);

async fn atomic(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    // A step the database refuses (an empty sink) fails the whole entry.
    let mut bad = weekend(Some("T-bad"), "https://x.example/bad", "req-bad");
    bad.actions[1].sinks = vec![String::new()];
    let err = store.log().append(bad.clone()).await.unwrap_err();
    // The same error whichever driver wrote (on a SQLite file, the log
    // writer's own connection): the database's, saying which rule failed.
    assert_eq!(err.violation(), Some(Violation::Check), "{err}: {err:?}");
    // Alone, and in a batch of good ones (group commit, then one
    // transaction each): the good ones are logged with their steps, the bad
    // one is absent, with none of its steps.
    let mut tasks = Vec::new();
    for n in 0..24 {
        let store = store.clone();
        let entry = if n == 11 {
            bad.clone()
        } else {
            weekend(
                Some(&format!("T-{n}")),
                &format!("https://x.example/{n}"),
                &format!("req-{n}"),
            )
        };
        tasks.push(tokio::spawn(async move { store.log().append(entry).await }));
    }
    let mut ok = 0;
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(logged) => {
                assert_ne!(n, 11);
                assert_eq!(logged.actions.len(), 4);
                ok += 1;
            }
            Err(e) => assert_eq!(n, 11, "{e}"),
        }
    }
    assert_eq!(ok, 23);
    let all = store
        .log()
        .decisions(&DecisionFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 23);
    assert!(all.iter().all(|d| d.request_id != "req-bad"));
    assert_eq!(count(&db.url, "SELECT COUNT(*) FROM outbox").await, 23 * 4);
    assert_eq!(
        count(
            &db.url,
            "SELECT COUNT(*) FROM outbox WHERE ticket_id = 'T-bad'"
        )
        .await,
        0
    );
    assert!(
        store
            .outbox()
            .license_of_ticket("T-bad")
            .await
            .unwrap()
            .is_none()
    );
    store.close().await;
}
on_both!(decision_and_steps_are_written_or_neither, atomic);

// ---------------------------------------------------------------- flows

async fn failure_flow(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    let logged = store
        .log()
        .append(weekend(Some("T-1"), "https://x.example/1", "req-1"))
        .await
        .unwrap();
    let ids: Vec<&str> = logged.actions.iter().map(|s| s.id.as_str()).collect();
    // Only the generator step runs first.
    let claimed = claim(&store, "2026-11-21T10:00:00Z").await;
    assert_eq!(claimed.iter().map(|c| c.2).collect::<Vec<_>>(), [0]);
    let (id, token, _) = &claimed[0];
    // A retryable failure: not runnable before its time.
    assert!(
        store
            .outbox()
            .fail(id, token, "HTTP 503", None, Some(t("2026-11-21T10:05:00Z")))
            .await
            .unwrap()
    );
    assert!(claim(&store, "2026-11-21T10:01:00Z").await.is_empty());
    let claimed = claim(&store, "2026-11-21T10:06:00Z").await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].0, *id);
    let token = &claimed[0].1;
    // Dead for good (a 400, its answer kept): the email and the channel
    // post are cancelled; the record still runs, seeing the dead input.
    let answer = JsonText::from(json!({"error": "bad user count"}));
    assert!(
        store
            .outbox()
            .fail(id, token, "HTTP 400", Some(answer), None)
            .await
            .unwrap()
    );
    let steps = store
        .outbox()
        .of_decision(&logged.decision_id)
        .await
        .unwrap();
    assert_eq!(
        steps.iter().map(|s| s.status).collect::<Vec<_>>(),
        [
            ActionStatus::Dead,
            ActionStatus::Cancelled,
            ActionStatus::Cancelled,
            ActionStatus::Pending
        ]
    );
    assert_eq!(steps[0].attempts, 2);
    assert_eq!(steps[0].last_error.as_deref(), Some("HTTP 400"));
    assert_eq!(steps[0].response, Some(json!({"error": "bad user count"})));
    assert_eq!(steps[2].cancelled_by.as_deref(), Some(ids[0]));
    let post = store.outbox().action(ids[2]).await.unwrap();
    assert_eq!(post.events.len(), 1);
    let event = &post.events[0];
    assert_eq!(event.actor, "outbox");
    assert_eq!(
        (event.from_status, event.to_status),
        (ActionStatus::Pending, ActionStatus::Cancelled)
    );
    assert!(
        event.note.as_deref().unwrap().contains("step 0"),
        "{event:?}"
    );
    let claimed = store
        .outbox()
        .claim(t("2026-11-21T10:07:00Z"), 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let record = &claimed[0];
    assert_eq!(record.action.action_id, "record-internal-request");
    assert_eq!(
        record
            .inputs
            .iter()
            .map(|i| (i.seq, i.status))
            .collect::<Vec<_>>(),
        [(0, ActionStatus::Dead), (1, ActionStatus::Cancelled)]
    );
    assert_eq!(record.inputs[0].last_error.as_deref(), Some("HTTP 400"));
    // The generator's history: claimed, failed, claimed, dead, by the worker.
    let events = store.outbox().action(ids[0]).await.unwrap().events;
    let history: Vec<(ActionStatus, ActionStatus, &str)> = events
        .iter()
        .map(|e| (e.from_status, e.to_status, e.actor.as_str()))
        .collect();
    use ActionStatus::{Dead, Failed, InFlight, Pending};
    assert_eq!(
        history,
        [
            (Pending, InFlight, "worker"),
            (InFlight, Failed, "worker"),
            (Failed, InFlight, "worker"),
            (InFlight, Dead, "worker"),
        ]
    );
    assert_eq!(events[1].note.as_deref(), Some("HTTP 503"));
    store.close().await;
}
on_both!(weekend_failure_flow, failure_flow);

/// The license tool failed for good, the `[Failure]` record was made; a
/// person then generates the license by hand and says so: the email after
/// the generator is done with it (no license text was given), the channel
/// post it had cancelled runs, and the record runs again (a new key), so
/// the tracker says what is now true.
async fn done_by_hand_after_a_failure(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    let logged = store
        .log()
        .append(weekend(Some("T-1"), "https://x.example/1", "req-1"))
        .await
        .unwrap();
    let ids: Vec<&str> = logged.actions.iter().map(|s| s.id.as_str()).collect();
    let claimed = claim(&store, "2026-11-21T10:00:00Z").await;
    let (id, token, _) = &claimed[0];
    assert!(
        store
            .outbox()
            .fail(id, token, "HTTP 400", None, None)
            .await
            .unwrap()
    );
    let claimed = claim(&store, "2026-11-21T10:01:00Z").await;
    assert_eq!(claimed.len(), 1, "the record runs");
    let (record, token, _) = &claimed[0];
    assert_eq!(record, ids[3]);
    let failure = JsonText::from(json!({"record": "failure", "body": {"iid": 8}}));
    assert!(
        store
            .outbox()
            .complete(record, token, failure)
            .await
            .unwrap()
    );

    store
        .outbox()
        .mark_done(
            ids[0],
            "cli:ada",
            Some("generated in Mechanizer, it mailed the license"),
        )
        .await
        .unwrap();

    let steps = store
        .outbox()
        .of_decision(&logged.decision_id)
        .await
        .unwrap();
    use ActionStatus::{DoneByHand, Pending};
    assert_eq!(
        steps.iter().map(|s| s.status).collect::<Vec<_>>(),
        [DoneByHand, DoneByHand, Pending, Pending]
    );
    assert_eq!(
        steps[1].response,
        Some(
            json!({"by_hand": {"by": "cli:ada", "note": "generated in Mechanizer, it mailed the license"}})
        )
    );
    assert_eq!(
        steps[3].idempotency_key,
        format!("entitle-{}-r1", ids[3]),
        "the record is made again under a new key"
    );
    assert_eq!(
        steps[3].response,
        Some(json!({"record": "failure", "body": {"iid": 8}})),
        "the old record stays readable"
    );
    // The post runs, then the record, which sees both inputs succeeded.
    let claimed = claim(&store, "2026-11-21T10:02:00Z").await;
    assert_eq!(claimed.iter().map(|c| c.2).collect::<Vec<_>>(), [2]);
    assert!(
        store
            .outbox()
            .complete(&claimed[0].0, &claimed[0].1, json!({}).into())
            .await
            .unwrap()
    );
    let claimed = store
        .outbox()
        .claim(t("2026-11-21T10:03:00Z"), 10, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(claimed[0].inputs.iter().all(|i| i.status.is_success()));
    // The follow-up reads the records as they now stand.
    let license = store
        .outbox()
        .license_of_ticket("T-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((license.id.as_str(), license.status), (ids[0], DoneByHand));
    let history = store.outbox().action(ids[1]).await.unwrap().events;
    let last = history.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.to_status),
        ("outbox", DoneByHand)
    );
    assert!(
        last.note
            .as_deref()
            .unwrap()
            .contains("done by hand with step 0"),
        "{last:?}"
    );
    store.close().await;
}
on_both!(
    a_step_done_by_hand_carries_on_and_remakes_the_record,
    done_by_hand_after_a_failure
);

/// A step in flight whose worker died, for a sink whose service does not
/// deduplicate: with `Ask` it is held `in-doubt` (not claimed), the steps
/// after it wait, a person sees it among the tasks waiting for them and
/// resends it (a new key) or marks it done; with `Resend` it is claimed
/// again, its history saying it was in doubt.
async fn in_doubt(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    let logged = store
        .log()
        .append(weekend(Some("T-1"), "https://x.example/1", "req-1"))
        .await
        .unwrap();
    let ids: Vec<&str> = logged.actions.iter().map(|s| s.id.as_str()).collect();
    let ask = |sink: &str| {
        if sink == "email" {
            Redelivery::Ask
        } else {
            Redelivery::Safe
        }
    };
    let lease = Duration::from_secs(30);
    let first = store
        .outbox()
        .claim_with(t("2026-11-21T10:00:00Z"), 5, lease, &ask)
        .await
        .unwrap();
    assert!(
        store
            .outbox()
            .complete(
                &first[0].action.id,
                &first[0].claim_token,
                json!({"license": "L"}).into()
            )
            .await
            .unwrap()
    );
    // The email is claimed; its worker dies.
    let email = store
        .outbox()
        .claim_with(t("2026-11-21T10:00:01Z"), 5, lease, &ask)
        .await
        .unwrap();
    assert_eq!(email[0].action.id, ids[1]);
    let held = store
        .outbox()
        .claim_with(t("2026-11-21T10:01:00Z"), 5, lease, &ask)
        .await
        .unwrap();
    assert!(
        held.is_empty(),
        "held for a person, and the steps after it wait: {held:?}"
    );
    let detail = store.outbox().action(ids[1]).await.unwrap();
    assert_eq!(detail.action.status, ActionStatus::InDoubt);
    let event = detail.events.last().unwrap();
    assert_eq!(
        (event.from_status, event.to_status),
        (ActionStatus::InFlight, ActionStatus::InDoubt)
    );
    assert!(
        event
            .note
            .as_deref()
            .unwrap()
            .starts_with("in doubt: attempt 1 may or may not have reached `email`"),
        "{event:?}"
    );
    let waiting = store
        .outbox()
        .actions(&ActionFilter {
            manual: Some(true),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert!(
        waiting.iter().any(|a| a.id == ids[1]),
        "listed for a person"
    );
    let worker_side = store
        .outbox()
        .actions(&ActionFilter {
            manual: Some(false),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert!(worker_side.iter().all(|a| a.id != ids[1]));
    let by_status = store
        .outbox()
        .actions(&ActionFilter {
            status: Some(ActionStatus::InDoubt),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        by_status.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        [ids[1]]
    );
    // Resent: pending under a new key, then claimed.
    let resent = store.outbox().retry(ids[1], "cli:ada").await.unwrap();
    assert_eq!(resent.status, ActionStatus::Pending);
    assert_eq!(resent.idempotency_key, format!("entitle-{}-r1", ids[1]));
    let again = store
        .outbox()
        .claim_with(t("2026-11-21T10:02:00Z"), 5, lease, &ask)
        .await
        .unwrap();
    assert_eq!(again[0].action.id, ids[1]);
    // Its worker dies again: held again; this time a person says it went.
    assert!(
        store
            .outbox()
            .claim_with(t("2026-11-21T10:03:00Z"), 5, lease, &ask)
            .await
            .unwrap()
            .is_empty()
    );
    store
        .outbox()
        .mark_done(ids[1], "cli:ada", Some("the customer has it"))
        .await
        .unwrap();
    let next = store
        .outbox()
        .claim_with(t("2026-11-21T10:03:01Z"), 5, lease, &ask)
        .await
        .unwrap();
    assert_eq!(next[0].action.id, ids[2], "the steps after it run");
    // Resend: claimed again, noted as in doubt.
    let resend = |_: &str| Redelivery::Resend;
    let crashed = store
        .outbox()
        .claim_with(t("2026-11-21T10:05:00Z"), 5, lease, &resend)
        .await
        .unwrap();
    assert_eq!(crashed[0].action.id, ids[2]);
    let history = store.outbox().action(ids[2]).await.unwrap().events;
    assert!(
        history
            .last()
            .unwrap()
            .note
            .as_deref()
            .unwrap()
            .starts_with("in doubt: lease ran out"),
        "{history:?}"
    );
    store.close().await;
}
on_both!(a_step_in_doubt_waits_for_a_person_or_is_resent, in_doubt);

async fn success_flow(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    let logged = store
        .log()
        .append(weekend(Some("T-1"), "https://x.example/1", "req-1"))
        .await
        .unwrap();
    let mut order = Vec::new();
    for round in 0..6 {
        let claimed = store
            .outbox()
            .claim(t("2026-11-21T10:00:00Z"), 10, Duration::from_secs(60))
            .await
            .unwrap();
        if claimed.is_empty() {
            break;
        }
        // One at a time, in order.
        assert_eq!(claimed.len(), 1, "round {round}");
        let step = &claimed[0];
        if step.action.seq == 1 {
            // The email gets the generator's license.
            assert_eq!(step.inputs.len(), 1);
            assert_eq!(step.inputs[0].response, Some(json!({"license": "LIC-1"})));
        }
        let response = match step.action.seq {
            0 => json!({"license": "LIC-1"}),
            n => json!({"ok": n}),
        };
        assert!(
            store
                .outbox()
                .complete(&step.action.id, &step.claim_token, response.into())
                .await
                .unwrap()
        );
        order.push(step.action.seq);
    }
    assert_eq!(order, [0, 1, 2, 3]);
    let steps = store
        .outbox()
        .of_decision(&logged.decision_id)
        .await
        .unwrap();
    assert!(steps.iter().all(|s| s.status == ActionStatus::Delivered));
    store.close().await;
}
on_both!(weekend_success_flow, success_flow);

// ---------------------------------------------------------------- license

async fn one_license(db: &TestDb) {
    // Two stores (two pools, two log writers) on one database, deciding
    // the same ticket at once.
    let a = Store::open(&db.url).await.unwrap();
    let b = Store::open(&db.url).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = if n % 2 == 0 { a.clone() } else { b.clone() };
        let entry = weekend(Some("T-7"), "https://x.example/7", &format!("req-{n}"));
        tasks.push(tokio::spawn(async move { store.log().append(entry).await }));
    }
    let mut logged = Vec::new();
    for task in tasks {
        logged.push(task.await.unwrap().unwrap());
    }
    let makers: Vec<_> = logged.iter().filter(|l| !l.actions.is_empty()).collect();
    assert_eq!(makers.len(), 1, "exactly one decision makes the license");
    let license = &makers[0].actions[0];
    for other in logged.iter().filter(|l| l.actions.is_empty()) {
        assert_eq!(other.existing_license.as_ref().unwrap().id, license.id);
    }
    assert_eq!(
        count(
            &db.url,
            "SELECT COUNT(*) FROM outbox WHERE license_ticket = 'T-7'"
        )
        .await,
        1
    );
    assert_eq!(count(&db.url, "SELECT COUNT(*) FROM outbox").await, 4);
    // Every decision is logged, the answer says which license stands.
    assert_eq!(
        a.log()
            .decisions(&DecisionFilter::default())
            .await
            .unwrap()
            .len(),
        8
    );
    // Within one writer's batch (one INSERT for the batch's licenses), too.
    let tasks: Vec<_> = (0..6)
        .map(|n| {
            let store = a.clone();
            let entry = weekend(Some("T-8"), "https://x.example/8", &format!("req-8-{n}"));
            tokio::spawn(async move { store.log().append(entry).await })
        })
        .collect();
    let mut makers = 0;
    for task in tasks {
        let logged = task.await.unwrap().unwrap();
        makers += usize::from(!logged.actions.is_empty());
    }
    assert_eq!(makers, 1);
    assert_eq!(
        count(
            &db.url,
            "SELECT COUNT(*) FROM outbox WHERE license_ticket = 'T-8'"
        )
        .await,
        1
    );
    a.close().await;
    b.close().await;
}
on_both!(one_license_per_ticket_under_concurrency, one_license);

async fn regenerate(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    let logged = store
        .log()
        .append(weekend(Some("T-1"), "https://x.example/1", "req-1"))
        .await
        .unwrap();
    let license = logged.actions[0].clone();
    // While the license is under way, regenerate changes nothing.
    let again = store.log().append(follow_up("T-1", "none")).await.unwrap();
    assert!(again.actions.is_empty());
    let existing = again.existing_license.unwrap();
    assert_eq!(
        (existing.id.as_str(), existing.status, existing.retries),
        (license.id.as_str(), ActionStatus::Pending, 0)
    );
    // The generator dies; the record reports the failure.
    let claimed = claim(&store, "2026-11-21T10:00:00Z").await;
    assert!(
        store
            .outbox()
            .fail(&claimed[0].0, &claimed[0].1, "HTTP 400", None, None)
            .await
            .unwrap()
    );
    let claimed = claim(&store, "2026-11-21T10:00:00Z").await;
    assert_eq!(claimed.iter().map(|c| c.2).collect::<Vec<_>>(), [3]);
    assert!(
        store
            .outbox()
            .complete(&claimed[0].0, &claimed[0].1, json!({"issue": 1}).into())
            .await
            .unwrap()
    );
    // Regenerate: no second license; the dead one runs again under a new
    // key, with the steps it cancelled and the record reporting on it.
    let regen = store
        .log()
        .append(follow_up("T-1", "failure"))
        .await
        .unwrap();
    assert!(regen.actions.is_empty());
    let existing = regen.existing_license.unwrap();
    assert_eq!(existing.id, license.id);
    assert_eq!(existing.status, ActionStatus::Pending);
    assert_eq!(existing.retries, 1);
    assert_eq!(existing.attempts, 0);
    assert_eq!(
        existing.idempotency_key,
        format!("entitle-{}-r1", license.id)
    );
    let steps = store
        .outbox()
        .of_decision(&logged.decision_id)
        .await
        .unwrap();
    assert!(
        steps.iter().all(|s| s.status == ActionStatus::Pending),
        "{steps:?}"
    );
    assert_eq!(steps[1].idempotency_key, format!("entitle-{}", steps[1].id));
    assert_eq!(
        steps[3].retries, 1,
        "the record is made again, under a new key"
    );
    let events = store.outbox().action(&license.id).await.unwrap().events;
    let last = events.last().unwrap();
    assert_eq!(last.actor, "support-lead");
    assert_eq!(
        (last.from_status, last.to_status),
        (ActionStatus::Dead, ActionStatus::Pending)
    );
    assert_eq!(
        count(
            &db.url,
            "SELECT COUNT(*) FROM outbox WHERE license_ticket = 'T-1'"
        )
        .await,
        1
    );
    assert_eq!(count(&db.url, "SELECT COUNT(*) FROM outbox").await, 4);
    // Regenerate for a ticket with no license step makes its license.
    let fresh = store.log().append(follow_up("T-2", "none")).await.unwrap();
    assert_eq!(fresh.actions.len(), 1);
    assert_eq!(fresh.actions[0].license_ticket.as_deref(), Some("T-2"));
    let weekend_after = store
        .log()
        .append(weekend(Some("T-2"), "https://x.example/2", "req-2"))
        .await
        .unwrap();
    assert!(weekend_after.actions.is_empty());
    assert_eq!(
        weekend_after.existing_license.unwrap().id,
        fresh.actions[0].id
    );
    store.close().await;
}
on_both!(regenerate_retries_the_dead_license, regenerate);

async fn no_ticket(db: &TestDb) {
    // Without a ticket (none stored, no `ticket_url` in the facts), a
    // license action is an ordinary step: nothing to be unique against.
    let store = Store::open(&db.url).await.unwrap();
    for n in 0..2 {
        let mut entry = weekend(None, "https://x.example/9", &format!("req-{n}"));
        entry.action_ticket = None;
        let logged = store.log().append(entry).await.unwrap();
        assert_eq!(logged.actions.len(), 4);
        assert!(logged.actions.iter().all(|s| s.license_ticket.is_none()));
        assert!(logged.actions.iter().all(|s| s.ticket_id.is_none()));
    }
    assert_eq!(count(&db.url, "SELECT COUNT(*) FROM outbox").await, 8);
    store.close().await;
}
on_both!(without_a_ticket_a_license_is_an_ordinary_step, no_ticket);

#[test]
fn routes_read_from_a_map() {
    let routes: Routes = serde_json::from_value(json!({
        "email-license": ["license-generator", "email"],
        "post-to-licensing-channel": ["slack"],
        "record-internal-request": []
    }))
    .unwrap();
    assert_eq!(
        routes.sinks("email-license"),
        ["license-generator", "email"]
    );
    assert!(routes.sinks("record-internal-request").is_empty());
    assert!(routes.sinks("unknown").is_empty());
    assert_eq!(routes.iter().count(), 3);
    assert_eq!(
        ActionStatus::from_name("done-by-hand"),
        Some(ActionStatus::DoneByHand)
    );
    assert_eq!(
        serde_json::to_value(ActionStatus::InFlight).unwrap(),
        "in-flight"
    );
}

// ---------------------------------------------------------------- claims

/// One single-step decision per `n`, routed to `webhook`.
fn single(n: usize) -> NewDecision {
    let mut entry = weekend(None, &format!("https://x.example/{n}"), &format!("req-{n}"));
    entry.actions = vec![NewAction {
        action_id: "notify".to_owned(),
        sinks: vec!["webhook".to_owned()],
        needs: None,
        reports: None,
        license: LicenseEffect::None,
        payload: JsonText::from(json!({"n": n})),
    }];
    entry
}

async fn claimers(db: &TestDb) {
    let a = Store::open(&db.url).await.unwrap();
    let b = Store::open(&db.url).await.unwrap();
    let total = 150;
    let mut tasks = Vec::new();
    for n in 0..total {
        let store = a.clone();
        tasks.push(tokio::spawn(
            async move { store.log().append(single(n)).await },
        ));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // Eight claimers on two pools, until nothing is left; nothing is
    // completed, so a row claimed twice would show.
    let mut tasks = Vec::new();
    for c in 0..8 {
        let store = if c % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            let mut empty = 0;
            while empty < 3 {
                let claimed = store
                    .outbox()
                    .claim(t("2026-11-21T10:00:00Z"), 7, Duration::from_secs(3600))
                    .await
                    .unwrap();
                if claimed.is_empty() {
                    empty += 1;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                got.extend(claimed.into_iter().map(|c| c.action.id));
            }
            got
        }));
    }
    let mut seen = HashSet::new();
    for task in tasks {
        for id in task.await.unwrap() {
            assert!(seen.insert(id.clone()), "{id} claimed twice");
        }
    }
    assert_eq!(seen.len(), total);
    assert_eq!(
        count(
            &db.url,
            "SELECT COUNT(*) FROM outbox WHERE status = 'in-flight'"
        )
        .await,
        total as i64
    );
    a.close().await;
    b.close().await;
}
on_both!(concurrent_claimers_never_share_a_row, claimers);

async fn lease(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    let logged = store.log().append(single(1)).await.unwrap();
    let key = logged.actions[0].idempotency_key.clone();
    let first = store
        .outbox()
        .claim(t("2026-11-21T10:00:00Z"), 5, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    // Still leased.
    assert!(claim(&store, "2026-11-21T10:00:20Z").await.is_empty());
    // The worker crashed: the lease runs out, the step is claimed again
    // with the same idempotency key and a new token.
    let second = store
        .outbox()
        .claim(t("2026-11-21T10:00:31Z"), 5, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].action.id, first[0].action.id);
    assert_eq!(second[0].action.idempotency_key, key);
    assert_eq!(second[0].action.attempts, 2);
    assert_ne!(second[0].claim_token, first[0].claim_token);
    let id = &first[0].action.id;
    // The stale worker is refused, the current one is not.
    let stale = &first[0].claim_token;
    assert!(
        !store
            .outbox()
            .complete(id, stale, json!({}).into())
            .await
            .unwrap()
    );
    assert!(
        !store
            .outbox()
            .fail(id, stale, "late", None, None)
            .await
            .unwrap()
    );
    assert!(
        store
            .outbox()
            .complete(id, &second[0].claim_token, json!({"ok": true}).into())
            .await
            .unwrap()
    );
    assert!(
        !store
            .outbox()
            .complete(id, &second[0].claim_token, json!({}).into())
            .await
            .unwrap(),
        "completed once"
    );
    let detail = store.outbox().action(id).await.unwrap();
    assert_eq!(detail.action.status, ActionStatus::Delivered);
    let reclaim = &detail.events[1];
    assert_eq!(
        (reclaim.from_status, reclaim.to_status),
        (ActionStatus::InFlight, ActionStatus::InFlight)
    );
    assert!(reclaim.note.as_deref().unwrap().contains("lease"));
    assert!(
        !store
            .outbox()
            .complete("nope", "x", json!({}).into())
            .await
            .unwrap()
    );
    // The history is append-only.
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    for sql in [
        "UPDATE outbox_events SET actor = 'someone else'",
        "DELETE FROM outbox_events",
    ] {
        let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    conn.close().await.unwrap();
    assert_eq!(store.outbox().action(id).await.unwrap().events.len(), 3);
    store.close().await;
}
on_both!(an_expired_lease_is_claimed_again, lease);

// ---------------------------------------------------------------- people

async fn people(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    let mut entry = weekend(Some("T-1"), "https://x.example/1", "req-1");
    entry.actions[2].sinks.clear(); // the record: a manual task
    let logged = store.log().append(entry).await.unwrap();
    let ids: Vec<String> = logged.actions.iter().map(|s| s.id.clone()).collect();
    let other = store
        .log()
        .append(weekend(Some("T-2"), "https://x.example/2", "req-2"))
        .await
        .unwrap();

    // Unknown ids.
    for err in [
        store.outbox().retry("nope", "alice").await.unwrap_err(),
        store
            .outbox()
            .cancel("nope", "alice", None)
            .await
            .unwrap_err(),
        store
            .outbox()
            .mark_done("nope", "alice", None)
            .await
            .unwrap_err(),
        store.outbox().action("nope").await.unwrap_err(),
    ] {
        assert!(
            matches!(&err, StoreError::UnknownAction { id } if id == "nope"),
            "{err}"
        );
        assert!(err.is_not_found());
    }
    // Not allowed from the current status.
    let err = store.outbox().retry(&ids[0], "alice").await.unwrap_err();
    match &err {
        StoreError::ActionTransition { id, status, change } => {
            assert_eq!(
                (id.as_str(), *status, *change),
                (ids[0].as_str(), ActionStatus::Pending, ActionChange::Retry)
            );
        }
        other => panic!("{other}"),
    }
    assert!(err.is_conflict());
    assert_eq!(
        err.to_string(),
        format!("action `{}` is pending: cannot retry it", ids[0])
    );
    let done_twice = StoreError::ActionTransition {
        id: "A-1".to_owned(),
        status: ActionStatus::DoneByHand,
        change: ActionChange::MarkDone,
    };
    assert_eq!(
        done_twice.to_string(),
        "action `A-1` is done-by-hand: cannot mark it done"
    );

    // The generator is done by hand, with the license it made: the email
    // after it runs with it (now runnable), and is cancelled, cascading to
    // the channel post; the manual record is done by hand.
    let done = store
        .outbox()
        .mark_done_with(
            &ids[0],
            "alice",
            Some("generated in the Mechanizer app"),
            Some(HandMade {
                license: "LICENSE-TEXT",
                filename: Some("acme.gitlab-license"),
            }),
        )
        .await
        .unwrap();
    assert_eq!(done.status, ActionStatus::DoneByHand);
    assert_eq!(
        done.response,
        Some(
            json!({"by_hand": {"by": "alice", "note": "generated in the Mechanizer app"},
            "license": "LICENSE-TEXT", "filename": "acme.gitlab-license"})
        )
    );
    assert_eq!(
        store.outbox().action(&ids[1]).await.unwrap().action.status,
        ActionStatus::Pending
    );
    let cancelled = store
        .outbox()
        .cancel(&ids[1], "bob", Some("customer withdrew"))
        .await
        .unwrap();
    assert_eq!(cancelled.status, ActionStatus::Cancelled);
    let steps = store
        .outbox()
        .of_decision(&logged.decision_id)
        .await
        .unwrap();
    assert_eq!(steps[2].status, ActionStatus::Cancelled);
    assert_eq!(steps[2].cancelled_by.as_deref(), Some(ids[1].as_str()));
    assert_eq!(steps[3].status, ActionStatus::Pending);
    // Manual tasks are never claimed.
    let claimed = claim(&store, "2026-11-21T10:00:00Z").await;
    assert!(claimed.iter().all(|c| c.0 != ids[3]));
    let err = store
        .outbox()
        .cancel(&ids[0], "bob", None)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::ActionTransition {
            status: ActionStatus::DoneByHand,
            change: ActionChange::Cancel,
            ..
        }
    ));
    // The channel post cannot be retried while the email it needs is
    // cancelled; retrying the email re-opens it.
    let err = store.outbox().retry(&ids[2], "bob").await.unwrap_err();
    match &err {
        StoreError::ActionBlocked {
            id,
            requires,
            status,
            ..
        } => {
            assert_eq!(
                (id.as_str(), requires.as_str(), *status),
                (ids[2].as_str(), ids[1].as_str(), ActionStatus::Cancelled)
            );
        }
        other => panic!("{other}"),
    }
    let retried = store.outbox().retry(&ids[1], "bob").await.unwrap();
    assert_eq!(retried.status, ActionStatus::Pending);
    assert_eq!(retried.idempotency_key, format!("entitle-{}-r1", ids[1]));
    let steps = store
        .outbox()
        .of_decision(&logged.decision_id)
        .await
        .unwrap();
    assert_eq!(steps[2].status, ActionStatus::Pending);
    let done = store
        .outbox()
        .mark_done(&ids[3], "carol", Some("recorded"))
        .await
        .unwrap();
    assert_eq!(done.status, ActionStatus::DoneByHand);
    // An in-flight step may not be marked done; a delivered one not
    // cancelled.
    let claimed = claim(&store, "2026-11-21T10:00:00Z").await;
    let (id, token, _) = claimed.iter().find(|c| c.0 == ids[1]).unwrap();
    let err = store
        .outbox()
        .mark_done(id, "carol", None)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::ActionTransition {
            status: ActionStatus::InFlight,
            change: ActionChange::MarkDone,
            ..
        }
    ));
    store
        .outbox()
        .complete(id, token, json!({}).into())
        .await
        .unwrap();
    let err = store.outbox().cancel(id, "carol", None).await.unwrap_err();
    assert!(matches!(
        err,
        StoreError::ActionTransition {
            status: ActionStatus::Delivered,
            ..
        }
    ));

    // Every change with who, when, from, to and the note.
    let events = store.outbox().action(&ids[1]).await.unwrap().events;
    let seen: Vec<(&str, ActionStatus, ActionStatus, Option<&str>)> = events
        .iter()
        .map(|e| {
            (
                e.actor.as_str(),
                e.from_status,
                e.to_status,
                e.note.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen[0],
        (
            "bob",
            ActionStatus::Pending,
            ActionStatus::Cancelled,
            Some("customer withdrew")
        )
    );
    assert_eq!(seen[1].0, "bob");
    assert_eq!(
        (seen[1].1, seen[1].2),
        (ActionStatus::Cancelled, ActionStatus::Pending)
    );
    assert_eq!(seen[2].0, "worker");
    assert_eq!(seen[3].2, ActionStatus::Delivered);
    assert!(events.windows(2).all(|w| w[0].at <= w[1].at));
    let done_event = &store.outbox().action(&ids[0]).await.unwrap().events[0];
    assert_eq!(
        (done_event.actor.as_str(), done_event.note.as_deref()),
        ("alice", Some("generated in the Mechanizer app"))
    );

    // Filters and paging.
    let all = store
        .outbox()
        .actions(&ActionFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), 8);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    let manual = store
        .outbox()
        .actions(&ActionFilter {
            manual: Some(true),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        manual.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
        [ids[3].as_str()]
    );
    let routed = store
        .outbox()
        .actions(&ActionFilter {
            manual: Some(false),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(routed.len(), 7);
    let t2 = store
        .outbox()
        .actions(&ActionFilter {
            ticket: Some("T-2".to_owned()),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(t2.len(), 4);
    assert!(
        t2.iter()
            .all(|a| a.decision_id.as_deref() == Some(other.decision_id.as_str()))
    );
    let by_decision = store
        .outbox()
        .actions(&ActionFilter {
            decision: Some(logged.decision_id.clone()),
            status: Some(ActionStatus::DoneByHand),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(by_decision.len(), 2);
    let page1 = store
        .outbox()
        .actions(&ActionFilter {
            limit: 3,
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    let page2 = store
        .outbox()
        .actions(&ActionFilter {
            limit: 10,
            before: Some(page1[2].id.clone()),
            ..ActionFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(page1.len() + page2.len(), 8);
    assert_eq!(page2[0].id, all[3].id);
    store.close().await;
}
on_both!(people_retry_cancel_and_mark_done, people);

// ---------------------------------------------------------------- facts

async fn follow_up_facts(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    entitle_store::import::import(&store, &[common::sample_json()], None)
        .await
        .unwrap();
    let fact = |store: Store, ticket: &'static str| async move {
        store
            .records()
            .facts_for_ticket(ticket, "emergency-license-follow-up")
            .await
            .unwrap()["internal_request"]
            .clone()
    };
    // No license step: the imported values.
    assert_eq!(fact(store.clone(), "T-1001").await, "success");
    assert_eq!(fact(store.clone(), "T-1003").await, "failure");
    assert_eq!(fact(store.clone(), "T-1007").await, "none");
    // With one: its state. Under way: none.
    let a = store
        .log()
        .append(weekend(
            Some("T-1001"),
            "https://support.example/tickets/1001",
            "r1",
        ))
        .await
        .unwrap();
    let b = store
        .log()
        .append(weekend(
            Some("T-1007"),
            "https://support.example/tickets/1007",
            "r2",
        ))
        .await
        .unwrap();
    assert_eq!(fact(store.clone(), "T-1001").await, "none");
    let claimed = claim(&store, "2026-11-21T10:00:00Z").await;
    assert_eq!(claimed.len(), 2);
    for (id, token, _) in &claimed {
        if *id == a.actions[0].id {
            store
                .outbox()
                .complete(id, token, json!({}).into())
                .await
                .unwrap();
        } else {
            assert_eq!(*id, b.actions[0].id);
            store
                .outbox()
                .fail(id, token, "HTTP 400", None, None)
                .await
                .unwrap();
        }
    }
    assert_eq!(fact(store.clone(), "T-1001").await, "success");
    assert_eq!(fact(store.clone(), "T-1007").await, "failure");
    // The ticket record itself still holds the imported value.
    assert_eq!(
        store
            .records()
            .ticket("T-1007")
            .await
            .unwrap()
            .internal_request,
        entitle::policies::InternalRequest::None
    );
    // The facts decide `regenerate`, which re-runs the dead license.
    let facts = store
        .records()
        .facts_for_ticket("T-1007", "emergency-license-follow-up")
        .await
        .unwrap();
    assert_eq!(facts, json!({"internal_request": "failure"}));
    let regen = store
        .log()
        .append(follow_up("T-1007", "failure"))
        .await
        .unwrap();
    assert_eq!(
        regen.existing_license.unwrap().status,
        ActionStatus::Pending
    );
    assert_eq!(fact(store.clone(), "T-1007").await, "none");
    store.close().await;
}
on_both!(follow_up_facts_come_from_the_outbox, follow_up_facts);

// ------------------------------------------- the log writer's two paths

/// One step of a sequence run against two stores.
#[derive(Debug, Clone)]
enum Op {
    /// Weekend decisions sent together (so the writer takes several in one
    /// batch), each about ticket `T-n` or about none, with its actions or
    /// without.
    Weekend(Vec<(Option<u8>, bool)>),
    /// A follow-up about `T-n` (a `Regenerate`), on `failure` or on `none`.
    FollowUp(u8, bool),
    /// Every claimable step claimed; those of ticket `T-n` fail for good.
    Kill(u8),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        4 => prop::collection::vec(
            (prop::option::weighted(0.8, 0u8..3), prop::bool::weighted(0.8)),
            1..6
        )
        .prop_map(Op::Weekend),
        1 => (0u8..3, any::<bool>()).prop_map(|(ticket, failure)| Op::FollowUp(ticket, failure)),
        1 => (0u8..3).prop_map(Op::Kill),
    ]
}

/// `text` with every id in `labels` replaced by its label.
fn labelled(mut text: String, labels: &[(String, String)]) -> String {
    for (id, label) in labels {
        text = text.replace(id, label);
    }
    text
}

/// Runs `ops` on `store` and says what happened, ids replaced by labels
/// (`d3` for the fourth decision, `d3.1` for its step 1) and times left
/// out: each answer, then every step with its events.
async fn run(store: &Store, ops: &[Op]) -> Vec<String> {
    let mut labels: Vec<(String, String)> = Vec::new();
    let mut seen = Vec::new();
    let mut decisions = 0;
    for op in ops {
        let entries: Vec<NewDecision> = match op {
            Op::Weekend(entries) => entries
                .iter()
                .map(|&(ticket, with_actions)| {
                    let ticket = ticket.map(|n| format!("T-{n}"));
                    let url = format!("https://x.example/{}", ticket.as_deref().unwrap_or("none"));
                    let mut entry = weekend(ticket.as_deref(), &url, "req");
                    if ticket.is_none() {
                        entry.action_ticket = None;
                    }
                    if !with_actions {
                        entry.actions.clear();
                    }
                    entry
                })
                .collect(),
            Op::FollowUp(ticket, failure) => vec![follow_up(
                &format!("T-{ticket}"),
                if *failure { "failure" } else { "none" },
            )],
            Op::Kill(ticket) => {
                let claimed = store
                    .outbox()
                    .claim(t(WEEKEND_NOW), 1000, Duration::from_secs(3600))
                    .await
                    .unwrap();
                let ticket = format!("T-{ticket}");
                let mut failed = Vec::new();
                for c in &claimed {
                    if c.action.ticket_id.as_deref() == Some(&ticket) {
                        store
                            .outbox()
                            .fail(&c.action.id, &c.claim_token, "HTTP 400", None, None)
                            .await
                            .unwrap();
                        failed.push(c.action.id.clone());
                    }
                }
                let claimed: Vec<&str> = claimed.iter().map(|c| c.action.id.as_str()).collect();
                seen.push(labelled(
                    format!("claimed {claimed:?}, failed {failed:?}"),
                    &labels,
                ));
                continue;
            }
        };
        // Spawned in order on a current-thread runtime, so queued in order.
        let tasks: Vec<_> = entries
            .into_iter()
            .map(|entry| {
                let store = store.clone();
                tokio::spawn(async move { store.log().append(entry).await })
            })
            .collect();
        for task in tasks {
            let logged = task.await.unwrap().unwrap();
            let label = format!("d{decisions}");
            decisions += 1;
            labels.push((logged.decision_id.clone(), label.clone()));
            for step in &logged.actions {
                labels.push((step.id.clone(), format!("{label}.{}", step.seq)));
            }
            let steps: Vec<Value> = logged.actions.iter().map(without_times).collect();
            let existing = logged.existing_license.as_deref().map(without_times);
            seen.push(labelled(
                format!("{label}: steps {steps:?}, existing license {existing:?}"),
                &labels,
            ));
        }
    }
    let filter = ActionFilter {
        limit: 10_000,
        ..ActionFilter::default()
    };
    let mut all = Vec::new();
    for step in store.outbox().actions(&filter).await.unwrap() {
        let detail = store.outbox().action(&step.id).await.unwrap();
        let events: Vec<_> = detail
            .events
            .iter()
            .map(|e| (&e.actor, e.from_status, e.to_status, &e.note))
            .collect();
        all.push(labelled(
            format!("{:?} with events {events:?}", without_times(&step)),
            &labels,
        ));
    }
    // In label order: the ids' order says nothing.
    all.sort();
    seen.extend(all);
    seen
}

/// `step` as JSON without the instants it was written and changed at.
fn without_times(step: &ActionRecord) -> Value {
    let mut value = serde_json::to_value(step).unwrap();
    if let Some(fields) = value.as_object_mut() {
        fields.remove("created_at");
        fields.remove("updated_at");
    }
    value
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// The log writer's own SQLite connection (a plain file URL) and the
    /// pool's sqlx driver (the same URL with another parameter) write the
    /// same decisions, steps, licenses and retries, batch by batch.
    #[test]
    fn the_sqlite_writer_and_the_sqlx_path_agree(ops in proptest::collection::vec(op(), 1..8)) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (native, reference) = runtime.block_on(async {
            let a = TestDb::sqlite();
            let b = TestDb::sqlite();
            let native = Store::open(&a.url).await.unwrap();
            let reference = Store::open(&format!("{}?mode=rwc&cache=private", b.url))
                .await
                .unwrap();
            let seen = (run(&native, &ops).await, run(&reference, &ops).await);
            native.close().await;
            reference.close().await;
            seen
        });
        proptest::prop_assert_eq!(native, reference);
    }
}

// ---------------------------------------------------------------- ticket identity

/// `url` spelt another way that names the same ticket, as `choices` picks:
/// scheme and host case, the default port, an empty or `utm` query, a
/// fragment, a doubled `/`, a trailing `/`, a `./` segment, the last
/// character percent-encoded.
fn spelling(choices: &[bool; 9]) -> String {
    let scheme = if choices[0] { "HTTPS" } else { "https" };
    let host = if choices[1] {
        "Support.EXAMPLE"
    } else {
        "support.example"
    };
    let port = if choices[2] { ":443" } else { "" };
    let slashes = if choices[3] { "//" } else { "/" };
    let dot = if choices[4] { "./" } else { "" };
    let last = if choices[5] { "%31" } else { "1" };
    let trailing = if choices[6] { "/" } else { "" };
    let query = if choices[7] { "?utm=1" } else { "" };
    let fragment = if choices[8] { "#comment-3" } else { "" };
    format!("{scheme}://{host}{port}{slashes}tickets/{dot}100{last}{trailing}{query}{fragment}")
}

/// Imports the stored ticket `T-1001` at `url`.
async fn store_ticket(store: &Store, url: &str) {
    let dir = common::TempDir::new();
    let file = dir.path().join("tickets.json");
    let tickets =
        json!({"tickets": [{"id": "T-1001", "url": url, "requester_email": "ops@example.com"}]});
    std::fs::write(&file, tickets.to_string()).unwrap();
    entitle_store::import::import(store, &[file], None)
        .await
        .unwrap();
}

/// One ticket has one identity (#20): the same ticket written nine ways made
/// nine license steps, and the stored ticket `T-1001` and its own URL in
/// the facts were two keys. Every spelling of the URL, by URL alone or as
/// the stored ticket, now meets the one license step.
async fn ticket_identity(db: &TestDb) {
    let store = Store::open(&db.url).await.unwrap();
    store_ticket(&store, "https://Support.Example:443/tickets/1001/").await;
    let first = store
        .log()
        .append(weekend(
            None,
            "https://support.example/tickets/1001?from=email",
            "req-0",
        ))
        .await
        .unwrap();
    let license = first
        .actions
        .iter()
        .find(|s| s.license_ticket.is_some())
        .unwrap();
    // Named by URL, the license is the stored ticket's.
    assert_eq!(license.license_ticket.as_deref(), Some("T-1001"));
    let spellings = [
        "https://support.example/tickets/1001/",
        "https://support.example/tickets/1001?",
        "https://support.example/tickets/1001#x",
        "https://SUPPORT.EXAMPLE/tickets/1001",
        "https://support.example:443/tickets/1001",
        "https://support.example/tickets/100%31",
        "https://support.example//tickets/1001",
        "https://support.example/tickets/1001?utm=1",
        "HTTPS://support.example/tickets/./1001",
    ];
    for (n, url) in spellings.iter().enumerate() {
        let logged = store
            .log()
            .append(weekend(None, url, &format!("req-{n}")))
            .await
            .unwrap();
        assert!(logged.actions.is_empty(), "{url}: a second license");
        assert_eq!(logged.existing_license.unwrap().id, license.id, "{url}");
    }
    // Decided on the stored ticket itself: the same license.
    let stored = store
        .log()
        .append(weekend(
            Some("T-1001"),
            "https://support.example/tickets/1001",
            "req-stored",
        ))
        .await
        .unwrap();
    assert!(stored.actions.is_empty());
    assert_eq!(stored.existing_license.unwrap().id, license.id);
    assert_eq!(
        count(
            &db.url,
            "SELECT COUNT(*) FROM outbox WHERE license_ticket IS NOT NULL"
        )
        .await,
        1
    );
    // Another ticket is another license, and a ticket no record holds is
    // keyed by its URL's one spelling.
    let other = store
        .log()
        .append(weekend(None, "https://support.example/tickets/10010", "r"))
        .await
        .unwrap();
    let other = other.actions.iter().find(|s| s.license_ticket.is_some());
    assert_eq!(
        other.unwrap().license_ticket.as_deref(),
        Some("https://support.example/tickets/10010")
    );
    store.close().await;
}
on_both!(
    one_ticket_one_license_however_its_url_is_spelt,
    ticket_identity
);

/// A decision whose outcome makes or re-runs a license says which ticket it
/// is for, or it is refused: the one-license guard could not apply.
#[test]
fn a_license_action_without_a_ticket_is_refused() {
    let facts = json!({"internal_request": "none"});
    // The ticket is the one the policy says its facts are about.
    let entry = |facts: Value| {
        let report = entitle::decide_json(
            "emergency-license-follow-up",
            facts.to_string().as_bytes(),
            t(WEEKEND_NOW),
            &entitle::config::PolicyConfig::default(),
        )
        .unwrap();
        NewDecision::from_report(report.clone(), facts, "support-engineer", "r", None)
            .with_actions(&routes(), None)
    };
    let error = entry(facts).unwrap_err();
    assert!(
        matches!(&error, StoreError::LicenseWithoutTicket { action, .. } if action == "generate-license"),
        "{error}"
    );
    assert!(error.to_string().contains("`ticket_url`"), "{error}");
    let named =
        entry(json!({"internal_request": "none", "ticket_url": "https://x.example/T/1/"})).unwrap();
    assert_eq!(
        named.action_ticket.as_deref(),
        Some("https://x.example/T/1")
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// Every spelling of one ticket, by URL or as the stored ticket, in any
    /// order, yields exactly one license step.
    #[test]
    fn every_spelling_of_one_ticket_yields_one_license(
        spellings in proptest::collection::vec(proptest::array::uniform9(proptest::bool::ANY), 1..6),
        stored in proptest::bool::ANY,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (licenses, makers) = runtime.block_on(async {
            let db = TestDb::sqlite();
            let store = Store::open(&db.url).await.unwrap();
            if stored {
                store_ticket(&store, &spelling(&spellings[0])).await;
            }
            let mut makers = 0;
            for (n, choices) in spellings.iter().enumerate() {
                let logged = store
                    .log()
                    .append(weekend(None, &spelling(choices), &format!("req-{n}")))
                    .await
                    .unwrap();
                makers += usize::from(!logged.actions.is_empty());
            }
            store.close().await;
            let licenses = count(
                &db.url,
                "SELECT COUNT(*) FROM outbox WHERE license_ticket IS NOT NULL",
            )
            .await;
            db.finish().await;
            (licenses, makers)
        });
        proptest::prop_assert_eq!(licenses, 1);
        proptest::prop_assert_eq!(makers, 1);
    }
}
