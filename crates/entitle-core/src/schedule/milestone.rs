//! A milestone's dates: the days a monitoring schedule covers.

use chrono::NaiveDate;

use crate::config::PolicyConfig;
use crate::time::is_workday;

/// Longest milestone a schedule may cover, in days (a little over two
/// years): a bound on what one schedule holds, far beyond a real milestone.
pub const MAX_MILESTONE_DAYS: i64 = 800;

/// A milestone's first and last date (both included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Milestone {
    first: NaiveDate,
    last: NaiveDate,
}

/// A date range that is not a milestone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MilestoneError {
    /// The last date is before the first.
    #[error("the milestone ends ({last}) before it starts ({first})")]
    EndsBeforeStart {
        /// The first date.
        first: NaiveDate,
        /// The last date.
        last: NaiveDate,
    },
    /// Longer than [`MAX_MILESTONE_DAYS`].
    #[error(
        "the milestone {first} to {last} is {days} days long; at most {MAX_MILESTONE_DAYS} are accepted"
    )]
    TooLong {
        /// The first date.
        first: NaiveDate,
        /// The last date.
        last: NaiveDate,
        /// Its length in days.
        days: i64,
    },
}

impl Milestone {
    /// The milestone from `first` to `last`, both included.
    pub fn new(first: NaiveDate, last: NaiveDate) -> Result<Self, MilestoneError> {
        if last < first {
            return Err(MilestoneError::EndsBeforeStart { first, last });
        }
        let days = last.signed_duration_since(first).num_days() + 1;
        if days > MAX_MILESTONE_DAYS {
            return Err(MilestoneError::TooLong { first, last, days });
        }
        Ok(Self { first, last })
    }

    /// Its first date.
    pub fn first(&self) -> NaiveDate {
        self.first
    }

    /// Its last date.
    pub fn last(&self) -> NaiveDate {
        self.last
    }

    /// Whether `date` is one of its days.
    pub fn contains(&self, date: NaiveDate) -> bool {
        (self.first..=self.last).contains(&date)
    }

    /// Every day, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let last = self.last;
        self.first.iter_days().take_while(move |day| *day <= last)
    }

    /// Its workdays (spec 1: not a weekend, not in `company_holidays`), in
    /// order.
    pub fn workdays<'c>(&self, config: &'c PolicyConfig) -> impl Iterator<Item = NaiveDate> + 'c {
        self.days().filter(move |day| is_workday(*day, config))
    }
}
