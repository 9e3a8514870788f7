//! `cargo test --workspace` then `cargo run -p entitle-cli` rebuilds
//! nothing (#23 item 11): every crate the binary builds is resolved with the
//! same features as in the workspace's test build, so the two share every
//! compiled crate. Asked of `cargo tree`, offline and in about a second.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::BTreeSet;
use std::path::Path;

/// `cargo tree ARGS` as `package version features` lines, one per crate
/// build.
fn tree(args: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = std::process::Command::new(cargo)
        .current_dir(root)
        .args(["tree", "--offline", "--prefix", "none", "-f", "{p} {f}"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        // `(*)` marks a crate shown before; the path of a workspace crate
        // is the same in both.
        .map(|line| line.trim_end_matches(" (*)").trim_end().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

#[test]
fn the_binary_and_the_tests_build_each_crate_with_the_same_features() {
    let binary = tree(&["-p", "entitle-cli", "-e", "normal,build"]);
    let tests = tree(&["--workspace", "-e", "normal,build,dev"]);
    let differ: Vec<&String> = binary.difference(&tests).collect();
    assert!(
        differ.is_empty(),
        "these crates are built with other features for `cargo run -p entitle-cli` than for `cargo test --workspace`, so switching between the two rebuilds them (align the features in Cargo.toml):\n{}",
        differ
            .iter()
            .map(|line| line.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(binary.len() > 100, "{} crates?", binary.len());
}
