//! # Self-managed license emergency: weekend or weekday
//!
//! Spec 3.4 `license-emergency`, composing the two emergency pages:
//! `weekend-emergency-license.md` (spec 3.2, [`WeekendEmergency`]) and
//! `weekday-emergency-license.md` (spec 3.3, [`WeekdayEmergency`]).
//!
//! The pages split the same emergency by the day of the week: on a
//! **weekend**, anyone in Support generates a short temporary license; during
//! the **week**, Support checks CustomersDot and Seat Link, or engages an L&R
//! SME. This router asks which day it is and hands the ticket to that page's
//! graph; the trace shows the step into it. Each page's own first question
//! ("is it a weekend?") is already answered by then, so the page is embedded
//! given that answer: it is not asked twice, and every path of this graph can
//! happen.
//!
//! The facts are one flat object, the union of both pages' fields (`customer`
//! and `license` once), so the caller need not know the day of the week.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::weekday_emergency::{
    WeekdayEmergency, WeekdayEmergencyAction, WeekdayEmergencyFacts, WeekdayEmergencyOutcome,
};
use super::weekend_emergency::{
    EmergencyScreenshots, WeekendEmergency, WeekendEmergencyAction, WeekendEmergencyFacts,
    WeekendEmergencyOutcome,
};
use crate::domain::{Customer, License};
use crate::explain::weekend_detail_of;
use crate::fact_source::{FactSource, FactSourceError, NoSupplied, StoredFacts};
use crate::graph::{BuildError, Given, GraphBuilder};
use crate::input::{Email, HttpUrl};
use crate::policy::{
    ActionInfo, Details, Outcome, Policy, PolicyAction, PolicyContext, PolicyGraph,
};
use crate::time;

/// The facts of a license emergency as the caller sends them: every field of
/// both pages, `customer` and `license` once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LicenseEmergencyFlatFacts {
    /// The customer's billing status.
    pub customer: Customer,
    /// The expired license the customer wants replaced.
    pub license: License,
    /// Which of the two screenshots are on the ticket (weekend page).
    pub screenshots: EmergencyScreenshots,
    /// The user count read from the screenshots; absent or `null` while
    /// unknown (weekend page).
    #[serde(default)]
    pub screenshot_user_count: Option<u32>,
    /// The email of the person who opened the ticket (weekend page).
    pub requester_email: Email,
    /// The ticket's URL, for the note in the licensing channel (weekend page).
    pub ticket_url: HttpUrl,
    /// Whether the person who opened the ticket has an account in
    /// CustomersDot (weekday page).
    pub requester_has_cdot_account: bool,
    /// Whether that CustomersDot account has access to the subscription
    /// information (weekday page).
    pub account_has_subscription_access: bool,
    /// Dates of the Seat Link reports received for the subscription (weekday page).
    #[serde(deserialize_with = "crate::input::de::dates")]
    #[cfg_attr(
        feature = "schema",
        schemars(inner(pattern(crate::input::DATE_PATTERN)))
    )]
    pub seat_link_dates: Vec<NaiveDate>,
}

/// The facts of a license emergency, split into each page's facts (the same
/// `customer` and `license` in both). Reads and writes the flat form,
/// [`LicenseEmergencyFlatFacts`]; build it from one with `From`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "LicenseEmergencyFlatFacts", into = "LicenseEmergencyFlatFacts")]
#[cfg_attr(
    feature = "schema",
    derive(schemars::JsonSchema),
    schemars(with = "LicenseEmergencyFlatFacts")
)]
pub struct LicenseEmergencyFacts {
    weekend: WeekendEmergencyFacts,
    weekday: WeekdayEmergencyFacts,
}

impl LicenseEmergencyFacts {
    /// The facts the weekend page decides on.
    pub fn weekend(&self) -> &WeekendEmergencyFacts {
        &self.weekend
    }

    /// The facts the weekday page decides on.
    pub fn weekday(&self) -> &WeekdayEmergencyFacts {
        &self.weekday
    }
}

impl From<LicenseEmergencyFlatFacts> for LicenseEmergencyFacts {
    fn from(flat: LicenseEmergencyFlatFacts) -> Self {
        Self {
            weekend: WeekendEmergencyFacts {
                customer: flat.customer,
                license: flat.license,
                screenshots: flat.screenshots,
                screenshot_user_count: flat.screenshot_user_count,
                requester_email: flat.requester_email,
                ticket_url: flat.ticket_url,
            },
            weekday: WeekdayEmergencyFacts {
                customer: flat.customer,
                license: flat.license,
                requester_has_cdot_account: flat.requester_has_cdot_account,
                account_has_subscription_access: flat.account_has_subscription_access,
                seat_link_dates: flat.seat_link_dates,
            },
        }
    }
}

impl From<LicenseEmergencyFacts> for LicenseEmergencyFlatFacts {
    fn from(facts: LicenseEmergencyFacts) -> Self {
        let LicenseEmergencyFacts { weekend, weekday } = facts;
        Self {
            customer: weekend.customer,
            license: weekend.license,
            screenshots: weekend.screenshots,
            screenshot_user_count: weekend.screenshot_user_count,
            requester_email: weekend.requester_email,
            ticket_url: weekend.ticket_url,
            requester_has_cdot_account: weekday.requester_has_cdot_account,
            account_has_subscription_access: weekday.account_has_subscription_access,
            seat_link_dates: weekday.seat_link_dates,
        }
    }
}

/// The outcome of the page the emergency was handed to; its id is that
/// page's outcome id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LicenseEmergencyOutcome {
    /// Decided by the weekend page.
    Weekend(WeekendEmergencyOutcome),
    /// Decided by the weekday page.
    Weekday(WeekdayEmergencyOutcome),
}

