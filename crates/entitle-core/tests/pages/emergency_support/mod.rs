//! Shared test support for the license-status and emergency policies (3.1-3.4):
//! fixtures, proptest strategies for licenses, instants and configurations, and
//! the checks every policy must pass (examples cover every path, decisions are
//! total and deterministic, `stable_until` is honest).
#![allow(
    dead_code,
    reason = "shared by the page modules, each of which uses only part of it"
)]
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use entitle_core::config::PolicyConfig;
use entitle_core::domain::{Customer, CustomerStatus, License, Plan};
use entitle_core::graph::Context;
use entitle_core::policy::{PolicyDecision, Registered, evaluate};
use proptest::prelude::*;

pub use super::fixtures::{at, config_in, d, paid, path, trial};

pub fn utc() -> PolicyConfig {
    PolicyConfig::default()
}

pub fn customer(status: CustomerStatus) -> Customer {
    Customer { status }
}

/// The `(node=answer, ...) -> outcome` paths of `P`'s graph that no worked
/// example (a scenario of its file without config overrides) takes, and
/// checks that every example takes a path of the graph and reaches the
/// outcome that path ends at.
pub fn paths_without_example<P: Registered>() -> Vec<String> {
    let graph = P::graph().unwrap();
    let config = PolicyConfig::default();
    let taken: Vec<(Vec<String>, String)> = entitle::scenario::examples::<P>()
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
                .map(|s| format!("{}={}", s.node, s.answer))
                .collect();
            (steps, decision.outcome_node.to_owned())
        })
        .collect();
    let paths: Vec<(Vec<String>, &str)> = graph
        .paths()
        .iter()
        .map(|p| {
            let steps = p
                .steps
                .iter()
                .map(|s| format!("{}={}", s.node, s.answer))
                .collect();
            (steps, p.outcome)
        })
        .collect();
    for (steps, outcome) in &taken {
        let path = paths.iter().find(|(wanted, _)| wanted == steps);
        assert!(
            path.is_some(),
            "{}: an example takes no path of the graph: {steps:?}",
            P::ID
        );
        assert_eq!(
            path.map(|(_, o)| *o),
            Some(outcome.as_str()),
            "{}: {steps:?}",
            P::ID
        );
    }
    paths
        .iter()
        .filter(|(wanted, _)| !taken.iter().any(|(steps, _)| steps == wanted))
        .map(|(wanted, outcome)| format!("{} -> {outcome}", wanted.join(", ")))
        .collect()
}

/// Decides `facts` under `P`: never an error (totality), the same decision
/// twice (determinism), and `stable_until` honest: at every instant of
/// `probes` inside `[now, stable_until)` the path is the same, and at
/// `stable_until` it differs (with no `stable_until`, the path holds at every
/// probe).
pub fn check_decision<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
    probes: &[f64],
) -> Result<PolicyDecision<P::Outcome>, TestCaseError>
where
    P::Outcome: PartialEq + std::fmt::Debug,
{
    let decision = evaluate::<P>(facts, now, config)
        .map_err(|e| TestCaseError::fail(format!("{}: no decision: {e}", P::ID)))?;
    let again = evaluate::<P>(facts, now, config).unwrap();
    prop_assert_eq!(&decision, &again, "not deterministic");
    let here = path(&decision);
    match decision.stable_until {
        Some(until) => {
            prop_assert!(until > now, "stable_until {until} is not after now {now}");
            let span = (until - now).num_seconds();
            for &f in probes {
                // Whole seconds strictly inside [now, until).
                let offset = ((span as f64) * f).floor() as i64;
                let t = now + TimeDelta::seconds(offset.min(span - 1).max(0));
                let there = evaluate::<P>(facts, t, config).unwrap();
                prop_assert_eq!(&path(&there), &here, "path changed at {} < {}", t, until);
            }
            let there = evaluate::<P>(facts, until, config).unwrap();
            prop_assert_ne!(
                &path(&there),
                &here,
                "path unchanged at stable_until {}",
                until
            );
        }
        None => {
            for &f in probes {
                let t = now + TimeDelta::days((f * 20.0 * 365.0) as i64);
                let there = evaluate::<P>(facts, t, config).unwrap();
                prop_assert_eq!(&path(&there), &here, "path changed at {}", t);
            }
        }
    }
    Ok(decision)
}

