//! # How to move urgent L&R starred tickets forward: Self-Managed
//!
//! Seed: `star-plan-license.md`, *How to move urgent L&R starred tickets
//! forward*, *Self-Managed*. Spec 3.6.
//!
//! - NOTE: under no circumstances are Support Managers allowed to create
//!   brand-new licenses as a response to a starred ticket. Any non-trial
//!   license must be handled by the L&R team.
//! - Is the request for a license extension, grace period extension,
//!   temporary license, temporary key, or trial license? These all have the
//!   same next step: this needs a trial license generation.
//! - Is the license or activation code not working, or is an error
//!   encountered when uploading the license? Is the issue about delays in
//!   renewals or payment processing? Always try to get the L&R team to
//!   assist first. If the team is not available, check if the non-trial
//!   license is within the grace period, or if the trial license is close to
//!   the expiry date: if there is 24h+ remaining, there is no need to
//!   escalate. If it is an emergency, unblock the customer: the L&R team
//!   needs a screenshot of Admin -> Dashboard (check the ticket, or request
//!   it) before a trial license is created; after the screenshot, create a
//!   trial license. A customer getting errors when activating a license is
//!   asked to submit a ticket if they have not done so already.
//! - Does the starred ticket state the customer did not receive their
//!   license? Was it sent to someone who is no longer at the company? Do they
//!   need to change the contact details of their license? Is the request to
//!   send or forward a license to a different contact/email? WARNING: we do
//!   not send licenses to different emails, with the exception of trial
//!   licenses.
//!
//! "24h+ remaining" is the shared rule of spec 1: strictly more than
//! `escalation_threshold_hours` until the deadline. Since version 2 the
//! deadline of this policy is [`self_managed_deadline`]: for a paid license the
//! start of `grace_ends_on`, whether it is still active or already in grace
//! (the instance keeps working until then); for a trial the start of
//! `expires_on`. It does not move as time passes, so urgency never drops.
//! (Version 1 used the start of `expires_on` while a paid license was
//! active: 12 h before expiry was an emergency, 1 s after it was not.)
//!
//! The only license this policy ever generates is a trial license
//! ([`Details::plan`], `users` and `days` are set for it and for nothing
//! else); a request for a non-trial license goes to the L&R team, whoever
//! asks.

use chrono::Days;
use serde::{Deserialize, Serialize};

use crate::domain::License;
use crate::explain::date_detail;
use crate::fact_source::{FactSource, FactSourceError, StoredFacts};
use crate::graph::{BuildError, GraphBuilder};
use crate::input::{Email, HttpUrl};
use crate::policy::{Details, Policy, PolicyAction, PolicyContext, PolicyGraph};
use crate::time;

crate::answers! {
    /// What a starred self-managed ticket asks for.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum SelfManagedRequest {
        /// A license extension.
        LicenseExtension => "license-extension",
        /// A grace period extension.
        GracePeriodExtension => "grace-period-extension",
        /// A temporary license.
        TemporaryLicense => "temporary-license",
        /// A temporary key.
        TemporaryKey => "temporary-key",
        /// A trial license.
        TrialLicense => "trial-license",
        /// The license or activation code is not working.
        ActivationError => "activation-error",
        /// An error when uploading the license.
        UploadError => "upload-error",
        /// A delay in the renewal.
        RenewalDelay => "renewal-delay",
        /// A delay in payment processing.
        PaymentDelay => "payment-delay",
        /// The customer did not receive their license.
        LicenseNotReceived => "license-not-received",
        /// The license was sent to someone no longer at the company.
        ContactLeftCompany => "contact-left-company",
        /// The contact details of the license must change.
        ChangeLicenseContact => "change-license-contact",
        /// Send or forward the license to a different contact/email.
        SendToDifferentEmail => "send-to-different-email",
        /// A brand-new, non-trial license.
        NewLicense => "new-license",
    }
}

crate::answers! {
    /// Who is handling the starred ticket.
    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    #[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
    pub enum StarActor {
        /// A support engineer.
        SupportEngineer => "support-engineer",
        /// A support manager (on call).
        SupportManager => "support-manager",
        /// A member of the L&R team.
        LrTeam => "lr-team",
    }
}

