//! The built-in scenario corpus, run the way zen-engine runs its graphs:
//! every scenario through `decide` (the threaded fast path), the reference
//! table walk (`decide_walk`), `evaluate` (trace, details, `stable_until`)
//! and the JSON boundary (`decide_json`), all agreeing with the expectation;
//! and every edge and outcome of every policy taken by some scenario.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use entitle::config::PolicyConfig;
use entitle::graph::Context;
use entitle::policy::{Outcome, PolicyVisitor, Registered, decide, evaluate};
use entitle::scenario::run::{Got, compare, run, scenario_config};
use entitle::scenario::{Scenario, ScenarioFormat, ScenarioProblem, corpus, coverage, load_str};
use entitle::{parse_facts, report_for};

/// Decides a scenario through the typed API in three ways; returns the
/// outcome ids of `decide` and `decide_walk`, and the comparable form of
/// `evaluate`'s decision.
struct Typed<'a> {
    scenario: &'a Scenario,
    config: &'a PolicyConfig,
}

impl PolicyVisitor for Typed<'_> {
    type Output = (&'static str, &'static str, Got);
    fn visit<P: Registered>(self) -> Self::Output {
        let bytes = serde_json::to_vec(&self.scenario.facts).unwrap();
        let facts: P::Facts = parse_facts(&bytes).unwrap();
        let now = self.scenario.now;
        let fast = decide::<P>(&facts, now, self.config).unwrap().id();
        let graph = P::graph().unwrap();
        let walk = graph
            .decide_walk(&facts, &Context::new(now, self.config))
            .unwrap()
            .id();
        let decision = evaluate::<P>(&facts, now, self.config).unwrap();
        let got = Got::of(&report_for::<P>(decision, now, self.config));
        (fast, walk, got)
    }
}

#[test]
fn every_scenario_agrees_through_every_entry_point() {
    let scenarios = corpus::corpus().unwrap();
    assert!(scenarios.len() >= 70, "{} scenarios", scenarios.len());
    let base = PolicyConfig::default();
    for scenario in &scenarios {
        let config = scenario_config(scenario, &base).unwrap();
        let (fast, walk, typed) = entitle::policies::visit(
            scenario.policy,
            Typed {
                scenario,
                config: &config,
            },
        )
        .unwrap();
        let who = format!("{} / {}", scenario.file, scenario.name);
        assert_eq!(
            Some(fast),
            scenario.expect.outcome.as_deref(),
            "decide: {who}"
        );
        assert_eq!(
            Some(walk),
            scenario.expect.outcome.as_deref(),
            "decide_walk: {who}"
        );
        assert_eq!(compare(scenario, &typed), vec![], "evaluate: {who}");
        let json = run(scenario, &base).unwrap();
        assert!(json.passed(), "decide_json: {}", json.failure_line());
        assert_eq!(
            json.got,
            Some(typed),
            "decide_json and evaluate differ: {who}"
        );
    }
}

#[test]
fn every_edge_and_outcome_of_every_policy_has_a_scenario() {
    let scenarios = corpus::corpus().unwrap();
    let runs: Vec<_> = scenarios
        .iter()
        .map(|s| run(s, &PolicyConfig::default()).unwrap())
        .collect();
    let report = coverage::coverage(&runs).unwrap();
    let covered: Vec<&str> = report.iter().map(|c| c.policy).collect();
    let all: Vec<&str> = entitle::policies::POLICIES.iter().map(|p| p.id).collect();
    assert_eq!(covered, all, "a policy has no scenario file");
    for policy in &report {
        assert!(
            policy.edges_not_taken.is_empty() && policy.outcomes_not_taken.is_empty(),
            "{}: no scenario takes edges {:?} or reaches outcomes {:?}; add scenarios to \
             crates/entitle-core/scenarios/{}.toml",
            policy.policy,
            policy.edges_not_taken,
            policy.outcomes_not_taken,
            policy.policy
        );
        assert!(policy.edges > 0);
    }
}

#[test]
fn every_scenario_states_its_whole_expectation() {
    // The corpus is the reference: each scenario pins the path and
    // stable_until, not only the outcome.
    for scenario in corpus::corpus().unwrap() {
        assert!(scenario.expect.path.is_some(), "{}", scenario.name);
        assert!(scenario.expect.stable_until.is_some(), "{}", scenario.name);
    }
}

