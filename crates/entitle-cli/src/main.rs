//! `entitle`: decide, explain and render the license policies from a terminal.
//!
//! Exit codes: 0 success, 2 bad input (one line on stderr naming the file,
//! the field and the problem), 1 an internal defect.

mod actions;
mod check;
mod import;
mod input;
mod intake;
mod progress;
mod replay;
mod schedule;
mod serve;
mod suite;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{CommandFactory, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use entitle::config::PolicyConfig;
use entitle::policy::{Fault, PolicyError};
use entitle::{DecideError, RenderFormat};

use crate::input::{InputError, read_input};

/// Software-license policy as code: decide a ticket the way the handbook
/// would, with the reasons and the moment the decision would change.
#[derive(Debug, Parser)]
#[command(
    name = "entitle",
    version,
    long_about = None,
    after_help = "Exit status: 0 success; 1 a negative verdict (a scenario failed, a check found problems), a conflict with the state of things (retrying a step already delivered) or a failure of the environment; 2 bad input or usage (one line on standard error naming the file, field or flag)."
)]
struct Cli {
    /// When to colour the output: `auto` on a terminal unless `NO_COLOR` is
    /// set, `always`, or `never`.
    #[arg(long, global = true, value_enum, default_value_t = Colour::Auto, value_name = "WHEN")]
    color: Colour,
    #[command(subcommand)]
    command: Command,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Colour {
    /// On a terminal, unless `NO_COLOR` is set and not empty.
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

impl Colour {
    /// The `--color` of `args`, before clap parses them (so its own help
    /// and errors follow it too): the last one given, `auto` if none or
    /// if the value is not one of the three (clap then says so).
    fn from_args(args: &[std::ffi::OsString]) -> Colour {
        let mut colour = Colour::Auto;
        let mut take_next = false;
        for arg in args.iter().filter_map(|a| a.to_str()) {
            let value = if take_next {
                take_next = false;
                Some(arg)
            } else if arg == "--color" {
                take_next = true;
                None
            } else {
                arg.strip_prefix("--color=")
            };
            if let Some(value) = value {
                colour = Colour::from_str(value, true).unwrap_or(Colour::Auto);
            }
            if arg == "--" {
                break;
            }
        }
        colour
    }

    /// Whether to colour what goes to a stream that `terminal` says is one.
    pub(crate) fn enabled(self, terminal: bool) -> bool {
        match self {
            Colour::Always => true,
            Colour::Never => false,
            Colour::Auto => serve::colour(std::env::var_os("NO_COLOR").as_deref(), terminal),
        }
    }
}

/// The `--color` in force (set once in `main`).
static COLOUR: std::sync::OnceLock<Colour> = std::sync::OnceLock::new();

/// The `--color` in force.
pub(crate) fn colour_choice() -> Colour {
    COLOUR.get().copied().unwrap_or(Colour::Auto)
}

#[derive(Debug, Subcommand)]
enum Command {
    /// List the policies: id, version and summary.
    Policies {
        /// Output format.
        #[arg(long, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Decide a ticket's facts under a policy.
    Decide {
        /// The policy id (see `entitle policies`).
        policy: String,
        /// The facts as JSON: a file, or `-` for standard input.
        #[arg(long, value_name = "FILE|-")]
        facts: PathBuf,
        /// The instant to decide at (RFC 3339); defaults to the system clock.
        #[arg(long, value_name = "RFC3339")]
        now: Option<String>,
        /// A TOML configuration (time zone, thresholds, holidays).
        #[arg(long, value_name = "TOML")]
        config: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DecideFormat::Json)]
        format: DecideFormat,
    },
    /// Render a policy's decision graph.
    Render {
        /// The policy id.
        policy: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
    },
    /// Print the JSON Schema of a policy's facts (or of scenario files).
    ///
    /// With `--scenario`, the schema of the scenario files `entitle test`
    /// runs.
    Schema {
        /// The policy id.
        #[arg(required_unless_present = "scenario", conflicts_with = "scenario")]
        policy: Option<String>,
        /// Print the schema of scenario files instead.
        #[arg(long)]
        scenario: bool,
    },
    /// Print one checked example of facts per path of a policy's graph.
    ///
    /// Each example is evaluated before it is printed and reaches the
    /// outcome its path says.
    Examples {
        /// The policy id.
        policy: String,
    },
    /// Run the HTTP policy service.
    ///
    /// Decisions are logged in the database before they are answered. With
    /// no `--db`, the log is the SQLite file `entitle.db` in the current
    /// directory (created on first use). Stop with Ctrl-C or SIGTERM: the
    /// requests in flight finish first. Logs go to standard error; set
    /// `RUST_LOG` (e.g. `RUST_LOG=debug`) to change the level (default
    /// `info`).
    Serve(serve::ServeArgs),
    /// Load the records tickets are decided on from JSON or CSV files.
    ///
    /// Customers, accounts, subscriptions, licenses, Seat Link reports,
    /// namespaces and tickets, into the store `entitle serve` decides
    /// tickets from. A JSON file holds one array per kind of record (or one array of one
    /// kind); a CSV file holds one kind, named by `--kind` or by the file's
    /// name (`licenses.csv`). Every row is checked first; an error names the
    /// file, the row and the field, and nothing is written.
    Import(import::ImportArgs),
    /// Run scenario files (or directories of them) against the policies.
    ///
    /// Prints a line per failure (`FAIL`), per scenario that cannot be run
    /// (`ERROR`, with the file's line and column; the others still run) and
    /// per skipped one (`SKIP`), the coverage of each policy's graph and the
    /// summary `N passed, M failed`. Exits 0 when all passed, 1 when a
    /// scenario failed or could not be run, 2 on a usage error.
    Test(suite::TestArgs),
    /// Report what a proposed configuration would change in the logged decisions.
    ///
    /// Re-decides the log under the configuration (and the policies as
    /// built now): per policy, `old -> new` outcomes with counts and example
    /// decision ids, and the decisions that now fail. The log is only read.
    Replay(replay::ReplayArgs),
    /// Property-test the spec's invariants under a configuration.
    ///
    /// For every policy: totality, determinism, honest `stable_until`,
    /// `license-status` monotone in time, the temporary-license cap,
    /// trial-only licenses for starred self-managed tickets, one license per
    /// follow-up. A failure prints a shrunk counterexample (exit 1).
    Check(check::CheckArgs),
    /// Manage the bearer tokens of `entitle serve`.
    ///
    /// A token is shown once, when it is created; the file keeps only its
    /// SHA-256 hash, with an id, a role and the creation time. A running
    /// server picks up changes to the file within a few seconds.
    Tokens {
        #[command(subcommand)]
        command: serve::TokensCommand,
    },
    /// The actions decisions put in the outbox: list, retry, mark done, deliver.
    ///
    /// List and show them, retry, cancel or mark done by hand, and deliver
    /// the routed ones (`actions run`).
    Actions {
        #[command(subcommand)]
        command: actions::ActionsCommand,
    },
    /// The deliveries Zendesk and GitLab sent, and what became of each.
    ///
    /// What `entitle serve --intake` received: decided (with the decision),
    /// a duplicate, refused or ignored (with the reason).
    Intake {
        #[command(subcommand)]
        command: intake::IntakeCommand,
    },
    /// The provision-failure monitoring schedule: build, check, who, calendar.
    ///
    /// Build it from the engineers' availability, check a schedule people
    /// edited, say who reviews a failure, show it as a calendar.
    ///
    /// Exit codes: 0 success, 1 a negative verdict (problems found, nobody
    /// scheduled), 2 bad input (one line naming the file, the line, the
    /// column and the field).
    Schedule {
        #[command(subcommand)]
        command: schedule::ScheduleCommand,
    },
    /// Print a shell completion script.
    ///
    /// For example `entitle completions bash >
    /// ~/.local/share/bash-completion/completions/entitle`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    ///
    /// For example `entitle man > entitle.1; man -l entitle.1`.
    Man,
}

/// How a command that lists data prints it (`--format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ListFormat {
    /// A table for people, with a header row.
    #[default]
    Text,
    /// JSON: an array of objects, the fields the HTTP API answers.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DecideFormat {
    /// One JSON object.
    Json,
    /// An explanation to paste into a ticket.
    Text,
    /// The policy's graph as SVG, the path taken drawn in amber.
    Svg,
    /// The policy's graph as Graphviz DOT, the path taken highlighted.
    Dot,
    /// The policy's graph as a Mermaid flowchart, the path taken highlighted.
    Mermaid,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart.
    Mermaid,
    /// A Graphviz DOT digraph.
    Dot,
    /// The structure as JSON.
    Json,
}

