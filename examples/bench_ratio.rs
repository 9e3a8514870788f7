//! How much slower is a decision through the graph engine than the same
//! logic written by hand? Prints nanoseconds per decision for the
//! hand-written code, `decide` (the graph is declared with
//! `decision_graph!`, so `decide` runs its generated function), `decide` of
//! the same graph built with `GraphBuilder` (the closure path),
//! `decide_walk` (the table walk), `evaluate_with` (reused trace buffer;
//! the generated traced function, and the builder graph's traced
//! closures) and `evaluate`, then `traced_ratio ..` and, as the last line,
//! the ratio of the generated `decide` to hand-written.
//!
//! Run with `cargo run --release --example bench_ratio`.
//!
//! The facts are 65 536 pseudo-random records. With a few thousand records
//! repeated round after round, the CPU's branch predictor learns the whole
//! sequence of the hand-written code's branches and it runs at about two
//! cycles a decision, which no real caller sees; the informational line
//! `handwritten, 4096 facts repeated` shows that effect.
#![expect(
    clippy::indexing_slicing,
    reason = "an example on its own fixed inputs: a panic is a broken example, reported at once"
)]

use std::hint::black_box;
use std::time::Instant;

#[path = "../benches/common/mod.rs"]
mod common;

use common::{Facts, Verdict};

/// Facts per pass.
const N: usize = common::FACTS;
/// Passes per round: about two million decisions a round.
const REPS: usize = 32;
/// Rounds; the best is kept.
const ROUNDS: usize = 15;

/// Nanoseconds per decision of `reps` passes of `pass`, each pass making
/// `n` decisions.
fn ns_per_decision(n: usize, reps: usize, pass: &mut dyn FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..reps {
        pass();
    }
    start.elapsed().as_nanos() as f64 / (n * reps) as f64
}

/// Best nanoseconds per decision of each pass over `ROUNDS` rounds. The
/// passes take turns within a round, so a busy moment of the machine
/// weighs on all of them alike.
fn best_of<const K: usize>(n: usize, reps: [usize; K], passes: [&mut dyn FnMut(); K]) -> [f64; K] {
    let mut best = [f64::INFINITY; K];
    let mut passes = passes;
    for _ in 0..ROUNDS {
        for (k, pass) in passes.iter_mut().enumerate() {
            best[k] = best[k].min(ns_per_decision(n, reps[k], *pass));
        }
    }
    best
}

fn main() {
    let graph = common::graph();
    let builder = common::builder_graph();
    let cx = common::context();
    let facts: Vec<Facts> = common::facts(N, common::SEED);

    // The graph and the hand-written code agree on every fact.
    let mut counts = [0usize; 6];
    for f in &facts {
        let expected = common::handwritten(f);
        let decided = graph.decide(f, &cx).ok().copied();
        let walked = graph.decide_walk(f, &cx).ok().copied();
        let closures = builder.decide(f, &cx).ok().copied();
        let evaluated = graph.evaluate(f, &cx).ok().map(|d| *d.outcome);
        let traced_alike = graph.evaluate(f, &cx).ok() == builder.evaluate(f, &cx).ok()
            && graph.evaluate(f, &cx).ok() == graph.evaluate_walk(f, &cx, Vec::new()).ok();
        if [decided, walked, closures, evaluated] != [Some(expected); 4] || !traced_alike {
            eprintln!(
                "disagreement on {f:?}: hand-written {expected:?}, decide {decided:?}, decide_walk {walked:?}, builder decide {closures:?}, evaluate {evaluated:?}, same traces: {traced_alike}"
            );
            std::process::exit(1);
        }
        counts[expected as usize] += 1;
    }
    println!(
        "graph (generated, closures, walks) and hand-written agree on {N} facts, traces alike; outcomes (review, block, allow, sales, renew, upsell): {counts:?}"
    );

    let small = &facts[..4096];
    let [handwritten_small, decide_small] = best_of(
        small.len(),
        [REPS * 16, REPS * 16],
        [
            &mut || {
                for f in small {
                    black_box(common::handwritten(black_box(f)));
                }
            },
            &mut || {
                for f in small {
                    let _: Result<&Verdict, _> = black_box(graph.decide(black_box(f), &cx));
                }
            },
        ],
    );
    println!(
        "handwritten, 4096 facts repeated   {handwritten_small:8.2} ns/decision (decide {decide_small:.2}; informational: branch predictor trained on the set)"
    );

    let mut trace = Vec::with_capacity(graph.depth());
    let mut builder_trace = Vec::with_capacity(builder.depth());
    let [
        handwritten,
        decide,
        closures,
        walk,
        evaluate_with,
        builder_evaluate_with,
        evaluate,
    ] = best_of(
        N,
        [REPS, REPS, REPS, REPS / 2, REPS / 4, REPS / 4, REPS / 4],
        [
            &mut || {
                for f in &facts {
                    black_box(common::handwritten(black_box(f)));
                }
            },
            &mut || {
                for f in &facts {
                    let _: Result<&Verdict, _> = black_box(graph.decide(black_box(f), &cx));
                }
            },
            &mut || {
                for f in &facts {
                    let _: Result<&Verdict, _> = black_box(builder.decide(black_box(f), &cx));
                }
            },
            &mut || {
                for f in &facts {
                    let _: Result<&Verdict, _> = black_box(graph.decide_walk(black_box(f), &cx));
                }
            },
            &mut || {
                for f in &facts {
                    if let Ok(d) =
                        graph.evaluate_with(black_box(f), &cx, std::mem::take(&mut trace))
                    {
                        black_box(d.outcome);
                        trace = d.trace;
                    }
                }
            },
            &mut || {
                for f in &facts {
                    if let Ok(d) =
                        builder.evaluate_with(black_box(f), &cx, std::mem::take(&mut builder_trace))
                    {
                        black_box(d.outcome);
                        builder_trace = d.trace;
                    }
                }
            },
            &mut || {
                for f in &facts {
                    let _ = black_box(graph.evaluate(black_box(f), &cx));
                }
            },
        ],
    );
    println!("handwritten                        {handwritten:8.2} ns/decision");
    println!("graph decide (generated)           {decide:8.2} ns/decision");
    println!(
        "graph decide (builder, closures)   {closures:8.2} ns/decision (ratio {:.2})",
        closures / handwritten
    );
    println!(
        "graph decide_walk (table walk)     {walk:8.2} ns/decision (ratio {:.2})",
        walk / handwritten
    );
    println!(
        "graph evaluate_with                {evaluate_with:8.2} ns/decision (trace buffer reused)"
    );
    println!(
        "graph evaluate_with (builder)      {builder_evaluate_with:8.2} ns/decision (traced closures, ratio {:.2})",
        builder_evaluate_with / handwritten
    );
    println!("graph evaluate                     {evaluate:8.2} ns/decision (allocates its trace)");
    println!(
        "traced_ratio evaluate_with={:.2} evaluate={:.2}",
        evaluate_with / handwritten,
        evaluate / handwritten
    );
    println!(
        "ns_per_decision graph={decide:.2} handwritten={handwritten:.2} ratio={:.2}",
        decide / handwritten
    );
}
