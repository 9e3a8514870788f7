//! `entitle test`: run scenario files against the built-in policies, with
//! coverage and JUnit XML.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use entitle::config::PolicyConfig;
use entitle::scenario::coverage::{PolicyCoverage, coverage};
use entitle::scenario::run::{ScenarioRun, run};
use entitle::scenario::{ScenarioError, Skipped, load_paths_all};
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
    /// Run only the scenarios whose name (`FILE-STEM/NAME`) contains TEXT;
    /// given more than once, any of them.
    #[arg(long, value_name = "TEXT")]
    filter: Vec<String>,
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
    errors: usize,
    skipped: usize,
    filtered_out: usize,
    failures: Vec<&'a ScenarioRun>,
    error_list: Vec<ErrorEntry>,
    skipped_list: &'a [Skipped],
    coverage: &'a [PolicyCoverage],
    below_min_edge_coverage: Vec<&'static str>,
}

/// One scenario (or file) that could not be run, in the JSON report.
#[derive(Debug, Serialize)]
struct ErrorEntry {
    file: String,
    line: Option<usize>,
    column: Option<usize>,
    scenario: Option<String>,
    field: Option<String>,
    message: String,
}

impl ErrorEntry {
    fn of(e: &ScenarioError) -> ErrorEntry {
        ErrorEntry {
            file: e.file.clone(),
            line: e.at.map(|p| p.line),
            column: e.at.map(|p| p.column),
            scenario: e.scenario.clone(),
            field: e.field.clone(),
            message: e.problem.to_string(),
        }
    }
}

/// The `ERROR` line of a scenario that could not be run.
fn error_line(e: &ScenarioError) -> String {
    format!(
        "ERROR {}",
        entitle::input::escape_for_terminal(&e.to_string())
    )
}

/// Runs `entitle test`. Exit 0 when every scenario that ran passed (and
/// coverage is at least `--min-edge-coverage`); 1 when a scenario failed
/// or could not be run (a malformed file or scenario: an `ERROR` line,
/// counted; the others still run); 2 on a usage error (a bad flag, a
/// `--config` or `--junit` that cannot be used, a path that is not there).
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
    // A path that is not there is a usage error, as a bad flag.
    if let Some(missing) = args.paths.iter().find(|p| std::fs::metadata(p).is_err()) {
        let e = std::fs::metadata(missing)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        return Err(Failure::BadInput(format!(
            "{}: cannot read: {e}",
            missing.display()
        )));
    }
    let files = load_paths_all(&args.paths).map_err(|e| Failure::BadInput(e.to_string()))?;
    let wanted = |file: &str, name: Option<&str>| {
        args.filter.is_empty()
            || name.is_some_and(|name| {
                let id = format!("{}/{name}", file_stem(file));
                args.filter.iter().any(|f| id.contains(f.as_str()))
            })
    };
    let mut runs = Vec::new();
    let mut errors: Vec<ScenarioError> = Vec::new();
    let mut skipped: Vec<Skipped> = Vec::new();
    let mut filtered_out = 0;
    for file in files {
        for error in file.errors {
            // A file that cannot be read names no scenario: always shown.
            if error.scenario.is_none() || wanted(&error.file, error.scenario.as_deref()) {
                errors.push(error);
            } else {
                filtered_out += 1;
            }
        }
        for skip in file.skipped {
            if wanted(&skip.file, Some(&skip.name)) {
                skipped.push(skip);
            } else {
                filtered_out += 1;
            }
        }
        for scenario in file.scenarios {
            if !wanted(&scenario.file, Some(&scenario.name)) {
                filtered_out += 1;
                continue;
            }
            match run(&scenario, &base) {
                Ok(result) => runs.push(result),
                Err(error) => errors.push(error),
            }
        }
    }
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
        std::fs::write(path, junit(&runs, &errors, &skipped)).map_err(|e| {
            Failure::BadInput(format!("--junit {}: cannot write: {e}", path.display()))
        })?;
    }
    let counts = Counts {
        passed,
        failed: failed.len(),
        errors: errors.len(),
        skipped: skipped.len(),
        filtered_out: (!args.filter.is_empty()).then_some(filtered_out),
    };
    let output = match args.format {
        TestFormat::Json => {
            let report = Report {
                passed,
                failed: failed.len(),
                errors: errors.len(),
                skipped: skipped.len(),
                filtered_out,
                failures: failed.clone(),
                error_list: errors.iter().map(ErrorEntry::of).collect(),
                skipped_list: &skipped,
                coverage: &coverage,
                below_min_edge_coverage: below.clone(),
            };
            crate::pretty(&report)?
        }
        TestFormat::Text => text(
            &failed,
            &errors,
            &skipped,
            &coverage,
            &below,
            args.min_edge_coverage,
            &counts,
        ),
    };
    if failed.is_empty() && below.is_empty() && errors.is_empty() {
        Ok(output)
    } else {
        Err(Failure::Verdict(output))
    }
}

