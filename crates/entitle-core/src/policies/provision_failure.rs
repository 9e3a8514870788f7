//! # Handling flagged licensing provisioning failures
//!
//! Seeds: `provision-failures.md` (*Workflow for handling Provisioning
//! failures*) and `provision-direction.md` (*Provision failures
//! monitoring*). Spec 3.8.
//!
//! 1. The Fulfillment team monitors `#provision_failures` for provisioning
//!    failures.
//! 2. If Fulfillment is unable to resolve a failed provision, they request
//!    help from L&R Support with the internal request form (*GitLab Support
//!    Internal Requests for Global customers*, type *Report a provision
//!    failure*) when Fulfillment requires L&R Support intervention to fix
//!    something for the customer, OR the root cause of the issue is already
//!    fixed or being fixed, so it is not going to be an ongoing failure case.
//! 3. The Support Engineer then opens a ticket on behalf of the customer to
//!    inform them of the issue and offer a solution or workaround if one is
//!    available.
//! 4. If required, the Support Engineer also submits a bug issue, updates an
//!    existing one, or creates a feature request.
//!
//! Otherwise the failure stays with the engineers reviewing provisioning
//! errors.
//!
//! Version 2: the customer's contact is a fact (`customer_email`), and the
//! ticket opened on their behalf reaches them: they are its requester, its
//! subject names the subscription, its first (public) comment is written
//! to them, and the internal context is a private note on the same ticket. "Friends & Family Days and weekend days are covered on the next
//! following workday": every outcome carries `review_on`, the failure's date
//! in the support time zone if it is a workday, else the next workday.
//!
//! The reviewer (spec 3.8, seed `provision-direction.md`): with a
//! monitoring schedule in the configuration (`monitoring_schedule`, spec
//! 3.9), every outcome also names the `reviewer`, the engineer the schedule
//! names for `review_on`, and the texts the team reads (the trace, the
//! internal request, the instructions, the ticket's private note) say who
//! it is, or that the schedule names nobody that day. Without a schedule,
//! no reviewer is named and the texts are as before: never guessed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::graph::{Answer, BuildError, GraphBuilder};
use crate::input::{Email, Text};
use crate::policy::{Details, Message, Policy, PolicyAction, PolicyContext, PolicyGraph};
use crate::schedule::{self, Review};
use crate::time;

/// A flagged provisioning failure, as the alert in `#provision_failures`
/// reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProvisionFailureRecord {
    /// The subscription whose provisioning failed.
    pub subscription: Text,
    /// What failed, as the alert names it.
    pub kind: Text,
    /// When it failed (an RFC 3339 instant, any offset).
    #[serde(deserialize_with = "crate::input::de::instant")]
    pub occurred_at: DateTime<Utc>,
}

crate::answers! {
    /// What is known of the failure's root cause.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum RootCause {
        /// Not known yet.
        Unknown => "unknown",
        /// Still causing failures.
        Ongoing => "ongoing",
        /// A fix is under way.
        BeingFixed => "being-fixed",
        /// Already fixed.
        Fixed => "fixed",
    }
}

/// What is known about a flagged provisioning failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ProvisionFailureFacts {
    /// The failure.
    pub failure: ProvisionFailureRecord,
    /// Whether the Fulfillment team resolved the failed provision.
    pub fulfillment_resolved: bool,
    /// Whether Fulfillment requires L&R Support intervention to fix
    /// something for the customer.
    pub needs_lr_intervention: bool,
    /// What is known of the root cause.
    pub root_cause: RootCause,
    /// The subscription's contact: the requester of the ticket Support
    /// opens on the customer's behalf.
    pub customer_email: Email,
}

crate::outcomes! {
    /// Who handles the failed provision.
    pub enum ProvisionFailureOutcome {
        /// Fulfillment resolved it: nothing for L&R Support to do.
        ResolvedByFulfillment => "resolved-by-fulfillment": "Resolved by Fulfillment: nothing for L&R Support to do",
        /// Report it to L&R Support, who contact the customer.
        RequestLrSupport => "request-lr-support": "Request help from L&R Support: Report a provision failure",
        /// An ongoing failure stays with the Fulfillment engineers.
        KeepWithFulfillment => "keep-with-fulfillment": "Keep with Fulfillment: an ongoing failure stays with engineering",
    }
}

/// The internal request type for a provisioning failure.
const INTERNAL_REQUEST: &str = "Report a provision failure";

crate::actions! {
    /// What a provisioning failure asks for.
    pub enum ProvisionFailureAction {
        /// Fulfillment resolved it.
        NoAction => "no-action": "Nothing for L&R Support to do: Fulfillment resolved the provision",
        /// Fulfillment asks L&R Support with the internal request form.
        SubmitInternalRequest => "submit-internal-request": "Fulfillment submits the internal request form for the subscription",
        /// Tell the customer, once the request is in.
        OpenTicketForCustomer => "open-ticket-for-customer": "Support opens a ticket on behalf of the customer to inform them of the issue, offering a fix or workaround if one is available" [needs: SubmitInternalRequest],
        /// File or update the product issue.
        ManageProductIssue => "manage-product-issue": "If required, submit a bug issue, update an existing issue (ask for higher priority or feedback) or create a feature request",
        /// Fulfillment keeps it.
        KeepWithFulfillment => "keep-with-fulfillment": "Leave the failure with the Fulfillment engineers monitoring #provision_failures",
    }
}

