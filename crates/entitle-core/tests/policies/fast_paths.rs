//! The fast paths agree with the reference paths: `decide` (threaded, time
//! rules asked for their answer alone, one wall-clock lookup per decision)
//! with `decide_walk` (the table walk) and with `evaluate` (every rule asked
//! for its answer and change instant), for every policy, over random facts
//! and instants in time zones with half-hour offsets and skipped or repeated
//! midnights; and the time-zone fast paths (fixed zones without chrono-tz,
//! dates from the offset) with chrono-tz itself.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use entitle_core::config::PolicyConfig;
use entitle_core::domain::{Customer, CustomerStatus, License, Plan};
use entitle_core::explain;
use entitle_core::graph::Context;
use entitle_core::policies::{
    EmergencyScreenshots, LicenseStatus, LicenseStatusFacts, WeekendEmergency,
    WeekendEmergencyFacts,
};
use entitle_core::policy::{PolicyGraph, PolicyVisitor, Registered};
use entitle_core::time;
use proptest::prelude::*;

/// UTC and a fixed zone (no chrono-tz), DST zones, half-hour offsets
/// (Kolkata, Adelaide, St. John's), skipped midnights (Santiago), repeated
/// midnights (Havana), a skipped date (Apia).
const ZONES: &[&str] = &[
    "UTC",
    "Etc/GMT+5",
    "Etc/GMT-14",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "America/St_Johns",
    "America/Santiago",
    "America/Havana",
    "Pacific/Apia",
    "Europe/Berlin",
];

fn zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(ZONES).prop_map(|name| name.parse::<Tz>().unwrap())
}

fn any_zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec())
}

/// An instant between 1900 and 2100, whole seconds or not.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (
        -2_208_988_800i64..4_102_444_800,
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
    )
        .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap())
}

/// An instant at or right around a local midnight or a DST transition is
/// where fast paths go wrong: half the instants are picked there.
fn tricky_instant(tz: Tz) -> impl Strategy<Value = DateTime<Utc>> {
    prop_oneof![
        instant(),
        (instant(), -3_600i64..3_600).prop_map(move |(t, shift)| {
            let midnight = time::start_of(time::local_date(t, tz), tz);
            midnight + TimeDelta::seconds(shift)
        }),
    ]
}

fn config(tz: Tz, grace: u32, window: u32) -> PolicyConfig {
    PolicyConfig {
        timezone: tz,
        grace_period_days: grace,
        emergency_window_days: window,
        ..PolicyConfig::default()
    }
}

/// A license whose dates lie within a few weeks of `now`.
fn license(now: DateTime<Utc>, trial: bool, start: i64, length: i64) -> License {
    let starts_on = now.date_naive() + TimeDelta::days(start);
    License {
        plan: Plan::Premium,
        trial,
        starts_on,
        expires_on: starts_on + TimeDelta::days(length),
        users: 5,
    }
}

