//! The `entitle` binary as a test runs it: a directory with tokens, `entitle
//! serve --actions` as a child process (SIGTERM or SIGKILL), an HTTP client
//! for its API, and bounded waits.
#![expect(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// `entitle` in `dir`.
pub fn entitle(dir: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_entitle"));
    command.current_dir(dir);
    command
}

/// Runs `entitle args...` in `dir` and returns its output.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    entitle(dir).args(args).output().unwrap()
}

/// A working directory with one token per role used by the tests.
pub struct Site {
    pub dir: tempfile::TempDir,
    /// A support engineer's token and its id (the `username` the license
    /// generator gets).
    pub engineer: String,
    pub engineer_id: String,
    pub reader: String,
}

impl Site {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let engineer = token(dir.path(), "support-engineer");
        let reader = token(dir.path(), "reader");
        let list = String::from_utf8(run(dir.path(), &["tokens", "list"]).stdout).unwrap();
        let engineer_id = list
            .lines()
            .find(|line| line.contains("support-engineer"))
            .and_then(|line| line.split_whitespace().next())
            .unwrap()
            .to_owned();
        Self {
            dir,
            engineer,
            engineer_id,
            reader,
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes the actions config and returns its path.
    pub fn actions_file(&self, toml: &str) -> PathBuf {
        let path = self.dir.path().join("actions.toml");
        std::fs::write(&path, toml).unwrap();
        path
    }
}

fn token(dir: &Path, role: &str) -> String {
    let out = run(dir, &["tokens", "add", "--role", role]);
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A running `entitle serve --actions`.
pub struct Server {
    child: Child,
    pub base: String,
    log: Arc<Mutex<String>>,
    http: reqwest::Client,
}

impl Server {
    /// Starts `entitle serve --listen 127.0.0.1:0 --db DB --actions FILE` in
    /// the site's directory with `env` set, and waits for its address.
    pub async fn start(site: &Site, db: &str, actions: &Path, env: &[(&str, String)]) -> Self {
        let args = [std::ffi::OsString::from("--actions"), actions.into()];
        Self::start_with(site, db, &args, env).await
    }

    /// Starts `entitle serve --listen 127.0.0.1:0 --db DB ARGS...`.
    pub async fn start_with(
        site: &Site,
        db: &str,
        args: &[std::ffi::OsString],
        env: &[(&str, String)],
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_entitle"));
        command
            .current_dir(site.path())
            .args(["serve", "--listen", "127.0.0.1:0", "--db", db])
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = tokio::sync::oneshot::channel();
        tokio::spawn({
            let log = log.clone();
            async move {
                let mut tx = Some(tx);
                let mut lines = BufReader::new(stderr).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(rest) = line.split("url=http://").nth(1)
                        && let Some(tx) = tx.take()
                    {
                        let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                    }
                    let mut log = log.lock().unwrap();
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        });
        let addr = match tokio::time::timeout(Duration::from_secs(30), rx).await {
            Ok(Ok(addr)) => addr,
            _ => panic!(
                "entitle serve did not say where it listens: {}",
                log.lock().unwrap()
            ),
        };
        Self {
            child,
            base: format!("http://{addr}"),
            log,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .unwrap(),
        }
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `method path` with `token` and an optional JSON body: the status and
    /// the JSON answer (`Null` when the body is empty).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// Decides `policy` on `facts` at `now`; asserts 200.
    pub async fn decide(&self, token: &str, policy: &str, facts: &Value, now: &str) -> Value {
        let (status, body) = self
            .call(
                "POST",
                &format!("/v1/decisions/{policy}"),
                token,
                Some(serde_json::json!({"facts": facts, "now": now})),
            )
            .await;
        assert_eq!(status, 200, "{body:#}");
        body
    }

    /// The actions of a logged decision (`GET /v1/decisions/{id}`).
    pub async fn decision_actions(&self, token: &str, id: &str) -> Vec<Value> {
        let (status, body) = self
            .call("GET", &format!("/v1/decisions/{id}"), token, None)
            .await;
        assert_eq!(status, 200, "{body:#}");
        body["actions"].as_array().unwrap().clone()
    }

    /// Waits (up to `limit`) until every action of decision `id` is
    /// settled (not pending, in flight or failed); returns them.
    pub async fn settled(&self, token: &str, id: &str, limit: Duration) -> Vec<Value> {
        let mut last: Vec<Value>;
        let done = wait_until!(limit, {
            last = self.decision_actions(token, id).await;
            last.iter().all(|a| {
                !matches!(
                    a["status"].as_str().unwrap(),
                    "pending" | "in-flight" | "failed"
                )
            })
        });
        assert!(
            done,
            "the actions of {id} did not settle within {limit:?}: {last:#?}\n{}",
            self.log()
        );
        last
    }

    /// SIGTERM; waits (bounded) for a clean exit.
    pub async fn stop(mut self) {
        let pid = self.child.id().unwrap();
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => assert!(
                status.unwrap().success(),
                "entitle serve failed: {}",
                self.log()
            ),
            Err(_) => panic!("entitle serve did not stop on SIGTERM"),
        }
    }

    /// SIGKILL: no chance to finish or record anything.
    pub async fn kill9(mut self) {
        self.child.start_kill().unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("a SIGKILLed process exits")
            .unwrap();
    }
}

/// The statuses of `actions`, by action id and sink.
pub fn statuses(actions: &[Value]) -> Vec<(String, String, String)> {
    actions
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap().to_owned(),
                a["sink"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The weekend page's facts for ticket `url` (the README's ticket.json):
/// 118 users on the screenshot, the license expired 2026-11-05.
pub fn weekend_facts(url: &str) -> Value {
    serde_json::json!({
        "customer": {"status": "paid"},
        "license": {"plan": "premium", "trial": false, "starts_on": "2025-11-05",
                    "expires_on": "2026-11-05", "users": 120},
        "screenshots": {"admin_dashboard": true, "license_page": true},
        "screenshot_user_count": 118,
        "requester_email": "admin@example.com",
        "ticket_url": url
    })
}

/// Saturday 10:00 UTC: the weekend page applies.
pub const SATURDAY: &str = "2026-11-21T10:00:00Z";

/// provision-failure facts: `request-lr-support` when `lr` is true, else
/// `keep-with-fulfillment`.
pub fn provision_facts(lr: bool, subscription: &str) -> Value {
    serde_json::json!({
        "failure": {"kind": "cloud-license-activation", "occurred_at": "2026-11-21T09:12:00Z",
                    "subscription": subscription},
        "fulfillment_resolved": false,
        "needs_lr_intervention": lr,
        "root_cause": "unknown",
        "customer_email": "billing@customer.example"
    })
}

/// A Monday afternoon for provision-failure.
pub const MONDAY: &str = "2026-11-23T15:00:00Z";
