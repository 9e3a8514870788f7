//! Who is available when: each engineer's workdays, week by week.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};

use super::Engineer;
use crate::input::{InputError, shown};

/// The workdays of one week an engineer marked available: any subset of
/// Monday to Friday. Weekends are never assigned, so they are not part of
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Weekdays(u8);

/// Monday to Friday, in order, with the names [`Weekdays::parse`] reads.
const NAMES: [(Weekday, &str, &str); 5] = [
    (Weekday::Mon, "mon", "monday"),
    (Weekday::Tue, "tue", "tuesday"),
    (Weekday::Wed, "wed", "wednesday"),
    (Weekday::Thu, "thu", "thursday"),
    (Weekday::Fri, "fri", "friday"),
];

impl Weekdays {
    /// Available Monday to Friday (`all`).
    pub const ALL: Weekdays = Weekdays(0b1_1111);
    /// Not available that week (`none`).
    pub const NONE: Weekdays = Weekdays(0);

    /// Whether `day` is one of them (never for Saturday or Sunday).
    pub fn contains(self, day: Weekday) -> bool {
        match day {
            Weekday::Sat | Weekday::Sun => false,
            _ => self.0 & (1 << day.num_days_from_monday()) != 0,
        }
    }

    /// These days and `day` too; Saturday and Sunday are left out.
    #[must_use]
    pub fn with(self, day: Weekday) -> Weekdays {
        match day {
            Weekday::Sat | Weekday::Sun => self,
            _ => Weekdays(self.0 | (1 << day.num_days_from_monday())),
        }
    }

    /// How many weekdays.
    pub fn count(self) -> u32 {
        self.0.count_ones()
    }

    /// Reads the `days` of an availability row: `all`, `none`, or weekday
    /// names (`mon`, `tue`, `wed`, `thu`, `fri`, or in full: `monday`),
    /// in any case, separated by spaces or commas, each at most once.
    /// `sat` and `sun` are refused: weekends are not assigned.
    pub fn parse(text: &str) -> Result<Weekdays, InputError> {
        let error = |reason: String| InputError::Weekdays {
            value: shown(text),
            reason,
        };
        let words: Vec<String> = text
            .split([' ', ',', '\t'])
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        match words.as_slice() {
            [] => return Err(error("it is empty".to_owned())),
            [one] if one == "all" => return Ok(Weekdays::ALL),
            [one] if one == "none" => return Ok(Weekdays::NONE),
            _ => {}
        }
        let mut days = Weekdays::NONE;
        for word in &words {
            if matches!(word.as_str(), "all" | "none") {
                return Err(error(format!("`{word}` must stand alone")));
            }
            if matches!(word.as_str(), "sat" | "saturday" | "sun" | "sunday") {
                return Err(error(format!(
                    "`{word}`: weekends are not assigned (their failures are reviewed on the next workday)"
                )));
            }
            let Some((day, _, _)) = NAMES
                .iter()
                .find(|(_, short, long)| word == short || word == long)
            else {
                return Err(error(format!("`{}` is not a weekday name", shown(word))));
            };
            if days.contains(*day) {
                return Err(error(format!("`{word}` is given twice")));
            }
            days = days.with(*day);
        }
        Ok(days)
    }
}

impl fmt::Display for Weekdays {
    /// `all`, `none`, or the short names (`mon wed fri`): what
    /// [`Weekdays::parse`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Weekdays::ALL {
            return f.write_str("all");
        }
        if *self == Weekdays::NONE {
            return f.write_str("none");
        }
        let names: Vec<&str> = NAMES
            .iter()
            .filter(|(day, _, _)| self.contains(*day))
            .map(|(_, short, _)| *short)
            .collect();
        f.write_str(&names.join(" "))
    }
}

