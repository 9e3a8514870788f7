//! # How to move urgent L&R starred tickets forward: SaaS
//!
//! Seed: `star-plan-license.md`, *How to move urgent L&R starred tickets
//! forward*, *SaaS*. Spec 3.7.
//!
//! - Is the request for a trial extension, or grace period extension? Use
//!   the *Manage GitLab Plan and Trials* option in the Zendesk Mechanizer
//!   App. This option extends an active or expired trial in the namespace,
//!   but it cannot start a new trial: the Mechanizer fails if the namespace
//!   has never had a trial. However, a subscription can be used to create a
//!   trial and extend it as needed.
//! - Is the customer's (paid) group unexpectedly on a Free plan? Always try
//!   to get the L&R team to assist first. In some cases the customer can
//!   first try to associate their (new) subscription with their namespace.
//!   If it is an emergency, use the Mechanizer to temporarily set the
//!   namespace on another trial at the desired plan level (the same
//!   limitation applies: a trial, or a subscription to create one from).
//!
//! Where the Mechanizer cannot help (no trial ever, no subscription), the
//! L&R team is engaged.

use serde::{Deserialize, Serialize};

use crate::domain::{Namespace, Plan};
use crate::explain::yes_no;
use crate::fact_source::{FactSource, FactSourceError, StoredFacts};
use crate::graph::{Answer, BuildError, GraphBuilder};
use crate::policy::{Details, Policy, PolicyAction, PolicyContext, PolicyGraph};

crate::answers! {
    /// What a starred SaaS ticket asks for.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum SaasRequest {
        /// A trial extension.
        TrialExtension => "trial-extension",
        /// A grace period extension.
        GracePeriodExtension => "grace-period-extension",
        /// The customer's (paid) group is unexpectedly on a Free plan.
        PaidGroupOnFreePlan => "paid-group-on-free-plan",
    }
}

crate::answers! {
    /// The plan level a temporary trial is set at.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum SaasTrialPlan {
        /// Premium.
        Premium => "premium",
        /// Ultimate.
        Ultimate => "ultimate",
    }
}

impl From<SaasTrialPlan> for Plan {
    fn from(plan: SaasTrialPlan) -> Self {
        match plan {
            SaasTrialPlan::Premium => Plan::Premium,
            SaasTrialPlan::Ultimate => Plan::Ultimate,
        }
    }
}

/// What is known about a starred SaaS (GitLab.com) plan ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StarSaasFacts {
    /// What the starred ticket asks for.
    pub request: SaasRequest,
    /// The customer's namespace.
    pub namespace: Namespace,
    /// Whether the L&R team is available to assist now.
    pub lr_team_available: bool,
    /// Whether it is an emergency.
    pub emergency: bool,
    /// The plan level the customer paid for (for a temporary trial).
    pub desired_plan: SaasTrialPlan,
}

crate::outcomes! {
    /// How to move the starred SaaS ticket forward.
    pub enum StarSaasOutcome {
        /// Extend the namespace's (active or expired) trial with the Mechanizer.
        ExtendTrial => "extend-trial": "Extend the namespace's trial with the Mechanizer",
        /// Use the subscription to create a trial, then extend it as needed.
        CreateTrialFromSubscription => "create-trial-from-subscription": "Use the subscription to create a trial, then extend it as needed",
        /// Get the L&R team to assist.
        EngageLrTeam => "engage-lr-team": "Get the L&R team to assist",
        /// The customer associates their subscription with the namespace.
        AssociateSubscription => "associate-subscription": "The customer associates their subscription with the namespace",
        /// Temporarily set the namespace on a trial at the desired plan.
        TemporaryTrialAtPlan => "temporary-trial-at-plan": "Temporarily set the namespace on a trial at the desired plan",
    }
}

crate::actions! {
    /// What a starred SaaS plan ticket asks for.
    pub enum StarSaasAction {
        /// Extend the namespace's trial with the Mechanizer.
        ExtendTrial => "extend-trial": "Extend the namespace's trial (active or expired) with the Mechanizer",
        /// Create a trial from the subscription, then extend it.
        CreateTrialFromSubscription => "create-trial-from-subscription": "Use the subscription to create a trial, then extend it as needed with the Mechanizer",
        /// Ask the L&R team for help.
        EngageLrTeam => "engage-lr-team": "Ask the L&R team to assist with the starred ticket",
        /// Ask the customer to associate the subscription.
        AssociateSubscription => "associate-subscription": "Ask the customer to associate their (new) subscription with their namespace",
        /// Put the namespace on a trial at the desired plan for a while.
        TemporaryTrialAtPlan => "temporary-trial-at-plan": "Temporarily set the namespace on a trial at the desired plan with the Mechanizer",
    }
}

/// Spec 3.7 `star-saas`.
pub struct StarSaas;

impl Policy for StarSaas {
    const ID: &'static str = "star-saas";
    const SUMMARY: &'static str = "Move an urgent starred SaaS plan ticket forward (the Mechanizer extends trials, never starts one).";
    const VERSION: u32 = 1;
    const SCENARIOS: &'static str = include_str!("../../scenarios/star-saas.toml");
    type Facts = StarSaasFacts;
    type Outcome = StarSaasOutcome;
    type Action = StarSaasAction;

