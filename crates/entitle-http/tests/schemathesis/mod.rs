//! Schemathesis (PyPI) against the served document: a real server on a
//! loopback port, `st run --checks all` with the links the document
//! declares, and no failure allowed.
//!
//! The `st` it runs: `ENTITLE_SCHEMATHESIS` (a path), else `st` on `PATH`,
//! else the virtual environment `.ci/run` makes
//! (`~/.cache/entitle-schemathesis/venv/bin/st`). Without one the test is
//! skipped, visibly, and fails under CI. `ENTITLE_SCHEMATHESIS_SEED` and
//! `ENTITLE_SCHEMATHESIS_EXAMPLES` change the seed (default 1) and the
//! cases per operation (default 30).

use std::path::{Path, PathBuf};
use std::time::Duration;

use entitle_http::ServerOptions;
use entitle_http::auth::{Role, TokenFile};
use entitle_store::Store;

/// The Schemathesis CLI to run, if there is one.
fn schemathesis() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ENTITLE_SCHEMATHESIS") {
        return Some(PathBuf::from(path));
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("st"))
            .find(|st| st.is_file())
    });
    on_path.or_else(|| {
        let home = PathBuf::from(std::env::var_os("HOME")?);
        let st = home.join(".cache/entitle-schemathesis/venv/bin/st");
        st.is_file().then_some(st)
    })
}

/// Runs Schemathesis against a server on a fresh database, with an
/// `lr-team` token (every operation is open to it) and a body limit above
/// the largest body the schemas allow (a license of 65,536 characters of
/// up to 4 bytes), so each refusal Schemathesis sees is the schema's.
pub async fn run() {
    let Some(st) = schemathesis() else {
        entitle_test_support::skip::skip_unless_ci(
            "Schemathesis (`st`) is not installed",
            "`python3 -m venv ~/.cache/entitle-schemathesis/venv && ~/.cache/entitle-schemathesis/venv/bin/pip install schemathesis`, as .ci/run does, or set ENTITLE_SCHEMATHESIS",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let tokens_path = dir.path().join("tokens.json");
    let mut file = TokenFile::default();
    let (token, _) = file.add(Role::LrTeam, chrono::Utc::now()).unwrap();
    file.save(&tokens_path).unwrap();
    let db = dir.path().join("entitle.db");
    let store = Store::open(db.to_str().unwrap()).await.unwrap();
    let options = ServerOptions {
        body_limit: 1024 * 1024,
        request_timeout: Duration::from_secs(30),
        shutdown_grace: Duration::from_secs(5),
        ..ServerOptions::default()
    };
    let server = crate::support::serve(store, &tokens_path, options).await;
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let seed = std::env::var("ENTITLE_SCHEMATHESIS_SEED").unwrap_or_else(|_| "1".to_owned());
    let examples =
        std::env::var("ENTITLE_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "30".to_owned());
    let output = tokio::process::Command::new(&st)
        .arg("--config-file")
        .arg(&config)
        .arg("--no-color")
        .arg("run")
        .arg(format!("{}/v1/openapi.json", server.url()))
        .args(["--checks", "all"])
        .args(["--seed", &seed])
        .args(["--max-examples", &examples])
        .args(["--workers", "1"])
        .arg("--header")
        .arg(format!("Authorization: Bearer {token}"))
        .current_dir(dir.path())
        .kill_on_drop(true)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", st.display()));
    server.shutdown().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "Schemathesis ({}) failed, seed {seed}:\n{stdout}\n{stderr}",
        st.display()
    );
    // For the log (`--nocapture`): the cases, the links followed, the time.
    for line in stdout.lines().filter(|l| {
        l.contains(" generated, ")
            || l.contains("API Links:")
            || (l.starts_with('=') && l.contains(" in "))
    }) {
        eprintln!("schemathesis: {}", line.trim());
    }
}
