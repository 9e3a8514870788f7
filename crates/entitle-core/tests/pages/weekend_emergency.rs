//! Spec 3.2 `weekend-emergency` (seed weekend-emergency-license.md):
//! scenarios at every boundary, the facts' JSON contract, and properties
//! (totality, determinism, honest `stable_until`, and the safety rules of a
//! generated temporary license).
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use super::emergency_support;
use super::fixtures::checked;

use chrono::{Datelike, NaiveDate, Weekday};
use emergency_support::*;
use entitle_core::config::PolicyConfig;
use entitle_core::domain::{CustomerStatus, License, Plan};
use entitle_core::policies::{
    EmergencyScreenshots, WeekendEmergency, WeekendEmergencyFacts, WeekendEmergencyOutcome,
};
use entitle_core::policy::{Outcome, Policy, PolicyDecision, Registered, decide, evaluate};
use entitle_core::time::{self, LicenseState};
use proptest::prelude::*;

use WeekendEmergencyOutcome::*;

/// A paid customer whose yearly license expired 2026-11-04: grace ended
/// 2026-11-18, so Saturday 2026-11-21 is day 3 of the emergency window. Both
/// screenshots and the user count are on the ticket.
fn ticket() -> WeekendEmergencyFacts {
    WeekendEmergencyFacts {
        customer: customer(CustomerStatus::Paid),
        license: paid("2025-11-04", "2026-11-04"),
        screenshots: EmergencyScreenshots {
            admin_dashboard: true,
            license_page: true,
        },
        screenshot_user_count: Some(134),
        requester_email: checked("ops@example.com"),
        ticket_url: "https://support.example.com/tickets/501234"
            .parse()
            .unwrap(),
    }
}

fn decide_at(
    facts: &WeekendEmergencyFacts,
    now: &str,
    config: &PolicyConfig,
) -> PolicyDecision<WeekendEmergencyOutcome> {
    evaluate::<WeekendEmergency>(facts, at(now), config).unwrap()
}

fn change(f: impl FnOnce(&mut WeekendEmergencyFacts)) -> WeekendEmergencyFacts {
    let mut facts = ticket();
    f(&mut facts);
    facts
}

// The spec's and the page's boundaries, row by row: the table "the spec's
// and the page's boundaries" of `scenarios/weekend-emergency.toml`.

#[test]
fn outcome_ids_are_the_spec_ids() {
    let ids: Vec<&str> = WeekendEmergencyOutcome::ALL
        .iter()
        .map(|o| o.id())
        .collect();
    assert_eq!(
        ids,
        [
            "use-weekday-workflow",
            "out-of-scope-prospect",
            "out-of-scope-unpaid",
            "not-lapsed",
            "outside-emergency-window",
            "request-screenshots",
            "generate-temporary-license"
        ]
    );
    assert_eq!(WeekendEmergency::ID, "weekend-emergency");
}

#[test]
fn the_temporary_license_follows_the_page() {
    let details = decide_at(&ticket(), "2026-11-21T10:00:00Z", &utc()).details;
    assert_eq!(details.plan, Some(Plan::Ultimate));
    assert_eq!(details.users, Some(134));
    assert_eq!(details.days, Some(5));
    assert_eq!(details.email.as_deref(), Some("ops@example.com"));
    assert_eq!(details.expires_on, Some(d("2026-11-26")));
    assert_eq!(
        details.internal_request.as_deref(),
        Some("[Success] - Created a license under ops@example.com for 134 users")
    );
    let ids: Vec<&str> = details.actions.iter().map(|a| a.id).collect();
    assert_eq!(
        ids,
        [
            "email-license",
            "post-to-licensing-channel",
            "record-internal-request"
        ]
    );
    assert!(details.actions[0].text.contains("ops@example.com"));
    assert!(
        details.actions[1]
            .text
            .contains("#support_licensing-subscription")
    );
    assert!(
        details.actions[1]
            .text
            .contains("https://support.example.com/tickets/501234")
    );
    assert!(
        details.actions[2]
            .text
            .contains("[Success] - Created a license under ops@example.com for 134 users")
    );
    assert!(details.missing.is_empty());
}