    fn build() -> Result<PolicyGraph<StarSaasFacts, StarSaasOutcome>, BuildError> {
        let mut g = GraphBuilder::new(Self::ID);
        g.question(
            "extension",
            "Is the request for a trial extension, or grace period extension?",
            |f: &StarSaasFacts, _| {
                matches!(
                    f.request,
                    SaasRequest::TrialExtension | SaasRequest::GracePeriodExtension
                )
            },
        )
        .detail(|f, _| {
            format!(
                "request: {}; the namespace is on the {} plan",
                f.request.label(),
                f.namespace.plan.name()
            )
        })
        .yes("had-trial")
        // Otherwise the customer's (paid) group is unexpectedly on a Free plan.
        .no("lr-team-available");

        // Trial or grace period extension.
        g.question(
            "had-trial",
            "Has the namespace ever had a trial (active or expired)? The Mechanizer can extend one, never start one",
            |f: &StarSaasFacts, _| f.namespace.had_trial,
        )
        .yes("extend-trial")
        .no("has-subscription");
        g.question(
            "has-subscription",
            "Is there a subscription to create a trial from?",
            |f: &StarSaasFacts, _| f.namespace.has_subscription,
        )
        .yes("create-trial-from-subscription")
        .no("engage-lr-team");

        // Is the customer's (paid) group unexpectedly on a Free plan?
        g.question(
            "lr-team-available",
            "Is the L&R team available to assist?",
            |f: &StarSaasFacts, _| f.lr_team_available,
        )
        .yes("engage-lr-team")
        .no("emergency");
        g.question(
            "emergency",
            "Is it an emergency?",
            |f: &StarSaasFacts, _| f.emergency,
        )
        .yes("mechanizer-can-set-trial")
        .no("associate-subscription");
        g.question(
            "mechanizer-can-set-trial",
            "Has the namespace had a trial, or is there a subscription to create one from?",
            |f: &StarSaasFacts, _| f.namespace.had_trial || f.namespace.has_subscription,
        )
        .detail(|f, _| {
            format!(
                "had a trial: {}, subscription: {}",
                yes_no(f.namespace.had_trial),
                yes_no(f.namespace.has_subscription)
            )
        })
        .yes("temporary-trial-at-plan")
        .no("engage-lr-team");

        g.outcomes();
        g.build()
    }

    fn details(outcome: StarSaasOutcome, facts: &StarSaasFacts, _: &PolicyContext<'_>) -> Details {
        const MECHANIZER: &str =
            "the \"Manage GitLab Plan and Trials\" option of the Zendesk Mechanizer App";
        let action = |action: StarSaasAction, text: String| Details {
            actions: vec![action.saying(text)],
            ..Details::default()
        };
        match outcome {
            StarSaasOutcome::ExtendTrial => action(
                StarSaasAction::ExtendTrial,
                format!("Extend the namespace's trial (active or expired) with {MECHANIZER}"),
            ),
            StarSaasOutcome::CreateTrialFromSubscription => action(
                StarSaasAction::CreateTrialFromSubscription,
                format!(
                    "The namespace never had a trial: use the subscription to create one, then extend it as needed with {MECHANIZER}"
                ),
            ),
            StarSaasOutcome::EngageLrTeam => action(
                StarSaasAction::EngageLrTeam,
                "Ask the L&R team to assist with the starred ticket".to_owned(),
            ),
            StarSaasOutcome::AssociateSubscription => action(
                StarSaasAction::AssociateSubscription,
                "Ask the customer to associate their (new) subscription with their namespace"
                    .to_owned(),
            ),
            StarSaasOutcome::TemporaryTrialAtPlan => {
                let plan = Plan::from(facts.desired_plan);
                let text = if facts.namespace.had_trial {
                    format!(
                        "Use {MECHANIZER} to temporarily set the namespace on another trial at the {} plan",
                        plan.name()
                    )
                } else {
                    format!(
                        "The namespace never had a trial: use the subscription to create one, then use {MECHANIZER} to set it temporarily at the {} plan",
                        plan.name()
                    )
                };
                Details {
                    plan: Some(plan),
                    actions: vec![StarSaasAction::TemporaryTrialAtPlan.saying(text)],
                    ..Details::default()
                }
            }
        }
    }
}

/// What the caller supplies for `star-saas`: everything but the namespace,
/// which comes from the ticket's namespace record.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StarSaasSupplied {
    /// What the starred ticket asks for.
    pub request: SaasRequest,
    /// Whether the L&R team is available to assist now.
    pub lr_team_available: bool,
    /// Whether it is an emergency.
    pub emergency: bool,
    /// The plan level the customer paid for.
    pub desired_plan: SaasTrialPlan,
}

impl StoredFacts for StarSaas {
    type Supplied = StarSaasSupplied;

    fn assemble(
        source: &impl FactSource,
        supplied: StarSaasSupplied,
    ) -> Result<StarSaasFacts, FactSourceError> {
        Ok(StarSaasFacts {
            request: supplied.request,
            namespace: source.namespace()?,
            lr_team_available: supplied.lr_team_available,
            emergency: supplied.emergency,
            desired_plan: supplied.desired_plan,
        })
    }
}
