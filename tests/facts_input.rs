//! The JSON and TOML boundary (issue 9): strict values, and errors that say
//! where.
#![expect(
    clippy::panic,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::NaiveDate;
use entitle::FactsError;
use entitle::policies::{LicenseStatusFacts, WeekdayEmergencyFacts};

fn invalid(input: &str) -> (Option<String>, String) {
    match entitle::parse_facts::<WeekdayEmergencyFacts>(input.as_bytes()) {
        Err(FactsError::Invalid { path, message }) => (path, message),
        other => panic!("{input:?}: {other:?}"),
    }
}

#[test]
fn malformed_json_says_line_and_column_not_a_question_mark() {
    for (input, path, line_column) in [
        ("{", None, "line 1 column 1"),
        (
            "{\n  \"customer\": {\"status\": \"paid\"} \"x\"}",
            None,
            "line 2 column 34",
        ),
        (
            "{\"customer\": {\"status\": \"paid\",}}",
            Some("customer"),
            "line 1 column 32",
        ),
        (
            "{\"seat_link_dates\": [\"2026-01-01\" \"x\"]}",
            Some("seat_link_dates"),
            "line 1 column 35",
        ),
        (
            "{\"license\": {\"plan\": \"free\", \"trial\": tru}}",
            Some("license.trial"),
            "line 1 column 42",
        ),
    ] {
        let (got_path, message) = invalid(input);
        assert_eq!(got_path.as_deref(), path, "{input:?}: {message}");
        assert!(message.contains(line_column), "{input:?}: {message}");
        let shown = entitle::parse_facts::<WeekdayEmergencyFacts>(input.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(!shown.contains('?'), "{shown}");
    }
}

#[test]
fn refused_values_name_their_field_path() {
    let facts = |starts_on: &str, expires_on: &str, seat: &str| {
        format!(
            r#"{{"customer": {{"status": "paid"}},
                "license": {{"plan": "premium", "trial": false, "starts_on": "{starts_on}", "expires_on": "{expires_on}", "users": 1}},
                "requester_has_cdot_account": true, "account_has_subscription_access": true,
                "seat_link_dates": ["2026-01-01", "{seat}"]}}"#
        )
    };
    entitle::parse_facts::<WeekdayEmergencyFacts>(
        facts("2025-01-01", "2026-01-01", "2026-01-02").as_bytes(),
    )
    .unwrap();
    for bad in [" 2025-1-1", "2026-1-1", "0000-01-01", "-0001-01-01"] {
        let (path, message) = invalid(&facts(bad, "2026-01-01", "2026-01-02"));
        assert_eq!(path.as_deref(), Some("license.starts_on"), "{message}");
        assert!(message.contains("is not a date"), "{message}");
        let (path, _) = invalid(&facts("2025-01-01", bad, "2026-01-02"));
        assert_eq!(path.as_deref(), Some("license.expires_on"));
        let (path, _) = invalid(&facts("2025-01-01", "2026-01-01", bad));
        assert_eq!(path.as_deref(), Some("seat_link_dates[1]"));
    }
    let (path, message) = invalid(&facts("2026-01-02", "2026-01-01", "2026-01-02"));
    assert_eq!(path.as_deref(), Some("license"));
    assert!(
        message.contains("`starts_on` (2026-01-02) is after `expires_on` (2026-01-01)"),
        "{message}"
    );
}

#[test]
fn toml_native_dates_are_the_dates_they_are() {
    let config =
        entitle::config_from_toml("company_holidays = [2026-12-24, \"2026-12-31\"]\n").unwrap();
    assert_eq!(
        config.company_holidays,
        vec![
            NaiveDate::from_ymd_opt(2026, 12, 24).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        ]
    );
    for (text, words) in [
        (
            "timezone = \"UTC\"\ncompany_holidays = [2026-12-24T10:00:00]\n",
            "is not a date",
        ),
        (
            "company_holidays = [\"2026-12-4\"]\n",
            "`2026-12-4` is not a date",
        ),
        ("company_holidays = [\"0000-12-04\"]\n", "is not a date"),
        ("company_holidays = [{a = 1}]\n", "expected a date"),
    ] {
        let err = entitle::config_from_toml(text).unwrap_err().to_string();
        assert!(err.contains(words), "{text:?}: {err}");
        assert!(err.contains("company_holidays"), "{text:?}: {err}");
    }
}

