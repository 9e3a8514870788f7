//! Test helper for the crash test: appends decision-log entries to the SQLite
//! file given as the only argument, as fast as it can, from many concurrent
//! tasks, and prints each acknowledged decision id on its own line (flushed)
//! as soon as `log_decision` returns, with its request id and the number of
//! outbox steps written with it. Every other entry carries the weekend
//! page's three actions (four steps, one of them the license of a ticket of
//! its own). It runs until killed.

use std::io::Write;

use entitle::policy::LicenseEffect;
use entitle_store::{JsonText, NewAction, NewDecision, Store};
use serde_json::json;

/// The follow-up decision every entry logs.
fn report() -> std::sync::Arc<entitle::DecisionReport> {
    std::sync::Arc::new(entitle::DecisionReport {
        policy: "emergency-license-follow-up",
        version: 1,
        now: chrono::Utc::now(),
        outcome: "resend-from-success-record",
        outcome_text: "",
        details: entitle::policy::Details::default(),
        stable_until: None,
        config: entitle::config::PolicyConfig::default(),
        trace: vec![entitle::TraceEntry {
            node: "internal-request",
            question: "",
            answer: "success",
            detail: None,
        }],
        subject: entitle::policy::Subject::default(),
    })
}

/// The weekend page's actions: the license (generator, then email), the
/// channel post needing it, the record reporting on it.
fn weekend_actions(request: &str) -> Vec<NewAction> {
    let payload = |action: &str| JsonText::from(json!({"action": action, "request": request}));
    vec![
        NewAction {
            action_id: "email-license".to_owned(),
            sinks: vec!["license-generator".to_owned(), "email".to_owned()],
            needs: None,
            reports: None,
            license: LicenseEffect::Create,
            payload: payload("email-license"),
        },
        NewAction {
            action_id: "post-to-licensing-channel".to_owned(),
            sinks: vec!["slack".to_owned()],
            needs: Some("email-license".to_owned()),
            reports: None,
            license: LicenseEffect::None,
            payload: payload("post-to-licensing-channel"),
        },
        NewAction {
            action_id: "record-internal-request".to_owned(),
            sinks: Vec::new(),
            needs: None,
            reports: Some("email-license".to_owned()),
            license: LicenseEffect::None,
            payload: payload("record-internal-request"),
        },
    ]
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: entitle-store-log-writer DB_PATH");
        return std::process::ExitCode::from(2);
    };
    let store = match Store::open(&path).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    for task in 0..32u32 {
        let store = store.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let mut n = 0u64;
            loop {
                n += 1;
                let request = format!("crash-{task}-{n}");
                let with_actions = n % 2 == 0;
                let entry = NewDecision {
                    report: report(),
                    facts: json!({"internal_request": "success", "task": task, "n": n,
                                  "with_actions": with_actions})
                    .into(),
                    role: "support-engineer".to_owned(),
                    request_id: request.clone(),
                    ticket_id: Some(format!("T-{task}")),
                    actions: if with_actions {
                        weekend_actions(&request)
                    } else {
                        Vec::new()
                    },
                    // Unique across runs on one file: each makes its license.
                    action_ticket: Some(format!("T-{}-{task}-{n}", std::process::id())),
                };
                match store.log_decision(entry).await {
                    Ok(logged) => {
                        if tx
                            .send(format!(
                                "{} {request} {}",
                                logged.decision_id,
                                logged.actions.len()
                            ))
                            .is_err()
                        {
                            return;
                        }
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        return;
                    }
                }
            }
        });
    }
    drop(tx);
    let mut stdout = std::io::stdout().lock();
    while let Some(line) = rx.recv().await {
        if writeln!(stdout, "{line}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            break;
        }
    }
    std::process::ExitCode::SUCCESS
}