// ---------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------

/// Time zones with every kind of offset: whole, half and quarter hours, both
/// extremes of the date line, DST in both hemispheres, and none.
pub const ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
];

pub fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(ZONES).prop_map(|z| z.parse::<Tz>().unwrap())
}

/// A date between 2024 and 2029.
pub fn date() -> impl Strategy<Value = NaiveDate> {
    (0u64..6 * 366).prop_map(|n| d("2024-01-01") + Days::new(n))
}

/// An instant between 2024 and 2029, to the second; often near a midnight.
pub fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        (0i64..6 * 366 * 86_400).prop_map(|s| at("2024-01-01T00:00:00Z") + TimeDelta::seconds(s)),
        (0i64..6 * 366, -1i64..=1, 0i64..60).prop_map(|(day, hour, sec)| {
            at("2024-01-01T00:00:00Z") + TimeDelta::days(day) + TimeDelta::hours(hour)
                - TimeDelta::seconds(sec)
        }),
    ]
}

pub fn plan() -> impl Strategy<Value = Plan> {
    prop_oneof![Just(Plan::Free), Just(Plan::Premium), Just(Plan::Ultimate)]
}

/// A license around `2024..2029`, paid or trial, expiring from a month before
/// it starts (bad data) to three years after.
pub fn license() -> impl Strategy<Value = License> {
    (plan(), any::<bool>(), date(), -30i64..3 * 366, 0u32..5000).prop_map(
        |(plan, trial, starts_on, length, users)| License {
            plan,
            trial,
            starts_on,
            expires_on: starts_on + TimeDelta::days(length),
            users,
        },
    )
}

/// A license and an instant near its dates (so every state is reached often).
pub fn license_and_now() -> impl Strategy<Value = (License, DateTime<Utc>)> {
    (license(), -40i64..60, 0i64..86_400, any::<bool>()).prop_map(
        |(license, day, second, near_expiry)| {
            let base = if near_expiry {
                license.expires_on
            } else {
                license.starts_on
            };
            let now = base.and_hms_opt(0, 0, 0).unwrap().and_utc()
                + TimeDelta::days(day)
                + TimeDelta::seconds(second);
            (license, now)
        },
    )
}

pub fn customer_status() -> impl Strategy<Value = CustomerStatus> {
    prop_oneof![
        3 => Just(CustomerStatus::Paid),
        1 => Just(CustomerStatus::Unpaid),
        1 => Just(CustomerStatus::Prospect),
    ]
}

/// Any configuration the spec allows to be written, valid or not: the
/// policies must decide under every one (`decide` trusts the configuration).
pub fn any_config() -> impl Strategy<Value = PolicyConfig> {
    (
        zone(),
        0u32..40,
        0u32..10,
        0u32..100,
        0u32..30,
        0u32..30,
        prop::collection::vec(date(), 0..4),
    )
        .prop_map(
            |(
                timezone,
                grace_period_days,
                emergency_window_days,
                escalation_threshold_hours,
                temporary_license_days,
                temporary_license_max_days,
                company_holidays,
            )| PolicyConfig {
                timezone,
                grace_period_days,
                emergency_window_days,
                escalation_threshold_hours,
                temporary_license_days,
                temporary_license_max_days,
                company_holidays,
                monitoring_schedule: None,
            },
        )
}

/// A configuration that validates: every temporary license length from 1 day
/// to the hard cap of 10.
pub fn valid_config() -> impl Strategy<Value = PolicyConfig> {
    (any_config(), 1u32..=10, 0.0f64..1.0)
        .prop_map(|(config, max_days, f)| {
            let days = 1 + ((f64::from(max_days) * f) as u32).min(max_days - 1);
            PolicyConfig {
                temporary_license_days: days,
                temporary_license_max_days: max_days,
                ..config
            }
        })
        .prop_filter("the configuration validates", |c| c.validate().is_ok())
}

/// Fractions of a span at which to probe `stable_until`.
pub fn probes() -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(0.0f64..1.0, 1..6)
}