/// A failure, split by whose it is.
#[derive(Debug, thiserror::Error)]
enum Failure {
    /// The user's input is wrong: exit 2.
    #[error("{0}")]
    BadInput(String),
    /// A defect of entitle itself: exit 1.
    #[error("{0}")]
    Internal(String),
    /// The environment failed (a port in use, a database down): exit 1.
    #[error("{0}")]
    Runtime(String),
    /// The command ran and its verdict is negative (a failed scenario): the
    /// report goes to standard output, exit 1.
    #[error("{0}")]
    Verdict(String),
    /// What was asked conflicts with the state of things (retrying a step
    /// already delivered): exit 1, one line.
    #[error("{0}")]
    Conflict(String),
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Self {
        Failure::BadInput(e.to_string())
    }
}

/// The user named an unknown policy or gave a bad `--config`: bad input
/// (exit 2); anything else is a defect.
fn policy_failure(e: PolicyError) -> Failure {
    match e.fault() {
        Fault::Request | Fault::Config => Failure::BadInput(e.to_string()),
        Fault::Defect => Failure::Internal(e.to_string()),
    }
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let colour = Colour::from_args(&args);
    let clap_colour = match colour {
        Colour::Auto => clap::ColorChoice::Auto,
        Colour::Always => clap::ColorChoice::Always,
        Colour::Never => clap::ColorChoice::Never,
    };
    let matches = Cli::command().color(clap_colour).get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let _ = COLOUR.set(cli.color);
    match run(cli.command) {
        Ok(output) => match write_stdout(&output) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write the output: {e}");
                ExitCode::from(1)
            }
        },
        Err(Failure::BadInput(message)) => {
            eprintln!("error: {}", one_line(&message));
            ExitCode::from(2)
        }
        Err(Failure::Internal(message)) => {
            eprintln!("internal error: {}", one_line(&message));
            ExitCode::from(1)
        }
        Err(Failure::Runtime(message) | Failure::Conflict(message)) => {
            eprintln!("error: {}", one_line(&message));
            ExitCode::from(1)
        }
        Err(Failure::Verdict(output)) => {
            if let Err(e) = write_stdout(&output) {
                eprintln!("error: cannot write the output: {e}");
            }
            ExitCode::from(1)
        }
    }
}

