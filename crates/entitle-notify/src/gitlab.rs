//! The GitLab Issues API, as the internal-request tracker.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{ConfigError, SinkContext};
use crate::delivery::{Delivery, DeliveryError, Input};
use crate::http::HttpClient;
use crate::payload::{by_hand, context, inputs_summary, license, marker, shorten};
use crate::secret::Secret;
use entitle_store::{ByHand, StepPayload};

/// Opens an issue (`POST /api/v4/projects/:id/issues`) per step.
///
/// A step with inputs is a *record* of them: when they all succeeded it is
/// the success record (titled by the decision's `internal_request`, holding a
/// copy of the license, then closed with `PUT .../issues/:iid`
/// `state_event=close`); otherwise an open `[Failure]` issue describing what
/// failed. A step without inputs is an open issue with the action's text.
#[derive(Debug)]
pub struct GitLabSink {
    base_url: reqwest::Url,
    project: String,
    token: Secret,
    labels: Vec<String>,
    http: HttpClient,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    base_url: String,
    project_id: ProjectId,
    token_env: String,
    #[serde(default)]
    labels: Vec<String>,
    timeout_seconds: Option<u64>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ProjectId {
    Number(u64),
    Path(String),
}

/// The iid of the tracker issue that started the step's decision
/// (`origin`, written by intake), if any.
fn origin_issue(payload: &StepPayload) -> Option<u64> {
    payload.origin.as_ref()?.gitlab_issue()
}

/// GitLab's longest issue title.
const TITLE_CHARS: usize = 255;

impl GitLabSink {
    pub(crate) fn from_config(
        cx: &SinkContext<'_>,
        table: toml::Table,
    ) -> Result<Self, ConfigError> {
        let keys: Keys = cx.keys(table)?;
        let base_url = cx.url("base_url", &keys.base_url, None)?;
        let project = match keys.project_id {
            ProjectId::Number(id) => id.to_string(),
            ProjectId::Path(path) => {
                let valid = !path.is_empty()
                    && path
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
                if !valid {
                    return Err(ConfigError::invalid(
                        cx.key("project_id"),
                        format!(
                            "`{path}` is neither a project number nor a path like `group/project`"
                        ),
                    ));
                }
                path.replace('/', "%2F")
            }
        };
        if let Some(label) = keys
            .labels
            .iter()
            .find(|l| l.trim().is_empty() || l.contains(','))
        {
            return Err(ConfigError::invalid(
                cx.key("labels"),
                format!("`{label}` is not a label (empty, or holds a comma)"),
            ));
        }
        let token = cx.header_secret("token_env", &keys.token_env)?;
        let http = HttpClient::new(cx, cx.timeout(keys.timeout_seconds)?)?;
        Ok(Self {
            base_url,
            project,
            token,
            labels: keys.labels,
            http,
        })
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.http.timeout()
    }

