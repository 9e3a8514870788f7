//! Writes N generated scenarios (10,000 by default) to a directory and
//! measures running them in this process against deciding the same facts:
//! `cargo run --release --example scenario_bench -- [DIR] [N]`.
//!
//! The scenarios are the built-in corpus's decisions pinned as
//! `entitle replay --save-scenarios` pins them (outcome, every detail, the
//! action texts, the other detail keys absent), each at its own `now`,
//! renamed per copy, in JSON files of 1,000. Then `entitle test DIR` runs
//! them from the command line:
//! `time target/release/entitle test DIR`.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::cast_precision_loss,
    reason = "an example: a failure is a panic with its message"
)]

use std::path::PathBuf;
use std::time::Instant;

use entitle::config::PolicyConfig;
use entitle::scenario::run::run;
use entitle::scenario::save::{ScenarioWriter, pinned};
use entitle::scenario::{corpus, load_paths_all};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/scenario-bench".into()),
    );
    let n: usize = args
        .next()
        .map_or(10_000, |n| n.parse().expect("N: a number"));
    let config = PolicyConfig::default();
    let base: Vec<_> = corpus::corpus()
        .unwrap()
        .into_iter()
        .filter(|s| s.config.is_empty())
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    let mut writer = ScenarioWriter::new(&dir).unwrap();
    for i in 0..n {
        let s = base.get(i % base.len()).expect("the corpus has scenarios");
        let report = entitle::decide_json(s.policy, &s.facts_bytes(), s.now, &config).unwrap();
        let details = serde_json::to_string(&report.details).unwrap();
        let scenario = pinned(
            &format!("{i:05} {}", s.name),
            s.policy,
            s.now,
            &s.facts.to_string(),
            report.outcome,
            &details,
        )
        .unwrap();
        writer
            .add(&format!("{}-{}", s.policy, i / 1000), scenario)
            .unwrap();
    }
    let (files, count) = writer.finish().unwrap();
    println!(
        "wrote {count} scenarios in {} files under {}",
        files.len(),
        dir.display()
    );

    // Load and run them all, as `entitle test` does (without printing).
    let started = Instant::now();
    let loaded = load_paths_all(std::slice::from_ref(&dir)).unwrap();
    let loaded_at = started.elapsed();
    let mut passed = 0;
    let mut facts = Vec::with_capacity(n);
    for file in &loaded {
        assert!(file.errors.is_empty(), "{:?}", file.errors.first());
        for scenario in &file.scenarios {
            if run(scenario, &config).unwrap().passed() {
                passed += 1;
            }
            facts.push((scenario.policy, scenario.facts_bytes(), scenario.now));
        }
    }
    let test_time = started.elapsed();
    assert_eq!(passed, n, "every generated scenario passes");

    // The same facts through `decide_json` alone.
    let started = Instant::now();
    for (policy, bytes, now) in &facts {
        std::hint::black_box(entitle::decide_json(policy, bytes, *now, &config).unwrap());
    }
    let decide_time = started.elapsed();
    let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!(
        "entitle test (in process): {n} scenarios in {:.3} s (loading {:.3} s): {:.0} scenarios/s",
        test_time.as_secs_f64(),
        loaded_at.as_secs_f64(),
        rate(test_time)
    );
    println!(
        "decide_json of the same facts: {:.3} s: {:.0} decisions/s; ratio {:.2}",
        decide_time.as_secs_f64(),
        rate(decide_time),
        rate(test_time) / rate(decide_time)
    );
}