/// An error message as it is printed: one line, whatever it quotes. A
/// value from outside (a sink name with a line break, a `from` with CR LF,
/// an id with an escape sequence) is shown escaped (`\n`, `\u{1b}`): it
/// can neither break the one-line promise nor drive the terminal.
fn one_line(message: &str) -> std::borrow::Cow<'_, str> {
    entitle::input::escape_for_terminal(message.trim_end())
}

/// Writes `output` to standard output. A write error is an error (`>
/// /dev/full`: the report is lost, so the command did not do its job),
/// except a closed pipe (`entitle render x | head`): the reader has what
/// it wanted.
fn write_stdout(output: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn run(command: Command) -> Result<String, Failure> {
    match command {
        Command::Policies { format } => {
            let policies = entitle::policies::POLICIES;
            if format == ListFormat::Json {
                let list: Vec<serde_json::Value> = policies
                    .iter()
                    .map(|p| serde_json::json!({"id": p.id, "version": p.version, "summary": p.summary}))
                    .collect();
                return pretty(&list);
            }
            let mut out = format!("{:<30} {:<4} {}\n", "POLICY", "VER", "SUMMARY");
            for p in policies {
                out.push_str(&format!("{:<30} v{:<3} {}\n", p.id, p.version, p.summary));
            }
            Ok(out)
        }
        Command::Decide {
            policy,
            facts,
            now,
            config,
            format,
        } => decide(&policy, &facts, now.as_deref(), config.as_deref(), format),
        Command::Render { policy, format } => {
            let format = match format {
                GraphFormat::Mermaid => RenderFormat::Mermaid,
                GraphFormat::Dot => RenderFormat::Dot,
                GraphFormat::Json => RenderFormat::Json,
            };
            let mut out = entitle::render(&policy, format).map_err(policy_failure)?;
            if !out.ends_with('\n') {
                out.push('\n');
            }
            Ok(out)
        }
        Command::Schema { policy, scenario } => match policy {
            Some(policy) if !scenario => pretty(&entitle::schema(&policy).map_err(policy_failure)?),
            _ => pretty(&entitle::scenario::json_schema()),
        },
        Command::Serve(args) => serve::serve(args),
        Command::Import(args) => match import::execute(&args) {
            Ok(summary) => Ok(format!("{summary}\n")),
            Err(import::ImportFailure::BadInput(message)) => Err(Failure::BadInput(message)),
            Err(import::ImportFailure::Runtime(message)) => Err(Failure::Runtime(message)),
        },
        Command::Tokens { command } => serve::tokens(command),
        Command::Test(args) => suite::test(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Actions { command } => actions::actions(command),
        Command::Intake { command } => intake::intake(command),
        Command::Schedule { command } => schedule::run(command),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "entitle", &mut script);
            String::from_utf8(script)
                .map_err(|e| Failure::Internal(format!("the completion script is not UTF-8: {e}")))
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| Failure::Internal(format!("cannot render the manual page: {e}")))?;
            String::from_utf8(page)
                .map_err(|e| Failure::Internal(format!("the manual page is not UTF-8: {e}")))
        }
        Command::Examples { policy } => match entitle::examples(&policy).map_err(policy_failure)? {
            Ok(examples) => pretty(&examples),
            Err(missing) => Err(Failure::Internal(format!(
                "policy `{policy}` has paths no example takes: {}",
                missing.join("; ")
            ))),
        },
    }
}

