//! `entitle tokens` and `entitle serve` as a new user runs them: create a
//! token, start the service, decide with the token, stop it with SIGTERM,
//! start it again on the same database and find the decision in the log.
#![expect(
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn entitle(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_entitle"));
    command.current_dir(dir);
    command
}

/// Starts `entitle serve` on a free port in `dir`; returns the child and
/// its address, read from its "listening" log line.
fn serve(dir: &Path) -> (Child, String, std::thread::JoinHandle<String>) {
    let mut child = entitle(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap_or_default();
            if let Some(rest) = line.split("url=http://").nth(1)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server did not say where it listens");
    (child, addr, reader)
}

/// One HTTP/1.1 request; returns the status and the body.
fn http(addr: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn stop(mut child: Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "entitle serve exited with {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("entitle serve did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
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