const GOOD: &str = r#"
[[scenario]]
name = "a trial that ended yesterday"
policy = "license-status"
now = 2026-11-23T10:00:00Z
facts = { license = { plan = "premium", trial = true, starts_on = 2026-10-23, expires_on = 2026-11-22, users = 50 } }
expect = { outcome = "trial-expired" }
"#;

fn load_err(text: &str) -> entitle::scenario::ScenarioError {
    load_str(text, ScenarioFormat::Toml, "t.toml").unwrap_err()
}

/// `expect.absent`: detail keys the decision must not have; a present one
/// is a mismatch, an unknown key a load error.
#[test]
fn absent_detail_keys_are_checked() {
    let file = |absent: &str| {
        format!(
            r#"
[[scenario]]
name = "no reviewer without a schedule"
policy = "provision-failure"
now = 2026-11-23T15:00:00Z
facts = {{ failure = {{ kind = "k", occurred_at = 2026-11-21T09:12:00Z, subscription = "A-S1" }}, fulfillment_resolved = true, needs_lr_intervention = false, root_cause = "unknown", customer_email = "a@b.example" }}
expect = {{ outcome = "resolved-by-fulfillment", absent = [{absent}] }}
"#
        )
    };
    let passes = load_str(&file("\"reviewer\""), ScenarioFormat::Toml, "t.toml").unwrap();
    assert!(run(&passes[0], &PolicyConfig::default()).unwrap().passed());
    let fails = load_str(&file("\"review_on\""), ScenarioFormat::Toml, "t.toml").unwrap();
    let result = run(&fails[0], &PolicyConfig::default()).unwrap();
    assert_eq!(
        result.failure_line(),
        "FAIL t.toml: \"no reviewer without a schedule\" (provision-failure): details.review_on: expected absent, got \"2026-11-23\""
    );
    let unknown = load_err(&file("\"reviwer\""));
    assert_eq!(unknown.field.as_deref(), Some("expect.absent[0]"));
}

#[test]
fn a_well_formed_file_loads() {
    let scenarios = load_str(GOOD, ScenarioFormat::Toml, "t.toml").unwrap();
    assert_eq!(scenarios.len(), 1);
    assert_eq!(scenarios[0].facts["license"]["expires_on"], "2026-11-22");
}

#[test]
fn a_date_typo_is_a_load_error_naming_the_field() {
    // 2026-11-31 does not exist: TOML accepts it as a string, the facts type does not.
    let text = GOOD.replace("expires_on = 2026-11-22", "expires_on = \"2026-11-31\"");
    let error = load_err(&text);
    assert_eq!(
        error.scenario.as_deref(),
        Some("a trial that ended yesterday")
    );
    assert_eq!(error.field.as_deref(), Some("facts.license.expires_on"));
    assert!(matches!(*error.problem, ScenarioProblem::BadFacts(_)));
    let line = error.to_string();
    // The line and column are in the file as written (line 6, the
    // `license = { ... }` line, where `expires_on`'s value starts).
    let column = text.lines().nth(5).unwrap().find("\"2026-11-31\"").unwrap() + 1;
    assert!(
        line.starts_with(&format!(
            "t.toml:6:{column}: scenario \"a trial that ended yesterday\": field `facts.license.expires_on`: "
        )),
        "{line}"
    );
}