/// What is known about a starred self-managed license ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StarSelfManagedFacts {
    /// What the starred ticket asks for.
    pub request: SelfManagedRequest,
    /// The customer's current license.
    pub license: License,
    /// Whether the L&R team is available to assist now.
    pub lr_team_available: bool,
    /// Whether the ticket already holds a screenshot of Admin -> Dashboard.
    pub admin_dashboard_screenshot: bool,
    /// Whether the customer has submitted a ticket themselves.
    pub customer_has_ticket: bool,
    /// Who is handling the starred ticket.
    pub actor: StarActor,
    /// Whether the license is to go to the license contact on record.
    pub recipient_is_license_contact: bool,
    /// The ticket the decision is about, when it is not decided on a stored
    /// ticket: its license action is that ticket's one license. Required
    /// (over `POST /v1/decisions`) when the outcome creates a license.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_url: Option<HttpUrl>,
}

crate::outcomes! {
    /// How to move the starred self-managed ticket forward.
    pub enum StarSelfManagedOutcome {
        /// Generate a trial license (never a non-trial one).
        GenerateTrialLicense => "generate-trial-license": "Generate a trial license",
        /// Get the L&R team to assist.
        EngageLrTeam => "engage-lr-team": "Get the L&R team to assist",
        /// More than the threshold is left: no need to escalate.
        NoEscalationNeeded => "no-escalation-needed": "24h+ remaining: no need to escalate",
        /// Get the Admin -> Dashboard screenshot before anything else.
        RequestAdminDashboardScreenshot => "request-admin-dashboard-screenshot": "Request a screenshot of Admin -> Dashboard before creating a trial license",
        /// Send the license (again) to the license contact.
        ResendToLicenseContact => "resend-to-license-contact": "Send the license to the license contact",
        /// Send the trial license to the new contact.
        SendTrialToNewContact => "send-trial-to-new-contact": "Send the trial license to the new contact",
        /// Licenses go only to the license contact.
        DeclineDifferentEmail => "decline-different-email": "Decline: licenses are sent only to the license contact",
        /// A non-trial license: the L&R team handles it.
        RouteToLrTeam => "route-to-lr-team": "A non-trial license: the L&R team handles it",
    }
}

crate::actions! {
    /// What a starred self-managed license ticket asks for.
    pub enum StarSelfManagedAction {
        /// Generate a trial license (never a regular one).
        GenerateTrialLicense => "generate-trial-license": "Generate a trial license (not a regular license) at the license's plan and user count" [license: Create],
        /// An activation or upload error without a ticket of the customer's own.
        AskCustomerToOpenTicket => "ask-customer-to-open-ticket": "Ask the customer to open a ticket about the activation/upload error if they have not done so already",
        /// Ask the L&R team for help.
        EngageLrTeam => "engage-lr-team": "Ask the L&R team to assist with the starred ticket",
        /// Time enough: no escalation.
        NoEscalation => "no-escalation": "Enough time remains before the license stops working: no need to escalate; use your judgement to prevent an emergency",
        /// The L&R team needs the Admin dashboard.
        RequestAdminDashboardScreenshot => "request-admin-dashboard-screenshot": "Ask the customer for a screenshot of Admin -> Dashboard (the L&R team needs it to investigate); create the trial license once you have it",
        /// Resend the license to its contact.
        ResendToLicenseContact => "resend-to-license-contact": "Resend the license to the license contact on record",
        /// A trial may go to a new contact.
        SendTrialToNewContact => "send-trial-to-new-contact": "Send the trial license to the new contact (trial licenses are the one exception to sending licenses to a different email)",
        /// Licenses go to the license contact only.
        DeclineDifferentEmail => "decline-different-email": "Explain that licenses are sent only to the license contact; see \"Sending licenses to a different email address\" for changing the contact",
        /// Not a STAR shortcut: the L&R team's own process.
        RouteToLrTeam => "route-to-lr-team": "Route the request to the L&R team",
    }
}

/// Spec 3.6 `star-self-managed`.
pub struct StarSelfManaged;

impl Policy for StarSelfManaged {
    const ID: &'static str = "star-self-managed";
    const SUMMARY: &'static str = "Move an urgent starred self-managed license ticket forward (never with a non-trial license).";
    const VERSION: u32 = 2;
    const SCENARIOS: &'static str = include_str!("../../scenarios/star-self-managed.toml");
    const ROLE_SENSITIVE: bool = true;
    type Facts = StarSelfManagedFacts;
    type Outcome = StarSelfManagedOutcome;
    type Action = StarSelfManagedAction;

