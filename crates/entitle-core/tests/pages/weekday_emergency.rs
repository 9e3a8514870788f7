//! Spec 3.3 `weekday-emergency` (seed weekday-emergency-license.md):
//! scenarios at every boundary, the facts' JSON contract, and properties
//! (totality, determinism, honest `stable_until`, the flowchart's ends
//! reached only for their reasons). The graph's shape against the page's
//! flowchart is checked in `flowchart_weekday.rs`.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use super::emergency_support;

use chrono::{DateTime, Datelike, Utc, Weekday};
use emergency_support::*;
use entitle_core::config::PolicyConfig;
use entitle_core::domain::CustomerStatus;
use entitle_core::policies::{WeekdayEmergency, WeekdayEmergencyFacts, WeekdayEmergencyOutcome};
use entitle_core::policy::{Outcome, Policy, PolicyDecision, decide, evaluate};
use entitle_core::time::{self, LicenseState};
use proptest::prelude::*;

use WeekdayEmergencyOutcome::*;

/// A paid customer whose yearly license expired 2026-11-07: grace ended
/// Saturday 2026-11-21, so Monday 2026-11-23 is day 2 of the emergency
/// window. The requester has a CDot account that sees the subscription, and
/// Seat Link reported every day since Saturday.
fn ticket() -> WeekdayEmergencyFacts {
    WeekdayEmergencyFacts {
        customer: customer(CustomerStatus::Paid),
        license: paid("2025-11-07", "2026-11-07"),
        requester_has_cdot_account: true,
        account_has_subscription_access: true,
        seat_link_dates: vec![d("2026-11-21"), d("2026-11-22"), d("2026-11-23")],
    }
}

fn change(f: impl FnOnce(&mut WeekdayEmergencyFacts)) -> WeekdayEmergencyFacts {
    let mut facts = ticket();
    f(&mut facts);
    facts
}

fn decide_at(
    facts: &WeekdayEmergencyFacts,
    now: &str,
    config: &PolicyConfig,
) -> PolicyDecision<WeekdayEmergencyOutcome> {
    evaluate::<WeekdayEmergency>(facts, at(now), config).unwrap()
}

// The spec's and the page's boundaries, row by row: the table "the spec's
// and the page's boundaries" of `scenarios/weekday-emergency.toml`.

#[test]
fn outcome_ids_are_the_spec_ids() {
    let ids: Vec<&str> = WeekdayEmergencyOutcome::ALL
        .iter()
        .map(|o| o.id())
        .collect();
    assert_eq!(
        ids,
        [
            "use-weekend-workflow",
            "out-of-scope-prospect",
            "out-of-scope-unpaid",
            "not-lapsed",
            "outside-emergency-window",
            "engage-lr-sme",
            "likely-resolved"
        ]
    );
    assert_eq!(WeekdayEmergency::ID, "weekday-emergency");
}

#[test]
fn the_trace_reads_like_the_flowchart() {
    let decision = decide_at(
        &change(|f| f.seat_link_dates = vec![d("2026-11-21")]),
        "2026-11-23T15:00:00Z",
        &utc(),
    );
    assert_eq!(
        path(&decision),
        [
            ("is-weekend", "no"),
            ("customer-status", "paid"),
            ("license-active-or-in-grace", "no"),
            ("grace-ended-outside-window", "no"),
            ("cdot-account", "yes"),
            ("subscription-access", "yes"),
            ("seat-link-entry-today", "no"),
        ]
    );
    assert_eq!(
        decision.trace[6].detail.as_deref(),
        Some("today is 2026-11-23 in UTC; latest report 2026-11-21")
    );
    assert_eq!(decision.details.actions[0].id, "engage-lr-sme");
}

#[test]
fn outcomes_carry_actions_and_dates() {
    let resolved = decide_at(&ticket(), "2026-11-23T15:00:00Z", &utc()).details;
    assert_eq!(resolved.actions[0].id, "confirm-with-customer");
    let outside = decide_at(&ticket(), "2026-11-26T15:00:00Z", &utc()).details;
    assert_eq!(outside.grace_ends_on, Some(d("2026-11-21")));
    assert_eq!(outside.days_since, Some(5));
    let weekend = decide_at(&ticket(), "2026-11-22T15:00:00Z", &utc()).details;
    assert_eq!(weekend.actions[0].id, "use-weekend-workflow");
}

