//! A decision as the adapters show it: a JSON report and a readable
//! explanation.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use thiserror::Error;

use crate::config::PolicyConfig;
use crate::facts::{FactsError, parse_facts};
use crate::graph::{Answer, Step};
use crate::policy::{
    Details, Outcome, Policy, PolicyDecision, PolicyError, PolicyVisitor, Registered, Subject,
    evaluate,
};

/// A decision with everything needed to explain and audit it. Its JSON form
/// is the output of `entitle decide` and of the HTTP service.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DecisionReport {
    /// The policy id.
    pub policy: &'static str,
    /// The policy's behaviour version.
    pub version: u32,
    /// When the decision was made.
    #[serde(serialize_with = "rfc3339")]
    pub now: DateTime<Utc>,
    /// The outcome id.
    pub outcome: &'static str,
    /// What the outcome means (not in the JSON form; see `trace`).
    #[serde(skip)]
    pub outcome_text: &'static str,
    /// The data the outcome carries.
    pub details: Details,
    /// When the same facts would next be decided differently.
    #[serde(serialize_with = "rfc3339_opt")]
    pub stable_until: Option<DateTime<Utc>>,
    /// The configuration used.
    pub config: PolicyConfig,
    /// Every step from the root to the outcome.
    pub trace: Vec<Step<'static>>,
    /// Which ticket and requester the facts are about, as the policy says
    /// (not in the JSON form: the facts are).
    #[serde(skip)]
    pub subject: Subject,
}

fn rfc3339<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

fn rfc3339_opt<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}

/// Why a JSON decision could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecideError {
    /// The facts are not valid for the policy.
    #[error(transparent)]
    Facts(#[from] FactsError),
    /// Unknown policy, invalid configuration, or a defect of the policy.
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// Builds the report of a typed decision.
pub fn report_for<P: Policy>(
    decision: PolicyDecision<P::Outcome>,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> DecisionReport {
    DecisionReport {
        policy: P::ID,
        version: P::VERSION,
        now,
        outcome: decision.outcome.id(),
        outcome_text: decision.outcome_text,
        details: decision.details,
        stable_until: decision.stable_until,
        config: config.clone(),
        trace: decision.trace,
        subject: decision.subject,
    }
}

/// Decides JSON `facts` under the policy `policy` at `now`.
pub fn decide_json(
    policy: &str,
    facts: &[u8],
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Result<DecisionReport, DecideError> {
    struct Decide<'a> {
        facts: &'a [u8],
        now: DateTime<Utc>,
        config: &'a PolicyConfig,
    }
    impl PolicyVisitor for Decide<'_> {
        type Output = Result<DecisionReport, DecideError>;
        fn visit<P: Registered>(self) -> Self::Output {
            let facts: P::Facts = parse_facts(self.facts)?;
            let decision = evaluate::<P>(&facts, self.now, self.config)?;
            Ok(report_for::<P>(decision, self.now, self.config))
        }
    }
    crate::policies::visit(policy, Decide { facts, now, config })?
}

impl DecisionReport {
    /// A plain-text explanation a support engineer can paste into a ticket:
    /// the decision, the reasons in order, what to do next, and when the
    /// decision would change.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Decision: {} ({})", self.outcome_text, self.outcome);
        let _ = writeln!(
            out,
            "Policy: {} v{}, decided at {} (support time zone {})",
            self.policy,
            self.version,
            self.now.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            self.config.timezone
        );
        let _ = writeln!(out, "\nWhy:");
        for (i, step) in self.trace.iter().enumerate() {
            let _ = write!(out, "  {}. {} {}", i + 1, step.question, step.answer);
            match &step.detail {
                Some(detail) => {
                    let _ = writeln!(out, " ({detail})");
                }
                None => out.push('\n'),
            }
        }
        let details = details_lines(&self.details);
        if !details.is_empty() {
            let _ = writeln!(out, "\nDetails:");
            for line in details {
                let _ = writeln!(out, "  {line}");
            }
        }
        if !self.details.actions.is_empty() {
            let _ = writeln!(out, "\nNext steps:");
            for action in &self.details.actions {
                let _ = writeln!(out, "  - {}", action.text);
            }
        }
        match self.stable_until {
            Some(t) => {
                let local = t.with_timezone(&self.config.timezone);
                let _ = writeln!(
                    out,
                    "\nThis changes at {} ({} {}).",
                    t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                    local.format("%A %Y-%m-%d %H:%M"),
                    self.config.timezone
                );
            }
            None => {
                let _ = writeln!(out, "\nThis does not change with time for these facts.");
            }
        }
        out
    }
}

fn details_lines(d: &Details) -> Vec<String> {
    let mut lines = Vec::new();
    let mut push = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            lines.push(format!("{key}: {value}"));
        }
    };
    push("plan", d.plan.map(|p| p.label().to_owned()));
    push("users", d.users.map(|u| u.to_string()));
    push("days", d.days.map(|u| u.to_string()));
    push("email", d.email.clone());
    push("starts_on", d.starts_on.map(|x| x.to_string()));
    push("expires_on", d.expires_on.map(|x| x.to_string()));
    push("grace_ends_on", d.grace_ends_on.map(|x| x.to_string()));
    push("days_remaining", d.days_remaining.map(|x| x.to_string()));
    push("days_since", d.days_since.map(|x| x.to_string()));
    push("review_on", d.review_on.map(|x| x.to_string()));
    push("reviewer", d.reviewer.as_ref().map(|x| x.to_string()));
    push(
        "missing",
        (!d.missing.is_empty()).then(|| d.missing.join(", ")),
    );
    push("internal_request", d.internal_request.clone());
    lines
}
