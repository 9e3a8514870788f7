//! `entitle actions`: the outbox from a terminal. List and read the actions
//! decisions made, retry, cancel or mark them done, and run the worker that
//! delivers them (`entitle serve --actions FILE` runs it too).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use entitle_notify::{ActionsConfig, Worker, process_env};
use entitle_store::{ActionFilter, ActionRecord, ActionStatus, Store, StoreError};

use crate::Failure;
use crate::input::read_input;

/// The database of `entitle actions`, as for `entitle serve`.
#[derive(Debug, Args)]
pub(crate) struct DbArg {
    /// The database: a SQLite file path or `postgres://...` (as `entitle
    /// serve --db`).
    #[arg(long, value_name = "PATH|URL", default_value = "entitle.db")]
    db: String,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ActionsCommand {
    /// List actions, newest first: id, status, sink, action, ticket.
    List {
        #[command(flatten)]
        db: DbArg,
        /// Only actions with this status (pending, in-flight, delivered,
        /// failed, dead, cancelled, done-by-hand).
        #[arg(long)]
        status: Option<String>,
        /// Only actions about this ticket (its id or URL).
        #[arg(long)]
        ticket: Option<String>,
        /// Only manual tasks (actions no sink carries out).
        #[arg(long)]
        manual: bool,
        /// Only actions of this decision.
        #[arg(long)]
        decision: Option<String>,
        /// At most this many (1 to 10000).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        limit: u32,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one action with its payload, response and history (JSON).
    Show {
        /// The action's id.
        id: String,
        #[command(flatten)]
        db: DbArg,
    },
    /// Run a failed, dead or cancelled action again (and the actions that
    /// waited for it).
    Retry {
        /// The action's id.
        id: String,
        #[command(flatten)]
        db: DbArg,
        /// Who asks (recorded in the action's history); default `cli:$USER`.
        #[arg(long, value_name = "NAME", value_parser = not_blank)]
        by: Option<String>,
    },
    /// Give an action up (and the actions that need it).
    Cancel {
        /// The action's id.
        id: String,
        #[command(flatten)]
        db: DbArg,
        /// Why.
        #[arg(long)]
        note: Option<String>,
        /// Who asks; default `cli:$USER`.
        #[arg(long, value_name = "NAME", value_parser = not_blank)]
        by: Option<String>,
    },
    /// Mark an action carried out by hand (a manual task, or one a person
    /// did instead of its sink).
    Done {
        /// The action's id.
        id: String,
        #[command(flatten)]
        db: DbArg,
        /// What was done.
        #[arg(long)]
        note: String,
        /// Who did it; default `cli:$USER`.
        #[arg(long, value_name = "NAME", value_parser = not_blank)]
        by: Option<String>,
    },
    /// Deliver the outbox's actions to their sinks (docs/actions.md).
    Run {
        #[command(flatten)]
        db: DbArg,
        /// The actions config: sinks, routes, worker settings.
        #[arg(long, value_name = "TOML")]
        actions: PathBuf,
        /// Deliver what is runnable now, then exit (actions waiting for a
        /// retry time stay).
        #[arg(long)]
        once: bool,
    },
}

/// Reads and validates an actions config, secrets from the environment.
pub(crate) fn load_actions_config(path: &Path) -> Result<ActionsConfig, Failure> {
    let bytes = read_input(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Failure::BadInput(format!("{}: not UTF-8 text ({e})", path.display())))?;
    ActionsConfig::from_toml(&text, process_env)
        .map_err(|e| Failure::BadInput(format!("{}: {e}", path.display())))
}

/// Opens the store at `url` (a bad URL is bad input).
pub(crate) async fn open_store(url: &str) -> Result<Store, Failure> {
    Store::open(url).await.map_err(|e| {
        if e.is_bad_target() {
            Failure::BadInput(format!("--db: {e}"))
        } else {
            Failure::Runtime(e.to_string())
        }
    })
}

fn outbox_failure(e: StoreError) -> Failure {
    if e.is_not_found() || e.is_conflict() {
        Failure::BadInput(e.to_string())
    } else {
        Failure::Runtime(e.to_string())
    }
}

/// A `--by` name: not empty or only white space (it is who the history
/// says acted).
fn not_blank(name: &str) -> Result<String, String> {
    if name.trim().is_empty() {
        Err("a name is needed: who asks is recorded in the action's history".to_owned())
    } else {
        Ok(name.to_owned())
    }
}

fn by(by: Option<String>) -> String {
    by.unwrap_or_else(|| {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
        format!("cli:{user}")
    })
}

pub(crate) fn actions(command: ActionsCommand) -> Result<String, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Runtime(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(execute(command))
}

async fn execute(command: ActionsCommand) -> Result<String, Failure> {
    match command {
        ActionsCommand::List {
            db,
            status,
            ticket,
            manual,
            decision,
            limit,
            json,
        } => {
            let status = match status.as_deref() {
                None => None,
                Some(name) => Some(ActionStatus::from_name(name).ok_or_else(|| {
                    Failure::BadInput(format!(
                        "--status: `{name}` is not a status (pending, in-flight, delivered, failed, dead, cancelled, done-by-hand)"
                    ))
                })?),
            };
            let store = open_store(&db.db).await?;
            let filter = ActionFilter {
                status,
                ticket,
                manual: manual.then_some(true),
                decision,
                limit,
                before: None,
            };
            let actions = store.actions(&filter).await.map_err(outbox_failure)?;
            store.close().await;
            if json {
                return crate::pretty(&actions);
            }
            Ok(table(&actions))
        }
        ActionsCommand::Show { id, db } => {
            let store = open_store(&db.db).await?;
            let detail = store.action(&id).await.map_err(outbox_failure)?;
            store.close().await;
            crate::pretty(&detail)
        }
        ActionsCommand::Retry { id, db, by: who } => {
            let store = open_store(&db.db).await?;
            let record = store
                .retry_action(&id, &by(who))
                .await
                .map_err(outbox_failure)?;
            store.close().await;
            Ok(format!(
                "{} is {} again ({})\n",
                record.id, record.status, record.idempotency_key
            ))
        }
        ActionsCommand::Cancel {
            id,
            db,
            note,
            by: who,
        } => {
            let store = open_store(&db.db).await?;
            let record = store
                .cancel_action(&id, &by(who), note.as_deref())
                .await
                .map_err(outbox_failure)?;
            store.close().await;
            Ok(format!("{} is {}\n", record.id, record.status))
        }
        ActionsCommand::Done {
            id,
            db,
            note,
            by: who,
        } => {
            if note.trim().is_empty() {
                return Err(Failure::BadInput(
                    "--note: say what was done by hand".to_owned(),
                ));
            }
            let store = open_store(&db.db).await?;
            let record = store
                .mark_done(&id, &by(who), Some(&note))
                .await
                .map_err(outbox_failure)?;
            store.close().await;
            Ok(format!("{} is {}\n", record.id, record.status))
        }
        ActionsCommand::Run { db, actions, once } => {
            let config = load_actions_config(&actions)?;
            let store = open_store(&db.db).await?;
            let worker = Worker::new(store.clone(), config.sinks, config.worker);
            let out = if once {
                let stats = worker
                    .run_once()
                    .await
                    .map_err(|e| Failure::Runtime(e.to_string()))?;
                format!("{stats}\n")
            } else {
                crate::serve::init_tracing();
                tracing::info!(db = %store.url(), "entitle actions run: delivering until SIGTERM or Ctrl-C");
                worker.run(entitle_http::shutdown_signal()).await;
                String::new()
            };
            store.close().await;
            Ok(out)
        }
    }
}

/// One line per action: id, status, sink, action, ticket.
fn table(actions: &[ActionRecord]) -> String {
    let mut out = String::new();
    for a in actions {
        out.push_str(&format!(
            "{}  {:<12} {:<18} {:<28} {}\n",
            a.id,
            a.status.as_str(),
            a.sink,
            a.action_id,
            a.ticket_id.as_deref().unwrap_or("-")
        ));
    }
    if actions.is_empty() {
        out.push_str("no actions\n");
    }
    out
}
