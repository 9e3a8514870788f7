//! `entitle check`: the spec's invariants, property-tested under a
//! configuration.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use entitle::config::PolicyConfig;
use entitle_core::testing::{PolicyCheck, check_all_with};

use crate::Failure;

/// Arguments of `entitle check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The configuration to check (TOML); the default configuration if
    /// left out.
    #[arg(long, value_name = "TOML")]
    config: Option<PathBuf>,
    /// Random inputs tried per policy.
    #[arg(long, value_name = "N", default_value_t = 256)]
    cases: u32,
    /// The seed of the inputs (the same seed tries the same inputs).
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    format: CheckFormat,
}

/// Output formats of `entitle check`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum CheckFormat {
    /// A line per policy, counterexamples, and a summary line.
    Text,
    /// One JSON array, an object per policy.
    Json,
}

/// Runs `entitle check`: exit 0 when every invariant holds, 1 with the
/// counterexamples otherwise, 2 on a bad configuration.
pub fn run(args: &CheckArgs) -> Result<String, Failure> {
    if args.cases == 0 {
        return Err(Failure::BadInput("--cases: must be at least 1".into()));
    }
    let config = match &args.config {
        Some(path) => crate::load_config(path)?,
        None => PolicyConfig::default(),
    };
    let progress = crate::progress::Progress::on_stderr();
    progress.phase(
        "checking policies",
        entitle::policies::POLICIES.len() as u64,
    );
    let checks = check_all_with(&config, args.cases, args.seed, &mut |check| {
        progress.message(format!("checked {}", check.policy));
        progress.advance(1);
    });
    progress.finish();
    let failed = checks.iter().filter(|c| c.counterexample.is_some()).count();
    let output = match args.format {
        CheckFormat::Json => crate::pretty(&checks)?,
        CheckFormat::Text => text(&checks, args, failed),
    };
    if failed == 0 {
        Ok(output)
    } else {
        Err(Failure::Verdict(output))
    }
}

fn text(checks: &[PolicyCheck], args: &CheckArgs, failed: usize) -> String {
    let mut out = String::new();
    for check in checks {
        match &check.counterexample {
            None => {
                let _ = writeln!(out, "ok   {}: {} cases", check.policy, check.cases);
            }
            Some(c) => {
                let invariant = c.invariant.map_or("run", |i| i.name());
                let _ = writeln!(out, "FAIL {}: {invariant}: {}", check.policy, c.message);
                if !c.now.is_empty() {
                    let _ = writeln!(out, "  now: {} (later: {})", c.now, c.later);
                    let _ = writeln!(out, "  facts: {}", c.facts);
                    let _ = writeln!(
                        out,
                        "  reproduce: entitle decide {} --now {} --facts FACTS.json",
                        check.policy, c.now
                    );
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "{} policies checked, {failed} failed ({} cases each, seed {})",
        checks.len(),
        args.cases,
        args.seed
    );
    out
}
