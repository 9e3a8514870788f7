//! Starts the real SMTP server (`smtp_server.py`, Debian's python3-aiosmtpd)
//! for a test, and reads the messages it received (the email sink's tests
//! and the CLI's outbox tests). The script is embedded, so no test needs to
//! find it from a crate's directory.
#![expect(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The server, run with `python3 -c` (its arguments: port, output directory).
const SCRIPT: &str = include_str!("smtp_server.py");

/// The login the server accepts.
pub const USER: &str = "mailer";
/// The password the server accepts.
pub const PASSWORD: &str = "s3cret";

/// A running SMTP server; killed when dropped.
pub struct SmtpServer {
    /// The port it listens on, on 127.0.0.1.
    pub port: u16,
    dir: tempfile::TempDir,
    _child: Child,
}

/// A Python that has aiosmtpd: Debian's first (pyenv and virtualenvs on the
/// PATH do not see Debian's packages).
fn python() -> Option<&'static str> {
    ["/usr/bin/python3", "python3"].into_iter().find(|python| {
        std::process::Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

impl SmtpServer {
    /// Starts the server, or `None` (after saying why) when aiosmtpd is not
    /// installed. Under CI (`CI` set) a missing aiosmtpd fails the test:
    /// `.ci/run` installs it.
    pub async fn start() -> Option<Self> {
        let Some(python) = python() else {
            crate::skip::skip_unless_ci(
                "no python3 with aiosmtpd, the SMTP server it sends to",
                "to run it: `apt-get install -y python3-aiosmtpd`, as .ci/run does",
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(python)
            .args(["-c", SCRIPT])
            .arg(port.to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(20),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("the SMTP server starts within 20 s")
        .unwrap();
        assert_eq!(line.trim(), "ready", "the SMTP server did not start");
        Some(Self {
            port,
            dir,
            _child: child,
        })
    }

    /// The messages received so far, oldest first.
    pub fn messages(&self) -> Vec<Value> {
        read_messages(self.dir.path())
    }

    /// Waits (up to 5 s) for `count` messages.
    pub async fn wait_for(&self, count: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count || started.elapsed() > Duration::from_secs(5) {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn read_messages(dir: &Path) -> Vec<Value> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
        .collect()
}
