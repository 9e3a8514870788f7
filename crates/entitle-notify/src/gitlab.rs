//! The GitLab Issues API, as the internal-request tracker.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{ConfigError, SinkContext};
use crate::delivery::{Delivery, DeliveryError};
use crate::http::HttpClient;
use crate::payload::{Payload, context, inputs_summary, license, shorten};
use crate::secret::Secret;

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
        let token = cx.secret("token_env", &keys.token_env)?;
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
        let issue = issue(d);
        let body = json!({
            "title": issue.title,
            "description": issue.description,
            "labels": self.labels.join(","),
        });
        let url = self.endpoint("issues")?;
        let request = self.authorized(self.http.client().post(url).json(&body));
        let created = self.http.send(request, d.idempotency_key).await?;
        if !issue.close {
            return Ok(
                json!({"status": created.status, "body": crate::http::cap(&created.body), "closed": false}),
            );
        }
        let iid = created
            .body
            .get("iid")
            .and_then(Value::as_u64)
            .ok_or_else(|| DeliveryError::Permanent {
                message: "GitLab created the issue but its answer has no `iid`: cannot close it"
                    .to_owned(),
                response: Some(created.kept()),
            })?;
        let url = self.endpoint(&format!("issues/{iid}"))?;
        let request = self.authorized(
            self.http
                .client()
                .put(url)
                .json(&json!({"state_event": "close"})),
        );
        let closed = self
            .http
            .send(request, &format!("{}-close", d.idempotency_key))
            .await?;
        Ok(json!({"status": closed.status, "body": crate::http::cap(&closed.body), "closed": true}))
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

/// The issue a step makes.
struct Issue {
    title: String,
    description: String,
    close: bool,
}

fn issue(d: &Delivery<'_>) -> Issue {
    let p = Payload(d.payload);
    let inputs = inputs_summary(d.inputs);
    let footer = context(d);
    if d.inputs.is_empty() {
        return Issue {
            title: shorten(p.text(), TITLE_CHARS),
            description: format!("{}\n\n{footer}", p.text()),
            close: false,
        };
    }
    if d.inputs.iter().all(|input| input.succeeded) {
        let title = p
            .detail_str("internal_request")
            .map_or_else(|| format!("[Success] - {}", p.text()), str::to_owned);
        let mut description = format!("{}\n\n", p.text());
        match license(d.inputs) {
            Some((license, _)) => {
                description.push_str(&format!("The license:\n\n```\n{license}\n```\n\n"))
            }
            None => description.push_str("No license was among the steps' results.\n\n"),
        }
        description.push_str(&format!("Steps:\n{inputs}\n{footer}"));
        return Issue {
            title: shorten(&title, TITLE_CHARS),
            description,
            close: true,
        };
    }
    let title = match (p.requester_email(), p.detail("users").as_u64()) {
        (Some(email), Some(users)) => {
            format!("[Failure] - Could not create a license under {email} for {users} users")
        }
        _ => format!("[Failure] - {}", p.text()),
    };
    let failed: Vec<&str> = d
        .inputs
        .iter()
        .filter(|i| !i.succeeded)
        .map(|i| i.action_id.as_str())
        .collect();
    // The decision names the record it expects when a license was at stake.
    let no_license = if p.detail_str("internal_request").is_some() {
        ": no license was created"
    } else {
        ""
    };
    let description = format!(
        "{} failed{no_license}.\n\nSteps:\n{inputs}\nWhat was to be recorded: {}\n\n{footer}",
        failed
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", "),
        p.text(),
    );
    Issue {
        title: shorten(&title, TITLE_CHARS),
        description,
        close: false,
    }
}
