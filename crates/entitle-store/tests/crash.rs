//! A writer killed with SIGKILL mid-write loses no entry it acknowledged.
//!
//! The writer, this test binary's ignored test `crash::writer` run in a child
//! process (no helper binary in the library's package), appends entries to
//! a SQLite file from 32 concurrent tasks (so group commit is in play) and prints
//! each acknowledged id as soon as `store.log().append` returns. The test kills it
//! (`Child::kill` is SIGKILL on Unix) while it writes, three times over the
//! same file, then reopens the database and checks that every acknowledged
//! entry is present and intact, that ids are unique, and that SQLite's
//! `PRAGMA integrity_check` passes. Every other entry carries actions (four
//! outbox steps, written in the entry's transaction): every entry in the
//! log has all its steps or, without actions, none, and no step is left
//! without its entry.
#![expect(
    clippy::panic,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use crate::common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use entitle::policy::LicenseEffect;
use entitle_store::{DecisionFilter, JsonText, NewAction, NewDecision, Store};
use serde_json::json;
use sqlx::Connection;

/// Runs the writer on `db` until it has acknowledged at least `at_least`
/// entries, kills it, and returns every `(decision_id, request_id)` it
/// acknowledged (including those still in the pipe when it died), with the
/// number of steps written with it.
fn run_and_kill(db: &std::path::Path, at_least: usize) -> Vec<(String, String, usize)> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "crash::writer",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(WRITER_DB, db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<(String, String, usize)>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // The writer's acknowledgements, among libtest's own lines
            // (`running 1 test`).
            let mut parts = line.split(' ');
            let (Some(id), Some(request), Some(Ok(steps))) = (
                parts.next(),
                parts.next(),
                parts.next().map(str::parse::<usize>),
            ) else {
                continue;
            };
            if !request.starts_with("crash-") {
                continue;
            }
            let entry = (id.to_owned(), request.to_owned(), steps);
            if tx.send(entry).is_err() {
                break;
            }
        }
    });
    let mut acked = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.len() < at_least {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(entry) => acked.push(entry),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Some(status) = child.try_wait().unwrap() {
                    let mut err = String::new();
                    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err)
                        .unwrap();
                    panic!("the writer exited early ({status}): {err}");
                }
                assert!(Instant::now() < deadline, "the writer is too slow");
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("the writer closed stdout"),
        }
    }
    // SIGKILL while it keeps writing.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed, not exited: {status}");
    reader.join().unwrap();
    acked.extend(rx.try_iter());
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_write_loses_no_acknowledged_entry() {
    let dir = common::TempDir::new();
    let db = dir.path().join("crash.db");
    let mut acked: Vec<(String, String, usize)> = Vec::new();
    for (round, at_least) in [300, 1500, 700].into_iter().enumerate() {
        let got = tokio::task::spawn_blocking({
            let db = db.clone();
            move || run_and_kill(&db, at_least)
        })
        .await
        .unwrap();
        assert!(got.len() >= at_least, "round {round}");
        acked.extend(got);
    }

    let mut by_id: HashMap<&str, &str> = HashMap::new();
    for (id, request, _) in &acked {
        assert!(
            by_id.insert(id, request).is_none(),
            "id {id} acknowledged twice"
        );
    }

    let url = format!("sqlite://{}", db.display());
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let rows = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let results: Vec<String> = rows.iter().map(|r| sqlx::Row::get(r, 0)).collect();
    assert_eq!(results, ["ok"]);
    conn.close().await.unwrap();

    let store = Store::open(&url).await.unwrap();
    let all = store
        .log()
        .decisions(&DecisionFilter {
            limit: 10_000,
            ..DecisionFilter::default()
        })
        .await
        .unwrap();
    assert!(all.len() < 10_000, "raise the limit");
    let stored: HashMap<&str, &entitle_store::DecisionRecord> =
        all.iter().map(|d| (d.decision_id.as_str(), d)).collect();
    assert_eq!(stored.len(), all.len(), "ids are unique in the log");
    for (id, request, steps) in &acked {
        let Some(entry) = stored.get(id.as_str()) else {
            panic!("acknowledged entry {id} ({request}) is missing after SIGKILL");
        };
        // Intact: every column reads back as written.
        assert_eq!(&entry.request_id, request);
        let (task, n) = request
            .strip_prefix("crash-")
            .and_then(|r| r.split_once('-'))
            .unwrap();
        assert_eq!(entry.facts["task"].to_string(), task);
        assert_eq!(entry.facts["n"].to_string(), n);
        assert_eq!(
            entry.ticket_id.as_deref(),
            Some(format!("T-{task}").as_str())
        );
        assert_eq!(entry.outcome, "resend-from-success-record");
        assert_eq!(entry.trace[0]["node"], "internal-request");
        let with_actions = entry.facts["with_actions"] == true;
        assert_eq!(*steps, if with_actions { 4 } else { 0 }, "{request}");
    }
    // Entries committed but not yet acknowledged when the writer died may be
    // there too; none may be torn.
    let mut with_actions = 0;
    for entry in &all {
        assert!(entry.request_id.starts_with("crash-"));
        assert_eq!(entry.facts["internal_request"], "success");
        // Never half-written: all four steps, in order, or none.
        let steps = store
            .outbox()
            .of_decision(&entry.decision_id)
            .await
            .unwrap();
        if entry.facts["with_actions"] == true {
            with_actions += 1;
            let seqs: Vec<u32> = steps.iter().map(|s| s.seq).collect();
            assert_eq!(seqs, [0, 1, 2, 3], "{}", entry.request_id);
            assert!(
                steps
                    .iter()
                    .all(|s| s.payload["request"] == entry.request_id.as_str())
            );
        } else {
            assert!(steps.is_empty(), "{}", entry.request_id);
        }
    }
    assert!(with_actions > 0);
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let total: i64 = sqlx::Row::get(
        &sqlx::query("SELECT COUNT(*) FROM outbox")
            .fetch_one(&mut conn)
            .await
            .unwrap(),
        0,
    );
    conn.close().await.unwrap();
    assert_eq!(total, with_actions * 4, "no step without its entry");
    println!(
        "acknowledged {} entries over 3 SIGKILLs; {} in the log, {with_actions} with actions",
        acked.len(),
        all.len()
    );
    store.close().await;
}

/// The variable that gives the writer its SQLite file.
const WRITER_DB: &str = "ENTITLE_CRASH_WRITER_DB";

/// The writer the crash test kills: appends decision-log entries to the
/// SQLite file `ENTITLE_CRASH_WRITER_DB` names, as fast as it can, from 32
/// concurrent tasks, and prints each acknowledged decision id on its own
/// line (flushed) as soon as `store.log().append` returns, with its request id and
/// the number of outbox steps written with it. Every other entry carries
/// the weekend page's three actions (four steps, one of them the license of
/// a ticket of its own). It runs until killed; `run_and_kill` runs it in a
/// child process.
#[test]
#[ignore = "the crash test's writer: run in a child process, which the crash test kills"]
fn writer() {
    let path = std::env::var(WRITER_DB).expect("run by the crash test, which sets the database");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(write_until_killed(&path));
}

async fn write_until_killed(path: &str) {
    use std::io::Write;

    let store = Store::open(path).await.unwrap();
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
                match store.log().append(entry).await {
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
                        std::process::exit(1);
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
}

/// The follow-up decision every entry logs.
fn report() -> std::sync::Arc<entitle::DecisionReport> {
    std::sync::Arc::new(common::follow_up_report(
        "emergency-license-follow-up",
        chrono::Utc::now(),
        None,
    ))
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
