//! What a policy is: a public id, typed facts, a typed outcome, the decision
//! graph that reads like its handbook page, and the data each outcome carries.

use std::fmt::Debug;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

mod action;
mod details;
mod outcome;
mod registry;

pub use action::{Action, ActionInfo, LicenseEffect, Message, NoActions, PolicyAction};
pub use details::Details;
pub use outcome::Outcome;

use crate::config::{ConfigError, PolicyConfig};
use crate::graph::{BuildError, Context, DecisionGraph, EvalError, Step};

/// The graph type of every policy: facts `F`, outcomes `O`, under [`PolicyConfig`].
pub type PolicyGraph<F, O> = DecisionGraph<F, O, PolicyConfig>;

/// The context every policy question receives.
pub type PolicyContext<'a> = Context<'a, PolicyConfig>;

/// A policy: one handbook page as code.
///
/// Implement it in one file under `policies/` and add one line to the
/// registry in `policies/mod.rs`. Its worked examples are data: the
/// scenarios of `scenarios/<policy-id>.toml` (read by the facade's
/// `entitle::scenario::examples`), which together take every edge of the
/// graph (a test checks it).
pub trait Policy: 'static {
    /// Public id (`weekend-emergency`).
    const ID: &'static str;
    /// One-line summary.
    const SUMMARY: &'static str;
    /// Version of the policy's behaviour; bump it when a decision changes.
    const VERSION: u32;
    /// The facts have an `actor` member naming who decides (a support
    /// engineer, a manager): an adapter sets it from the caller's role
    /// rather than trusting the request body.
    const ROLE_SENSITIVE: bool = false;
    /// The policy's worked examples: its scenario file
    /// (`scenarios/<id>.toml`, TOML, one scenario per path at least),
    /// embedded with `include_str!`. `entitle examples` shows them and the
    /// policies suite checks that they take every edge.
    const SCENARIOS: &'static str;
    /// The facts the policy decides on.
    type Facts: Debug + Serialize + DeserializeOwned + FactsSchema + Send + Sync + 'static;
    /// The policy's outcomes.
    type Outcome: Outcome;
    /// The policy's actions, declared with [`actions!`](crate::actions)
    /// ([`NoActions`] for none).
    type Action: PolicyAction;

    /// Builds the decision graph, its questions in the page's order.
    fn build() -> Result<PolicyGraph<Self::Facts, Self::Outcome>, BuildError>;

    /// The data `outcome` carries for these facts at this time.
    fn details(outcome: Self::Outcome, facts: &Self::Facts, cx: &PolicyContext<'_>) -> Details;

    /// Which ticket and requester these facts are about, where the facts
    /// say (an outbox addresses the decision's actions to them). None by
    /// default.
    fn subject(facts: &Self::Facts) -> Subject {
        let _ = facts;
        Subject::default()
    }
}

/// Which ticket and requester a decision's facts are about
/// ([`Policy::subject`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subject {
    /// The ticket's URL.
    pub ticket_url: Option<String>,
    /// The email of the person who opened the ticket.
    pub requester_email: Option<String>,
}

impl Subject {
    /// The ticket at `ticket_url`, opened by `requester_email`.
    pub fn new(ticket_url: Option<&str>, requester_email: Option<&str>) -> Subject {
        Subject {
            ticket_url: ticket_url.map(str::to_owned),
            requester_email: requester_email.map(str::to_owned),
        }
    }
}

/// A facts type's JSON Schema is available (with the `schema` feature).
#[cfg(feature = "schema")]
pub trait FactsSchema: schemars::JsonSchema {}
#[cfg(feature = "schema")]
impl<T: schemars::JsonSchema> FactsSchema for T {}

/// A facts type's JSON Schema is available (with the `schema` feature).
#[cfg(not(feature = "schema"))]
pub trait FactsSchema {}
#[cfg(not(feature = "schema"))]
impl<T> FactsSchema for T {}

