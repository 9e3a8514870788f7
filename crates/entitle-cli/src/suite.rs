//! `entitle test`: run scenario files against the built-in policies, with
//! coverage and JUnit XML.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use entitle::config::PolicyConfig;
use entitle::scenario::coverage::{PolicyCoverage, coverage};
use entitle::scenario::run::{ScenarioRun, run};
use entitle::scenario::{Scenario, load_paths};
use serde::Serialize;

use crate::Failure;

/// Arguments of `entitle test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Scenario files (`.toml`, `.json`) or directories searched for them.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Run every scenario under this TOML configuration (scenario overrides
    /// still apply on top of it).
    #[arg(long, value_name = "TOML")]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    format: TestFormat,
    /// Fail (exit 1) when a policy's edge coverage is below PCT percent.
    #[arg(long, value_name = "PCT")]
    min_edge_coverage: Option<f64>,
    /// Also write the results as JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
}

/// Output formats of `entitle test`.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum TestFormat {
    /// Failure lines, coverage, and the summary line.
    Text,
    /// One JSON object.
    Json,
}

/// The JSON form of a run.
#[derive(Debug, Serialize)]
struct Report<'a> {
    passed: usize,
    failed: usize,
    failures: Vec<&'a ScenarioRun>,
    coverage: &'a [PolicyCoverage],
    below_min_edge_coverage: Vec<&'static str>,
}

/// Runs `entitle test`. Exit 0 when every scenario passed (and coverage is
/// at least `--min-edge-coverage`), 1 otherwise; 2 on a malformed file.
pub fn test(args: &TestArgs) -> Result<String, Failure> {
    if let Some(pct) = args.min_edge_coverage {
        if !(0.0..=100.0).contains(&pct) {
            return Err(Failure::BadInput(format!(
                "--min-edge-coverage {pct}: expected a percentage from 0 to 100"
            )));
        }
    }
    let base = match &args.config {
        Some(path) => crate::load_config(path)?,
        None => PolicyConfig::default(),
    };
    let scenarios: Vec<Scenario> =
        load_paths(&args.paths).map_err(|e| Failure::BadInput(e.to_string()))?;
    let runs = scenarios
        .iter()
        .map(|s| run(s, &base))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::BadInput(e.to_string()))?;
    let coverage = coverage(&runs).map_err(|e| Failure::Internal(e.to_string()))?;
    let failed: Vec<&ScenarioRun> = runs.iter().filter(|r| !r.passed()).collect();
    let passed = runs.len() - failed.len();
    let below: Vec<&'static str> = match args.min_edge_coverage {
        Some(min) => coverage
            .iter()
            .filter(|c| c.edge_coverage_pct < min)
            .map(|c| c.policy)
            .collect(),
        None => Vec::new(),
    };
    if let Some(path) = &args.junit {
        // The path is the caller's: a directory or a missing one is bad
        // input (exit 2), not a failed scenario (exit 1).
        std::fs::write(path, junit(&runs)).map_err(|e| {
            Failure::BadInput(format!("--junit {}: cannot write: {e}", path.display()))
        })?;
    }
    let output = match args.format {
        TestFormat::Json => {
            let report = Report {
                passed,
                failed: failed.len(),
                failures: failed.clone(),
                coverage: &coverage,
                below_min_edge_coverage: below.clone(),
            };
            crate::pretty(&report)?
        }
        TestFormat::Text => text(&failed, &coverage, &below, args.min_edge_coverage, passed),
    };
    if failed.is_empty() && below.is_empty() {
        Ok(output)
    } else {
        Err(Failure::Verdict(output))
    }
}

fn text(
    failed: &[&ScenarioRun],
    coverage: &[PolicyCoverage],
    below: &[&str],
    min: Option<f64>,
    passed: usize,
) -> String {
    let mut out = String::new();
    for run in failed {
        let _ = writeln!(out, "{}", run.failure_line());
    }
    let _ = writeln!(out, "coverage:");
    for c in coverage {
        let _ = writeln!(
            out,
            "  {}: {} scenarios, edges {}/{} ({:.1}%), outcomes {}/{}",
            c.policy,
            c.scenarios,
            c.edges_taken,
            c.edges,
            c.edge_coverage_pct,
            c.outcomes - c.outcomes_not_taken.len(),
            c.outcomes
        );
        if !c.edges_not_taken.is_empty() {
            let _ = writeln!(out, "    edges not taken: {}", c.edges_not_taken.join(", "));
        }
        if !c.outcomes_not_taken.is_empty() {
            let _ = writeln!(
                out,
                "    outcomes not taken: {}",
                c.outcomes_not_taken.join(", ")
            );
        }
    }
    if let Some(min) = min {
        for policy in below {
            let _ = writeln!(
                out,
                "FAIL coverage: {policy} is below --min-edge-coverage {min}"
            );
        }
    }
    let _ = writeln!(out, "{passed} passed, {} failed", failed.len());
    out
}

/// The runs as JUnit XML: one `<testsuite>` per file, one `<testcase>` per
/// scenario (class name: the policy), a `<failure>` with the differences.
fn junit(runs: &[ScenarioRun]) -> String {
    let failures = runs.iter().filter(|r| !r.passed()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"entitle test\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
        runs.len()
    );
    let mut files: Vec<&str> = Vec::new();
    for run in runs {
        if !files.contains(&run.file.as_str()) {
            files.push(&run.file);
        }
    }
    for file in files {
        let mine: Vec<&ScenarioRun> = runs.iter().filter(|r| r.file == file).collect();
        let failed = mine.iter().filter(|r| !r.passed()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">",
            xml(file),
            mine.len()
        );
        for run in mine {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(run.policy),
                xml(&run.name)
            );
            if run.passed() {
                out.push_str("/>\n");
            } else {
                let diffs: Vec<String> = run.mismatches.iter().map(ToString::to_string).collect();
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"mismatch\">{}</failure>\n    </testcase>",
                    xml(&diffs.join("; ")),
                    xml(&diffs.join("\n"))
                );
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes text for XML content and attribute values.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && c != '\t' && c != '\r' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
