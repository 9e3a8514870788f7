//! A seeded fuzzer for intake's readers (issue #24): Zendesk ticket-event
//! bodies, GitLab issue-event bodies with the "Report a provision failure"
//! template, and Zendesk's signature check, each fed valid inputs with
//! byte-level and structure-aware mutations (unrendered placeholders, wrong
//! types, control characters, deep nesting, huge numbers, cut text).
//!
//! Every case runs under `catch_unwind`. A finding is a panic; a body read
//! whose result breaks what it promises (a ticket URL that is no `http(s)`
//! URL, an email the strict reader refuses, a count that is no whole
//! number, a report whose facts `provision-failure` refuses for a reason
//! other than a bad value, a refusal naming no member); or a signature
//! accepted that is not the body's. Findings are printed with the case seed;
//! the exit status is 1 if there was any.
//!
//! ```sh
//! cargo run --release -p entitle-http --example fuzz_intake -- --seconds 600 --seed 2026
//! ```
//!
//! The last line is `fuzz_intake cases=<n> findings=<m>` with the tally of
//! what the readers did above it.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use entitle_http::intake::gitlab::{self, IssueEvent};
use entitle_http::intake::zendesk;
use entitle_http::intake::{IntakeConfig, IntakeSecret};
use serde_json::{Value, json};

/// xorshift64*: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len()))
            .copied()
            .unwrap_or_default()
    }
}

const ODD_VALUES: &[&str] = &[
    "",
    " ",
    "{{ticket.id}}",
    "{{ticket.ticket_field_360044444444}}",
    "{{",
    "}}",
    "true",
    "false",
    "yes",
    "no",
    "1",
    "0",
    "-1",
    "4294967296",
    "18446744073709551616",
    "1e3",
    "118",
    "https://example.zendesk.com/agent/tickets/4711",
    "http://[::1]:8080/t/1",
    "ftp://x.example/1",
    "javascript:alert(1)",
    "ops@globex.example",
    "a@b",
    "\u{0}",
    "\u{1b}]0;PWNED\u{7}",
    "\u{202e}",
    "2026-11-21T10:15:00Z",
    "9999-12-31T23:59:59-12:00",
    "yesterday",
    "fixed",
    "being-fixed",
    "A-S00010003",
    "<!--",
    "-->",
    "## Report a provision failure",
    "- occurred_at: 2026-11-21T10:15:00Z",
];

fn odd_value(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => json!(rng.next() as i64),
        3 => json!([rng.pick(ODD_VALUES)]),
        4 => json!({"x": rng.pick(ODD_VALUES)}),
        5 => {
            let depth = 1 + rng.below(200);
            let mut v = Value::String("deep".to_owned());
            for _ in 0..depth {
                v = json!([v]);
            }
            v
        }
        _ => Value::String(rng.pick(ODD_VALUES).to_owned()),
    }
}

/// A valid ticket event, then mutated.
fn zendesk_body(rng: &mut Rng) -> Vec<u8> {
    let mut body = json!({"ticket": {
        "id": "4711",
        "url": "https://example.zendesk.com/agent/tickets/4711",
        "requester_email": "ops@globex.example",
        "tags": "license_emergency premium",
        "fields": {
            "subscription_id": "A-S00010002",
            "admin_dashboard_screenshot": "true",
            "license_page_screenshot": "false",
            "screenshot_user_count": "118"
        }
    }});
    for _ in 0..rng.below(4) {
        let paths: &[&[&str]] = &[
            &["ticket", "id"],
            &["ticket", "url"],
            &["ticket", "requester_email"],
            &["ticket", "tags"],
            &["ticket", "fields"],
            &["ticket", "fields", "subscription_id"],
            &["ticket", "fields", "admin_dashboard_screenshot"],
            &["ticket", "fields", "screenshot_user_count"],
            &["ticket"],
        ];
        let path = paths
            .get(rng.below(paths.len()))
            .copied()
            .unwrap_or_default();
        set(&mut body, path, odd_value(rng), rng.below(5) == 0);
    }
    finish(rng, body)
}

