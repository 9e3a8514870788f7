//! The actions config: sinks, routes and the worker's settings (TOML,
//! `docs/actions.md`), validated into an [`ActionsConfig`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::secret::Secret;
use crate::sink::{KINDS, Sink};

/// The sink name an action without a route gets in the outbox: a manual task.
pub const MANUAL: &str = "manual";

/// A validated actions config.
#[derive(Debug)]
pub struct ActionsConfig {
    /// The configured sinks, by name.
    pub sinks: BTreeMap<String, Sink>,
    /// Action id -> the sinks that carry it out, in order. An action that is
    /// not here is a manual task.
    pub routes: BTreeMap<String, Vec<String>>,
    /// How the worker runs.
    pub worker: WorkerConfig,
}

/// The worker's settings (`[worker]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkerConfig {
    /// Attempts before a step is `dead` (>= 1).
    pub max_attempts: u32,
    /// First retry delay; it doubles with each attempt, with jitter.
    pub base_delay_seconds: u64,
    /// The longest retry delay (>= `base_delay_seconds`).
    pub max_delay_seconds: u64,
    /// Deliveries in flight at once (>= 1).
    pub concurrency: u32,
    /// How often an idle worker looks for work.
    pub poll_interval_ms: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay_seconds: 5,
            max_delay_seconds: 3600,
            concurrency: 4,
            poll_interval_ms: 1000,
        }
    }
}

