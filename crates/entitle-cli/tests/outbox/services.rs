//! Stand-ins for GitLab's Issues API and Zendesk's Tickets API that keep
//! state as the real services do, and deduplicate only where the real ones
//! do: GitLab never (two POSTs make two issues), Zendesk on ticket creation
//! only (`Idempotency-Key`), never on comments. Built on [`Receiver`], so
//! every request is also recorded.
#![expect(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::receiver::{Receiver, Recorded, Reply};

/// An issue as the GitLab stand-in keeps it.
#[derive(Debug, Clone)]
pub struct Issue {
    pub iid: u64,
    pub title: String,
    pub description: String,
    pub closed: bool,
    pub notes: Vec<String>,
}

impl Issue {
    fn json(&self, base: &str) -> Value {
        json!({
            "id": 900 + self.iid, "iid": self.iid, "title": self.title,
            "description": self.description,
            "state": if self.closed { "closed" } else { "opened" },
            "web_url": format!("{base}/support/internal-requests/-/issues/{}", self.iid),
        })
    }
}

/// The GitLab stand-in: issues, their notes, search by description.
pub struct GitLab {
    pub receiver: Receiver,
    issues: Arc<Mutex<Vec<Issue>>>,
}

/// The value of query parameter `name` in `path`, percent-decoded.
fn query(path: &str, name: &str) -> Option<String> {
    let query = path.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| {
            let value = value.replace('+', " ");
            let bytes = value.as_bytes();
            let mut out = Vec::with_capacity(bytes.len());
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' && i + 2 < bytes.len() {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    out.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                } else {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        })
    })
}