/// A row of availability that cannot be added.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AvailabilityError {
    /// Weeks start on Monday.
    #[error("{week_of} is a {weekday}: weeks start on Monday (that week's is {monday})")]
    NotAMonday {
        /// The date given.
        week_of: NaiveDate,
        /// Its weekday.
        weekday: Weekday,
        /// The Monday of its week.
        monday: NaiveDate,
    },
    /// The engineer's availability for that week is already given.
    #[error("{engineer}'s availability for the week of {week_of} is already given")]
    Duplicate {
        /// The engineer.
        engineer: Engineer,
        /// The week's Monday.
        week_of: NaiveDate,
    },
}

/// Every engineer's availability, week by week (spec 3.9): for each engineer
/// and each Monday-based week, the workdays they can review failures on.
///
/// A week an engineer gave no availability for counts as `none`: nobody is
/// assigned on a day they did not say they could take. An engineer with no
/// week at all is still on the team (the summary lists them with 0 days).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Availability {
    weeks: BTreeMap<Engineer, BTreeMap<NaiveDate, Weekdays>>,
}

impl Availability {
    /// No engineer yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `engineer` to the team, with no availability yet.
    pub fn add_engineer(&mut self, engineer: Engineer) {
        self.weeks.entry(engineer).or_default();
    }

    /// Records that `engineer` is available on `days` of the week starting
    /// on Monday `week_of`. Refused: a `week_of` that is not a Monday, a
    /// week already given for the engineer.
    pub fn insert(
        &mut self,
        engineer: Engineer,
        week_of: NaiveDate,
        days: Weekdays,
    ) -> Result<(), AvailabilityError> {
        if week_of.weekday() != Weekday::Mon {
            return Err(AvailabilityError::NotAMonday {
                week_of,
                weekday: week_of.weekday(),
                monday: monday_of(week_of),
            });
        }
        let weeks = self.weeks.entry(engineer.clone()).or_default();
        if weeks.contains_key(&week_of) {
            return Err(AvailabilityError::Duplicate { engineer, week_of });
        }
        weeks.insert(week_of, days);
        Ok(())
    }

    /// The engineers, by name.
    pub fn engineers(&self) -> impl Iterator<Item = &Engineer> {
        self.weeks.keys()
    }

    /// Whether `engineer` is on the team (gave availability, even `none`).
    pub fn knows(&self, engineer: &Engineer) -> bool {
        self.weeks.contains_key(engineer)
    }

    /// The days `engineer` marked available in the week of Monday `week_of`
    /// ([`Weekdays::NONE`] when they gave none).
    pub fn week(&self, engineer: &Engineer, week_of: NaiveDate) -> Weekdays {
        self.weeks
            .get(engineer)
            .and_then(|weeks| weeks.get(&week_of))
            .copied()
            .unwrap_or(Weekdays::NONE)
    }

    /// Whether `engineer` marked `date` available (never on a weekend).
    pub fn is_available(&self, engineer: &Engineer, date: NaiveDate) -> bool {
        self.week(engineer, monday_of(date))
            .contains(date.weekday())
    }

    /// The engineers who marked `date` available, by name.
    pub fn available_on(&self, date: NaiveDate) -> impl Iterator<Item = &Engineer> {
        let monday = monday_of(date);
        let weekday = date.weekday();
        self.weeks.iter().filter_map(move |(engineer, weeks)| {
            weeks
                .get(&monday)
                .is_some_and(|days| days.contains(weekday))
                .then_some(engineer)
        })
    }

    /// Every row: engineer, week, days, by engineer then week.
    pub fn rows(&self) -> impl Iterator<Item = (&Engineer, NaiveDate, Weekdays)> {
        self.weeks.iter().flat_map(|(engineer, weeks)| {
            weeks
                .iter()
                .map(move |(week_of, days)| (engineer, *week_of, *days))
        })
    }
}

/// The Monday of `date`'s week (`date` itself on a Monday); saturates at
/// the start of the calendar.
pub(super) fn monday_of(date: NaiveDate) -> NaiveDate {
    date.checked_sub_signed(TimeDelta::days(i64::from(
        date.weekday().num_days_from_monday(),
    )))
    .unwrap_or(NaiveDate::MIN)
}