    pub(crate) async fn deliver(&self, d: &Delivery<'_>) -> Result<Value, DeliveryError> {
        // Intake refused the issue: say on it what is missing.
        if d.action_id == entitle_store::REFUSED_REQUEST_NOTE {
            let Some(iid) = origin_issue(d.payload) else {
                return Err(DeliveryError::Permanent {
                    message:
                        "the refused request's payload names no GitLab issue (`origin.issue_iid`)"
                            .to_owned(),
                    response: None,
                });
            };
            self.note(iid, &d.payload.text, d.idempotency_key, d.attempt > 1)
                .await?;
            return Ok(json!({"record": "refusal", "status": 200, "body": {"iid": iid}}));
        }
        let issue = issue(d);
        // A decision started by an issue of the tracker (intake): its
        // internal request is that issue, acknowledged with a note.
        if let (Record::Request, Some(iid)) = (issue.record, origin_issue(d.payload)) {
            let note = format!(
                "Acknowledged by entitle: L&R Support takes this request.\n\n{}",
                issue.description
            );
            self.note(iid, &note, d.idempotency_key, d.attempt > 1)
                .await?;
            return Ok(
                json!({"record": "acknowledged", "status": 200, "body": {"iid": iid}, "closed": false}),
            );
        }
        // A record made again that fails again: the open `[Failure]` issue
        // it made before gets a note, not a twin.
        if let (Record::Failure, Some(failure)) = (issue.record, previous_failure(d.previous)) {
            let note = format!("Failed again.\n\n{}", issue.description);
            self.note(failure, &note, d.idempotency_key, d.attempt > 1)
                .await?;
            let body = d
                .previous
                .and_then(|p| p.get("body"))
                .cloned()
                .unwrap_or_else(|| json!({"iid": failure}));
            return Ok(json!({"record": "failure", "status": 200, "body": body, "closed": false}));
        }
        let mark = marker(d.idempotency_key);
        // GitLab does not deduplicate on `Idempotency-Key`: a later attempt
        // looks for the issue an earlier one may have made.
        let found = if d.attempt > 1 {
            self.find_issue(d.idempotency_key, &mark).await?
        } else {
            None
        };
        let (status, made) = match found {
            Some(made) => (200, made),
            None => {
                let body = json!({
                    "title": issue.title,
                    "description": format!("{}\n\n<!-- {mark} -->", issue.description),
                    "labels": self.labels.join(","),
                });
                let url = self.endpoint("issues")?;
                let request = self.authorized(self.http.client().post(url).json(&body));
                let created = self.http.send(request, d.idempotency_key).await?;
                (created.status, created.body)
            }
        };
        let iid = made.get("iid").and_then(Value::as_u64);
        let result = |closed: bool, superseded: Option<u64>| {
            let mut result = json!({
                "record": issue.record.as_str(),
                "status": status,
                "body": crate::http::cap(&made),
                "closed": closed,
            });
            if let (Some(failure), Some(fields)) = (superseded, result.as_object_mut()) {
                fields.insert("superseded".to_owned(), Value::from(failure));
            }
            result
        };
        if !issue.close && issue.record != Record::Success {
            return Ok(result(false, None));
        }
        let iid = iid.ok_or_else(|| DeliveryError::Permanent {
            message: "GitLab created the issue but its answer has no `iid`: cannot close it"
                .to_owned(),
            response: Some(result(false, None)),
        })?;
        if issue.close {
            self.close(iid, &format!("{}-close", d.idempotency_key))
                .await?;
        }
        // A success after a failure was recorded: the failure record is
        // closed, pointing at this one.
        let superseded = previous_failure(d.previous);
        if let Some(failure) = superseded {
            let link = made
                .get("web_url")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{iid}"), str::to_owned);
            let note = format!(
                "Superseded by {link}: the step this issue recorded as failed has since succeeded ({}).",
                success_summary(d.inputs)
            );
            let key = format!("{}-supersede", d.idempotency_key);
            self.note(failure, &note, &key, d.attempt > 1).await?;
            self.close(failure, &format!("{key}-close")).await?;
        }
        Ok(result(issue.close, superseded))
    }

    /// Closes issue `iid` (idempotent: closing a closed issue changes
    /// nothing).
    async fn close(&self, iid: u64, key: &str) -> Result<(), DeliveryError> {
        let url = self.endpoint(&format!("issues/{iid}"))?;
        let request = self.authorized(
            self.http
                .client()
                .put(url)
                .json(&json!({"state_event": "close"})),
        );
        self.http.send(request, key).await?;
        Ok(())
    }

    /// Adds a note to issue `iid` marked with `key`, unless `look` finds
    /// one holding the mark already.
    async fn note(&self, iid: u64, text: &str, key: &str, look: bool) -> Result<(), DeliveryError> {
        let mark = marker(key);
        if look {
            let url = self.endpoint(&format!("issues/{iid}/notes"))?;
            let request = self.authorized(self.http.client().get(url));
            let listed = self.http.send(request, &format!("{key}-lookup")).await?;
            let found = listed.body.as_array().is_some_and(|notes| {
                notes.iter().any(|n| {
                    n.get("body")
                        .and_then(Value::as_str)
                        .is_some_and(|b| b.contains(&mark))
                })
            });
            if found {
                return Ok(());
            }
        }
        let url = self.endpoint(&format!("issues/{iid}/notes"))?;
        let body = json!({"body": format!("{text}\n\n<!-- {mark} -->")});
        let request = self.authorized(self.http.client().post(url).json(&body));
        self.http.send(request, key).await?;
        Ok(())
    }

    /// The issue an earlier attempt made for this step, found by the mark
    /// in its description.
    async fn find_issue(&self, key: &str, mark: &str) -> Result<Option<Value>, DeliveryError> {
        let mut url = self.endpoint("issues")?;
        url.query_pairs_mut()
            .append_pair("search", key)
            .append_pair("in", "description")
            .append_pair("state", "all");
        let request = self.authorized(self.http.client().get(url));
        let listed = self.http.send(request, &format!("{key}-lookup")).await?;
        let found = listed.body.as_array().and_then(|issues| {
            issues
                .iter()
                .find(|i| {
                    i.get("description")
                        .and_then(Value::as_str)
                        .is_some_and(|d| d.contains(mark))
                })
                .cloned()
        });
        Ok(found)
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header("PRIVATE-TOKEN", self.token.expose())
    }

