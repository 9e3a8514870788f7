//! Property tests over random availabilities and holiday sets: the
//! builder's invariants, determinism, and that the checker keeps accepting
//! a schedule after any swap that keeps availability.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use entitle_core::config::PolicyConfig;
use entitle_core::schedule::{
    Availability, Engineer, Milestone, Schedule, Weekdays, build, check, unfair_moves,
};
use entitle_core::time::is_workday;
use proptest::prelude::*;

use super::e;

/// A random team and milestone: the first date within two years of Monday
/// 2026-11-23 (any weekday), 1 to 70 days long, 1 to 6 engineers, each
/// week of each engineer any subset of Monday-Friday or missing, and up to
/// 8 holidays among the milestone's days.
#[derive(Debug, Clone)]
struct Case {
    milestone: Milestone,
    /// `(engineer, week_of, days)` in the order given.
    rows: Vec<(Engineer, NaiveDate, Weekdays)>,
    config: PolicyConfig,
}

fn weekdays() -> impl Strategy<Value = Option<Weekdays>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Weekdays::ALL)),
        1 => Just(Some(Weekdays::NONE)),
        4 => (0u8..32).prop_map(|bits| {
            let days = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
            Some(days
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .fold(Weekdays::NONE, |w, (_, day)| w.with(*day)))
        }),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    (-365i64..365, 1i64..=70, 1usize..=6)
        .prop_flat_map(|(start, len, team)| {
            let first = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap() + TimeDelta::days(start);
            let last = first + TimeDelta::days(len - 1);
            let milestone = Milestone::new(first, last).unwrap();
            let mondays: Vec<NaiveDate> = {
                let mut monday =
                    first - TimeDelta::days(i64::from(first.weekday().num_days_from_monday()));
                let mut out = Vec::new();
                while monday <= last {
                    out.push(monday);
                    monday += TimeDelta::days(7);
                }
                out
            };
            let weeks = mondays.len();
            (
                Just(milestone),
                Just(mondays),
                prop::collection::vec(prop::collection::vec(weekdays(), weeks), team),
                prop::collection::vec(0..len, 0..=8),
                any::<prop::sample::Index>(),
            )
        })
        .prop_map(|(milestone, mondays, grid, holiday_offsets, rotate)| {
            let mut rows = Vec::new();
            for (i, weeks) in grid.iter().enumerate() {
                for (monday, days) in mondays.iter().zip(weeks) {
                    if let Some(days) = days {
                        rows.push((e(&format!("eng{i}")), *monday, *days));
                    }
                }
            }
            // Rows in some order other than by engineer.
            if !rows.is_empty() {
                let by = rotate.index(rows.len());
                rows.rotate_left(by);
            }
            let config = PolicyConfig {
                company_holidays: holiday_offsets
                    .iter()
                    .map(|o| milestone.first() + TimeDelta::days(*o))
                    .collect(),
                ..PolicyConfig::default()
            };
            Case {
                milestone,
                rows,
                config,
            }
        })
}

fn availability_of(rows: &[(Engineer, NaiveDate, Weekdays)]) -> Availability {
    let mut a = Availability::new();
    for (engineer, week_of, days) in rows {
        a.insert(engineer.clone(), *week_of, *days).unwrap();
    }
    a
}

