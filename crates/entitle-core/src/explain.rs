//! Words for trace details and actions: durations, dates relative to `now`,
//! and the license dates a support engineer wants to see next to an answer
//! (the detail builders every policy shares).
//! Only called when a trace or details are built, never on the fast path.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};

use crate::domain::License;
use crate::policy::{Details, PolicyContext};
use crate::time::{self, LicenseState};

/// Writes a non-negative integer.
fn push_int(out: &mut String, n: i64) {
    // Least significant digit first; a `u64` has at most 20 digits.
    let mut digits = [0u8; 20];
    let mut len = 0;
    let mut rest = n.unsigned_abs();
    for slot in &mut digits {
        *slot = b'0' + (rest % 10) as u8;
        len += 1;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push('-');
    }
    for &d in digits.iter().take(len).rev() {
        out.push(char::from(d));
    }
}

/// Writes `n` as two digits (`n` < 100).
fn push_two(out: &mut String, n: u32) {
    out.push(char::from(b'0' + (n / 10 % 10) as u8));
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// Writes `date` as its `Display` (and `%Y-%m-%d`) does: `2026-11-21`;
/// years outside 0..=9999 with their sign.
pub fn push_date(out: &mut String, date: NaiveDate) {
    let year = date.year();
    if (0..=9999).contains(&year) {
        push_two(out, year as u32 / 100);
        push_two(out, year as u32 % 100);
        out.push('-');
        push_two(out, date.month());
        out.push('-');
        push_two(out, date.day());
    } else {
        use std::fmt::Write as _;
        let _ = write!(out, "{date}");
    }
}

/// Writes a non-negative duration in words (see [`duration`]).
fn push_duration(out: &mut String, delta: TimeDelta) {
    let secs = delta.num_seconds().max(0);
    let (hours, mins) = (secs / 3_600, (secs % 3_600) / 60);
    if secs < 60 {
        push_int(out, secs);
        out.push_str(" s");
    } else if hours == 0 {
        push_int(out, mins);
        out.push_str(" min");
    } else if hours < 48 {
        push_int(out, hours);
        out.push_str(" h");
        if mins != 0 {
            out.push(' ');
            push_int(out, mins);
            out.push_str(" min");
        }
    } else {
        push_int(out, secs / 86_400);
        out.push_str(" days");
    }
}

/// Writes `at` relative to `now` (see [`relative`]).
fn push_relative(out: &mut String, now: DateTime<Utc>, at: DateTime<Utc>) {
    let delta = at.signed_duration_since(now);
    if delta < TimeDelta::zero() {
        push_duration(out, -delta);
        out.push_str(" ago");
    } else {
        out.push_str("in ");
        push_duration(out, delta);
    }
}

/// Room for a typical detail, so it is written without growing.
const DETAIL_CAPACITY: usize = 128;

/// A non-negative duration in words: `45 s`, `20 min`, `30 h`, `23 h 59 min`,
/// `17 days`.
pub fn duration(delta: TimeDelta) -> String {
    let mut out = String::with_capacity(16);
    push_duration(&mut out, delta);
    out
}

/// `at` relative to `now`: `in 12 h`, `3 days ago`.
pub fn relative(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(24);
    push_relative(&mut out, now, at);
    out
}

/// Writes [`date_detail`].
fn push_date_detail(out: &mut String, what: &str, date: NaiveDate, cx: &PolicyContext<'_>) {
    let at = time::start_of(date, cx.config.timezone);
    let what = if at <= cx.now {
        match what {
            "starts" => "started",
            "expires" => "expired",
            "grace ends" => "grace ended",
            other => other,
        }
    } else {
        what
    };
    out.push_str(what);
    out.push(' ');
    push_date(out, date);
    out.push_str(", ");
    // Two days or more away, a date is counted in calendar days, as
    // `days_remaining` and `days_since` count it (an instant's distance,
    // floored, said a day less of a date later today than midnight).
    if at.signed_duration_since(cx.now).abs() < TimeDelta::hours(48) {
        push_relative(out, cx.now, at);
        return;
    }
    let days = date
        .signed_duration_since(time::today_at(cx).value())
        .num_days();
    if days < 0 {
        push_int(out, -days);
        out.push_str(" days ago");
    } else {
        out.push_str("in ");
        push_int(out, days);
        out.push_str(" days");
    }
}

/// `what` happens on `date` (`starts`, `expires`, `grace ends`), relative to
/// now, in the past tense once it has: `expires 2026-11-25, in 12 h`,
/// `expired 2026-11-10, 13 days ago`.
pub fn date_detail(what: &str, date: NaiveDate, cx: &PolicyContext<'_>) -> String {
    let mut out = String::with_capacity(DETAIL_CAPACITY);
    push_date_detail(&mut out, what, date, cx);
    out
}

/// Writes [`grace_detail`].
fn push_grace_detail(out: &mut String, license: &License, cx: &PolicyContext<'_>) {
    if license.trial {
        out.push_str("a trial has no grace period; ");
        push_date_detail(out, "expires", license.expires_on, cx);
    } else {
        push_date_detail(
            out,
            "grace ends",
            time::grace_ends_on(license, cx.config),
            cx,
        );
    }
}

/// The grace period's end relative to now: `grace ends 2026-12-01, in 7 days`.
pub fn grace_detail(license: &License, cx: &PolicyContext<'_>) -> String {
    let mut out = String::with_capacity(DETAIL_CAPACITY);
    push_grace_detail(&mut out, license, cx);
    out
}

/// The grace end and the emergency window: `grace ended 2026-11-20, 3 days
/// ago; the emergency window (3 days) runs through 2026-11-23`.
pub fn window_detail(license: &License, cx: &PolicyContext<'_>) -> String {
    let mut out = String::with_capacity(DETAIL_CAPACITY);
    push_grace_detail(&mut out, license, cx);
    out.push_str("; the emergency window (");
    push_int(&mut out, i64::from(cx.config.emergency_window_days));
    out.push_str(" days) runs through ");
    push_date(&mut out, time::emergency_window_ends_on(license, cx.config));
    out
}

/// The license's dates relative to now: `expired 2026-11-04, 17 days ago;
/// grace ended 2026-11-18, 3 days ago`.
pub fn license_detail(license: &License, cx: &PolicyContext<'_>) -> String {
    let mut out = String::with_capacity(DETAIL_CAPACITY);
    if time::start_of(license.starts_on, cx.config.timezone) > cx.now {
        push_date_detail(&mut out, "starts", license.starts_on, cx);
        out.push_str("; ");
    }
    push_date_detail(&mut out, "expires", license.expires_on, cx);
    out.push_str("; ");
    if license.trial {
        out.push_str("a trial has no grace period");
    } else {
        push_date_detail(
            &mut out,
            "grace ends",
            time::grace_ends_on(license, cx.config),
            cx,
        );
    }
    out
}

/// Today's weekday and date in the support time zone, and when the weekend
/// starts or ends: `today is Saturday 2026-11-21 in UTC; the weekend ends in 38 h`.
pub fn weekend_detail(cx: &PolicyContext<'_>) -> String {
    weekend_detail_of(cx, time::is_weekend_at(cx).timed())
}

/// [`weekend_detail`] from the answer the weekend question gave and when it
/// changes, so the rule is not asked again for its detail.
pub fn weekend_detail_of(cx: &PolicyContext<'_>, weekend: time::Timed<bool>) -> String {
    let today = time::local_now(cx).today;
    let mut out = String::with_capacity(DETAIL_CAPACITY);
    out.push_str("today is ");
    out.push_str(weekday_name(today.weekday()));
    out.push(' ');
    push_date(&mut out, today);
    out.push_str(" in ");
    out.push_str(cx.config.timezone.name());
    if let Some(at) = weekend.until {
        out.push_str(if weekend.value {
            "; the weekend ends "
        } else {
            "; the weekend starts "
        });
        push_relative(&mut out, cx.now, at);
    }
    out
}

/// The English name of a weekday, as `%A` writes it.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// The deadline of the "more than 24 h remaining" rule and the time left:
/// `paid license grace ends 2026-11-24, in 30 h; threshold 24 h`.
pub fn time_left(license: &License, cx: &PolicyContext<'_>) -> String {
    let deadline = time::deadline_at(license, cx).value();
    let passed = deadline <= cx.now;
    let mut out = String::with_capacity(DETAIL_CAPACITY);
    out.push_str(if license.trial {
        "trial license "
    } else {
        "paid license "
    });
    if deadline == time::start_of(license.expires_on, cx.config.timezone) {
        out.push_str(if passed { "expired " } else { "expires " });
        push_date(&mut out, license.expires_on);
    } else {
        out.push_str(if passed {
            "grace ended "
        } else {
            "grace ends "
        });
        push_date(&mut out, time::grace_ends_on(license, cx.config));
    }
    out.push_str(", ");
    push_relative(&mut out, cx.now, deadline);
    out.push_str("; threshold ");
    push_int(&mut out, i64::from(cx.config.escalation_threshold_hours));
    out.push_str(" h");
    out
}

/// `yes` or `no`.
pub fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// The dates of `license` and the day counts that matter in its state today,
/// as outcome data: `starts_on`, `expires_on`, `grace_ends_on` (paid licenses
/// only; a trial has no grace period), and
/// - not started: `days_remaining` until `starts_on`;
/// - active (paid or trial): `days_remaining` until `expires_on`;
/// - in grace: `days_since` `expires_on` and `days_remaining` until `grace_ends_on`;
/// - grace ended (recently or lapsed): `days_since` `grace_ends_on`;
/// - trial expired: `days_since` `expires_on`.
pub fn license_dates(license: &License, cx: &PolicyContext<'_>) -> Details {
    let today = time::today_at(cx).value();
    let grace_ends_on = time::grace_ends_on(license, cx.config);
    let days = |from: NaiveDate, to: NaiveDate| to.signed_duration_since(from).num_days();
    let (days_remaining, days_since) = match time::license_state_on(license, today, cx.config) {
        LicenseState::NotStarted => (Some(days(today, license.starts_on)), None),
        LicenseState::Active | LicenseState::TrialActive => {
            (Some(days(today, license.expires_on)), None)
        }
        LicenseState::InGracePeriod => (
            Some(days(today, grace_ends_on)),
            Some(days(license.expires_on, today)),
        ),
        LicenseState::GraceEndedRecently | LicenseState::Lapsed => {
            (None, Some(days(grace_ends_on, today)))
        }
        LicenseState::TrialExpired => (None, Some(days(license.expires_on, today))),
    };
    Details {
        starts_on: Some(license.starts_on),
        expires_on: Some(license.expires_on),
        grace_ends_on: (!license.trial).then_some(grace_ends_on),
        days_remaining,
        days_since,
        ..Details::default()
    }
}

#[cfg(test)]
mod tests {
    use super::push_int;

    #[test]
    fn integers_are_written_in_full() {
        for n in [0, 7, -7, 10, 1_234_567, i64::MAX, i64::MIN] {
            let mut out = String::new();
            push_int(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }
}
