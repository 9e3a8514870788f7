//! Routing a decision's actions to sinks, and the payload each step carries.

use std::collections::BTreeMap;

use entitle::policy::LicenseEffect;
use serde::{Deserialize, Serialize};

use super::payload::{StepActor, StepPayload, StepTicket};
use crate::error::StoreError;
use crate::log::JsonText;

/// The sink of an action no route names: a task for a person.
pub const MANUAL_SINK: &str = "manual";

/// Where each action goes: action id -> the sinks that carry it out, in turn
/// (`"email-license" = ["license-generator", "email"]`: the generator makes
/// the license, then the email sink mails it). An action with no route (or
/// an empty one) is a manual task.
///
/// Deserialises from a map of action id to sink names (the `[routes]` table
/// of the service config); which sinks exist is checked by whoever
/// configures them, not here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Routes {
    by_action: BTreeMap<String, Vec<String>>,
}

impl Routes {
    /// No routes: every action is a manual task.
    pub fn new() -> Routes {
        Routes::default()
    }

    /// These routes with `action` carried out by `sinks`, in turn.
    #[must_use]
    pub fn route<S: Into<String>>(
        mut self,
        action: impl Into<String>,
        sinks: impl IntoIterator<Item = S>,
    ) -> Routes {
        self.by_action
            .insert(action.into(), sinks.into_iter().map(Into::into).collect());
        self
    }

    /// The sinks of `action`, in turn; empty for a manual task.
    pub fn sinks(&self, action: &str) -> &[String] {
        self.by_action.get(action).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every route: action id and its sinks, by action id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.by_action
            .iter()
            .map(|(action, sinks)| (action.as_str(), sinks.as_slice()))
    }

    /// No action is routed.
    pub fn is_empty(&self) -> bool {
        self.by_action.is_empty()
    }
}

impl<A: Into<String>, S: Into<String>> FromIterator<(A, Vec<S>)> for Routes {
    fn from_iter<I: IntoIterator<Item = (A, Vec<S>)>>(iter: I) -> Routes {
        Routes {
            by_action: iter
                .into_iter()
                .map(|(a, s)| (a.into(), s.into_iter().map(Into::into).collect()))
                .collect(),
        }
    }
}

/// What the payload of a decision's steps says besides the report: its
/// ticket, the requester and the caller.
#[derive(Debug, Clone, Copy)]
pub struct ActionContext<'a> {
    /// The stored ticket's id, if the decision is about one.
    pub ticket_id: Option<&'a str>,
    /// The ticket's URL (default: the one the policy says its facts are
    /// about, [`entitle::policy::Policy::subject`]).
    pub ticket_url: Option<&'a str>,
    /// Who asked (default: the requester the policy says its facts are
    /// about).
    pub requester_email: Option<&'a str>,
    /// The caller's role (`support-engineer`).
    pub role: &'a str,
    /// The caller's token id, if known.
    pub user: Option<&'a str>,
}

/// An action of a decision, routed, ready to be logged with it
/// ([`crate::NewDecision::actions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAction {
    /// The action's id (`email-license`).
    pub action_id: String,
    /// The sinks carrying it out, in turn; empty for a manual task.
    pub sinks: Vec<String>,
    /// An earlier action of the decision that must succeed first.
    pub needs: Option<String>,
    /// An earlier action of the decision whose result this one records.
    pub reports: Option<String>,
    /// What the action does to the ticket's one license.
    pub license: LicenseEffect,
    /// Each of its steps' own part of the payload (no secrets): a
    /// [`StepPayload`] without its decision, serialised; the members
    /// `policy`, `policy_version`, `outcome`, `details` (without `actions`)
    /// and `facts` of its decision are added when a step is read (its own
    /// members win). Anything but an object is the whole payload.
    pub payload: JsonText,
}

