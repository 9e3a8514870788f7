//! The README, run as written, top to bottom: every `sh` block of README.md,
//! in order, as ONE bash script in ONE fresh directory that holds only what a
//! fresh clone has and the README uses (`ticket.json`,
//! `examples/actions-local.toml`), as a newcomer would paste them.
//!
//! `cargo` is a shim that runs what the README's cargo commands would build,
//! already built by the `cargo test` running this:
//!
//! - `cargo run [-q] -p entitle-cli -- ARGS` runs the `entitle` binary;
//! - `cargo run [-p PKG] --example NAME` runs `target/<profile>/examples/NAME`
//!   (`cargo test` builds the examples; if one is missing this test builds it
//!   first, and says so);
//! - `cargo install --locked --path crates/entitle-cli` puts nothing in place:
//!   the built `entitle` is on the script's `PATH` already;
//! - `cargo test --workspace` is SKIPPED (this test runs inside it), and so
//!   are the benchmarks (`cargo bench`, `cargo run --release ...`): release
//!   builds and minutes of measurement.
//!
//! The servers the README starts in the background (`entitle serve`, the
//! local receiver) are stopped at the end whatever happens: a bash `trap`,
//! then the whole process group. The README's ports (8080, 9000) must be
//! free. The output of each block is checked against what the README says it
//! shows.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::string_slice,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The whole README run may take this long (it takes about 5 s).
const DEADLINE: Duration = Duration::from_secs(60);

/// The ports the README's servers listen on.
const PORTS: [(u16, &str); 2] = [
    (8080, "`entitle serve`"),
    (
        9000,
        "the local receiver (`cargo run -p entitle-notify --example receiver`)",
    ),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The README's fenced blocks of one language, in order.
fn blocks<'a>(readme: &'a str, language: &str) -> Vec<&'a str> {
    let fence = format!("```{language}\n");
    let mut out = Vec::new();
    let mut rest = readme;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("an unclosed block in README.md");
        out.push(&body[..end]);
        rest = &body[end..];
        rest = &rest[3..];
    }
    out
}

/// The `cargo` of the README run (see the module's documentation).
const CARGO_SHIM: &str = r#"#!/usr/bin/env bash
# `cargo` for the README run (crates/entitle-cli/tests/docs_readme.rs).
set -euo pipefail
command=${1:-}
shift || true
case "$command" in
  run)
    package= example= release= args=()
    while [ $# -gt 0 ]; do
      case "$1" in
        -q|--quiet) ;;
        --release) release=1 ;;
        -p|--package) shift; package=$1 ;;
        --example) shift; example=$1 ;;
        --) shift; args=("$@"); break ;;
        *) echo "cargo shim: cannot run: cargo run ... $1" >&2; exit 101 ;;
      esac
      shift
    done
    if [ -n "$release" ]; then
      echo "SKIPPED by the README run: cargo run --release${package:+ -p $package} --example $example (a benchmark)"
      exit 0
    fi
    if [ -n "$example" ]; then exec "$README_EXAMPLES/$example" "${args[@]}"; fi
    if [ "$package" = entitle-cli ]; then exec "$README_ENTITLE" "${args[@]}"; fi
    echo "cargo shim: cannot run: cargo run -p $package" >&2; exit 101 ;;
  install)
    [ "$*" = "--locked --path crates/entitle-cli" ] || { echo "cargo shim: cannot install: $*" >&2; exit 101; }
    echo "cargo shim: the built entitle is on the PATH: $(command -v entitle)" ;;
  test)
    echo "SKIPPED by the README run: cargo test $* (the README run is part of it)" ;;
  bench)
    echo "SKIPPED by the README run: cargo bench $* (a benchmark)" ;;
  *)
    echo "cargo shim: cannot run: cargo $command $*" >&2; exit 101 ;;
esac
"#;