impl GitLab {
    /// Answers after `delay` (0 for at once).
    pub async fn start(delay: Duration) -> Self {
        let issues: Arc<Mutex<Vec<Issue>>> = Arc::new(Mutex::new(Vec::new()));
        let state = issues.clone();
        let receiver = Receiver::start(move |request: &Recorded| {
            let base = "https://gitlab.example.com";
            let mut issues = state.lock().unwrap();
            let path = request.path.split('?').next().unwrap().to_owned();
            let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
            // api/v4/projects/:id/issues[/:iid[/notes]]
            let reply = match (request.method.as_str(), parts.get(4..).unwrap_or(&[])) {
                ("POST", ["issues"]) => {
                    let body = request.json();
                    let issue = Issue {
                        iid: issues.len() as u64 + 1,
                        title: body["title"].as_str().unwrap_or_default().to_owned(),
                        description: body["description"].as_str().unwrap_or_default().to_owned(),
                        closed: false,
                        notes: Vec::new(),
                    };
                    let answer = issue.json(base);
                    issues.push(issue);
                    Reply::json(201, answer)
                }
                ("GET", ["issues"]) => {
                    let search = query(&request.path, "search").unwrap_or_default();
                    let found: Vec<Value> = issues
                        .iter()
                        .filter(|i| i.description.contains(&search) || i.title.contains(&search))
                        .map(|i| i.json(base))
                        .collect();
                    Reply::json(200, Value::Array(found))
                }
                ("PUT", ["issues", iid]) => {
                    let iid: u64 = iid.parse().unwrap();
                    match issues.iter_mut().find(|i| i.iid == iid) {
                        Some(issue) => {
                            if request.json()["state_event"] == "close" {
                                issue.closed = true;
                            }
                            Reply::json(200, issue.json(base))
                        }
                        None => Reply::json(404, json!({"message": "404 Not found"})),
                    }
                }
                ("POST", ["issues", iid, "notes"]) => {
                    let iid: u64 = iid.parse().unwrap();
                    let body = request.json()["body"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    match issues.iter_mut().find(|i| i.iid == iid) {
                        Some(issue) => {
                            issue.notes.push(body.clone());
                            Reply::json(201, json!({"id": issue.notes.len(), "body": body}))
                        }
                        None => Reply::json(404, json!({"message": "404 Not found"})),
                    }
                }
                ("GET", ["issues", iid, "notes"]) => {
                    let iid: u64 = iid.parse().unwrap();
                    let notes: Vec<Value> = issues
                        .iter()
                        .find(|i| i.iid == iid)
                        .map(|i| i.notes.iter().map(|n| json!({"body": n})).collect())
                        .unwrap_or_default();
                    Reply::json(200, Value::Array(notes))
                }
                _ => Reply::json(404, json!({"message": "404 Not found"})),
            };
            reply.after(delay)
        })
        .await;
        Self { receiver, issues }
    }

    /// Every issue made, in order.
    pub fn issues(&self) -> Vec<Issue> {
        self.issues.lock().unwrap().clone()
    }
}

/// A ticket as the Zendesk stand-in keeps it.
#[derive(Debug, Clone)]
pub struct Ticket {
    pub id: u64,
    pub subject: String,
    pub requester: Option<String>,
    /// `(body, public)`, oldest first.
    pub comments: Vec<(String, bool)>,
    pub tags: Vec<String>,
}

/// The Zendesk stand-in: tickets (created once per `Idempotency-Key`) and
/// their comments (never deduplicated).
pub struct Zendesk {
    pub receiver: Receiver,
    tickets: Arc<Mutex<Vec<Ticket>>>,
}

impl Zendesk {
    /// Answers after `delay` (0 for at once).
    pub async fn start(delay: Duration) -> Self {
        let tickets: Arc<Mutex<Vec<Ticket>>> = Arc::new(Mutex::new(Vec::new()));
        let by_key: Arc<Mutex<HashMap<String, u64>>> = Arc::new(Mutex::new(HashMap::new()));
        let state = tickets.clone();
        let receiver = Receiver::start(move |request: &Recorded| {
            let mut tickets = state.lock().unwrap();
            let path = request.path.split('?').next().unwrap().to_owned();
            let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
            // api/v2/tickets.json | api/v2/tickets/:id.json | api/v2/tickets/:id/comments.json
            let reply = match (request.method.as_str(), parts.get(2..).unwrap_or(&[])) {
                ("POST", ["tickets.json"]) => {
                    let key = request.key();
                    let mut keys = by_key.lock().unwrap();
                    let id = match keys.get(&key) {
                        Some(id) => *id,
                        None => {
                            let body = request.json();
                            let ticket = &body["ticket"];
                            let id = 35000 + tickets.len() as u64 + 1;
                            tickets.push(Ticket {
                                id,
                                subject: ticket["subject"].as_str().unwrap_or_default().to_owned(),
                                requester: ticket["requester"]["email"].as_str().map(str::to_owned),
                                comments: vec![(
                                    ticket["comment"]["body"]
                                        .as_str()
                                        .unwrap_or_default()
                                        .to_owned(),
                                    ticket["comment"]["public"].as_bool().unwrap_or(true),
                                )],
                                tags: ticket["tags"]
                                    .as_array()
                                    .map(|t| {
                                        t.iter()
                                            .filter_map(|v| v.as_str().map(str::to_owned))
                                            .collect()
                                    })
                                    .unwrap_or_default(),
                            });
                            keys.insert(key, id);
                            id
                        }
                    };
                    Reply::json(201, json!({"ticket": {"id": id, "status": "new"}}))
                }
                ("PUT", ["tickets", file]) if file.ends_with(".json") => {
                    let id: u64 = file.trim_end_matches(".json").parse().unwrap();
                    let comment = request.json()["ticket"]["comment"].clone();
                    match tickets.iter_mut().find(|t| t.id == id) {
                        Some(ticket) => {
                            ticket.comments.push((
                                comment["body"].as_str().unwrap_or_default().to_owned(),
                                comment["public"].as_bool().unwrap_or(true),
                            ));
                            Reply::json(200, json!({"ticket": {"id": id}}))
                        }
                        None => Reply::json(404, json!({"error": "RecordNotFound"})),
                    }
                }
                ("GET", ["tickets", id, "comments.json"]) => {
                    let id: u64 = id.parse().unwrap();
                    let comments: Vec<Value> = tickets
                        .iter()
                        .find(|t| t.id == id)
                        .map(|t| {
                            t.comments
                                .iter()
                                .map(|(body, public)| json!({"body": body, "public": public}))
                                .collect()
                        })
                        .unwrap_or_default();
                    Reply::json(200, json!({"comments": comments}))
                }
                _ => Reply::json(404, json!({"error": "InvalidEndpoint"})),
            };
            reply.after(delay)
        })
        .await;
        Self { receiver, tickets }
    }

    /// Every ticket made, in order.
    pub fn tickets(&self) -> Vec<Ticket> {
        self.tickets.lock().unwrap().clone()
    }
}
