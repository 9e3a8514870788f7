//! When a rule of the local date next changes its answer, found by walking
//! the local date's actual changes.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::graph::{LazyTimed, Until};
use crate::policy::PolicyContext;

use super::*;

/// An inclusive range of dates; `None` is unbounded on that side.
#[derive(Debug, Clone, Copy)]
pub(super) struct DateRange {
    pub(super) first: Option<NaiveDate>,
    pub(super) last: Option<NaiveDate>,
}

impl DateRange {
    fn contains(self, date: NaiveDate) -> bool {
        self.first.is_none_or(|first| first <= date) && self.last.is_none_or(|last| date <= last)
    }
}

/// The first instant strictly after `now` at which the local date in `tz`
/// leaves `range` (which holds the local date at `now`), or `None` if it never
/// does.
///
/// Walks the changes of the local date, except that it jumps straight to the
/// day before `range.last` when the date is at least two days past
/// `range.first`: a local date never steps back by more than one day, so the
/// range cannot be left in between.
pub(super) fn first_instant_outside(
    now: DateTime<Utc>,
    tz: Tz,
    range: DateRange,
) -> Option<DateTime<Utc>> {
    if let Some(offset) = fixed_offset(tz) {
        // The date only ever steps forward, one day at each midnight.
        return fixed_start_of(range.last?.succ_opt()?, offset);
    }
    let mut t = now;
    let mut jumped = false;
    for _ in 0..MAX_STEPS {
        let date = local_date(t, tz);
        let clear_of_first = range.first.is_none_or(|first| {
            first
                .checked_add_days(Days::new(2))
                .is_some_and(|safe| date >= safe)
        });
        if clear_of_first {
            // Past `first`, only reaching `last` can leave the range.
            let last = range.last?;
            if !jumped {
                if let Some(target) = last.pred_opt().filter(|target| date < *target) {
                    let jump = start_of(target, tz);
                    if jump > t {
                        jumped = true;
                        t = jump;
                        if !range.contains(local_date(jump, tz)) {
                            return Some(jump);
                        }
                        continue;
                    }
                }
            }
        }
        let change = next_date_change(t, tz)?;
        if !range.contains(local_date(change, tz)) {
            return Some(change);
        }
        t = change;
    }
    // Unreachable for the tz database; an early answer is the safe one.
    next_date_change(t, tz)
}

/// The first instant after `now` at which `rule`, a function of the local
/// date, stops answering `value` (its answer on `today`, the local date at
/// `now`): exact.
///
/// `breakpoints` must hold every date `d` at which `rule(d)` may differ from
/// `rule(d - 1)`; `None` entries (dates past the end of the calendar) are
/// ignored.
pub(super) fn until_by_date<T: Copy + PartialEq>(
    now: DateTime<Utc>,
    tz: Tz,
    today: NaiveDate,
    value: T,
    breakpoints: &mut [Option<NaiveDate>],
    rule: impl Fn(NaiveDate) -> T,
) -> Option<DateTime<Utc>> {
    breakpoints.sort_unstable();
    let dates = || breakpoints.iter().flatten().copied();
    // The value holds on [first, last], a run between breakpoints.
    let last = dates()
        .filter(|b| *b > today)
        .find(|b| rule(*b) != value)
        .and_then(|b| b.pred_opt());
    let first = dates()
        .rev()
        .filter(|b| *b <= today)
        .find(|b| b.pred_opt().is_some_and(|before| rule(before) != value));
    first_instant_outside(now, tz, DateRange { first, last })
}

/// Evaluates `rule` on today's local date (read from the decision's
/// [`LocalNow`]); its exact change instant is computed only when asked for.
///
/// `breakpoints` gives every date at which `rule` may change (see
/// [`until_by_date`]); it is only called for the change instant.
#[inline(always)]
pub(super) fn by_date<'c, T: Copy + PartialEq + 'c, const N: usize>(
    cx: &'c PolicyContext<'_>,
    breakpoints: impl FnOnce(NaiveDate) -> [Option<NaiveDate>; N] + 'c,
    rule: impl Fn(NaiveDate) -> T + 'c,
) -> LazyTimed<T, impl Until + 'c> {
    let today = local_now(cx).today;
    let value = rule(today);
    LazyTimed::new(value, move || {
        until_by_date(
            cx.now,
            cx.config.timezone,
            today,
            value,
            &mut breakpoints(today),
            rule,
        )
    })
}

/// `date + days`, or `None` past the end of the calendar.
pub(super) fn add_days(date: NaiveDate, days: u32) -> Option<NaiveDate> {
    date.checked_add_days(Days::new(u64::from(days)))
}
