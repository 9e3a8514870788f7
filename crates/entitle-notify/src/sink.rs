//! The sinks: one per service kind, chosen by the config's `kind`.

use std::time::Duration;

use entitle_store::Redelivery;
use serde::Deserialize;
use serde_json::Value;

use crate::config::{ConfigError, SinkContext};
use crate::delivery::{Delivery, DeliveryError};
use crate::email::EmailSink;
use crate::gitlab::GitLabSink;
use crate::license::LicenseGeneratorSink;
use crate::slack::SlackSink;
use crate::webhook::WebhookSink;
use crate::zendesk::ZendeskSink;

/// The sink kinds, as the config spells them.
pub(crate) const KINDS: [&str; 6] = [
    "slack",
    "zendesk",
    "gitlab",
    "license-generator",
    "email",
    "webhook",
];

/// A configured sink: where one step of the outbox is delivered.
#[derive(Debug)]
pub enum Sink {
    /// A Slack-compatible incoming webhook.
    Slack(SlackSink),
    /// The Zendesk Tickets API.
    Zendesk(ZendeskSink),
    /// The GitLab Issues API (the internal-request tracker).
    GitLab(GitLabSink),
    /// The organisation's license generator (a JSON webhook).
    LicenseGenerator(LicenseGeneratorSink),
    /// SMTP.
    Email(EmailSink),
    /// A generic JSON webhook signed with HMAC-SHA256.
    Webhook(WebhookSink),
}

impl Sink {
    /// Delivers one step. `Ok` holds the response the outbox keeps (the
    /// generator's license, the created issue, ...).
    pub async fn deliver(&self, d: &Delivery<'_>) -> Result<Value, DeliveryError> {
        match self {
            Self::Slack(sink) => sink.deliver(d).await,
            Self::Zendesk(sink) => sink.deliver(d).await,
            Self::GitLab(sink) => sink.deliver(d).await,
            Self::LicenseGenerator(sink) => sink.deliver(d).await,
            Self::Email(sink) => sink.deliver(d).await,
            Self::Webhook(sink) => sink.deliver(d).await,
        }
    }

    /// The kind, as the config spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Slack(_) => "slack",
            Self::Zendesk(_) => "zendesk",
            Self::GitLab(_) => "gitlab",
            Self::LicenseGenerator(_) => "license-generator",
            Self::Email(_) => "email",
            Self::Webhook(_) => "webhook",
        }
    }

    /// How its service takes a step sent twice (see `docs/actions.md`,
    /// "Once"): keyed (Zendesk ticket creation, the license tool, the
    /// signed webhook) and looked-up (GitLab issues, Zendesk comments)
    /// sinks are [`Redelivery::Safe`]; Slack and email do not deduplicate,
    /// and do what their `on_doubt` says (default: a channel post is
    /// resent, an email to a customer is held for a person).
    pub fn redelivery(&self) -> Redelivery {
        match self {
            Self::Slack(sink) => sink.on_doubt(),
            Self::Email(sink) => sink.on_doubt(),
            Self::Zendesk(_) | Self::GitLab(_) | Self::LicenseGenerator(_) | Self::Webhook(_) => {
                Redelivery::Safe
            }
        }
    }

    /// The sink's timeout for one delivery (`timeout_seconds`). The sinks
    /// enforce it themselves; the worker may use it to size its lease.
    pub fn timeout(&self) -> Duration {
        match self {
            Self::Slack(sink) => sink.timeout(),
            Self::Zendesk(sink) => sink.timeout(),
            Self::GitLab(sink) => sink.timeout(),
            Self::LicenseGenerator(sink) => sink.timeout(),
            Self::Email(sink) => sink.timeout(),
            Self::Webhook(sink) => sink.timeout(),
        }
    }

    /// Builds a sink from its config table.
    pub(crate) fn from_table(
        cx: &SinkContext<'_>,
        mut table: toml::Table,
    ) -> Result<Self, ConfigError> {
        let kind = match table.remove("kind") {
            None => {
                return Err(ConfigError::MissingKind {
                    sink: cx.name.to_owned(),
                });
            }
            Some(toml::Value::String(kind)) => kind,
            Some(other) => {
                return Err(ConfigError::invalid(
                    cx.key("kind"),
                    format!("expected a string, found {}", other.type_str()),
                ));
            }
        };
        Ok(match kind.as_str() {
            "slack" => Self::Slack(SlackSink::from_config(cx, table)?),
            "zendesk" => Self::Zendesk(ZendeskSink::from_config(cx, table)?),
            "gitlab" => Self::GitLab(GitLabSink::from_config(cx, table)?),
            "license-generator" => {
                Self::LicenseGenerator(LicenseGeneratorSink::from_config(cx, table)?)
            }
            "email" => Self::Email(EmailSink::from_config(cx, table)?),
            "webhook" => Self::Webhook(WebhookSink::from_config(cx, table)?),
            _ => {
                return Err(ConfigError::UnknownKind {
                    sink: cx.name.to_owned(),
                    kind,
                });
            }
        })
    }
}

/// A sink's `on_doubt` key: what becomes of a step whose attempt may or
/// may not have reached a service that does not deduplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum OnDoubt {
    /// Send it again (a duplicate is possible).
    Resend,
    /// Hold it `in-doubt` for a person.
    Ask,
}

impl OnDoubt {
    /// What the outbox does with it.
    pub(crate) fn redelivery(self) -> Redelivery {
        match self {
            OnDoubt::Resend => Redelivery::Resend,
            OnDoubt::Ask => Redelivery::Ask,
        }
    }
}
