//! Snapshots of the license-status and emergency policies (spec 3.1-3.4):
//! each graph's Mermaid rendering, and the text explanation of one realistic
//! decision, as a support engineer would paste it into a ticket.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{DateTime, Utc};
use entitle::config::PolicyConfig;
use entitle::{RenderFormat, decide_json, render};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn explain(policy: &str, facts: &str, now: &str, config: &PolicyConfig) -> String {
    decide_json(policy, facts.as_bytes(), at(now), config)
        .unwrap()
        .to_text()
}

fn in_zone(zone: &str) -> PolicyConfig {
    PolicyConfig {
        timezone: zone.parse().unwrap(),
        ..PolicyConfig::default()
    }
}

/// The flat facts of a weekend/weekday emergency ticket: a paid customer
/// whose license expired 2026-11-04 (grace ended 2026-11-18).
const EMERGENCY_TICKET: &str = r#"{
    "customer": {"status": "paid"},
    "license": {"plan": "premium", "trial": false, "starts_on": "2025-11-04",
                "expires_on": "2026-11-04", "users": 120},
    "screenshots": {"admin_dashboard": true, "license_page": true},
    "screenshot_user_count": 134,
    "requester_email": "ops@example.com",
    "ticket_url": "https://support.example.com/tickets/501234",
    "requester_has_cdot_account": true,
    "account_has_subscription_access": true,
    "seat_link_dates": ["2026-11-19"]
}"#;

#[test]
fn license_status_mermaid() {
    insta::assert_snapshot!(render("license-status", RenderFormat::Mermaid).unwrap());
}

#[test]
fn weekend_emergency_mermaid() {
    insta::assert_snapshot!(render("weekend-emergency", RenderFormat::Mermaid).unwrap());
}

#[test]
fn emergency_license_follow_up_mermaid() {
    insta::assert_snapshot!(render("emergency-license-follow-up", RenderFormat::Mermaid).unwrap());
}

#[test]
fn weekday_emergency_mermaid() {
    insta::assert_snapshot!(render("weekday-emergency", RenderFormat::Mermaid).unwrap());
}

#[test]
fn license_emergency_mermaid() {
    insta::assert_snapshot!(render("license-emergency", RenderFormat::Mermaid).unwrap());
}

/// A license in its last day of grace, in Berlin.
#[test]
fn license_status_explanation() {
    let facts = r#"{"license": {"plan": "ultimate", "trial": false, "starts_on": "2025-11-25",
                    "expires_on": "2026-11-25", "users": 800}}"#;
    insta::assert_snapshot!(explain(
        "license-status",
        facts,
        "2026-12-08T14:30:00Z",
        &in_zone("Europe/Berlin")
    ));
}

/// Saturday morning in New York, day 3 of the emergency window, everything
/// on the ticket: generate the temporary license.
#[test]
fn weekend_emergency_explanation() {
    let facts = r#"{
        "customer": {"status": "paid"},
        "license": {"plan": "premium", "trial": false, "starts_on": "2025-11-04",
                    "expires_on": "2026-11-04", "users": 120},
        "screenshots": {"admin_dashboard": true, "license_page": true},
        "screenshot_user_count": 134,
        "requester_email": "ops@example.com",
        "ticket_url": "https://support.example.com/tickets/501234"
    }"#;
    insta::assert_snapshot!(explain(
        "weekend-emergency",
        facts,
        "2026-11-21T14:00:00Z",
        &in_zone("America/New_York")
    ));
}

/// The customer has not received the email; the success record exists.
#[test]
fn emergency_license_follow_up_explanation() {
    insta::assert_snapshot!(explain(
        "emergency-license-follow-up",
        r#"{"internal_request": "success"}"#,
        "2026-11-22T09:00:00Z",
        &PolicyConfig::default()
    ));
}

/// Thursday: the requester's CDot account sees the subscription, but Seat
/// Link has not reported today.
#[test]
fn weekday_emergency_explanation() {
    let facts = r#"{
        "customer": {"status": "paid"},
        "license": {"plan": "premium", "trial": false, "starts_on": "2025-11-04",
                    "expires_on": "2026-11-04", "users": 120},
        "requester_has_cdot_account": true,
        "account_has_subscription_access": true,
        "seat_link_dates": ["2026-11-17"]
    }"#;
    insta::assert_snapshot!(explain(
        "weekday-emergency",
        facts,
        "2026-11-19T16:00:00Z",
        &PolicyConfig::default()
    ));
}

/// Saturday: the router hands the ticket to the weekend page.
#[test]
fn license_emergency_explanation_weekend() {
    insta::assert_snapshot!(explain(
        "license-emergency",
        EMERGENCY_TICKET,
        "2026-11-21T10:00:00Z",
        &PolicyConfig::default()
    ));
}

/// Friday evening in New York (Saturday in UTC): the weekday page.
#[test]
fn license_emergency_explanation_weekday() {
    insta::assert_snapshot!(explain(
        "license-emergency",
        EMERGENCY_TICKET,
        "2026-11-21T02:00:00Z",
        &in_zone("America/New_York")
    ));
}

/// Every path of every emergency policy has a worked example, except the two
/// paths of `license-emergency` that no facts can take (a page's own weekend
/// question contradicting the router's).
#[test]
fn examples_cover_every_path() {
    for id in [
        "license-status",
        "weekend-emergency",
        "emergency-license-follow-up",
        "weekday-emergency",
    ] {
        let examples = entitle::examples(id).unwrap().unwrap();
        assert!(!examples.is_empty(), "{id}");
    }
    // Every path of the router can happen: the pages are embedded given its answer.
    let examples = entitle::examples("license-emergency").unwrap().unwrap();
    assert_eq!(examples.len(), 6 + 8, "6 weekend paths and 8 weekday paths");
}

/// The JSON Schema of `license-emergency` is the flat object callers send.
#[test]
fn license_emergency_schema_is_flat() {
    let schema = entitle::schema("license-emergency").unwrap();
    let properties: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        properties,
        [
            "account_has_subscription_access",
            "customer",
            "license",
            "requester_email",
            "requester_has_cdot_account",
            "screenshot_user_count",
            "screenshots",
            "seat_link_dates",
            "ticket_url"
        ]
    );
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(schema["required"].as_array().unwrap().len(), 8);
}
