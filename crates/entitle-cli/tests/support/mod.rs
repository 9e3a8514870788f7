//! Running the `entitle` binary in tests: a command in a directory, `entitle
//! serve` on a free port, one HTTP/1.1 request, a stop with SIGTERM; and a
//! copy of a directory to run it in.
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

/// The `entitle` binary at `bin`, run in `dir`.
pub fn entitle(bin: &Path, dir: &Path) -> Command {
    let mut command = Command::new(bin);
    command.current_dir(dir);
    command
}

/// Starts `entitle serve` (the binary `bin`) on a free port in `dir`; returns the child and
/// its address, read from its "listening" log line.
pub fn serve(bin: &Path, dir: &Path) -> (Child, String, std::thread::JoinHandle<String>) {
    let mut child = entitle(bin, dir)
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
pub fn http(addr: &str, method: &str, path: &str, token: &str, body: &str) -> (u16, String) {
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

/// Stops `entitle serve` with SIGTERM; it must exit successfully.
pub fn stop(mut child: Child) {
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

/// Copies the files under `from` to `to`, leaving out the entries of `from`
/// itself named in `skip` (`target`, `.git`).
pub fn copy_dir(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let target = to.join(&name);
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            copy_dir(&entry.path(), &target, &[]);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Scenario `s` decided under `config`, as a support engineer's entry for
/// the decision log.
pub fn scenario_entry(
    s: &entitle::scenario::Scenario,
    config: &entitle::config::PolicyConfig,
) -> entitle_store::NewDecision {
    let report = entitle::decide_json(s.policy, &s.facts_bytes(), s.now, config).unwrap();
    entitle_store::NewDecision::from_report(report, s.facts.clone(), "support-engineer", "r", None)
}
