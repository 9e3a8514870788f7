//! # License status
//!
//! Spec 3.1 `license-status`, built on the time rules of spec section 1 (no
//! seed page of its own: the emergency pages' scope reads "the license's grace
//! period (14 days after expiration) ended within the last 3 days").
//!
//! A license starts on `starts_on` (a license starting today has started). A
//! trial is active until the start of `expires_on` and has no grace period.
//! A paid license is active until the start of `expires_on`, then in its grace
//! period until the start of `grace_ends_on = expires_on + 14 days`; its grace
//! "ended recently" while `0 <= today - grace_ends_on <= 3` (the emergency
//! window), and after that it has lapsed. "Today" is the date in the support
//! time zone. Every outcome carries the license's dates and the day counts
//! that matter for it.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::License;
use crate::explain::{date_detail, grace_detail, window_detail};
use crate::graph::{BuildError, GraphBuilder};
use crate::policy::{Details, Policy, PolicyContext, PolicyGraph};
use crate::time::{self, LicenseState};

/// The license whose status is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LicenseStatusFacts {
    /// The license, with its plan, trial flag, dates and user count.
    pub license: License,
}

crate::outcomes! {
    /// Where a license is in its life today.
    pub enum LicenseStatusOutcome {
        /// Today is before `starts_on`.
        NotStarted => "not-started",
        /// A paid license before its expiry date.
        Active => "active",
        /// A paid license on or after its expiry date, before its grace period ends.
        InGracePeriod => "in-grace-period",
        /// A paid license whose grace period ended within the emergency window.
        GraceEndedRecently => "grace-ended-recently",
        /// A paid license whose grace period ended before the emergency window.
        Lapsed => "lapsed",
        /// A trial before its expiry date.
        TrialActive => "trial-active",
        /// A trial on or after its expiry date (trials have no grace period).
        TrialExpired => "trial-expired",
    }
}

/// Spec 3.1 `license-status`.
pub struct LicenseStatus;

impl Policy for LicenseStatus {
    const ID: &'static str = "license-status";
    const SUMMARY: &'static str = "Where a license is in its life today: not started, active, in grace, grace ended recently, lapsed, or a trial's state.";
    const VERSION: u32 = 1;
    type Facts = LicenseStatusFacts;
    type Outcome = LicenseStatusOutcome;

    fn build() -> Result<PolicyGraph<LicenseStatusFacts, LicenseStatusOutcome>, BuildError> {
        let mut g = GraphBuilder::new(Self::ID);
        g.timed_question(
            "has-started",
            "Has the license started (today is on or after its start date)?",
            |f: &LicenseStatusFacts, cx, want| time::has_started_at(&f.license, cx).get(want),
        )
        .detail(|f, cx| date_detail("starts", f.license.starts_on, cx))
        .yes("is-trial")
        .no("not-started");
        g.question(
            "is-trial",
            "Is it a trial license?",
            |f: &LicenseStatusFacts, _| f.license.trial,
        )
        .yes("trial-has-expired")
        .no("has-expired");
        g.timed_question(
            "trial-has-expired",
            "Has the trial expired (today is on or after its expiry date)?",
            |f: &LicenseStatusFacts, cx, want| time::is_expired_at(&f.license, cx).get(want),
        )
        .detail(|f, cx| date_detail("expires", f.license.expires_on, cx))
        .yes("trial-expired")
        .no("trial-active");
        g.timed_question(
            "has-expired",
            "Has the license expired (today is on or after its expiry date)?",
            |f: &LicenseStatusFacts, cx, want| time::is_expired_at(&f.license, cx).get(want),
        )
        .detail(|f, cx| date_detail("expires", f.license.expires_on, cx))
        .yes("is-in-grace-period")
        .no("active");
        g.timed_question(
            "is-in-grace-period",
            "Is it still in its grace period (before the grace end date)?",
            |f: &LicenseStatusFacts, cx, want| {
                time::is_in_grace_period_at(&f.license, cx).get(want)
            },
        )
        .detail(|f, cx| grace_detail(&f.license, cx))
        .yes("in-grace-period")
        .no("grace-ended-within-window");
        g.timed_question(
            "grace-ended-within-window",
            "Did the grace period end within the emergency window (the last 3 days by default)?",
            |f: &LicenseStatusFacts, cx, want| {
                time::grace_ended_within_window_at(&f.license, cx).get(want)
            },
        )
        .detail(|f, cx| window_detail(&f.license, cx))
        .yes("grace-ended-recently")
        .no("lapsed");
        g.outcome(
            "not-started",
            "The license has not started yet",
            LicenseStatusOutcome::NotStarted,
        )
        .outcome(
            "active",
            "The license is active",
            LicenseStatusOutcome::Active,
        )
        .outcome(
            "in-grace-period",
            "The license has expired and is in its grace period",
            LicenseStatusOutcome::InGracePeriod,
        )
        .outcome(
            "grace-ended-recently",
            "The grace period ended within the emergency window",
            LicenseStatusOutcome::GraceEndedRecently,
        )
        .outcome(
            "lapsed",
            "The license has lapsed: its grace period ended before the emergency window",
            LicenseStatusOutcome::Lapsed,
        )
        .outcome(
            "trial-active",
            "The trial license is active",
            LicenseStatusOutcome::TrialActive,
        )
        .outcome(
            "trial-expired",
            "The trial license has expired (trials have no grace period)",
            LicenseStatusOutcome::TrialExpired,
        );
        g.build()
    }

    fn details(
        _: LicenseStatusOutcome,
        facts: &LicenseStatusFacts,
        cx: &PolicyContext<'_>,
    ) -> Details {
        license_dates(&facts.license, cx)
    }
}

/// The dates of `license` and the day counts that matter in its state today,
/// as outcome data: `starts_on`, `expires_on`, `grace_ends_on` (paid licenses
/// only; a trial has no grace period), and
/// - not started: `days_remaining` until `starts_on`;
/// - active (paid or trial): `days_remaining` until `expires_on`;
/// - in grace: `days_since` `expires_on` and `days_remaining` until `grace_ends_on`;
/// - grace ended (recently or lapsed): `days_since` `grace_ends_on`;
/// - trial expired: `days_since` `expires_on`.
pub(crate) fn license_dates(license: &License, cx: &PolicyContext<'_>) -> Details {
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