#[test]
fn the_actions_say_what_waits_for_the_license() {
    use entitle_core::policy::LicenseEffect;
    let details = decide_at(&ticket(), "2026-11-21T10:00:00Z", &utc()).details;
    let flow: Vec<_> = details
        .actions
        .iter()
        .map(|a| (a.id, a.needs, a.reports, a.license))
        .collect();
    assert_eq!(
        flow,
        [
            ("email-license", None, None, LicenseEffect::Create),
            (
                "post-to-licensing-channel",
                Some("email-license"),
                None,
                LicenseEffect::None
            ),
            (
                "record-internal-request",
                None,
                Some("email-license"),
                LicenseEffect::None
            ),
        ]
    );
    // The links are for the outbox, not part of the decision's JSON.
    let json = serde_json::to_value(&details.actions[1]).unwrap();
    assert_eq!(json.as_object().map(|o| o.len()), Some(2));
}

#[test]
fn the_license_length_is_configured_and_capped() {
    let with = |days, max_days| PolicyConfig {
        temporary_license_days: days,
        temporary_license_max_days: max_days,
        ..utc()
    };
    let length = |config: &PolicyConfig| {
        let details = decide_at(&ticket(), "2026-11-21T10:00:00Z", config).details;
        (details.days, details.expires_on)
    };
    assert_eq!(length(&with(10, 10)), (Some(10), Some(d("2026-12-01"))));
    assert_eq!(length(&with(3, 3)), (Some(3), Some(d("2026-11-24"))));
    assert_eq!(length(&with(1, 10)), (Some(1), Some(d("2026-11-22"))));
    // A configuration asking for more is rejected, never shortened silently...
    let err = evaluate::<WeekendEmergency>(&ticket(), at("2026-11-21T10:00:00Z"), &with(11, 11));
    assert!(err.is_err());
    let err = evaluate::<WeekendEmergency>(&ticket(), at("2026-11-21T10:00:00Z"), &with(8, 6));
    assert!(err.is_err());
    // ... and even `decide`, which trusts its configuration, never makes one
    // longer than the cap.
    let graph = WeekendEmergency::graph().unwrap();
    let config = with(30, 20);
    let cx = entitle_core::graph::Context::new(at("2026-11-21T10:00:00Z"), &config);
    let outcome = *graph.decide(&ticket(), &cx).unwrap();
    let details = WeekendEmergency::details(outcome, &ticket(), &cx);
    assert_eq!(details.days, Some(10));
}

#[test]
fn the_temporary_license_starts_today_in_the_support_time_zone() {
    // Saturday 2026-11-21 23:30 in New York is Sunday 04:30 UTC.
    let details = decide_at(
        &change(|f| f.license.expires_on = d("2026-11-05")),
        "2026-11-22T04:30:00Z",
        &config_in("America/New_York"),
    )
    .details;
    assert_eq!(details.expires_on, Some(d("2026-11-26")));
}

#[test]
fn request_screenshots_lists_what_is_missing() {
    let missing = |f: WeekendEmergencyFacts| {
        let decision = decide_at(&f, "2026-11-21T10:00:00Z", &utc());
        assert_eq!(decision.outcome, RequestScreenshots);
        assert_eq!(decision.details.actions[0].id, "request-screenshots");
        decision.details.missing
    };
    assert_eq!(
        missing(change(|f| f.screenshots.admin_dashboard = false)),
        ["admin_dashboard"]
    );
    assert_eq!(
        missing(change(|f| f.screenshots.license_page = false)),
        ["license_page"]
    );
    assert_eq!(
        missing(change(|f| f.screenshot_user_count = None)),
        ["user_count"]
    );
    assert_eq!(
        missing(change(|f| f.screenshot_user_count = Some(0))),
        ["user_count"]
    );
    assert_eq!(
        missing(change(|f| {
            f.screenshots = EmergencyScreenshots {
                admin_dashboard: false,
                license_page: false,
            };
            f.screenshot_user_count = None;
        })),
        ["admin_dashboard", "license_page", "user_count"]
    );
}

#[test]
fn scope_outcomes_carry_the_license_dates() {
    let details = decide_at(
        &change(|f| f.license.expires_on = d("2026-11-03")),
        "2026-11-21T10:00:00Z",
        &utc(),
    )
    .details;
    assert_eq!(details.grace_ends_on, Some(d("2026-11-17")));
    assert_eq!(details.days_since, Some(4));
    assert!(details.plan.is_none() && details.users.is_none());
}