/// Spec 3.8 `provision-failure`.
pub struct ProvisionFailure;

impl Policy for ProvisionFailure {
    const ID: &'static str = "provision-failure";
    const SUMMARY: &'static str =
        "Decide who handles a flagged provisioning failure, and the workday it is reviewed on.";
    const VERSION: u32 = 2;
    const SCENARIOS: &'static str = include_str!("../../scenarios/provision-failure.toml");
    type Facts = ProvisionFailureFacts;
    type Outcome = ProvisionFailureOutcome;
    type Action = ProvisionFailureAction;

    fn build() -> Result<PolicyGraph<ProvisionFailureFacts, ProvisionFailureOutcome>, BuildError> {
        let mut g = GraphBuilder::new(Self::ID);
        g.question(
            "fulfillment-resolved",
            "Has the Fulfillment team resolved the failed provision?",
            |f: &ProvisionFailureFacts, _| f.fulfillment_resolved,
        )
        .detail(|f, cx| failure_detail(&f.failure, cx))
        .yes("resolved-by-fulfillment")
        .no("needs-lr-intervention");
        g.question(
            "needs-lr-intervention",
            "Does Fulfillment require L&R Support intervention to fix something for the customer?",
            |f: &ProvisionFailureFacts, _| f.needs_lr_intervention,
        )
        .yes("request-lr-support")
        .no("root-cause");
        g.question(
            "root-cause",
            "Is the root cause of the issue already fixed or being fixed, so it's not going to be an ongoing failure case?",
            |f: &ProvisionFailureFacts, _| f.root_cause,
        )
        .on(RootCause::Fixed, "request-lr-support")
        .on(RootCause::BeingFixed, "request-lr-support")
        .on(RootCause::Ongoing, "keep-with-fulfillment")
        .on(RootCause::Unknown, "keep-with-fulfillment");

        g.outcomes();
        g.build()
    }

    fn details(
        outcome: ProvisionFailureOutcome,
        facts: &ProvisionFailureFacts,
        cx: &PolicyContext<'_>,
    ) -> Details {
        let failure = &facts.failure;
        let review_on = time::review_on(failure.occurred_at, cx.config);
        let review = scheduled_review(failure, cx);
        let reviewed = reviewed_by(review.as_ref());
        let (internal_request, actions) = match outcome {
            ProvisionFailureOutcome::ResolvedByFulfillment => (
                None,
                vec![ProvisionFailureAction::NoAction.saying(format!(
                        "Nothing for L&R Support to do: Fulfillment resolved the provision of {}",
                        failure.subscription
                ))],
            ),
            ProvisionFailureOutcome::RequestLrSupport => (
                Some(INTERNAL_REQUEST.to_owned()),
                vec![
                    ProvisionFailureAction::SubmitInternalRequest
                        .saying(format!(
                            "Fulfillment submits the internal request form (GitLab Support Internal Requests for Global customers), type \"{INTERNAL_REQUEST}\", for subscription {} ({}){}",
                            failure.subscription,
                            failure.kind,
                            reviewed
                                .as_deref()
                                .map(|r| format!("; reviewed on {review_on} {r}"))
                                .unwrap_or_default()
                        ))
                    .message(internal_request(facts, cx)),
                    ProvisionFailureAction::OpenTicketForCustomer
                        .saying(format!(
                            "Support opens a ticket on behalf of the customer ({}) to inform them of the issue, offering a fix or workaround if one is available",
                            facts.customer_email
                        ))
                    .message(customer_ticket(facts, cx)),
                    ProvisionFailureAction::ManageProductIssue.action(),
                ],
            ),
            ProvisionFailureOutcome::KeepWithFulfillment => (
                None,
                vec![ProvisionFailureAction::KeepWithFulfillment.saying(format!(
                        "Leave the failure with the Fulfillment engineers monitoring #provision_failures; it is reviewed on {review_on}{}",
                        reviewed
                            .as_deref()
                            .map(|r| format!(" {r}"))
                            .unwrap_or_default()
                ))],
            ),
        };
        Details {
            review_on: Some(review_on),
            reviewer: review.and_then(|r| r.by.cloned()),
            internal_request,
            actions,
            ..Details::default()
        }
    }
}

/// The review of `failure` under the configured monitoring schedule, if
/// there is one.
fn scheduled_review<'c>(
    failure: &ProvisionFailureRecord,
    cx: &'c PolicyContext<'_>,
) -> Option<Review<'c>> {
    cx.config
        .monitoring_schedule
        .as_ref()
        .map(|days| schedule::reviewer(failure.occurred_at, days, cx.config))
}