fn decide(
    policy: &str,
    facts_path: &Path,
    now: Option<&str>,
    config_path: Option<&Path>,
    format: DecideFormat,
) -> Result<String, Failure> {
    let now = match now {
        Some(text) => parse_now(text)?,
        None => Utc::now(),
    };
    let config = match config_path {
        Some(path) => load_config(path)?,
        None => PolicyConfig::default(),
    };
    // Check the policy before reading standard input, so a typo fails fast.
    if !entitle::policies::POLICIES.iter().any(|p| p.id == policy) {
        return Err(policy_failure(PolicyError::UnknownPolicy(
            policy.to_owned(),
        )));
    }
    let facts = read_input(facts_path)?;
    let report = entitle::decide_json(policy, &facts, now, &config).map_err(|e| match e {
        DecideError::Facts(e) => {
            Failure::BadInput(format!("{}: {e}", input::display_name(facts_path)))
        }
        DecideError::Policy(e) => policy_failure(e),
    })?;
    let path = match format {
        DecideFormat::Json => return pretty(&report),
        DecideFormat::Text => return Ok(report.to_text()),
        DecideFormat::Svg => entitle::PathFormat::Svg,
        DecideFormat::Dot => entitle::PathFormat::Dot,
        DecideFormat::Mermaid => entitle::PathFormat::Mermaid,
    };
    let steps = report.trace.iter().map(|step| (step.node, step.answer));
    let mut out = entitle::render_path(policy, path, steps).map_err(policy_failure)?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// `--now`, read by the one strict instant parser every adapter uses.
fn parse_now(text: &str) -> Result<DateTime<Utc>, Failure> {
    entitle::input::parse_instant(text).map_err(|e| Failure::BadInput(format!("--now: {e}")))
}

pub(crate) fn load_config(path: &Path) -> Result<PolicyConfig, Failure> {
    let bytes = read_input(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| Failure::BadInput(format!("{}: not UTF-8 text ({e})", path.display())))?;
    // A `[monitoring]` table names files relative to the configuration's
    // directory (the current one for standard input).
    let dir = match path.parent() {
        Some(dir) if path != Path::new("-") && !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    entitle::config_from_toml_in(&text, dir)
        .map_err(|e| Failure::BadInput(format!("{}: invalid configuration: {e}", path.display())))
}

pub(crate) fn pretty<T: serde::Serialize>(value: &T) -> Result<String, Failure> {
    serde_json::to_string_pretty(value)
        .map(|mut s| {
            s.push('\n');
            s
        })
        .map_err(|e| Failure::Internal(format!("cannot serialise the output: {e}")))
}
