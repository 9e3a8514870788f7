//! What a policy is: a public id, typed facts, a typed outcome, the decision
//! graph that reads like its handbook page, and the data each outcome carries.

use std::fmt::Debug;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use thiserror::Error;

use crate::config::{ConfigError, PolicyConfig};
use crate::domain::Plan;
use crate::graph::{BuildError, Context, DecisionGraph, EvalError, Step};

/// The graph type of every policy: facts `F`, outcomes `O`, under [`PolicyConfig`].
pub type PolicyGraph<F, O> = DecisionGraph<F, O, PolicyConfig>;

/// The context every policy question receives.
pub type PolicyContext<'a> = Context<'a, PolicyConfig>;

/// The outcome type of a policy: a field-less enum whose variants have public
/// kebab-case ids. Declare one with [`outcomes!`](crate::outcomes).
pub trait Outcome: Copy + Eq + Debug + Send + Sync + 'static {
    /// Every outcome, in declaration order.
    const ALL: &'static [Self];
    /// The public id (`generate-temporary-license`).
    fn id(self) -> &'static str;
    /// What the outcome says to do, as its graph node shows it.
    fn text(self) -> &'static str;
}

impl<F: 'static, O: Outcome, C: 'static> crate::graph::GraphBuilder<F, O, C> {
    /// Adds one outcome leaf per outcome, in declaration order, each with
    /// its id and text.
    pub fn outcomes(&mut self) -> &mut Self {
        for &outcome in O::ALL {
            self.outcome(outcome.id(), outcome.text(), outcome);
        }
        self
    }
}

/// Declares a field-less outcome enum, each variant with its id and text
/// (`Variant => "id": "text"`), implements [`Outcome`] and serialises each
/// variant as its id.
#[macro_export]
macro_rules! outcomes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $id:literal : $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $crate::policy::Outcome for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn id(self) -> &'static str {
                match self {
                    $(Self::$variant => $id),+
                }
            }

            fn text(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::policy::Outcome::id(*self))
            }
        }
    };
}

/// Something the people involved must do next.
///
/// Besides its id and text, an action says how it depends on the actions
/// listed before it, so an outbox can carry the page out in order: one that
/// [`needs`](Action::needs) an earlier action runs only once that one has
/// succeeded (and is cancelled if it fails for good); one that
/// [`reports`](Action::reports) on an earlier action runs once that one has
/// settled either way, and records how it went (the weekend page's
/// `[Success]` record, or an open one describing the failure). These links
/// are not part of the JSON form of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    /// Stable kebab-case id (`post-to-licensing-channel`).
    pub id: &'static str,
    /// What to do, in words a support engineer can follow.
    pub text: String,
    /// The id of an earlier action of the same decision that must succeed
    /// first.
    #[serde(skip)]
    pub needs: Option<&'static str>,
    /// The id of an earlier action of the same decision whose result, success
    /// or failure, this action records.
    #[serde(skip)]
    pub reports: Option<&'static str>,
    /// What carrying the action out does to the ticket's one license.
    #[serde(skip)]
    pub license: LicenseEffect,
}

/// What an action does to the license of its ticket. A ticket gets at most
/// one license action, ever (spec 3.2a: never two licenses for one ticket).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LicenseEffect {
    /// The action creates no license.
    #[default]
    None,
    /// The action creates the ticket's license; if the ticket already has a
    /// license action, that one stands and no second is made.
    Create,
    /// The action re-runs the ticket's license action if it failed for good
    /// (and does nothing if it succeeded or is still under way); it never
    /// makes a second one.
    Regenerate,
}

impl Action {
    /// An action `id` described by `text`, depending on nothing.
    pub fn new(id: &'static str, text: impl Into<String>) -> Self {
        Self {
            id,
            text: text.into(),
            needs: None,
            reports: None,
            license: LicenseEffect::None,
        }
    }

    /// This action runs only after the earlier action `id` succeeded.
    #[must_use]
    pub fn needs(mut self, id: &'static str) -> Self {
        self.needs = Some(id);
        self
    }

    /// This action records the result of the earlier action `id`, whichever
    /// it was.
    #[must_use]
    pub fn reports(mut self, id: &'static str) -> Self {
        self.reports = Some(id);
        self
    }

    /// Carrying this action out creates the ticket's license.
    #[must_use]
    pub fn creates_license(mut self) -> Self {
        self.license = LicenseEffect::Create;
        self
    }

    /// Carrying this action out re-runs the ticket's failed license action.
    #[must_use]
    pub fn regenerates_license(mut self) -> Self {
        self.license = LicenseEffect::Regenerate;
        self
    }
}