/// The script: the README's `sh` blocks in order, each after a marker line.
fn script(sh_blocks: &[&str]) -> String {
    let mut script = String::from(
        "set -euo pipefail\n\
         # Stop what the README started in the background, whatever happens.\n\
         trap 'status=$?; kill $(jobs -p) 2>/dev/null || true; wait || true; exit $status' EXIT\n",
    );
    for (n, block) in sh_blocks.iter().enumerate() {
        script.push_str(&format!("echo '=== README block {n}'\n{block}\n"));
    }
    script.push_str("echo '=== README end'\n");
    script
}

/// The examples the README runs, built (by `cargo test`, or here).
fn examples(bin: &Path) -> PathBuf {
    let dir = bin.parent().unwrap().join("examples");
    for (package, example) in [("entitle", "quickstart"), ("entitle-notify", "receiver")] {
        if dir.join(example).is_file() {
            continue;
        }
        // Written past libtest's capture: this takes a while.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "docs_readme: building the example `{example}` of `{package}` the README runs \
             (`cargo test --workspace` builds it; `cargo test -p entitle-cli` does not)"
        );
        let profile = bin.parent().unwrap().file_name().unwrap();
        let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build
            .current_dir(repo())
            .args(["build", "-p", package, "--example", example]);
        if profile == "release" {
            build.arg("--release");
        }
        let status = build.status().unwrap();
        assert!(status.success(), "cargo build --example {example} failed");
        assert!(
            dir.join(example).is_file(),
            "{} is missing after cargo build",
            dir.join(example).display()
        );
    }
    dir
}

/// Fails, saying which, when a README port is taken.
fn ports_are_free() {
    for (port, what) in PORTS {
        if let Err(error) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            panic!(
                "port {port} on 127.0.0.1 is busy ({error}): the README runs {what} there. \
                 Stop what listens on it (`ss -ltnp 'sport = :{port}'`) and run the test again."
            );
        }
    }
}

