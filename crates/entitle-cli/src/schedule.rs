//! `entitle schedule build|check|who|calendar`: the provision-failure
//! monitoring schedule (spec 3.9).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use clap::Subcommand;
use entitle::config::PolicyConfig;
use entitle::schedule::{
    Availability, Milestone, Schedule, build, calendar, check, reviewer, summary,
};
use entitle::schedule_file::{read_availability, read_schedule, write_schedule};

use crate::Failure;
use crate::input::{display_name, read_input};

#[derive(Debug, Subcommand)]
pub(crate) enum ScheduleCommand {
    /// Build the schedule of a milestone from the availability: the file
    /// (one line per workday) on standard output, a summary (days per
    /// engineer, uncovered days, the fairness spread) on standard error.
    Build {
        /// The availability CSV (`engineer,week_of,days`).
        #[arg(long, value_name = "FILE")]
        availability: PathBuf,
        /// The milestone's first date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        from: String,
        /// The milestone's last date (YYYY-MM-DD), included.
        #[arg(long, value_name = "DATE")]
        to: String,
        /// A TOML policy configuration: its `company_holidays` are not
        /// assigned.
        #[arg(long, value_name = "TOML")]
        config: Option<PathBuf>,
    },
    /// Check a schedule people edited against the availability: exit 0, or
    /// 1 listing every problem (someone assigned on a day they did not mark
    /// available, a coverable workday left out, ...), 2 on bad input.
    Check {
        /// The schedule file.
        file: PathBuf,
        /// The availability CSV.
        #[arg(long, value_name = "FILE")]
        availability: PathBuf,
        /// A TOML policy configuration (its holidays).
        #[arg(long, value_name = "TOML")]
        config: Option<PathBuf>,
    },
    /// The review date and the engineer for a failure that occurred at
    /// INSTANT: `2026-03-16 bob` (exit 1 when the schedule names nobody
    /// that day).
    Who {
        /// When the failure occurred (RFC 3339).
        instant: String,
        /// The schedule file.
        #[arg(long, value_name = "FILE")]
        schedule: PathBuf,
        /// A TOML policy configuration (its time zone and holidays).
        #[arg(long, value_name = "TOML")]
        config: Option<PathBuf>,
    },
    /// Show a schedule as a calendar: a row per week, the engineer of each
    /// day, weekends and holidays marked, uncovered workdays flagged.
    Calendar {
        /// The schedule file.
        file: PathBuf,
        /// A TOML policy configuration (its holidays).
        #[arg(long, value_name = "TOML")]
        config: Option<PathBuf>,
    },
}

