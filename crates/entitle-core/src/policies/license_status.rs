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

use serde::{Deserialize, Serialize};

use crate::domain::License;
use crate::explain::{date_detail, grace_detail, license_dates, window_detail};
use crate::fact_source::{FactSource, FactSourceError, NoSupplied, StoredFacts};
use crate::graph::{BuildError, GraphBuilder};
use crate::policy::{Details, Policy, PolicyContext, PolicyGraph};
use crate::time;

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
        NotStarted => "not-started": "The license has not started yet",
        /// A paid license before its expiry date.
        Active => "active": "The license is active",
        /// A paid license on or after its expiry date, before its grace period ends.
        InGracePeriod => "in-grace-period": "The license has expired and is in its grace period",
        /// A paid license whose grace period ended within the emergency window.
        GraceEndedRecently => "grace-ended-recently": "The grace period ended within the emergency window",
        /// A paid license whose grace period ended before the emergency window.
        Lapsed => "lapsed": "The license has lapsed: its grace period ended before the emergency window",
        /// A trial before its expiry date.
        TrialActive => "trial-active": "The trial license is active",
        /// A trial on or after its expiry date (trials have no grace period).
        TrialExpired => "trial-expired": "The trial license has expired (trials have no grace period)",
    }
}

/// Spec 3.1 `license-status`.
pub struct LicenseStatus;

impl Policy for LicenseStatus {
    const ID: &'static str = "license-status";
    const SUMMARY: &'static str = "Where a license is in its life today: not started, active, in grace, grace ended recently, lapsed, or a trial's state.";
    const VERSION: u32 = 1;
    const SCENARIOS: &'static str = include_str!("../../scenarios/license-status.toml");
    type Facts = LicenseStatusFacts;
    type Outcome = LicenseStatusOutcome;
    type Action = crate::policy::NoActions;

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
        g.outcomes();
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

impl StoredFacts for LicenseStatus {
    type Supplied = NoSupplied;

    fn assemble(
        source: &impl FactSource,
        _: NoSupplied,
    ) -> Result<LicenseStatusFacts, FactSourceError> {
        Ok(LicenseStatusFacts {
            license: source.license()?,
        })
    }
}