impl NewAction {
    /// The actions of `report` (its `details.actions`, in order), routed by
    /// `routes`, each with its own part of the payload: the action and its
    /// text, the ticket, the requester and the caller (the report's part,
    /// its details and facts, is its log entry's, joined when a step is
    /// read).
    pub fn from_report(
        report: &entitle::DecisionReport,
        routes: &Routes,
        cx: &ActionContext<'_>,
    ) -> Result<Vec<NewAction>, StoreError> {
        if report.details.actions.is_empty() {
            return Ok(Vec::new());
        }
        let subject = &report.subject;
        let cx = ActionContext {
            ticket_url: cx.ticket_url.or(subject.ticket_url.as_deref()),
            requester_email: cx.requester_email.or(subject.requester_email.as_deref()),
            ..*cx
        };
        Self::routed(report, routes, &cx)
    }

    /// The actions of `report` for a context whose ticket URL and requester
    /// are final (no fallback to the report's subject).
    fn routed(
        report: &entitle::DecisionReport,
        routes: &Routes,
        cx: &ActionContext<'_>,
    ) -> Result<Vec<NewAction>, StoreError> {
        let json = |context, source| StoreError::Json { context, source };
        let (ticket_url, requester_email) = (cx.ticket_url, cx.requester_email);
        report
            .details
            .actions
            .iter()
            .map(|action| {
                // The step's own part: the decision's (its details, facts,
                // ...) is its log entry's, joined when the step is read.
                let payload = StepPayload {
                    action: action.id.to_owned(),
                    text: action.text.clone(),
                    ticket: StepTicket {
                        id: cx.ticket_id.map(str::to_owned),
                        url: ticket_url.map(str::to_owned),
                    },
                    requester_email: requester_email.map(str::to_owned),
                    actor: StepActor {
                        role: cx.role.to_owned(),
                        user: cx.user.map(str::to_owned),
                    },
                    message: action.message.clone(),
                    origin: None,
                    // Its log entry's, joined when the step is read.
                    decision: Default::default(),
                };
                Ok(NewAction {
                    action_id: action.id.to_owned(),
                    sinks: routes.sinks(action.id).to_vec(),
                    needs: action.needs.map(str::to_owned),
                    reports: action.reports.map(str::to_owned),
                    license: action.license,
                    payload: JsonText::serialize(&payload)
                        .map_err(|e| json("an action's payload", e))?,
                })
            })
            .collect()
    }
}

impl crate::log::NewDecision {
    /// This entry with its report's actions routed by `routes`, and the
    /// license ticket set: the entry's
    /// ticket, else the identity of the ticket URL the policy says its facts
    /// are about (`report.subject`, [`entitle::input::ticket_url_key`]). An
    /// action that makes or re-runs a license with neither is
    /// [`StoreError::LicenseWithoutTicket`]: the one-license guard could not
    /// apply. The payload's requester and ticket URL are the report's
    /// subject; `user` is the caller's token id.
    pub fn with_actions(
        mut self,
        routes: &Routes,
        user: Option<&str>,
    ) -> Result<crate::log::NewDecision, StoreError> {
        let report = std::sync::Arc::clone(&self.report);
        if report.details.actions.is_empty() {
            // Nothing for the outbox.
            return Ok(self);
        }
        let subject = &report.subject;
        let actions = NewAction::routed(
            &report,
            routes,
            &ActionContext {
                ticket_id: self.ticket_id.as_deref(),
                ticket_url: subject.ticket_url.as_deref(),
                requester_email: subject.requester_email.as_deref(),
                role: &self.role,
                user,
            },
        )?;
        // One ticket, one key: the stored ticket's id, else the identity of
        // the subject's URL (however it is spelt; `DecisionLog::append` maps it to
        // the stored ticket that has it).
        self.action_ticket = self
            .ticket_id
            .clone()
            .or_else(|| subject.ticket_url.as_deref().map(crate::records::url_key));
        if self.action_ticket.is_none() {
            if let Some(action) = actions.iter().find(|a| a.license != LicenseEffect::None) {
                return Err(StoreError::LicenseWithoutTicket {
                    policy: report.policy.to_owned(),
                    outcome: report.outcome.to_owned(),
                    action: action.action_id.clone(),
                });
            }
        }
        self.actions = actions;
        Ok(self)
    }
}
