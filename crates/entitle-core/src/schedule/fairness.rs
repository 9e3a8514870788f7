//! How the days are shared: the fairness condition of spec 3.9 and the
//! figures `entitle schedule build` reports.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{Availability, Engineer, Schedule};
use crate::config::PolicyConfig;

/// A day that could move to balance the load better: its engineer has at
/// least two more days than another engineer who marked it available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfairMove {
    /// The day.
    pub day: NaiveDate,
    /// Its engineer.
    pub from: Engineer,
    /// How many days they have.
    pub from_days: usize,
    /// An engineer available on it.
    pub to: Engineer,
    /// How many days they have.
    pub to_days: usize,
}

/// Days per engineer: every engineer of the team (0 for those with none),
/// and anyone else the schedule names.
fn loads<'a>(
    schedule: &'a Schedule,
    availability: &'a Availability,
) -> BTreeMap<&'a Engineer, usize> {
    let mut loads: BTreeMap<&Engineer, usize> = availability.engineers().map(|e| (e, 0)).collect();
    for (_, engineer) in schedule.days.iter() {
        *loads.entry(engineer).or_default() += 1;
    }
    loads
}

/// Every single-day move that would break the fairness condition (spec 3.9:
/// whenever X has at least two more days than Y, Y marked none of X's days
/// available), in date order, then by name. Empty for a fair schedule.
pub fn unfair_moves(schedule: &Schedule, availability: &Availability) -> Vec<UnfairMove> {
    let loads = loads(schedule, availability);
    let mut moves = Vec::new();
    for (day, from) in schedule.days.iter() {
        let from_days = loads.get(from).copied().unwrap_or(0);
        for to in availability.available_on(day) {
            let to_days = loads.get(to).copied().unwrap_or(0);
            if to_days + 2 <= from_days {
                moves.push(UnfairMove {
                    day,
                    from: from.clone(),
                    from_days,
                    to: to.clone(),
                    to_days,
                });
            }
        }
    }
    moves
}

/// The figures of a schedule: what `entitle schedule build` prints on
/// standard error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Days per engineer, by name: every engineer of the team, and anyone
    /// else the schedule names.
    pub days: Vec<(Engineer, usize)>,
    /// The workdays of the milestone nobody is assigned to, in order.
    pub uncovered: Vec<NaiveDate>,
    /// The engineers who marked every workday of the milestone available.
    pub available_all_along: Vec<Engineer>,
    /// The fairness spread: most minus fewest days among
    /// [`available_all_along`](Self::available_all_along) (`None` when
    /// nobody was).
    pub spread: Option<usize>,
}

/// The figures of `schedule` under `availability`.
pub fn summary(schedule: &Schedule, availability: &Availability, config: &PolicyConfig) -> Summary {
    let loads = loads(schedule, availability);
    let workdays: Vec<NaiveDate> = schedule.milestone.workdays(config).collect();
    let available_all_along: Vec<Engineer> = availability
        .engineers()
        .filter(|e| {
            workdays
                .iter()
                .all(|day| availability.is_available(e, *day))
        })
        .cloned()
        .collect();
    let all_along_days = available_all_along
        .iter()
        .map(|e| loads.get(e).copied().unwrap_or(0));
    let spread = all_along_days
        .clone()
        .max()
        .zip(all_along_days.min())
        .map(|(max, min)| max - min);
    Summary {
        days: loads.into_iter().map(|(e, n)| (e.clone(), n)).collect(),
        uncovered: schedule.unassigned_workdays(config),
        available_all_along,
        spread,
    }
}