#[test]
fn facts_json_contract() {
    let json = r#"{
        "customer": {"status": "paid"},
        "license": {"plan": "ultimate", "trial": false, "starts_on": "2025-11-07",
                    "expires_on": "2026-11-07", "users": 400},
        "requester_has_cdot_account": true,
        "account_has_subscription_access": true,
        "seat_link_dates": ["2026-11-22", "2026-11-23"]
    }"#;
    let facts: WeekdayEmergencyFacts = serde_json::from_str(json).unwrap();
    assert_eq!(facts.seat_link_dates.len(), 2);
    let typo = json.replace("seat_link_dates", "seatlink_dates");
    let err = serde_json::from_str::<WeekdayEmergencyFacts>(&typo).unwrap_err();
    assert!(err.to_string().contains("seatlink_dates"), "{err}");
    let missing = json.replace("\"requester_has_cdot_account\": true,", "");
    let err = serde_json::from_str::<WeekdayEmergencyFacts>(&missing).unwrap_err();
    assert!(
        err.to_string().contains("requester_has_cdot_account"),
        "{err}"
    );
    let bad_date = json.replace("2026-11-23\"]", "2026-11-31\"]");
    assert!(serde_json::from_str::<WeekdayEmergencyFacts>(&bad_date).is_err());
}

#[test]
fn examples_take_every_path() {
    assert_eq!(
        paths_without_example::<WeekdayEmergency>(),
        Vec::<String>::new()
    );
}

fn facts_strategy() -> impl Strategy<Value = (WeekdayEmergencyFacts, DateTime<Utc>)> {
    (
        customer_status(),
        license_and_now(),
        prop_oneof![1 => Just(false), 4 => Just(true)],
        prop_oneof![1 => Just(false), 4 => Just(true)],
        prop::collection::vec(-3i64..3, 0..5),
    )
        .prop_map(|(status, (license, now), cdot, access, offsets)| {
            let today = now.date_naive();
            (
                WeekdayEmergencyFacts {
                    customer: customer(status),
                    license,
                    requester_has_cdot_account: cdot,
                    account_has_subscription_access: access,
                    seat_link_dates: offsets
                        .into_iter()
                        .map(|o| today + chrono::TimeDelta::days(o))
                        .collect(),
                },
                now,
            )
        })
}

/// Facts on a weekday within the emergency window of the license.
fn emergency_case() -> impl Strategy<Value = (WeekdayEmergencyFacts, DateTime<Utc>, PolicyConfig)> {
    (
        facts_strategy(),
        valid_config(),
        0u64..300,
        0u64..5,
        0u32..=10,
        0i64..86_400,
        0i64..800,
    )
        .prop_map(
            |((mut facts, _), config, week, weekday, k, second, length)| {
                // A Monday to Friday between 2024 and 2029.
                let today = d("2024-01-01") + chrono::Days::new(7 * week + weekday);
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
                let start = time::start_of(today, config.timezone);
                let now = start + chrono::TimeDelta::seconds(second);
                for date in &mut facts.seat_link_dates {
                    *date = today + (*date - now.date_naive());
                }
                (facts, now, config)
            },
        )
}

fn any_case() -> impl Strategy<Value = (WeekdayEmergencyFacts, DateTime<Utc>, PolicyConfig)> {
    prop_oneof![
        (facts_strategy(), valid_config()).prop_map(|((facts, now), config)| (facts, now, config)),
        emergency_case(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn total_deterministic_and_stable_until_is_honest(
        (facts, now, config) in any_case(),
        probes in probes(),
    ) {
        check_decision::<WeekdayEmergency>(&facts, now, &config, &probes)?;
    }

    #[test]
    fn decides_under_any_configuration(
        (facts, now) in facts_strategy(),
        config in any_config(),
    ) {
        prop_assert!(decide::<WeekdayEmergency>(&facts, now, &config).is_ok());
    }

    /// The flowchart's two ends are reached only for their reasons: "likely
    /// resolved" only for a paid customer, on a weekday, within the window,
    /// whose requester's CDot account sees the subscription and whose Seat
    /// Link page has an entry dated today in the support time zone; "engage
    /// an L&R SME" only when one of those three checks failed.
    #[test]
    fn the_ends_are_reached_for_their_reasons((facts, now, config) in any_case()) {
        let outcome = decide::<WeekdayEmergency>(&facts, now, &config).unwrap();
        let today = now.with_timezone(&config.timezone).date_naive();
        let weekday = !matches!(today.weekday(), Weekday::Sat | Weekday::Sun);
        let state = time::license_state_on(&facts.license, today, &config);
        let in_window = state == LicenseState::GraceEndedRecently
            || (state == LicenseState::TrialExpired
                && (today - facts.license.expires_on).num_days()
                    <= i64::from(config.emergency_window_days));
        let in_scope = weekday && facts.customer.status == CustomerStatus::Paid && in_window;
        let checks = facts.requester_has_cdot_account
            && facts.account_has_subscription_access
            && facts.seat_link_dates.contains(&today);
        match outcome {
            LikelyResolved => prop_assert!(in_scope && checks),
            EngageLrSme => prop_assert!(in_scope && !checks),
            _ => prop_assert!(!in_scope),
        }
    }
}