/// An actions config that cannot be used. Each message is one line naming the
/// key at fault; none holds a secret's value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The TOML does not parse, or a top-level key is unknown or mistyped.
    #[error("actions config: {0}")]
    Syntax(String),
    /// A sink table without `kind`.
    #[error("sinks.{sink}: missing `kind` (one of {})", KINDS.join(", "))]
    MissingKind {
        /// The sink's name.
        sink: String,
    },
    /// A `kind` that is not one of the six.
    #[error("sinks.{sink}.kind: unknown sink kind `{kind}` (one of {})", KINDS.join(", "))]
    UnknownKind {
        /// The sink's name.
        sink: String,
        /// What the config says.
        kind: String,
    },
    /// A key with a value that cannot be used (unknown key, wrong type, out of
    /// range, bad URL, ...).
    #[error("{key}: {message}")]
    Invalid {
        /// The key's path, e.g. `sinks.chat.timeout_seconds`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// A secret's environment variable is not set (or empty).
    #[error("{key}: environment variable `{var}` is not set")]
    MissingSecret {
        /// The key naming the variable, e.g. `sinks.chat.url_env`.
        key: String,
        /// The variable's name.
        var: String,
    },
    /// A route names a sink the config does not define.
    #[error("route `{action}` -> sink `{sink}`: no such sink")]
    NoSuchSink {
        /// The action id.
        action: String,
        /// The sink it names.
        sink: String,
    },
    /// A route for an action no policy asks for: a misspelt id would
    /// otherwise leave the action a manual task without a word.
    #[error("routes.{action}: no policy asks for an action `{action}`{}", suggestion(nearest.as_deref()))]
    UnknownAction {
        /// The action id the route names.
        action: String,
        /// The known id closest to it, if one is close.
        nearest: Option<String>,
    },
    /// A route that is not a sink name or a non-empty list of distinct names.
    #[error("routes.{action}: {message}")]
    BadRoute {
        /// The action id.
        action: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ConfigError {
    /// The error with every value it quotes escaped for a terminal
    /// ([`entitle::input::escape_for_terminal`]): a sink name, a route or a
    /// `from` holding a line break or an escape sequence keeps the message
    /// on one line and inert.
    fn escaped(self) -> Self {
        fn e(text: String) -> String {
            entitle::input::escape_for_terminal(&text).into_owned()
        }
        match self {
            Self::Syntax(message) => Self::Syntax(e(message)),
            Self::MissingKind { sink } => Self::MissingKind { sink: e(sink) },
            Self::UnknownKind { sink, kind } => Self::UnknownKind {
                sink: e(sink),
                kind: e(kind),
            },
            Self::Invalid { key, message } => Self::Invalid {
                key: e(key),
                message: e(message),
            },
            Self::MissingSecret { key, var } => Self::MissingSecret {
                key: e(key),
                var: e(var),
            },
            Self::NoSuchSink { action, sink } => Self::NoSuchSink {
                action: e(action),
                sink: e(sink),
            },
            Self::UnknownAction { action, nearest } => Self::UnknownAction {
                action: e(action),
                nearest: nearest.map(e),
            },
            Self::BadRoute { action, message } => Self::BadRoute {
                action: e(action),
                message: e(message),
            },
        }
    }

    /// An invalid value at `key`.
    pub(crate) fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The file's shape; the sinks are checked kind by kind afterwards.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    sinks: BTreeMap<String, toml::Table>,
    #[serde(default)]
    routes: BTreeMap<String, toml::Value>,
    #[serde(default)]
    worker: WorkerConfig,
}

/// Reads an environment variable the way the service does (unset or not
/// UTF-8 is absent). Pass it to [`ActionsConfig::from_toml`] in production.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl ActionsConfig {
    /// Parses and validates an actions config. Secrets are looked up with
    /// `env` (use [`process_env`] in production).
    pub fn from_toml(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(one_line(text, &e)).escaped())?;
        Self::from_raw(raw, &env).map_err(ConfigError::escaped)
    }

    /// Validates an actions config that is a table of a larger TOML document
    /// (keys `sinks`, `routes`, `worker`).
    pub fn from_table(
        table: toml::Table,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Syntax(flat(e.message())).escaped())?;
        Self::from_raw(raw, &env).map_err(ConfigError::escaped)
    }

    /// The sinks that carry out `action_id`, in order; empty for a manual task.
    pub fn route(&self, action_id: &str) -> &[String] {
        self.routes.get(action_id).map_or(&[], Vec::as_slice)
    }

    fn from_raw(raw: RawConfig, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let worker = validate_worker(raw.worker)?;
        let mut sinks = BTreeMap::new();
        for (name, table) in raw.sinks {
            check_name(&name)?;
            let cx = SinkContext { name: &name, env };
            let sink = Sink::from_table(&cx, table)?;
            sinks.insert(name, sink);
        }
        let mut routes = BTreeMap::new();
        let mut known = if raw.routes.is_empty() {
            BTreeSet::new()
        } else {
            entitle::action_ids()
        };
        // Intake's own action: the note on a refused tracker issue.
        known.insert(entitle_store::REFUSED_REQUEST_NOTE);
        for (action, value) in raw.routes {
            if !known.contains(action.as_str()) {
                return Err(ConfigError::UnknownAction {
                    nearest: nearest(&action, &known),
                    action,
                });
            }
            let names = route_names(&action, value)?;
            if let Some(sink) = names.iter().find(|sink| !sinks.contains_key(*sink)) {
                return Err(ConfigError::NoSuchSink {
                    action,
                    sink: sink.clone(),
                });
            }
            if action == entitle_store::REFUSED_REQUEST_NOTE
                && let Some(sink) = names
                    .iter()
                    .find(|sink| !matches!(sinks.get(*sink), Some(Sink::GitLab(_))))
            {
                return Err(ConfigError::BadRoute {
                    message: format!(
                        "`{sink}` is not a `gitlab` sink: the note goes on the tracker issue that was refused"
                    ),
                    action,
                });
            }
            routes.insert(action, names);
        }
        Ok(Self {
            sinks,
            routes,
            worker,
        })
    }
}

/// The id in `known` closest to `action`, if it is a few edits away.
fn nearest(action: &str, known: &BTreeSet<&'static str>) -> Option<String> {
    known
        .iter()
        .map(|id| (strsim::levenshtein(action, id), *id))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, id)| id.to_owned())
}

/// `; did you mean ...?` for a known id close to a misspelt one, and where
/// the ids are listed.
fn suggestion(nearest: Option<&str>) -> String {
    match nearest {
        Some(id) => format!("; did you mean `{id}`?"),
        None => "; `entitle examples <policy>` shows the actions each policy asks for".to_owned(),
    }
}

