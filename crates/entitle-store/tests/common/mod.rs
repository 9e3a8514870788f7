//! The store tests' support: test databases come from
//! `entitle_test_support` (`TestDb`, and `on_both!`, which runs a test on a
//! fresh SQLite file and, when `ENTITLE_TEST_POSTGRES_URL` is set, on a
//! fresh PostgreSQL database); the sample data of `examples/data`.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::path::{Path, PathBuf};

pub use entitle_test_support::postgres::TestDb;

/// The environment variable naming the PostgreSQL server to test against.
pub const POSTGRES_ENV: &str = "ENTITLE_TEST_POSTGRES_URL";

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("entitle-store-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The repository's root (for `examples/data`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf()
}

/// `examples/data/support.json`.
pub fn sample_json() -> PathBuf {
    repo_root().join("examples/data/support.json")
}

/// Every CSV file of `examples/data/csv`, sorted.
pub fn sample_csv_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("examples/data/csv"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    files
}

/// A logged decision of `policy` at `now`: the follow-up page's
/// `resend-from-success-record`, its one trace step, no details. What the
/// tests log when the decision itself does not matter.
pub fn follow_up_report(
    policy: &'static str,
    now: chrono::DateTime<chrono::Utc>,
    stable_until: Option<chrono::DateTime<chrono::Utc>>,
) -> entitle::DecisionReport {
    entitle::DecisionReport {
        policy,
        version: 1,
        now,
        outcome: "resend-from-success-record",
        outcome_text: "",
        details: entitle::policy::Details::default(),
        stable_until,
        config: entitle::config::PolicyConfig::default(),
        trace: vec![entitle::graph::Step {
            node: "internal-request",
            question: "",
            answer: "success",
            detail: None,
            changes_at: None,
            node_index: 0,
            answer_index: 0,
        }],
        subject: entitle::policy::Subject::default(),
    }
}
