//! A step's payload, stored in two parts: the step's own (its action's id
//! and text, the ticket, the requester and the caller: a few hundred
//! bytes), and its decision's (policy, version, outcome, details without
//! their actions, facts), which the decision-log row already holds and is
//! joined back when the step is read. A decision's steps then store their
//! facts and details once, in its log entry, not once per step.
//!
//! Steps written before migration 4 hold the whole payload (`payload_form`
//! `whole`); they are read as stored.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::StoreError;

/// How a step's `payload` column is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PayloadForm {
    /// The step's own part; its decision's part is joined when read.
    Own,
    /// The whole payload, as given (steps written before migration 4).
    Whole,
}

impl PayloadForm {
    /// The form as stored (`own`, `whole`).
    pub(crate) fn from_name(name: &str) -> Option<PayloadForm> {
        match name {
            "own" => Some(PayloadForm::Own),
            "whole" => Some(PayloadForm::Whole),
            _ => None,
        }
    }
}

/// A step's payload: what a sink is given (no secrets; see
/// `docs/actions.md`). The outbox writes the step's own members (its
/// action, text, message, ticket, requester, actor and, from intake, its
/// origin); its decision's ([`FromDecision`]) are the log entry's, joined
/// when the step is read. [`ActionRecord::step_payload`](crate::ActionRecord::step_payload)
/// reads a step's payload as this type: steps written before schema
/// version 4 (the whole payload) and after (the own part, joined) alike,
/// every member optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepPayload {
    /// The action's id (`email-license`).
    pub action: String,
    /// The action's instruction, for a person.
    pub text: String,
    /// The ticket the step is about.
    pub ticket: StepTicket,
    /// Who asked: the customer's contact the policy's facts name.
    pub requester_email: Option<String>,
    /// Who made the decision.
    pub actor: StepActor,
    /// What the sink sends, written for its reader (absent: the text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<entitle::policy::Message>,
    /// What started the decision, when intake did (the tracker issue).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    /// The decision the step comes from (not stored with the step: its log
    /// entry holds it).
    #[serde(flatten, skip_serializing_if = "FromDecision::is_unset")]
    pub decision: FromDecision,
}

impl StepPayload {
    /// The ticket's URL, if it has a non-empty one.
    pub fn ticket_url(&self) -> Option<&str> {
        non_empty(self.ticket.url.as_deref())
    }

    /// The ticket's id, if it has a non-empty one.
    pub fn ticket_id(&self) -> Option<&str> {
        non_empty(self.ticket.id.as_deref())
    }

    /// The requester's email: the payload's, else the decision's
    /// `details.email`.
    pub fn requester(&self) -> Option<&str> {
        non_empty(self.requester_email.as_deref())
            .or_else(|| non_empty(self.decision.details.email.as_deref()))
    }

    /// The engineer who asked for the decision (`actor.user`).
    pub fn actor_user(&self) -> Option<&str> {
        non_empty(self.actor.user.as_deref())
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

/// The ticket a step is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepTicket {
    /// The stored ticket's id.
    pub id: Option<String>,
    /// The ticket's URL.
    pub url: Option<String>,
}

/// Who made the decision.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepActor {
    /// The caller's role (`support-engineer`).
    pub role: String,
    /// The caller's token id (`intake:gitlab` for intake).
    pub user: Option<String>,
}

/// What started a decision from intake: the tracker issue, which the
/// GitLab sink answers on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Origin {
    /// `gitlab`.
    pub source: String,
    /// The issue's URL.
    pub issue_url: Option<String>,
    /// The issue's number in its project.
    pub issue_iid: Option<u64>,
}

impl Origin {
    /// The GitLab issue's iid, if the decision came from one.
    pub fn gitlab_issue(&self) -> Option<u64> {
        (self.source == "gitlab")
            .then_some(self.issue_iid)
            .flatten()
    }
}

/// A step's decision: its log entry's part of the payload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FromDecision {
    /// The policy id.
    pub policy: String,
    /// The policy's behaviour version.
    pub policy_version: u32,
    /// The outcome id.
    pub outcome: String,
    /// The decision's details, without `actions`.
    pub details: StepDetails,
    /// The facts decided on.
    pub facts: Value,
}

