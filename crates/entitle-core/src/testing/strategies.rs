//! proptest strategies: dates, instants, configurations, and any policy's
//! facts from the JSON Schema of its facts type.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::config::{PolicyConfig, TEMPORARY_LICENSE_HARD_CAP_DAYS};
use crate::policy::Registered;
use crate::schedule::{Assignments, Engineer};

/// The day generated dates and instants gather around (Monday 2026-11-23).
pub const BASE_DAY: (i32, u32, u32) = (2026, 11, 23);

pub(super) fn base_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(BASE_DAY.0, BASE_DAY.1, BASE_DAY.2).unwrap_or_default()
}

/// Days from [`BASE_DAY`]: mostly within three weeks, often where a
/// license's grace period ends near it (expired 12 to 18 days before),
/// sometimes a year away.
pub(super) fn day_offset() -> impl Strategy<Value = i64> {
    prop_oneof![3 => -21i64..=21, 2 => -18i64..=-12, 1 => -400i64..=400]
}

/// A date near [`BASE_DAY`].
pub fn date() -> impl Strategy<Value = NaiveDate> {
    day_offset().prop_map(|d| {
        base_day()
            .checked_add_signed(TimeDelta::days(d))
            .unwrap_or_else(base_day)
    })
}

/// An instant near [`BASE_DAY`] (mostly within three days of it, which
/// spans a weekend; any second of the day).
pub fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    let day = prop_oneof![3 => -3i64..=3, 1 => day_offset()].prop_map(|d| {
        base_day()
            .checked_add_signed(TimeDelta::days(d))
            .unwrap_or_else(base_day)
    });
    (day, 0u32..86_400).prop_map(|(d, s)| {
        d.and_hms_opt(s / 3600, (s / 60) % 60, s % 60)
            .unwrap_or_default()
            .and_utc()
    })
}

/// Time zones a support team might use, from UTC-11 to UTC+14.
pub const TIMEZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "Asia/Kolkata",
];

/// A valid [`PolicyConfig`]: any of [`TIMEZONES`], grace 0-60 days, window
/// 0-10 days, threshold 1-72 hours, temporary licenses within the cap, up to
/// five holidays near [`BASE_DAY`], and half the time a monitoring schedule
/// assigning some of the workdays within three weeks of it to one of three
/// engineers.
pub fn policy_config() -> impl Strategy<Value = PolicyConfig> {
    (
        prop::sample::select(TIMEZONES),
        0u32..=60,
        0u32..=10,
        1u32..=72,
        (1u32..=TEMPORARY_LICENSE_HARD_CAP_DAYS).prop_flat_map(|max| (1u32..=max, Just(max))),
        prop::collection::vec(date(), 0..5),
        prop::option::of(prop::collection::vec((-21i64..=21, 0usize..3), 0..30)),
    )
        .prop_map(
            |(tz, grace, window, hours, (days, max_days), holidays, schedule)| {
                let mut config = PolicyConfig {
                    timezone: tz.parse().unwrap_or(chrono_tz::Tz::UTC),
                    grace_period_days: grace,
                    emergency_window_days: window,
                    escalation_threshold_hours: hours,
                    temporary_license_days: days,
                    temporary_license_max_days: max_days,
                    company_holidays: holidays,
                    monitoring_schedule: None,
                };
                config.monitoring_schedule = schedule.map(|entries| {
                    entries
                        .into_iter()
                        .filter_map(|(offset, engineer)| {
                            let day = base_day().checked_add_signed(TimeDelta::days(offset))?;
                            let name = ["alice", "bob", "carol"].get(engineer)?;
                            crate::time::is_workday(day, &config)
                                .then(|| Engineer::new(*name).ok().map(|e| (day, e)))
                                .flatten()
                        })
                        .collect::<Assignments>()
                });
                config
            },
        )
}

/// Facts of policy `P`, generated from the JSON Schema of its facts type and
/// kept when they parse.
pub fn facts<P: Registered>() -> impl Strategy<Value = P::Facts> {
    let schema = schemars::schema_for!(P::Facts).to_value();
    json_for(&schema, &schema, "", 0).prop_filter_map("facts the policy refuses", |value| {
        serde_json::from_value::<P::Facts>(value).ok()
    })
}

