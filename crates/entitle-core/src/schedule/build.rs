//! The builder: every workday of a milestone to an engineer who can take
//! it, fairly and deterministically.

use chrono::NaiveDate;

use super::{Assignments, Availability, Engineer, Milestone, Schedule};
use crate::config::PolicyConfig;

/// What [`build`] made: the schedule, and the workdays it could not cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The schedule.
    pub schedule: Schedule,
    /// The workdays no engineer marked available, in order: reported,
    /// never given to someone unavailable.
    pub uncovered: Vec<NaiveDate>,
}

/// Builds the monitoring schedule of `milestone` (spec 3.9).
///
/// - Every workday of the milestone (Monday to Friday, not in
///   `config.company_holidays`) goes to one engineer who marked it
///   available; a workday nobody marked is [`Built::uncovered`]. Weekends
///   and holidays are not assigned.
/// - Fair: whenever engineer X has at least two more days than engineer Y,
///   Y marked none of X's days available (no single day could move to
///   balance the load better).
/// - Deterministic: the same milestone, availability and holidays give the
///   same schedule, whatever order the availability was given in.
///
/// How: each workday in date order goes to the available engineer with the
/// fewest days so far, then the fewest available workdays in the milestone
/// (who can take fewer days takes them while they can), then by name. Then,
/// while some day could move from an engineer with at least two more days
/// to one available on it, it moves (to the least loaded such engineer,
/// then by name). Each move lowers the sum of the squared loads by at least
/// 2, so this ends, after at most `workdays^2 / 2` moves.
pub fn build(milestone: &Milestone, availability: &Availability, config: &PolicyConfig) -> Built {
    let engineers: Vec<&Engineer> = availability.engineers().collect();
    let workdays: Vec<NaiveDate> = milestone.workdays(config).collect();
    // For each workday, the indices (into `engineers`, by name) of those
    // available on it.
    let candidates: Vec<Vec<usize>> = workdays
        .iter()
        .map(|day| {
            engineers
                .iter()
                .enumerate()
                .filter(|(_, engineer)| availability.is_available(engineer, *day))
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    let mut capacity = vec![0usize; engineers.len()];
    for day in &candidates {
        for &i in day {
            if let Some(c) = capacity.get_mut(i) {
                *c += 1;
            }
        }
    }
    let mut load = vec![0usize; engineers.len()];
    let mut assigned: Vec<Option<usize>> = Vec::with_capacity(workdays.len());
    for day in &candidates {
        let pick = day.iter().copied().min_by_key(|&i| {
            (
                load.get(i).copied().unwrap_or(usize::MAX),
                capacity.get(i).copied().unwrap_or(usize::MAX),
                i,
            )
        });
        if let Some(l) = pick.and_then(|i| load.get_mut(i)) {
            *l += 1;
        }
        assigned.push(pick);
    }
    balance(&candidates, &mut assigned, &mut load);

    let mut days = Assignments::new();
    let mut uncovered = Vec::new();
    for (day, pick) in workdays.iter().zip(&assigned) {
        match pick.and_then(|i| engineers.get(i)) {
            Some(engineer) => {
                days.insert(*day, (*engineer).clone());
            }
            None => uncovered.push(*day),
        }
    }
    Built {
        schedule: Schedule {
            milestone: *milestone,
            days,
        },
        uncovered,
    }
}

/// Moves single days from an engineer with at least two more days to a
/// less loaded one available on it, until no such move is left.
fn balance(candidates: &[Vec<usize>], assigned: &mut [Option<usize>], load: &mut [usize]) {
    let load_of = |load: &[usize], i: usize| load.get(i).copied().unwrap_or(0);
    loop {
        let mut moved = false;
        for (day, pick) in candidates.iter().zip(assigned.iter_mut()) {
            let Some(from) = *pick else { continue };
            let from_load = load_of(load, from);
            let to = day
                .iter()
                .copied()
                .filter(|&i| load_of(load, i) + 2 <= from_load)
                .min_by_key(|&i| (load_of(load, i), i));
            if let Some(to) = to {
                if let Some(l) = load.get_mut(from) {
                    *l = l.saturating_sub(1);
                }
                if let Some(l) = load.get_mut(to) {
                    *l += 1;
                }
                *pick = Some(to);
                moved = true;
            }
        }
        if !moved {
            break;
        }
    }
}
