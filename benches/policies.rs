//! Every policy's decision over its worked examples (its built-in scenarios): the outcome alone
//! (`decide`), with the explanation (`evaluate`), and the full CLI pipeline
//! in process (JSON facts in, JSON report out).
//!
//! Run with `cargo bench --bench policies`.
#![expect(
    clippy::unwrap_used,
    reason = "benchmark code on its own fixed inputs: a panic is a broken benchmark, reported at once"
)]

use divan::{Bencher, black_box};
use entitle::config::PolicyConfig;
use entitle::graph::Context;
use entitle::policy::{PolicyVisitor, Registered};

fn main() {
    divan::main();
}

fn ids() -> impl Iterator<Item = &'static str> {
    entitle::policies::POLICIES.iter().map(|p| p.id)
}

/// Which way a bench decides.
#[derive(Clone, Copy)]
enum Mode {
    Decide,
    Evaluate,
}

struct Bench<'a, 'b>(Bencher<'a, 'b>, Mode);

impl PolicyVisitor for Bench<'_, '_> {
    type Output = ();
    fn visit<P: Registered>(self) {
        let graph = P::graph().unwrap();
        let config = PolicyConfig::default();
        let examples = entitle::scenario::examples::<P>().unwrap();
        let Bench(bencher, mode) = self;
        bencher.counter(examples.len()).bench_local(|| {
            for example in &examples {
                let cx = Context::new(example.now, &config);
                match mode {
                    Mode::Decide => {
                        black_box(graph.decide(black_box(&example.facts), &cx).unwrap());
                    }
                    Mode::Evaluate => {
                        black_box(graph.evaluate(black_box(&example.facts), &cx).unwrap());
                    }
                }
            }
        });
    }
}

/// The outcome alone: no trace, no allocation.
#[divan::bench(args = ids())]
fn decide(bencher: Bencher, policy: &str) {
    entitle::policies::visit(policy, Bench(bencher, Mode::Decide)).unwrap();
}

/// Outcome, trace with details, and `stable_until`.
#[divan::bench(args = ids())]
fn evaluate(bencher: Bencher, policy: &str) {
    entitle::policies::visit(policy, Bench(bencher, Mode::Evaluate)).unwrap();
}

/// What `entitle decide` does in process: parse the JSON facts, decide with
/// the explanation and details, and serialise the JSON report.
#[divan::bench(args = ids())]
fn cli_pipeline(bencher: Bencher, policy: &str) {
    let config = PolicyConfig::default();
    let examples = entitle::examples(policy).unwrap().unwrap();
    let inputs: Vec<(Vec<u8>, chrono::DateTime<chrono::Utc>)> = examples
        .iter()
        .map(|e| {
            (
                serde_json::to_vec(&e.facts).unwrap(),
                e.now.parse().unwrap(),
            )
        })
        .collect();
    bencher.counter(inputs.len()).bench_local(|| {
        for (facts, now) in &inputs {
            let report = entitle::decide_json(policy, black_box(facts), *now, &config).unwrap();
            black_box(serde_json::to_vec(&report).unwrap());
        }
    });
}
