//! Reading a step's payload and its inputs (the payload's shape is fixed by
//! the store; see `docs/actions.md`).

use std::fmt::Write as _;

use entitle::policy::Message;
use serde_json::Value;

use crate::delivery::{Delivery, Input};

/// The string at `path` in `value`, if there is a non-empty one.
pub(crate) fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    let mut at = value;
    for key in path {
        at = at.get(key)?;
    }
    at.as_str().filter(|s| !s.is_empty())
}

/// A step's payload, read field by field.
pub(crate) struct Payload<'a>(pub(crate) &'a Value);

impl<'a> Payload<'a> {
    /// The action's text (what a person would do).
    pub(crate) fn text(&self) -> &'a str {
        str_at(self.0, &["text"]).unwrap_or_default()
    }

    /// The policy id.
    pub(crate) fn policy(&self) -> &'a str {
        str_at(self.0, &["policy"]).unwrap_or_default()
    }

    /// The decision's outcome.
    pub(crate) fn outcome(&self) -> &'a str {
        str_at(self.0, &["outcome"]).unwrap_or_default()
    }

    /// The ticket's URL.
    pub(crate) fn ticket_url(&self) -> Option<&'a str> {
        str_at(self.0, &["ticket", "url"])
    }

    /// The ticket's id.
    pub(crate) fn ticket_id(&self) -> Option<&'a str> {
        str_at(self.0, &["ticket", "id"])
    }

    /// The requester's email: the payload's, else the decision's `details.email`.
    pub(crate) fn requester_email(&self) -> Option<&'a str> {
        str_at(self.0, &["requester_email"]).or_else(|| str_at(self.0, &["details", "email"]))
    }

    /// The engineer who asked for the decision (`actor.user`).
    pub(crate) fn actor_user(&self) -> Option<&'a str> {
        str_at(self.0, &["actor", "user"])
    }

    /// A field of the decision's details.
    pub(crate) fn detail(&self, key: &str) -> Value {
        self.0
            .get("details")
            .and_then(|details| details.get(key))
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// A string field of the decision's details.
    pub(crate) fn detail_str(&self, key: &str) -> Option<&'a str> {
        str_at(self.0, &["details", key])
    }

    /// What the sink sends, written for its reader, if the policy wrote
    /// one (else the sink falls back on the action's text).
    pub(crate) fn message(&self) -> Option<Message> {
        let message = self.0.get("message")?;
        serde_json::from_value(message.clone()).ok()
    }

    /// The Zendesk ticket the decision is about: the ticket id when it is a
    /// plain token (digits, letters, `-`, `_`), else the number that ends
    /// its URL (`.../tickets/123`).
    pub(crate) fn ticket_number(&self) -> Option<String> {
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        if let Some(id) = self.ticket_id().filter(|id| plain(id)) {
            return Some(id.to_owned());
        }
        let url = self.ticket_url()?;
        let path = url.split(['?', '#']).next().unwrap_or(url);
        let last = path.trim_end_matches('/').rsplit('/').next()?;
        (!last.is_empty() && last.chars().all(|c| c.is_ascii_digit())).then(|| last.to_owned())
    }
}

/// The line a sink writes into what it creates (an issue's description, a
/// comment) so that a later attempt finds it instead of writing it twice:
/// `entitle-ref: <key>`.
pub(crate) fn marker(key: &str) -> String {
    format!("entitle-ref: {key}")
}

/// How a person settled an input step by hand, if they did: who, and
/// their note (the store keeps them in the step's response).
pub(crate) fn by_hand(input: &Input) -> Option<(&str, Option<&str>)> {
    let response = input.response.as_ref()?;
    let by = str_at(response, &["by_hand", "by"])?;
    Some((by, str_at(response, &["by_hand", "note"])))
}

/// The license an input step produced (its response's `license`), with the
/// file name the generator gave it, if any.
pub(crate) fn license(inputs: &[Input]) -> Option<(&str, Option<&str>)> {
    inputs
        .iter()
        .filter(|input| input.succeeded)
        .find_map(|input| {
            let response = input.response.as_ref()?;
            let license = str_at(response, &["license"])?;
            Some((license, str_at(response, &["filename"])))
        })
}

/// A link to what an input step made: a GitLab issue's `web_url`, a Zendesk
/// ticket's `url`.
fn input_link(input: &Input) -> Option<&str> {
    let response = input.response.as_ref()?;
    str_at(response, &["web_url"])
        .or_else(|| str_at(response, &["body", "web_url"]))
        .or_else(|| str_at(response, &["body", "ticket", "url"]))
}

/// One line per input step: what it was, whether it succeeded (by its sink
/// or by hand), its link or its last error. Empty when there are none.
pub(crate) fn inputs_summary(inputs: &[Input]) -> String {
    let mut out = String::new();
    for input in inputs {
        let _ = write!(out, "- `{}` via {}: ", input.action_id, input.sink);
        if let Some((by, note)) = by_hand(input) {
            let _ = write!(out, "done by hand by {by}");
            if let Some(note) = note {
                let _ = write!(out, " ({note})");
            }
        } else if input.succeeded {
            out.push_str("done");
            if let Some(link) = input_link(input) {
                let _ = write!(out, ", {link}");
            }
        } else if let Some(error) = &input.last_error {
            let _ = write!(out, "failed: {error}");
        } else {
            out.push_str("not tried (cancelled)");
        }
        out.push('\n');
    }
    out
}

/// The context lines every ticket and issue body ends with.
pub(crate) fn context(d: &Delivery<'_>) -> String {
    let p = Payload(d.payload);
    let mut out = String::new();
    if let Some(url) = p.ticket_url() {
        let _ = writeln!(out, "Ticket: {url}");
    } else if let Some(id) = p.ticket_id() {
        let _ = writeln!(out, "Ticket: {id}");
    }
    let _ = writeln!(
        out,
        "Decided by entitle: policy `{}`, outcome `{}`, action `{}` (decision {}, action {}).",
        p.policy(),
        p.outcome(),
        d.action_id,
        d.decision_id.unwrap_or("none"),
        d.action_row_id
    );
    out
}

/// `text` cut to at most `max` characters at a word, with `…` when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at_word = match cut.rfind(' ') {
        Some(space) if space > max / 2 => cut.get(..space).unwrap_or(&cut),
        _ => cut.as_str(),
    };
    format!("{}…", at_word.trim_end())
}