/// The stem of a scenario file's name, as [`entitle::scenario::Scenario::id`] uses it.
fn file_stem(file: &str) -> &str {
    std::path::Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or(file)
}

/// The summary's counts.
struct Counts {
    passed: usize,
    failed: usize,
    errors: usize,
    skipped: usize,
    filtered_out: Option<usize>,
}

impl std::fmt::Display for Counts {
    /// `N passed, M failed`, then `, E errors`, `, S skipped` and `, F
    /// filtered out` when there are any (filtered out: with `--filter`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} passed, {} failed", self.passed, self.failed)?;
        if self.errors > 0 {
            write!(
                f,
                ", {} {}",
                self.errors,
                if self.errors == 1 { "error" } else { "errors" }
            )?;
        }
        if self.skipped > 0 {
            write!(f, ", {} skipped", self.skipped)?;
        }
        if let Some(n) = self.filtered_out {
            write!(f, ", {n} filtered out")?;
        }
        Ok(())
    }
}

fn text(
    failed: &[&ScenarioRun],
    errors: &[ScenarioError],
    skipped: &[Skipped],
    coverage: &[PolicyCoverage],
    below: &[&str],
    min: Option<f64>,
    counts: &Counts,
) -> String {
    let mut out = String::new();
    for error in errors {
        let _ = writeln!(out, "{}", error_line(error));
    }
    for run in failed {
        let _ = writeln!(out, "{}", run.failure_line());
    }
    for skip in skipped {
        let _ = writeln!(
            out,
            "SKIP {}: {:?}: {}",
            entitle::input::escape_for_terminal(&skip.file),
            skip.name,
            entitle::input::escape_for_terminal(&skip.reason)
        );
    }
    let _ = writeln!(out, "coverage:");
    for c in coverage {
        let _ = writeln!(
            out,
            "  {}: {} scenario{}, edges {}/{} ({:.1}%), outcomes {}/{}",
            c.policy,
            c.scenarios,
            if c.scenarios == 1 { "" } else { "s" },
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
    let _ = writeln!(out, "{counts}");
    out
}

/// The runs as JUnit XML: one `<testsuite>` per file, one `<testcase>` per
/// scenario named by its name (class name: the policy), a `<failure>` with
/// the differences, an `<error>` for a scenario (or file) that could not
/// be run, `<skipped>` with the reason.
fn junit(runs: &[ScenarioRun], errors: &[ScenarioError], skipped: &[Skipped]) -> String {
    let failures = runs.iter().filter(|r| !r.passed()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"entitle test\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" skipped=\"{}\">",
        runs.len() + errors.len() + skipped.len(),
        errors.len(),
        skipped.len()
    );
    let mut files: Vec<&str> = Vec::new();
    let names = runs
        .iter()
        .map(|r| r.file.as_str())
        .chain(errors.iter().map(|e| e.file.as_str()))
        .chain(skipped.iter().map(|s| s.file.as_str()));
    for file in names {
        if !files.contains(&file) {
            files.push(file);
        }
    }
    for file in files {
        let mine: Vec<&ScenarioRun> = runs.iter().filter(|r| r.file == file).collect();
        let my_errors: Vec<&ScenarioError> = errors.iter().filter(|e| e.file == file).collect();
        let my_skipped: Vec<&Skipped> = skipped.iter().filter(|s| s.file == file).collect();
        let failed = mine.iter().filter(|r| !r.passed()).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"{}\" skipped=\"{}\">",
            entitle::xml::escape(file),
            mine.len() + my_errors.len() + my_skipped.len(),
            my_errors.len(),
            my_skipped.len()
        );
        for run in mine {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"",
                entitle::xml::escape(run.policy),
                entitle::xml::escape(&run.name)
            );
            if run.passed() {
                out.push_str("/>\n");
            } else {
                let diffs: Vec<String> = run.mismatches.iter().map(ToString::to_string).collect();
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"mismatch\">{}</failure>\n    </testcase>",
                    entitle::xml::escape(&diffs.join("; ")),
                    entitle::xml::escape(&diffs.join("\n"))
                );
            }
        }
        for error in my_errors {
            let name = error.scenario.as_deref().unwrap_or("(the file)");
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">\n      <error message=\"{}\" type=\"malformed\"/>\n    </testcase>",
                entitle::xml::escape(file),
                entitle::xml::escape(name),
                entitle::xml::escape(&error.to_string())
            );
        }
        for skip in my_skipped {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\">\n      <skipped message=\"{}\"/>\n    </testcase>",
                entitle::xml::escape(file),
                entitle::xml::escape(&skip.name),
                entitle::xml::escape(&skip.reason)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
