//! `entitle serve` and `entitle tokens`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use entitle::config::PolicyConfig;
use entitle_http::auth::{Role, TokenError, TokenFile, TokenSource};
use entitle_http::{AppState, ServerOptions};

use crate::Failure;

/// The default tokens file, in the current directory.
const DEFAULT_TOKENS: &str = "entitle-tokens.json";

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The database: a SQLite file path, `sqlite::memory:` (nothing kept),
    /// or `postgres://user:password@host/db`. Default: the SQLite file
    /// `entitle.db` in the current directory, created on first use.
    #[arg(long, value_name = "PATH|URL", default_value = "entitle.db")]
    db: String,
    /// The address to listen on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A TOML policy configuration (time zone, thresholds, holidays).
    #[arg(long, value_name = "TOML")]
    config: Option<PathBuf>,
    /// The tokens file (`entitle tokens add` writes it). A missing file
    /// means no token yet: every endpoint but /healthz and
    /// /v1/openapi.json answers 401 until one is added.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_TOKENS)]
    tokens: PathBuf,
    /// Largest request body, in bytes (413 above it; at least 1).
    #[arg(long, value_name = "BYTES", default_value_t = entitle_http::DEFAULT_BODY_LIMIT,
          value_parser = at_least_one_byte)]
    body_limit: usize,
    /// Longest a request may take, in seconds (408 after it; 1 to 3600).
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_timeout: u64,
    /// The actions config (sinks, routes, worker; docs/actions.md). With
    /// it, the server also delivers the decisions' routed actions; without
    /// it, every action is a manual task.
    #[arg(long, value_name = "TOML")]
    actions: Option<PathBuf>,
    /// The intake config (Zendesk and GitLab webhooks; docs/intake.md).
    /// With it, `POST /v1/intake/zendesk` and `/v1/intake/gitlab` start
    /// decisions from signed deliveries.
    #[arg(long, value_name = "TOML")]
    intake: Option<PathBuf>,
    /// Intake and the console decide as if it were this instant (RFC
    /// 3339), and intake checks the deliveries' signed timestamps against
    /// it: for demonstrations (a weekend emergency on a weekday) and tests.
    /// Default: the system clock.
    #[arg(long, value_name = "RFC3339")]
    clock: Option<String>,
    /// Mark the console's session cookie `Secure` (sent over HTTPS only):
    /// set it when users reach the service through a TLS proxy.
    #[arg(long)]
    secure_cookie: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TokensCommand {
    /// Create a token for a role and print it (only this once).
    Add {
        /// reader (policies and the log), support-engineer, support-manager
        /// or lr-team. The role is the `actor` of role-sensitive policies.
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// The tokens file (created if missing).
        #[arg(long, value_name = "FILE", default_value = DEFAULT_TOKENS)]
        file: PathBuf,
    },
    /// List the tokens: id, role, creation time (never the token).
    List {
        /// The tokens file.
        #[arg(long, value_name = "FILE", default_value = DEFAULT_TOKENS)]
        file: PathBuf,
    },
    /// Revoke a token by its id.
    Revoke {
        /// The token's id (see `entitle tokens list`).
        id: String,
        /// The tokens file.
        #[arg(long, value_name = "FILE", default_value = DEFAULT_TOKENS)]
        file: PathBuf,
    },
}

fn bad(e: impl std::fmt::Display) -> Failure {
    Failure::BadInput(e.to_string())
}

/// A `--body-limit`: a count of bytes, at least 1 (0 would refuse every
/// body, so every decision).
fn at_least_one_byte(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("at least 1 byte: 0 would refuse every request body".to_owned()),
        Ok(bytes) => Ok(bytes),
        Err(e) => Err(e.to_string()),
    }
}

/// A failed change to the tokens file: the path, the file or the id is
/// wrong (bad input), or the file could not be written (the environment).
fn token_failure(e: TokenError) -> Failure {
    use std::io::ErrorKind;
    match e {
        TokenError::Io { ref source, .. }
            if !matches!(
                source.kind(),
                ErrorKind::NotFound
                    | ErrorKind::PermissionDenied
                    | ErrorKind::IsADirectory
                    | ErrorKind::NotADirectory
                    | ErrorKind::Other
            ) =>
        {
            Failure::Runtime(e.to_string())
        }
        e => bad(e),
    }
}

