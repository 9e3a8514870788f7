//! Spec 3.4 `license-emergency`: the router over the weekend (3.2) and
//! weekday (3.3) pages. Scenarios around the weekend's edges, the flat facts'
//! JSON contract, the outcome type, and properties (totality, determinism,
//! honest `stable_until`, and: the router decides exactly what the page for
//! the day decides).
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use super::emergency_support;
use super::fixtures::checked;

use chrono::{DateTime, Datelike, Utc, Weekday};
use emergency_support::*;
use entitle_core::config::PolicyConfig;
use entitle_core::domain::{CustomerStatus, Plan};
use entitle_core::policies::{
    EmergencyScreenshots, LicenseEmergency, LicenseEmergencyFacts, LicenseEmergencyFlatFacts,
    LicenseEmergencyOutcome, WeekdayEmergency, WeekdayEmergencyOutcome, WeekendEmergency,
    WeekendEmergencyOutcome,
};
use entitle_core::policy::{Outcome, Policy, PolicyDecision, decide, evaluate};
use entitle_core::time;
use proptest::prelude::*;

use LicenseEmergencyOutcome::{Weekday as OnWeekday, Weekend as OnWeekend};

/// A paid customer whose yearly license expired 2026-11-04: grace ended
/// Wednesday 2026-11-18, so the window runs through Saturday 2026-11-21.
/// Everything both pages ask for is on the ticket; Seat Link reported on
/// Thursday and Friday.
fn flat() -> LicenseEmergencyFlatFacts {
    LicenseEmergencyFlatFacts {
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
        requester_has_cdot_account: true,
        account_has_subscription_access: true,
        seat_link_dates: vec![d("2026-11-19"), d("2026-11-20")],
    }
}

fn change(f: impl FnOnce(&mut LicenseEmergencyFlatFacts)) -> LicenseEmergencyFacts {
    let mut facts = flat();
    f(&mut facts);
    facts.into()
}

fn decide_at(
    facts: &LicenseEmergencyFacts,
    now: &str,
    config: &PolicyConfig,
) -> PolicyDecision<LicenseEmergencyOutcome> {
    evaluate::<LicenseEmergency>(facts, at(now), config).unwrap()
}

// Around the weekend's edges, row by row: the table "around the weekend"
// of `scenarios/license-emergency.toml`.

#[test]
fn the_trace_shows_the_step_into_the_page() {
    let decision = decide_at(&flat().into(), "2026-11-21T10:00:00Z", &utc());
    assert_eq!(
        path(&decision),
        [
            ("is-weekend", "yes"),
            ("weekend", "weekend-emergency"),
            ("weekend/customer-status", "paid"),
            ("weekend/license-active-or-in-grace", "no"),
            ("weekend/grace-ended-outside-window", "no"),
            ("weekend/screenshots-and-user-count", "yes"),
        ]
    );
    assert_eq!(
        decision.trace[1].question,
        "Follow the weekend emergency workflow:"
    );
    assert_eq!(
        decision.trace[5].detail.as_deref(),
        Some("admin dashboard: yes, license page: yes, user count: 134")
    );
    let decision = decide_at(&flat().into(), "2026-11-20T10:00:00Z", &utc());
    assert_eq!(decision.trace[1].node, "weekday");
    assert_eq!(decision.trace[1].answer, "weekday-emergency");
    assert_eq!(decision.trace[2].node, "weekday/customer-status");
    assert_eq!(
        decision.trace.last().unwrap().node,
        "weekday/seat-link-entry-today"
    );
}

#[test]
fn details_are_the_pages_details() {
    let decision = decide_at(&flat().into(), "2026-11-21T10:00:00Z", &utc());
    let details = decision.details;
    assert_eq!(details.plan, Some(Plan::Ultimate));
    assert_eq!(details.users, Some(134));
    assert_eq!(details.days, Some(5));
    assert_eq!(details.expires_on, Some(d("2026-11-26")));
    assert_eq!(
        details.internal_request.as_deref(),
        Some("[Success] - Created a license under ops@example.com for 134 users")
    );
    let weekday = decide_at(
        &change(|f| f.account_has_subscription_access = false),
        "2026-11-20T10:00:00Z",
        &utc(),
    );
    assert_eq!(weekday.details.actions[0].id, "engage-lr-sme");
}

