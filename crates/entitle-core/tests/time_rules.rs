//! The time rules of spec section 1, at their boundaries, and property tests
//! that every `Timed::until` is exact.
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use entitle_core::config::PolicyConfig;
use entitle_core::domain::{License, Plan};
use entitle_core::graph::Answer;
use entitle_core::time::{
    self, LicenseState, Timed, days_from_today, deadline, emergency_window_ends_on,
    grace_ended_outside_window, grace_ended_within_window, grace_ends_on, has_report_on_today,
    is_active_or_in_grace, is_expired, is_in_grace_period, is_weekend, is_workday, license_state,
    local_date, more_than_hours_remaining, next_workday_on_or_after, remaining, review_on,
    start_of, today,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn tz(name: &str) -> Tz {
    name.parse().unwrap()
}

fn config_in(zone: &str) -> PolicyConfig {
    PolicyConfig {
        timezone: tz(zone),
        ..PolicyConfig::default()
    }
}

fn utc() -> PolicyConfig {
    PolicyConfig::default()
}

fn paid(starts_on: &str, expires_on: &str) -> License {
    License {
        plan: Plan::Premium,
        trial: false,
        starts_on: d(starts_on),
        expires_on: d(expires_on),
        users: 10,
    }
}

fn trial(starts_on: &str, expires_on: &str) -> License {
    License {
        trial: true,
        plan: Plan::Ultimate,
        ..paid(starts_on, expires_on)
    }
}

const NS: TimeDelta = TimeDelta::nanoseconds(1);

// ---------------------------------------------------------------------------
// start_of and today
// ---------------------------------------------------------------------------

#[test]
fn a_date_starts_at_local_midnight() {
    assert_eq!(
        start_of(d("2026-06-10"), Tz::UTC),
        at("2026-06-10T00:00:00Z")
    );
    // New Zealand: +13 in January (daylight time), +12 in June.
    assert_eq!(
        start_of(d("2026-01-15"), tz("Pacific/Auckland")),
        at("2026-01-14T11:00:00Z")
    );
    assert_eq!(
        start_of(d("2026-06-10"), tz("Pacific/Auckland")),
        at("2026-06-09T12:00:00Z")
    );
    assert_eq!(
        start_of(d("2026-06-10"), tz("America/New_York")),
        at("2026-06-10T04:00:00Z")
    );
}

#[test]
fn today_in_auckland_runs_ahead_of_utc() {
    let config = config_in("Pacific/Auckland");
    let before = today(at("2026-06-09T11:59:59Z"), &config);
    assert_eq!(before.value, d("2026-06-09"));
    assert_eq!(before.until, Some(at("2026-06-09T12:00:00Z")));
    let after = today(at("2026-06-09T12:00:00Z"), &config);
    assert_eq!(after.value, d("2026-06-10"));
    assert_eq!(after.until, Some(at("2026-06-10T12:00:00Z")));
}

#[test]
fn new_york_spring_forward_day_has_23_hours() {
    // 2026-03-08: clocks go from 02:00 EST to 03:00 EDT.
    let config = config_in("America/New_York");
    let sunday = today(at("2026-03-08T12:00:00Z"), &config);
    assert_eq!(sunday.value, d("2026-03-08"));
    assert_eq!(
        start_of(d("2026-03-08"), config.timezone),
        at("2026-03-08T05:00:00Z")
    );
    assert_eq!(sunday.until, Some(at("2026-03-09T04:00:00Z")));
    // Late Saturday evening local is already Sunday in UTC.
    let saturday = today(at("2026-03-08T04:59:59Z"), &config);
    assert_eq!(saturday.value, d("2026-03-07"));
    assert_eq!(saturday.until, Some(at("2026-03-08T05:00:00Z")));
}

#[test]
fn new_york_fall_back_day_has_25_hours() {
    let config = config_in("America/New_York");
    let sunday = today(at("2026-11-01T04:00:00Z"), &config);
    assert_eq!(sunday.value, d("2026-11-01"));
    assert_eq!(sunday.until, Some(at("2026-11-02T05:00:00Z")));
}

#[test]
fn missing_midnight_starts_the_date_at_its_first_instant() {
    // Chile springs forward at 24:00: 2026-09-06 00:00 (-04) does not exist,
    // the clock goes from Saturday 23:59:59 to Sunday 01:00 (-03).
    let santiago = tz("America/Santiago");
    let start = start_of(d("2026-09-06"), santiago);
    assert_eq!(start, at("2026-09-06T04:00:00Z"));
    assert_eq!(local_date(start, santiago), d("2026-09-06"));
    assert_eq!(local_date(start - NS, santiago), d("2026-09-05"));
    let saturday = today(at("2026-09-06T03:00:00Z"), &config_in("America/Santiago"));
    assert_eq!(saturday.until, Some(start));
}

#[test]
fn repeated_midnight_starts_the_date_at_the_earlier_one() {
    // Cuba falls back from 01:00 CDT to 00:00 CST on 2026-11-01: Sunday 00:00
    // happens at 04:00Z and again at 05:00Z.
    let havana = tz("America/Havana");
    let start = start_of(d("2026-11-01"), havana);
    assert_eq!(start, at("2026-11-01T04:00:00Z"));
    assert_eq!(local_date(start - NS, havana), d("2026-10-31"));
    assert_eq!(
        local_date(at("2026-11-01T05:30:00Z"), havana),
        d("2026-11-01")
    );
}

#[test]
fn a_skipped_date_has_no_length() {
    // Samoa skipped 2011-12-30 when it crossed the date line.
    let apia = tz("Pacific/Apia");
    assert_eq!(
        start_of(d("2011-12-30"), apia),
        start_of(d("2011-12-31"), apia)
    );
    let thursday = today(at("2011-12-30T09:59:59Z"), &config_in("Pacific/Apia"));
    assert_eq!(thursday.value, d("2011-12-29"));
    assert_eq!(thursday.until, Some(at("2011-12-30T10:00:00Z")));
    assert_eq!(
        local_date(at("2011-12-30T10:00:00Z"), apia),
        d("2011-12-31")
    );
}

#[test]
fn a_date_that_briefly_comes_back_is_followed_exactly() {
    // St. John's fell back at 00:01 NDT (-02:30) to 23:01 NST (-03:30) on
    // 1990-10-28: the date went back to Saturday for 59 minutes.
    let config = config_in("America/St_Johns");
    let sunday = today(at("1990-10-28T02:30:30Z"), &config);
    assert_eq!(sunday.value, d("1990-10-28"));
    assert_eq!(sunday.until, Some(at("1990-10-28T02:31:00Z")));
    let saturday_again = today(at("1990-10-28T02:31:00Z"), &config);
    assert_eq!(saturday_again.value, d("1990-10-27"));
    assert_eq!(saturday_again.until, Some(at("1990-10-28T03:30:00Z")));
    // A license expiring that Sunday is active again for those 59 minutes.
    let license = paid("1990-01-01", "1990-10-28");
    let state = license_state(&license, at("1990-10-28T02:30:30Z"), &config);
    assert_eq!(state.value, LicenseState::InGracePeriod);
    assert_eq!(state.until, Some(at("1990-10-28T02:31:00Z")));
    let state = license_state(&license, at("1990-10-28T02:31:00Z"), &config);
    assert_eq!(
        state,
        Timed::new(LicenseState::Active, Some(at("1990-10-28T03:30:00Z")))
    );
}

// ---------------------------------------------------------------------------
// Weekends and workdays
// ---------------------------------------------------------------------------

#[test]
fn weekend_starts_saturday_and_ends_monday_local() {
    let config = config_in("Pacific/Auckland");
    // Friday 2026-06-12 23:59:59 NZST = 11:59:59Z.
    let friday = is_weekend(at("2026-06-12T11:59:59Z"), &config);
    assert_eq!(friday, Timed::new(false, Some(at("2026-06-12T12:00:00Z"))));
    let saturday = is_weekend(at("2026-06-12T12:00:00Z"), &config);
    assert_eq!(saturday, Timed::new(true, Some(at("2026-06-14T12:00:00Z"))));
    let sunday_late = is_weekend(at("2026-06-14T11:59:59Z"), &config);
    assert_eq!(
        sunday_late,
        Timed::new(true, Some(at("2026-06-14T12:00:00Z")))
    );
    let monday = is_weekend(at("2026-06-14T12:00:00Z"), &config);
    assert_eq!(monday, Timed::new(false, Some(at("2026-06-19T12:00:00Z"))));
}

#[test]
fn weekend_in_utc_is_not_weekend_in_new_york() {
    // Saturday 02:00Z is still Friday evening in New York.
    let now = at("2026-06-13T02:00:00Z");
    assert!(is_weekend(now, &utc()).value);
    let ny = is_weekend(now, &config_in("America/New_York"));
    assert_eq!(ny, Timed::new(false, Some(at("2026-06-13T04:00:00Z"))));
}

#[test]
fn weekend_across_a_dst_change_ends_at_local_monday() {
    // The weekend of 2026-03-07/08 in New York: Sunday has 23 hours.
    let config = config_in("America/New_York");
    let weekend = is_weekend(at("2026-03-07T15:00:00Z"), &config);
    assert_eq!(weekend, Timed::new(true, Some(at("2026-03-09T04:00:00Z"))));
}

#[test]
fn workdays_skip_weekends_and_holidays() {
    let config = PolicyConfig {
        company_holidays: vec![d("2026-07-03"), d("2026-12-24"), d("2026-12-25")],
        ..utc()
    };
    assert!(is_workday(d("2026-07-02"), &config)); // Thursday
    assert!(!is_workday(d("2026-07-03"), &config)); // Friday holiday
    assert!(!is_workday(d("2026-07-04"), &config)); // Saturday
    assert!(!is_workday(d("2026-07-05"), &config)); // Sunday
    assert_eq!(
        next_workday_on_or_after(d("2026-07-02"), &config),
        d("2026-07-02")
    );
    // Friday holiday rolls to Monday.
    assert_eq!(
        next_workday_on_or_after(d("2026-07-03"), &config),
        d("2026-07-06")
    );
    assert_eq!(
        next_workday_on_or_after(d("2026-07-04"), &config),
        d("2026-07-06")
    );
    // Thursday and Friday holidays, then the weekend.
    assert_eq!(
        next_workday_on_or_after(d("2026-12-24"), &config),
        d("2026-12-28")
    );
}

#[test]
fn a_run_of_holidays_rolls_past_every_one() {
    let config = PolicyConfig {
        // Friday, Monday, Tuesday.
        company_holidays: vec![d("2026-07-10"), d("2026-07-13"), d("2026-07-14")],
        ..utc()
    };
    assert_eq!(
        next_workday_on_or_after(d("2026-07-10"), &config),
        d("2026-07-15")
    );
    assert_eq!(
        next_workday_on_or_after(d("2026-07-11"), &config),
        d("2026-07-15")
    );
}

#[test]
fn review_date_is_the_local_failure_date_rolled_to_a_workday() {
    let config = PolicyConfig {
        company_holidays: vec![d("2026-07-06")],
        ..config_in("America/New_York")
    };
    // Thursday 2026-07-02 23:30 in New York (Friday in UTC).
    assert_eq!(
        review_on(at("2026-07-03T03:30:00Z"), &config),
        d("2026-07-02")
    );
    // Saturday -> Monday is a holiday -> Tuesday.
    assert_eq!(
        review_on(at("2026-07-04T15:00:00Z"), &config),
        d("2026-07-07")
    );
    assert_eq!(
        review_on(at("2026-07-04T15:00:00Z"), &utc()),
        d("2026-07-06")
    );
}

#[test]
fn days_from_today_counts_local_days() {
    let config = config_in("Pacific/Auckland");
    // 2026-06-09T13:00Z is 2026-06-10 in Auckland.
    let now = at("2026-06-09T13:00:00Z");
    assert_eq!(
        days_from_today(d("2026-06-13"), now, &config),
        Timed::new(3, Some(at("2026-06-10T12:00:00Z")))
    );
    assert_eq!(days_from_today(d("2026-06-08"), now, &config).value, -2);
    assert_eq!(days_from_today(d("2026-06-10"), now, &config).value, 0);
}

#[test]
fn next_workday_terminates_at_the_end_of_the_calendar() {
    let config = PolicyConfig {
        company_holidays: vec![NaiveDate::MAX],
        ..utc()
    };
    assert_eq!(
        next_workday_on_or_after(NaiveDate::MAX, &config),
        NaiveDate::MAX
    );
}

// ---------------------------------------------------------------------------
// Grace period and license state
// ---------------------------------------------------------------------------

#[test]
fn grace_ends_fourteen_days_after_expiry_for_paid_licenses_only() {
    let config = utc();
    assert_eq!(
        grace_ends_on(&paid("2025-06-10", "2026-06-10"), &config),
        d("2026-06-24")
    );
    assert_eq!(
        grace_ends_on(&trial("2026-05-10", "2026-06-10"), &config),
        d("2026-06-10")
    );
    let short = PolicyConfig {
        grace_period_days: 3,
        ..utc()
    };
    assert_eq!(
        grace_ends_on(&paid("2025-06-10", "2026-06-10"), &short),
        d("2026-06-13")
    );
    assert_eq!(
        emergency_window_ends_on(&paid("2025-06-10", "2026-06-10"), &config),
        d("2026-06-27")
    );
}

#[test]
fn grace_end_saturates_at_the_end_of_the_calendar() {
    let license = License {
        expires_on: NaiveDate::MAX - chrono::Days::new(3),
        ..paid("2025-01-01", "2026-01-01")
    };
    assert_eq!(grace_ends_on(&license, &utc()), NaiveDate::MAX);
    assert_eq!(emergency_window_ends_on(&license, &utc()), NaiveDate::MAX);
}

#[test]
fn paid_license_moves_through_every_state() {
    use LicenseState::*;
    let config = utc();
    let license = paid("2025-06-10", "2026-06-10");
    let cases = [
        (
            "2025-06-09T23:59:59Z",
            NotStarted,
            Some("2025-06-10T00:00:00Z"),
        ),
        // A license whose start date is today has started.
        ("2025-06-10T00:00:00Z", Active, Some("2026-06-10T00:00:00Z")),
        ("2026-06-09T23:59:59Z", Active, Some("2026-06-10T00:00:00Z")),
        // Expired on the expiry date itself.
        (
            "2026-06-10T00:00:00Z",
            InGracePeriod,
            Some("2026-06-24T00:00:00Z"),
        ),
        (
            "2026-06-23T23:59:59Z",
            InGracePeriod,
            Some("2026-06-24T00:00:00Z"),
        ),
        // The day grace ends is day 0 of the window...
        (
            "2026-06-24T00:00:00Z",
            GraceEndedRecently,
            Some("2026-06-28T00:00:00Z"),
        ),
        // ...day 3 is still inside...
        (
            "2026-06-27T23:59:59Z",
            GraceEndedRecently,
            Some("2026-06-28T00:00:00Z"),
        ),
        // ...day 4 is outside, for good.
        ("2026-06-28T00:00:00Z", Lapsed, None),
        ("2030-01-01T00:00:00Z", Lapsed, None),
    ];
    for (now, state, until) in cases {
        assert_eq!(
            license_state(&license, at(now), &config),
            Timed::new(state, until.map(at)),
            "at {now}"
        );
    }
}

#[test]
fn trial_license_has_no_grace_period() {
    use LicenseState::*;
    let config = utc();
    let license = trial("2026-05-27", "2026-06-10");
    let active = license_state(&license, at("2026-06-09T23:59:59Z"), &config);
    assert_eq!(
        active,
        Timed::new(TrialActive, Some(at("2026-06-10T00:00:00Z")))
    );
    let expired = license_state(&license, at("2026-06-10T00:00:00Z"), &config);
    assert_eq!(expired, Timed::new(TrialExpired, None));
    assert!(!is_in_grace_period(&license, at("2026-06-11T00:00:00Z"), &config).value);
}

#[test]
fn license_state_uses_the_support_time_zone() {
    let config = config_in("Pacific/Auckland");
    let license = paid("2025-06-10", "2026-06-10");
    // 2026-06-10 starts at 2026-06-09T12:00Z in Auckland.
    let active = license_state(&license, at("2026-06-09T11:59:59Z"), &config);
    assert_eq!(
        active,
        Timed::new(LicenseState::Active, Some(at("2026-06-09T12:00:00Z")))
    );
    let grace = license_state(&license, at("2026-06-09T12:00:00Z"), &config);
    assert_eq!(grace.value, LicenseState::InGracePeriod);
    // In UTC the same instant is still active.
    assert_eq!(
        license_state(&license, at("2026-06-09T12:00:00Z"), &utc()).value,
        LicenseState::Active
    );
}

#[test]
fn license_state_labels_are_kebab_case_and_match_serde() {
    for state in LicenseState::ALL {
        let json = serde_json::to_string(state).unwrap();
        assert_eq!(json, format!("\"{}\"", state.label()));
    }
    assert_eq!(
        LicenseState::GraceEndedRecently.label(),
        "grace-ended-recently"
    );
    assert_eq!(LicenseState::InGracePeriod.label(), "in-grace-period");
}

#[test]
fn scope_checks_of_the_emergency_workflows() {
    let config = utc();
    let license = paid("2025-06-10", "2026-06-10");
    let check = |now: &str| {
        let now = at(now);
        (
            is_active_or_in_grace(&license, now, &config).value,
            grace_ended_within_window(&license, now, &config).value,
            grace_ended_outside_window(&license, now, &config).value,
        )
    };
    assert_eq!(check("2026-06-01T00:00:00Z"), (true, false, false));
    assert_eq!(check("2026-06-23T23:59:59Z"), (true, false, false));
    assert_eq!(check("2026-06-24T00:00:00Z"), (false, true, false)); // day 0
    assert_eq!(check("2026-06-27T12:00:00Z"), (false, true, false)); // day 3
    assert_eq!(check("2026-06-28T00:00:00Z"), (false, false, true)); // day 4
    // Not started yet: not lapsed.
    assert_eq!(check("2025-06-01T00:00:00Z"), (true, false, false));

    let within = grace_ended_within_window(&license, at("2026-06-25T00:00:00Z"), &config);
    assert_eq!(within.until, Some(at("2026-06-28T00:00:00Z")));
    let active = is_active_or_in_grace(&license, at("2026-06-12T00:00:00Z"), &config);
    assert_eq!(active, Timed::new(true, Some(at("2026-06-24T00:00:00Z"))));
}

#[test]
fn trial_grace_ends_when_it_expires() {
    let config = utc();
    let license = trial("2026-05-27", "2026-06-10");
    let now = at("2026-06-13T10:00:00Z"); // day 3 after expiry
    assert!(!is_active_or_in_grace(&license, now, &config).value);
    assert!(grace_ended_within_window(&license, now, &config).value);
    let later = at("2026-06-14T00:00:00Z"); // day 4
    assert!(grace_ended_outside_window(&license, later, &config).value);
    assert!(is_expired(&license, now, &config).value);
}

#[test]
fn window_length_comes_from_the_config() {
    let config = PolicyConfig {
        emergency_window_days: 0,
        ..utc()
    };
    let license = paid("2025-06-10", "2026-06-10");
    assert!(grace_ended_within_window(&license, at("2026-06-24T23:00:00Z"), &config).value);
    assert!(grace_ended_outside_window(&license, at("2026-06-25T00:00:00Z"), &config).value);
}

// ---------------------------------------------------------------------------
// Deadlines and hours remaining
// ---------------------------------------------------------------------------

#[test]
fn deadline_moves_from_expiry_to_grace_end() {
    let config = utc();
    let license = paid("2025-06-10", "2026-06-10");
    let active = deadline(&license, at("2026-06-01T00:00:00Z"), &config);
    assert_eq!(
        active,
        Timed::new(at("2026-06-10T00:00:00Z"), Some(at("2026-06-10T00:00:00Z")))
    );
    let grace = deadline(&license, at("2026-06-10T00:00:00Z"), &config);
    assert_eq!(grace, Timed::forever(at("2026-06-24T00:00:00Z")));
    let trial = deadline(
        &trial("2026-05-27", "2026-06-10"),
        at("2026-06-01T00:00:00Z"),
        &config,
    );
    assert_eq!(trial, Timed::forever(at("2026-06-10T00:00:00Z")));
    assert_eq!(
        remaining(&license, at("2026-06-23T12:00:00Z"), &config),
        TimeDelta::hours(12)
    );
    assert_eq!(
        remaining(&license, at("2026-06-25T00:00:00Z"), &config),
        TimeDelta::hours(-24)
    );
}

#[test]
fn exactly_24_hours_is_not_more_than_24_hours() {
    let config = utc();
    let license = paid("2025-06-10", "2026-06-10");
    let more = more_than_hours_remaining(&license, at("2026-06-08T23:59:59Z"), &config);
    assert_eq!(more, Timed::new(true, Some(at("2026-06-09T00:00:00Z"))));
    // Exactly 24 h left: false, until expiry moves the deadline to grace end.
    let exactly = more_than_hours_remaining(&license, at("2026-06-09T00:00:00Z"), &config);
    assert_eq!(exactly, Timed::new(false, Some(at("2026-06-10T00:00:00Z"))));
    let in_grace = more_than_hours_remaining(&license, at("2026-06-10T00:00:00Z"), &config);
    assert_eq!(in_grace, Timed::new(true, Some(at("2026-06-23T00:00:00Z"))));
    let grace_24h_and_1s = more_than_hours_remaining(&license, at("2026-06-22T23:59:59Z"), &config);
    assert_eq!(
        grace_24h_and_1s,
        Timed::new(true, Some(at("2026-06-23T00:00:00Z")))
    );
    let grace_24h = more_than_hours_remaining(&license, at("2026-06-23T00:00:00Z"), &config);
    assert_eq!(grace_24h, Timed::forever(false));
}

#[test]
fn a_trial_has_no_second_chance() {
    let config = utc();
    let license = trial("2026-05-27", "2026-06-10");
    let left = more_than_hours_remaining(&license, at("2026-06-09T00:00:00Z"), &config);
    assert_eq!(left, Timed::forever(false));
}

#[test]
fn a_short_grace_period_may_never_give_24_hours_back() {
    let license = paid("2025-06-10", "2026-06-10");
    let now = at("2026-06-09T00:00:00Z");
    for grace_period_days in [0, 1] {
        let config = PolicyConfig {
            grace_period_days,
            ..utc()
        };
        assert_eq!(
            more_than_hours_remaining(&license, now, &config),
            Timed::forever(false),
            "grace {grace_period_days}"
        );
    }
    let two_days = PolicyConfig {
        grace_period_days: 2,
        ..utc()
    };
    let left = more_than_hours_remaining(&license, now, &two_days);
    assert_eq!(left, Timed::new(false, Some(at("2026-06-10T00:00:00Z"))));
    let at_expiry = more_than_hours_remaining(&license, at("2026-06-10T00:00:00Z"), &two_days);
    assert_eq!(
        at_expiry,
        Timed::new(true, Some(at("2026-06-11T00:00:00Z")))
    );
}

#[test]
fn hours_remaining_use_local_midnight_and_the_configured_threshold() {
    let config = PolicyConfig {
        escalation_threshold_hours: 48,
        ..config_in("America/New_York")
    };
    let license = paid("2025-06-10", "2026-06-10");
    // The deadline is 2026-06-10T04:00Z; 48 h before is 2026-06-08T04:00Z.
    let left = more_than_hours_remaining(&license, at("2026-06-08T03:59:59Z"), &config);
    assert_eq!(left, Timed::new(true, Some(at("2026-06-08T04:00:00Z"))));
}

// ---------------------------------------------------------------------------
// Seat Link
// ---------------------------------------------------------------------------

#[test]
fn seat_link_report_dated_today() {
    let config = utc();
    let now = at("2026-06-10T15:00:00Z");
    let report = |dates: &[&str]| {
        let dates: Vec<NaiveDate> = dates.iter().map(|s| d(s)).collect();
        has_report_on_today(&dates, now, &config)
    };
    assert_eq!(report(&[]), Timed::forever(false));
    assert_eq!(report(&["2026-06-09"]), Timed::forever(false));
    assert_eq!(
        report(&["2026-06-09", "2026-06-10"]),
        Timed::new(true, Some(at("2026-06-11T00:00:00Z")))
    );
    assert_eq!(
        report(&["2026-06-10", "2026-06-11", "2026-06-13"]),
        Timed::new(true, Some(at("2026-06-12T00:00:00Z")))
    );
    assert_eq!(
        report(&["2026-06-01", "2026-06-12"]),
        Timed::new(false, Some(at("2026-06-12T00:00:00Z")))
    );
}

#[test]
fn seat_link_today_is_the_support_time_zone_day() {
    let config = config_in("Pacific/Auckland");
    // 2026-06-09T13:00Z is 2026-06-10 01:00 in Auckland.
    let now = at("2026-06-09T13:00:00Z");
    let timed = has_report_on_today(&[d("2026-06-10")], now, &config);
    assert_eq!(timed, Timed::new(true, Some(at("2026-06-10T12:00:00Z"))));
    assert!(!has_report_on_today(&[d("2026-06-09")], now, &config).value);
}

// ---------------------------------------------------------------------------
// Extreme dates
// ---------------------------------------------------------------------------

#[test]
fn nothing_panics_at_the_ends_of_time() {
    let zones = [
        Tz::UTC,
        tz("Pacific/Kiritimati"),
        tz("Pacific/Pago_Pago"),
        tz("America/New_York"),
    ];
    let instants = [
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::MAX_UTC,
        DateTime::<Utc>::MIN_UTC + TimeDelta::hours(13),
        DateTime::<Utc>::MAX_UTC - TimeDelta::hours(13),
    ];
    let dates = [NaiveDate::MIN, NaiveDate::MAX, d("2026-06-10")];
    for zone in zones {
        let config = PolicyConfig {
            timezone: zone,
            grace_period_days: u32::MAX,
            emergency_window_days: u32::MAX,
            escalation_threshold_hours: u32::MAX,
            company_holidays: vec![NaiveDate::MAX],
            ..PolicyConfig::default()
        };
        for date in dates {
            let _ = start_of(date, zone);
            let _ = next_workday_on_or_after(date, &config);
        }
        for now in instants {
            let _ = today(now, &config);
            let _ = is_weekend(now, &config);
            let _ = has_report_on_today(&dates, now, &config);
            for starts_on in dates {
                for expires_on in dates {
                    for is_trial in [false, true] {
                        let license = License {
                            plan: Plan::Free,
                            trial: is_trial,
                            starts_on,
                            expires_on,
                            users: 0,
                        };
                        for config in [
                            &config,
                            &PolicyConfig {
                                timezone: zone,
                                ..utc()
                            },
                        ] {
                            let _ = grace_ends_on(&license, config);
                            let _ = license_state(&license, now, config);
                            let _ = more_than_hours_remaining(&license, now, config);
                            let _ = remaining(&license, now, config);
                            let _ = grace_ended_outside_window(&license, now, config);
                            let _ = grace_ended_within_window(&license, now, config);
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

/// Zones with interesting offsets and DST rules, for the monotonicity checks
/// (zones whose local date never goes backwards in 1995..2100).
const MODERN_ZONES: &[&str] = &[
    "UTC",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Europe/Berlin",
];

fn any_zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec())
}

fn modern_zone() -> impl Strategy<Value = Tz> {
    prop::sample::select(MODERN_ZONES).prop_map(tz)
}

/// An instant between `from` and `to` (years), with nanoseconds.
fn instant(from: i32, to: i32) -> impl Strategy<Value = DateTime<Utc>> {
    let lo = NaiveDate::from_ymd_opt(from, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    let hi = NaiveDate::from_ymd_opt(to, 1, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    (lo..hi, prop_oneof![Just(0u32), 0u32..1_000_000_000])
        .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).unwrap())
}

fn config_strategy(zone: impl Strategy<Value = Tz>) -> impl Strategy<Value = PolicyConfig> {
    (zone, 0u32..30, 0u32..8, prop_oneof![Just(24u32), 0u32..100]).prop_map(
        |(timezone, grace_period_days, emergency_window_days, escalation_threshold_hours)| {
            PolicyConfig {
                timezone,
                grace_period_days,
                emergency_window_days,
                escalation_threshold_hours,
                ..PolicyConfig::default()
            }
        },
    )
}

/// A license whose dates lie within ~40 days of `now`'s date.
fn license_near(now: DateTime<Utc>) -> impl Strategy<Value = License> {
    let base = now.date_naive();
    (any::<bool>(), -45i64..10, 0i64..60).prop_map(move |(is_trial, start, length)| {
        let starts_on = base + TimeDelta::days(start);
        License {
            plan: Plan::Premium,
            trial: is_trial,
            starts_on,
            expires_on: starts_on + TimeDelta::days(length),
            users: 5,
        }
    })
}

fn scenario(
    zone: impl Strategy<Value = Tz>,
    from: i32,
    to: i32,
) -> impl Strategy<Value = (PolicyConfig, DateTime<Utc>, License, Vec<NaiveDate>)> {
    (config_strategy(zone), instant(from, to)).prop_flat_map(|(config, now)| {
        let base = now.date_naive();
        let reports = prop::collection::vec(
            (-3i64..4).prop_map(move |k| base + TimeDelta::days(k)),
            0..4,
        );
        (Just(config), Just(now), license_near(now), reports)
    })
}

/// Instants at which a rule about `license` might change (starts of its
/// dates, and the threshold before each), with their neighbours.
fn interesting_instants(license: &License, config: &PolicyConfig) -> Vec<DateTime<Utc>> {
    let zone = config.timezone;
    let threshold = TimeDelta::hours(i64::from(config.escalation_threshold_hours));
    let mut points = Vec::new();
    for date in [
        license.starts_on,
        license.expires_on,
        grace_ends_on(license, config),
        emergency_window_ends_on(license, config)
            .succ_opt()
            .unwrap(),
    ] {
        let start = start_of(date, zone);
        for p in [start, start - threshold] {
            points.extend([p - NS, p, p + NS]);
        }
    }
    points
}

/// Checks `timed` against `eval` at `now`, just before `until`, at `until`,
/// and at every sample in `[now, until)`.
fn check_honest<T: PartialEq + std::fmt::Debug>(
    now: DateTime<Utc>,
    timed: Timed<T>,
    samples: &[DateTime<Utc>],
    eval: impl Fn(DateTime<Utc>) -> T,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(&eval(now), &timed.value, "value at now {}", now);
    if let Some(until) = timed.until {
        prop_assert!(until > now, "until {} not after now {}", until, now);
        prop_assert_eq!(
            &eval(until - NS),
            &timed.value,
            "just before until {}",
            until
        );
        prop_assert_ne!(&eval(until), &timed.value, "at until {}", until);
        let span = until - now;
        for k in 1..8 {
            let t = now + span / 8 * k;
            prop_assert_eq!(&eval(t), &timed.value, "at {} before until {}", t, until);
        }
    }
    for &t in samples {
        if t >= now && timed.until.is_none_or(|until| t < until) {
            prop_assert_eq!(
                &eval(t),
                &timed.value,
                "at sample {} (until {:?})",
                t,
                timed.until
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// `today` changes exactly at the next local date change: hourly probes
    /// in between see the same date, and days are 0..=48 hours long.
    #[test]
    fn today_is_honest_in_every_zone(config in config_strategy(any_zone()), now in instant(1850, 2150)) {
        let timed = today(now, &config);
        let zone = config.timezone;
        prop_assert_eq!(timed.value, local_date(now, zone));
        let until = timed.until.unwrap();
        prop_assert!(until - now <= TimeDelta::hours(49), "until {} too far from {}", until, now);
        let mut t = now;
        while t < until {
            prop_assert_eq!(local_date(t, zone), timed.value, "at {}", t);
            t += TimeDelta::minutes(30);
        }
        check_honest(now, timed, &[], |t| local_date(t, zone))?;
    }

    #[test]
    fn start_of_is_the_first_instant_of_the_date(zone in any_zone(), now in instant(1850, 2150)) {
        let date = local_date(now, zone);
        let start = start_of(date, zone);
        prop_assert!(start <= now);
        prop_assert!(local_date(start, zone) >= date);
        prop_assert!(local_date(start - NS, zone) < date);
    }

    #[test]
    fn weekend_is_honest(config in config_strategy(any_zone()), now in instant(1850, 2150)) {
        let timed = is_weekend(now, &config);
        let weekday = local_date(now, config.timezone).weekday();
        prop_assert_eq!(timed.value, matches!(weekday, Weekday::Sat | Weekday::Sun));
        prop_assert!(timed.until.is_some());
        check_honest(now, timed, &[], |t| is_weekend(t, &config).value)?;
    }

    #[test]
    fn license_rules_are_honest((config, now, license, reports) in scenario(any_zone(), 1850, 2150)) {
        let samples = interesting_instants(&license, &config);
        let l = &license;
        let c = &config;
        check_honest(now, license_state(l, now, c), &samples, |t| license_state(l, t, c).value)?;
        check_honest(now, is_expired(l, now, c), &samples, |t| is_expired(l, t, c).value)?;
        check_honest(now, is_in_grace_period(l, now, c), &samples, |t| is_in_grace_period(l, t, c).value)?;
        check_honest(now, is_active_or_in_grace(l, now, c), &samples, |t| is_active_or_in_grace(l, t, c).value)?;
        check_honest(now, grace_ended_within_window(l, now, c), &samples, |t| grace_ended_within_window(l, t, c).value)?;
        check_honest(now, grace_ended_outside_window(l, now, c), &samples, |t| grace_ended_outside_window(l, t, c).value)?;
        check_honest(now, deadline(l, now, c), &samples, |t| deadline(l, t, c).value)?;
        check_honest(now, more_than_hours_remaining(l, now, c), &samples, |t| more_than_hours_remaining(l, t, c).value)?;
        let report_samples: Vec<_> = reports.iter().map(|r| start_of(*r, c.timezone)).collect();
        check_honest(now, has_report_on_today(&reports, now, c), &report_samples, |t| has_report_on_today(&reports, t, c).value)?;
    }

    /// The `until` of a date rule is the first local date change at which its
    /// value differs: walk the changes of `today` one by one to find it.
    #[test]
    fn license_state_until_is_the_first_change((config, now, license, _reports) in scenario(any_zone(), 1850, 2150)) {
        let timed = license_state(&license, now, &config);
        let mut t = now;
        let expected = loop {
            match today(t, &config).until {
                None => break None,
                Some(next) if license_state(&license, next, &config).value != timed.value => break Some(next),
                Some(next) if next - now > TimeDelta::days(400) => break None,
                Some(next) => t = next,
            }
        };
        prop_assert_eq!(timed.until, expected);
    }

    /// A license only moves forward through its life.
    #[test]
    fn license_state_only_moves_forward((config, now, license, _reports) in scenario(modern_zone(), 1995, 2100)) {
        let timed = license_state(&license, now, &config);
        if let Some(until) = timed.until {
            let next = license_state(&license, until, &config).value;
            prop_assert!(next > timed.value, "{:?} -> {:?}", timed.value, next);
            let allowed = match timed.value {
                LicenseState::NotStarted => !license.trial || matches!(next, LicenseState::TrialActive | LicenseState::TrialExpired),
                LicenseState::TrialActive => next == LicenseState::TrialExpired,
                LicenseState::TrialExpired | LicenseState::Lapsed => false,
                _ => !license.trial && next <= LicenseState::Lapsed,
            };
            prop_assert!(allowed, "{:?} -> {:?} for {:?}", timed.value, next, license);
        } else {
            prop_assert!(matches!(timed.value, LicenseState::Lapsed | LicenseState::TrialExpired)
                || license.expires_on >= NaiveDate::MAX, "{:?} never changes", timed.value);
        }
    }

    /// Spec 3.2 steps 3-4: for a started license, exactly one of "not lapsed",
    /// "within the window", "outside the window" holds.
    #[test]
    fn scope_checks_partition_started_licenses((config, now, license, _reports) in scenario(modern_zone(), 1995, 2100)) {
        let state = license_state(&license, now, &config).value;
        prop_assume!(state != LicenseState::NotStarted);
        let answers = [
            is_active_or_in_grace(&license, now, &config).value,
            grace_ended_within_window(&license, now, &config).value,
            grace_ended_outside_window(&license, now, &config).value,
        ];
        prop_assert_eq!(answers.iter().filter(|a| **a).count(), 1, "{:?} in {:?}", answers, state);
    }

    #[test]
    fn more_than_hours_matches_the_deadline((config, now, license, _reports) in scenario(modern_zone(), 1995, 2100)) {
        let left = remaining(&license, now, &config);
        let more = more_than_hours_remaining(&license, now, &config).value;
        prop_assert_eq!(more, left > TimeDelta::hours(i64::from(config.escalation_threshold_hours)));
    }

    #[test]
    fn next_workday_is_a_workday_with_none_skipped(
        start in (0i64..3650).prop_map(|k| d("2020-01-01") + TimeDelta::days(k)),
        holidays in prop::collection::vec(0i64..20, 0..12),
    ) {
        let config = PolicyConfig {
            company_holidays: holidays.iter().map(|k| start + TimeDelta::days(*k)).collect(),
            ..utc()
        };
        let next = next_workday_on_or_after(start, &config);
        prop_assert!(next >= start);
        prop_assert!(is_workday(next, &config));
        let mut day = start;
        while day < next {
            prop_assert!(!is_workday(day, &config));
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn nothing_panics_on_any_dates(
        zone in any_zone(),
        now in (DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp())
            .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap()),
        starts in NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce(),
        expires in NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce(),
        is_trial in any::<bool>(),
        grace_period_days in any::<u32>(),
        emergency_window_days in any::<u32>(),
        escalation_threshold_hours in any::<u32>(),
    ) {
        let config = PolicyConfig {
            timezone: zone,
            grace_period_days,
            emergency_window_days,
            escalation_threshold_hours,
            ..PolicyConfig::default()
        };
        let license = License {
            plan: Plan::Free,
            trial: is_trial,
            starts_on: NaiveDate::from_num_days_from_ce_opt(starts).unwrap(),
            expires_on: NaiveDate::from_num_days_from_ce_opt(expires).unwrap(),
            users: 1,
        };
        let _ = today(now, &config);
        let _ = is_weekend(now, &config);
        let _ = start_of(license.starts_on, zone);
        let _ = next_workday_on_or_after(license.expires_on, &config);
        let _ = has_report_on_today(&[license.starts_on, license.expires_on], now, &config);
        let state = license_state(&license, now, &config);
        let _ = is_active_or_in_grace(&license, now, &config);
        let _ = grace_ended_within_window(&license, now, &config);
        let _ = grace_ended_outside_window(&license, now, &config);
        let _ = more_than_hours_remaining(&license, now, &config);
        let _ = remaining(&license, now, &config);
        if let Some(until) = state.until {
            prop_assert!(until > now);
        }
    }
}

#[test]
fn module_is_reachable_by_path() {
    // The functions are also reachable through the module path.
    assert_eq!(
        time::today(at("2026-06-10T00:00:00Z"), &utc()).value,
        d("2026-06-10")
    );
}

#[test]
fn has_started_from_the_start_of_starts_on_in_the_support_zone() {
    let license = paid("2026-12-01", "2027-12-01");
    let ny = config_in("America/New_York");
    // 2026-12-01 00:00 in New York is 05:00 UTC.
    let before = entitle_core::time::has_started(&license, at("2026-12-01T04:59:59Z"), &ny);
    assert!(!before.value);
    assert_eq!(before.until, Some(at("2026-12-01T05:00:00Z")));
    let on = entitle_core::time::has_started(&license, at("2026-12-01T05:00:00Z"), &ny);
    assert!(on.value, "a license whose start date is today has started");
    // Once started, a license stays started: nothing changes the answer again.
    assert_eq!(on.until, None);
    let utc_early = entitle_core::time::has_started(&license, at("2026-12-01T00:00:00Z"), &utc());
    assert!(utc_early.value);
}

/// Found by `examples/fuzz_facts.rs`: in the first week of the calendar,
/// whose Monday lies before `NaiveDate::MIN`, `is_weekend` said it never
/// changes (`until: None`), so decisions at such instants claimed
/// `stable_until: null` (or a later instant than the real change) while the
/// weekend ended or began days later.
#[test]
fn is_weekend_changes_in_the_first_week_of_the_calendar() {
    for zone in [Tz::UTC, tz("America/Santiago"), tz("Asia/Seoul")] {
        let config = PolicyConfig {
            timezone: zone,
            ..utc()
        };
        for hours in (13..24 * 9).step_by(7) {
            let now = DateTime::<Utc>::MIN_UTC + TimeDelta::hours(hours);
            let weekend = is_weekend(now, &config);
            let until = weekend
                .until
                .unwrap_or_else(|| panic!("{zone} {now}: the weekend never starts or ends"));
            assert!(until > now);
            assert!(until <= now + TimeDelta::days(7), "{zone} {now}: {until}");
            let just_before = until - TimeDelta::nanoseconds(1);
            assert_eq!(is_weekend(just_before, &config).value, weekend.value);
            assert_ne!(is_weekend(until, &config).value, weekend.value);
        }
    }
}