#[test]
fn the_trace_reads_like_the_page() {
    let decision = decide_at(&ticket(), "2026-11-21T10:00:00Z", &utc());
    assert_eq!(
        path(&decision),
        [
            ("is-weekend", "yes"),
            ("customer-status", "paid"),
            ("license-active-or-in-grace", "no"),
            ("grace-ended-outside-window", "no"),
            ("screenshots-and-user-count", "yes"),
        ]
    );
    assert_eq!(
        decision.trace[0].detail.as_deref(),
        Some("today is Saturday 2026-11-21 in UTC; the weekend ends in 38 h")
    );
    assert_eq!(
        decision.trace[4].detail.as_deref(),
        Some("admin dashboard: yes, license page: yes, user count: 134")
    );
}

#[test]
fn facts_json_contract() {
    let json = r#"{
        "customer": {"status": "paid"},
        "license": {"plan": "premium", "trial": false, "starts_on": "2025-11-04",
                    "expires_on": "2026-11-04", "users": 120},
        "screenshots": {"admin_dashboard": true, "license_page": true},
        "screenshot_user_count": 134,
        "requester_email": "ops@example.com",
        "ticket_url": "https://support.example.com/tickets/501234"
    }"#;
    let facts: WeekendEmergencyFacts = serde_json::from_str(json).unwrap();
    assert_eq!(facts.screenshot_user_count, Some(134));
    // The user count may be unknown: null or absent.
    let null = json.replace("134,", "null,");
    let facts: WeekendEmergencyFacts = serde_json::from_str(&null).unwrap();
    assert_eq!(facts.screenshot_user_count, None);
    let absent = json.replace("\"screenshot_user_count\": 134,", "");
    let facts: WeekendEmergencyFacts = serde_json::from_str(&absent).unwrap();
    assert_eq!(facts.screenshot_user_count, None);
    // Typos are errors, and so is a missing required field.
    let typo = json.replace("ticket_url", "ticket_uri");
    let err = serde_json::from_str::<WeekendEmergencyFacts>(&typo).unwrap_err();
    assert!(err.to_string().contains("ticket_uri"), "{err}");
    let typo = json.replace("license_page", "licence_page");
    assert!(serde_json::from_str::<WeekendEmergencyFacts>(&typo).is_err());
    let missing = json.replace("\"requester_email\": \"ops@example.com\",", "");
    let err = serde_json::from_str::<WeekendEmergencyFacts>(&missing).unwrap_err();
    assert!(err.to_string().contains("requester_email"), "{err}");
}

#[test]
fn examples_take_every_path() {
    assert_eq!(
        paths_without_example::<WeekendEmergency>(),
        Vec::<String>::new()
    );
}

fn facts_strategy() -> impl Strategy<Value = (WeekendEmergencyFacts, chrono::DateTime<chrono::Utc>)>
{
    (
        customer_status(),
        license_and_now(),
        any::<bool>(),
        any::<bool>(),
        prop_oneof![
            1 => Just(None),
            1 => Just(Some(0u32)),
            6 => (1u32..100_000).prop_map(Some),
        ],
        "[a-z]{1,8}@[a-z]{1,8}\\.example",
    )
        .prop_map(
            |(status, (license, now), admin_dashboard, license_page, users, email)| {
                (
                    WeekendEmergencyFacts {
                        customer: customer(status),
                        license,
                        screenshots: EmergencyScreenshots {
                            admin_dashboard,
                            license_page,
                        },
                        screenshot_user_count: users,
                        requester_email: checked(&email),
                        ticket_url: checked("https://support.example.com/tickets/1"),
                    },
                    now,
                )
            },
        )
}

/// Facts and a configuration where a license is often generated: on a
/// weekend day in the support time zone, within the emergency window of the
/// license (paid or trial), the customer and evidence still random.
fn emergency_case() -> impl Strategy<
    Value = (
        WeekendEmergencyFacts,
        chrono::DateTime<chrono::Utc>,
        PolicyConfig,
    ),
