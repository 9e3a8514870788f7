//! Dates and instants relative to a scenario's `now`: `"now - 17 days"`.
//!
//! A string value of the facts, of `expect.details` or `expect.sets`, or
//! `expect.stable_until`, that reads `now`, `now + N unit` or `now - N
//! unit` is replaced by the value it names before the scenario is checked.
//! The unit says what it is: `day(s)` and `week(s)` give a date
//! (`YYYY-MM-DD`, the UTC date of the instant so reached), `hour(s)`,
//! `minute(s)` and `second(s)` an RFC 3339 instant; `now` alone is the
//! instant itself. Any other string is left as it is.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

/// What a relative value resolves to, or why it cannot.
pub(crate) fn resolve(text: &str, now: DateTime<Utc>) -> Option<Result<String, String>> {
    let rest = text.strip_prefix("now")?;
    let rest = rest.trim_start();
    if rest.is_empty() {
        return Some(Ok(super::rfc3339(now)));
    }
    let (sign, rest) = match rest.as_bytes().first() {
        Some(b'+') => (1_i64, rest.get(1..).unwrap_or("")),
        Some(b'-') => (-1_i64, rest.get(1..).unwrap_or("")),
        // `nowhere`, `now and then`: not a relative value.
        _ => return None,
    };
    let bad = || {
        Err(crate::input::short_quotes(&format!(
            "`{text}` is not a relative date: expected `now - 17 days` (days or weeks give a date; hours, minutes or seconds an instant)"
        )))
    };
    let mut words = rest.split_whitespace();
    let (Some(count), Some(unit), None) = (words.next(), words.next(), words.next()) else {
        return Some(bad());
    };
    let Ok(count) = count.parse::<i64>() else {
        return Some(bad());
    };
    if !(0..=3_650_000).contains(&count) {
        return Some(Err(crate::input::short_quotes(&format!(
            "`{text}`: at most 3650000 units either side of now"
        ))));
    }
    let n = sign * count;
    let (delta, date) = match unit {
        "day" | "days" => (TimeDelta::try_days(n), true),
        "week" | "weeks" => (TimeDelta::try_weeks(n), true),
        "hour" | "hours" => (TimeDelta::try_hours(n), false),
        "minute" | "minutes" => (TimeDelta::try_minutes(n), false),
        "second" | "seconds" => (TimeDelta::try_seconds(n), false),
        _ => return Some(bad()),
    };
    let Some(at) = delta.and_then(|d| now.checked_add_signed(d)) else {
        return Some(Err(crate::input::short_quotes(&format!(
            "`{text}` is out of range"
        ))));
    };
    Some(Ok(if date {
        at.date_naive().format("%Y-%m-%d").to_string()
    } else {
        super::rfc3339(at)
    }))
}

/// Resolves every relative string in `value` in place; the error is the
/// path (below `value`) and the problem.
pub(crate) fn resolve_all(
    value: &mut Value,
    now: DateTime<Utc>,
    path: &str,
) -> Result<(), (String, String)> {
    match value {
        Value::String(s) => {
            if let Some(resolved) = resolve(s, now) {
                *s = resolved.map_err(|e| (path.to_owned(), e))?;
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                resolve_all(item, now, &format!("{path}[{i}]"))?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                resolve_all(item, now, &super::source::join(path, key))?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_say_date_or_instant() {
        let now = "2026-11-23T10:00:00Z".parse().unwrap();
        let r = |t: &str| resolve(t, now);
        assert_eq!(r("now - 17 days"), Some(Ok("2026-11-06".into())));
        assert_eq!(r("now + 1 week"), Some(Ok("2026-11-30".into())));
        assert_eq!(r("now-3 hours"), Some(Ok("2026-11-23T07:00:00Z".into())));
        assert_eq!(r("now"), Some(Ok("2026-11-23T10:00:00Z".into())));
        assert_eq!(r("nowhere"), None);
        assert_eq!(r("2026-11-06"), None);
        assert!(matches!(r("now - 17 fortnights"), Some(Err(_))));
        assert!(matches!(r("now - x days"), Some(Err(_))));
        assert!(matches!(r("now - 3650001 days"), Some(Err(_))));
    }
}
