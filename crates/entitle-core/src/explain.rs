//! Words for trace details and actions: durations, dates relative to `now`,
//! and the license dates a support engineer wants to see next to an answer.
//! Only called when a trace or details are built, never on the fast path.

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};

use crate::domain::License;
use crate::policy::PolicyContext;
use crate::time;

/// A non-negative duration in words: `45 s`, `20 min`, `30 h`, `23 h 59 min`,
/// `17 days`.
pub fn duration(delta: TimeDelta) -> String {
    let secs = delta.num_seconds().max(0);
    let (hours, mins) = (secs / 3_600, (secs % 3_600) / 60);
    if secs < 60 {
        format!("{secs} s")
    } else if hours == 0 {
        format!("{mins} min")
    } else if hours < 48 {
        match mins {
            0 => format!("{hours} h"),
            m => format!("{hours} h {m} min"),
        }
    } else {
        format!("{} days", secs / 86_400)
    }
}

/// `at` relative to `now`: `in 12 h`, `3 days ago`.
pub fn relative(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let delta = at.signed_duration_since(now);
    if delta < TimeDelta::zero() {
        format!("{} ago", duration(-delta))
    } else {
        format!("in {}", duration(delta))
    }
}

/// `what` happens on `date` (`starts`, `expires`, `grace ends`), relative to
/// now, in the past tense once it has: `expires 2026-11-25, in 12 h`,
/// `expired 2026-11-10, 13 days ago`.
pub fn date_detail(what: &str, date: NaiveDate, cx: &PolicyContext<'_>) -> String {
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
    format!("{what} {date}, {}", relative(cx.now, at))
}

/// The grace period's end relative to now: `grace ends 2026-12-01, in 7 days`.
pub fn grace_detail(license: &License, cx: &PolicyContext<'_>) -> String {
    if license.trial {
        return format!(
            "a trial has no grace period; {}",
            date_detail("expires", license.expires_on, cx)
        );
    }
    date_detail("grace ends", time::grace_ends_on(license, cx.config), cx)
}

/// The grace end and the emergency window: `grace ended 2026-11-20, 3 days
/// ago; the emergency window (3 days) runs through 2026-11-23`.
pub fn window_detail(license: &License, cx: &PolicyContext<'_>) -> String {
    format!(
        "{}; the emergency window ({} days) runs through {}",
        grace_detail(license, cx),
        cx.config.emergency_window_days,
        time::emergency_window_ends_on(license, cx.config)
    )
}

/// The license's dates relative to now: `expired 2026-11-04, 17 days ago;
/// grace ended 2026-11-18, 3 days ago`.
pub fn license_detail(license: &License, cx: &PolicyContext<'_>) -> String {
    let mut parts = Vec::with_capacity(3);
    if time::start_of(license.starts_on, cx.config.timezone) > cx.now {
        parts.push(date_detail("starts", license.starts_on, cx));
    }
    parts.push(date_detail("expires", license.expires_on, cx));
    if license.trial {
        parts.push("a trial has no grace period".to_owned());
    } else {
        parts.push(date_detail(
            "grace ends",
            time::grace_ends_on(license, cx.config),
            cx,
        ));
    }
    parts.join("; ")
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
    let change = match weekend.until {
        Some(at) => {
            let what = if weekend.value {
                "the weekend ends"
            } else {
                "the weekend starts"
            };
            format!("; {what} {}", relative(cx.now, at))
        }
        None => String::new(),
    };
    format!(
        "today is {} {today} in {}{change}",
        weekday_name(today.weekday()),
        cx.config.timezone
    )
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
    let kind = if license.trial { "trial" } else { "paid" };
    let what = match (
        deadline == time::start_of(license.expires_on, cx.config.timezone),
        passed,
    ) {
        (true, false) => format!("expires {}", license.expires_on),
        (true, true) => format!("expired {}", license.expires_on),
        (false, false) => format!("grace ends {}", time::grace_ends_on(license, cx.config)),
        (false, true) => format!("grace ended {}", time::grace_ends_on(license, cx.config)),
    };
    format!(
        "{kind} license {what}, {}; threshold {} h",
        relative(cx.now, deadline),
        cx.config.escalation_threshold_hours
    )
}

/// `yes` or `no`.
pub fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}
