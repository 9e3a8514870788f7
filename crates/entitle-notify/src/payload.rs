//! What the sinks share in reading a step's payload and its inputs (the
//! payload is the store's [`StepPayload`]; see `docs/actions.md`).

use std::fmt::Write as _;

use entitle_store::{ByHand, StepPayload};
use serde::Deserialize;

use crate::delivery::{Delivery, Input};

/// The Zendesk ticket a step is about: the ticket id when it is a plain
/// token (digits, letters, `-`, `_`), else the number that ends its URL
/// (`.../tickets/123`).
pub(crate) fn ticket_number(p: &StepPayload) -> Option<String> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if let Some(id) = p.ticket_id().filter(|id| plain(id)) {
        return Some(id.to_owned());
    }
    let url = p.ticket_url()?;
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let last = path.trim_end_matches('/').rsplit('/').next()?;
    (!last.is_empty() && last.chars().all(|c| c.is_ascii_digit())).then(|| last.to_owned())
}

/// The line a sink writes into what it creates (an issue's description, a
/// comment) so that a later attempt finds it instead of writing it twice:
/// `entitle-ref: <key>`.
pub(crate) fn marker(key: &str) -> String {
    format!("entitle-ref: {key}")
}

/// How a person settled an input step by hand, if they did: who, and
/// their note (the store keeps them in the step's response).
pub(crate) fn by_hand(input: &Input) -> Option<ByHand> {
    input.result().by_hand.filter(|b| !b.by.is_empty())
}

/// The license an input step produced (its response's `license`), with the
/// file name the generator gave it, if any.
pub(crate) fn license(inputs: &[Input]) -> Option<(String, Option<String>)> {
    inputs
        .iter()
        .filter(|input| input.succeeded)
        .find_map(|input| {
            let result = input.result();
            let license = result.license()?.to_owned();
            Some((license, result.filename().map(str::to_owned)))
        })
}

/// What a tracker answered when it made something: a GitLab issue's
/// `web_url`, a Zendesk ticket's `url` (in the sink's kept answer,
/// `{"status", "body"}`, or as the body itself).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Made {
    web_url: Option<String>,
    body: Option<MadeBody>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MadeBody {
    web_url: Option<String>,
    ticket: Option<MadeTicket>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MadeTicket {
    url: Option<String>,
}

/// A link to what an input step made: a GitLab issue's `web_url`, a Zendesk
/// ticket's `url`.
fn input_link(input: &Input) -> Option<String> {
    let made = Made::deserialize(input.response.as_ref()?).ok()?;
    let body = made.body.unwrap_or_default();
    [made.web_url, body.web_url, body.ticket.and_then(|t| t.url)]
        .into_iter()
        .flatten()
        .find(|link| !link.is_empty())
}

/// One line per input step: what it was, whether it succeeded (by its sink
/// or by hand), its link or its last error. Empty when there are none.
pub(crate) fn inputs_summary(inputs: &[Input]) -> String {
    let mut out = String::new();
    for input in inputs {
        let _ = write!(out, "- `{}` via {}: ", input.action_id, input.sink);
        if let Some(ByHand { by, note }) = by_hand(input) {
            let _ = write!(out, "done by hand by {by}");
            if let Some(note) = note.filter(|n| !n.is_empty()) {
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
    let p = d.payload;
    let mut out = String::new();
    if let Some(url) = p.ticket_url() {
        let _ = writeln!(out, "Ticket: {url}");
    } else if let Some(id) = p.ticket_id() {
        let _ = writeln!(out, "Ticket: {id}");
    }
    let _ = writeln!(
        out,
        "Decided by entitle: policy `{}`, outcome `{}`, action `{}` (decision {}, action {}).",
        p.decision.policy,
        p.decision.outcome,
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
