//! # Weekend Emergencies - License Request
//!
//! Seed: `weekend-emergency-license.md`. Spec 3.2.
//!
//! When a customer asks on a **weekend** for a license to replace their expired
//! one, anyone in Support can generate a short-term temporary Ultimate license
//! to de-escalate, with the Mechanizer Zendesk app.
//!
//! *Scope*: a customer with a **paid** plan, whose license's grace period
//! (14 days after expiration) ended within the last 3 days. *Out of scope*:
//! organizations without a paid plan; prospects.
//!
//! *Confirm customer subscription*: request the screenshots of Admin Area ->
//! Overview -> Dashboard and of the license page (Admin Area -> License), add
//! them to the ticket, enter the user count from the screenshot and the email
//! of the person who opened the ticket; the tool emails them a temporary
//! license for that many users ("a 5-day trial license"; "all licenses
//! generated with the tool will have a 10 day limit"), with generic licensee
//! information. Then put a comment with the ticket URL in
//! `#support_licensing-subscription`. The tool records an internal request,
//! `[Success] - Created a license under [EMAIL] for [X] users`, holding a copy
//! of the license (see `emergency-license-follow-up`).

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::emergency_scope::{EmergencyScope, scope_questions};
use crate::config::TEMPORARY_LICENSE_HARD_CAP_DAYS;
use crate::domain::{Customer, License, Plan};
use crate::explain::{license_dates, weekend_detail_of, yes_no};
use crate::fact_source::{FactSource, FactSourceError, NoSupplied, StoredFacts};
use crate::graph::{BuildError, GraphBuilder};
use crate::input::{Email, HttpUrl};
use crate::policy::{Details, Message, Policy, PolicyAction, PolicyContext, PolicyGraph};
use crate::time;

/// The Slack channel where Support announces a generated emergency license.
pub const LICENSING_CHANNEL: &str = "#support_licensing-subscription";

/// The screenshots the customer has added to the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EmergencyScreenshots {
    /// Admin Area -> Overview -> Dashboard.
    pub admin_dashboard: bool,
    /// The license page, Admin Area -> License (newer versions: subscription).
    pub license_page: bool,
}

/// What the ticket tells about a weekend license emergency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WeekendEmergencyFacts {
    /// The customer's billing status.
    pub customer: Customer,
    /// The expired license the customer wants replaced.
    pub license: License,
    /// Which of the two screenshots are on the ticket.
    pub screenshots: EmergencyScreenshots,
    /// The user count read from the screenshots; absent or `null` while unknown
    /// (`0` counts as unknown: no license is made for zero users).
    #[serde(default)]
    pub screenshot_user_count: Option<u32>,
    /// The email of the person who opened the ticket.
    pub requester_email: Email,
    /// The ticket's URL, for the note in the licensing channel.
    pub ticket_url: HttpUrl,
}

impl EmergencyScope for WeekendEmergencyFacts {
    fn customer(&self) -> &Customer {
        &self.customer
    }

    fn license(&self) -> &License {
        &self.license
    }
}

crate::outcomes! {
    /// What to do about a weekend license emergency.
    pub enum WeekendEmergencyOutcome {
        /// It is not a weekend: the weekday workflow applies.
        UseWeekdayWorkflow => "use-weekday-workflow": "Not a weekend: follow the weekday emergency workflow",
        /// Prospects are out of scope.
        OutOfScopeProspect => "out-of-scope-prospect": "Out of scope: prospects",
        /// Organizations without a paid plan are out of scope.
        OutOfScopeUnpaid => "out-of-scope-unpaid": "Out of scope: organizations without a paid plan",
        /// The license is still active or in its grace period.
        NotLapsed => "not-lapsed": "Out of scope: the license is still active or in its grace period",
        /// The grace period ended longer ago than the emergency window.
        OutsideEmergencyWindow => "outside-emergency-window": "Out of scope: the grace period ended before the emergency window",
        /// Ask the customer for the screenshots (and user count) still missing.
        RequestScreenshots => "request-screenshots": "Request the missing screenshots and user count from the customer",
        /// Generate a temporary Ultimate license with the Mechanizer app.
        GenerateTemporaryLicense => "generate-temporary-license": "Generate a temporary Ultimate license with the Mechanizer app",
    }
}