> {
    (
        facts_strategy(),
        valid_config(),
        0u64..300,
        any::<bool>(),
        0u32..=10,
        0i64..86_400,
        0i64..800,
    )
        .prop_map(
            |((mut facts, _), config, week, sunday, k, second, length)| {
                // A Saturday or Sunday between 2024 and 2029.
                let today = d("2024-01-06") + chrono::Days::new(7 * week + u64::from(sunday));
                let k = k.min(config.emergency_window_days);
                let grace_ends_on = today - chrono::Days::new(u64::from(k));
                let grace = if facts.license.trial {
                    0
                } else {
                    config.grace_period_days
                };
                facts.license.expires_on = grace_ends_on - chrono::Days::new(u64::from(grace));
                facts.license.starts_on =
                    facts.license.expires_on - chrono::TimeDelta::days(length);
                let now =
                    time::start_of(today, config.timezone) + chrono::TimeDelta::seconds(second);
                (facts, now, config)
            },
        )
}

/// Any facts, instant and valid configuration; half of them in an emergency.
fn any_case() -> impl Strategy<
    Value = (
        WeekendEmergencyFacts,
        chrono::DateTime<chrono::Utc>,
        PolicyConfig,
    ),
> {
    prop_oneof![
        (facts_strategy(), valid_config()).prop_map(|((facts, now), config)| (facts, now, config)),
        emergency_case(),
    ]
}

/// The local date of `now` in the support time zone, computed with chrono-tz
/// directly rather than the time rules.
fn local_today(now: chrono::DateTime<chrono::Utc>, config: &PolicyConfig) -> NaiveDate {
    now.with_timezone(&config.timezone).date_naive()
}

fn grace_ended_in_window(license: &License, today: NaiveDate, config: &PolicyConfig) -> bool {
    matches!(
        time::license_state_on(license, today, config),
        LicenseState::GraceEndedRecently
    ) || (license.trial
        && today >= license.starts_on
        && today >= license.expires_on
        && (today - license.expires_on).num_days() <= i64::from(config.emergency_window_days))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn total_deterministic_and_stable_until_is_honest(
        (facts, now, config) in any_case(),
        probes in probes(),
    ) {
        check_decision::<WeekendEmergency>(&facts, now, &config, &probes)?;
    }

    #[test]
    fn decides_under_any_configuration(
        (facts, now) in facts_strategy(),
        config in any_config(),
    ) {
        prop_assert!(decide::<WeekendEmergency>(&facts, now, &config).is_ok());
    }

    /// Safety: for any configuration that validates and any facts, a
    /// generated temporary license never lasts longer than
    /// `temporary_license_max_days` nor 10 days, expires `days` after today
    /// (support time zone), is Ultimate for the screenshot's user count, goes
    /// to the requester, and is only made on a weekend for a paid customer
    /// whose grace period ended within the window, with all the evidence.
    #[test]
    fn a_temporary_license_is_never_longer_than_the_cap(
        (facts, now, config) in any_case(),
    ) {
        let decision = evaluate::<WeekendEmergency>(&facts, now, &config).unwrap();
        let details = &decision.details;
        if decision.outcome != GenerateTemporaryLicense {
            prop_assert!(details.days.is_none() && details.plan.is_none() && details.users.is_none());
            return Ok(());
        }
        let days = details.days.unwrap();
        prop_assert!(days >= 1);
        prop_assert!(days <= config.temporary_license_max_days);
        prop_assert!(days <= 10);
        prop_assert_eq!(days, config.temporary_license_days);
        let today = local_today(now, &config);
        prop_assert_eq!((details.expires_on.unwrap() - today).num_days(), i64::from(days));
        prop_assert_eq!(details.plan, Some(Plan::Ultimate));
        prop_assert_eq!(details.users, facts.screenshot_user_count);
        prop_assert!(details.users.unwrap() > 0);
        prop_assert_eq!(details.email.as_deref(), Some(facts.requester_email.as_str()));
        prop_assert!(matches!(today.weekday(), Weekday::Sat | Weekday::Sun));
        prop_assert_eq!(facts.customer.status, CustomerStatus::Paid);
        prop_assert!(facts.screenshots.admin_dashboard && facts.screenshots.license_page);
        prop_assert!(grace_ended_in_window(&facts.license, today, &config));
    }
}