impl FromDecision {
    /// Not set (a step's own part, as the outbox writes it).
    fn is_unset(&self) -> bool {
        self.policy.is_empty()
    }
}

/// A decision's details as a step carries them: the license terms and the
/// record's title the sinks use, typed; the other members as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepDetails {
    /// The license's plan (`ultimate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    /// Its user count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<u32>,
    /// Its length in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// Where it is sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Its start date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_on: Option<chrono::NaiveDate>,
    /// Its expiry date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<chrono::NaiveDate>,
    /// The title of the internal request's success record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal_request: Option<String>,
    /// The details' other members.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// What a step's sink answered, or a person recorded, as the steps after it
/// read it: the license a generator made (`{"license", "filename"}`), and
/// who did the step by hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepResult {
    /// Who carried the step out by hand, if a person did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_hand: Option<ByHand>,
    /// The license made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// Its file name, if the generator or the person gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
}

impl StepResult {
    /// The result in `response` (a step's stored response); anything that
    /// is not such an object holds nothing.
    pub fn of(response: &Value) -> StepResult {
        StepResult::deserialize(response).unwrap_or_default()
    }

    /// The license, if there is a non-empty one.
    pub fn license(&self) -> Option<&str> {
        non_empty(self.license.as_deref())
    }

    /// The license's file name, if there is a non-empty one.
    pub fn filename(&self) -> Option<&str> {
        non_empty(self.filename.as_deref())
    }
}

/// A person who carried a step out by hand, and their note.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ByHand {
    /// Who (`cli:ada`, a token id).
    pub by: String,
    /// Their note.
    pub note: Option<String>,
}

/// A decision's part of its steps' payloads, parsed once from its log
/// entry's columns.
#[derive(Debug, Clone)]
pub(crate) struct DecisionPart {
    policy: String,
    policy_version: i64,
    outcome: String,
    /// Without `actions`.
    details: Value,
    facts: Value,
}

impl DecisionPart {
    /// The part held by the log entry whose columns are these; `Err` names
    /// the column that is not JSON.
    pub(crate) fn parse(
        policy: String,
        policy_version: i64,
        outcome: String,
        details: &str,
        facts: &str,
    ) -> Result<DecisionPart, (&'static str, serde_json::Error)> {
        let mut details: Value =
            serde_json::from_str(details).map_err(|e| ("decision details", e))?;
        if let Some(map) = details.as_object_mut() {
            map.remove("actions");
        }
        let facts = serde_json::from_str(facts).map_err(|e| ("decision facts", e))?;
        Ok(DecisionPart {
            policy,
            policy_version,
            outcome,
            details,
            facts,
        })
    }

    /// The whole payload of a step whose own part is `own`: the decision's
    /// members, then the step's own (which win). An own part that is not an
    /// object is the whole payload.
    pub(crate) fn join(&self, own: Value) -> Value {
        let Value::Object(own) = own else {
            return own;
        };
        let mut whole = Map::new();
        whole.insert("policy".to_owned(), Value::from(self.policy.as_str()));
        whole.insert(
            "policy_version".to_owned(),
            Value::from(self.policy_version),
        );
        whole.insert("outcome".to_owned(), Value::from(self.outcome.as_str()));
        whole.insert("details".to_owned(), self.details.clone());
        whole.insert("facts".to_owned(), self.facts.clone());
        whole.extend(own);
        Value::Object(whole)
    }
}

/// A decision's part of its steps' payloads as its log entry's columns
/// hold it, parsed when needed.
#[derive(Debug)]
pub(crate) struct DecisionTexts {
    pub(crate) policy: String,
    pub(crate) policy_version: i64,
    pub(crate) outcome: String,
    pub(crate) details: String,
    pub(crate) facts: String,
}