/// A valid issue event (the template filled in), then mutated.
fn gitlab_body(rng: &mut Rng) -> Vec<u8> {
    let mut lines: Vec<String> = vec![
        "## Report a provision failure".to_owned(),
        "<!-- guidance: occurred_at: RFC 3339 -->".to_owned(),
        "- subscription: A-S00010003".to_owned(),
        "- kind: Zuora callback failed".to_owned(),
        "- occurred_at: 2026-11-21T10:15:00Z".to_owned(),
        "- customer_email: billing@initech.example".to_owned(),
        "- fulfillment_resolved: no".to_owned(),
        "- needs_lr_intervention: yes".to_owned(),
        "- root_cause: fixed".to_owned(),
    ];
    for _ in 0..rng.below(4) {
        let i = rng.below(lines.len());
        match rng.below(4) {
            0 => {
                if i < lines.len() {
                    lines.remove(i);
                }
            }
            1 => lines.insert(i, rng.pick(ODD_VALUES).to_owned()),
            2 => {
                if let Some(line) = lines.get_mut(i) {
                    if let Some((name, _)) = line.clone().split_once(':') {
                        *line = format!("{name}: {}", rng.pick(ODD_VALUES));
                    }
                }
            }
            _ => {
                if let Some(line) = lines.get(i).cloned() {
                    lines.push(line);
                }
            }
        }
    }
    let actions = ["open", "update", "reopen", "close", ""];
    let mut body = json!({
        "object_kind": "issue",
        "object_attributes": {
            "iid": 7,
            "action": actions.get(rng.below(actions.len())).copied().unwrap_or("open"),
            "url": "https://gitlab.example.com/support/internal-requests/-/issues/7",
            "description": lines.join("\n")
        }
    });
    if rng.below(4) == 0 {
        let paths: &[&[&str]] = &[
            &["object_kind"],
            &["object_attributes"],
            &["object_attributes", "url"],
            &["object_attributes", "description"],
            &["object_attributes", "iid"],
            &["object_attributes", "action"],
        ];
        let path = paths
            .get(rng.below(paths.len()))
            .copied()
            .unwrap_or_default();
        set(&mut body, path, odd_value(rng), rng.below(5) == 0);
    }
    finish(rng, body)
}

/// Sets (or removes) the member at `path`.
fn set(value: &mut Value, path: &[&str], to: Value, remove: bool) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut at = value;
    for key in parents {
        match at.get_mut(*key) {
            Some(next) => at = next,
            None => return,
        }
    }
    if let Some(object) = at.as_object_mut() {
        if remove {
            object.remove(*last);
        } else {
            object.insert((*last).to_owned(), to);
        }
    }
}

/// The body's bytes, sometimes mutated at the byte level.
fn finish(rng: &mut Rng, body: Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(&body).unwrap_or_default();
    if rng.below(4) == 0 && !bytes.is_empty() {
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(bytes.len());
            match rng.below(3) {
                0 => {
                    if let Some(b) = bytes.get_mut(i) {
                        *b = (rng.next() & 0xff) as u8;
                    }
                }
                1 => bytes.truncate(i),
                _ => {
                    let tokens = b"{}[]\",:\\\x00";
                    let token = tokens.get(rng.below(tokens.len())).copied().unwrap_or(b'{');
                    bytes.insert(i.min(bytes.len()), token);
                }
            }
            if bytes.is_empty() {
                break;
            }
        }
    }
    bytes
}

fn zendesk_case(
    rng: &mut Rng,
    intake: &zendesk::ZendeskIntake,
    problems: &mut Vec<String>,
) -> &'static str {
    let body = zendesk_body(rng);
    match intake.event(&body) {
        Ok(event) => {
            if entitle::input::check_http_url(&event.url).is_err() {
                problems.push(format!("accepted the URL {:?}", event.url));
            }
            if entitle::input::check_email(&event.requester_email).is_err() {
                problems.push(format!("accepted the email {:?}", event.requester_email));
            }
            match event.fields.get("screenshot_user_count") {
                None | Some(Value::Null) => {}
                Some(Value::Number(n)) if n.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)) => {}
                Some(other) => problems.push(format!("a user count of {other}")),
            }
            if event.ticket_id.is_empty() || !event.ticket_id.bytes().all(|b| b.is_ascii_digit()) {
                problems.push(format!("a ticket id {:?}", event.ticket_id));
            }
            if event.rule.is_some() {
                "zendesk: a rule applies"
            } else {
                "zendesk: no rule"
            }
        }
        Err(refusal) => {
            if refusal.field.is_empty() || refusal.message.is_empty() {
                problems.push(format!("a refusal naming nothing: {refusal:?}"));
            }
            "zendesk: refused"
        }
    }
}

