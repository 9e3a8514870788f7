//! Evaluation with an explanation: [`DecisionGraph::evaluate`] runs the
//! traced closures (or walks the compiled table), asking each time-aware
//! question once for its answer and change instant, and records the trace
//! and `stable_until`.

use super::compile::to_u32;
use super::compiled::Flat;
use super::traced_path::Tracer;
use super::{Context, Decision, DecisionGraph, EvalError, Step};

impl<F, O, C> DecisionGraph<F, O, C> {
    /// Decides with a full explanation: the outcome, `stable_until` and the
    /// trace of every step.
    pub fn evaluate(&self, facts: &F, cx: &Context<'_, C>) -> Result<Decision<'_, O>, EvalError> {
        self.evaluate_with(facts, cx, Vec::with_capacity(self.depth))
    }

    /// As [`evaluate`](Self::evaluate), writing the trace into `trace`
    /// (cleared first). Passing back the trace of an earlier decision reuses
    /// its memory, so a loop of traced decisions allocates only for details.
    ///
    /// Runs the traced closures built at `build()` (one per node, which ask
    /// their question once for its answer and change instant, record the
    /// step, and call the closure the answer leads to; module
    /// `traced_path`), and falls back to
    /// [`evaluate_walk`](Self::evaluate_walk) for graphs too deep for them
    /// and to report a broken [`Answer`](super::Answer) implementation.
    pub fn evaluate_with<'g>(
        &'g self,
        facts: &F,
        cx: &Context<'_, C>,
        mut trace: Vec<Step<'g>>,
    ) -> Result<Decision<'g, O>, EvalError> {
        let mut tracer = Tracer::new(&self.flat, &mut trace, self.depth);
        let outcome = match self.generated_trace {
            Some(trace) => trace(facts, cx, &mut tracer),
            None => self.traced.run(facts, cx, &mut tracer),
        } as usize;
        let stable_until = tracer.stable_until;
        let leaf = self
            .outcome_nodes
            .get(outcome)
            .and_then(|&node| self.flat.get(node as usize));
        match (self.outcomes.get(outcome), leaf) {
            (Some(outcome), Some(Flat::Leaf { text, .. })) => Ok(Decision {
                outcome,
                outcome_node: &text.id,
                outcome_text: &text.text,
                stable_until,
                trace,
            }),
            _ => self.evaluate_cold(facts, cx, trace),
        }
    }

    #[cold]
    #[inline(never)]
    fn evaluate_cold<'g>(
        &'g self,
        facts: &F,
        cx: &Context<'_, C>,
        trace: Vec<Step<'g>>,
    ) -> Result<Decision<'g, O>, EvalError> {
        self.evaluate_walk(facts, cx, trace)
    }

    /// As [`evaluate_with`](Self::evaluate_with), by walking the compiled
    /// table: one question after another, each answer indexing the next.
    /// Same decision, trace, details and `stable_until` (property-tested);
    /// kept as its reference and for graphs too deep for the traced
    /// closures.
    pub fn evaluate_walk<'g>(
        &'g self,
        facts: &F,
        cx: &Context<'_, C>,
        mut trace: Vec<Step<'g>>,
    ) -> Result<Decision<'g, O>, EvalError> {
        // The path is the walk's own; the steps are recorded as the traced
        // closures record them.
        let mut tracer = Tracer::new(&self.flat, &mut trace, self.depth);
        let mut at = self.root.index();
        let (outcome, leaf) = loop {
            match self.flat.get(at) {
                Some(Flat::Ask {
                    fns, first, count, ..
                }) => {
                    // A time-aware question is asked once, for both.
                    let (answer, changes_at) = match &fns.timed {
                        Some(timed) => timed(facts, cx),
                        None => ((fns.ask)(facts, cx), None),
                    };
                    let next = self.next(at, answer, *first, *count)?;
                    tracer.question(to_u32(at), answer, changes_at, facts, cx);
                    at = next;
                }
                Some(Flat::Enter { next, .. }) => {
                    tracer.enter(to_u32(at));
                    at = *next as usize;
                }
                Some(Flat::Leaf { outcome, text }) => {
                    let outcome = self
                        .outcomes
                        .get(*outcome as usize)
                        .ok_or_else(|| self.corrupt(at, 0, 0))?;
                    break (outcome, text);
                }
                None => return Err(self.corrupt(at, 0, 0)),
            }
        };
        let stable_until = tracer.stable_until;
        Ok(Decision {
            outcome,
            outcome_node: &leaf.id,
            outcome_text: &leaf.text,
            stable_until,
            trace,
        })
    }
}
