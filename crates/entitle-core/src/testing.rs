//! Property testing of the policies under a configuration (feature
//! `testing`): proptest strategies for every policy's facts and for
//! [`PolicyConfig`], and the spec's invariants as callable checks.
//!
//! - [`facts`] generates the typed facts of any registered policy from the
//!   JSON Schema of its facts type (dates and instants near a base day, the
//!   enums' values, small counts), so it follows the facts as they evolve.
//!   [`instant`] generates a `now` in the same range, [`policy_config`] a
//!   valid configuration.
//! - [`check_case`] runs every invariant on one input; the single checks
//!   ([`check_temporary_license_cap`], [`check_trial_only`],
//!   [`check_single_license`], [`check_status_monotone`], ...) work on
//!   decisions a wrapper made, so another crate's CI can check its own
//!   wrappers and configuration.
//! - [`check_policy`] and [`check_all`] run the invariants for `cases`
//!   random inputs from a seed and return a shrunk [`Counterexample`]
//!   (`now` and facts as JSON, ready for `entitle decide`).
//!
//! ```
//! use entitle_core::config::PolicyConfig;
//! use entitle_core::policies::LicenseStatus;
//! use entitle_core::testing::check_policy;
//!
//! let report = check_policy::<LicenseStatus>(&PolicyConfig::default(), 64, 7);
//! assert!(report.is_ok());
//! ```

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::{PolicyConfig, TEMPORARY_LICENSE_HARD_CAP_DAYS};
use crate::policy::{
    Details, LicenseEffect, Outcome as _, PolicyDecision, PolicyVisitor, Registered, decide,
    evaluate,
};

/// The day generated dates and instants gather around (Monday 2026-11-23).
pub const BASE_DAY: (i32, u32, u32) = (2026, 11, 23);

fn base_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(BASE_DAY.0, BASE_DAY.1, BASE_DAY.2).unwrap_or_default()
}

/// Days from [`BASE_DAY`]: mostly within three weeks, often where a
/// license's grace period ends near it (expired 12 to 18 days before),
/// sometimes a year away.
fn day_offset() -> impl Strategy<Value = i64> {
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
/// five holidays near [`BASE_DAY`].
pub fn policy_config() -> impl Strategy<Value = PolicyConfig> {
    (
        prop::sample::select(TIMEZONES),
        0u32..=60,
        0u32..=10,
        1u32..=72,
        (1u32..=TEMPORARY_LICENSE_HARD_CAP_DAYS).prop_flat_map(|max| (1u32..=max, Just(max))),
        prop::collection::vec(date(), 0..5),
    )
        .prop_map(
            |(tz, grace, window, hours, (days, max_days), holidays)| PolicyConfig {
                timezone: tz.parse().unwrap_or(chrono_tz::Tz::UTC),
                grace_period_days: grace,
                emergency_window_days: window,
                escalation_threshold_hours: hours,
                temporary_license_days: days,
                temporary_license_max_days: max_days,
                company_holidays: holidays,
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
fn json_for(schema: &Value, root: &Value, name: &str, depth: usize) -> BoxedStrategy<Value> {
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

fn typed(t: &str, schema: &Value, root: &Value, name: &str, depth: usize) -> BoxedStrategy<Value> {
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

fn string(schema: &Value, name: &str) -> BoxedStrategy<Value> {
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

fn violation(invariant: Invariant, message: impl Into<String>) -> Violation {
    Violation {
        invariant,
        message: message.into(),
    }
}

/// The path of a decision as `node=answer` steps.
fn path<O>(decision: &PolicyDecision<O>) -> Vec<String> {
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
fn status_rank(outcome: &str) -> Option<u8> {
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

/// A shrunk input on which an invariant does not hold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Counterexample {
    /// The policy id.
    pub policy: &'static str,
    /// The invariant, if a check failed (`None`: the run itself failed, e.g.
    /// too many generated facts were refused).
    pub invariant: Option<Invariant>,
    /// What was seen.
    pub message: String,
    /// The instant (RFC 3339), for `entitle decide --now`.
    pub now: String,
    /// The later instant used by the monotonicity check.
    pub later: String,
    /// The facts, for `entitle decide --facts`.
    pub facts: Value,
}

fn seeded_runner(cases: u32, seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        let word = seed.wrapping_add(i as u64).to_le_bytes();
        chunk.copy_from_slice(&word);
    }
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2048,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Runs [`check_case`] for `cases` inputs of policy `P` generated from
/// `seed` under `config`; on failure, the shrunk counterexample.
pub fn check_policy<P: Registered>(
    config: &PolicyConfig,
    cases: u32,
    seed: u64,
) -> Result<(), Box<Counterexample>> {
    let mut runner = seeded_runner(cases, seed);
    let strategy = (facts::<P>(), instant(), 0i64..=60 * 86_400);
    let result = runner.run(&strategy, |(facts, now, delta)| {
        let later = now + TimeDelta::seconds(delta);
        check_case::<P>(&facts, now, later, config).map_err(|v| TestCaseError::fail(v.to_string()))
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, (facts, now, delta))) => {
            let later = now + TimeDelta::seconds(delta);
            let found = check_case::<P>(&facts, now, later, config).err();
            Err(Box::new(Counterexample {
                policy: P::ID,
                invariant: found.as_ref().map(|v| v.invariant),
                message: found.map_or_else(|| reason.to_string(), |v| v.message),
                now: rfc3339(now),
                later: rfc3339(later),
                facts: serde_json::to_value(&facts).unwrap_or_default(),
            }))
        }
        Err(TestError::Abort(reason)) => Err(Box::new(Counterexample {
            policy: P::ID,
            invariant: None,
            message: format!("the run was aborted: {reason}"),
            now: String::new(),
            later: String::new(),
            facts: Value::Null,
        })),
    }
}

/// The result of checking one policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyCheck {
    /// The policy id.
    pub policy: &'static str,
    /// Inputs tried.
    pub cases: u32,
    /// The counterexample, if an invariant does not hold.
    pub counterexample: Option<Box<Counterexample>>,
}

/// [`check_policy`] for every registered policy, in registry order.
pub fn check_all(config: &PolicyConfig, cases: u32, seed: u64) -> Vec<PolicyCheck> {
    struct Check<'a> {
        config: &'a PolicyConfig,
        cases: u32,
        seed: u64,
    }
    impl PolicyVisitor for Check<'_> {
        type Output = PolicyCheck;
        fn visit<P: Registered>(self) -> PolicyCheck {
            PolicyCheck {
                policy: P::ID,
                cases: self.cases,
                counterexample: check_policy::<P>(self.config, self.cases, self.seed).err(),
            }
        }
    }
    crate::policies::POLICIES
        .iter()
        .filter_map(|info| {
            crate::policies::visit(
                info.id,
                Check {
                    config,
                    cases,
                    seed,
                },
            )
            .ok()
        })
        .collect()
}
