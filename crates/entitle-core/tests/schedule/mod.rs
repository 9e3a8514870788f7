//! The monitoring schedule (spec 3.9): the builder's invariants over random
//! availabilities and holidays, the checker, and the pages' cases.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

mod pages;
mod props;
mod unit;

use chrono::{DateTime, NaiveDate, Utc};
use entitle_core::config::PolicyConfig;
use entitle_core::schedule::{Availability, Engineer, Milestone, Weekdays};

pub(crate) fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub(crate) fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(crate) fn e(name: &str) -> Engineer {
    Engineer::new(name).unwrap()
}

pub(crate) fn milestone(first: &str, last: &str) -> Milestone {
    Milestone::new(d(first), d(last)).unwrap()
}

pub(crate) fn holidays(days: &[&str]) -> PolicyConfig {
    PolicyConfig {
        company_holidays: days.iter().map(|s| d(s)).collect(),
        ..PolicyConfig::default()
    }
}

/// Availability from `(engineer, week_of, days)` rows.
pub(crate) fn availability(rows: &[(&str, &str, &str)]) -> Availability {
    let mut a = Availability::new();
    for (engineer, week_of, days) in rows {
        a.insert(e(engineer), d(week_of), Weekdays::parse(days).unwrap())
            .unwrap();
    }
    a
}