    fn build() -> Result<PolicyGraph<StarSelfManagedFacts, StarSelfManagedOutcome>, BuildError> {
        use SelfManagedRequest as R;
        let mut g = GraphBuilder::new(Self::ID);
        // NOTE: any non-trial license must be handled by the L&R team,
        // whoever asks; Support Managers never create brand-new licenses.
        g.question(
            "new-license",
            "Is the request for a brand-new (non-trial) license?",
            |f: &StarSelfManagedFacts, _| f.request == R::NewLicense,
        )
        .detail(|f, _| request_detail(f))
        .yes("route-to-lr-team")
        .no("needs-trial-license");
        // "These all have the same next-step: this needs a trial license generation."
        g.question(
            "needs-trial-license",
            "Is the request for a license extension, grace period extension, temporary license, temporary key, or trial license?",
            |f: &StarSelfManagedFacts, _| {
                matches!(
                    f.request,
                    R::LicenseExtension
                        | R::GracePeriodExtension
                        | R::TemporaryLicense
                        | R::TemporaryKey
                        | R::TrialLicense
                )
            },
        )
        .yes("generate-trial-license")
        .no("license-not-working");
        // Every other request is about the license's delivery or contact:
        // the page's last question, asked by `recipient-is-license-contact`.
        g.question(
            "license-not-working",
            "Is the license or activation code not working, or is an error encountered when uploading the license? Is the issue about delays in renewals or payment processing?",
            |f: &StarSelfManagedFacts, _| {
                matches!(
                    f.request,
                    R::ActivationError | R::UploadError | R::RenewalDelay | R::PaymentDelay
                )
            },
        )
        .yes("lr-team-available")
        .no("recipient-is-license-contact");

        g.question(
            "lr-team-available",
            "Is the L&R team available to assist?",
            |f: &StarSelfManagedFacts, _| f.lr_team_available,
        )
        .yes("engage-lr-team")
        .no("more-than-24h-remaining");
        g.timed_question(
            "more-than-24h-remaining",
            "Is there 24h+ remaining (a non-trial license: until its grace period ends, whether active or in grace; a trial license: until its expiry date)?",
            // The change instant is one subtraction: no need to skip it.
            |f: &StarSelfManagedFacts, cx, _| {
                time::self_managed_more_than_hours_remaining(&f.license, cx.now, cx.config)
            },
        )
        .detail(|f, cx| time_left(&f.license, cx))
        .yes("no-escalation-needed")
        .no("admin-dashboard-screenshot");
        g.question(
            "admin-dashboard-screenshot",
            "Does the ticket have a screenshot of Admin -> Dashboard?",
            |f: &StarSelfManagedFacts, _| f.admin_dashboard_screenshot,
        )
        .yes("generate-trial-license")
        .no("request-admin-dashboard-screenshot");

        g.question(
            "recipient-is-license-contact",
            "License not received, sent to someone who left, contact details to change, or to go to a different contact/email: is it to go to the license contact?",
            |f: &StarSelfManagedFacts, _| f.recipient_is_license_contact,
        )
        .yes("resend-to-license-contact")
        .no("trial-license");
        g.question(
            "trial-license",
            "Is it a trial license (the only exception to sending licenses to a different email)?",
            |f: &StarSelfManagedFacts, _| f.license.trial,
        )
        .yes("send-trial-to-new-contact")
        .no("decline-different-email");

        g.outcomes();
        g.build()
    }

    fn subject(facts: &StarSelfManagedFacts) -> crate::policy::Subject {
        crate::policy::Subject::new(facts.ticket_url.as_deref(), None)
    }

