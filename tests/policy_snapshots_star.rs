//! Snapshots of the STAR and provisioning policies (spec 3.5-3.8): each
//! graph's Mermaid rendering, and the text explanation of one realistic
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

#[test]
fn star_validity_mermaid() {
    insta::assert_snapshot!(render("star-validity", RenderFormat::Mermaid).unwrap());
}

#[test]
fn star_self_managed_mermaid() {
    insta::assert_snapshot!(render("star-self-managed", RenderFormat::Mermaid).unwrap());
}

#[test]
fn star_saas_mermaid() {
    insta::assert_snapshot!(render("star-saas", RenderFormat::Mermaid).unwrap());
}

#[test]
fn provision_failure_mermaid() {
    insta::assert_snapshot!(render("provision-failure", RenderFormat::Mermaid).unwrap());
}

/// A renewal STAR with 30 h of grace left: not needed yet.
#[test]
fn star_validity_explanation() {
    let facts = r#"{
        "category": "plan-license",
        "trial_request": false,
        "sales_assisted_trial": false,
        "license": {"plan": "premium", "trial": false, "starts_on": "2025-11-20",
                    "expires_on": "2026-11-20", "users": 250},
        "sales_intervened": false,
        "edge_case": false
    }"#;
    insta::assert_snapshot!(explain(
        "star-validity",
        facts,
        "2026-12-02T18:00:00Z",
        &PolicyConfig::default()
    ));
}

/// An activation error on a paid license whose grace period ends at midnight
/// in New York (it expired two weeks ago), L&R unavailable, the screenshot on
/// the ticket, no ticket of the customer's own.
#[test]
fn star_self_managed_explanation() {
    let facts = r#"{
        "request": "activation-error",
        "license": {"plan": "ultimate", "trial": false, "starts_on": "2025-11-21",
                    "expires_on": "2026-11-21", "users": 120},
        "lr_team_available": false,
        "admin_dashboard_screenshot": true,
        "customer_has_ticket": false,
        "actor": "support-manager",
        "recipient_is_license_contact": true
    }"#;
    let config = PolicyConfig {
        timezone: "America/New_York".parse().unwrap(),
        ..PolicyConfig::default()
    };
    insta::assert_snapshot!(explain(
        "star-self-managed",
        facts,
        "2026-12-04T19:00:00-05:00",
        &config
    ));
}

/// A paid group unexpectedly on Free, an emergency, L&R unavailable.
#[test]
fn star_saas_explanation() {
    let facts = r#"{
        "request": "paid-group-on-free-plan",
        "namespace": {"had_trial": true, "has_subscription": true, "plan": "free"},
        "lr_team_available": false,
        "emergency": true,
        "desired_plan": "ultimate"
    }"#;
    insta::assert_snapshot!(explain(
        "star-saas",
        facts,
        "2026-12-05T14:00:00Z",
        &PolicyConfig::default()
    ));
}

/// A failure late on Friday in New York, the Monday after a company
/// holiday; the root cause is being fixed.
#[test]
fn provision_failure_explanation() {
    let facts = r#"{
        "failure": {"subscription": "A-S00012345", "kind": "cloud-license-activation",
                    "occurred_at": "2026-12-25T23:30:00-05:00"},
        "fulfillment_resolved": false,
        "needs_lr_intervention": false,
        "root_cause": "being-fixed",
        "customer_email": "billing@customer.example"
    }"#;
    let config = PolicyConfig {
        timezone: "America/New_York".parse().unwrap(),
        company_holidays: vec!["2026-12-25".parse().unwrap(), "2026-12-28".parse().unwrap()],
        ..PolicyConfig::default()
    };
    insta::assert_snapshot!(explain(
        "provision-failure",
        facts,
        "2026-12-26T15:00:00Z",
        &config
    ));
}

/// The same failure with a monitoring schedule configured: the reviewer of
/// Tuesday 2026-12-29 is named in the trace, the details and the
/// instruction; the JSON report carries the schedule in its config.
#[test]
fn provision_failure_explanation_with_a_schedule() {
    let facts = r#"{
        "failure": {"subscription": "A-S00012345", "kind": "cloud-license-activation",
                    "occurred_at": "2026-12-25T23:30:00-05:00"},
        "fulfillment_resolved": false,
        "needs_lr_intervention": false,
        "root_cause": "being-fixed",
        "customer_email": "billing@customer.example"
    }"#;
    let config = entitle::config_from_toml(
        r#"
        timezone = "America/New_York"
        company_holidays = [2026-12-25, 2026-12-28]

        [monitoring_schedule]
        2026-12-24 = "alice"
        2026-12-29 = "bob"
        2026-12-30 = "carol"
        "#,
    )
    .unwrap();
    insta::assert_snapshot!(explain(
        "provision-failure",
        facts,
        "2026-12-26T15:00:00Z",
        &config
    ));
    let report = decide_json(
        "provision-failure",
        facts.as_bytes(),
        at("2026-12-26T15:00:00Z"),
        &config,
    )
    .unwrap();
    insta::assert_json_snapshot!(
        "provision_failure_with_a_schedule_json",
        serde_json::json!({
            "details": report.details,
            "config": report.config,
        })
    );
}
