//! Bad input: `entitle serve --actions` refuses a bad config with exit 2
//! and one line naming the key; `entitle actions done` needs a note and a
//! known id.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use crate::common::{Site, entitle, run};

/// Runs `entitle serve --actions` with `config` (and `env`) and returns
/// its exit code and its stderr.
fn serve_with(site: &Site, config: &str, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let actions = site.actions_file(config);
    let mut command = entitle(site.path());
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--actions"])
        .arg(&actions)
        .env_remove("SLACK_WEBHOOK_URL");
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

/// A bad config: what is wrong, the TOML, the environment, and the names
/// the error must mention.
type Case = (
    &'static str,
    String,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

const SET: &[(&str, &str)] = &[("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/hook")];

const SLACK: &str = "[sinks.chat]\nkind = \"slack\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n";

#[test]
fn serve_refuses_a_bad_actions_config_naming_the_key() {
    let site = Site::new();
    let cases: [Case; 3] = [
        (
            "a route to an unknown sink",
            format!("[routes]\n\"post-to-licensing-channel\" = \"chatt\"\n{SLACK}"),
            SET,
            &["post-to-licensing-channel", "chatt"],
        ),
        (
            "a missing secret",
            format!("[routes]\n\"post-to-licensing-channel\" = \"chat\"\n{SLACK}"),
            &[],
            &["sinks.chat.url_env", "SLACK_WEBHOOK_URL"],
        ),
        (
            "an unknown sink kind",
            "[sinks.chat]\nkind = \"slak\"\nurl_env = \"SLACK_WEBHOOK_URL\"\n".to_owned(),
            SET,
            &["sinks.chat.kind", "slak"],
        ),
    ];
    for (what, config, env, names) in cases {
        let (code, stderr) = serve_with(&site, &config, env);
        assert_eq!(code, Some(2), "{what}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{what}: one line: {stderr}");
        for name in names {
            assert!(lines[0].contains(name), "{what}: `{name}` in {stderr}");
        }
        assert!(
            !stderr.contains("127.0.0.1:9"),
            "{what}: no secret in {stderr}"
        );
    }
    assert!(
        !site.path().join("entitle.db").exists(),
        "nothing is opened with a bad config"
    );
}

#[test]
fn actions_done_needs_a_note_and_a_known_id() {
    let site = Site::new();
    let no_note = run(
        site.path(),
        &["actions", "done", "0190aaaa-0000-7000-8000-000000000000"],
    );
    assert_eq!(no_note.status.code(), Some(2), "{no_note:?}");
    assert!(
        String::from_utf8_lossy(&no_note.stderr).contains("--note"),
        "{no_note:?}"
    );

    let unknown = run(
        site.path(),
        &[
            "actions",
            "done",
            "0190aaaa-0000-7000-8000-000000000000",
            "--note",
            "called them",
        ],
    );
    assert_eq!(unknown.status.code(), Some(2), "{unknown:?}");
    let stderr = String::from_utf8(unknown.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("0190aaaa-0000-7000-8000-000000000000"),
        "{stderr}"
    );

    let blank = run(
        site.path(),
        &[
            "actions",
            "done",
            "0190aaaa-0000-7000-8000-000000000000",
            "--note",
            "  ",
        ],
    );
    assert_eq!(blank.status.code(), Some(2), "{blank:?}");
}