fn gitlab_case(rng: &mut Rng, problems: &mut Vec<String>) -> &'static str {
    let body = gitlab_body(rng);
    match gitlab::event(&body) {
        Ok(IssueEvent::Report { facts, .. }) => {
            let bytes = serde_json::to_vec(&facts).unwrap_or_default();
            match entitle::parse_facts::<entitle::policies::ProvisionFailureFacts>(&bytes) {
                Ok(_) => "gitlab: report with valid facts",
                Err(entitle::FactsError::Invalid { path, .. }) => {
                    // A value the template carried that the policy refuses:
                    // intake names its line.
                    let line = gitlab::line_of(path.as_deref().unwrap_or(""));
                    if !line.starts_with("description.") {
                        problems.push(format!("a fact path {path:?} with no line"));
                    }
                    "gitlab: report refused by the policy"
                }
                Err(e) => {
                    problems.push(format!("facts the policy cannot read at all: {e}"));
                    "gitlab: broken facts"
                }
            }
        }
        Ok(IssueEvent::Malformed { refusal, .. }) => {
            if !refusal.field.starts_with("description.") {
                problems.push(format!("a template error not on a line: {refusal:?}"));
            }
            "gitlab: template refused"
        }
        Ok(IssueEvent::Ignored { .. }) => "gitlab: ignored",
        Err(refusal) => {
            if refusal.field.is_empty() || refusal.message.is_empty() {
                problems.push(format!("a refusal naming nothing: {refusal:?}"));
            }
            "gitlab: refused"
        }
    }
}

fn signature_case(rng: &mut Rng, problems: &mut Vec<String>) -> &'static str {
    let secret = IntakeSecret::new("fuzz-secret");
    let now: DateTime<Utc> = DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default();
    let body = zendesk_body(rng);
    let timestamp = match rng.below(4) {
        0 => rng.pick(ODD_VALUES).to_owned(),
        _ => (now + TimeDelta::seconds(rng.below(1200) as i64 - 600))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    let good = zendesk::sign(b"fuzz-secret", &timestamp, &body);
    let (signature, genuine) = match rng.below(4) {
        0 => (good.clone(), true),
        1 => (zendesk::sign(b"other", &timestamp, &body), false),
        2 => {
            let mut s = good.clone().into_bytes();
            let i = rng.below(s.len());
            if let Some(b) = s.get_mut(i) {
                *b = if *b == b'A' { b'B' } else { b'A' };
            }
            (String::from_utf8_lossy(&s).into_owned(), false)
        }
        _ => (rng.pick(ODD_VALUES).to_owned(), false),
    };
    let result = zendesk::verify(
        &secret,
        Some(&signature),
        Some(&timestamp),
        &body,
        now,
        TimeDelta::minutes(5),
    );
    match (result, genuine) {
        (Ok(()), false) => {
            problems.push("accepted a signature that is not the body's".to_owned());
            "signature: wrongly accepted"
        }
        (Ok(()), true) => "signature: accepted",
        (Err(_), _) => "signature: refused",
    }
}

fn main() -> ExitCode {
    let mut seconds = 10u64;
    let mut seed = 2026u64;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--seconds", Some(v)) => seconds = v.clamp(1, 86_400),
            ("--seed", Some(v)) => seed = v,
            _ => {
                eprintln!("usage: fuzz_intake [--seconds N] [--seed N]");
                return ExitCode::from(2);
            }
        }
    }
    let config = IntakeConfig::from_toml(
        "[zendesk]\nsecret_env = \"S\"\n[[zendesk.rules]]\ntag = \"license_emergency\"\npolicy = \"license-emergency\"\n",
        |_| Some("s".to_owned()),
    );
    let Some(intake) = config.ok().and_then(|c| c.zendesk) else {
        eprintln!("the fuzzer's own config does not load");
        return ExitCode::FAILURE;
    };
    panic::set_hook(Box::new(|_| {}));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tally: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut cases = 0u64;
    let mut findings = 0u64;
    while Instant::now() < deadline {
        for _ in 0..256 {
            let case_seed = seed ^ cases.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
            let mut rng = Rng(case_seed);
            let mut problems = Vec::new();
            let kind = rng.below(3);
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| match kind {
                0 => zendesk_case(&mut rng, &intake, &mut problems),
                1 => gitlab_case(&mut rng, &mut problems),
                _ => signature_case(&mut rng, &mut problems),
            }));
            let label = outcome.unwrap_or_else(|_| {
                problems.push("panicked".to_owned());
                "panic"
            });
            *tally.entry(label).or_default() += 1;
            if !problems.is_empty() {
                findings += 1;
                if findings <= 20 {
                    println!(
                        "finding (case seed {case_seed:#x}): {}",
                        problems.join("; ")
                    );
                }
            }
            cases += 1;
        }
    }
    for (label, n) in &tally {
        println!("{label:<40} {n:>10}");
    }
    println!("fuzz_intake cases={cases} findings={findings}");
    if findings > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