#[test]
fn the_outcome_type_wraps_both_pages() {
    let all = LicenseEmergencyOutcome::ALL;
    assert_eq!(all.len(), 14);
    for &o in WeekendEmergencyOutcome::ALL {
        assert!(all.contains(&OnWeekend(o)), "{o:?}");
        assert_eq!(OnWeekend(o).id(), o.id());
    }
    for &o in WeekdayEmergencyOutcome::ALL {
        assert!(all.contains(&OnWeekday(o)), "{o:?}");
        assert_eq!(OnWeekday(o).id(), o.id());
    }
    assert_eq!(
        serde_json::to_string(&OnWeekend(
            WeekendEmergencyOutcome::GenerateTemporaryLicense
        ))
        .unwrap(),
        "\"generate-temporary-license\""
    );
    assert_eq!(
        serde_json::to_string(&OnWeekday(WeekdayEmergencyOutcome::EngageLrSme)).unwrap(),
        "\"engage-lr-sme\""
    );
    assert_eq!(LicenseEmergency::ID, "license-emergency");
}

#[test]
fn facts_are_one_flat_object() {
    let json = r#"{
        "customer": {"status": "paid"},
        "license": {"plan": "premium", "trial": false, "starts_on": "2025-11-04",
                    "expires_on": "2026-11-04", "users": 120},
        "screenshots": {"admin_dashboard": true, "license_page": false},
        "screenshot_user_count": null,
        "requester_email": "ops@example.com",
        "ticket_url": "https://support.example.com/tickets/501234",
        "requester_has_cdot_account": true,
        "account_has_subscription_access": false,
        "seat_link_dates": ["2026-11-20"]
    }"#;
    let facts: LicenseEmergencyFacts = serde_json::from_str(json).unwrap();
    assert_eq!(facts.weekend().customer, facts.weekday().customer);
    assert_eq!(facts.weekend().license, facts.weekday().license);
    assert!(!facts.weekend().screenshots.license_page);
    assert!(!facts.weekday().account_has_subscription_access);
    assert_eq!(facts.weekday().seat_link_dates, [d("2026-11-20")]);
    // Written back in the same flat form.
    let back: serde_json::Value = serde_json::to_value(&facts).unwrap();
    let original: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(back, original);
    // Every field of both pages is required, whatever the day.
    for field in [
        "\"customer\": {\"status\": \"paid\"},",
        "\"ticket_url\": \"https://support.example.com/tickets/501234\",",
        "\"account_has_subscription_access\": false,",
    ] {
        let name = field.split('"').nth(1).unwrap();
        let err =
            serde_json::from_str::<LicenseEmergencyFacts>(&json.replace(field, "")).unwrap_err();
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
    let err = serde_json::from_str::<LicenseEmergencyFacts>(
        &json.replace("\"seat_link_dates\": [\"2026-11-20\"]", "\"seat_link\": []"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("seat_link"), "{err}");
    // Unknown fields are errors, nested too.
    let typo = json.replace("requester_email", "requestor_email");
    let err = serde_json::from_str::<LicenseEmergencyFacts>(&typo).unwrap_err();
    assert!(err.to_string().contains("requestor_email"), "{err}");
    let nested = json.replace("\"users\": 120", "\"users\": 120, \"seats\": 3");
    assert!(serde_json::from_str::<LicenseEmergencyFacts>(&nested).is_err());
}

#[test]
fn examples_take_every_path_that_facts_can_take() {
    // The pages are embedded given the router's answer to "is it a
    // weekend?", so no path is infeasible and the examples take them all.
    assert_eq!(
        paths_without_example::<LicenseEmergency>(),
        Vec::<String>::new()
    );
    let graph = <LicenseEmergency as entitle_core::policy::Registered>::graph().unwrap();
    let ids: Vec<&str> = graph
        .petgraph()
        .node_weights()
        .map(|n| n.id.as_str())
        .collect();
    assert!(
        !ids.contains(&"weekend/is-weekend") && !ids.contains(&"weekday/is-weekend"),
        "{ids:?}"
    );
}

fn flat_strategy() -> impl Strategy<Value = (LicenseEmergencyFlatFacts, DateTime<Utc>)> {
    (
        customer_status(),
        license_and_now(),
        any::<(bool, bool, bool, bool)>(),
        prop_oneof![Just(None), Just(Some(0u32)), (1u32..5000).prop_map(Some)],
        prop::collection::vec(-3i64..3, 0..5),
    )
        .prop_map(
            |(status, (license, now), (dashboard, page, cdot, access), users, offsets)| {
                let today = now.date_naive();
                (
                    LicenseEmergencyFlatFacts {
                        customer: customer(status),
                        license,
                        screenshots: EmergencyScreenshots {
                            admin_dashboard: dashboard,
                            license_page: page,
                        },
                        screenshot_user_count: users,
                        requester_email: checked("ops@example.com"),
                        ticket_url: checked("https://support.example.com/tickets/1"),
                        requester_has_cdot_account: cdot,
                        account_has_subscription_access: access,
                        seat_link_dates: offsets
                            .into_iter()
                            .map(|o| today + chrono::TimeDelta::days(o))
                            .collect(),
                    },
                    now,
                )
            },
        )
}

/// Any day of the week, within the emergency window of the license.
fn emergency_case()
-> impl Strategy<Value = (LicenseEmergencyFlatFacts, DateTime<Utc>, PolicyConfig)> {
    (
        flat_strategy(),
        valid_config(),
        0u64..2000,
        0u32..=10,
        0i64..86_400,
    )
        .prop_map(|((mut facts, _), config, day, k, second)| {
            let today = d("2024-01-01") + chrono::Days::new(day);
            let k = k.min(config.emergency_window_days);
            let grace = if facts.license.trial {
                0
            } else {
                config.grace_period_days
            };
            let expires_on = today - chrono::Days::new(u64::from(k + grace));
            let length = facts.license.expires_on - facts.license.starts_on;
            facts.license.starts_on = expires_on - length;
            facts.license.expires_on = expires_on;
            let now = time::start_of(today, config.timezone) + chrono::TimeDelta::seconds(second);
            (facts, now, config)
        })
}

fn any_case() -> impl Strategy<Value = (LicenseEmergencyFacts, DateTime<Utc>, PolicyConfig)> {
    prop_oneof![
        (flat_strategy(), valid_config()).prop_map(|((facts, now), config)| (facts, now, config)),
        emergency_case(),
    ]
    .prop_map(|(facts, now, config)| (facts.into(), now, config))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn total_deterministic_and_stable_until_is_honest(
        (facts, now, config) in any_case(),
        probes in probes(),
    ) {
        check_decision::<LicenseEmergency>(&facts, now, &config, &probes)?;
    }

    #[test]
    fn decides_under_any_configuration(
        (facts, now) in flat_strategy(),
        config in any_config(),
    ) {
        let facts: LicenseEmergencyFacts = facts.into();
        prop_assert!(decide::<LicenseEmergency>(&facts, now, &config).is_ok());
    }

    /// The router decides exactly what the page for the day decides: the
    /// same outcome, details and `stable_until`; it never reaches a page's
    /// "use the other workflow" end; and a generated license keeps the
    /// weekend page's safety rules.
    #[test]
    fn the_router_decides_what_the_page_for_the_day_decides(
        (facts, now, config) in any_case(),
    ) {
        let decision = evaluate::<LicenseEmergency>(&facts, now, &config).unwrap();
        let local = now.with_timezone(&config.timezone).date_naive();
        let weekend = matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
        if weekend {
            let page = evaluate::<WeekendEmergency>(facts.weekend(), now, &config).unwrap();
            prop_assert_eq!(decision.outcome, OnWeekend(page.outcome));
            prop_assert_eq!(&decision.details, &page.details);
            prop_assert_eq!(decision.stable_until, page.stable_until);
            prop_assert_ne!(page.outcome, WeekendEmergencyOutcome::UseWeekdayWorkflow);
        } else {
            let page = evaluate::<WeekdayEmergency>(facts.weekday(), now, &config).unwrap();
            prop_assert_eq!(decision.outcome, OnWeekday(page.outcome));
            prop_assert_eq!(&decision.details, &page.details);
            prop_assert_eq!(decision.stable_until, page.stable_until);
            prop_assert_ne!(page.outcome, WeekdayEmergencyOutcome::UseWeekendWorkflow);
        }
        if let Some(days) = decision.details.days {
            prop_assert!(days <= config.temporary_license_max_days && days <= 10);
            let expires_on = decision.details.expires_on.unwrap();
            prop_assert_eq!((expires_on - local).num_days(), i64::from(days));
        }
    }
}
