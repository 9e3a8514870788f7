//! `entitle tokens` and `entitle serve` as a new user runs them: create a
//! token, start the service, decide with the token, stop it with SIGTERM,
//! start it again on the same database and find the decision in the log.

use crate::support;

use std::path::Path;
use std::process::{Child, Command};

use support::{http, stop};

fn entitle(dir: &Path) -> Command {
    support::entitle(Path::new(env!("CARGO_BIN_EXE_entitle")), dir)
}

fn serve(dir: &Path) -> (Child, String, std::thread::JoinHandle<String>) {
    support::serve(Path::new(env!("CARGO_BIN_EXE_entitle")), dir)
}

#[test]
fn tokens_add_list_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let out = entitle(dir.path())
        .args(["tokens", "add", "--role", "lr-team"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("ent_") && token.len() == 68, "{token}");
    let file = std::fs::read_to_string(dir.path().join("entitle-tokens.json")).unwrap();
    assert!(!file.contains(&token), "the file must not hold the token");
    let list = entitle(dir.path())
        .args(["tokens", "list"])
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    assert!(list.contains("lr-team"), "{list}");
    let id = list.split_whitespace().next().unwrap().to_owned();
    assert!(!list.contains(&token));
    let bad = entitle(dir.path())
        .args(["tokens", "add", "--role", "admin"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let revoke = entitle(dir.path())
        .args(["tokens", "revoke", &id])
        .output()
        .unwrap();
    assert!(revoke.status.success());
    let again = entitle(dir.path())
        .args(["tokens", "revoke", &id])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let list = entitle(dir.path())
        .args(["tokens", "list"])
        .output()
        .unwrap();
    assert!(String::from_utf8(list.stdout).unwrap().trim().is_empty());
}

#[test]
fn serve_decide_restart_read_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = entitle(dir.path())
        .args(["tokens", "add", "--role", "support-engineer"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let (child, addr, log) = serve(dir.path());
    let (status, body) = http(
        &addr,
        "POST",
        "/v1/decisions/emergency-license-follow-up",
        &token,
        r#"{"facts": {"internal_request": "success"}, "now": "2026-11-21T10:00:00Z"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let decision: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(decision["outcome"], "resend-from-success-record");
    let id = decision["decision_id"].as_str().unwrap().to_owned();
    let (status, _) = http(&addr, "GET", "/v1/policies", "wrong", "");
    assert_eq!(status, 401);
    stop(child);
    let log = log.join().unwrap();
    assert!(log.contains("stopped"), "{log}");
    assert!(
        dir.path().join("entitle.db").exists(),
        "the default database is entitle.db in the current directory"
    );

    let (child, addr, _log) = serve(dir.path());
    let (status, body) = http(&addr, "GET", &format!("/v1/decisions/{id}"), &token, "");
    assert_eq!(status, 200, "{body}");
    let entry: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(entry["outcome"], "resend-from-success-record");
    assert_eq!(entry["role"], "support-engineer");
    stop(child);
}
