//! `entitle replay`: what a proposed configuration would change in the
//! decisions already logged.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use entitle::scenario::save::{ScenarioWriter, pinned};
use entitle_store::replay::{self, ReplayError, ReplayOptions};

use crate::Failure;

/// Arguments of `entitle replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The store whose decision log is replayed (`sqlite:PATH`, a file
    /// path, or `postgres://...`). It is only read, never written.
    #[arg(long, value_name = "URL")]
    db: String,
    /// The proposed configuration (TOML).
    #[arg(long, value_name = "TOML", required_unless_present = "save_scenarios")]
    config: Option<PathBuf>,
    /// Only decisions of this policy.
    #[arg(long, value_name = "ID")]
    policy: Option<String>,
    /// Only decisions made on or after this date (UTC) or instant (RFC 3339).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only decisions made on or before this date (UTC), or before this
    /// instant (RFC 3339).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Example decision ids shown per change.
    #[arg(long, value_name = "K", default_value_t = 5)]
    examples: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReplayFormat::Text)]
    format: ReplayFormat,
    /// Exit 1 when any decision changed or now fails.
    #[arg(long)]
    fail_on_change: bool,
    /// Instead of replaying, write the logged decisions (with the same
    /// filters) as scenario files in DIR, each pinning what was decided;
    /// `entitle test DIR --config PROPOSED` then shows which real tickets
    /// change.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "fail_on_change"])]
    save_scenarios: Option<PathBuf>,
}

/// Output formats of `entitle replay`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReplayFormat {
    /// A line per policy and per change, and a summary line.
    Text,
    /// One JSON object.
    Json,
}

/// `--since`/`--until`: a date (UTC) or an RFC 3339 instant.
fn parse_bound(flag: &str, text: &str, end_of_day: bool) -> Result<DateTime<Utc>, Failure> {
    replay::parse_bound(text, end_of_day).map_err(|e| Failure::BadInput(format!("{flag}: {e}")))
}

/// Runs `entitle replay`.
pub fn run(args: &ReplayArgs) -> Result<String, Failure> {
    let config = match (&args.config, &args.save_scenarios) {
        (Some(path), _) => crate::load_config(path)?,
        (None, Some(dir)) => return save(args, dir),
        (None, None) => {
            return Err(Failure::BadInput(
                "--config: the proposed configuration is required".into(),
            ));
        }
    };
    let options = ReplayOptions {
        config,
        ..options(args)?
    };
    let runtime = runtime()?;
    let progress = crate::progress::Progress::on_stderr();
    progress.phase("replaying", 0);
    let shown = |replayed: u64| progress.message(format!("replayed {replayed} decisions"));
    let report = runtime.block_on(replay::replay_with(&args.db, &options, &shown));
    progress.finish();
    let report = report.map_err(replay_failure)?;
    let output = match args.format {
        ReplayFormat::Json => crate::pretty(&report)?,
        ReplayFormat::Text => report.to_text(),
    };
    if args.fail_on_change && !report.is_unchanged() {
        Err(Failure::Verdict(output))
    } else {
        Ok(output)
    }
}

/// The filters of `args`, checked.
fn options(args: &ReplayArgs) -> Result<ReplayOptions, Failure> {
    if let Some(policy) = &args.policy {
        if !entitle::policies::POLICIES.iter().any(|p| p.id == policy) {
            return Err(Failure::BadInput(format!(
                "--policy: unknown policy `{policy}`; `entitle policies` lists them"
            )));
        }
    }
    Ok(ReplayOptions {
        policy: args.policy.clone(),
        since: args
            .since
            .as_deref()
            .map(|t| parse_bound("--since", t, false))
            .transpose()?,
        until: args
            .until
            .as_deref()
            .map(|t| parse_bound("--until", t, true))
            .transpose()?,
        examples: args.examples,
        ..ReplayOptions::default()
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Runtime(format!("cannot start the runtime: {e}")))
}

fn replay_failure(e: ReplayError) -> Failure {
    match e {
        ReplayError::InvalidUrl { .. }
        | ReplayError::Open { .. }
        | ReplayError::NotAnEntitleStore { .. }
        | ReplayError::Unreachable(_)
        | ReplayError::Config(_)
        | ReplayError::TooMany { .. }
        | ReplayError::Save(_) => Failure::BadInput(e.to_string()),
        other => Failure::Runtime(other.to_string()),
    }
}

/// `--save-scenarios DIR`: the selected logged decisions as scenario files
/// ([`entitle::scenario::save`]). A decision whose `now` cannot be read is
/// counted and left out.
fn save(args: &ReplayArgs, dir: &std::path::Path) -> Result<String, Failure> {
    let options = options(args)?;
    let mut writer = ScenarioWriter::new(dir).map_err(Failure::BadInput)?;
    let mut unreadable = 0_u64;
    runtime()?
        .block_on(replay::read_logged(&args.db, &options, |entry| {
            let Ok(now) = entry.now else {
                unreadable += 1;
                return Ok(());
            };
            match pinned(
                &entry.id,
                &entry.policy,
                now,
                &entry.facts,
                &entry.outcome,
                &entry.details,
            ) {
                Ok(scenario) => writer.add(&entry.policy, scenario),
                Err(_) => {
                    unreadable += 1;
                    Ok(())
                }
            }
        }))
        .map_err(replay_failure)?;
    let (files, saved) = writer.finish().map_err(Failure::BadInput)?;
    let mut out = format!(
        "saved {saved} decisions as scenarios in {} files under {}\n",
        files.len(),
        dir.display()
    );
    if unreadable > 0 {
        out.push_str(&format!(
            "left out {unreadable} decisions whose logged now or facts cannot be read\n"
        ));
    }
    Ok(out)
}