#[test]
fn each_bad_field_is_named() {
    let cases = [
        (GOOD.replace("license-status", "licence-status"), "policy"),
        (GOOD.replace("2026-11-23T10:00:00Z", "\"yesterday\""), "now"),
        // The one instant reader: in UTC within the years 0001-9999, no
        // leap second, at most 9 fractional digits.
        (
            GOOD.replace("2026-11-23T10:00:00Z", "9999-12-31T23:59:59-12:00"),
            "now",
        ),
        (
            GOOD.replace("2026-11-23T10:00:00Z", "\"0000-01-01T00:00:00+01:00\""),
            "now",
        ),
        (
            GOOD.replace("2026-11-23T10:00:00Z", "\"2026-11-23T23:59:60Z\""),
            "now",
        ),
        (
            GOOD.replace(
                "2026-11-23T10:00:00Z",
                "\"2026-11-23T10:00:00.1234567891Z\"",
            ),
            "now",
        ),
        (
            GOOD.replace("trial-expired", "trial-over"),
            "expect.outcome",
        ),
        (
            GOOD.replace(
                "outcome = \"trial-expired\"",
                "outcome = \"trial-expired\", details = { day = 1 }",
            ),
            "expect.details.day",
        ),
        (
            GOOD.replace(
                "outcome = \"trial-expired\"",
                "outcome = \"trial-expired\", path = [\"has-started=yes\", \"is-trial=maybe\"]",
            ),
            "expect.path[1]",
        ),
        (
            GOOD.replace(
                "outcome = \"trial-expired\"",
                "outcome = \"trial-expired\", stable_until = \"soon\"",
            ),
            "expect.stable_until",
        ),
        (
            GOOD.replace(
                "expect = {",
                "config = { grace_period_dayz = 7 }\nexpect = {",
            ),
            "config.grace_period_dayz",
        ),
        (
            GOOD.replace(
                "expect = {",
                "config = { timezone = \"Mars/Olympus\" }\nexpect = {",
            ),
            "config.timezone",
        ),
        (
            GOOD.replace("users = 50", "users = -1"),
            "facts.license.users",
        ),
        (GOOD.replace("expect = {", "expected = {"), "expected"),
        // An array where an object belongs is not read positionally (#20).
        (
            GOOD.replace(
                "expect = { outcome = \"trial-expired\" }",
                "expect = [\"trial-expired\"]",
            ),
            "expect",
        ),
    ];
    for (text, field) in cases {
        let error = load_err(&text);
        assert_eq!(error.field.as_deref(), Some(field), "{error}");
    }
}

/// A TOML value that does not exist (`2026-02-30`) fails the whole file in
/// the TOML parser: the error still names the scenario and the field (#20).
#[test]
fn a_toml_date_that_does_not_exist_names_scenario_and_field() {
    for (text, field) in [
        (
            GOOD.replace("2026-11-23T10:00:00Z", "2026-02-30T10:00:00Z"),
            "now",
        ),
        (
            GOOD.replace("expires_on = 2026-11-22", "expires_on = 2026-02-30"),
            "facts",
        ),
    ] {
        let error = load_err(&text);
        assert!(
            matches!(*error.problem, ScenarioProblem::Syntax { .. }),
            "{error}"
        );
        assert_eq!(
            error.scenario.as_deref(),
            Some("a trial that ended yesterday"),
            "{error}"
        );
        assert_eq!(error.field.as_deref(), Some(field), "{error}");
        let line = error.to_string();
        let at = error.at.unwrap();
        assert!(
            line.starts_with(&format!(
                "t.toml:{at}: scenario \"a trial that ended yesterday\": field `{field}`: not valid TOML: `"
            )),
            "{line}"
        );
        assert!(
            text.lines()
                .nth(at.line - 1)
                .unwrap()
                .contains("2026-02-30")
        );
    }
    // In a second scenario without a name, under a `[scenario.expect]`
    // table: its number and the dotted key.
    let second = format!(
        "{GOOD}\n[[scenario]]\npolicy = \"license-status\"\nnow = 2026-11-23T10:00:00Z\n[scenario.expect]\nstable_until = 2026-13-01T00:00:00Z\n"
    );
    let error = load_err(&second);
    assert_eq!(error.scenario.as_deref(), Some("#2"), "{error}");
    assert_eq!(
        error.field.as_deref(),
        Some("expect.stable_until"),
        "{error}"
    );
}

#[test]
fn file_level_problems() {
    assert!(matches!(
        *load_err("[[scenario]\nname = 1").problem,
        ScenarioProblem::Syntax { .. }
    ));
    assert_eq!(*load_err("").problem, ScenarioProblem::Empty);
    let twice = format!("{GOOD}{GOOD}");
    let error = load_err(&twice);
    assert_eq!(*error.problem, ScenarioProblem::DuplicateName);
    assert_eq!(error.field.as_deref(), Some("name"));
    let json = r#"{"scenario": [{"name": "x", "policy": "license-status", "now": "2026-11-23T10:00:00Z",
        "facts": {}, "expect": {"outcome": "active"}}]}"#;
    let error = load_str(json, ScenarioFormat::Json, "t.json").unwrap_err();
    assert_eq!(error.field.as_deref(), Some("facts"), "{error}");
}

#[test]
fn the_schema_describes_the_format() {
    let schema = entitle::scenario::json_schema();
    let text = schema.to_string();
    for key in [
        "scenario",
        "policy",
        "now",
        "facts",
        "config",
        "expect",
        "stable_until",
        "path",
    ] {
        assert!(text.contains(&format!("\"{key}\"")), "{key} missing");
    }
}

