//! Instants, dates and configurations

use crate::*;
use entitle::schedule::{Assignments, Engineer};

pub(crate) fn instant_at(secs: i64, nanos: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, nanos).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

pub(crate) fn date_from_days(days: i64) -> NaiveDate {
    let days = days.clamp(
        i64::from(NaiveDate::MIN.num_days_from_ce()),
        i64::from(NaiveDate::MAX.num_days_from_ce()),
    );
    i32::try_from(days)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .unwrap_or(NaiveDate::MIN)
}

pub(crate) fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    date_from_days(i64::from(date.num_days_from_ce()).saturating_add(days))
}

/// A date for a plain (schema-valid, `YYYY-MM-DD`) document: years 1-9999.
pub(crate) fn plain_date(rng: &mut Rng, today: NaiveDate) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
    let date = match rng.below(10) {
        0..=6 => add_days(today, rng.range(-45, 45)),
        7 | 8 => add_days(today, rng.range(-800, 800)),
        _ => date_from_days(rng.range(
            i64::from(first.num_days_from_ce()),
            i64::from(last.num_days_from_ce()),
        )),
    };
    date.clamp(first, last)
}

/// Any date chrono can hold, often at the ends of the calendar.
pub(crate) fn extreme_date(rng: &mut Rng, today: NaiveDate) -> NaiveDate {
    match rng.below(4) {
        0 => add_days(NaiveDate::MIN, rng.range(0, 40)),
        1 => add_days(NaiveDate::MAX, -rng.range(0, 40)),
        2 => date_from_days(rng.next() as i64),
        _ => plain_date(rng, today),
    }
}

/// An instant: near local midnight of a date in `tz` (where the calendar
/// rules change), anywhere in 1900-2200, or anywhere `DateTime<Utc>` holds.
pub(crate) fn arb_now(rng: &mut Rng, tz: Tz) -> DateTime<Utc> {
    let nanos = if rng.one_in(4) {
        rng.below(1_000_000_000) as u32
    } else {
        0
    };
    match rng.below(10) {
        0..=5 => {
            let date = add_days(
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or(NaiveDate::MIN),
                rng.range(-4000, 4000),
            );
            let start = entitle::time::start_of(date, tz);
            let offset = match rng.below(4) {
                0 => 0,
                1 => rng.range(-2, 2),
                2 => rng.range(-3 * 3600, 3 * 3600),
                _ => rng.range(0, 86_399),
            };
            start
                .checked_add_signed(TimeDelta::seconds(offset))
                .unwrap_or(start)
                .with_nanosecond_or_self(nanos)
        }
        6..=8 => instant_at(rng.range(-2_208_988_800, 7_258_118_400), nanos),
        _ => {
            let (min, max) = (
                DateTime::<Utc>::MIN_UTC.timestamp(),
                DateTime::<Utc>::MAX_UTC.timestamp(),
            );
            match rng.below(3) {
                0 => instant_at(min + rng.range(0, 10 * 86_400), nanos),
                1 => instant_at(max - rng.range(0, 10 * 86_400), nanos),
                _ => instant_at(rng.range(min, max), nanos),
            }
        }
    }
}

pub(crate) trait WithNanos {
    fn with_nanosecond_or_self(self, nanos: u32) -> Self;
}

impl WithNanos for DateTime<Utc> {
    fn with_nanosecond_or_self(self, nanos: u32) -> Self {
        chrono::Timelike::with_nanosecond(&self, nanos).unwrap_or(self)
    }
}

pub(crate) fn arb_zone(rng: &mut Rng) -> Tz {
    // Half the time one of the zones with odd calendars.
    const ODD: &[Tz] = &[
        Tz::Pacific__Apia,
        Tz::Pacific__Kiritimati,
        Tz::America__St_Johns,
        Tz::Australia__Lord_Howe,
        Tz::Asia__Kathmandu,
        Tz::America__Havana,
        Tz::Pacific__Kwajalein,
        Tz::Antarctica__Troll,
        Tz::Africa__Casablanca,
        Tz::America__Santiago,
        Tz::Asia__Tehran,
        Tz::UTC,
    ];
    if rng.bool() {
        *rng.pick(ODD)
    } else {
        *rng.pick(&TZ_VARIANTS)
    }
}

