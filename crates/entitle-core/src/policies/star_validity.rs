//! # How to decide the validity of a starred L&R ticket
//!
//! Seed: `star-plan-license.md`, *How to decide the validity of a starred L&R
//! ticket*, and its `graph TD` flowchart. Spec 3.5.
//!
//! Subscription- and license-related tickets starred during a manager's
//! on-call shift are evaluated with the page's flow chart:
//!
//! - **Plan/License requests.** Is this request for a trial? If yes: is this
//!   a sales assisted trial? If not, there is no need for a STAR; if so, is
//!   the plan/license expiring in more than 24h? If the request is not for a
//!   trial: is the customer in the grace period? If yes: is the grace period
//!   expiring in more than 24h? If not in grace: is the plan/license
//!   expiring in more than 24h? More than 24h left: *No need for STAR*
//!   (the manager collects data for feedback and labels the STAR issue);
//!   otherwise *Ok to STAR*.
//! - **Wrong product sold.** Ok to STAR after sales intervention.
//! - **Force Reassociate.** Use the docs to deflect; an *edge case* is ok to
//!   STAR. An edge case is any situation in which the process has been
//!   followed and the system does not produce the expected results (an
//!   error, the page or system down, the owner unavailable).
//!
//! "More than 24h" is the shared rule of spec 1: strictly more than
//! `escalation_threshold_hours` until the deadline (the start of
//! `grace_ends_on` for a license in grace, else the start of `expires_on`),
//! so a STAR check with 30 h of grace left is stable until 24 h before the
//! deadline.

use serde::{Deserialize, Serialize};

use crate::domain::License;
use crate::explain::{license_detail, time_left};
use crate::graph::{BuildError, GraphBuilder};
use crate::policy::{Details, Policy, PolicyAction, PolicyContext, PolicyGraph};
use crate::time;

crate::answers! {
    /// What a starred L&R ticket is about (the flowchart's three branches).
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum StarCategory {
        /// Plan/License requests.
        PlanLicense => "plan-license",
        /// The wrong product was sold.
        WrongProductSold => "wrong-product-sold",
        /// A subscription must be force-reassociated.
        ForceReassociate => "force-reassociate",
    }
}

/// What the manager on call knows about the starred ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StarValidityFacts {
    /// Which branch of the flowchart the ticket belongs to.
    pub category: StarCategory,
    /// Plan/License: is this request for a trial?
    pub trial_request: bool,
    /// Plan/License, trial request: is this a sales assisted trial?
    pub sales_assisted_trial: bool,
    /// The plan/license the ticket is about (its dates decide the 24h questions).
    pub license: License,
    /// Wrong product sold: has Sales intervened already?
    pub sales_intervened: bool,
    /// Force Reassociate: the process was followed and the system did not
    /// give the expected result (an error, the page or system down, the owner
    /// unavailable).
    pub edge_case: bool,
}

crate::outcomes! {
    /// Whether the STAR is valid.
    pub enum StarValidityOutcome {
        /// The ticket did not need a STAR.
        NoNeedForStar => "no-need-for-star": "No need for STAR",
        /// The STAR is valid.
        OkToStar => "ok-to-star": "Ok to STAR",
        /// Wrong product sold: the STAR is valid only after Sales intervened.
        AwaitSalesIntervention => "await-sales-intervention": "Not yet: ok to STAR after sales intervention",
        /// Force reassociate: deflect with the documentation.
        DeflectWithDocs => "deflect-with-docs": "Use the docs to deflect",
    }
}

crate::actions! {
    /// What checking a STAR's validity asks for.
    pub enum StarValidityAction {
        /// No STAR needed.
        CollectFeedbackAndLabelStar => "collect-feedback-and-label-star": "Manager: collect data for feedback and label the STAR issue",
        /// The STAR is valid.
        MoveStarForward => "move-star-forward": "The STAR is valid: move the ticket forward with the L&R team now",
        /// Sales sold the wrong product.
        AskSalesToIntervene => "ask-sales-to-intervene": "Ask Sales to intervene on the wrong product sold; the STAR is valid once they have",
        /// The documentation answers it.
        DeflectWithDocs => "deflect-with-docs": "Point the customer to the documentation for reassociating the subscription; STAR only if following it fails (an edge case)",
    }
}

