//! Scenarios v2 (#22), feature by feature: for each, a file that passes and
//! one that must fail, run by `entitle test` from `tests/scenarios/`, with
//! the report text snapshot (`tests/snapshots/`) and the exit code.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::path::Path;

use assert_cmd::Command;

/// `entitle test ARGS` in `tests/scenarios/`: the exit code and the report.
fn entitle_test(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::cargo_bin("entitle")
        .unwrap()
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios"))
        .arg("test")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "a report goes to standard output"
    );
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
    )
}

/// The report without its coverage block (snapshots keep to the feature).
fn without_coverage(report: &str) -> String {
    let mut out = String::new();
    let mut in_coverage = false;
    for line in report.lines() {
        if line == "coverage:" {
            in_coverage = true;
            continue;
        }
        if in_coverage && line.starts_with(' ') {
            continue;
        }
        in_coverage = false;
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn going_on_a_skipped_scenario_is_reported_and_the_run_passes() {
    let (code, report) = entitle_test(&["v2/going/pass.toml"]);
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(without_coverage(&report));
}

#[test]
fn going_on_a_malformed_scenario_is_one_error_and_the_others_run() {
    let (code, report) = entitle_test(&["v2/going/fail.toml"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(without_coverage(&report));
}

#[test]
fn going_on_names_are_unique_across_the_run_by_file_stem() {
    let (code, report) = entitle_test(&["v2/dup"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(without_coverage(&report));
}

#[test]
fn going_on_filter_runs_the_matching_names_only() {
    let (code, report) = entitle_test(&["v2/going", "--filter", "fail/a month"]);
    assert_eq!(code, Some(0));
    assert!(
        report.ends_with("1 passed, 0 failed, 5 filtered out\n"),
        "{report}"
    );
    // Two filters: either matches; an error of a scenario that matches
    // is still an error.
    let (code, report) = entitle_test(&["v2/going", "--filter", "pass/", "--filter", "misspelt"]);
    assert_eq!(code, Some(1));
    assert!(
        report.ends_with("1 passed, 0 failed, 1 error, 1 skipped, 3 filtered out\n"),
        "{report}"
    );
}

/// JUnit: suites by file, cases by name; an error is an `<error>` case, a
/// skipped scenario a `<skipped>` one, both counted.
#[test]
fn going_on_junit_counts_errors_and_skips() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let (code, _) = entitle_test(&["v2/going", "--junit", junit.to_str().unwrap()]);
    assert_eq!(code, Some(1));
    let text = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(
        (
            root.attribute("tests"),
            root.attribute("failures"),
            root.attribute("errors"),
            root.attribute("skipped")
        ),
        (Some("6"), Some("1"), Some("2"), Some("1"))
    );
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(suites, ["v2/going/fail.toml", "v2/going/pass.toml"]);
    let errored: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("error"))
        .map(|e| e.parent().unwrap().attribute("name").unwrap())
        .collect();
    assert_eq!(errored, ["an outcome misspelt", "users out of range"]);
    let skipped = doc
        .descendants()
        .find(|n| n.has_tag_name("skipped"))
        .unwrap();
    assert_eq!(
        skipped.attribute("message"),
        Some("the grace rules change in #31")
    );
}

#[test]
fn refusal_expected_refusals_pass_from_facts_a_string_and_a_file() {
    let (code, report) = entitle_test(&["v2/refusal/pass.toml"]);
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(without_coverage(&report));
}

#[test]
fn refusal_a_decision_or_another_refusal_fails_with_both_texts() {
    let (code, report) = entitle_test(&["v2/refusal/fail.toml"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(without_coverage(&report));
}

/// The built-in corpus's expected refusals: one per bad-input class the
/// README lists, each passing (and so each refused as it says).
#[test]
fn refusal_the_built_in_bad_input_classes_are_refused_as_expected() {
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../entitle-core/scenarios/bad-input.toml");
    let (code, report) = entitle_test(&[corpus.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.ends_with("10 passed, 0 failed\n"), "{report}");
    let text = std::fs::read_to_string(&corpus).unwrap();
    for class in [
        "a bad date",
        "an unknown field",
        "a missing field",
        "a bad email",
        "a bad URL",
        "a license that ends before it starts",
        "an unknown enum value",
    ] {
        assert!(text.contains(&format!("name = \"{class}\"")), "{class}");
    }
}

#[test]
fn partial_actions_fragments_and_sets_pass() {
    let (code, report) = entitle_test(&["v2/partial/pass.toml"]);
    assert_eq!(code, Some(0));
    insta::assert_snapshot!(without_coverage(&report));
}

#[test]
fn partial_each_unmet_expectation_is_named_with_the_decided_value() {
    let (code, report) = entitle_test(&["v2/partial/fail.toml"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(without_coverage(&report));
}

#[test]
fn templates_tables_and_relative_dates_pass() {
    let (code, report) = entitle_test(&["v2/templates/pass.toml"]);
    assert_eq!(code, Some(0), "{report}");
    insta::assert_snapshot!(without_coverage(&report));
}

#[test]
fn templates_a_failing_row_and_unusable_templates_are_named() {
    let (code, report) = entitle_test(&["v2/templates/fail.toml"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(without_coverage(&report));
}

/// Each row of a table is its own test case in JUnit, named `TABLE: ROW`.
#[test]
fn templates_each_row_is_a_junit_case() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let (code, _) = entitle_test(&["v2/templates/pass.toml", "--junit", junit.to_str().unwrap()]);
    assert_eq!(code, Some(0));
    let text = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let rows: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .filter_map(|n| n.attribute("name"))
        .filter(|n| n.starts_with("grace boundary: "))
        .collect();
    assert_eq!(
        rows,
        [
            "grace boundary: expired 13 days ago",
            "grace boundary: expired 14 days ago",
            "grace boundary: expired 60 days ago"
        ]
    );
}

/// The built-in license-emergency scenarios take every edge and every
/// outcome of both sub-graphs.
#[test]
fn coverage_the_built_in_composite_policy_is_covered_outcome_by_sub_graph() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../entitle-core/scenarios/license-emergency.toml");
    let (code, report) = entitle_test(&[corpus.to_str().unwrap(), "--min-edge-coverage", "100"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("license-emergency: 21 scenarios, edges 26/26 (100.0%), outcomes 12/12\n"),
        "{report}"
    );
}

/// One weekend scenario: the outcomes it leaves are named by sub-graph,
/// each once (`weekday/not-lapsed`, not a second `not-lapsed`).
#[test]
fn coverage_untaken_outcomes_are_named_by_sub_graph_each_once() {
    let (code, report) = entitle_test(&["v2/coverage/weekend.toml", "--min-edge-coverage", "50"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(report);
}

/// A whole number out of range in a scenario file, JSON or TOML, says so
/// (not `floating point 1e+20`), at the line and column of the file.
#[test]
fn range_an_integer_out_of_range_says_so() {
    let (code, report) = entitle_test(&["v2/range"]);
    assert_eq!(code, Some(1));
    insta::assert_snapshot!(without_coverage(&report));
}
