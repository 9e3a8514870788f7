//! The data an outcome carries: [`Details`], and the [`Action`]s to carry
//! the page out.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::Plan;
use crate::schedule::Engineer;

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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// What a service sends when it carries the action out, written for
    /// its reader (the customer, the team's channel, the tracker); `text`
    /// stays the instruction a person follows. Not part of the JSON form
    /// of a decision: the outbox hands it to the sinks.
    #[serde(skip)]
    pub message: Option<Message>,
}

/// A message written for its reader: what a sink sends on an action's
/// behalf (a channel post, a record's title and description, an email, a
/// ticket opened for the customer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Message {
    /// The person it is for, when outside the team: the customer's email
    /// address (a ticket's requester, an email's recipient). `None` for the
    /// team's own channel or tracker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The subject line, or a record's title.
    pub subject: String,
    /// The message itself.
    pub body: String,
    /// Internal context for the team beside a message to the customer
    /// (a ticket's private note): never shown to `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Message {
    /// A message with `subject` and `body`, for the team.
    pub fn new(subject: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            to: None,
            subject: subject.into(),
            body: body.into(),
            note: None,
        }
    }

    /// This message, for the person at email address `to`.
    #[must_use]
    pub fn to(mut self, to: impl Into<String>) -> Self {
        self.to = Some(to.into());
        self
    }

    /// This message with an internal `note` the reader never sees.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
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
            message: None,
        }
    }

    /// What a service sends when it carries this action out.
    #[must_use]
    pub fn message(mut self, message: Message) -> Self {
        self.message = Some(message);
        self
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
/// `review_on` and `reviewer` for provisioning failures, `missing` for screenshots still
/// needed, `actions` for what to do next).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// The engineer the monitoring schedule names for `review_on`; absent
    /// without a schedule, or when the schedule names nobody that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewer: Option<Engineer>,
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
