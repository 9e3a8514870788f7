//! Deadlines and the hours a license has left.

use chrono::{DateTime, TimeDelta, Utc};

use crate::config::PolicyConfig;
use crate::domain::License;
use crate::graph::{Context, LazyTimed, Until};
use crate::policy::PolicyContext;

use super::*;

/// The deadline of `license` at `now` (spec 1): the start of `grace_ends_on`
/// once a paid license has expired (in grace, and also after grace ended, so
/// the deadline never moves backwards); otherwise the start of `expires_on`
/// (an active or not-started license, and any trial). Changes at most once:
/// at the start of `expires_on` for a paid license with a grace period.
pub fn deadline(
    license: &License,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<DateTime<Utc>> {
    deadline_at(license, &Context::new(now, config)).timed()
}

/// [`deadline`] for a decision, its change instant computed only when asked
/// for.
#[inline]
pub fn deadline_at<'c>(
    license: &'c License,
    cx: &'c PolicyContext<'_>,
) -> LazyTimed<DateTime<Utc>, impl Until + 'c> {
    let tz = cx.config.timezone;
    let today = local_now(cx).today;
    let at_grace_end = move || {
        grace_end(license, cx.config).map_or(DateTime::<Utc>::MAX_UTC, |end| start_of(end, tz))
    };
    let expired = !license.trial && today >= license.expires_on;
    // Once expired, the end of grace (the expiry itself without a grace period).
    let value = if expired {
        at_grace_end()
    } else {
        start_of(license.expires_on, tz)
    };
    LazyTimed::new(value, move || {
        let at_expiry = start_of(license.expires_on, tz);
        if license.trial || at_grace_end() == at_expiry {
            return None;
        }
        until_by_date(
            cx.now,
            tz,
            today,
            expired,
            &mut [Some(license.expires_on)],
            |today| today >= license.expires_on,
        )
    })
}

/// Time left until the [`deadline`] (negative once it has passed), for trace
/// details.
pub fn remaining(license: &License, now: DateTime<Utc>, config: &PolicyConfig) -> TimeDelta {
    deadline(license, now, config)
        .value
        .signed_duration_since(now)
}

/// Whether more than `escalation_threshold_hours` remain until the
/// [`deadline`] (spec 1: `deadline - now > escalation_threshold_hours`,
/// strictly: exactly 24 h is not more than 24 h).
///
/// `until` accounts for the deadline moving: a paid license that is active
/// with under 24 h left answers false, then true again at expiry when the
/// deadline becomes the end of grace (if the grace period is longer than the
/// threshold), and false again 24 h before the end of grace.
pub fn more_than_hours_remaining(
    license: &License,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<bool> {
    more_than_hours_remaining_at(license, &Context::new(now, config)).timed()
}

/// [`more_than_hours_remaining`] for a decision, its change instant computed
/// only when asked for.
#[inline]
pub fn more_than_hours_remaining_at<'c>(
    license: &'c License,
    cx: &'c PolicyContext<'_>,
) -> LazyTimed<bool, impl Until + 'c> {
    let config = cx.config;
    let threshold = TimeDelta::try_hours(i64::from(config.escalation_threshold_hours))
        .unwrap_or(TimeDelta::MAX);
    let above = move |deadline: DateTime<Utc>, at: DateTime<Utc>| {
        deadline.signed_duration_since(at) > threshold
    };
    let value = above(deadline_at(license, cx).value(), cx.now);
    LazyTimed::new(value, move || {
        let mut t = cx.now;
        for _ in 0..MAX_STEPS {
            let phase = deadline(license, t, config);
            if above(phase.value, t) != value {
                return Some(t);
            }
            // Within this phase the answer can only go from true to false, at
            // `deadline - threshold`.
            if value {
                if let Some(flip) = phase.value.checked_sub_signed(threshold) {
                    if phase.until.is_none_or(|end| flip < end) {
                        return Some(flip);
                    }
                }
            }
            match phase.until {
                Some(end) => t = end,
                None => return None,
            }
        }
        // Unreachable: the deadline changes at most twice.
        Some(t)
    })
}

/// The escalation deadline of `license` for `star-self-managed` (spec 1,
/// `star-self-managed` version 2): the start of `grace_ends_on` for a paid
/// license, whether it is still active or already in grace; the start of
/// `expires_on` for a trial (which has no grace period). It does not depend
/// on `now`. Saturates at the end of the calendar.
pub fn self_managed_deadline(license: &License, config: &PolicyConfig) -> DateTime<Utc> {
    // A trial's grace "ends" on `expires_on` (it has none).
    start_of(grace_ends_on(license, config), config.timezone)
}

/// Whether strictly more than `escalation_threshold_hours` remain until the
/// [`self_managed_deadline`] (spec 1: exactly 24 h is not more than 24 h), the
/// question `more-than-24h-remaining`.
///
/// The deadline is fixed, so the answer goes from true to false once, at
/// `deadline - threshold`, and never back: that instant is `until` while the
/// answer is true; a false answer holds forever.
pub fn self_managed_more_than_hours_remaining(
    license: &License,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<bool> {
    let threshold = TimeDelta::try_hours(i64::from(config.escalation_threshold_hours))
        .unwrap_or(TimeDelta::MAX);
    // `deadline - now > threshold` is `now < deadline - threshold`; when
    // `deadline - threshold` is before the calendar, no `now` is early enough.
    match self_managed_deadline(license, config).checked_sub_signed(threshold) {
        Some(last) if now < last => Timed::new(true, Some(last)),
        _ => Timed::forever(false),
    }
}
