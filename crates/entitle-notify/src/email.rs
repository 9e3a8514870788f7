//! Email over SMTP (lettre), with the license attached when an input step
//! produced one.

use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::{ConfigError, SinkContext};
use crate::delivery::{Delivery, DeliveryError};
use crate::payload::license;
use crate::sink::OnDoubt;
use entitle_store::{Redelivery, StepPayload};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text (a local relay only). Default port 25.
    None,
    /// Plain text upgraded with STARTTLS (required). Default port 587.
    Starttls,
    /// TLS from the first byte (SMTPS). Default port 465.
    Tls,
}

/// Mails the requester: the license attached when an input step produced
/// one, else the action's text. The `Message-ID` is built from the
/// idempotency key, so a receiver can drop a duplicate.
pub struct EmailSink {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    subject: String,
    server: String,
    timeout: Duration,
    on_doubt: OnDoubt,
}

impl fmt::Debug for EmailSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailSink")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .field("subject", &self.subject)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Keys {
    host: String,
    port: Option<u16>,
    tls: SmtpTls,
    username: Option<String>,
    password_env: Option<String>,
    from: String,
    subject: Option<String>,
    timeout_seconds: Option<u64>,
    on_doubt: Option<OnDoubt>,
}

/// Whether `host` is this machine: `localhost`, or a loopback address
/// (`127.0.0.0/8`, `::1`, bracketed or not). A name that merely resolves
/// there is not trusted: the resolver is not asked.
fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

impl EmailSink {
    pub(crate) fn from_config(
        cx: &SinkContext<'_>,
        table: toml::Table,
    ) -> Result<Self, ConfigError> {
        let keys: Keys = cx.keys(table)?;
        let timeout = cx.timeout(keys.timeout_seconds)?;
        let host = keys.host.trim();
        if host.is_empty() {
            return Err(ConfigError::invalid(cx.key("host"), "cannot be empty"));
        }
        let from: Mailbox = keys.from.parse().map_err(|e| {
            ConfigError::invalid(
                cx.key("from"),
                format!("`{}` is not a mailbox: {e}", keys.from),
            )
        })?;
        let tls_error = |e: lettre::transport::smtp::Error| {
            ConfigError::invalid(
                cx.key("tls"),
                format!("cannot set up TLS for `{host}`: {e}"),
            )
        };
        let (tls, port) = match keys.tls {
            SmtpTls::None => (Tls::None, 25),
            SmtpTls::Starttls => (
                Tls::Required(TlsParameters::new(host.to_owned()).map_err(tls_error)?),
                587,
            ),
            SmtpTls::Tls => (
                Tls::Wrapper(TlsParameters::new(host.to_owned()).map_err(tls_error)?),
                465,
            ),
        };
        let port = keys.port.unwrap_or(port);
        if port == 0 {
            return Err(ConfigError::invalid(
                cx.key("port"),
                "must be between 1 and 65535, not 0 (port 0 is no server's port)",
            ));
        }
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(timeout));
        match (keys.username, keys.password_env) {
            (Some(user), Some(var)) => {
                if keys.tls == SmtpTls::None && !is_loopback(host) {
                    return Err(ConfigError::invalid(
                        cx.key("tls"),
                        format!(
                            "`none` would send the username and password in clear text to `{}`: use `starttls` or `tls`; credentials without TLS are accepted only for a relay on this host (localhost, 127.0.0.0/8, ::1)",
                            entitle::input::escaped(host)
                        ),
                    ));
                }
                let password = cx.secret("password_env", &var)?;
                builder = builder.credentials(Credentials::new(user, password.expose().to_owned()));
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(ConfigError::invalid(
                    cx.key("password_env"),
                    "required with `username`",
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::invalid(
                    cx.key("username"),
                    "required with `password_env`",
                ));
            }
        }
        Ok(Self {
            transport: builder.build(),
            from,
            subject: keys.subject.unwrap_or_else(|| "Your license".to_owned()),
            server: format!("{host}:{port}"),
            timeout,
            // A second email to a customer is not harmless: a person
            // decides.
            on_doubt: keys.on_doubt.unwrap_or(OnDoubt::Ask),
        })
    }