pub(crate) fn run(command: ScheduleCommand) -> Result<String, Failure> {
    match command {
        ScheduleCommand::Build {
            availability,
            from,
            to,
            config,
        } => {
            let config = config_at(config.as_deref())?;
            let team = load_availability(&availability)?;
            let first = date("--from", &from)?;
            let last = date("--to", &to)?;
            let milestone = Milestone::new(first, last)
                .map_err(|e| Failure::BadInput(format!("--from {from} --to {to}: {e}")))?;
            let built = build(&milestone, &team, &config);
            eprint!("{}", summary_text(&built.schedule, &team, &config));
            Ok(write_schedule(&built.schedule, &config))
        }
        ScheduleCommand::Check {
            file,
            availability,
            config,
        } => {
            let config = config_at(config.as_deref())?;
            let schedule = load_schedule(&file)?;
            let team = load_availability(&availability)?;
            let problems = check(&schedule, &team, &config);
            if problems.is_empty() {
                let uncovered = schedule.unassigned_workdays(&config).len();
                return Ok(format!(
                    "ok: {}: {} workdays assigned, {uncovered} uncovered (nobody marked them available)\n",
                    display_name(&file),
                    schedule.days.len()
                ));
            }
            let mut out = String::new();
            for problem in &problems {
                let _ = writeln!(out, "{}: {problem}", display_name(&file));
            }
            let _ = writeln!(
                out,
                "{} problem{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            Err(Failure::Verdict(out))
        }
        ScheduleCommand::Who {
            instant,
            schedule,
            config,
        } => {
            let occurred_at = entitle::input::parse_instant(&instant)
                .map_err(|e| Failure::BadInput(format!("INSTANT: {e}")))?;
            let config = config_at(config.as_deref())?;
            let file = load_schedule(&schedule)?;
            // The schedule as a service would use it: only workdays.
            let config = PolicyConfig {
                monitoring_schedule: Some(file.days),
                ..config
            };
            config
                .validate()
                .map_err(|e| Failure::BadInput(format!("{}: {e}", display_name(&schedule))))?;
            let days = config.monitoring_schedule.as_ref();
            let empty = entitle::schedule::Assignments::new();
            let review = reviewer(occurred_at, days.unwrap_or(&empty), &config);
            match review.by {
                Some(engineer) => Ok(format!("{} {engineer}\n", review.on)),
                None => Err(Failure::Verdict(format!(
                    "{} (nobody scheduled: the schedule leaves {} {} out)\n",
                    review.on,
                    review.on,
                    review.on.format("%a")
                ))),
            }
        }
        ScheduleCommand::Calendar { file, config } => {
            let config = config_at(config.as_deref())?;
            let schedule = load_schedule(&file)?;
            Ok(calendar(&schedule, &config))
        }
    }
}

/// The summary `build` prints on standard error.
fn summary_text(schedule: &Schedule, team: &Availability, config: &PolicyConfig) -> String {
    let s = summary(schedule, team, config);
    let milestone = &schedule.milestone;
    let workdays = milestone.workdays(config).count();
    let mut out = format!(
        "schedule {} to {}: {workdays} workdays, {} assigned, {} uncovered\n",
        milestone.first(),
        milestone.last(),
        schedule.days.len(),
        s.uncovered.len()
    );
    let width = s
        .days
        .iter()
        .map(|(e, _)| e.as_str().chars().count())
        .max()
        .unwrap_or(0);
    for (engineer, days) in &s.days {
        let _ = writeln!(
            out,
            "  {:<width$}  {days} day{}",
            engineer.as_str(),
            if *days == 1 { "" } else { "s" }
        );
    }
    if !s.uncovered.is_empty() {
        let days: Vec<String> = s
            .uncovered
            .iter()
            .map(|d| format!("{d} ({})", d.format("%a")))
            .collect();
        let _ = writeln!(out, "uncovered (nobody available): {}", days.join(", "));
    }
    match s.spread {
        Some(spread) => {
            let names: Vec<&str> = s.available_all_along.iter().map(|e| e.as_str()).collect();
            let _ = writeln!(
                out,
                "fairness spread: {spread} (most minus fewest days among those available all along: {})",
                names.join(", ")
            );
        }
        None => {
            let _ = writeln!(out, "fairness spread: - (nobody was available all along)");
        }
    }
    out
}

fn config_at(path: Option<&Path>) -> Result<PolicyConfig, Failure> {
    match path {
        Some(path) => crate::load_config(path),
        None => Ok(PolicyConfig::default()),
    }
}

fn date(flag: &str, text: &str) -> Result<chrono::NaiveDate, Failure> {
    entitle::input::parse_date(text).map_err(|e| Failure::BadInput(format!("{flag}: {e}")))
}

fn text_of(path: &Path) -> Result<String, Failure> {
    let bytes = read_input(path)?;
    String::from_utf8(bytes)
        .map_err(|_| Failure::BadInput(format!("{}: not UTF-8 text", display_name(path))))
}

fn load_availability(path: &Path) -> Result<Availability, Failure> {
    read_availability(&text_of(path)?)
        .map_err(|e| Failure::BadInput(format!("{}: {e}", display_name(path))))
}

fn load_schedule(path: &Path) -> Result<Schedule, Failure> {
    read_schedule(&text_of(path)?)
        .map_err(|e| Failure::BadInput(format!("{}: {e}", display_name(path))))
}
