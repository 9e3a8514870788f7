//! The spec's invariants, each a callable check of one decision (or two).

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::config::{PolicyConfig, TEMPORARY_LICENSE_HARD_CAP_DAYS};
use crate::policy::{
    Details, LicenseEffect, Outcome as _, PolicyDecision, Registered, decide, evaluate,
};

/// An invariant of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    /// Every input gets a decision: no error, no panic.
    Totality,
    /// The same input always gets the same decision (and `decide` agrees
    /// with `evaluate`).
    Determinism,
    /// `stable_until` is honest: the same path just before it, another at it.
    StableUntil,
    /// `license-status` moves forward in time only.
    StatusMonotone,
    /// A generated temporary license never lasts longer than the cap.
    TemporaryLicenseCap,
    /// `star-self-managed` never generates a non-trial license, for any actor.
    TrialOnly,
    /// A follow-up never creates a second license.
    SingleLicense,
}

impl Invariant {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::Totality => "totality",
            Invariant::Determinism => "determinism",
            Invariant::StableUntil => "stable-until",
            Invariant::StatusMonotone => "status-monotone",
            Invariant::TemporaryLicenseCap => "temporary-license-cap",
            Invariant::TrialOnly => "trial-only",
            Invariant::SingleLicense => "single-license",
        }
    }
}

/// An invariant that does not hold, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{}: {message}", invariant.name())]
pub struct Violation {
    /// Which invariant.
    pub invariant: Invariant,
    /// What was seen.
    pub message: String,
}

pub(super) fn violation(invariant: Invariant, message: impl Into<String>) -> Violation {
    Violation {
        invariant,
        message: message.into(),
    }
}

/// The path of a decision as `node=answer` steps.
pub(super) fn path<O>(decision: &PolicyDecision<O>) -> Vec<String> {
    decision
        .trace
        .iter()
        .map(|s| format!("{}={}", s.node, s.answer))
        .collect()
}

/// Totality: `P` decides `facts` at `now` under `config`.
pub fn check_totality<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Result<PolicyDecision<P::Outcome>, Violation> {
    evaluate::<P>(facts, now, config).map_err(|e| violation(Invariant::Totality, e.to_string()))
}

/// Determinism: deciding again gives `first` again, and `decide` agrees.
pub fn check_determinism<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
    first: &PolicyDecision<P::Outcome>,
) -> Result<(), Violation> {
    let again = check_totality::<P>(facts, now, config)?;
    if &again != first {
        return Err(violation(
            Invariant::Determinism,
            "a second evaluation differs from the first",
        ));
    }
    let fast = decide::<P>(facts, now, config)
        .map_err(|e| violation(Invariant::Totality, e.to_string()))?;
    if fast != first.outcome {
        return Err(violation(
            Invariant::Determinism,
            format!(
                "decide says {}, evaluate says {}",
                fast.id(),
                first.outcome.id()
            ),
        ));
    }
    Ok(())
}

/// `stable_until` honesty: with `stable_until = t`, `t` is after `now`, the
/// path is the same one second before `t` (when that is after `now`) and a
/// different one at `t`.
pub fn check_stable_until<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
    decision: &PolicyDecision<P::Outcome>,
) -> Result<(), Violation> {
    let Some(until) = decision.stable_until else {
        return Ok(());
    };
    let at = |t: DateTime<Utc>| check_totality::<P>(facts, t, config).map(|d| path(&d));
    let here = path(decision);
    if until <= now {
        return Err(violation(
            Invariant::StableUntil,
            format!("stable_until {until} is not after now {now}"),
        ));
    }
    if at(until)? == here {
        return Err(violation(
            Invariant::StableUntil,
            format!(
                "the path is still {} at stable_until {until}",
                here.join(", ")
            ),
        ));
    }
    if let Some(before) = until.checked_sub_signed(TimeDelta::seconds(1)) {
        if before > now && at(before)? != here {
            return Err(violation(
                Invariant::StableUntil,
                format!("the path already changed at {before}, before stable_until {until}"),
            ));
        }
    }
    Ok(())
}

/// The cap: a decision that generates a license of `days` days stays within
/// `temporary_license_max_days` and the hard cap.
pub fn check_temporary_license_cap(
    details: &Details,
    config: &PolicyConfig,
) -> Result<(), Violation> {
    match details.days {
        Some(days)
            if days > config.temporary_license_max_days
                || days > TEMPORARY_LICENSE_HARD_CAP_DAYS =>
        {
            Err(violation(
                Invariant::TemporaryLicenseCap,
                format!(
                    "a {days}-day license (max {} days, hard cap {TEMPORARY_LICENSE_HARD_CAP_DAYS})",
                    config.temporary_license_max_days
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// `star-self-managed` generates a license only as `generate-trial-license`.
pub fn check_trial_only(outcome: &str, details: &Details) -> Result<(), Violation> {
    let generates = details.plan.is_some() || details.users.is_some() || details.days.is_some();
    let creates = details
        .actions
        .iter()
        .any(|a| a.license == LicenseEffect::Create);
    if (generates || creates) && outcome != "generate-trial-license" {
        return Err(violation(
            Invariant::TrialOnly,
            format!("outcome {outcome} generates a license that is not a trial"),
        ));
    }
    Ok(())
}

/// A follow-up never creates a license (it may only re-run a failed one).
pub fn check_single_license(details: &Details) -> Result<(), Violation> {
    match details
        .actions
        .iter()
        .find(|a| a.license == LicenseEffect::Create)
    {
        Some(action) => Err(violation(
            Invariant::SingleLicense,
            format!("action {} creates a second license", action.id),
        )),
        None => Ok(()),
    }
}

/// The order of `license-status` outcomes in time (trials and paid
/// licenses each move forward only).
pub(super) fn status_rank(outcome: &str) -> Option<u8> {
    Some(match outcome {
        "not-started" => 0,
        "active" | "trial-active" => 1,
        "in-grace-period" | "trial-expired" => 2,
        "grace-ended-recently" => 3,
        "lapsed" => 4,
        _ => return None,
    })
}

/// `license-status` is monotone: the status at `later` is not before the
/// status at `earlier`.
pub fn check_status_monotone(earlier: &str, later: &str) -> Result<(), Violation> {
    match (status_rank(earlier), status_rank(later)) {
        (Some(a), Some(b)) if a <= b => Ok(()),
        _ => Err(violation(
            Invariant::StatusMonotone,
            format!("the status went from {earlier} back to {later}"),
        )),
    }
}

/// Every invariant for one input: `later` (not before `now`) is used by the
/// time-monotonicity check.
pub fn check_case<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    later: DateTime<Utc>,
    config: &PolicyConfig,
) -> Result<(), Violation> {
    let decision = check_totality::<P>(facts, now, config)?;
    check_determinism::<P>(facts, now, config, &decision)?;
    check_stable_until::<P>(facts, now, config, &decision)?;
    check_temporary_license_cap(&decision.details, config)?;
    match P::ID {
        "star-self-managed" => check_trial_only(decision.outcome.id(), &decision.details)?,
        "emergency-license-follow-up" => check_single_license(&decision.details)?,
        "license-status" => {
            let then = check_totality::<P>(facts, later, config)?;
            check_status_monotone(decision.outcome.id(), then.outcome.id())?;
        }
        _ => {}
    }
    Ok(())
}
