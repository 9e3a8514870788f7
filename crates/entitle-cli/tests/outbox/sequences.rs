//! Property: whatever people and the license tool do to a weekend
//! decision's license step (the tool fails or works, a person retries it,
//! does it by hand with or without the license, cancels it), the tracker,
//! the outbox and `emergency-license-follow-up`'s answer never disagree.
//! The real store and worker, the stateful GitLab stand-in, local
//! receivers for the tool and Slack.
#![expect(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::time::Duration;

use entitle_notify::{ActionsConfig, Worker};
use entitle_store::{ActionStatus, HandMade, NewDecision, Records, Store, TicketInput};
use proptest::prelude::*;
use serde_json::json;

use super::common::{SATURDAY, weekend_facts};
use super::receiver::{Receiver, Reply};
use super::services::GitLab;

/// What happens next.
#[derive(Debug, Clone, Copy)]
enum Op {
    ToolFails,
    ToolWorks,
    Retry,
    DoneByHand { with_license: bool },
    Cancel,
    FollowUp,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        Just(Op::ToolFails),
        Just(Op::ToolWorks),
        Just(Op::Retry),
        any::<bool>().prop_map(|with_license| Op::DoneByHand { with_license }),
        Just(Op::Cancel),
        Just(Op::FollowUp),
    ]
}

const TICKET: &str = "T-1";
const URL: &str = "https://support.example.com/agent/tickets/1";

fn works() -> Reply {
    Reply::json(200, json!({"license": "LICENSE-FROM-THE-TOOL"}))
}

fn fails() -> Reply {
    Reply::json(400, json!({"error": "bad seat count"}))
}

/// The follow-up's outcome for the stored ticket, from the records as
/// they stand.
async fn follow_up(store: &Store) -> String {
    let facts = store
        .records()
        .facts_for_ticket(TICKET, "emergency-license-follow-up")
        .await
        .unwrap();
    let report = entitle::decide_json(
        "emergency-license-follow-up",
        facts.to_string().as_bytes(),
        SATURDAY.parse().unwrap(),
        &entitle::config::PolicyConfig::default(),
    )
    .unwrap();
    report.outcome.to_string()
}

async fn run_case(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let tool = Receiver::start(|_| works()).await;
    let slack = Receiver::start(|_| Reply::text(200, "ok")).await;
    let gitlab = GitLab::start(Duration::ZERO).await;
    let config = format!(
        r#"
[routes]
"email-license" = "tool"
"post-to-licensing-channel" = "chat"
"record-internal-request" = "tracker"

[sinks.tool]
kind = "license-generator"
url = "{tool}/licenses"
[sinks.chat]
kind = "slack"
url_env = "SLACK"
[sinks.tracker]
kind = "gitlab"
base_url = "{gitlab}"
project_id = 42
token_env = "GITLAB"

[worker]
max_attempts = 1
"#,
        tool = tool.url,
        gitlab = gitlab.receiver.url,
    );
    let slack_url = format!("{}/hook", slack.url);
    let actions = ActionsConfig::from_toml(&config, |name| match name {
        "SLACK" => Some(slack_url.clone()),
        "GITLAB" => Some("glpat".to_owned()),
        _ => None,
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("e.db").display().to_string())
        .await
        .unwrap();
    let records = Records {
        tickets: vec![TicketInput {
            id: TICKET.to_owned(),
            url: URL.to_owned(),
            requester_email: "admin@example.com".to_owned(),
            subscription_id: None,
            namespace_id: None,
            admin_dashboard_screenshot: true,
            license_page_screenshot: true,
            screenshot_user_count: Some(118),
            internal_request: entitle::policies::InternalRequest::None,
        }],
        ..Records::default()
    };
    store.records().put(&records).await.unwrap();
    let facts = weekend_facts(URL);
    let report = entitle::decide_json(
        "weekend-emergency",
        facts.to_string().as_bytes(),
        SATURDAY.parse().unwrap(),
        &entitle::config::PolicyConfig::default(),
    )
    .unwrap();
    let entry = NewDecision::from_report(
        report.clone(),
        facts,
        "support-engineer",
        "req-1",
        Some(TICKET.to_owned()),
    )
    .with_actions(&actions.routes.clone().into_iter().collect(), Some("tok-1"))
    .unwrap();
    let logged = store.log().append(entry).await.unwrap();
    let license = logged.actions[0].id.clone();
    let record = logged.actions[2].id.clone();
    let worker = Worker::new(store.clone(), actions.sinks, actions.worker);

    for op in ops {
        match op {
            Op::ToolFails => tool.answer_with(|_| fails()),
            Op::ToolWorks => tool.answer_with(|_| works()),
            Op::Retry => {
                let _ = store.outbox().retry(&license, "ada").await;
            }
            Op::DoneByHand { with_license } => {
                let made = with_license.then_some(HandMade {
                    license: "LICENSE-BY-HAND",
                    filename: None,
                });
                let _ = store
                    .outbox()
                    .mark_done_with(&license, "ada", Some("by hand"), made)
                    .await;
            }
            Op::Cancel => {
                let _ = store.outbox().cancel(&license, "ada", None).await;
            }
            Op::FollowUp => {}
        }
        worker.run_once().await.unwrap();

        // What the three say, now.
        let status = store.outbox().action(&license).await.unwrap().action.status;
        let record_status = store.outbox().action(&record).await.unwrap().action.status;
        let answer = follow_up(&store).await;
        let issues = gitlab.issues();
        let open_failures = issues
            .iter()
            .filter(|i| i.title.starts_with("[Failure]") && !i.closed)
            .count();
        let successes = issues
            .iter()
            .filter(|i| i.title.starts_with("[Success]"))
            .count();
        let seen = format!(
            "{op:?}: license {status}, record {record_status}, follow-up {answer}, issues {issues:#?}"
        );
        prop_assert!(successes <= 1, "{seen}");
        prop_assert!(open_failures <= 1, "{seen}");
        if status.is_success() {
            prop_assert_eq!(&answer, "resend-from-success-record", "{}", seen);
            // The worker ran: the record says so, and no failure is left
            // open beside it.
            prop_assert_eq!(record_status, ActionStatus::Delivered, "{}", seen);
            prop_assert_eq!(successes, 1, "{}", seen);
            prop_assert_eq!(open_failures, 0, "{}", seen);
            prop_assert!(issues.iter().all(|i| i.closed), "{}", seen);
        } else {
            prop_assert_eq!(&answer, "regenerate", "{}", seen);
            prop_assert_eq!(successes, 0, "a success record without a license: {}", seen);
            if status.is_failure() {
                prop_assert_eq!(record_status, ActionStatus::Delivered, "{}", seen);
                prop_assert_eq!(open_failures, 1, "{}", seen);
            }
        }
    }
    store.close().await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_tracker_the_outbox_and_the_follow_up_never_disagree(
        first in prop_oneof![Just(Op::ToolFails), Just(Op::ToolWorks)],
        rest in proptest::collection::vec(op(), 1..8),
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut ops = vec![first];
        ops.extend(rest);
        runtime.block_on(run_case(ops))?;
    }
}
