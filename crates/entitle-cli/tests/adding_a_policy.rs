//! `docs/adding-a-policy.md`, walked: a copy of the repository gets exactly
//! what the page adds (its `file=` blocks, new files, and its registry line)
//! and nothing else; then the copy builds, and the new policy is listed by
//! `entitle policies`, decided by the CLI and over HTTP (from the facts sent
//! and from a ticket's stored records), rendered, described, its examples
//! shown, its scenarios run with full coverage, its invariants checked, and
//! the policies suite passes over it; its action that needs another comes
//! out of every decision, and the same page with that `needs` misspelt does
//! not compile. Every line of the page's `sh` blocks runs as written
//! (`entitle serve` on a free port instead of 8080).
//!
//! The copy builds into a target directory of its own, seeded with hard
//! links to this one's artifacts, so only the workspace's own crates compile
//! again and nothing of this build is overwritten.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use crate::support;

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The fenced blocks of a Markdown page: `(info string, body)`.
fn blocks(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for line in doc.lines() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => open = Some((info.trim().to_owned(), String::new())),
            (Some(_), Some(_)) => out.extend(open.take()),
            (Some((_, body)), None) => {
                body.push_str(line);
                body.push('\n');
            }
            (None, None) => {}
        }
    }
    out
}

/// Hard-links every file under `from` into `to`, leaving out incremental
/// state and the build lock. Cargo replaces an artifact it rebuilds (a new
/// file), so the originals are never written through the links.
fn link_artifacts(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "incremental" || name == ".cargo-lock" || name == "examples" {
            continue;
        }
        let target = to.join(&name);
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            link_artifacts(&entry.path(), &target);
        } else if kind.is_file() && std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// This build's `target/debug`: two levels above this test's executable
/// (`target/debug/deps/integration-…`).
fn this_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()));
    command.env("CARGO_INCREMENTAL", "0");
    command
}

