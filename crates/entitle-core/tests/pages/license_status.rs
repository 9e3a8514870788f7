//! Spec 3.1 `license-status`: scenarios at every boundary of spec section 1,
//! and properties (totality, determinism, honest `stable_until`, time only
//! moves a license forward through its states).
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use super::emergency_support;

use chrono::{DateTime, TimeDelta, Utc};
use emergency_support::*;
use entitle_core::config::PolicyConfig;
use entitle_core::domain::License;
use entitle_core::policies::{LicenseStatus, LicenseStatusFacts, LicenseStatusOutcome};
use entitle_core::policy::{Outcome, Policy, decide, evaluate};
use proptest::prelude::*;

use LicenseStatusOutcome::*;

fn decide_at(
    license: License,
    now: &str,
    config: &PolicyConfig,
) -> entitle_core::policy::PolicyDecision<LicenseStatusOutcome> {
    evaluate::<LicenseStatus>(&LicenseStatusFacts { license }, at(now), config).unwrap()
}

// Spec section 1 at every boundary (time zones, summer time, configured
// grace and window, trials), row by row: the table "every boundary of spec
// section 1" of `scenarios/license-status.toml`.

#[test]
fn outcome_ids_are_the_spec_ids() {
    let ids: Vec<&str> = LicenseStatusOutcome::ALL.iter().map(|o| o.id()).collect();
    assert_eq!(
        ids,
        [
            "not-started",
            "active",
            "in-grace-period",
            "grace-ended-recently",
            "lapsed",
            "trial-active",
            "trial-expired"
        ]
    );
    assert_eq!(LicenseStatus::ID, "license-status");
}

#[test]
fn outcomes_carry_dates_and_day_counts() {
    let yearly = paid("2025-11-25", "2026-11-25");
    let cases = [
        // (now, days_remaining, days_since)
        ("2026-11-20T10:00:00Z", Some(5), None),
        ("2026-11-25T10:00:00Z", Some(14), Some(0)),
        ("2026-12-08T10:00:00Z", Some(1), Some(13)),
        ("2026-12-12T10:00:00Z", None, Some(3)),
        ("2026-12-20T10:00:00Z", None, Some(11)),
    ];
    for (now, remaining, since) in cases {
        let details = decide_at(yearly, now, &utc()).details;
        assert_eq!(details.starts_on, Some(d("2025-11-25")), "{now}");
        assert_eq!(details.expires_on, Some(d("2026-11-25")), "{now}");
        assert_eq!(details.grace_ends_on, Some(d("2026-12-09")), "{now}");
        assert_eq!(details.days_remaining, remaining, "{now}: days_remaining");
        assert_eq!(details.days_since, since, "{now}: days_since");
    }
    let not_started = decide_at(
        paid("2026-12-01", "2027-12-01"),
        "2026-11-23T10:00:00Z",
        &utc(),
    );
    assert_eq!(not_started.details.days_remaining, Some(8));
    let t = trial("2026-10-26", "2026-11-25");
    let active = decide_at(t, "2026-11-23T10:00:00Z", &utc()).details;
    assert_eq!(active.days_remaining, Some(2));
    assert_eq!(active.grace_ends_on, None, "a trial has no grace period");
    let expired = decide_at(t, "2026-11-28T10:00:00Z", &utc()).details;
    assert_eq!(
        (expired.days_remaining, expired.days_since),
        (None, Some(3))
    );
    // Day counts use today's date in the support time zone.
    let ny = decide_at(
        yearly,
        "2026-12-13T03:00:00Z",
        &config_in("America/New_York"),
    );
    assert_eq!(ny.outcome, GraceEndedRecently);
    assert_eq!(ny.details.days_since, Some(3));
}

#[test]
fn the_trace_explains_with_dates() {
    let decision = decide_at(
        paid("2025-11-25", "2026-11-25"),
        "2026-12-08T12:00:00Z",
        &utc(),
    );
    let steps: Vec<(&str, &str)> = path(&decision);
    assert_eq!(
        steps,
        [
            ("has-started", "yes"),
            ("is-trial", "no"),
            ("has-expired", "yes"),
            ("is-in-grace-period", "yes")
        ]
    );
    assert_eq!(
        decision.trace[3].detail.as_deref(),
        Some("grace ends 2026-12-09, in 12 h")
    );
    assert_eq!(
        decision.trace[2].detail.as_deref(),
        Some("expired 2026-11-25, 13 days ago")
    );
}

