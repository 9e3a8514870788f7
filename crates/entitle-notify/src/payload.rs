//! Reading a step's payload and its inputs (the payload's shape is fixed by
//! the store; see `docs/actions.md`).

use std::fmt::Write as _;

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

/// One line per input step: what it was, whether it succeeded, its link or
/// its last error. Empty when there are none.
pub(crate) fn inputs_summary(inputs: &[Input]) -> String {
    let mut out = String::new();
    for input in inputs {
        let _ = write!(out, "- `{}` ({}): ", input.action_id, input.sink);
        if input.succeeded {
            out.push_str("done");
            if let Some(link) = input_link(input) {
                let _ = write!(out, ", {link}");
            }
        } else {
            out.push_str("failed");
            if let Some(error) = &input.last_error {
                let _ = write!(out, ": {error}");
            }
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
        d.decision_id,
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