impl Outcome for LicenseEmergencyOutcome {
    /// Every weekend outcome, then every weekday outcome, in each page's
    /// order.
    #[allow(
        clippy::indexing_slicing,
        reason = "evaluated at compile time: an index out of bounds fails the build"
    )]
    const ALL: &'static [Self] = &{
        const WEEKEND: &[WeekendEmergencyOutcome] = WeekendEmergencyOutcome::ALL;
        const WEEKDAY: &[WeekdayEmergencyOutcome] = WeekdayEmergencyOutcome::ALL;
        let mut all = [LicenseEmergencyOutcome::Weekend(WeekendEmergencyOutcome::ALL[0]);
            WEEKEND.len() + WEEKDAY.len()];
        let mut i = 0;
        while i < WEEKEND.len() {
            all[i] = LicenseEmergencyOutcome::Weekend(WEEKEND[i]);
            i += 1;
        }
        while i < all.len() {
            all[i] = LicenseEmergencyOutcome::Weekday(WEEKDAY[i - WEEKEND.len()]);
            i += 1;
        }
        all
    };

    fn id(self) -> &'static str {
        match self {
            Self::Weekend(outcome) => outcome.id(),
            Self::Weekday(outcome) => outcome.id(),
        }
    }

    fn text(self) -> &'static str {
        match self {
            Self::Weekend(outcome) => outcome.text(),
            Self::Weekday(outcome) => outcome.text(),
        }
    }
}

impl Serialize for LicenseEmergencyOutcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// What a license emergency asks for: the weekend page's actions on a
/// weekend, the weekday page's otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LicenseEmergencyAction {
    /// An action of the weekend page.
    Weekend(WeekendEmergencyAction),
    /// An action of the weekday page.
    Weekday(WeekdayEmergencyAction),
}

impl PolicyAction for LicenseEmergencyAction {
    // Each page's actions but its hand-over to the other page: the
    // `is-weekend` question has answered that.
    const DECLARED: &'static [ActionInfo] = &[
        WeekendEmergencyAction::DeclineEmergencyLicense.declared(),
        WeekendEmergencyAction::RequestScreenshots.declared(),
        WeekendEmergencyAction::EmailLicense.declared(),
        WeekendEmergencyAction::PostToLicensingChannel.declared(),
        WeekendEmergencyAction::RecordInternalRequest.declared(),
        WeekdayEmergencyAction::DeclineEmergencyLicense.declared(),
        WeekdayEmergencyAction::EngageLrSme.declared(),
        WeekdayEmergencyAction::ConfirmWithCustomer.declared(),
    ];

    fn info(self) -> &'static ActionInfo {
        match self {
            LicenseEmergencyAction::Weekend(action) => action.info(),
            LicenseEmergencyAction::Weekday(action) => action.info(),
        }
    }
}

/// Spec 3.4 `license-emergency`.
pub struct LicenseEmergency;

impl Policy for LicenseEmergency {
    const ID: &'static str = "license-emergency";
    const SUMMARY: &'static str = "A self-managed license emergency on any day: the weekend page on a weekend, the weekday page otherwise.";
    const VERSION: u32 = 1;
    const SCENARIOS: &'static str = include_str!("../../scenarios/license-emergency.toml");
    type Facts = LicenseEmergencyFacts;
    type Outcome = LicenseEmergencyOutcome;
    type Action = LicenseEmergencyAction;

    fn build() -> Result<PolicyGraph<LicenseEmergencyFacts, LicenseEmergencyOutcome>, BuildError> {
        let weekend = WeekendEmergency::build()?;
        let weekday = WeekdayEmergency::build()?;
        let mut g = GraphBuilder::new(Self::ID);
        g.timed_question(
            "is-weekend",
            "Is it a weekend in the support time zone?",
            |_: &LicenseEmergencyFacts, cx, want| time::is_weekend_at(cx).get(want),
        )
        .detail_with(|_, cx, weekend| weekend_detail_of(cx, weekend))
        .yes("weekend")
        .no("weekday");
        g.subgraph_given(
            "weekend",
            "Follow the weekend emergency workflow:",
            &weekend,
            |f: &LicenseEmergencyFacts| &f.weekend,
            |outcome| LicenseEmergencyOutcome::Weekend(*outcome),
            &[Given::new("is-weekend", true)],
        );
        g.subgraph_given(
            "weekday",
            "Follow the weekday emergency workflow:",
            &weekday,
            |f: &LicenseEmergencyFacts| &f.weekday,
            |outcome| LicenseEmergencyOutcome::Weekday(*outcome),
            &[Given::new("is-weekend", false)],
        );
        g.build()
    }

    fn subject(facts: &LicenseEmergencyFacts) -> crate::policy::Subject {
        WeekendEmergency::subject(&facts.weekend)
    }

    fn details(
        outcome: LicenseEmergencyOutcome,
        facts: &LicenseEmergencyFacts,
        cx: &PolicyContext<'_>,
    ) -> Details {
        match outcome {
            LicenseEmergencyOutcome::Weekend(outcome) => {
                WeekendEmergency::details(outcome, &facts.weekend, cx)
            }
            LicenseEmergencyOutcome::Weekday(outcome) => {
                WeekdayEmergency::details(outcome, &facts.weekday, cx)
            }
        }
    }
}

impl StoredFacts for LicenseEmergency {
    type Supplied = NoSupplied;

    fn assemble(
        source: &impl FactSource,
        _: NoSupplied,
    ) -> Result<LicenseEmergencyFacts, FactSourceError> {
        // Each page's own facts, from the same records (the same customer
        // and license in both).
        Ok(LicenseEmergencyFacts {
            weekend: WeekendEmergency::assemble(source, NoSupplied {})?,
            weekday: WeekdayEmergency::assemble(source, NoSupplied {})?,
        })
    }
}