/// A sink name: letters, digits, `-` and `_`, and not `manual`.
fn check_name(name: &str) -> Result<(), ConfigError> {
    let key = format!("sinks.{name}");
    if name == MANUAL {
        return Err(ConfigError::invalid(
            key,
            "`manual` is reserved for actions without a route",
        ));
    }
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            key,
            "a sink name is letters, digits, `-` and `_`",
        ))
    }
}

/// A route's value: one sink name or a non-empty list of distinct names.
fn route_names(action: &str, value: toml::Value) -> Result<Vec<String>, ConfigError> {
    let bad = |message: &str| ConfigError::BadRoute {
        action: action.to_owned(),
        message: message.to_owned(),
    };
    let names = match value {
        toml::Value::String(name) => vec![name],
        toml::Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                toml::Value::String(name) => Ok(name),
                _ => Err(bad("every item of the list must be a sink name (a string)")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(bad("expected a sink name or a list of sink names")),
    };
    if action.is_empty() {
        return Err(bad("an action id cannot be empty"));
    }
    if names.is_empty() {
        return Err(bad(
            "an empty list routes nothing: leave the action out to make it a manual task",
        ));
    }
    if names.iter().any(|name| name == MANUAL) {
        return Err(bad(
            "`manual` is not a sink: leave the action out to make it a manual task",
        ));
    }
    for (i, name) in names.iter().enumerate() {
        if names.iter().take(i).any(|earlier| earlier == name) {
            return Err(bad(&format!("sink `{name}` is listed twice")));
        }
    }
    Ok(names)
}

/// The longest delay before a retry, in seconds (30 days): the most
/// `base_delay_seconds` and `max_delay_seconds` take, and the most any
/// computed delay is (a receiver's `Retry-After` included), so that a retry
/// time is always an instant the store can hold.
pub const MAX_RETRY_DELAY_SECONDS: u64 = 30 * 24 * 3600;

/// The longest `poll_interval_ms` (one hour): an idle worker that looks
/// for work less often than that is one that does not deliver.
pub const MAX_POLL_INTERVAL_MS: u64 = 3_600_000;

fn validate_worker(worker: WorkerConfig) -> Result<WorkerConfig, ConfigError> {
    let bad =
        |key: &str, message: String| Err(ConfigError::invalid(format!("worker.{key}"), message));
    if worker.max_attempts == 0 {
        return bad("max_attempts", "must be at least 1".to_owned());
    }
    if worker.concurrency == 0 {
        return bad("concurrency", "must be at least 1".to_owned());
    }
    if !(1..=MAX_POLL_INTERVAL_MS).contains(&worker.poll_interval_ms) {
        return bad(
            "poll_interval_ms",
            format!(
                "must be between 1 and {MAX_POLL_INTERVAL_MS} (one hour), not {}",
                worker.poll_interval_ms
            ),
        );
    }
    for (key, seconds) in [
        ("base_delay_seconds", worker.base_delay_seconds),
        ("max_delay_seconds", worker.max_delay_seconds),
    ] {
        if !(1..=MAX_RETRY_DELAY_SECONDS).contains(&seconds) {
            return bad(
                key,
                format!("must be between 1 and {MAX_RETRY_DELAY_SECONDS} (30 days), not {seconds}"),
            );
        }
    }
    if worker.max_delay_seconds < worker.base_delay_seconds {
        return bad(
            "max_delay_seconds",
            "must be at least base_delay_seconds".to_owned(),
        );
    }
    Ok(worker)
}

/// What a sink kind's constructor needs: its name (for key paths) and the
/// environment (for secrets).
pub(crate) struct SinkContext<'a> {
    pub(crate) name: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
}

/// The longest environment variable name a `*_env` key takes, in bytes.
const MAX_ENV_NAME: usize = 128;