/// A policy registered in [`crate::policies`], with its graph built once.
pub trait Registered: Policy {
    /// The policy's validated graph, built on first use.
    fn graph() -> Result<&'static PolicyGraph<Self::Facts, Self::Outcome>, PolicyError>;
}

/// Why a policy could not decide.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The policy's graph failed validation (a defect of the policy).
    #[error("policy `{policy}`: {error}")]
    Graph {
        /// The policy id.
        policy: &'static str,
        /// What is wrong with its graph.
        error: BuildError,
    },
    /// Evaluation failed (a defect of an answer type).
    #[error(transparent)]
    Eval(#[from] EvalError),
    /// No policy has this id.
    #[error("unknown policy `{0}`; `entitle policies` lists them")]
    UnknownPolicy(String),
}

/// Who has to act on a [`PolicyError`]: what an adapter maps to an exit
/// code or an HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The request names something that does not exist (an unknown policy).
    Request,
    /// The configuration is invalid: the fault of whoever supplied it (the
    /// user of the CLI; the operator of a service, which validates it at
    /// start).
    Config,
    /// A defect of entitle or of a policy (a graph that fails validation, an
    /// answer type that breaks its contract).
    Defect,
}

impl PolicyError {
    /// Who has to act on this error.
    pub fn fault(&self) -> Fault {
        match self {
            Self::UnknownPolicy(_) => Fault::Request,
            Self::Config(_) => Fault::Config,
            Self::Graph { .. } | Self::Eval(_) => Fault::Defect,
        }
    }
}

/// A policy's decision with its explanation and data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyDecision<O> {
    /// The outcome.
    pub outcome: O,
    /// What the outcome means, in words.
    pub outcome_text: &'static str,
    /// The data the outcome carries.
    pub details: Details,
    /// When the same facts would next be decided differently.
    pub stable_until: Option<DateTime<Utc>>,
    /// Every step from the root to the outcome.
    pub trace: Vec<Step<'static>>,
    /// Which ticket and requester the facts are about (not in the JSON
    /// form: the facts are).
    #[serde(skip)]
    pub subject: Subject,
}

/// Decides `facts` under policy `P` at `now`: outcome, details,
/// `stable_until` and trace. The configuration is validated first.
pub fn evaluate<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Result<PolicyDecision<P::Outcome>, PolicyError> {
    config.validate()?;
    let graph = P::graph()?;
    let cx = Context::new(now, config);
    let decision = graph.evaluate(facts, &cx)?;
    let outcome = *decision.outcome;
    Ok(PolicyDecision {
        outcome,
        outcome_text: decision.outcome_text,
        details: P::details(outcome, facts, &cx),
        stable_until: decision.stable_until,
        trace: decision.trace,
        subject: P::subject(facts),
    })
}

/// Decides the outcome alone (no trace, no details, no allocation). The
/// configuration is trusted: validate it once with [`PolicyConfig::validate`].
pub fn decide<P: Registered>(
    facts: &P::Facts,
    now: DateTime<Utc>,
    config: &PolicyConfig,
) -> Result<P::Outcome, PolicyError> {
    let graph = P::graph()?;
    Ok(*graph.decide(facts, &Context::new(now, config))?)
}

/// Id, summary, version and declared actions of a registered policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct PolicyInfo {
    /// Public id.
    pub id: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Behaviour version.
    pub version: u32,
    /// The facts name who is deciding ([`Policy::ROLE_SENSITIVE`]); not part
    /// of the JSON form.
    #[serde(skip)]
    pub role_sensitive: bool,
    /// The actions the policy may ask for, as declared
    /// ([`PolicyAction::DECLARED`]); not part of the JSON form.
    #[serde(skip)]
    pub actions: &'static [ActionInfo],
}

/// Runs code generic over a policy chosen by id at run time (see
/// [`crate::policies::visit`]). Adapters use it to parse facts with their
/// own format into the policy's typed facts.
pub trait PolicyVisitor {
    /// What the visit returns.
    type Output;
    /// Called with the policy's type.
    fn visit<P: Registered>(self) -> Self::Output;
}