/// A configuration: valid in nine cases out of ten, with values at 0, at
/// their documented maximum or typical; else one value past its bound
/// (invalid configurations must be refused, typed).
pub(crate) fn arb_config(rng: &mut Rng, tz: Tz, today: NaiveDate) -> PolicyConfig {
    let valid = |rng: &mut Rng, typical: u32, max: u32| match rng.below(6) {
        0 => 0,
        1 => max,
        2 => rng.below(u64::from(max) + 1) as u32,
        _ => typical,
    };
    let max_days = rng.range(1, i64::from(TEMPORARY_LICENSE_HARD_CAP_DAYS)) as u32;
    let holidays = (0..rng.below(6)).map(|_| plain_date(rng, today)).collect();
    let mut config = PolicyConfig {
        timezone: tz,
        grace_period_days: valid(rng, 14, MAX_GRACE_PERIOD_DAYS),
        emergency_window_days: valid(rng, 3, MAX_EMERGENCY_WINDOW_DAYS),
        escalation_threshold_hours: valid(rng, 24, MAX_ESCALATION_THRESHOLD_HOURS),
        temporary_license_days: rng.range(1, i64::from(max_days)) as u32,
        temporary_license_max_days: max_days,
        company_holidays: holidays,
        monitoring_schedule: None,
    };
    if rng.one_in(3) {
        // Some days to two engineers; a day that is not a workday makes the
        // configuration invalid, which must be refused, typed.
        let names = ["alice", "bob"];
        let days = (0..rng.below(8))
            .filter_map(|_| {
                let name = names.get(rng.below(2) as usize)?;
                Some((plain_date(rng, today), Engineer::new(*name).ok()?))
            })
            .collect::<Assignments>();
        config.monitoring_schedule = Some(days);
    }
    if rng.one_in(10) {
        let past = |rng: &mut Rng, max: u32| {
            if rng.bool() {
                max.saturating_add(1)
            } else {
                u32::MAX - rng.below(3) as u32
            }
        };
        match rng.below(6) {
            0 => config.grace_period_days = past(rng, MAX_GRACE_PERIOD_DAYS),
            1 => config.emergency_window_days = past(rng, MAX_EMERGENCY_WINDOW_DAYS),
            2 => config.escalation_threshold_hours = past(rng, MAX_ESCALATION_THRESHOLD_HOURS),
            3 => config.temporary_license_days = 0,
            4 => config.temporary_license_days = config.temporary_license_max_days + 1,
            _ => config.temporary_license_max_days = past(rng, TEMPORARY_LICENSE_HARD_CAP_DAYS),
        }
    }
    config
}

/// A policy example nudged, staying well typed: every date moved by up to
/// three days, every instant by up to three days, a boolean flipped now and
/// then, a count set to 0, 1 or its maximum. Keeps the cases near every path.
pub(crate) fn nudge(rng: &mut Rng, value: &mut Value) {
    match value {
        Value::String(s) => {
            if let Ok(date) = s.parse::<NaiveDate>() {
                if rng.bool() {
                    *s = add_days(date, rng.range(-3, 3)).to_string();
                }
            } else if let Ok(at) = DateTime::parse_from_rfc3339(s) {
                let moved = at
                    .checked_add_signed(TimeDelta::seconds(rng.range(-3 * 86_400, 3 * 86_400)))
                    .unwrap_or(at);
                *s = moved.to_rfc3339();
            }
        }
        Value::Bool(b) if rng.one_in(6) => *b = !*b,
        Value::Number(n) if n.is_u64() && rng.one_in(4) => {
            *value = json!(*rng.pick(&[0u64, 1, 2, u64::from(u32::MAX)]));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| nudge(rng, v)),
        Value::Object(map) => map.values_mut().for_each(|v| nudge(rng, v)),
        _ => {}
    }
}