    fn endpoint(&self, path: &str) -> Result<reqwest::Url, DeliveryError> {
        let base = self.base_url.as_str().trim_end_matches('/');
        reqwest::Url::parse(&format!("{base}/api/v4/projects/{}/{path}", self.project)).map_err(
            |e| DeliveryError::permanent(format!("cannot build the GitLab URL for `{path}`: {e}")),
        )
    }
}

/// What kind of issue a step makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    /// An issue of its own (a step without inputs): the internal request.
    Request,
    /// The record of steps that all succeeded (closed at once).
    Success,
    /// The record of a step that failed (left open).
    Failure,
}

impl Record {
    fn as_str(self) -> &'static str {
        match self {
            Record::Request => "request",
            Record::Success => "success",
            Record::Failure => "failure",
        }
    }
}

/// The issue a step makes.
struct Issue {
    title: String,
    description: String,
    record: Record,
    close: bool,
}

/// The title of the decision's success record (`details.internal_request`),
/// if it has one: a license is at stake.
fn internal_request(p: &StepPayload) -> Option<&str> {
    p.decision
        .details
        .internal_request
        .as_deref()
        .filter(|s| !s.is_empty())
}

/// The failure record an earlier run of this step made, if it did.
fn previous_failure(previous: Option<&Value>) -> Option<u64> {
    let previous = previous?;
    if previous.get("record").and_then(Value::as_str) != Some("failure") {
        return None;
    }
    previous.pointer("/body/iid").and_then(Value::as_u64)
}

/// How the inputs succeeded, in a few words: by their sinks, or by hand
/// (by whom).
fn success_summary(inputs: &[Input]) -> String {
    let hands: Vec<String> = inputs.iter().filter_map(by_hand).map(|b| b.by).collect();
    if hands.is_empty() {
        "carried out again".to_owned()
    } else {
        format!("done by hand by {}", hands.join(", "))
    }
}

fn issue(d: &Delivery<'_>) -> Issue {
    let p = d.payload;
    let message = p.message.as_ref();
    let what = message.map_or_else(|| p.text.clone(), |m| m.body.clone());
    let inputs = inputs_summary(d.inputs);
    let footer = context(d);
    if d.inputs.is_empty() {
        let title = message.map_or(p.text.as_str(), |m| m.subject.as_str());
        return Issue {
            title: shorten(title, TITLE_CHARS),
            description: format!("{what}\n\n{footer}"),
            record: Record::Request,
            close: false,
        };
    }
    if d.inputs.iter().all(|input| input.succeeded) {
        let title = message
            .map(|m| m.subject.clone())
            .or_else(|| internal_request(p).map(str::to_owned))
            .unwrap_or_else(|| format!("[Success] - {}", p.text));
        let mut description = format!("{what}\n\n");
        for input in d.inputs {
            if let Some(ByHand { by, note }) = by_hand(input) {
                description.push_str(&format!(
                    "Done by hand by {by}{}.\n\n",
                    note.filter(|n| !n.is_empty())
                        .map(|n| format!(": {n}"))
                        .unwrap_or_default()
                ));
            }
        }
        match license(d.inputs) {
            Some((license, _)) => {
                description.push_str(&format!("The license:\n\n```\n{license}\n```\n\n"))
            }
            None => {
                description.push_str("No copy of the license was among the steps' results.\n\n")
            }
        }
        description.push_str(&format!("Steps:\n{inputs}\n{footer}"));
        return Issue {
            title: shorten(&title, TITLE_CHARS),
            description,
            record: Record::Success,
            close: true,
        };
    }
    let license_at_stake = internal_request(p).is_some();
    let title = match (p.requester(), p.decision.details.users) {
        (Some(email), Some(users)) if license_at_stake => {
            format!("[Failure] - Could not create a license under {email} for {users} users")
        }
        _ => format!(
            "[Failure] - {}",
            message.map_or(p.text.as_str(), |m| m.subject.as_str())
        ),
    };
    let mut description = String::new();
    for input in d.inputs.iter().filter(|i| !i.succeeded) {
        if let Some(error) = &input.last_error {
            description.push_str(&format!(
                "`{}` via {} failed: {error}\n",
                input.action_id, input.sink
            ));
        }
    }
    if description.is_empty() {
        description.push_str("The steps before this one did not complete (cancelled).\n");
    }
    if license_at_stake {
        description.push_str("No license was created.\n");
    }
    description.push_str(&format!(
        "\nSteps:\n{inputs}\nWhat was to be recorded on success: {what}\n\n{footer}"
    ));
    Issue {
        title: shorten(&title, TITLE_CHARS),
        description,
        record: Record::Failure,
        close: false,
    }
}