    fn details(
        outcome: StarSelfManagedOutcome,
        facts: &StarSelfManagedFacts,
        cx: &PolicyContext<'_>,
    ) -> Details {
        use StarSelfManagedOutcome as O;
        let license = &facts.license;
        let grace_ends_on = (!license.trial).then(|| time::grace_ends_on(license, cx.config));
        match outcome {
            O::GenerateTrialLicense => {
                let days = cx.config.temporary_license_days;
                let today = time::local_date(cx.now, cx.config.timezone);
                let expires_on = today.checked_add_days(Days::new(u64::from(days)));
                let mut actions = vec![StarSelfManagedAction::GenerateTrialLicense.saying(format!(
                        "Generate a trial license (not a regular license): {} plan, {} users, {days} days{}",
                        license.plan.name(),
                        license.users,
                        expires_on
                            .map(|d| format!(", expiring {d}"))
                            .unwrap_or_default()
                ))];
                let error = matches!(
                    facts.request,
                    SelfManagedRequest::ActivationError | SelfManagedRequest::UploadError
                );
                if error && !facts.customer_has_ticket {
                    actions.push(StarSelfManagedAction::AskCustomerToOpenTicket.action());
                }
                Details {
                    plan: Some(license.plan),
                    users: Some(license.users),
                    days: Some(days),
                    expires_on,
                    actions,
                    ..Details::default()
                }
            }
            O::EngageLrTeam => Details {
                actions: vec![StarSelfManagedAction::EngageLrTeam.action()],
                ..Details::default()
            },
            O::NoEscalationNeeded => Details {
                expires_on: Some(license.expires_on),
                grace_ends_on,
                actions: vec![StarSelfManagedAction::NoEscalation.saying(format!(
                        "More than {} h remain before the license stops working: no need to escalate; use your judgement to prevent an emergency",
                        cx.config.escalation_threshold_hours
                ))],
                ..Details::default()
            },
            O::RequestAdminDashboardScreenshot => Details {
                expires_on: Some(license.expires_on),
                grace_ends_on,
                missing: vec!["admin_dashboard_screenshot"],
                actions: vec![StarSelfManagedAction::RequestAdminDashboardScreenshot.action()],
                ..Details::default()
            },
            O::ResendToLicenseContact => Details {
                actions: vec![StarSelfManagedAction::ResendToLicenseContact.action()],
                ..Details::default()
            },
            O::SendTrialToNewContact => Details {
                actions: vec![StarSelfManagedAction::SendTrialToNewContact.action()],
                ..Details::default()
            },
            O::DeclineDifferentEmail => Details {
                actions: vec![StarSelfManagedAction::DeclineDifferentEmail.action()],
                ..Details::default()
            },
            O::RouteToLrTeam => {
                let text = match facts.actor {
                    StarActor::SupportManager => {
                        "Route the request to the L&R team; Support Managers never create brand-new licenses in response to a starred ticket"
                    }
                    StarActor::SupportEngineer => {
                        "Route the request to the L&R team; any non-trial license is handled by them"
                    }
                    StarActor::LrTeam => {
                        "Handle the non-trial license in the L&R team's own process, not as a STAR shortcut"
                    }
                };
                Details {
                    actions: vec![StarSelfManagedAction::RouteToLrTeam.saying(text)],
                    ..Details::default()
                }
            }
        }
    }
}

/// The deadline and the time left, for the trace: `paid license grace ends
/// 2026-12-05, in 5 h; expired 2026-11-21, 13 days ago; threshold 24 h`, or
/// `trial license expires 2026-12-10, in 36 h; threshold 24 h`.
fn time_left(license: &License, cx: &PolicyContext<'_>) -> String {
    let threshold = cx.config.escalation_threshold_hours;
    if license.trial {
        format!(
            "trial license {}; threshold {threshold} h",
            date_detail("expires", license.expires_on, cx)
        )
    } else {
        format!(
            "paid license {}; {}; threshold {threshold} h",
            date_detail("grace ends", time::grace_ends_on(license, cx.config), cx),
            date_detail("expires", license.expires_on, cx)
        )
    }
}

/// The request, for the trace.
fn request_detail(facts: &StarSelfManagedFacts) -> String {
    format!("request: {}", crate::graph::Answer::label(facts.request))
}

/// What the caller supplies for `star-self-managed`. The license, the Admin
/// dashboard screenshot and whether the customer has a ticket come from the
/// records; whether the recipient is the license contact compares
/// `recipient_email` (default: the requester) with the subscription's
/// license contact.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StarSelfManagedSupplied {
    /// What the starred ticket asks for.
    pub request: SelfManagedRequest,
    /// Whether the L&R team is available to assist now.
    pub lr_team_available: bool,
    /// Who is handling the ticket (an adapter sets it from the caller's role).
    pub actor: StarActor,
    /// Where the license is to be sent, if not to the requester.
    #[serde(default)]
    pub recipient_email: Option<Email>,
}

impl StoredFacts for StarSelfManaged {
    type Supplied = StarSelfManagedSupplied;

    fn assemble(
        source: &impl FactSource,
        supplied: StarSelfManagedSupplied,
    ) -> Result<StarSelfManagedFacts, FactSourceError> {
        let recipient = match supplied.recipient_email {
            Some(email) => email,
            None => source.requester_email()?,
        };
        Ok(StarSelfManagedFacts {
            request: supplied.request,
            license: source.license()?,
            lr_team_available: supplied.lr_team_available,
            admin_dashboard_screenshot: source.screenshots()?.0,
            customer_has_ticket: source.has_ticket(),
            actor: supplied.actor,
            recipient_is_license_contact: source.is_license_contact(&recipient)?,
            // Decided on the stored ticket: that is the license's ticket.
            ticket_url: None,
        })
    }
}
