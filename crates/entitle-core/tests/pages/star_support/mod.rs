//! Shared test support for the STAR and provisioning policies (3.5-3.8):
//! proptest strategies for licenses, instants and configurations, and the
//! checks every policy must pass (examples cover every path, `stable_until`
//! is honest).
#![allow(
    dead_code,
    reason = "shared by the page modules, each of which uses only part of it"
)]
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use entitle_core::config::PolicyConfig;
use entitle_core::domain::{License, Plan};
use entitle_core::graph::Context;
use entitle_core::policy::{Outcome, PolicyDecision, Registered, evaluate};
use proptest::prelude::*;

pub use super::fixtures::{at, config_in, d, paid, path, trial};

/// Every root-to-outcome path of `P` is taken by some worked example (the
/// scenarios of its file without config overrides), and each example
/// reaches the outcome its path ends at.
pub fn assert_examples_cover_every_path<P: Registered>() {
    let graph = P::graph().unwrap();
    let config = PolicyConfig::default();
    let taken: Vec<(Vec<(String, String)>, String)> = entitle::scenario::examples::<P>()
        .unwrap()
        .iter()
        .filter(|example| example.config.is_empty())
        .map(|example| {
            let decision = graph
                .evaluate(&example.facts, &Context::new(example.now, &config))
                .unwrap();
            let steps = decision
                .trace
                .iter()
                .map(|s| (s.node.to_owned(), s.answer.to_owned()))
                .collect();
            (steps, decision.outcome_node.to_owned())
        })
        .collect();
    let paths = graph.paths();
    for p in &paths {
        let wanted: Vec<(String, String)> = p
            .steps
            .iter()
            .map(|s| (s.node.to_owned(), s.answer.to_owned()))
            .collect();
        let hits: Vec<&String> = taken
            .iter()
            .filter(|(steps, _)| *steps == wanted)
            .map(|(_, outcome)| outcome)
            .collect();
        assert!(
            !hits.is_empty(),
            "{}: no example takes the path {wanted:?} -> {}",
            P::ID,
            p.outcome
        );
        for outcome in hits {
            assert_eq!(outcome, p.outcome);
        }
    }
}

/// `stable_until` is honest: the same path at every sampled instant of
/// `[now, stable_until)`, a different one at `stable_until`; with no
/// `stable_until`, the same path at every sampled instant up to 3 years on.
pub fn assert_stable_until_honest<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
    fractions: &[f64],
) {
    let decision = evaluate::<P>(facts, now, config).unwrap();
    let here = path(&decision);
    let horizon = match decision.stable_until {
        Some(until) => {
            assert!(until > now, "stable_until {until} is not after now {now}");
            until
        }
        None => now + TimeDelta::days(3 * 366),
    };
    let span = horizon.signed_duration_since(now);
    for &f in fractions {
        let offset =
            TimeDelta::nanoseconds((span.num_nanoseconds().unwrap_or(i64::MAX) as f64 * f) as i64);
        let t = (now + offset)
            .min(horizon - TimeDelta::nanoseconds(1))
            .max(now);
        let later = evaluate::<P>(facts, t, config).unwrap();
        assert_eq!(
            path(&later),
            here,
            "path changed at {t}, before stable_until {:?} (now {now})",
            decision.stable_until
        );
    }
    let just_before = evaluate::<P>(facts, horizon - TimeDelta::nanoseconds(1), config).unwrap();
    assert_eq!(
        path(&just_before),
        here,
        "path changed just before {horizon}"
    );
    if let Some(until) = decision.stable_until {
        let after = evaluate::<P>(facts, until, config).unwrap();
        assert_ne!(
            path(&after),
            here,
            "same path at stable_until {until} (now {now})"
        );
    }
}

/// Every scenario of `P`'s file (its worked examples and its tables' rows)
/// has an honest `stable_until` ([`assert_stable_until_honest`]), under the
/// default configuration with the scenario's overrides.
pub fn assert_examples_stable_until_honest<P: Registered>() {
    for example in entitle::scenario::examples::<P>().unwrap() {
        // Named in the test's output when an assertion below fails.
        eprintln!("{}: {}", P::ID, example.name);
        let mut config = serde_json::to_value(PolicyConfig::default()).unwrap();
        if let serde_json::Value::Object(map) = &mut config {
            map.extend(example.config);
        }
        let config: PolicyConfig = serde_json::from_value(config).unwrap();
        assert_stable_until_honest::<P>(&example.facts, example.now, &config, &[0.0, 0.5, 0.99]);
    }
}

/// Decides twice: same decision, same trace.
pub fn assert_total_and_deterministic<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> PolicyDecision<P::Outcome> {
    let first = evaluate::<P>(facts, now, config).unwrap();
    let second = evaluate::<P>(facts, now, config).unwrap();
    assert_eq!(first, second);
    assert!(P::Outcome::ALL.contains(&first.outcome));
    first
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// Zones with large offsets both ways, DST, a half-hour zone, a skipped date.
pub const ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "America/St_Johns",
    "Australia/Lord_Howe",
];

pub fn base_date() -> NaiveDate {
    d("2026-12-01")
}

pub fn arb_date() -> impl Strategy<Value = NaiveDate> {
    (-120i64..120).prop_map(|days| base_date() + TimeDelta::days(days))
}

pub fn arb_plan() -> impl Strategy<Value = Plan> {
    prop_oneof![Just(Plan::Free), Just(Plan::Premium), Just(Plan::Ultimate)]
}

pub fn arb_license() -> impl Strategy<Value = License> {
    (arb_plan(), any::<bool>(), arb_date(), 0i64..200, 0u32..5000).prop_map(
        |(plan, trial, starts_on, length, users)| License {
            plan,
            trial,
            starts_on,
            expires_on: starts_on + TimeDelta::days(length - 20),
            users,
        },
    )
}

/// An instant within ±150 days of the base date; often on a whole hour or
/// at midnight, where the rules change.
pub fn arb_now() -> impl Strategy<Value = DateTime<Utc>> {
    let base = base_date().and_hms_opt(0, 0, 0).unwrap().and_utc();
    prop_oneof![
        (-150i64 * 86_400..150 * 86_400).prop_map(move |s| base + TimeDelta::seconds(s)),
        (-150i64 * 24..150 * 24).prop_map(move |h| base + TimeDelta::hours(h)),
    ]
}

pub fn arb_config() -> impl Strategy<Value = PolicyConfig> {
    (
        prop::sample::select(ZONES),
        0u32..30,
        0u32..6,
        prop_oneof![Just(24u32), 0u32..100],
        1u32..=10,
        prop::collection::vec(arb_date(), 0..12),
    )
        .prop_map(
            |(zone, grace, window, hours, days, holidays)| PolicyConfig {
                timezone: zone.parse::<Tz>().unwrap(),
                grace_period_days: grace,
                emergency_window_days: window,
                escalation_threshold_hours: hours,
                temporary_license_days: days,
                temporary_license_max_days: 10,
                company_holidays: holidays,
                monitoring_schedule: None,
            },
        )
}

/// Fractions of `[now, stable_until)` to sample.
pub fn arb_fractions() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0f64..1.0, 1..6)
}
