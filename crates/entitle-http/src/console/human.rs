//! Instants as people read them: in the support time zone, with the zone
//! named, and how far away.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

/// `Mon 23 Nov 2026 00:00 New York time`.
pub(crate) fn local(at: DateTime<Utc>, zone: Tz) -> String {
    format!(
        "{} {}",
        at.with_timezone(&zone).format("%a %-d %b %Y %H:%M"),
        zone_name(zone)
    )
}

/// `New York time` for `America/New_York`; `UTC` for UTC.
pub(crate) fn zone_name(zone: Tz) -> String {
    let name = zone.name();
    if matches!(name, "UTC" | "Etc/UTC" | "Etc/GMT" | "GMT") {
        return "UTC".to_owned();
    }
    let city = name.rsplit('/').next().unwrap_or(name).replace('_', " ");
    format!("{city} time")
}

/// `in 1 day 14 hours`, `3 hours ago`, `in 25 minutes`, `now`.
pub(crate) fn relative(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let delta = at.signed_duration_since(now);
    let words = span(delta.abs());
    if words.is_empty() {
        "now".to_owned()
    } else if delta > TimeDelta::zero() {
        format!("in {words}")
    } else {
        format!("{words} ago")
    }
}

/// The two largest units of `delta`: `1 day 14 hours`, `3 hours 5
/// minutes`, `40 minutes`; empty under a minute.
fn span(delta: TimeDelta) -> String {
    let minutes = delta.num_minutes();
    let (days, hours, minutes) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let unit = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let parts: Vec<String> = if days > 0 {
        let mut p = vec![unit(days, "day", "days")];
        if hours > 0 {
            p.push(unit(hours, "hour", "hours"));
        }
        p
    } else if hours > 0 {
        let mut p = vec![unit(hours, "hour", "hours")];
        if minutes > 0 {
            p.push(unit(minutes, "minute", "minutes"));
        }
        p
    } else if minutes > 0 {
        vec![unit(minutes, "minute", "minutes")]
    } else {
        Vec::new()
    };
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn stable_until_reads_as_the_issue_shows_it() {
        let zone: Tz = "America/New_York".parse().unwrap();
        let until = at("2026-11-23T05:00:00Z");
        assert_eq!(local(until, zone), "Mon 23 Nov 2026 00:00 New York time");
        assert_eq!(
            relative(at("2026-11-21T15:00:00Z"), until),
            "in 1 day 14 hours"
        );
        assert_eq!(
            relative(until, at("2026-11-21T15:00:00Z")),
            "1 day 14 hours ago"
        );
        assert_eq!(relative(until, until), "now");
        assert_eq!(zone_name(chrono_tz::UTC), "UTC");
    }
}