/// Whether `engineer` marked `day` available, read from the rows directly
/// (not through `Availability`).
fn marked(rows: &[(Engineer, NaiveDate, Weekdays)], engineer: &Engineer, day: NaiveDate) -> bool {
    rows.iter().any(|(who, week_of, days)| {
        who == engineer
            && *week_of <= day
            && day < *week_of + TimeDelta::days(7)
            && days.contains(day.weekday())
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    /// Every assigned day is a workday of the milestone its engineer marked
    /// available; every uncovered day is a workday nobody marked; together
    /// they are exactly the milestone's workdays.
    #[test]
    fn assigned_days_are_available_and_uncovered_days_are_not(case in case()) {
        let a = availability_of(&case.rows);
        let built = build(&case.milestone, &a, &case.config);
        for (day, engineer) in built.schedule.days.iter() {
            prop_assert!(case.milestone.contains(day), "{day} outside");
            prop_assert!(is_workday(day, &case.config), "{day} is not a workday");
            prop_assert!(marked(&case.rows, engineer, day), "{engineer} not available on {day}");
        }
        for day in &built.uncovered {
            prop_assert!(is_workday(*day, &case.config));
            prop_assert!(built.schedule.days.get(*day).is_none());
            for engineer in a.engineers() {
                prop_assert!(!marked(&case.rows, engineer, *day), "{day} uncovered but {engineer} is available");
            }
        }
        let workdays: Vec<NaiveDate> = case.milestone.days().filter(|d| is_workday(*d, &case.config)).collect();
        prop_assert_eq!(built.schedule.days.len() + built.uncovered.len(), workdays.len());
    }

    /// Fair: whenever X has at least two more days than Y, Y marked none of
    /// X's days available (computed here from the rows, and by the core's
    /// `unfair_moves`).
    #[test]
    fn the_fairness_condition_holds(case in case()) {
        let a = availability_of(&case.rows);
        let built = build(&case.milestone, &a, &case.config);
        let mut load: BTreeMap<&Engineer, usize> = a.engineers().map(|e| (e, 0)).collect();
        for (_, engineer) in built.schedule.days.iter() {
            *load.get_mut(engineer).unwrap() += 1;
        }
        for (day, x) in built.schedule.days.iter() {
            for (y, y_load) in &load {
                if y_load + 2 <= load[x] {
                    prop_assert!(!marked(&case.rows, y, day),
                        "{day} could move from {x} ({}) to {y} ({y_load})", load[x]);
                }
            }
        }
        prop_assert!(unfair_moves(&built.schedule, &a).is_empty());
    }

    /// Same input, same schedule: built twice, and from the rows in another
    /// order.
    #[test]
    fn the_same_input_gives_the_same_schedule(case in case()) {
        let a = availability_of(&case.rows);
        let once = build(&case.milestone, &a, &case.config);
        prop_assert_eq!(&once, &build(&case.milestone, &a, &case.config));
        let mut reversed = case.rows.clone();
        reversed.reverse();
        let mut holidays = case.config.clone();
        holidays.company_holidays.reverse();
        prop_assert_eq!(&once, &build(&case.milestone, &availability_of(&reversed), &holidays));
    }

    /// The checker accepts the built schedule, and keeps accepting it after
    /// any swap of two days whose engineers are each available on the
    /// other's day.
    #[test]
    fn an_accepted_schedule_stays_accepted_after_any_swap_that_keeps_availability(case in case()) {
        let a = availability_of(&case.rows);
        let built = build(&case.milestone, &a, &case.config);
        prop_assert_eq!(check(&built.schedule, &a, &case.config), vec![]);
        let days: Vec<(NaiveDate, Engineer)> =
            built.schedule.days.iter().map(|(d, e)| (d, e.clone())).collect();
        for (i, (d1, e1)) in days.iter().enumerate() {
            for (d2, e2) in days.iter().skip(i + 1) {
                if e1 == e2 || !a.is_available(e1, *d2) || !a.is_available(e2, *d1) {
                    continue;
                }
                let mut swapped: Schedule = built.schedule.clone();
                swapped.days.insert(*d1, e2.clone());
                swapped.days.insert(*d2, e1.clone());
                prop_assert_eq!(check(&swapped, &a, &case.config), vec![], "swap {} and {}", d1, d2);
            }
        }
    }

    /// And a swap that breaks availability is refused, naming the day and
    /// the person.
    #[test]
    fn a_swap_onto_an_unavailable_day_is_refused(case in case()) {
        let a = availability_of(&case.rows);
        let built = build(&case.milestone, &a, &case.config);
        let days: Vec<(NaiveDate, Engineer)> =
            built.schedule.days.iter().map(|(d, e)| (d, e.clone())).collect();
        for (d1, e1) in &days {
            for (d2, e2) in &days {
                if e1 == e2 || a.is_available(e1, *d2) {
                    continue;
                }
                let mut swapped = built.schedule.clone();
                swapped.days.insert(*d1, e2.clone());
                swapped.days.insert(*d2, e1.clone());
                let problems = check(&swapped, &a, &case.config);
                prop_assert!(
                    problems.iter().any(|p| p.day() == *d2 && p.to_string().contains(e1.as_str())),
                    "{problems:?}"
                );
            }
        }
    }
}