/// Runs `script` with bash in its own process group, at most [`DEADLINE`];
/// kills the group afterwards (whatever a trap missed). Returns whether it
/// succeeded, its stdout and its stderr.
fn run(script: &str, dir: &Path, path: &str, env: &[(&str, &Path)]) -> (bool, String, String) {
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        .env_remove("RUST_LOG")
        .env_remove("SLACK_WEBHOOK_URL")
        .env_remove("GITLAB_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().unwrap();
    let group = child.id();
    let read = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = read(Box::new(child.stdout.take().unwrap()));
    let stderr = read(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > DEADLINE {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Whatever is left of the group (nothing, when the trap did its work).
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status();
    let _ = child.wait();
    let (stdout, stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
    let Some(status) = status else {
        panic!("the README run took more than {DEADLINE:?}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    };
    (status.success(), stdout, stderr)
}

/// The output of README block `n` (with what the background servers printed
/// meanwhile).
fn block(stdout: &str, n: usize) -> &str {
    let start = stdout
        .find(&format!("=== README block {n}\n"))
        .unwrap_or_else(|| panic!("block {n} did not run:\n{stdout}"));
    let rest = &stdout[start..];
    let end = rest[1..].find("=== README ").map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

#[track_caller]
fn shows(output: &str, what: &[&str], all: &str) {
    for text in what {
        assert!(
            output.contains(text),
            "expected `{text}` in:\n{output}\n\nthe whole run:\n{all}"
        );
    }
}

#[test]
fn the_readme_works_as_written_top_to_bottom_in_a_fresh_directory() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let sh = blocks(&readme, "sh");
    assert_eq!(
        sh.len(),
        5,
        "README.md's sh blocks changed: update this test"
    );

    // What the README shows of the ticket is the file it uses.
    let ticket = std::fs::read_to_string(repo().join("ticket.json")).unwrap();
    let json = blocks(&readme, "json");
    assert_eq!(json, [ticket.as_str()], "README.md's ticket.json block");
    // Its config block is a config the tools accept.
    let toml = blocks(&readme, "toml");
    assert_eq!(toml.len(), 1);
    entitle::config_from_toml(toml[0]).expect("README.md's --config example");

    let bin = assert_cmd::cargo::cargo_bin("entitle");
    let examples = examples(&bin);
    let tmp = tempfile::tempdir().unwrap();
    let clone = tmp.path().join("entitle");
    let shims = tmp.path().join("shims");
    let home = tmp.path().join("home");
    for dir in [&clone, &shims, &home] {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::create_dir_all(clone.join("examples")).unwrap();
    std::fs::copy(repo().join("ticket.json"), clone.join("ticket.json")).unwrap();
    std::fs::copy(
        repo().join("examples/actions-local.toml"),
        clone.join("examples/actions-local.toml"),
    )
    .unwrap();
    std::fs::write(shims.join("cargo"), CARGO_SHIM).unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(shims.join("cargo"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
    let path = format!(
        "{}:{}:{}",
        shims.display(),
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );

    ports_are_free();
    let script = script(&sh);
    let (ok, out, err) = run(
        &script,
        &clone,
        &path,
        &[
            ("HOME", &home),
            ("README_ENTITLE", &bin),
            ("README_EXAMPLES", &examples),
        ],
    );
    let all = format!("stdout:\n{out}\nstderr:\n{err}");
    assert!(ok, "the README run failed\n{all}");
    assert!(out.contains("=== README end"), "{all}");
    // The trap stopped the servers: the ports are free again.
    ports_are_free();

    // 0: the quickstart explains a weekend emergency; the suite is skipped.
    let b = block(&out, 0);
    shows(
        b,
        &[
            "Policy: weekend-emergency",
            "Decision: Generate a temporary Ultimate license",
        ],
        &all,
    );
    shows(
        b,
        &["SKIPPED by the README run: cargo test --workspace"],
        &all,
    );

    // 1: the `entitle` command.
    let b = block(&out, 1);
    shows(
        b,
        &[
            // policies
            "license-emergency",
            "star-validity",
            // Saturday: the weekend page, a 5-day license for the 118
            // users, emailed, stable until Monday 00:00.
            "2. Follow the weekend emergency workflow",
            "generate a 5-day Ultimate license for 118 users",
            "emailed to admin@example.com",
            "This changes at 2026-11-23T00:00:00Z (Monday",
            // Friday: the weekday page: no Seat Link report today, an L&R SME.
            "2. Follow the weekday emergency workflow",
            "latest report 2026-11-19",
            "Decision: Engage the assistance of an L&R SME",
            // render --format mermaid
            "flowchart",
            // schema
            "\"$schema\"",
        ],
        &all,
    );
    let completion =
        std::fs::read_to_string(home.join(".local/share/bash-completion/completions/entitle"))
            .unwrap();
    assert!(completion.contains("complete -F"), "{completion}");
    let page = std::fs::read_to_string(clone.join("entitle.1")).unwrap();
    assert!(page.contains(".TH entitle"), "{page}");

    // 2: the HTTP service decided ticket 4711 and lists the decision.
    let b = block(&out, 2);
    shows(
        b,
        &[
            "\"decision_id\"",
            "tickets/4711",
            "\"policy\":\"license-emergency\"",
        ],
        &all,
    );

    // 3: the actions demo: the receiver printed the license request, the
    // channel post with the ticket link, the [Success] issue and its
    // closing; `actions list` shows those steps delivered.
    shows(
        &out,
        &[
            "POST /licenses",
            "POST /slack",
            "tickets/4712",
            "[Success] - Created a license under admin@example.com for 118 users",
            "PUT /api/v4/projects/42/issues/",
        ],
        &all,
    );
    let block3 = block(&out, 3);
    let list = block3
        .split_once("ID  ")
        .unwrap_or_else(|| panic!("`actions list` printed no table\n{all}"))
        .1;
    for step in [
        "email-license",
        "post-to-licensing-channel",
        "record-internal-request",
    ] {
        let line = list
            .lines()
            .find(|l| l.contains(step) && l.contains("tickets/4712"))
            .unwrap_or_else(|| panic!("`actions list` shows no {step}\n{all}"));
        assert!(line.contains("delivered"), "{line}\n{all}");
    }

    // 4: the benchmarks are skipped.
    let b = block(&out, 4);
    shows(b, &["SKIPPED by the README run: cargo bench"], &all);
}
