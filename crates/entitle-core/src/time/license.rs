//! License dates (grace end, emergency window) and states.

use chrono::{DateTime, NaiveDate, Utc};

use crate::config::PolicyConfig;
use crate::domain::License;
use crate::graph::{Context, LazyTimed, Until};
use crate::policy::PolicyContext;

use super::*;

/// Exact grace end: `None` when it lies past the end of the calendar.
pub(super) fn grace_end(license: &License, config: &PolicyConfig) -> Option<NaiveDate> {
    if license.trial {
        Some(license.expires_on)
    } else {
        add_days(license.expires_on, config.grace_period_days)
    }
}

/// Exact last day of the emergency window: `None` past the end of the calendar.
pub(super) fn window_end(license: &License, config: &PolicyConfig) -> Option<NaiveDate> {
    grace_end(license, config).and_then(|end| add_days(end, config.emergency_window_days))
}

/// The date on which the grace period ends (spec 1): `expires_on +
/// grace_period_days` for a paid license; `expires_on` for a trial, which has
/// no grace period. The license is in grace on `expires_on ..
/// grace_ends_on` (end exclusive). Saturates at [`NaiveDate::MAX`].
pub fn grace_ends_on(license: &License, config: &PolicyConfig) -> NaiveDate {
    grace_end(license, config).unwrap_or(NaiveDate::MAX)
}

/// The last date inside the emergency window (spec 1): `grace_ends_on +
/// emergency_window_days`. Saturates at [`NaiveDate::MAX`].
pub fn emergency_window_ends_on(license: &License, config: &PolicyConfig) -> NaiveDate {
    window_end(license, config).unwrap_or(NaiveDate::MAX)
}

crate::answers! {
    /// Where a license is in its life (spec 1 and 3.1), on a given date.
    ///
    /// Ordered by lifecycle: a paid license moves through `not-started`,
    /// `active`, `in-grace-period`, `grace-ended-recently`, `lapsed`; a trial
    /// through `not-started`, `trial-active`, `trial-expired`.
    #[derive(serde::Serialize, serde::Deserialize, PartialOrd, Ord)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum LicenseState {
        /// Today is before `starts_on` (a license starting today has started).
        NotStarted => "not-started",
        /// Paid, and today is before `expires_on`.
        Active => "active",
        /// Paid, and `expires_on <= today < grace_ends_on`.
        InGracePeriod => "in-grace-period",
        /// Paid, and `0 <= today - grace_ends_on <= emergency_window_days`.
        GraceEndedRecently => "grace-ended-recently",
        /// Paid, and the grace period ended more than `emergency_window_days` ago.
        Lapsed => "lapsed",
        /// A trial, and today is before `expires_on`.
        TrialActive => "trial-active",
        /// A trial, and today is on or after `expires_on`.
        TrialExpired => "trial-expired",
    }
}

/// The state of `license` on the date `today` (spec 1 and 3.1). The first
/// matching rule wins: `today < starts_on` is `not-started` whatever the
/// other dates say.
pub fn license_state_on(
    license: &License,
    today: NaiveDate,
    config: &PolicyConfig,
) -> LicenseState {
    let before = |end: Option<NaiveDate>| end.is_none_or(|end| today < end);
    if today < license.starts_on {
        LicenseState::NotStarted
    } else if license.trial {
        if today < license.expires_on {
            LicenseState::TrialActive
        } else {
            LicenseState::TrialExpired
        }
    } else if today < license.expires_on {
        LicenseState::Active
    } else if before(grace_end(license, config)) {
        LicenseState::InGracePeriod
    } else if window_end(license, config).is_none_or(|last| today <= last) {
        LicenseState::GraceEndedRecently
    } else {
        LicenseState::Lapsed
    }
}

/// Every date at which a date rule about `license` may change.
pub(super) fn license_breakpoints(
    license: &License,
    config: &PolicyConfig,
) -> [Option<NaiveDate>; 4] {
    [
        Some(license.starts_on),
        Some(license.expires_on),
        grace_end(license, config),
        window_end(license, config).and_then(|last| last.succ_opt()),
    ]
}

/// Evaluates a rule about `license` on today's date; its exact change
/// instant is computed only when asked for.
#[inline(always)]
pub(super) fn license_rule<'c, T: Copy + PartialEq + 'c>(
    license: &'c License,
    cx: &'c PolicyContext<'_>,
    rule: impl Fn(&License, NaiveDate, &PolicyConfig) -> T + 'c,
) -> LazyTimed<T, impl Until + 'c> {
    let config = cx.config;
    by_date(
        cx,
        move |_| license_breakpoints(license, config),
        move |today| rule(license, today, config),
    )
}

