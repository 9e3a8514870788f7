//! Every command of `docs/testing.md` works as written: each line of its
//! `sh` blocks runs (with `entitle` on the `PATH`) in a copy of
//! `examples/testing/` (and the built-in scenarios) next to `entitle.db`, a decision log of November
//! 2026 (the built-in scenarios, decided under the team's configuration),
//! and exits 0, or the code its `# exit N` comment states.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use crate::support;

use std::path::{Path, PathBuf};

use entitle_store::Store;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

async fn build_log(url: &str, config: &entitle::config::PolicyConfig) {
    let store = Store::open(url).await.unwrap();
    for s in entitle::scenario::corpus::corpus().unwrap() {
        let entry = support::scenario_entry(&s, config);
        store.log().append(entry).await.unwrap();
    }
    store.close().await;
}

/// The command lines of the `sh` blocks, with the exit code each expects.
fn commands(doc: &str) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            in_sh = line.trim() == "```sh";
            continue;
        }
        if in_sh && !line.trim().is_empty() && !line.trim_start().starts_with('#') {
            let code = line
                .rsplit_once("# exit ")
                .map_or(0, |(_, n)| n.trim().parse().unwrap());
            out.push((line.to_owned(), code));
        }
    }
    out
}

#[tokio::test]
async fn every_command_in_docs_testing_md_works_as_written() {
    let doc = std::fs::read_to_string(repo().join("docs/testing.md")).unwrap();
    let commands = commands(&doc);
    assert!(commands.len() >= 8, "{commands:?}");
    let dir = tempfile::tempdir().unwrap();
    support::copy_dir(
        &repo().join("examples/testing"),
        &dir.path().join("examples/testing"),
        &[],
    );
    support::copy_dir(
        &repo().join("crates/entitle-core/scenarios"),
        &dir.path().join("crates/entitle-core/scenarios"),
        &[],
    );
    let team = entitle::config_from_toml(
        &std::fs::read_to_string(repo().join("examples/testing/team.toml")).unwrap(),
    )
    .unwrap();
    build_log(
        &format!("sqlite://{}", dir.path().join("entitle.db").display()),
        &team,
    )
    .await;
    let bin = assert_cmd::cargo::cargo_bin("entitle");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (command, expected) in commands {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(dir.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(expected),
            "`{command}`\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        if std::env::var_os("ENTITLE_DOCS_SHOW").is_some() {
            println!("$ {command}\n{}", String::from_utf8_lossy(&output.stdout));
        }
    }
}