    pub(crate) fn on_doubt(&self) -> Redelivery {
        self.on_doubt.redelivery()
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    pub(crate) async fn deliver(&self, d: &Delivery<'_>) -> Result<Value, DeliveryError> {
        let message = self.message(d)?;
        let sent = tokio::time::timeout(self.timeout, self.transport.send(message)).await;
        match sent {
            Err(_) => Err(DeliveryError::retryable(format!(
                "SMTP {}: timed out",
                self.server
            ))),
            Ok(Err(e)) if e.is_permanent() => Err(DeliveryError::permanent(format!(
                "SMTP {}: {e}",
                self.server
            ))),
            Ok(Err(e)) => Err(DeliveryError::retryable(format!(
                "SMTP {}: {e}",
                self.server
            ))),
            Ok(Ok(response)) => Ok(json!({
                "smtp": {"code": response.code().to_string(), "message": response.message().collect::<Vec<_>>()},
            })),
        }
    }

    fn message(&self, d: &Delivery<'_>) -> Result<Message, DeliveryError> {
        let p = d.payload;
        let written = p.message.as_ref();
        let to = written
            .and_then(|m| m.to.as_deref())
            .or_else(|| p.requester())
            .ok_or_else(|| {
                DeliveryError::permanent(format!(
                    "action `{}`: no requester email to send to",
                    d.action_id
                ))
            })?;
        let to: Mailbox = to.parse().map_err(|e| {
            DeliveryError::permanent(format!(
                "action `{}`: `{to}` is not an email address: {e}",
                d.action_id
            ))
        })?;
        let domain = self.from.email.domain().to_owned();
        let subject = written.map_or_else(|| self.subject.clone(), |m| m.subject.clone());
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(format!("<{}@{domain}>", d.idempotency_key)));
        let license = license(d.inputs);
        if license.is_none() && written.is_some() && !d.inputs.is_empty() {
            // The message goes with what the step before made: without it,
            // the customer would get a letter promising an attachment.
            return Err(DeliveryError::permanent(format!(
                "action `{}`: the step before this one produced no license to send",
                d.action_id
            )));
        }
        let text = match (written, license.is_some()) {
            (Some(message), _) => message.body.clone(),
            (None, true) => license_text(p),
            (None, false) => plain_text(p),
        };
        let built = match license {
            Some((license, filename)) => {
                let file = Attachment::new(filename.unwrap_or_else(|| "license.txt".to_owned()))
                    .body(license.into_bytes(), octet_stream());
                builder.multipart(
                    MultiPart::mixed()
                        .singlepart(SinglePart::plain(text))
                        .singlepart(file),
                )
            }
            None => builder.singlepart(SinglePart::plain(text)),
        };
        built.map_err(|e| {
            DeliveryError::permanent(format!(
                "action `{}`: cannot build the email: {e}",
                d.action_id
            ))
        })
    }
}

fn octet_stream() -> ContentType {
    ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN)
}

/// The email's text when a license is attached.
fn license_text(p: &StepPayload) -> String {
    fn term<T: ToString>(value: Option<&T>) -> String {
        value.map(ToString::to_string).unwrap_or_default()
    }
    let terms = &p.decision.details;
    let mut text = "Hello,\n\nYour license is attached".to_owned();
    let (plan, users, days, expires) = (
        term(terms.plan.as_ref()),
        term(terms.users.as_ref()),
        term(terms.days.as_ref()),
        term(terms.expires_on.as_ref()),
    );
    if !users.is_empty() {
        text.push_str(&format!(": {plan} plan, {users} users"));
        if !days.is_empty() {
            text.push_str(&format!(", {days} days"));
        }
        if !expires.is_empty() {
            text.push_str(&format!(", expiring {expires}"));
        }
    }
    text.push_str(".\n");
    text.push_str(&ticket_line(p));
    text
}

/// The email's text without a license: the action's text.
fn plain_text(p: &StepPayload) -> String {
    format!("Hello,\n\n{}\n{}", p.text, ticket_line(p))
}

fn ticket_line(p: &StepPayload) -> String {
    p.ticket_url()
        .map(|url| format!("\nTicket: {url}\n"))
        .unwrap_or_default()
}