/// The data an outcome carries. Every field is optional and only present
/// where the outcome has it; the key names are a public contract (spec:
/// `plan`, `users`, `days`, `email`, `expires_on` for a generated license,
/// `review_on` for provisioning failures, `missing` for screenshots still
/// needed, `actions` for what to do next).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Details {
    /// Plan of a generated license or trial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
    /// User count of a generated license.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<u32>,
    /// Length in days of a generated license.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Where a generated license is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The license's start date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_on: Option<NaiveDate>,
    /// Expiry date (of the license in question, or of a generated one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<NaiveDate>,
    /// The date the grace period ends (exclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_ends_on: Option<NaiveDate>,
    /// Whole days from today to the relevant date (positive: ahead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_remaining: Option<i64>,
    /// Whole days since the relevant date passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days_since: Option<i64>,
    /// The workday on which a provisioning failure is reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_on: Option<NaiveDate>,
    /// Evidence still needed before acting (screenshots, user count).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<&'static str>,
    /// Title of the internal request to record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_request: Option<String>,
    /// What the people involved must do next, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<Action>,
}

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

    /// Builds the decision graph, its questions in the page's order.
    fn build() -> Result<PolicyGraph<Self::Facts, Self::Outcome>, BuildError>;

    /// The data `outcome` carries for these facts at this time.
    fn details(outcome: Self::Outcome, facts: &Self::Facts, cx: &PolicyContext<'_>) -> Details;
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

/// Id, summary and version of a registered policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// Declares the registry: one line per policy, `module => Type`, with
/// `: stored` when the policy implements
/// [`StoredFacts`](crate::fact_source::StoredFacts).
#[macro_export]
#[doc(hidden)]
macro_rules! registry {
    ( $( $module:ident => $ty:ident $( : $stored:ident )? ),+ $(,)? ) => {
        $( mod $module; pub use $module::*; )+

        $(
            impl $crate::policy::Registered for $ty {
                fn graph() -> Result<
                    &'static $crate::policy::PolicyGraph<
                        <$ty as $crate::policy::Policy>::Facts,
                        <$ty as $crate::policy::Policy>::Outcome,
                    >,
                    $crate::policy::PolicyError,
                > {
                    static GRAPH: ::std::sync::LazyLock<
                        Result<
                            $crate::policy::PolicyGraph<
                                <$ty as $crate::policy::Policy>::Facts,
                                <$ty as $crate::policy::Policy>::Outcome,
                            >,
                            $crate::graph::BuildError,
                        >,
                    > = ::std::sync::LazyLock::new(<$ty as $crate::policy::Policy>::build);
                    GRAPH.as_ref().map_err(|error| $crate::policy::PolicyError::Graph {
                        policy: <$ty as $crate::policy::Policy>::ID,
                        error: error.clone(),
                    })
                }
            }
        )+

        /// Every registered policy, in registry order.
        pub const POLICIES: &[$crate::policy::PolicyInfo] = &[
            $( $crate::policy::PolicyInfo {
                id: <$ty as $crate::policy::Policy>::ID,
                summary: <$ty as $crate::policy::Policy>::SUMMARY,
                version: <$ty as $crate::policy::Policy>::VERSION,
                role_sensitive: <$ty as $crate::policy::Policy>::ROLE_SENSITIVE,
            } ),+
        ];

        /// Every registered policy's scenario file: `(policy id, TOML text)`,
        /// in registry order.
        pub const SCENARIO_FILES: &[(&str, &str)] = &[
            $( (
                <$ty as $crate::policy::Policy>::ID,
                <$ty as $crate::policy::Policy>::SCENARIOS,
            ) ),+
        ];

        /// Calls `visitor` with the policy whose id is `id`.
        pub fn visit<V: $crate::policy::PolicyVisitor>(
            id: &str,
            visitor: V,
        ) -> Result<V::Output, $crate::policy::PolicyError> {
            $(
                if id == <$ty as $crate::policy::Policy>::ID {
                    return Ok(visitor.visit::<$ty>());
                }
            )+
            Err($crate::policy::PolicyError::UnknownPolicy(id.to_owned()))
        }

        /// Calls `visitor` with the policy `id` if its facts can be
        /// assembled from records (its registry line says `: stored`);
        /// `None` if they cannot (or no policy has that id).
        pub fn visit_stored<V: $crate::fact_source::StoredFactsVisitor>(
            id: &str,
            visitor: V,
        ) -> Option<V::Output> {
            $( $( $crate::registry!(@stored $stored, $ty, id, visitor); )? )+
            None
        }
    };
    (@stored stored, $ty:ident, $id:ident, $visitor:ident) => {
        if $id == <$ty as $crate::policy::Policy>::ID {
            return Some($visitor.visit::<$ty>());
        }
    };
}