crate::actions! {
    /// What a weekend license emergency asks for.
    pub enum WeekendEmergencyAction {
        /// Not a weekend: hand over to the weekday page.
        UseWeekdayWorkflow => "use-weekday-workflow": "Follow the weekday emergency workflow (policy weekday-emergency)",
        /// Out of scope: say so.
        DeclineEmergencyLicense => "decline-emergency-license": "Tell the customer that emergency licenses are only for customers with a paid plan",
        /// Ask for the evidence still missing.
        RequestScreenshots => "request-screenshots": "Ask the customer for the missing screenshots and user count and add them to the ticket",
        /// Generate the temporary license with the Mechanizer app and email it.
        EmailLicense => "email-license": "In the Mechanizer Zendesk app, generate the temporary Ultimate license and have it emailed to the requester" [license: Create],
        /// Tell the licensing channel, once the license is out.
        PostToLicensingChannel => "post-to-licensing-channel": "Post in the licensing channel that an emergency license was generated, with the ticket URL" [needs: EmailLicense],
        /// Record how the license went: `[Success]`, or an open request describing the failure.
        RecordInternalRequest => "record-internal-request": "Record the internal request: closed with a copy of the license, or open describing the failure" [reports: EmailLicense],
    }
}

/// Spec 3.2 `weekend-emergency`.
pub struct WeekendEmergency;

impl Policy for WeekendEmergency {
    const ID: &'static str = "weekend-emergency";
    const SUMMARY: &'static str = "A paid customer's license lapsed within the last days and it is the weekend: generate a short temporary Ultimate license.";
    const VERSION: u32 = 1;
    const SCENARIOS: &'static str = include_str!("../../scenarios/weekend-emergency.toml");
    type Facts = WeekendEmergencyFacts;
    type Outcome = WeekendEmergencyOutcome;
    type Action = WeekendEmergencyAction;

    fn build() -> Result<PolicyGraph<WeekendEmergencyFacts, WeekendEmergencyOutcome>, BuildError> {
        let mut g = GraphBuilder::new(Self::ID);
        g.timed_question(
            "is-weekend",
            "Is it a weekend in the support time zone?",
            |_: &WeekendEmergencyFacts, cx, want| time::is_weekend_at(cx).get(want),
        )
        .detail_with(|_, cx, weekend| weekend_detail_of(cx, weekend))
        .yes("customer-status")
        .no("use-weekday-workflow");
        scope_questions(&mut g, "screenshots-and-user-count");
        g.question(
            "screenshots-and-user-count",
            "Are both screenshots (Admin Area dashboard, license page) and the user count on the ticket?",
            |f: &WeekendEmergencyFacts, _| evidence(f).iter().all(|&(_, present)| present),
        )
        .detail(|f, _| evidence_detail(f))
        .yes("generate-temporary-license")
        .no("request-screenshots");
        g.outcomes();
        g.build()
    }

    fn subject(facts: &WeekendEmergencyFacts) -> crate::policy::Subject {
        crate::policy::Subject::new(Some(&facts.ticket_url), Some(&facts.requester_email))
    }

    fn details(
        outcome: WeekendEmergencyOutcome,
        facts: &WeekendEmergencyFacts,
        cx: &PolicyContext<'_>,
    ) -> Details {
        match outcome {
            WeekendEmergencyOutcome::UseWeekdayWorkflow => Details {
                actions: vec![WeekendEmergencyAction::UseWeekdayWorkflow.action()],
                ..Details::default()
            },
            WeekendEmergencyOutcome::OutOfScopeProspect
            | WeekendEmergencyOutcome::OutOfScopeUnpaid => Details {
                actions: vec![WeekendEmergencyAction::DeclineEmergencyLicense.action()],
                ..Details::default()
            },
            WeekendEmergencyOutcome::NotLapsed
            | WeekendEmergencyOutcome::OutsideEmergencyWindow => license_dates(&facts.license, cx),
            WeekendEmergencyOutcome::RequestScreenshots => {
                let missing = missing_evidence(facts);
                let wanted: Vec<&str> = missing.iter().map(|m| evidence_name(m)).collect();
                Details {
                    actions: vec![WeekendEmergencyAction::RequestScreenshots.saying(format!(
                        "Ask the customer for {} and add them to the ticket",
                        wanted.join(", ")
                    ))],
                    missing,
                    ..Details::default()
                }
            }
            WeekendEmergencyOutcome::GenerateTemporaryLicense => temporary_license(facts, cx),
        }
    }
}

/// The evidence still missing before a license can be generated, by its
/// public name: `admin_dashboard`, `license_page`, `user_count`.
fn missing_evidence(facts: &WeekendEmergencyFacts) -> Vec<&'static str> {
    evidence(facts)
        .into_iter()
        .filter_map(|(name, present)| (!present).then_some(name))
        .collect()
}

