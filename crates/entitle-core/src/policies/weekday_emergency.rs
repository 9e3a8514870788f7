//! # Emergencies During the Week - Self-Managed License Request
//!
//! Seed: `weekday-emergency-license.md`, its Mermaid flowchart. Spec 3.3.
//!
//! When a customer submits an emergency request for an expired license during
//! the week, Support determines whether the on-call engineer can handle it or
//! an L&R SME must intervene (also when the customer already had a
//! Sales-generated temporary extension).
//!
//! *Scope*: a self-managed customer with a **paid** plan, whose license's grace
//! period (14 days after expiration) ended within the last 3 days. *Out of
//! scope*: organizations without a paid plan; prospects.
//!
//! The flowchart, "The Customer Is Reporting Their Self-Managed License
//! Expired":
//! 1. Does the person who opened the ticket have an account in CDot?
//!    No: engage the assistance of an L&R SME.
//! 2. Does the CDot account have access to the subscription information?
//!    No: engage the assistance of an L&R SME.
//! 3. Look for the license subscription number on the CDot account, enter the
//!    subscription name in the Seat Link page of CDot: is there an entry with
//!    the current date on the page that is displayed? Yes: likely the issue has
//!    resolved itself; confirm this with the customer. No: engage an L&R SME.
//!
//! "The current date" is today in the support time zone.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::emergency_scope::{EmergencyScope, scope_questions};
use crate::domain::{Customer, License};
use crate::explain::license_dates;
use crate::explain::weekend_detail_of;
use crate::fact_source::{FactSource, FactSourceError, NoSupplied, StoredFacts};
use crate::graph::{BuildError, GraphBuilder};
use crate::policy::{Details, Policy, PolicyAction, PolicyContext, PolicyGraph};
use crate::time;

/// What the ticket and CustomersDot tell about a weekday license emergency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct WeekdayEmergencyFacts {
    /// The customer's billing status.
    pub customer: Customer,
    /// The expired license the customer reports.
    pub license: License,
    /// Whether the person who opened the ticket has an account in CustomersDot.
    pub requester_has_cdot_account: bool,
    /// Whether that CustomersDot account has access to the subscription information.
    pub account_has_subscription_access: bool,
    /// Dates of the Seat Link reports received for the subscription (CDot's
    /// Seat Link page).
    #[serde(deserialize_with = "crate::input::de::dates")]
    #[cfg_attr(
        feature = "schema",
        schemars(inner(pattern(crate::input::DATE_PATTERN)))
    )]
    pub seat_link_dates: Vec<NaiveDate>,
}

impl EmergencyScope for WeekdayEmergencyFacts {
    fn customer(&self) -> &Customer {
        &self.customer
    }

    fn license(&self) -> &License {
        &self.license
    }
}

crate::outcomes! {
    /// What to do about a weekday license emergency.
    pub enum WeekdayEmergencyOutcome {
        /// It is a weekend: the weekend workflow applies.
        UseWeekendWorkflow => "use-weekend-workflow": "A weekend: follow the weekend emergency workflow",
        /// Prospects are out of scope.
        OutOfScopeProspect => "out-of-scope-prospect": "Out of scope: prospects",
        /// Organizations without a paid plan are out of scope.
        OutOfScopeUnpaid => "out-of-scope-unpaid": "Out of scope: organizations without a paid plan",
        /// The license is still active or in its grace period.
        NotLapsed => "not-lapsed": "Out of scope: the license is still active or in its grace period",
        /// The grace period ended longer ago than the emergency window.
        OutsideEmergencyWindow => "outside-emergency-window": "Out of scope: the grace period ended before the emergency window",
        /// Engage the assistance of an L&R SME.
        EngageLrSme => "engage-lr-sme": "Engage the assistance of an L&R SME",
        /// Likely resolved by itself: confirm with the customer.
        LikelyResolved => "likely-resolved": "Likely the issue has resolved itself and no intervention is needed. Confirm this with the customer to be sure.",
    }
}

/// Spec 3.3 `weekday-emergency`.
pub struct WeekdayEmergency;

crate::actions! {
    /// What a weekday license emergency asks for.
    pub enum WeekdayEmergencyAction {
        /// A weekend: hand over to the weekend page.
        UseWeekendWorkflow => "use-weekend-workflow": "Follow the weekend emergency workflow (policy weekend-emergency)",
        /// Out of scope: say so.
        DeclineEmergencyLicense => "decline-emergency-license": "Tell the customer that the emergency license workflow is only for customers with a paid plan",
        /// Seat Link has no report today.
        EngageLrSme => "engage-lr-sme": "Engage the assistance of an L&R SME on the ticket",
        /// Seat Link reported today.
        ConfirmWithCustomer => "confirm-with-customer": "Seat Link reported today: ask the customer to confirm the license works again",
    }
}