/// Spec 3.5 `star-validity`.
pub struct StarValidity;

impl Policy for StarValidity {
    const ID: &'static str = "star-validity";
    const SUMMARY: &'static str =
        "Decide whether a starred plan/license (L&R) ticket needed the STAR.";
    const VERSION: u32 = 1;
    const SCENARIOS: &'static str = include_str!("../../scenarios/star-validity.toml");
    type Facts = StarValidityFacts;
    type Outcome = StarValidityOutcome;
    type Action = StarValidityAction;

    fn build() -> Result<PolicyGraph<StarValidityFacts, StarValidityOutcome>, BuildError> {
        let mut g = GraphBuilder::new(Self::ID);
        g.question(
            "category",
            "What is the LR starred ticket about?",
            |f: &StarValidityFacts, _| f.category,
        )
        .on(StarCategory::PlanLicense, "trial-request")
        .on(StarCategory::WrongProductSold, "sales-intervened")
        .on(StarCategory::ForceReassociate, "edge-case");

        // Plan/License requests.
        g.question(
            "trial-request",
            "Is this request for a trial?",
            |f: &StarValidityFacts, _| f.trial_request,
        )
        .yes("sales-assisted-trial")
        .no("in-grace-period");
        g.question(
            "sales-assisted-trial",
            "Is this a sales assisted trial?",
            |f: &StarValidityFacts, _| f.sales_assisted_trial,
        )
        .yes("expiring-in-more-than-24h")
        .no("no-need-for-star");
        g.timed_question(
            "in-grace-period",
            "Is the customer in the grace period?",
            |f: &StarValidityFacts, cx, want| time::is_in_grace_period_at(&f.license, cx).get(want),
        )
        .detail(|f, cx| license_detail(&f.license, cx))
        .yes("grace-expiring-in-more-than-24h")
        .no("expiring-in-more-than-24h");
        g.timed_question(
            "grace-expiring-in-more-than-24h",
            "Is the grace period expiring in more than 24h?",
            |f: &StarValidityFacts, cx, want| {
                time::more_than_hours_remaining_at(&f.license, cx).get(want)
            },
        )
        .detail(|f, cx| time_left(&f.license, cx))
        .yes("no-need-for-star")
        .no("ok-to-star");
        g.timed_question(
            "expiring-in-more-than-24h",
            "Is the plan/lic expiring in more than 24h?",
            |f: &StarValidityFacts, cx, want| {
                time::more_than_hours_remaining_at(&f.license, cx).get(want)
            },
        )
        .detail(|f, cx| time_left(&f.license, cx))
        .yes("no-need-for-star")
        .no("ok-to-star");

        // Wrong product sold.
        g.question(
            "sales-intervened",
            "Wrong product sold: has Sales intervened?",
            |f: &StarValidityFacts, _| f.sales_intervened,
        )
        .yes("ok-to-star")
        .no("await-sales-intervention");

        // Force Reassociate.
        g.question(
            "edge-case",
            "Force reassociate: is this an edge case (the process was followed and the system did not give the expected result)?",
            |f: &StarValidityFacts, _| f.edge_case,
        )
        .yes("ok-to-star")
        .no("deflect-with-docs");

        g.outcomes();
        g.build()
    }

    fn details(
        outcome: StarValidityOutcome,
        facts: &StarValidityFacts,
        cx: &PolicyContext<'_>,
    ) -> Details {
        let action = match outcome {
            StarValidityOutcome::NoNeedForStar => StarValidityAction::CollectFeedbackAndLabelStar,
            StarValidityOutcome::OkToStar => StarValidityAction::MoveStarForward,
            StarValidityOutcome::AwaitSalesIntervention => StarValidityAction::AskSalesToIntervene,
            StarValidityOutcome::DeflectWithDocs => StarValidityAction::DeflectWithDocs,
        };
        let license = &facts.license;
        let plan_license = facts.category == StarCategory::PlanLicense;
        Details {
            expires_on: plan_license.then_some(license.expires_on),
            grace_ends_on: (plan_license && !license.trial)
                .then(|| time::grace_ends_on(license, cx.config)),
            actions: vec![action.action()],
            ..Details::default()
        }
    }
}
