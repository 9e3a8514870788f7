//! `entitle intake`: the deliveries received from Zendesk and GitLab and
//! what became of each (docs/intake.md); and the intake config `entitle
//! serve --intake` reads.

use std::path::Path;

use clap::Subcommand;
use entitle_http::intake::{IntakeConfig, process_env};
use entitle_store::{IntakeEvent, IntakeFilter};

use crate::Failure;
use crate::actions::{DbArg, open_store};
use crate::input::read_input;

#[derive(Debug, Subcommand)]
pub(crate) enum IntakeCommand {
    /// List the deliveries received, newest first: source, delivery id,
    /// received at, status (decided with the decision id, duplicate,
    /// refused or ignored with the reason).
    List {
        #[command(flatten)]
        db: DbArg,
        /// Only deliveries about this ticket id or issue URL.
        #[arg(long)]
        ticket: Option<String>,
        /// Only deliveries from this source (`zendesk`, `gitlab`).
        #[arg(long)]
        source: Option<String>,
        /// At most this many (1 to 1000).
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        /// Output format (`--json` is `--format json`).
        #[arg(long, value_enum, default_value_t = crate::ListFormat::Text)]
        format: crate::ListFormat,
        /// The same as `--format json`.
        #[arg(long, hide = true, conflicts_with = "format")]
        json: bool,
    },
}

/// Reads and validates the intake config at `path` (secrets from the
/// environment); any problem is bad input, one line naming the key.
pub(crate) fn load_intake_config(path: &Path) -> Result<IntakeConfig, Failure> {
    let bytes = read_input(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Failure::BadInput(format!("--intake {}: not UTF-8 text", path.display())))?;
    IntakeConfig::from_toml(&text, process_env)
        .map_err(|e| Failure::BadInput(format!("--intake {}: {e}", path.display())))
}

pub(crate) fn intake(command: IntakeCommand) -> Result<String, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Runtime(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        match command {
            IntakeCommand::List {
                db,
                ticket,
                source,
                limit,
                format,
                json,
            } => {
                let store = open_store(&db.db, true).await?;
                let filter = IntakeFilter {
                    subject: ticket,
                    source,
                    limit,
                    before: None,
                };
                let events = store
                    .inbox()
                    .list(&filter)
                    .await
                    .map_err(|e| Failure::Runtime(e.to_string()))?;
                store.close().await;
                if json || format == crate::ListFormat::Json {
                    return crate::pretty(&events);
                }
                Ok(table(&events))
            }
        }
    })
}

/// One line per delivery, with a header row; values escaped.
fn table(events: &[IntakeEvent]) -> String {
    if events.is_empty() {
        return "no deliveries\n".to_owned();
    }
    let mut out = format!(
        "{:<20} {:<8} {:<36} {:<10} {:<36} {}\n",
        "RECEIVED", "SOURCE", "DELIVERY", "STATUS", "DECISION", "SUBJECT / REASON"
    );
    for e in events {
        let about = match (&e.subject, &e.reason) {
            (Some(subject), Some(reason)) => format!("{subject}: {reason}"),
            (Some(subject), None) => subject.clone(),
            (None, Some(reason)) => reason.clone(),
            (None, None) => "-".to_owned(),
        };
        out.push_str(&format!(
            "{:<20} {:<8} {:<36} {:<10} {:<36} {}\n",
            e.received_at.get(..19).unwrap_or(&e.received_at),
            e.source,
            e.delivery_id.escape_debug().to_string(),
            e.status.label(),
            e.decision_id.as_deref().unwrap_or("-"),
            about.escape_debug()
        ));
    }
    out
}