/// Whether `name` is a portable environment variable name (POSIX: letters,
/// digits and `_`, not starting with a digit).
fn is_env_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= MAX_ENV_NAME
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The default per-sink timeout.
const DEFAULT_TIMEOUT_SECONDS: u64 = 10;
/// The longest per-sink timeout.
const MAX_TIMEOUT_SECONDS: u64 = 300;

impl SinkContext<'_> {
    /// The path of one of this sink's keys.
    pub(crate) fn key(&self, field: &str) -> String {
        format!("sinks.{}.{field}", self.name)
    }

    /// Deserializes this sink's table (without `kind`) into a kind's keys.
    pub(crate) fn keys<T: DeserializeOwned>(&self, table: toml::Table) -> Result<T, ConfigError> {
        serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let path = e.path().to_string();
            let key = if path == "." || path.is_empty() {
                format!("sinks.{}", self.name)
            } else {
                self.key(&path)
            };
            ConfigError::invalid(key, flat(e.inner().message()))
        })
    }

    /// The secret in the environment variable named by `field`'s value.
    pub(crate) fn secret(&self, field: &str, var: &str) -> Result<Secret, ConfigError> {
        if !is_env_name(var) {
            // Never quoted: a value that is no variable name is often the
            // secret itself (`url_env = "https://hooks.slack.com/..."`).
            return Err(ConfigError::invalid(
                self.key(field),
                format!(
                    "the value is not the name of an environment variable (letters, digits and `_`, not starting with a digit, at most {MAX_ENV_NAME} bytes); it is not shown, as it may be the secret itself: put the secret in a variable and name the variable here"
                ),
            ));
        }
        match (self.env)(var) {
            Some(value) if !value.trim().is_empty() => Ok(Secret::new(value.trim())),
            _ => Err(ConfigError::MissingSecret {
                key: self.key(field),
                var: var.to_owned(),
            }),
        }
    }

    /// A secret sent in an HTTP header (a token): as [`Self::secret`], and
    /// refused when it holds a control character (a line break pasted
    /// with it), which no header can carry. The error names the key and
    /// the variable, never the value.
    pub(crate) fn header_secret(&self, field: &str, var: &str) -> Result<Secret, ConfigError> {
        let secret = self.secret(field, var)?;
        if secret.expose().chars().any(char::is_control) {
            return Err(ConfigError::invalid(
                self.key(field),
                format!(
                    "the value of `{var}` holds a line break or another control character, which an HTTP header cannot carry"
                ),
            ));
        }
        Ok(secret)
    }

    /// An `http`/`https` URL at `field`. The value is named in the error
    /// unless `secret` (then only the variable holding it is).
    pub(crate) fn url(
        &self,
        field: &str,
        value: &str,
        secret: Option<&str>,
    ) -> Result<reqwest::Url, ConfigError> {
        let shown = match secret {
            Some(var) => format!("the value of `{var}`"),
            None => format!("`{value}`"),
        };
        let bad = |why: &str| {
            ConfigError::invalid(
                self.key(field),
                format!("{shown} is not a valid URL: {why}"),
            )
        };
        let url = reqwest::Url::parse(value.trim()).map_err(|e| bad(&e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("the scheme must be http or https"));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("it has no host"));
        }
        Ok(url)
    }

    /// The sink's timeout (`timeout_seconds`, 1..=300, default 10).
    pub(crate) fn timeout(&self, seconds: Option<u64>) -> Result<Duration, ConfigError> {
        let seconds = seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
        if seconds == 0 || seconds > MAX_TIMEOUT_SECONDS {
            return Err(ConfigError::invalid(
                self.key("timeout_seconds"),
                format!("must be between 1 and {MAX_TIMEOUT_SECONDS}, not {seconds}"),
            ));
        }
        Ok(Duration::from_secs(seconds))
    }
}

/// A TOML error on one line ([`entitle::toml_error_line`]): never more of
/// the file than a short excerpt of the line.
fn one_line(text: &str, error: &toml::de::Error) -> String {
    entitle::toml_error_line(text, error)
}

/// A parser's message on one line, what it quotes cut short.
fn flat(message: &str) -> String {
    entitle::input::short_quotes(&message.trim_end().replace('\n', " "))
}
