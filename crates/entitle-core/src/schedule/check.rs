//! The check of a schedule people edited.

use std::fmt;

use chrono::NaiveDate;

use super::{Availability, Engineer, Schedule};
use crate::config::PolicyConfig;
use crate::time::is_weekend_date;

/// Something wrong with an edited schedule, naming the day and the person.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// A day outside the milestone is assigned.
    OutsideMilestone {
        /// The day.
        day: NaiveDate,
        /// Who is assigned.
        engineer: Engineer,
    },
    /// A weekend day or a company holiday is assigned: those are covered on
    /// the next workday, never assigned.
    NotAWorkday {
        /// The day.
        day: NaiveDate,
        /// Who is assigned.
        engineer: Engineer,
        /// A weekend (else a company holiday).
        weekend: bool,
    },
    /// Someone who gave no availability at all is assigned.
    UnknownEngineer {
        /// The day.
        day: NaiveDate,
        /// Who is assigned.
        engineer: Engineer,
    },
    /// Someone is assigned on a day they did not mark available.
    Unavailable {
        /// The day.
        day: NaiveDate,
        /// Who is assigned.
        engineer: Engineer,
    },
    /// A workday someone marked available is left out.
    LeftOut {
        /// The day.
        day: NaiveDate,
        /// Who marked it available, by name.
        available: Vec<Engineer>,
    },
}

impl Problem {
    /// The day the problem is about.
    pub fn day(&self) -> NaiveDate {
        match self {
            Problem::OutsideMilestone { day, .. }
            | Problem::NotAWorkday { day, .. }
            | Problem::UnknownEngineer { day, .. }
            | Problem::Unavailable { day, .. }
            | Problem::LeftOut { day, .. } => *day,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = self.day();
        write!(f, "{} {}: ", day, day.format("%a"))?;
        match self {
            Problem::OutsideMilestone { engineer, .. } => {
                write!(f, "{engineer} is assigned outside the milestone")
            }
            Problem::NotAWorkday {
                engineer, weekend, ..
            } => write!(
                f,
                "{engineer} is assigned on a {}, which is covered on the next workday",
                if *weekend {
                    "weekend day"
                } else {
                    "company holiday"
                }
            ),
            Problem::UnknownEngineer { engineer, .. } => {
                write!(f, "{engineer} is assigned but gave no availability at all")
            }
            Problem::Unavailable { engineer, .. } => {
                write!(f, "{engineer} is assigned but did not mark it available")
            }
            Problem::LeftOut { available, .. } => {
                let names: Vec<&str> = available.iter().map(Engineer::as_str).collect();
                write!(f, "left out, but {} marked it available", names.join(", "))
            }
        }
    }
}

/// Checks an edited schedule against the availability (spec 3.9): every
/// assigned day is a workday of the milestone that its engineer marked
/// available, and every workday someone marked available is assigned.
/// Returns every problem, in date order (empty: the schedule is accepted).
///
/// Fairness is not checked: people adjust the built schedule, and a swap
/// that suits them is theirs to make.
pub fn check(
    schedule: &Schedule,
    availability: &Availability,
    config: &PolicyConfig,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (day, engineer) in schedule.days.iter() {
        let engineer = engineer.clone();
        let problem = if !schedule.milestone.contains(day) {
            Problem::OutsideMilestone { day, engineer }
        } else if is_weekend_date(day) || config.company_holidays.contains(&day) {
            Problem::NotAWorkday {
                day,
                engineer,
                weekend: is_weekend_date(day),
            }
        } else if !availability.knows(&engineer) {
            Problem::UnknownEngineer { day, engineer }
        } else if !availability.is_available(&engineer, day) {
            Problem::Unavailable { day, engineer }
        } else {
            continue;
        };
        problems.push(problem);
    }
    for day in schedule.unassigned_workdays(config) {
        let available: Vec<Engineer> = availability.available_on(day).cloned().collect();
        if !available.is_empty() {
            problems.push(Problem::LeftOut { day, available });
        }
    }
    problems.sort_by_key(Problem::day);
    problems
}