impl Policy for WeekdayEmergency {
    const ID: &'static str = "weekday-emergency";
    const SUMMARY: &'static str = "A paid customer's license lapsed within the last days, during the week: check CDot and Seat Link, or engage an L&R SME.";
    const VERSION: u32 = 1;
    const SCENARIOS: &'static str = include_str!("../../scenarios/weekday-emergency.toml");
    type Facts = WeekdayEmergencyFacts;
    type Outcome = WeekdayEmergencyOutcome;
    type Action = WeekdayEmergencyAction;

    fn build() -> Result<PolicyGraph<WeekdayEmergencyFacts, WeekdayEmergencyOutcome>, BuildError> {
        let mut g = GraphBuilder::new(Self::ID);
        g.timed_question(
            "is-weekend",
            "Is it a weekend in the support time zone?",
            |_: &WeekdayEmergencyFacts, cx, want| time::is_weekend_at(cx).get(want),
        )
        .detail_with(|_, cx, weekend| weekend_detail_of(cx, weekend))
        .yes("use-weekend-workflow")
        .no("customer-status");
        scope_questions(&mut g, "cdot-account");
        g.question(
            "cdot-account",
            "Does the person who opened the ticket have an account in CDot?",
            |f: &WeekdayEmergencyFacts, _| f.requester_has_cdot_account,
        )
        .yes("subscription-access")
        .no("engage-lr-sme");
        g.question(
            "subscription-access",
            "Does the CDot account have access to the subscription information?",
            |f: &WeekdayEmergencyFacts, _| f.account_has_subscription_access,
        )
        .yes("seat-link-entry-today")
        .no("engage-lr-sme");
        g.timed_question(
            "seat-link-entry-today",
            "Look for the license subscription number on the CDot account and enter it on CDot's Seat Link page: is there an entry with the current date on the page that is displayed?",
            |f: &WeekdayEmergencyFacts, cx, want| {
                time::has_report_on_today_at(&f.seat_link_dates, cx).get(want)
            },
        )
        .detail(|f, cx| seat_link_detail(&f.seat_link_dates, cx))
        .yes("likely-resolved")
        .no("engage-lr-sme");
        g.outcomes();
        g.build()
    }

    fn details(
        outcome: WeekdayEmergencyOutcome,
        facts: &WeekdayEmergencyFacts,
        cx: &PolicyContext<'_>,
    ) -> Details {
        let action = |action: WeekdayEmergencyAction| Details {
            actions: vec![action.action()],
            ..Details::default()
        };
        match outcome {
            WeekdayEmergencyOutcome::UseWeekendWorkflow => {
                action(WeekdayEmergencyAction::UseWeekendWorkflow)
            }
            WeekdayEmergencyOutcome::OutOfScopeProspect
            | WeekdayEmergencyOutcome::OutOfScopeUnpaid => {
                action(WeekdayEmergencyAction::DeclineEmergencyLicense)
            }
            WeekdayEmergencyOutcome::NotLapsed
            | WeekdayEmergencyOutcome::OutsideEmergencyWindow => license_dates(&facts.license, cx),
            WeekdayEmergencyOutcome::EngageLrSme => action(WeekdayEmergencyAction::EngageLrSme),
            WeekdayEmergencyOutcome::LikelyResolved => {
                action(WeekdayEmergencyAction::ConfirmWithCustomer)
            }
        }
    }
}

/// The Seat Link reports around today: `today is 2026-11-23 (UTC); latest
/// report 2026-11-21`.
fn seat_link_detail(dates: &[NaiveDate], cx: &PolicyContext<'_>) -> String {
    let today = time::today_at(cx).value();
    let latest = dates.iter().filter(|d| **d <= today).max().map_or_else(
        || "no report so far".to_owned(),
        |d| format!("latest report {d}"),
    );
    format!("today is {today} in {}; {latest}", cx.config.timezone)
}

impl StoredFacts for WeekdayEmergency {
    type Supplied = NoSupplied;

    fn assemble(
        source: &impl FactSource,
        _: NoSupplied,
    ) -> Result<WeekdayEmergencyFacts, FactSourceError> {
        Ok(WeekdayEmergencyFacts {
            customer: source.customer()?,
            license: source.license()?,
            requester_has_cdot_account: source.requester_has_cdot_account(),
            account_has_subscription_access: source.account_has_subscription_access()?,
            seat_link_dates: source.seat_link_dates()?,
        })
    }
}