/// A JSON value matching `schema` (resolving `$ref` against `root`); `name`
/// is the property's name, a hint for untyped strings.
pub(super) fn json_for(
    schema: &Value,
    root: &Value,
    name: &str,
    depth: usize,
) -> BoxedStrategy<Value> {
    if depth > 16 {
        return Just(Value::Null).boxed();
    }
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference
            .strip_prefix("#/")
            .and_then(|path| path.split('/').try_fold(root, |at, key| at.get(key)));
        return match target {
            Some(target) => json_for(target, root, name, depth + 1),
            None => Just(Value::Null).boxed(),
        };
    }
    if let Some(value) = schema.get("const") {
        return Just(value.clone()).boxed();
    }
    if let Some(Value::Array(values)) = schema.get("enum") {
        if !values.is_empty() {
            return prop::sample::select(values.clone()).boxed();
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(options)) = schema.get(key) {
            let options: Vec<BoxedStrategy<Value>> = options
                .iter()
                .map(|o| json_for(o, root, name, depth + 1))
                .collect();
            if !options.is_empty() {
                return prop::strategy::Union::new(options).boxed();
            }
        }
    }
    match schema.get("type") {
        Some(Value::Array(types)) => {
            let options: Vec<BoxedStrategy<Value>> = types
                .iter()
                .filter_map(Value::as_str)
                .map(|t| typed(t, schema, root, name, depth))
                .collect();
            if options.is_empty() {
                Just(Value::Null).boxed()
            } else {
                prop::strategy::Union::new(options).boxed()
            }
        }
        Some(Value::String(t)) => typed(t, schema, root, name, depth),
        _ => Just(Value::Null).boxed(),
    }
}

pub(super) fn typed(
    t: &str,
    schema: &Value,
    root: &Value,
    name: &str,
    depth: usize,
) -> BoxedStrategy<Value> {
    match t {
        "null" => Just(Value::Null).boxed(),
        "boolean" => any::<bool>().prop_map(Value::Bool).boxed(),
        "integer" => {
            let lo = schema.get("minimum").and_then(Value::as_i64).unwrap_or(-30);
            let hi = schema
                .get("maximum")
                .and_then(Value::as_i64)
                .unwrap_or(i64::MAX)
                .min(lo.saturating_add(300));
            // Mostly small, so that counts compared with each other match.
            let hi = hi.max(lo);
            prop_oneof![3 => lo..=hi.min(lo.saturating_add(3)), 1 => lo..=hi]
                .prop_map(Value::from)
                .boxed()
        }
        "number" => (0.0f64..1000.0).prop_map(Value::from).boxed(),
        "string" => string(schema, name),
        "array" => {
            let items = schema.get("items").map_or_else(
                || Just(Value::Null).boxed(),
                |i| json_for(i, root, name, depth + 1),
            );
            prop::collection::vec(items, 0..4)
                .prop_map(Value::Array)
                .boxed()
        }
        "object" => {
            let properties: Vec<(String, BoxedStrategy<Value>)> = schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|props| {
                    props
                        .iter()
                        .map(|(k, s)| (k.clone(), json_for(s, root, k, depth + 1)))
                        .collect()
                })
                .unwrap_or_default();
            let keys: Vec<String> = properties.iter().map(|(k, _)| k.clone()).collect();
            let values: Vec<BoxedStrategy<Value>> =
                properties.into_iter().map(|(_, s)| s).collect();
            values
                .prop_map(move |values| {
                    Value::Object(keys.iter().cloned().zip(values).collect::<Map<_, _>>())
                })
                .boxed()
        }
        _ => Just(Value::Null).boxed(),
    }
}

pub(super) fn string(schema: &Value, name: &str) -> BoxedStrategy<Value> {
    let format = schema.get("format").and_then(Value::as_str).unwrap_or("");
    let pick = |values: &[&str]| {
        let values: Vec<Value> = values.iter().map(|v| Value::from(*v)).collect();
        prop::sample::select(values).boxed()
    };
    if format == "date" {
        return date().prop_map(|d| Value::from(d.to_string())).boxed();
    }
    if format == "date-time" {
        return instant()
            .prop_map(|t| Value::from(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
            .boxed();
    }
    if format == "email" || name.contains("email") {
        return pick(&[
            "it-admin@acme.example",
            "ops@example.com",
            "Jo.Doe@Example.ORG",
        ]);
    }
    if format == "uri" || name.contains("url") {
        return pick(&[
            "https://support.example.com/tickets/4711",
            "https://support.example.com/tickets/1",
        ]);
    }
    pick(&["A-S00012345", "acme", "cloud-license-activation", "x"])
}