pub(crate) fn tokens(command: TokensCommand) -> Result<String, Failure> {
    match command {
        TokensCommand::Add { role, file } => {
            let role: Role = role.parse().map_err(bad)?;
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                if !dir.is_dir() {
                    return Err(bad(format!(
                        "--file {}: the directory {} does not exist",
                        file.display(),
                        dir.display()
                    )));
                }
            }
            // Under the file's lock: printed only once saved.
            let (token, record) =
                TokenFile::update(&file, |tokens| tokens.add(role, chrono::Utc::now()))
                    .map_err(token_failure)?;
            eprintln!(
                "created token {} with role {} in {}; the token (on standard output) is shown only this once",
                record.id,
                record.role,
                file.display()
            );
            Ok(format!("{token}\n"))
        }
        TokensCommand::List { file } => {
            let tokens = TokenFile::load(&file).map_err(bad)?;
            let mut out = String::new();
            for t in &tokens.tokens {
                out.push_str(&format!(
                    "{:<14} {:<17} {}\n",
                    entitle::input::escape_for_terminal(&t.id),
                    t.role.id(),
                    t.created_at
                ));
            }
            if tokens.tokens.is_empty() {
                eprintln!("no tokens in {}", file.display());
            }
            Ok(out)
        }
        TokensCommand::Revoke { id, file } => {
            let record =
                TokenFile::update(&file, |tokens| tokens.revoke(&id)).map_err(token_failure)?;
            Ok(format!("revoked {} ({})\n", record.id, record.role))
        }
    }
}

pub(crate) fn serve(args: ServeArgs) -> Result<String, Failure> {
    init_tracing();
    let config = match &args.config {
        Some(path) => crate::load_config(path)?,
        None => PolicyConfig::default(),
    };
    let tokens = TokenSource::from_path(&args.tokens).map_err(|e| bad(format!("--tokens {e}")))?;
    let actions = match &args.actions {
        Some(path) => Some(crate::actions::load_actions_config(path)?),
        None => None,
    };
    let routes: entitle_store::Routes = actions
        .as_ref()
        .map(|a| a.routes.clone().into_iter().collect())
        .unwrap_or_default();
    let intake = match &args.intake {
        Some(path) => crate::intake::load_intake_config(path)?,
        None => entitle_http::intake::IntakeConfig::default(),
    };
    let clock = match &args.clock {
        Some(text) => entitle_http::Clock::fixed(
            entitle::input::parse_instant(text).map_err(|e| bad(format!("--clock: {e}")))?,
        ),
        None => entitle_http::Clock::system(),
    };
    let options = ServerOptions {
        config,
        routes,
        intake,
        clock,
        body_limit: args.body_limit,
        request_timeout: Duration::from_secs(args.request_timeout),
        console: entitle_http::ConsoleOptions {
            secure_cookie: args.secure_cookie,
            ..entitle_http::ConsoleOptions::default()
        },
        ..ServerOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Runtime(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let store = entitle_store::Store::open(&args.db).await.map_err(|e| {
            if e.is_bad_target() {
                bad(format!("--db: {e}"))
            } else {
                Failure::Runtime(e.to_string())
            }
        })?;
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Failure::Runtime(format!("cannot listen on {}: {e}", args.listen)))?;
        let count = tokens.get().len();
        let addr = listener.local_addr().unwrap_or(args.listen);
        tracing::info!(
            url = %format!("http://{addr}"),
            db = %store.url(),
            tokens = count,
            tokens_file = %args.tokens.display(),
            "entitle serve listening"
        );
        if count == 0 {
            tracing::warn!(
                "no tokens in {}: create one with `entitle tokens add --role support-engineer --file {}`",
                args.tokens.display(),
                args.tokens.display()
            );
        }
        // One signal stops both the server and the worker.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let stopping = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        let worker = actions.map(|actions| {
            let worker = entitle_notify::Worker::new(store.clone(), actions.sinks, actions.worker);
            tracing::info!(sinks = worker.sink_count(), "delivering routed actions");
            tokio::spawn({
                let stopped = stopped.clone();
                async move { worker.run(stopping(stopped)).await }
            })
        });
        tokio::spawn(async move {
            entitle_http::shutdown_signal().await;
            let _ = stop.send(true);
        });
        let state = AppState::new(store, tokens, options);
        // The worker stops claiming at the signal; the deliveries under way
        // finish (each bounded by its sink's timeout) and are recorded
        // before the store is closed.
        let worker_done = async move {
            if let Some(worker) = worker {
                let _ = worker.await;
            }
        };
        entitle_http::serve_then(listener, state, stopping(stopped), worker_done)
            .await
            .map_err(|e| Failure::Runtime(format!("the server failed: {e}")))
    })?;
    Ok(String::new())
}

pub(crate) fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(
            crate::colour_choice().enabled(std::io::IsTerminal::is_terminal(&std::io::stderr())),
        )
        .try_init();
}

/// Whether to colour what goes to a terminal: never when `NO_COLOR` is set
/// and not empty (no-color.org), never when it is no terminal.
pub(crate) fn colour(no_color: Option<&std::ffi::OsStr>, terminal: bool) -> bool {
    terminal && no_color.is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::colour;
    use std::ffi::OsStr;

    #[test]
    fn no_color_turns_colour_off_on_a_terminal() {
        assert!(colour(None, true));
        assert!(
            colour(Some(OsStr::new("")), true),
            "an empty NO_COLOR is unset"
        );
        assert!(!colour(Some(OsStr::new("1")), true));
        assert!(!colour(None, false), "no colour into a file or a pipe");
    }
}
