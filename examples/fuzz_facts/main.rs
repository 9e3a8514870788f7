//! A long-running, seeded fuzzer for the facts parser and `evaluate`, for
//! every policy (nightly Rust, and so cargo-fuzz, is not needed).
//!
//! Three targets:
//!
//! - `parser`: arbitrary bytes, JSON-token soup, valid facts with byte-level
//!   mutations and valid facts with structure-aware mutations (values of the
//!   wrong type, hostile dates and numbers, unknown and missing fields, deep
//!   nesting, duplicate keys) go to [`entitle::decide_json`] and
//!   [`entitle::parse_facts`].
//! - `evaluate`: typed facts generated from each policy's JSON Schema (dates
//!   near `now`, on the license boundaries, or anywhere in the calendar), at
//!   instants near local midnight in any IANA zone, or anywhere in the range
//!   of `DateTime<Utc>`, under random configurations (some invalid) go to
//!   `evaluate`, `decide` and the plain table walk.
//! - `readers` (#20): instants, dates, ticket URLs, objects-only facts and
//!   scenario files through the strict readers of `entitle::input`, each
//!   checked against the property it promises (`readers.rs`).
//!
//! Every case runs under `catch_unwind`; a panic, an untyped or unexpected
//! error, `evaluate` and `decide` disagreeing, a `stable_until` not after
//! `now` or not honest, a JSON round trip that changes the facts or the
//! decision, or a case slower than a second is a finding. Findings are
//! printed with the case seed that replays them (`--case`); the exit status
//! is 1 if there was any.
//!
//! ```sh
//! cargo run --release --example fuzz_facts -- --target parser --seconds 600 --seed 1
//! cargo run --release --example fuzz_facts -- --target evaluate --seconds 600 --seed 1
//! cargo run --release --example fuzz_facts -- --target evaluate --case 0x1234abcd
//! ```
//!
//! See `docs/fuzzing.md`.
#![expect(
    clippy::indexing_slicing,
    reason = "an example on its own fixed inputs: a panic is a broken example, reported at once"
)]

mod args;
mod checks;
mod facts;
mod findings;
mod inputs;
mod mutations;
mod readers;
mod rng;
mod targets;

pub(crate) use args::*;
pub(crate) use checks::*;
pub(crate) use facts::*;
pub(crate) use findings::*;
pub(crate) use inputs::*;
pub(crate) use mutations::*;
pub(crate) use readers::*;
pub(crate) use rng::*;
pub(crate) use targets::*;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::process::ExitCode;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Utc};
use chrono_tz::{TZ_VARIANTS, Tz};
use entitle::config::{
    MAX_EMERGENCY_WINDOW_DAYS, MAX_ESCALATION_THRESHOLD_HOURS, MAX_GRACE_PERIOD_DAYS, PolicyConfig,
    TEMPORARY_LICENSE_HARD_CAP_DAYS,
};
use entitle::graph::{Context, Step};
use entitle::policies::POLICIES;
use entitle::policy::{Outcome, PolicyError, PolicyVisitor, Registered, decide, evaluate};
use entitle::{DecideError, FactsError, decide_json, parse_facts, report_for};
use serde_json::{Map, Value, json};

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    install_panic_hook();
    let policies: Vec<&'static str> = POLICIES
        .iter()
        .map(|p| p.id)
        .filter(|id| args.policy.as_deref().is_none_or(|p| p == *id))
        .collect();

    if let Some(seed) = args.case {
        // Replay one case of each requested target.
        let mut failed = false;
        for &target in &args.targets {
            let policy = policies[(seed % policies.len() as u64) as usize];
            let (problems, input, result, took) = run_case(target, policy, seed);
            println!("{} case {seed:#x}: {took:?}", target.name());
            println!(
                "{} case {seed:#x}: {result}\n  input: {input}",
                target.name()
            );
            for p in &problems {
                println!("  FINDING: {p}");
            }
            failed |= !problems.is_empty();
        }
        return if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }

    let mut findings: Vec<Finding> = Vec::new();
    let mut distinct: BTreeMap<String, u64> = BTreeMap::new();
    for &target in &args.targets {
        let started = Instant::now();
        let budget = Duration::from_secs(args.seconds);
        let mut executions: u64 = 0;
        let mut tally: BTreeMap<(&'static str, &'static str), u64> = BTreeMap::new();
        let mut last_progress = Instant::now();
        let mut slowest = (0u64, Duration::ZERO);
        println!(
            "target {}: {} policies, seed {}, {} s",
            target.name(),
            policies.len(),
            args.seed,
            args.seconds
        );
        while started.elapsed() < budget {
            for _ in 0..64 {
                let seed = case_seed(args.seed, target, executions);
                let policy = policies[(seed % policies.len() as u64) as usize];
                let (problems, input, result, took) = run_case(target, policy, seed);
                executions += 1;
                if took > slowest.1 {
                    slowest = (seed, took);
                }
                *tally.entry((policy, result)).or_default() += 1;
                for problem in problems {
                    // Group findings by their text without numbers.
                    let key: String = problem
                        .chars()
                        .filter(|c| !c.is_ascii_digit())
                        .take(120)
                        .collect();
                    let seen = distinct.entry(key).or_default();
                    *seen += 1;
                    if *seen == 1 {
                        println!(
                            "FINDING [{}] case {seed:#x}: {problem}\n  input: {input}",
                            target.name()
                        );
                        findings.push(Finding {
                            target,
                            seed,
                            problem,
                            input: input.clone(),
                        });
                    }
                }
            }
            if last_progress.elapsed() > Duration::from_secs(30) {
                last_progress = Instant::now();
                println!(
                    "  {} s: {executions} executions, {} distinct findings",
                    started.elapsed().as_secs(),
                    distinct.len()
                );
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "target {}: {executions} executions in {secs:.0} s ({:.0}/s)",
            target.name(),
            executions as f64 / secs.max(1e-9)
        );
        println!(
            "  slowest case {:#x}: {:?} (generation included)",
            slowest.0, slowest.1
        );
        let mut per_policy: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for ((policy, result), n) in &tally {
            per_policy
                .entry(policy)
                .or_default()
                .push(format!("{result} {n}"));
        }
        for (policy, results) in per_policy {
            println!("  {policy}: {}", results.join(", "));
        }
    }
    println!("findings: {} distinct", findings.len());
    for f in &findings {
        let times = distinct
            .iter()
            .find(|(k, _)| {
                f.problem
                    .chars()
                    .filter(|c| !c.is_ascii_digit())
                    .take(120)
                    .collect::<String>()
                    == **k
            })
            .map_or(1, |(_, n)| *n);
        println!(
            "  [{}] case {:#x} ({times}x): {}\n    input: {}",
            f.target.name(),
            f.seed,
            f.problem,
            f.input
        );
    }
    if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