#[test]
fn examples_take_every_path() {
    assert_eq!(
        paths_without_example::<LicenseStatus>(),
        Vec::<String>::new()
    );
}

/// The rank of a state on the lifecycle; a trial's states share the ranks of
/// the paid ones they replace.
fn rank(outcome: LicenseStatusOutcome) -> u8 {
    match outcome {
        NotStarted => 0,
        Active | TrialActive => 1,
        InGracePeriod | TrialExpired => 2,
        GraceEndedRecently => 3,
        Lapsed => 4,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn total_deterministic_and_stable_until_is_honest(
        (license, now) in license_and_now(),
        config in valid_config(),
        probes in probes(),
    ) {
        let facts = LicenseStatusFacts { license };
        let decision = check_decision::<LicenseStatus>(&facts, now, &config, &probes)?;
        // A trial's outcomes and a paid license's never mix.
        let trial_outcome = matches!(decision.outcome, TrialActive | TrialExpired);
        let paid_outcome = matches!(decision.outcome, Active | InGracePeriod | GraceEndedRecently | Lapsed);
        if license.trial {
            prop_assert!(!paid_outcome, "a trial decided {:?}", decision.outcome);
        } else {
            prop_assert!(!trial_outcome, "a paid license decided {:?}", decision.outcome);
        }
    }

    #[test]
    fn decides_under_any_configuration(
        (license, now) in license_and_now(),
        config in any_config(),
    ) {
        let facts = LicenseStatusFacts { license };
        prop_assert!(decide::<LicenseStatus>(&facts, now, &config).is_ok());
    }

    /// Safety: as `now` advances, the state only moves forward:
    /// not-started -> active -> in-grace-period -> grace-ended-recently ->
    /// lapsed; not-started -> trial-active -> trial-expired.
    #[test]
    fn time_only_moves_a_license_forward(
        (license, now) in license_and_now(),
        steps in prop::collection::vec(0i64..20 * 86_400, 1..12),
        config in valid_config(),
    ) {
        let facts = LicenseStatusFacts { license };
        let mut t: DateTime<Utc> = now;
        let mut previous = decide::<LicenseStatus>(&facts, t, &config).unwrap();
        for step in steps {
            t += TimeDelta::seconds(step);
            let next = decide::<LicenseStatus>(&facts, t, &config).unwrap();
            prop_assert!(
                rank(next) >= rank(previous),
                "{:?} at {} after {:?}", next, t, previous
            );
            previous = next;
        }
    }
}

proptest! {
    /// A date is counted one way: the trace's `expires …, in N days` is the
    /// decision's `days_remaining` at every hour of the day (#23 item 8: an
    /// instant's distance, floored, said a day less than the calendar).
    #[test]
    fn the_trace_counts_a_date_in_the_days_the_details_count(
        hour in 0u32..24,
        days_ahead in 3i64..800,
    ) {
        let now = at(&format!("2026-11-23T{hour:02}:30:00Z"));
        let config = PolicyConfig::default();
        let today = now.with_timezone(&config.timezone).date_naive();
        let expires_on = today + TimeDelta::days(days_ahead);
        let license = License {
            expires_on,
            ..super::fixtures::paid("2026-01-01", "2027-01-01")
        };
        let decision =
            evaluate::<LicenseStatus>(&LicenseStatusFacts { license }, now, &config).unwrap();
        let remaining = decision.details.days_remaining.unwrap();
        prop_assert_eq!(remaining, days_ahead);
        let said = format!("expires {expires_on}, in {remaining} days");
        prop_assert!(
            decision.trace.iter().any(|s| s.detail.as_deref() == Some(said.as_str())),
            "no `{}` in {:?}", said, decision.trace.iter().map(|s| &s.detail).collect::<Vec<_>>()
        );
    }
}