#[test]
fn the_schema_says_what_the_parser_takes() {
    let schema = entitle::schema("weekend-emergency").unwrap();
    let props = &schema["properties"];
    assert_eq!(props["requester_email"]["format"], "email");
    assert_eq!(props["requester_email"]["maxLength"], 254);
    assert_eq!(props["ticket_url"]["format"], "uri");
    assert_eq!(props["ticket_url"]["maxLength"], 2048);
    assert_eq!(
        props["ticket_url"]["pattern"],
        entitle::input::HTTP_URL_PATTERN
    );
    let license = &schema["$defs"]["License"]["properties"];
    for field in ["starts_on", "expires_on"] {
        assert_eq!(license[field]["format"], "date");
        assert_eq!(license[field]["pattern"], entitle::input::DATE_PATTERN);
    }
    let schema = entitle::schema("weekday-emergency").unwrap();
    let items = &schema["properties"]["seat_link_dates"]["items"];
    assert_eq!(items["format"], "date");
    assert_eq!(items["pattern"], entitle::input::DATE_PATTERN);
}

#[test]
fn license_status_refuses_a_license_that_ends_before_it_starts() {
    let facts = br#"{"license": {"plan": "free", "trial": true, "starts_on": "2026-03-01", "expires_on": "2026-02-01", "users": 1}}"#;
    let err = entitle::parse_facts::<LicenseStatusFacts>(facts).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("at `license`: `starts_on` (2026-03-01)"),
        "{err}"
    );
}

/// A policy says it is role-sensitive exactly when its facts name an
/// `actor` (the HTTP service sets that member from the caller's role).
#[test]
fn role_sensitive_policies_are_those_whose_facts_name_an_actor() {
    for policy in entitle::policies::POLICIES {
        let schema = entitle::schema(policy.id).unwrap();
        let has_actor = schema
            .get("properties")
            .and_then(|p| p.get("actor"))
            .is_some();
        assert_eq!(policy.role_sensitive, has_actor, "{}", policy.id);
    }
    assert!(entitle::policies::POLICIES.iter().any(|p| p.role_sensitive));
}

