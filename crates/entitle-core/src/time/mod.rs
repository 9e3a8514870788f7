//! The time rules of the policy spec (section 1), as small pure functions.
//!
//! Instants are [`DateTime<Utc>`](chrono::DateTime); calendar questions ("what day is today",
//! "is it a weekend") are answered in the configured support time zone,
//! [`PolicyConfig::timezone`](crate::config::PolicyConfig::timezone). A date `D` begins at 00:00 of `D` in that zone
//! ([`start_of`]): if local midnight does not exist (a DST gap), at the first
//! instant of `D`; if it happens twice, at the earlier one.
//!
//! Every rule that depends on `now` returns a [`Timed`] value whose `until` is
//! exact: the earliest instant strictly after `now` at which the same rule,
//! with the same facts and configuration, answers differently (or `None` if it
//! never will). The engine turns these into a decision's `stable_until`.
//!
//! Nothing here panics: date arithmetic is checked and saturates at the ends
//! of the calendar ([`NaiveDate::MIN`](chrono::NaiveDate::MIN), [`NaiveDate::MAX`](chrono::NaiveDate::MAX)), and instants
//! saturate at the ends of [`DateTime<Utc>`](chrono::DateTime).
//!
//! # How "until" stays exact in every time zone
//!
//! Local dates normally move forward one at a time, but the tz database has
//! zones where they do not: a date can be skipped (Samoa, 2011-12-30), repeated
//! (Kwajalein 1969), or briefly revisited (St. John's fell back from 00:01 to
//! 23:01 from 1987 to 2006). The rules below are all functions of the local
//! date, so "until" is computed by following the actual changes of the local
//! date ([`today`]), jumping ahead through long stretches where no change is
//! possible. This is exact as long as a zone never changes its UTC offset and
//! changes it back within one day, which the tz database never does.

mod change;
mod days;
mod deadline;
mod license;
mod seat_link;
mod zone;

pub use days::*;
pub use deadline::*;
pub use license::*;
pub use seat_link::*;
pub use zone::*;

use change::*;

pub use crate::graph::Timed;

/// Upper bound on the steps of the date walks below. They take a handful of
/// steps in any real zone; the bound only guarantees termination.
const MAX_STEPS: usize = 64;

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, NaiveTime, Offset, TimeZone};

    use super::*;

    /// Every zone the fixed-offset table names has exactly that offset in
    /// chrono-tz, from the start to the end of its data and beyond.
    #[test]
    fn fixed_zones_have_their_offset_in_chrono_tz() {
        let mut fixed = 0;
        for tz in chrono_tz::TZ_VARIANTS {
            let Some(offset) = fixed_offset(tz) else {
                continue;
            };
            fixed += 1;
            for year in (-3000..=3000).step_by(7) {
                for month in [1, 4, 7, 10] {
                    let at = NaiveDate::from_ymd_opt(year, month, 15)
                        .unwrap()
                        .and_time(NaiveTime::MIN)
                        .and_utc();
                    let actual = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
                    assert_eq!(actual.local_minus_utc(), offset, "{tz} in {year}-{month}");
                }
            }
        }
        // UTC, its 17 aliases and the 26 Etc/GMT±N zones.
        assert_eq!(fixed, 44);
    }
}
