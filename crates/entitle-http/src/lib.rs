//! entitle-http: the HTTP policy service, a thin layer over the pure core
//! ([`entitle`]) and the store ([`entitle_store`]).
//!
//! - `POST /v1/decisions/{policy}` decides `{"facts": {...}, "now": "..."}`
//!   and answers the report of `entitle decide` plus `decision_id`, once the
//!   decision is durably in the log.
//! - `POST /v1/tickets/{id}/decisions/{policy}` decides on the facts the
//!   store assembles for a ticket.
//! - `GET /v1/decisions[?ticket=&policy=&limit=&before=]` and
//!   `GET /v1/decisions/{decision_id}` read the log.
//! - `POST /v1/replay` (L&R team): what a proposed configuration would
//!   change in the logged decisions, as `entitle replay` reports it.
//! - `GET /v1/policies[/{id}[/mermaid|/schema|/examples]]`: the catalog.
//! - `POST /v1/intake/zendesk` and `POST /v1/intake/gitlab` start decisions
//!   from signed deliveries ([`intake`]); `GET /v1/intake` lists them.
//! - `GET /v1/openapi.json` and `GET /healthz` are public; everything else
//!   needs a bearer token (see [`auth`]).
//!
//! Every error is an RFC 9457 problem ([`problem`]); every response carries
//! an `x-request-id`, also stored with each decision.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use entitle_http::{AppState, ServerOptions, auth::TokenSource};
//! let store = entitle_store::Store::open("sqlite::memory:").await?;
//! let tokens = TokenSource::from_path("tokens.json".as_ref())?;
//! let state = AppState::new(store, tokens, ServerOptions::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! entitle_http::serve(listener, state, entitle_http::shutdown_signal()).await?;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod console;
mod drain;
pub mod intake;
pub mod openapi;
pub mod problem;
mod protocol_errors;
mod routes;
mod server;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use entitle::config::PolicyConfig;
use entitle_store::Store;

pub use routes::router;
pub use server::{RunningServer, serve, serve_then, shutdown_signal, spawn};

use crate::auth::TokenSource;

/// Default limit of a request body: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// Default most bytes of one page of the decision log: 1 MiB.
pub const DEFAULT_PAGE_BYTE_LIMIT: usize = 1024 * 1024;

/// Default most decisions of one `POST /v1/replay`: 100,000 (about a
/// second of a release build's replay).
pub const DEFAULT_REPLAY_MAX_DECISIONS: u64 = 100_000;

/// How the service behaves. [`ServerOptions::default`] suits most uses.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The policy configuration every decision uses (time zone, thresholds).
    pub config: PolicyConfig,
    /// Largest request body accepted (413 above it).
    pub body_limit: usize,
    /// Longest a request may take, body included (408 after it).
    pub request_timeout: Duration,
    /// Longest a client may take to send a request's headers; the
    /// connection is closed after it.
    pub header_read_timeout: Duration,
    /// On shutdown, how long requests in flight may take to finish.
    pub shutdown_grace: Duration,
    /// How often the tokens file is checked for changes.
    pub token_reload_interval: Duration,
    /// Most bytes of one page of `GET /v1/decisions` (its first entry
    /// excepted): a page stops before the entry that would pass it, and
    /// `next_before` continues from there.
    pub page_byte_limit: usize,
    /// Where each decision's actions go (the actions config's `[routes]`);
    /// an action with no route is a manual task.
    pub routes: entitle_store::Routes,
    /// Most logged decisions one `POST /v1/replay` may decide (422
    /// `replay-too-large` past it).
    pub replay_max_decisions: u64,
    /// Where work arrives (`POST /v1/intake/...`): none by default.
    pub intake: intake::IntakeConfig,
    /// The clock intake reads: when a delivery's decision is made, and the
    /// window its signature must fall in (the system clock by default).
    pub clock: Clock,
    /// The console's sessions.
    pub console: ConsoleOptions,
}

/// How the console (`/console`) keeps its sessions.
#[derive(Debug, Clone)]
pub struct ConsoleOptions {
    /// How long a session lasts after signing in (8 hours by default).
    pub session_ttl: Duration,
    /// Whether the session cookie is `Secure` (sent over HTTPS only): set
    /// it when the service is reached over TLS (a proxy in front of it).
    pub secure_cookie: bool,
}

impl Default for ConsoleOptions {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(8 * 3600),
            secure_cookie: false,
        }
    }
}

/// A source of the current instant: the system clock, or a fixed one for
/// tests and demonstrations.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> chrono::DateTime<chrono::Utc> + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(Arc::new(chrono::Utc::now))
    }

    /// A clock that always reads `at`.
    pub fn fixed(at: chrono::DateTime<chrono::Utc>) -> Clock {
        Clock(Arc::new(move || at))
    }

    /// The current instant.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            config: PolicyConfig::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            request_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(30),
            token_reload_interval: Duration::from_secs(2),
            page_byte_limit: DEFAULT_PAGE_BYTE_LIMIT,
            routes: entitle_store::Routes::default(),
            replay_max_decisions: DEFAULT_REPLAY_MAX_DECISIONS,
            intake: intake::IntakeConfig::default(),
            clock: Clock::system(),
            console: ConsoleOptions::default(),
        }
    }
}

/// What every handler shares. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    tokens: TokenSource,
    options: ServerOptions,
    /// Role-sensitive policies: their facts' `actor` is the caller's role.
    actor_policies: HashSet<&'static str>,
    /// The console's signed-in sessions.
    sessions: console::Sessions,
}

impl AppState {
    /// The state of a service over `store`, accepting `tokens`.
    pub fn new(store: Store, tokens: TokenSource, options: ServerOptions) -> Self {
        let actor_policies = entitle::policies::POLICIES
            .iter()
            .filter(|p| p.role_sensitive)
            .map(|p| p.id)
            .collect();
        Self {
            inner: Arc::new(Inner {
                store,
                tokens,
                options,
                actor_policies,
                sessions: console::Sessions::default(),
            }),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The tokens.
    pub fn tokens(&self) -> &TokenSource {
        &self.inner.tokens
    }

    /// The options.
    pub fn options(&self) -> &ServerOptions {
        &self.inner.options
    }

    /// The console's sessions.
    pub(crate) fn sessions(&self) -> &console::Sessions {
        &self.inner.sessions
    }

    /// Whether the facts of `policy` have an `actor` (set from the role).
    pub fn has_actor(&self, policy: &str) -> bool {
        self.inner.actor_policies.contains(policy)
    }
}
