//! Today, weekends and workdays in the support time zone.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};

use crate::config::PolicyConfig;
use crate::graph::{Context, LazyTimed, Until};
use crate::policy::PolicyContext;

use super::*;

/// Today's date in the support time zone (spec 1: calendar questions are
/// answered in `timezone`), until the next local midnight.
pub fn today(now: DateTime<Utc>, config: &PolicyConfig) -> Timed<NaiveDate> {
    today_at(&Context::new(now, config)).timed()
}

/// [`today`] for a decision: the date now, the next local midnight only when
/// asked for.
#[inline]
pub fn today_at<'c>(cx: &'c PolicyContext<'_>) -> LazyTimed<NaiveDate, impl Until + 'c> {
    LazyTimed::new(local_now(cx).today, move || {
        next_date_change(cx.now, cx.config.timezone)
    })
}

/// Whole days from today (in the support time zone) to `date`: positive in
/// the future, zero today, negative in the past. For outcome details ("grace
/// ends in 3 days", "expired 2 days ago"); changes at every local midnight.
pub fn days_from_today(date: NaiveDate, now: DateTime<Utc>, config: &PolicyConfig) -> Timed<i64> {
    today(now, config).map(|today| date.signed_duration_since(today).num_days())
}

/// Whether `date` is a Saturday or a Sunday (spec 1, "Weekend").
pub fn is_weekend_date(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Whether `now` falls on a weekend in the support time zone (spec 1:
/// "Saturday or Sunday of `now` in the support time zone"). Holds until the
/// next Saturday 00:00 on a weekday, the next Monday 00:00 on a weekend.
pub fn is_weekend(now: DateTime<Utc>, config: &PolicyConfig) -> Timed<bool> {
    is_weekend_at(&Context::new(now, config)).timed()
}

/// [`is_weekend`] for a decision, its change instant computed only when
/// asked for.
#[inline]
pub fn is_weekend_at<'c>(cx: &'c PolicyContext<'_>) -> LazyTimed<bool, impl Until + 'c> {
    by_date(
        cx,
        |today| {
            let from_monday = i64::from(today.weekday().num_days_from_monday());
            // Each from today, so that Saturday and next Monday exist even
            // when this week's Monday lies before the start of the calendar.
            let shift = |days: i64| today.checked_add_signed(TimeDelta::days(days));
            [
                shift(-from_monday),
                shift(5 - from_monday),
                shift(7 - from_monday),
            ]
        },
        is_weekend_date,
    )
}

/// Whether `date` is a workday (spec 1, "Workday"): not a Saturday or Sunday
/// and not one of `company_holidays`.
pub fn is_workday(date: NaiveDate, config: &PolicyConfig) -> bool {
    !is_weekend_date(date) && !config.company_holidays.contains(&date)
}

/// The first workday on or after `date` (spec 3.8: weekends and
/// `company_holidays` roll forward to the next workday).
///
/// Always terminates: the holiday list is finite, so a workday comes within
/// `3 * holidays + 3` days. Saturates at [`NaiveDate::MAX`] if the calendar
/// ends first.
pub fn next_workday_on_or_after(date: NaiveDate, config: &PolicyConfig) -> NaiveDate {
    let mut day = date;
    while !is_workday(day, config) {
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    day
}

/// The date on which a provision failure is reviewed (spec 3.8, `review_on`):
/// the failure's date in the support time zone if it is a workday, else the
/// next workday (weekends and `company_holidays` roll forward).
pub fn review_on(occurred_at: DateTime<Utc>, config: &PolicyConfig) -> NaiveDate {
    next_workday_on_or_after(local_date(occurred_at, config.timezone), config)
}
