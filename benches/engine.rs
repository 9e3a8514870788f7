//! Divan benchmarks of the 7-question graph: `decide` (its generated
//! function, and the closure path of the same graph built with
//! `GraphBuilder`), `evaluate`, `evaluate_with` (reused trace buffer) and
//! the same logic written by hand.
//! Each iteration decides 65 536 pseudo-random facts (see
//! `common::FACTS`); divan reports decisions per second. Run with
//! `cargo bench --bench engine`; `examples/bench_ratio.rs` prints the
//! ratio of `decide` to the hand-written code.

use std::hint::black_box;

use divan::Bencher;
use divan::counter::ItemsCount;
use entitle::graph::DecisionGraph;

mod common;

/// Facts per iteration.
const N: usize = common::FACTS;

fn main() {
    divan::main();
}

fn facts() -> Vec<common::Facts> {
    common::facts(N, common::SEED)
}

#[divan::bench]
fn handwritten(bencher: Bencher) {
    let facts = facts();
    bencher.counter(ItemsCount::new(N)).bench_local(|| {
        for f in &facts {
            black_box(common::handwritten(black_box(f)));
        }
    });
}

/// `decide` over the facts with `graph`.
fn bench_decide(bencher: Bencher, graph: &DecisionGraph<common::Facts, common::Verdict>) {
    let cx = common::context();
    let facts = facts();
    bencher.counter(ItemsCount::new(N)).bench_local(|| {
        for f in &facts {
            let _ = black_box(graph.decide(black_box(f), &cx));
        }
    });
}

#[divan::bench]
fn decide(bencher: Bencher) {
    bench_decide(bencher, &common::graph());
}

#[divan::bench]
fn decide_builder(bencher: Bencher) {
    bench_decide(bencher, &common::builder_graph());
}

#[divan::bench]
fn evaluate(bencher: Bencher) {
    let graph = common::graph();
    let cx = common::context();
    let facts = facts();
    bencher.counter(ItemsCount::new(N)).bench_local(|| {
        for f in &facts {
            let _ = black_box(graph.evaluate(black_box(f), &cx));
        }
    });
}

#[divan::bench]
fn evaluate_with(bencher: Bencher) {
    let graph = common::graph();
    let cx = common::context();
    let facts = facts();
    let mut trace = Vec::with_capacity(graph.depth());
    bencher.counter(ItemsCount::new(N)).bench_local(|| {
        for f in &facts {
            if let Ok(d) = graph.evaluate_with(black_box(f), &cx, std::mem::take(&mut trace)) {
                black_box(d.outcome);
                trace = d.trace;
            }
        }
    });
}
