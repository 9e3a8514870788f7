//! # Weekend Emergencies: "the customer has not received the email"
//!
//! Seed: `weekend-emergency-license.md`, *Considerations*. Spec 3.2a.
//!
//! If the customer says they have not received the license, look in the
//! internal request tracker for the record the tool kept for the ticket. A
//! closed `[Success] - Created a license under EMAIL for N users` issue holds
//! a copy of the license: send that one. Only when the record shows a failure
//! (or there is none) and no license was generated may the tool be used
//! again. Never two licenses for one ticket.

use serde::{Deserialize, Serialize};

use crate::fact_source::{FactSource, FactSourceError, NoSupplied, StoredFacts};
use crate::graph::{BuildError, GraphBuilder};
use crate::input::HttpUrl;
use crate::policy::{Details, Policy, PolicyAction, PolicyContext, PolicyGraph};

crate::answers! {
    /// The internal request the weekend workflow recorded for the ticket.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum InternalRequest {
        /// No record was found.
        None => "none",
        /// A closed `[Success]` issue with a copy of the license.
        Success => "success",
        /// An open issue describing the failure; no license was generated.
        Failure => "failure",
    }
}

/// What the support engineer found in the internal request tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FollowUpFacts {
    /// The record kept for the ticket by the weekend emergency workflow.
    pub internal_request: InternalRequest,
    /// The ticket the decision is about, when it is not decided on a stored
    /// ticket: its license action is that ticket's one license. Required
    /// (over `POST /v1/decisions`) when the outcome generates a license.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_url: Option<HttpUrl>,
}

crate::outcomes! {
    /// What to do about a license the customer has not received.
    pub enum FollowUpOutcome {
        /// Send the copy of the license held by the success record.
        ResendFromSuccessRecord => "resend-from-success-record": "Send the license kept in the closed [Success] issue",
        /// No license was generated: use the tool again.
        Regenerate => "regenerate": "No license was generated: use the tool again",
    }
}

crate::actions! {
    /// What following up on an emergency license asks for.
    pub enum FollowUpAction {
        /// Resend the copy the `[Success]` record holds.
        ResendLicense => "resend-license": "Send the customer the copy of the license from the closed [Success] internal request; do not generate another",
        /// Generate the license again: none was created.
        GenerateLicense => "generate-license": "Use the tool again to generate the temporary license (the record shows none was created)" [license: Regenerate],
    }
}

/// Spec 3.2a `emergency-license-follow-up`.
pub struct EmergencyLicenseFollowUp;

impl Policy for EmergencyLicenseFollowUp {
    const ID: &'static str = "emergency-license-follow-up";
    const SUMMARY: &'static str =
        "The customer has not received the emergency license: resend it or generate it again.";
    const VERSION: u32 = 1;
    const SCENARIOS: &'static str =
        include_str!("../../scenarios/emergency-license-follow-up.toml");
    type Facts = FollowUpFacts;
    type Outcome = FollowUpOutcome;
    type Action = FollowUpAction;

    fn build() -> Result<PolicyGraph<FollowUpFacts, FollowUpOutcome>, BuildError> {
        let mut g = GraphBuilder::new(Self::ID);
        g.question(
            "internal-request",
            "What does the internal request tracker hold for this ticket?",
            |f: &FollowUpFacts, _| f.internal_request,
        )
        .on(InternalRequest::Success, "resend-from-success-record")
        .on(InternalRequest::Failure, "regenerate")
        .on(InternalRequest::None, "regenerate");
        g.outcomes();
        g.build()
    }

    fn subject(facts: &FollowUpFacts) -> crate::policy::Subject {
        crate::policy::Subject::new(facts.ticket_url.as_deref(), None)
    }

    fn details(outcome: FollowUpOutcome, _: &FollowUpFacts, _: &PolicyContext<'_>) -> Details {
        let actions = match outcome {
            FollowUpOutcome::ResendFromSuccessRecord => {
                vec![FollowUpAction::ResendLicense.action()]
            }
            FollowUpOutcome::Regenerate => vec![FollowUpAction::GenerateLicense.action()],
        };
        Details {
            actions,
            ..Details::default()
        }
    }
}

impl StoredFacts for EmergencyLicenseFollowUp {
    type Supplied = NoSupplied;

    fn assemble(source: &impl FactSource, _: NoSupplied) -> Result<FollowUpFacts, FactSourceError> {
        Ok(FollowUpFacts {
            internal_request: source.internal_request()?,
            // Decided on the stored ticket: that is the license's ticket.
            ticket_url: None,
        })
    }
}