#[test]
fn a_missing_member_is_pointed_at_under_the_object_that_lacks_it() {
    // The path serde gives is the object's; the field adapters point at is
    // the member's.
    let facts = br#"{"license": {"plan": "free", "trial": true, "starts_on": "2026-01-01", "expires_on": "2026-02-01"}}"#;
    let err = entitle::parse_facts::<LicenseStatusFacts>(facts).unwrap_err();
    assert!(
        matches!(&err, FactsError::Invalid { path: Some(p), message } if p == "license" && message.starts_with("missing field `users`")),
        "{err:?}"
    );
    assert_eq!(err.field().as_deref(), Some("license.users"));
    let err = entitle::parse_facts::<LicenseStatusFacts>(b"{}").unwrap_err();
    assert_eq!(err.field().as_deref(), Some("license"));
    // Other errors point where serde says.
    let (path, _) = invalid(r#"{"customer": {"status": "paid", "x": 1}}"#);
    assert_eq!(path.as_deref(), Some("customer.x"));
    assert_eq!(entitle::FactsError::Empty.field(), None);
}

#[test]
fn valid_facts_parse_the_same_on_the_fast_path() {
    // The fast path (serde_json alone) and the explaining one agree on
    // what they accept: every registered policy's examples parse.
    for policy in entitle::policies::POLICIES {
        for example in entitle::examples(policy.id).unwrap().unwrap() {
            let facts = serde_json::to_vec(&example.facts).unwrap();
            let now = example.now.parse().unwrap();
            let config = entitle::config::PolicyConfig::default();
            entitle::decide_json(policy.id, &facts, now, &config).unwrap();
        }
    }
    // Trailing data is refused, as before, with the line and column.
    match entitle::parse_facts::<serde_json::Value>(br#"{"a": 1} x"#) {
        Err(FactsError::Invalid { path, message }) => {
            assert_eq!(path, None);
            assert!(
                message.contains("trailing characters at line 1"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Facts that are JSON but not an object are refused, saying what they
/// are and where: serde's derived structs would otherwise read an array as
/// the members in declaration order (the HTTP service already refused it;
/// the CLI decided it).
#[test]
fn facts_that_are_not_an_object_are_refused() {
    for (input, found, line_column) in [
        (r#"[{"status": "paid"}]"#, "an array", "line 1 column 1"),
        ("\n  42", "a number", "line 2 column 3"),
        (r#""facts""#, "a string", "line 1 column 1"),
        ("  true", "a boolean", "line 1 column 3"),
        ("null", "null", "line 1 column 1"),
        ("[]", "an array", "line 1 column 1"),
    ] {
        let (path, message) = invalid(input);
        assert_eq!(path, None, "{input:?}");
        assert_eq!(
            message,
            format!("the facts must be a JSON object, not {found} at {line_column}"),
            "{input:?}"
        );
    }
}

/// An array where the schema says object is refused at any depth, naming
/// the member: serde's derived structs read an array positionally, so
/// `"license": ["premium", false, ...]` was a license (#20).
#[test]
fn an_array_is_no_object_inside_the_facts_either() {
    let license = r#"{"license": ["premium", false, "2025-11-01", "2026-11-01", 10]}"#;
    match entitle::parse_facts::<LicenseStatusFacts>(license.as_bytes()) {
        Err(error @ FactsError::Invalid { .. }) => {
            assert_eq!(error.field().as_deref(), Some("license"), "{error}");
            let message = error.to_string();
            assert!(
                message.contains("invalid type: sequence, expected a JSON object"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    let (path, message) = invalid(
        r#"{"customer": ["paid"], "license": {"plan": "premium", "trial": false,
            "starts_on": "2025-11-01", "expires_on": "2026-11-01", "users": 10}}"#,
    );
    assert_eq!(path.as_deref(), Some("customer"), "{message}");
    assert!(message.contains("expected a JSON object"), "{message}");
    // The same license as an object is read.
    let object = r#"{"license": {"plan": "premium", "trial": false, "starts_on": "2025-11-01",
        "expires_on": "2026-11-01", "users": 10}}"#;
    assert!(entitle::parse_facts::<LicenseStatusFacts>(object.as_bytes()).is_ok());
}

/// Type errors say what JSON was expected, not which Rust type: no
/// `struct LicenseFields`, no `u32`, no bare `expected value`.
#[test]
fn type_errors_are_in_json_words() {
    for (input, path, expected) in [
        (
            r#"{"license": 5}"#,
            "license",
            "invalid type: integer `5`, expected a JSON object at line 1 column 13",
        ),
        (
            r#"{"license": {"plan": 5}}"#,
            "license.plan",
            "wrong type: expected a string naming one of its values (`entitle schema <policy>` lists them) at line 1 column 22",
        ),
        (
            r#"{"customer": {"status": true}}"#,
            "customer.status",
            "wrong type: expected a string naming one of its values",
        ),
    ] {
        let (got_path, message) = invalid(input);
        assert_eq!(got_path.as_deref(), Some(path), "{input}: {message}");
        assert!(message.starts_with(expected), "{input}: {message}");
        assert!(!message.contains("struct"), "{message}");
    }
    // Malformed JSON keeps serde_json's own words.
    let (_, message) = invalid(r#"{"license": {"plan": }}"#);
    assert!(message.starts_with("expected value at line 1"), "{message}");
}

#[test]
fn an_out_of_range_count_names_the_range() {
    let (path, message) = entitle::parse_facts::<LicenseStatusFacts>(
        br#"{"license": {"plan": "premium", "trial": false, "starts_on": "2025-11-05", "expires_on": "2026-11-05", "users": -1}}"#,
    )
    .map(|_| (None, String::new()))
    .unwrap_or_else(|e| match e {
        FactsError::Invalid { path, message } => (path, message),
        other => panic!("{other:?}"),
    });
    assert_eq!(path.as_deref(), Some("license.users"), "{message}");
    assert!(
        message.contains("expected a whole number from 0 to 4294967295"),
        "{message}"
    );
}