/// `decide`, `decide_walk` and `evaluate` reach the same outcome, and
/// `evaluate` is deterministic (same trace, details and `stable_until`).
fn agree<F, O: PartialEq + std::fmt::Debug>(
    graph: &PolicyGraph<F, O>,
    facts: &F,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Result<(), TestCaseError> {
    let fresh = || Context::new(now, config);
    let decided = graph.decide(facts, &fresh()).unwrap();
    let walked = graph.decide_walk(facts, &fresh()).unwrap();
    let evaluated = graph.evaluate(facts, &fresh()).unwrap();
    prop_assert_eq!(decided, walked);
    prop_assert_eq!(decided, evaluated.outcome);
    // A context that served `decide` first gives the same explanation.
    let shared = fresh();
    graph.decide(facts, &shared).unwrap();
    prop_assert_eq!(graph.evaluate(facts, &shared).unwrap(), evaluated);
    Ok(())
}

/// Every policy's worked examples at other instants and in other zones.
struct AtOtherTimes {
    now: DateTime<Utc>,
    config: PolicyConfig,
}

impl PolicyVisitor for AtOtherTimes {
    type Output = Result<(), TestCaseError>;
    fn visit<P: Registered>(self) -> Self::Output {
        let graph = P::graph().unwrap();
        for example in entitle::scenario::examples::<P>().unwrap() {
            for now in [example.now, self.now] {
                agree(graph, &example.facts, now, &self.config)?;
            }
        }
        Ok(())
    }
}

/// The weekend detail as it was written before: with a strftime pattern.
fn weekend_detail_by_strftime(now: DateTime<Utc>, config: &PolicyConfig) -> String {
    let weekend = time::is_weekend(now, config);
    let today = time::today(now, config).value;
    let change = match weekend.until {
        Some(at) => {
            let what = if weekend.value {
                "the weekend ends"
            } else {
                "the weekend starts"
            };
            format!("; {what} {}", explain::relative(now, at))
        }
        None => String::new(),
    };
    format!(
        "today is {} in {}{change}",
        today.format("%A %Y-%m-%d"),
        config.timezone
    )
}

/// The start of `date` as chrono-tz gives it, where it has a single answer
/// or two (the earlier one); `None` where local midnight does not exist.
fn start_by_chrono_tz(date: NaiveDate, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&date.and_time(NaiveTime::MIN)) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.with_timezone(&Utc).min(b.with_timezone(&Utc))),
        LocalResult::None => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The local date (fixed zones without chrono-tz, every zone from its
    /// offset by arithmetic) is chrono-tz's, in every zone.
    #[test]
    fn local_dates_are_chrono_tz_dates(tz in any_zone(), now in instant()) {
        let expected = now.with_timezone(&tz).date_naive();
        prop_assert_eq!(time::local_date(now, tz), expected);
        prop_assert_eq!(time::LocalNow::of(now, tz).today, expected);
        let config = config(tz, 14, 3);
        prop_assert_eq!(time::local_now(&Context::new(now, &config)).today, expected);
        prop_assert_eq!(time::today(now, &config).value, expected);
    }

    /// A date starts where chrono-tz says (where it has an answer), in every
    /// zone, including the fixed ones that skip chrono-tz.
    #[test]
    fn dates_start_where_chrono_tz_says(tz in any_zone(), now in instant()) {
        let date = now.with_timezone(&tz).date_naive();
        if let Some(expected) = start_by_chrono_tz(date, tz) {
            prop_assert_eq!(time::start_of(date, tz), expected);
        }
    }

    /// The weekend detail, hand-formatted from the answer the question gave,
    /// is the text the strftime version wrote.
    #[test]
    fn the_weekend_detail_is_unchanged(tz in zone(), now in instant()) {
        let config = config(tz, 14, 3);
        let cx = Context::new(now, &config);
        prop_assert_eq!(explain::weekend_detail(&cx), weekend_detail_by_strftime(now, &config));
    }

    /// Every time rule asked for its answer alone answers as when asked for
    /// its change instant too, and as its eager form.
    #[test]
    fn answers_alone_are_the_answers_of_the_full_rules(
        tz in zone(),
        now in instant(),
        trial in any::<bool>(),
        start in -45i64..10,
        length in 0i64..60,
        grace in 0u32..30,
        window in 0u32..8,
    ) {
        let config = config(tz, grace, window);
        let license = license(now, trial, start, length);
        let cx = Context::new(now, &config);
        let l = &license;
        prop_assert_eq!(time::is_weekend_at(&cx).value(), time::is_weekend(now, &config).value);
        prop_assert_eq!(time::is_weekend_at(&cx).timed(), time::is_weekend(now, &config));
        prop_assert_eq!(time::has_started_at(l, &cx).timed(), time::has_started(l, now, &config));
        prop_assert_eq!(time::is_expired_at(l, &cx).value(), time::is_expired(l, now, &config).value);
        prop_assert_eq!(time::license_state_at(l, &cx).value(), time::license_state(l, now, &config).value);
        prop_assert_eq!(
            time::is_active_or_in_grace_at(l, &cx).value(),
            time::is_active_or_in_grace(l, now, &config).value
        );
        prop_assert_eq!(
            time::grace_ended_within_window_at(l, &cx).value(),
            time::grace_ended_within_window(l, now, &config).value
        );
        prop_assert_eq!(
            time::grace_ended_outside_window_at(l, &cx).value(),
            time::grace_ended_outside_window(l, now, &config).value
        );
        prop_assert_eq!(time::deadline_at(l, &cx).value(), time::deadline(l, now, &config).value);
        prop_assert_eq!(
            time::more_than_hours_remaining_at(l, &cx).value(),
            time::more_than_hours_remaining(l, now, &config).value
        );
    }

    /// The license rules, each written as the shortest test of the dates,
    /// answer as the license's state says (spec 1 and 3.1).
    #[test]
    fn license_rules_follow_the_license_state(
        tz in zone(),
        now in instant(),
        trial in any::<bool>(),
        start in -45i64..10,
        length in 0i64..60,
        grace in 0u32..30,
        window in 0u32..8,
    ) {
        use entitle_core::time::LicenseState::*;
        let config = config(tz, grace, window);
        let l = &license(now, trial, start, length);
        let state = time::license_state(l, now, &config).value;
        prop_assert_eq!(state, time::license_state_on(l, time::local_date(now, tz), &config));
        prop_assert_eq!(time::has_started(l, now, &config).value, state != NotStarted);
        prop_assert_eq!(
            time::is_expired(l, now, &config).value,
            matches!(state, InGracePeriod | GraceEndedRecently | Lapsed | TrialExpired)
        );
        prop_assert_eq!(time::is_in_grace_period(l, now, &config).value, state == InGracePeriod);
        prop_assert_eq!(
            time::is_active_or_in_grace(l, now, &config).value,
            matches!(state, NotStarted | Active | InGracePeriod | TrialActive)
        );
    }

    /// A fixed zone (which skips chrono-tz, and whose dates are followed by
    /// arithmetic) answers, change instants included, as a chrono-tz zone
    /// that kept the same offset all along (Abidjan: UTC since 1912; Dubai:
    /// +04 since 1920), which goes through the general walk.
    #[test]
    fn fixed_zones_agree_with_the_general_walk(
        pair in prop::sample::select(vec![("UTC", "Africa/Abidjan"), ("Etc/GMT-4", "Asia/Dubai")]),
        secs in -1_262_304_000i64..4_102_444_800,
        trial in any::<bool>(),
        start in -45i64..10,
        length in 0i64..60,
        grace in 0u32..30,
        window in 0u32..8,
        report_days in prop::collection::vec(-5i64..5, 0..4),
    ) {
        let now = DateTime::from_timestamp(secs, 0).unwrap();
        let fixed = config(pair.0.parse().unwrap(), grace, window);
        let walked = config(pair.1.parse().unwrap(), grace, window);
        let l = &license(now, trial, start, length);
        let reports: Vec<NaiveDate> = report_days
            .iter()
            .map(|d| now.date_naive() + TimeDelta::days(*d))
            .collect();
        prop_assert_eq!(time::today(now, &fixed), time::today(now, &walked));
        prop_assert_eq!(time::is_weekend(now, &fixed), time::is_weekend(now, &walked));
        prop_assert_eq!(time::license_state(l, now, &fixed), time::license_state(l, now, &walked));
        prop_assert_eq!(time::has_started(l, now, &fixed), time::has_started(l, now, &walked));
        prop_assert_eq!(
            time::grace_ended_within_window(l, now, &fixed),
            time::grace_ended_within_window(l, now, &walked)
        );
        prop_assert_eq!(
            time::grace_ended_outside_window(l, now, &fixed),
            time::grace_ended_outside_window(l, now, &walked)
        );
        prop_assert_eq!(time::deadline(l, now, &fixed), time::deadline(l, now, &walked));
        prop_assert_eq!(
            time::more_than_hours_remaining(l, now, &fixed),
            time::more_than_hours_remaining(l, now, &walked)
        );
        prop_assert_eq!(
            time::has_report_on_today(&reports, now, &fixed),
            time::has_report_on_today(&reports, now, &walked)
        );
    }

    /// Every policy, over its examples moved to random instants and zones.
    #[test]
    fn every_policy_agrees_at_other_times(tz in zone(), now in instant()) {
        for policy in entitle_core::policies::POLICIES {
            let config = config(tz, 14, 3);
            entitle_core::policies::visit(policy.id, AtOtherTimes { now, config }).unwrap()?;
        }
    }

    /// license-status over random licenses, near midnights and transitions.
    #[test]
    fn license_status_fast_path_agrees(
        (tz, now) in zone().prop_flat_map(|tz| (Just(tz), tricky_instant(tz))),
        trial in any::<bool>(),
        start in -45i64..10,
        length in 0i64..60,
        grace in 0u32..30,
        window in 0u32..8,
    ) {
        let graph = LicenseStatus::graph().unwrap();
        let facts = LicenseStatusFacts { license: license(now, trial, start, length) };
        agree(graph, &facts, now, &config(tz, grace, window))?;
    }

    /// weekend-emergency over random facts, near midnights and transitions.
    #[test]
    fn weekend_emergency_fast_path_agrees(
        (tz, now) in zone().prop_flat_map(|tz| (Just(tz), tricky_instant(tz))),
        trial in any::<bool>(),
        start in -45i64..10,
        length in 0i64..60,
        status in prop::sample::select(vec![CustomerStatus::Paid, CustomerStatus::Unpaid, CustomerStatus::Prospect]),
        screenshots in any::<(bool, bool)>(),
        users in prop::option::of(0u32..300),
    ) {
        let graph = WeekendEmergency::graph().unwrap();
        let facts = WeekendEmergencyFacts {
            customer: Customer { status },
            license: license(now, trial, start, length),
            screenshots: EmergencyScreenshots {
                admin_dashboard: screenshots.0,
                license_page: screenshots.1,
            },
            screenshot_user_count: users,
            requester_email: "ops@example.com".parse().unwrap(),
            ticket_url: "https://support.example.com/tickets/1".parse().unwrap(),
        };
        agree(graph, &facts, now, &config(tz, 14, 3))?;
    }
}