/// Each piece of evidence the page asks for, and whether it is on the ticket
/// (a user count of 0 is no count). Allocation-free: the question asks it on
/// the fast path.
fn evidence(facts: &WeekendEmergencyFacts) -> [(&'static str, bool); 3] {
    [
        ("admin_dashboard", facts.screenshots.admin_dashboard),
        ("license_page", facts.screenshots.license_page),
        (
            "user_count",
            facts.screenshot_user_count.is_some_and(|users| users > 0),
        ),
    ]
}

/// What each piece of evidence is, in the page's words.
fn evidence_name(missing: &str) -> &'static str {
    match missing {
        "admin_dashboard" => "a screenshot of Admin Area -> Overview -> Dashboard",
        "license_page" => "a screenshot of the license page (Admin Area -> License)",
        _ => "the user count shown on the screenshots",
    }
}

/// The temporary license to generate (spec 3.2 step 6): Ultimate, the
/// screenshot's user count, `min(temporary_license_days,
/// temporary_license_max_days, 10)` days from today in the support time zone,
/// emailed to the requester.
fn temporary_license(facts: &WeekendEmergencyFacts, cx: &PolicyContext<'_>) -> Details {
    let users = facts.screenshot_user_count.unwrap_or_default();
    let days = temporary_license_days(cx);
    let today = time::today_at(cx).value();
    let expires_on = today
        .checked_add_days(Days::new(u64::from(days)))
        .unwrap_or(NaiveDate::MAX);
    let email = facts.requester_email.clone();
    let title = format!("[Success] - Created a license under {email} for {users} users");
    Details {
        plan: Some(Plan::Ultimate),
        users: Some(users),
        days: Some(days),
        email: Some(email.to_string()),
        expires_on: Some(expires_on),
        internal_request: Some(title.clone()),
        actions: vec![
            WeekendEmergencyAction::EmailLicense
                .saying(format!(
                    "In the Mechanizer Zendesk app, generate a {days}-day Ultimate license for {users} users (generic licensee information, expires {expires_on}) and have it emailed to {email}"
                ))
            .message(
                Message::new(
                    "Your temporary license",
                    format!(
                        "Hello,\n\n\
                         As requested on your support ticket, here is a temporary Ultimate license for {users} users, valid for {days} days: it expires on {expires_on}. \
                         The license file is attached: upload it in your instance's Admin Area, under Subscription (or License).\n\n\
                         This license bridges the time until your subscription is renewed; please complete the renewal before it expires.\n\n\
                         Kind regards,\nSupport"
                    ),
                )
                .to(email.clone()),
            ),
            WeekendEmergencyAction::PostToLicensingChannel
                .saying(format!(
                    "Post in {LICENSING_CHANNEL} that an emergency license was generated, with the ticket URL {}",
                    facts.ticket_url
                ))
            .message(Message::new(
                "Weekend emergency license generated",
                format!(
                    "Weekend emergency license generated for {}: Ultimate, {users} users, {days} days (expires {expires_on}).",
                    facts.ticket_url
                ),
            )),
            WeekendEmergencyAction::RecordInternalRequest
                .saying(format!(
                    "Record the internal request `{title}` (closed, with a copy of the license); if the tool failed, record an open internal request describing the failure instead: no license was created"
                ))
            .message(Message::new(
                title.clone(),
                format!(
                    "A {days}-day temporary Ultimate license for {users} users was created under {email} for the weekend emergency on {}. It expires on {expires_on}.",
                    facts.ticket_url
                ),
            )),
        ],
        ..Details::default()
    }
}

/// Length of a generated temporary license: `temporary_license_days`, never
/// more than `temporary_license_max_days` nor the tool's hard limit of 10 days.
fn temporary_license_days(cx: &PolicyContext<'_>) -> u32 {
    cx.config
        .temporary_license_days
        .min(cx.config.temporary_license_max_days)
        .min(TEMPORARY_LICENSE_HARD_CAP_DAYS)
}

/// The evidence on the ticket: `admin dashboard: yes, license page: no, user count: 134`.
fn evidence_detail(facts: &WeekendEmergencyFacts) -> String {
    let users = match facts.screenshot_user_count {
        Some(users) if users > 0 => users.to_string(),
        Some(_) => "0 (not usable)".to_owned(),
        None => "unknown".to_owned(),
    };
    format!(
        "admin dashboard: {}, license page: {}, user count: {users}",
        yes_no(facts.screenshots.admin_dashboard),
        yes_no(facts.screenshots.license_page)
    )
}

impl StoredFacts for WeekendEmergency {
    type Supplied = NoSupplied;

    fn assemble(
        source: &impl FactSource,
        _: NoSupplied,
    ) -> Result<WeekendEmergencyFacts, FactSourceError> {
        let (admin_dashboard, license_page) = source.screenshots()?;
        Ok(WeekendEmergencyFacts {
            customer: source.customer()?,
            license: source.license()?,
            screenshots: EmergencyScreenshots {
                admin_dashboard,
                license_page,
            },
            screenshot_user_count: source.screenshot_user_count()?,
            requester_email: source.requester_email()?,
            ticket_url: source.ticket_url()?,
        })
    }
}
