//! A test that cannot run here (no PostgreSQL URL, no SMTP server, no
//! `python3`, no Graphviz) says so where a person sees it. libtest captures
//! what `println!` and `eprintln!` write and shows it only for a failed test,
//! so a skip written with them passed silently; these write on the process's
//! standard error directly, which libtest leaves alone:
//!
//! ```text
//! SKIPPED api_suite::postgres: ENTITLE_TEST_POSTGRES_URL is not set (run `bash .ci/postgres.sh` and source what it prints)
//! ```

use std::io::Write as _;

/// The running test's name: libtest names each test's thread after it.
fn test_name() -> String {
    std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .unwrap_or("a test")
        .to_owned()
}

/// The line a skip writes: `SKIPPED <test>: <reason> (<how to run it>)`.
pub fn line(reason: &str, enable: &str) -> String {
    format!("SKIPPED {}: {reason} ({enable})", test_name())
}

/// Writes the skip line on standard error, past libtest's capture.
pub fn skip(reason: &str, enable: &str) {
    let mut stderr = std::io::stderr().lock();
    // Nothing to do if standard error is gone: the test passes either way.
    let _ = writeln!(stderr, "{}", line(reason, enable));
}

/// As [`skip`], but under CI (`CI` set), where every test must run, fails
/// the test with the same line instead.
pub fn skip_unless_ci(reason: &str, enable: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set, and CI must run this test: {}",
        line(reason, enable)
    );
    skip(reason, enable);
}