#[test]
fn detail_keys_are_exactly_the_keys_of_details() {
    use entitle::domain::Plan;
    use entitle::policy::{Details, PolicyAction};
    let d = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let full = Details {
        plan: Some(Plan::Premium),
        users: Some(1),
        days: Some(1),
        email: Some("a@b.c".into()),
        starts_on: Some(d),
        expires_on: Some(d),
        grace_ends_on: Some(d),
        days_remaining: Some(1),
        days_since: Some(1),
        review_on: Some(d),
        reviewer: Some(entitle::schedule::Engineer::new("alice").unwrap()),
        missing: vec!["x"],
        internal_request: Some("x".into()),
        actions: vec![entitle::policies::StarValidityAction::DeflectWithDocs.action()],
    };
    let value = serde_json::to_value(full).unwrap();
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut known = entitle::scenario::DETAIL_KEYS.to_vec();
    keys.sort_unstable();
    known.sort_unstable();
    assert_eq!(keys, known);
}

#[test]
fn coverage_names_the_edge_and_outcome_a_missing_scenario_leaves() {
    let runs: Vec<_> = corpus::corpus()
        .unwrap()
        .iter()
        .filter(|s| {
            s.policy == "license-status" && s.expect.outcome.as_deref() != Some("not-started")
        })
        .map(|s| run(s, &PolicyConfig::default()).unwrap())
        .collect();
    let report = coverage::coverage(&runs).unwrap();
    assert_eq!(report.len(), 1);
    assert_eq!(report[0].edges_not_taken, vec!["has-started=no".to_owned()]);
    assert_eq!(report[0].outcomes_not_taken, vec!["not-started"]);
    assert_eq!((report[0].edges_taken, report[0].edges), (11, 12));
}

/// Every policy's worked examples are its scenario file, read with typed
/// facts, in file order.
#[test]
fn every_policy_reads_its_examples_from_its_scenario_file() {
    struct Count;
    impl PolicyVisitor for Count {
        type Output = Vec<String>;
        fn visit<P: Registered>(self) -> Vec<String> {
            entitle::scenario::examples::<P>()
                .unwrap()
                .into_iter()
                .map(|e| e.name)
                .collect()
        }
    }
    let scenarios = corpus::corpus().unwrap();
    for policy in entitle::policies::POLICIES {
        let names = entitle::policies::visit(policy.id, Count).unwrap();
        let in_file: Vec<String> = scenarios
            .iter()
            .filter(|s| s.policy == policy.id)
            .map(|s| s.name.clone())
            .collect();
        assert!(!names.is_empty(), "{}", policy.id);
        assert_eq!(names, in_file, "{}", policy.id);
    }
}

#[test]
fn a_bad_date_in_an_examples_file_names_file_scenario_and_field() {
    use entitle::policies::LicenseStatus;
    use entitle::scenario::examples_in;
    let good = examples_in::<LicenseStatus>(GOOD, "scenarios/license-status.toml").unwrap();
    assert_eq!(good[0].facts.license.expires_on.to_string(), "2026-11-22");
    for (typo, field) in [
        ("expires_on = \"2026-11-31\"", "facts.license.expires_on"),
        ("expires_on = \"2026-13-01\"", "facts.license.expires_on"),
    ] {
        let text = GOOD.replace("expires_on = 2026-11-22", typo);
        let error =
            examples_in::<LicenseStatus>(&text, "scenarios/license-status.toml").unwrap_err();
        assert_eq!(error.file, "scenarios/license-status.toml");
        assert_eq!(
            error.scenario.as_deref(),
            Some("a trial that ended yesterday")
        );
        assert_eq!(error.field.as_deref(), Some(field), "{error}");
    }
    let now = GOOD.replace("2026-11-23T10:00:00Z", "\"2026-11-23 10:00\"");
    let error = examples_in::<LicenseStatus>(&now, "f.toml").unwrap_err();
    assert_eq!(error.field.as_deref(), Some("now"), "{error}");
    // A scenario of another policy is not an example of this one.
    let error = examples_in::<entitle::policies::WeekendEmergency>(GOOD, "f.toml").unwrap_err();
    assert_eq!(error.field.as_deref(), Some("policy"), "{error}");
    assert!(
        error
            .to_string()
            .contains("among the examples of `weekend-emergency`"),
        "{error}"
    );
}
