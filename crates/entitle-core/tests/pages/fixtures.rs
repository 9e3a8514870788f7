//! Fixtures every page's tests share: instants, dates, configurations,
//! licenses, and a decision's path.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{DateTime, NaiveDate, Utc};
use entitle_core::config::PolicyConfig;
use entitle_core::domain::{License, Plan};
use entitle_core::policy::PolicyDecision;

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

pub fn config_in(zone: &str) -> PolicyConfig {
    PolicyConfig {
        timezone: zone.parse().unwrap(),
        ..PolicyConfig::default()
    }
}

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn paid(starts_on: &str, expires_on: &str) -> License {
    License {
        plan: Plan::Premium,
        trial: false,
        starts_on: d(starts_on),
        expires_on: d(expires_on),
        users: 25,
    }
}

/// The path of a decision: `(node, answer)` for every step.
pub fn path<O>(decision: &PolicyDecision<O>) -> Vec<(&'static str, &'static str)> {
    decision.trace.iter().map(|s| (s.node, s.answer)).collect()
}

pub fn trial(starts_on: &str, expires_on: &str) -> License {
    License {
        plan: Plan::Ultimate,
        trial: true,
        ..paid(starts_on, expires_on)
    }
}

/// A checked value (an email, a URL, a short text) from a literal the test
/// knows passes its check.
pub fn checked<T: std::str::FromStr<Err = entitle_core::input::InputError>>(text: &str) -> T {
    text.parse().unwrap()
}
