//! Seat Link reports.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::PolicyConfig;
use crate::graph::{Context, LazyTimed, Until};
use crate::policy::PolicyContext;

use super::*;

/// Whether a Seat Link report is dated today in the support time zone (spec
/// 3.3 step 5: "a Seat Link report dated today"). Holds until the local date
/// reaches a day whose answer differs (e.g. midnight, unless tomorrow also has
/// a report).
pub fn has_report_on_today(
    dates: &[NaiveDate],
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<bool> {
    has_report_on_today_at(dates, &Context::new(now, config)).timed()
}

/// [`has_report_on_today`] for a decision, its change instant computed only
/// when asked for.
#[inline]
pub fn has_report_on_today_at<'c>(
    dates: &'c [NaiveDate],
    cx: &'c PolicyContext<'_>,
) -> LazyTimed<bool, impl Until + 'c> {
    let today = local_now(cx).today;
    let value = dates.contains(&today);
    LazyTimed::new(value, move || {
        let range = if value {
            // The run of consecutive report dates around today.
            let mut first = today;
            while let Some(before) = first.pred_opt().filter(|d| dates.contains(d)) {
                first = before;
            }
            let mut last = today;
            while let Some(after) = last.succ_opt().filter(|d| dates.contains(d)) {
                last = after;
            }
            DateRange {
                first: Some(first),
                last: Some(last),
            }
        } else {
            // The gap between the report dates around today.
            let before = dates.iter().filter(|d| **d < today).max();
            let after = dates.iter().filter(|d| **d > today).min();
            DateRange {
                first: before.and_then(|d| d.succ_opt()),
                last: after.and_then(|d| d.pred_opt()),
            }
        };
        first_instant_outside(cx.now, cx.config.timezone, range)
    })
}