fn run(mut command: Command, what: &str) -> String {
    let out = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "`{what}` failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn a_policy_added_in_one_file_one_data_file_and_one_registry_line_works_everywhere() {
    let doc = std::fs::read_to_string(repo().join("docs/adding-a-policy.md")).unwrap();
    let blocks = blocks(&doc);
    // Inside this build's target directory: on the same file system, so the
    // artifacts can be hard-linked.
    let tmp = tempfile::Builder::new()
        .prefix("adding-a-policy-")
        .tempdir_in(this_profile_dir().parent().unwrap())
        .unwrap();
    let ws = tmp.path().join("ws");
    support::copy_dir(&repo(), &ws, &["target", ".git"]);

    // The page's new files; each must be new.
    let mut added = Vec::new();
    for (info, body) in &blocks {
        if let Some(path) = info
            .split_whitespace()
            .find_map(|w| w.strip_prefix("file="))
        {
            assert!(!repo().join(path).exists(), "{path} already exists");
            let at = ws.join(path);
            std::fs::create_dir_all(at.parent().unwrap()).unwrap();
            std::fs::write(&at, body).unwrap();
            added.push(path.to_owned());
        }
    }
    assert!(
        added.iter().any(|p| p.ends_with(".rs")) && added.iter().any(|p| p.ends_with(".toml")),
        "{added:?}"
    );

    // The registry line, before the registry's closing brace.
    let line = blocks
        .iter()
        .find(|(info, _)| info == "rust registry")
        .map(|(_, body)| body.clone())
        .unwrap();
    assert_eq!(line.lines().count(), 1, "{line:?}");
    let registry = ws.join("crates/entitle-core/src/policies/mod.rs");
    let before = std::fs::read_to_string(&registry).unwrap();
    let close = before.rfind("\n}").unwrap() + 1;
    let after = format!(
        "{}{line}{}",
        before.get(..close).unwrap(),
        before.get(close..).unwrap()
    );
    std::fs::write(&registry, &after).unwrap();

    // Build the copy, reusing this build's dependencies.
    let target = tmp.path().join("target");
    link_artifacts(&this_profile_dir(), &target.join("debug"));
    let mut build = cargo();
    build
        .current_dir(&ws)
        .args(["build", "-p", "entitle-cli", "--target-dir"])
        .arg(&target);
    run(build, "cargo build -p entitle-cli");
    let bin = target.join("debug/entitle");

    // Every line of the page's `sh` blocks, as written.
    let mut token = String::new();
    for (info, body) in blocks.iter().filter(|(info, _)| info == "sh") {
        assert_eq!(info, "sh");
        for line in body.lines().filter(|l| !l.trim().is_empty()) {
            let words: Vec<&str> = line.split_whitespace().collect();
            let (env, words) = match words.split_first() {
                Some((first, rest)) if first.contains('=') => (Some(*first), rest.to_vec()),
                _ => (None, words),
            };
            let (program, args) = words.split_first().unwrap();
            if *program == "entitle" && args.first() == Some(&"serve") {
                continue; // below, on a free port
            }
            let mut command = match *program {
                "entitle" => support::entitle(&bin, &ws),
                "cargo" => {
                    let mut c = cargo();
                    c.current_dir(&ws).env("CARGO_TARGET_DIR", &target);
                    c
                }
                other => panic!("unexpected command `{other}` in {line}"),
            };
            command.args(args);
            if let Some((key, value)) = env.and_then(|e| e.split_once('=')) {
                command.env(key, value);
            }
            let out = run(command, line);
            match args.first().copied().filter(|_| *program == "entitle") {
                Some("policies") => assert!(out.contains("seat-link-check"), "{out}"),
                Some("decide") => assert!(
                    out.contains("check-connection")
                        && out.contains("Check tomorrow whether a Seat Link report arrived"),
                    "{out}"
                ),
                Some("render") => assert!(out.contains("n_reported_today"), "{out}"),
                Some("test") => assert!(out.contains("3 passed, 0 failed"), "{out}"),
                Some("check") => assert!(out.contains("ok   seat-link-check"), "{out}"),
                Some("tokens") => token = out.trim().to_owned(),
                _ => {}
            }
        }
    }
    let policies = std::fs::read_to_string(ws.join("docs/policies.md")).unwrap();
    assert!(
        policies.contains("## seat-link-check"),
        "docs_sync did not bless"
    );

    // Over HTTP: from the facts sent, and from ticket T-1001's records.
    assert!(!token.is_empty());
    let (child, addr, _log) = support::serve(&bin, &ws);
    let facts = std::fs::read_to_string(ws.join("seat-link.json")).unwrap();
    let (status, body) = support::http(
        &addr,
        "POST",
        "/v1/decisions/seat-link-check",
        &token,
        &format!(r#"{{"facts": {facts}, "now": "2026-11-23T10:00:00Z"}}"#),
    );
    assert_eq!(status, 200, "{body}");
    let decision: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(decision["outcome"], "check-connection", "{body}");
    let actions: Vec<&str> = decision["details"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|action| action["id"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["ask-to-check-connection", "check-again-tomorrow"]);
    let (status, body) = support::http(
        &addr,
        "POST",
        "/v1/tickets/T-1001/decisions/seat-link-check",
        &token,
        r#"{"now": "2026-11-23T10:00:00Z"}"#,
    );
    assert_eq!(status, 200, "{body}");
    let decision: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(decision["outcome"].is_string(), "{body}");
    support::stop(child);

    // A misspelt `needs` does not compile, and the compiler names it.
    let page = ws.join("crates/entitle-core/src/policies/seat_link_check.rs");
    let source = std::fs::read_to_string(&page).unwrap();
    let misspelt = source.replace(
        "[needs: AskToCheckConnection]",
        "[needs: AskToCheckConection]",
    );
    assert_ne!(misspelt, source, "the page's action has no `needs` link");
    std::fs::write(&page, misspelt).unwrap();
    let mut build = cargo();
    build
        .current_dir(&ws)
        .args(["build", "-p", "entitle-core", "--target-dir"])
        .arg(&target);
    let out = build.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a misspelt `needs` compiled");
    assert!(
        stderr.contains("no variant or associated item named `AskToCheckConection`"),
        "{stderr}"
    );
}