impl DecisionTexts {
    /// Parsed, for joining.
    pub(crate) fn parse(self) -> Result<DecisionPart, StoreError> {
        DecisionPart::parse(
            self.policy,
            self.policy_version,
            self.outcome,
            &self.details,
            &self.facts,
        )
        .map_err(|(_, source)| StoreError::Json {
            context: "a logged decision's details and facts",
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn part() -> DecisionPart {
        DecisionPart::parse(
            "weekend-emergency".to_owned(),
            1,
            "generate-temporary-license".to_owned(),
            r#"{"users":134,"actions":[{"id":"email-license"}]}"#,
            r#"{"screenshot_user_count":134}"#,
        )
        .unwrap()
    }

    #[test]
    fn the_decision_part_is_joined_and_the_own_part_wins() {
        let own = json!({"action": "email-license", "text": "Email it", "outcome": "mine"});
        assert_eq!(
            part().join(own),
            json!({
                "action": "email-license", "text": "Email it",
                "policy": "weekend-emergency", "policy_version": 1, "outcome": "mine",
                "details": {"users": 134}, "facts": {"screenshot_user_count": 134},
            })
        );
        // Not an object: the whole payload.
        assert_eq!(part().join(json!("as given")), json!("as given"));
    }

    #[test]
    fn a_step_payload_reads_the_own_part_joined_and_a_whole_payload_alike() {
        let own = StepPayload {
            action: "email-license".to_owned(),
            text: "Email it".to_owned(),
            ticket: StepTicket {
                id: None,
                url: Some("https://t.example/4711".to_owned()),
            },
            requester_email: Some("ada@example.com".to_owned()),
            actor: StepActor {
                role: "support-engineer".to_owned(),
                user: Some("tok".to_owned()),
            },
            ..StepPayload::default()
        };
        // The own part as the outbox stores it: no decision members.
        let stored = serde_json::to_value(&own).unwrap();
        assert_eq!(
            stored,
            json!({"action": "email-license", "text": "Email it",
                   "ticket": {"id": null, "url": "https://t.example/4711"},
                   "requester_email": "ada@example.com",
                   "actor": {"role": "support-engineer", "user": "tok"}})
        );
        let joined: StepPayload = serde_json::from_value(part().join(stored)).unwrap();
        assert_eq!(joined.decision.policy, "weekend-emergency");
        assert_eq!(joined.decision.details.users, Some(134));
        assert_eq!(joined.decision.facts, json!({"screenshot_user_count": 134}));
        assert_eq!(joined.ticket_url(), Some("https://t.example/4711"));
        // Written before schema version 4 (the whole payload), or by intake
        // (a note on a refused issue): what is there is read, the rest is
        // absent.
        let note: StepPayload = serde_json::from_value(json!({
            "action": "note-refused-request", "text": "Fix the issue",
            "origin": {"source": "gitlab", "issue_url": "https://gl/i/7", "issue_iid": 7},
        }))
        .unwrap();
        assert_eq!(note.origin.as_ref().and_then(Origin::gitlab_issue), Some(7));
        assert_eq!((note.ticket_url(), note.requester()), (None, None));
        // The details' members no sink reads are kept as they are.
        let details = json!({"users": 3, "reviewer": {"name": "Kim"}});
        let typed: StepDetails = serde_json::from_value(details.clone()).unwrap();
        assert_eq!(serde_json::to_value(typed).unwrap(), details);
    }

    #[test]
    fn a_step_result_holds_the_license_and_who_did_it_by_hand() {
        let made = StepResult::of(&json!({"license": "L", "filename": "a.gitlab-license"}));
        assert_eq!(
            (made.license(), made.filename()),
            (Some("L"), Some("a.gitlab-license"))
        );
        let by_hand = StepResult::of(&json!({"by_hand": {"by": "cli:ada", "note": null}}));
        assert_eq!(by_hand.by_hand.map(|b| b.by).as_deref(), Some("cli:ada"));
        assert_eq!(
            StepResult::of(&json!("not an object")),
            StepResult::default()
        );
    }

    #[test]
    fn a_corrupt_column_is_named() {
        let bad = DecisionPart::parse("p".into(), 1, "o".into(), "{", "{}").unwrap_err();
        assert_eq!(bad.0, "decision details");
        let bad = DecisionPart::parse("p".into(), 1, "o".into(), "{}", "[").unwrap_err();
        assert_eq!(bad.0, "decision facts");
    }
}
