//! Who reviews a failure: the engineer the schedule names for its
//! `review_on`.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Assignments, Engineer};
use crate::config::PolicyConfig;
use crate::time::review_on;

/// When and by whom a failure is reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review<'a> {
    /// The failure's date in the support time zone if it is a workday, else
    /// the next workday (spec 3.8).
    pub on: NaiveDate,
    /// The engineer the schedule names for that day; `None` when the
    /// schedule leaves it out (uncovered, or outside the milestone).
    pub by: Option<&'a Engineer>,
}

/// The review of a failure that occurred at `occurred_at`, under
/// `schedule`: a failure on a Saturday is reviewed on Monday by Monday's
/// engineer (on Tuesday by Tuesday's when Monday is a company holiday).
/// Never guessed: a day the schedule leaves out has no reviewer.
pub fn reviewer<'a>(
    occurred_at: DateTime<Utc>,
    schedule: &'a Assignments,
    config: &PolicyConfig,
) -> Review<'a> {
    let on = review_on(occurred_at, config);
    Review {
        on,
        by: schedule.get(on),
    }
}
