//! The provision-failure monitoring schedule (spec 3.9): who reviews the
//! failures of each workday of a milestone.
//!
//! Before a milestone, engineers give their availability week by week
//! ([`Availability`]: all, none or named weekdays of each Monday-based week).
//! [`build`] assigns every workday of the [`Milestone`] (Monday to Friday,
//! not in `company_holidays`) to an engineer who marked it available,
//! reports the workdays nobody can take, and is fair and deterministic.
//! People then edit the [`Schedule`] (swap days); [`check`] refuses an
//! edited schedule that assigns someone on a day they did not mark available
//! or leaves a coverable workday out, naming the day and the person.
//!
//! Weekend days and holidays are never assigned: their failures are
//! reviewed on the next workday ([`crate::time::review_on`]) by that day's
//! engineer ([`reviewer`]).
//!
//! Everything here is pure: no clock, no files. The calendar rules are the
//! core's ([`crate::time::is_workday`]); the files people edit are read and
//! written by the facade.

mod assignments;
mod availability;
mod build;
mod calendar;
mod check;
mod engineer;
mod fairness;
mod milestone;
mod reviewer;

pub use assignments::Assignments;
pub use availability::{Availability, AvailabilityError, Weekdays};
pub use build::{Built, build};
pub use calendar::calendar;
pub use check::{Problem, check};
pub use engineer::Engineer;
pub use fairness::{Summary, UnfairMove, summary, unfair_moves};
pub use milestone::{MAX_MILESTONE_DAYS, Milestone, MilestoneError};
pub use reviewer::{Review, reviewer};

use chrono::NaiveDate;

/// A monitoring schedule: the milestone it covers and the engineer of each
/// assigned workday. What `entitle schedule build` writes and people edit;
/// a workday it leaves out is uncovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The milestone's dates.
    pub milestone: Milestone,
    /// The engineer of each assigned day.
    pub days: Assignments,
}

impl Schedule {
    /// The workdays of the milestone that no engineer is assigned to, in
    /// order.
    pub fn unassigned_workdays(&self, config: &crate::config::PolicyConfig) -> Vec<NaiveDate> {
        self.milestone
            .workdays(config)
            .filter(|day| self.days.get(*day).is_none())
            .collect()
    }
}