/// Declares a rule twice over: `$name(license, now, config) -> Timed<T>`,
/// and `$at(license, cx)` for a decision, whose change instant is computed
/// only when asked for. Both are the same rule of the date: the first is the
/// second with the change instant computed.
///
/// Each rule is written as the shortest test of the dates that gives the
/// answer [`license_state_on`] implies (so the answer alone costs a
/// comparison or two); a property test checks each against it.
macro_rules! license_rules {
    ($(
        $(#[$doc:meta])*
        $name:ident / $at:ident -> $t:ty = $rule:expr;
    )+) => {$(
        $(#[$doc])*
        pub fn $name(license: &License, now: DateTime<Utc>, config: &PolicyConfig) -> Timed<$t> {
            $at(license, &Context::new(now, config)).timed()
        }

        #[doc = concat!("[`", stringify!($name), "`] for a decision, its change instant computed only when asked for.")]
        #[inline]
        pub fn $at<'c>(license: &'c License, cx: &'c PolicyContext<'_>) -> LazyTimed<$t, impl Until + 'c> {
            license_rule(license, cx, $rule)
        }
    )+};
}

/// Whether `today` is before the end of grace (always, if it lies past the
/// end of the calendar). For a trial, the end of grace is its expiry.
#[inline]
pub(super) fn before_grace_end(license: &License, today: NaiveDate, config: &PolicyConfig) -> bool {
    today < license.expires_on || grace_end(license, config).is_none_or(|end| today < end)
}

license_rules! {
    /// The state of `license` at `now` (spec 1 and 3.1), until the start of the
    /// next date on which it changes (e.g. an active license is stable until the
    /// start of `expires_on`; one in grace until the start of `grace_ends_on`).
    license_state / license_state_at -> LicenseState = license_state_on;

    /// Whether the license has started (spec 1: a license whose start date is
    /// today has started, so `today >= starts_on`), until the start of
    /// `starts_on` when it has not. (Every state but `not-started`.)
    has_started / has_started_at -> bool = |license, today, _| today >= license.starts_on;

    /// Whether the license has expired (spec 1: expired from the start of
    /// `expires_on`; `today >= expires_on`). A license that has not started yet
    /// has not expired. (`in-grace-period`, `grace-ended-recently`, `lapsed`,
    /// `trial-expired`.)
    is_expired / is_expired_at -> bool = |license, today, _| {
        today >= license.starts_on && today >= license.expires_on
    };

    /// Whether a paid license is in its grace period (spec 1: `expires_on <=
    /// today < grace_ends_on`). Always false for a trial, which has no grace period.
    is_in_grace_period / is_in_grace_period_at -> bool = |license, today, config| {
        !license.trial
            && today >= license.starts_on
            && today >= license.expires_on
            && before_grace_end(license, today, config)
    };

    /// Whether the license has not lapsed yet: it is still active or in grace
    /// (spec 3.2 step 3, outcome `not-lapsed`): `today < grace_ends_on`.
    ///
    /// A trial has no grace period, so this is true while the trial is active.
    /// A license that has not started yet has not lapsed either, so it counts
    /// (an emergency license is for a license that ran out, not one still to come).
    /// (`not-started`, `active`, `in-grace-period`, `trial-active`.)
    is_active_or_in_grace / is_active_or_in_grace_at -> bool = |license, today, config| {
        today < license.starts_on || before_grace_end(license, today, config)
    };
}

/// Whether the grace period ended within the emergency window (spec 1:
/// `0 <= today - grace_ends_on <= emergency_window_days`, inclusive).
///
/// A trial has no grace period: its grace "ended" when it expired, so the
/// window counts from `expires_on` (day 0 is the expiry date).
pub fn grace_ended_within_window(
    license: &License,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<bool> {
    grace_ended_within_window_at(license, &Context::new(now, config)).timed()
}

/// [`grace_ended_within_window`] for a decision, its change instant computed
/// only when asked for.
#[inline]
pub fn grace_ended_within_window_at<'c>(
    license: &'c License,
    cx: &'c PolicyContext<'_>,
) -> LazyTimed<bool, impl Until + 'c> {
    let config = cx.config;
    let rule = move |today: NaiveDate| {
        today >= license.starts_on
            && grace_end(license, config).is_some_and(|start| start <= today)
            && window_end(license, config).is_none_or(|last| today <= last)
    };
    by_date(cx, move |_| license_breakpoints(license, config), rule)
}

/// Whether the grace period ended more than `emergency_window_days` ago
/// (spec 3.2 step 4, outcome `outside-emergency-window`): `today -
/// grace_ends_on > emergency_window_days`. For a trial the window counts from
/// `expires_on` (see [`grace_ended_within_window`]).
///
/// Exactly the complement of [`is_active_or_in_grace`] and
/// [`grace_ended_within_window`] for a license that has started.
pub fn grace_ended_outside_window(
    license: &License,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Timed<bool> {
    grace_ended_outside_window_at(license, &Context::new(now, config)).timed()
}

/// [`grace_ended_outside_window`] for a decision, its change instant computed
/// only when asked for.
#[inline]
pub fn grace_ended_outside_window_at<'c>(
    license: &'c License,
    cx: &'c PolicyContext<'_>,
) -> LazyTimed<bool, impl Until + 'c> {
    let config = cx.config;
    let rule = move |today: NaiveDate| {
        today >= license.starts_on && window_end(license, config).is_some_and(|last| today > last)
    };
    by_date(cx, move |_| license_breakpoints(license, config), rule)
}
