//! Every package has one integration-test binary, `tests/tests.rs`, with
//! `autotests = false`: cargo no longer finds a suite by itself, so a file
//! added under `tests/` that `tests/tests.rs` does not name would never
//! run. This walks every package of the workspace and says which.
#![expect(
    clippy::expect_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// The packages of the workspace: the facade at the root and `crates/*`.
fn packages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut packages = vec![root.to_path_buf()];
    let crates = fs::read_dir(root.join("crates")).expect("the workspace has crates/");
    for entry in crates {
        let path = entry.expect("crates/ can be listed").path();
        if path.join("Cargo.toml").is_file() {
            packages.push(path);
        }
    }
    packages.sort();
    packages
}

/// The modules a `tests/` directory holds: `x.rs` and `x/mod.rs`, but the
/// binary's root itself.
fn suites_on_disk(tests: &Path) -> BTreeSet<String> {
    let mut suites = BTreeSet::new();
    for entry in fs::read_dir(tests).expect("tests/ can be listed") {
        let path = entry.expect("tests/ can be listed").path();
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let is_file_suite = path.extension().is_some_and(|e| e == "rs") && name != "tests";
        if is_file_suite || path.join("mod.rs").is_file() {
            suites.insert(name);
        }
    }
    suites
}

/// The modules `tests.rs` declares (`mod x;`, after any attributes).
fn suites_declared(root: &str) -> BTreeSet<String> {
    root.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("//"))
        .filter_map(|line| {
            let line = line.rsplit(']').next().unwrap_or(line).trim();
            let line = line.strip_prefix("pub ").unwrap_or(line);
            line.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_suite_under_tests_is_a_module_of_the_one_binary() {
    let mut checked = 0;
    let mut forgotten = Vec::new();
    for package in packages() {
        let tests = package.join("tests");
        if !tests.is_dir() {
            continue;
        }
        let root = tests.join("tests.rs");
        let manifest = fs::read_to_string(package.join("Cargo.toml")).expect("Cargo.toml reads");
        assert!(
            root.is_file() && manifest.contains("autotests = false"),
            "{} has tests/ but not one binary at tests/tests.rs with autotests = false",
            package.display()
        );
        let declared = suites_declared(&fs::read_to_string(&root).expect("tests.rs reads"));
        for suite in suites_on_disk(&tests) {
            if !declared.contains(&suite) {
                forgotten.push(format!("{}: {suite}", tests.display()));
            }
        }
        checked += 1;
    }
    // The root and the five crates with tests (the test-support crate has none).
    assert!(checked >= 6, "only {checked} packages with tests found");
    assert!(
        forgotten.is_empty(),
        "suites tests/tests.rs does not name, so they never run (add `mod NAME;`): {forgotten:#?}"
    );
}

#[test]
fn a_declaration_is_read_after_its_attributes() {
    let declared = suites_declared(
        "//! doc\n// mod commented;\nmod a;\n#[cfg(feature = \"svg\")]\nmod b;\n#[expect(clippy::x, reason = \"y\")] mod c;\npub mod d;\n",
    );
    let expected: BTreeSet<String> = ["a", "b", "c", "d"].map(str::to_owned).into();
    assert_eq!(declared, expected);
}