/// The duration words as they were written before, with `format!`.
fn duration_by_format(delta: TimeDelta) -> String {
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

proptest! {
    /// Durations, relative instants and dates written by hand read as the
    /// `format!` versions did.
    #[test]
    fn hand_written_words_are_the_formatted_words(
        secs in prop_oneof![-200_000i64..200_000, -10_000_000_000i64..10_000_000_000],
        days in -95_000_000i32..95_000_000,
    ) {
        let delta = TimeDelta::seconds(secs);
        prop_assert_eq!(explain::duration(delta), duration_by_format(delta));
        let now = DateTime::from_timestamp(1_795_255_200, 0).unwrap();
        let relative = if delta < TimeDelta::zero() {
            format!("{} ago", duration_by_format(-delta))
        } else {
            format!("in {}", duration_by_format(delta))
        };
        prop_assert_eq!(explain::relative(now, now + delta), relative);
        if let Some(date) = NaiveDate::from_num_days_from_ce_opt(days) {
            let mut out = String::new();
            explain::push_date(&mut out, date);
            prop_assert_eq!(out, date.format("%Y-%m-%d").to_string());
        }
    }
}

/// A context whose `now` or configuration changes after a decision does not
/// answer from the wall clock it remembered.
#[test]
fn a_changed_context_looks_the_wall_clock_up_again() {
    let graph = WeekendEmergency::graph().unwrap();
    let saturday = DateTime::from_timestamp(1_795_255_200, 0).unwrap();
    let facts = entitle::scenario::examples::<WeekendEmergency>()
        .unwrap()
        .into_iter()
        .find(|e| e.expect.outcome.as_deref() == Some("generate-temporary-license"))
        .unwrap()
        .facts;
    let utc = config(Tz::UTC, 14, 3);
    let auckland = config("Pacific/Auckland".parse().unwrap(), 14, 3);
    let mut cx = Context::new(saturday, &utc);
    let weekend = *graph.decide(&facts, &cx).unwrap();
    cx.now = saturday + TimeDelta::days(2);
    assert_ne!(*graph.decide(&facts, &cx).unwrap(), weekend);
    assert_eq!(
        *graph.decide(&facts, &cx).unwrap(),
        *graph.decide(&facts, &Context::new(cx.now, &utc)).unwrap()
    );
    // Sunday 12:00 UTC is already Monday 01:00 in Auckland.
    cx.now = saturday + TimeDelta::hours(26);
    let in_utc = *graph.decide(&facts, &cx).unwrap();
    cx.config = &auckland;
    assert_ne!(*graph.decide(&facts, &cx).unwrap(), in_utc);
}

/// The weekday names written by hand are `%A`'s.
#[test]
fn weekday_names_are_strftime_names() {
    let monday = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    for offset in 0..7 {
        let day = monday + TimeDelta::days(offset);
        assert_eq!(
            explain::weekday_name(day.weekday()),
            day.format("%A").to_string()
        );
    }
}

/// A date beyond year 9999 is written as strftime writes it.
#[test]
fn far_dates_are_written_as_strftime_writes_them() {
    for date in [
        NaiveDate::MIN,
        NaiveDate::MAX,
        NaiveDate::from_ymd_opt(-1, 3, 4).unwrap(),
        NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(999, 12, 31).unwrap(),
    ] {
        assert_eq!(date.to_string(), date.format("%Y-%m-%d").to_string());
    }
}
