//! Test helper for the crash test: appends decision-log entries to the SQLite
//! file given as the only argument, as fast as it can, from many concurrent
//! tasks, and prints each acknowledged decision id on its own line (flushed)
//! as soon as `log_decision` returns. It runs until killed.

use std::io::Write;

use entitle_store::{NewDecision, Store};
use serde_json::json;

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
                let entry = NewDecision {
                    policy: "emergency-license-follow-up".to_owned(),
                    policy_version: 1,
                    now: chrono::Utc::now(),
                    facts: json!({"internal_request": "success", "task": task, "n": n}).into(),
                    config: json!({"timezone": "UTC"}).into(),
                    outcome: "resend-from-success-record".to_owned(),
                    details: json!({}).into(),
                    stable_until: None,
                    trace: json!([{"node": "internal-request", "answer": "success"}]).into(),
                    role: "support-engineer".to_owned(),
                    request_id: format!("crash-{task}-{n}"),
                    ticket_id: Some(format!("T-{task}")),
                };
                match store.log_decision(entry).await {
                    Ok(logged) => {
                        if tx
                            .send(format!("{} crash-{task}-{n}", logged.decision_id))
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