/// Who reviews, in words to follow the review date: `by alice`, or that
/// the schedule names nobody; `None` without a schedule (never guessed).
fn reviewed_by(review: Option<&Review<'_>>) -> Option<String> {
    review.map(|review| match review.by {
        Some(engineer) => format!("by {engineer}"),
        None => "(the monitoring schedule names nobody that day)".to_owned(),
    })
}

/// Why L&R Support is asked (the page's two reasons), in words.
fn why_lr_support(facts: &ProvisionFailureFacts) -> &'static str {
    if facts.needs_lr_intervention {
        "Fulfillment requires L&R Support intervention to fix something for the customer"
    } else if facts.root_cause == RootCause::Fixed {
        "the root cause is already fixed, so it is not going to be an ongoing failure case"
    } else {
        "the root cause is being fixed, so it is not going to be an ongoing failure case"
    }
}

/// The internal request "Report a provision failure", as the tracker
/// records it: what failed, when, and why L&R Support is asked.
fn internal_request(facts: &ProvisionFailureFacts, cx: &PolicyContext<'_>) -> Message {
    let failure = &facts.failure;
    Message::new(
        format!(
            "{INTERNAL_REQUEST}: {} ({})",
            failure.subscription, failure.kind
        ),
        format!(
            "Provisioning of subscription {} failed: {}.\n\n\
             - Occurred: {}\n\
             - Customer contact: {}\n\
             - Why L&R Support is asked: {}\n\
             - Root cause: {}\n\
             - Reviewed on: {}{}\n\n\
             Support opens a ticket on behalf of the customer to inform them of the issue, with a fix or workaround if one is available.",
            failure.subscription,
            failure.kind,
            local_time(failure, cx),
            facts.customer_email,
            why_lr_support(facts),
            facts.root_cause.label(),
            time::review_on(failure.occurred_at, cx.config).format("%a %Y-%m-%d"),
            reviewed_by(scheduled_review(failure, cx).as_ref())
                .map(|r| format!(" {r}"))
                .unwrap_or_default(),
        ),
    )
}

/// The ticket opened on behalf of the customer: to them, about their
/// subscription, with no internal link or id; the internal context is its
/// private note.
fn customer_ticket(facts: &ProvisionFailureFacts, cx: &PolicyContext<'_>) -> Message {
    let failure = &facts.failure;
    let tz = cx.config.timezone;
    let day = failure.occurred_at.with_timezone(&tz).format("%B %-d, %Y");
    let next = match facts.root_cause {
        RootCause::Fixed => {
            "The cause of the failure has been fixed. We will complete the provisioning of your subscription and confirm on this ticket once it is done."
        }
        RootCause::BeingFixed => {
            "A fix for the cause of the failure is under way. We will complete the provisioning of your subscription once it is in place, and keep you updated on this ticket."
        }
        RootCause::Ongoing | RootCause::Unknown => {
            "Our licensing team is fixing this for you. We will keep you updated on this ticket and let you know as soon as your subscription is provisioned."
        }
    };
    Message::new(
        format!(
            "Provisioning of your subscription {} failed",
            failure.subscription
        ),
        format!(
            "Hello,\n\n\
             On {day}, the provisioning of your subscription {} did not complete ({}). \
             Nothing is needed from you at this point.\n\n\
             {next}\n\n\
             If you have any questions, reply to this ticket.\n\n\
             Kind regards,\nSupport",
            failure.subscription, failure.kind
        ),
    )
    .to(facts.customer_email.clone())
    .note(format!(
        "Opened on behalf of the customer ({}) for the provisioning failure of {} ({}) at {}: {}.{}",
        facts.customer_email,
        failure.subscription,
        failure.kind,
        local_time(failure, cx),
        why_lr_support(facts),
        scheduled_review(failure, cx)
            .as_ref()
            .and_then(|review| reviewed_by(Some(review)).map(|r| format!(
                " Reviewed on {} {r}.",
                review.on.format("%a %Y-%m-%d")
            )))
            .unwrap_or_default()
    ))
}

/// When the failure happened, in the support time zone.
fn local_time(failure: &ProvisionFailureRecord, cx: &PolicyContext<'_>) -> String {
    let tz = cx.config.timezone;
    format!(
        "{} {tz}",
        failure
            .occurred_at
            .with_timezone(&tz)
            .format("%a %Y-%m-%d %H:%M")
    )
}

/// The failure, when it happened locally, and its review date.
fn failure_detail(failure: &ProvisionFailureRecord, cx: &PolicyContext<'_>) -> String {
    let tz = cx.config.timezone;
    let local = failure.occurred_at.with_timezone(&tz);
    let review = time::review_on(failure.occurred_at, cx.config);
    format!(
        "{} ({}) failed {} {}; reviewed on {}{}",
        failure.subscription,
        failure.kind,
        local.format("%a %Y-%m-%d %H:%M"),
        tz,
        review.format("%a %Y-%m-%d"),
        reviewed_by(scheduled_review(failure, cx).as_ref())
            .map(|r| format!(" {r}"))
            .unwrap_or_default()
    )
}
