//! Per-graph generated code: the [`decision_graph!`](crate::decision_graph)
//! macro declares a graph once and expands to both the builder calls (so
//! validation, rendering, the content of `evaluate`'s trace and details,
//! and `stable_until` are exactly those of a builder graph) and two plain
//! Rust functions of nested `match`es over the same question closures:
//! one [`DecisionGraph::decide`](super::DecisionGraph::decide) runs, and a
//! traced one [`DecisionGraph::evaluate`](super::DecisionGraph::evaluate)
//! runs, which records each step from the graph's own node (its id, text,
//! labels and detail) as the traced closures do.
//!
//! [`GraphBuilder::build`](super::GraphBuilder::build) checks the structure
//! the functions were generated from ([`GeneratedCode`]) against the graph
//! it validated: the node order, the root, every edge, and the order of the
//! outcomes.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::traced_path::Tracer;
use super::{Answer, Context, GraphIssue, Timed, Want};

/// The function [`decision_graph!`](crate::decision_graph) generates: it
/// decides from the root and returns the index of the outcome reached (in
/// the order the outcomes are declared), or `u32::MAX` if a question gave
/// an answer outside its [`Answer::ALL`].
pub type GeneratedFn<F, C> = fn(&F, &Context<'_, C>) -> u32;

/// The traced function [`decision_graph!`](crate::decision_graph)
/// generates: as [`GeneratedFn`], asking each question once for its answer
/// and change instant and recording its step with the
/// [`Tracer`](super::__generated::Tracer) `evaluate` hands it.
pub type GeneratedTraceFn<F, C> =
    for<'r, 'g> fn(&F, &Context<'_, C>, &mut Tracer<'r, 'g, F, C>) -> u32;

/// A generated decision function with the structure it was generated from,
/// handed to [`GraphBuilder::generated`](super::GraphBuilder::generated).
///
/// Written by [`decision_graph!`](crate::decision_graph); `build()` refuses
/// it ([`GraphIssue::GeneratedMismatch`]) unless its root, its edges and
/// its outcomes are exactly the graph's.
pub struct GeneratedCode<F, C> {
    pub(crate) decide: GeneratedFn<F, C>,
    pub(crate) trace: GeneratedTraceFn<F, C>,
    nodes: Vec<&'static str>,
    root: &'static str,
    outcomes: Vec<&'static str>,
    edges: Vec<(&'static str, usize, &'static str)>,
}

impl<F, C> GeneratedCode<F, C> {
    /// `decide` and `trace` were generated from a graph whose nodes are
    /// `nodes` (ids, in the order of the node indices `trace` records),
    /// whose root is `root`, whose outcomes are `outcomes` (ids, in the
    /// order of the indices both return) and whose edges are `edges`
    /// (`(from, answer index, to)`).
    pub fn new(
        decide: GeneratedFn<F, C>,
        trace: GeneratedTraceFn<F, C>,
        nodes: Vec<&'static str>,
        root: &'static str,
        outcomes: Vec<&'static str>,
        edges: Vec<(&'static str, usize, &'static str)>,
    ) -> Self {
        Self {
            decide,
            trace,
            nodes,
            root,
            outcomes,
            edges,
        }
    }

    /// Compares the declared structure with the validated graph's.
    pub(crate) fn check<O>(&self, graph: &super::DecisionGraph<F, O, C>) -> Option<GraphIssue> {
        let mismatch = |what: String| Some(GraphIssue::GeneratedMismatch { what });
        let petgraph = graph.petgraph();
        let ids: Vec<&str> = petgraph.node_weights().map(|n| n.id.as_str()).collect();
        if ids != self.nodes {
            return mismatch(format!(
                "its nodes are {:?}, the graph's are {ids:?}",
                self.nodes
            ));
        }
        if graph.root_id() != self.root {
            return mismatch(format!(
                "its root is `{}`, the graph's is `{}`",
                self.root,
                graph.root_id()
            ));
        }
        let outcomes: Vec<&str> = graph.outcomes().map(|(id, _)| id).collect();
        if outcomes != self.outcomes {
            return mismatch(format!(
                "its outcomes are {:?}, the graph's are {outcomes:?}",
                self.outcomes
            ));
        }
        let actual: BTreeSet<(&str, usize, &str)> = petgraph
            .edge_indices()
            .filter_map(|e| {
                let (from, to) = petgraph.edge_endpoints(e)?;
                let answer = petgraph.edge_weight(e)?.answer_index;
                Some((
                    petgraph.node_weight(from)?.id.as_str(),
                    answer,
                    petgraph.node_weight(to)?.id.as_str(),
                ))
            })
            .collect();
        let declared: BTreeSet<(&str, usize, &str)> = self.edges.iter().copied().collect();
        if let Some((from, answer, to)) = actual.difference(&declared).next() {
            return mismatch(format!(
                "the graph's edge `{from}` -[{answer}]-> `{to}` is not in it"
            ));
        }
        if let Some((from, answer, to)) = declared.difference(&actual).next() {
            return mismatch(format!(
                "its edge `{from}` -[{answer}]-> `{to}` is not in the graph"
            ));
        }
        None
    }
}

/// Returned by generated code when an answer has no edge.
#[doc(hidden)]
pub const FAILED: u32 = u32::MAX;

/// Asks a plain question from generated code (inlined; the closure's
/// parameter types are inferred from this signature, as in
/// [`GraphBuilder::question`](super::GraphBuilder::question)).
#[doc(hidden)]
#[inline(always)]
pub fn ask<F, C, A, Q>(ask: Q, facts: &F, cx: &Context<'_, C>) -> A
where
    A: Answer,
    Q: Fn(&F, &Context<'_, C>) -> A,
{
    ask(facts, cx)
}

/// Asks a time-aware question for its answer alone from generated code, as
/// `decide` does on the closure path.
#[doc(hidden)]
#[inline(always)]
pub fn ask_timed<F, C, A, Q>(ask: Q, facts: &F, cx: &Context<'_, C>) -> A
where
    A: Answer,
    Q: Fn(&F, &Context<'_, C>, Want) -> Timed<A>,
{
    ask(facts, cx, Want::Answer).value
}

/// Asks a plain question from generated traced code: its answer, which
/// holds forever.
#[doc(hidden)]
#[inline(always)]
pub fn trace<F, C, A, Q>(ask: Q, facts: &F, cx: &Context<'_, C>) -> (A, Option<DateTime<Utc>>)
where
    A: Answer,
    Q: Fn(&F, &Context<'_, C>) -> A,
{
    (ask(facts, cx), None)
}

/// Asks a time-aware question from generated traced code, once for its
/// answer and change instant, as `evaluate` does on the traced closures.
#[doc(hidden)]
#[inline(always)]
pub fn trace_timed<F, C, A, Q>(ask: Q, facts: &F, cx: &Context<'_, C>) -> (A, Option<DateTime<Utc>>)
where
    A: Answer,
    Q: Fn(&F, &Context<'_, C>, Want) -> Timed<A>,
{
    let answer = ask(facts, cx, Want::Until);
    (answer.value, answer.until)
}

/// Declares a decision graph once and generates, from the same declaration,
/// its builder calls and the plain Rust functions `decide` and `evaluate`
/// run.
///
/// The macro evaluates to `Result<DecisionGraph<F, O, C>, BuildError>`: the
/// graph [`GraphBuilder`](crate::graph::GraphBuilder) builds from the same
/// questions, details, edges and outcomes (so `build()` validates it, and
/// the trace's content, details, `stable_until` and every rendering are
/// those of the builder graph), plus two functions of nested `match`es
/// that call each question's closure inline.
/// [`DecisionGraph::decide`](crate::graph::DecisionGraph::decide) runs the
/// first: one call per decision instead of one per question.
/// [`DecisionGraph::evaluate`](crate::graph::DecisionGraph::evaluate) runs
/// the second, which asks each question once for its answer and change
/// instant and records its step. `build()` checks that the functions'
/// structure (nodes, root, edges, outcomes) is the graph's; the property
/// tests check that they decide and trace as the table walks
/// ([`decide_walk`](crate::graph::DecisionGraph::decide_walk),
/// [`evaluate_walk`](crate::graph::DecisionGraph::evaluate_walk)) do.
///
/// - Each question is `name "id": question(text, closure)` or
///   `name "id": timed_question(text, closure)` (as the builder methods of
///   the same names), optionally followed by `.detail(..)` and/or
///   `.detail_with(..)`, then its edges `{ answer => target, .. }`, where
///   `answer` is a path (`true`, `false`, `Tier::Pro`) and `target` the
///   name of a question or an outcome. The first question is the root.
/// - Each outcome is `name "id": text => value`.
/// - `config: C,` is optional (default `()`).
///
/// Limits, all reported at compile time: question closures may not capture
/// local variables (they are also compiled into a function item; read
/// parameters from the configuration instead), the facts and configuration
/// types must be concrete (no generic parameters of an enclosing function),
/// and an unknown target name does not compile:
///
/// ```compile_fail
/// let limit = 3u8; // a local: read it from the configuration instead
/// let graph = entitle_core::decision_graph! {
///     name: "g",
///     facts: u8,
///     outcome: u8,
///     questions {
///         big "big": question("Big?", move |f: &u8, _| *f > limit) { true => a, false => b }
///     }
///     outcomes { a "a": "A" => 0, b "b": "B" => 1 }
/// };
/// ```
///
/// ```compile_fail
/// let graph = entitle_core::decision_graph! {
///     name: "g",
///     facts: u8,
///     outcome: u8,
///     questions {
///         big "big": question("Big?", |f: &u8, _| *f > 3) { true => a, false => nowhere }
///     }
///     outcomes { a "a": "A" => 0, b "b": "B" => 1 }
/// };
/// ```
///
/// Embedded graphs
/// ([`GraphBuilder::subgraph`](crate::graph::GraphBuilder::subgraph)) are
/// builder-only.
///
/// ```
/// use chrono::{DateTime, TimeZone, Utc};
/// use entitle_core::graph::{Context, Timed};
///
/// struct Ticket { paid: bool, expires: DateTime<Utc> }
/// #[derive(Debug, PartialEq)]
/// enum Route { Renew, Wait, Sales }
///
/// let graph = entitle_core::decision_graph! {
///     name: "renewal",
///     facts: Ticket,
///     outcome: Route,
///     questions {
///         paid "paid": question("Is the customer on a paid plan?", |t: &Ticket, _| t.paid) {
///             true => expired,
///             false => sales,
///         }
///         expired "expired": timed_question("Has the license expired?", |t: &Ticket, cx, _want| {
///             let expired = cx.now >= t.expires;
///             Timed::new(expired, (!expired).then_some(t.expires))
///         })
///         .detail(|t, _| format!("expires {}", t.expires))
///         {
///             true => renew,
///             false => wait,
///         }
///     }
///     outcomes {
///         renew "renew": "Renew the license" => Route::Renew,
///         wait "wait": "Nothing to do yet" => Route::Wait,
///         sales "sales": "Hand over to Sales" => Route::Sales,
///     }
/// }?;
///
/// let expires = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
/// let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
/// let ticket = Ticket { paid: true, expires };
/// let cx = Context::new(now, &());
/// assert_eq!(graph.decide(&ticket, &cx)?, &Route::Wait); // the generated function
/// assert_eq!(graph.decide_walk(&ticket, &cx)?, &Route::Wait); // the table walk
/// let decision = graph.evaluate(&ticket, &cx)?;
/// assert_eq!(decision.stable_until, Some(expires));
/// assert_eq!(decision.trace[1].detail.as_deref(), Some("expires 2026-11-25 00:00:00 UTC"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[macro_export]
macro_rules! decision_graph {
    (@config) => { () };
    (@config $config:ty) => { $config };
    (@ask question, $ask:expr, $facts:ident, $cx:ident) => {
        $crate::graph::__generated::ask($ask, $facts, $cx)
    };
    (@ask timed_question, $ask:expr, $facts:ident, $cx:ident) => {
        $crate::graph::__generated::ask_timed($ask, $facts, $cx)
    };
    (@trace question, $ask:expr, $facts:ident, $cx:ident) => {
        $crate::graph::__generated::trace($ask, $facts, $cx)
    };
    (@trace timed_question, $ask:expr, $facts:ident, $cx:ident) => {
        $crate::graph::__generated::trace_timed($ask, $facts, $cx)
    };
    (@ask $other:ident, $ask:expr, $facts:ident, $cx:ident) => {
        ::core::compile_error!(::core::concat!(
            "decision_graph!: a question is `question(..)` or `timed_question(..)`, not `",
            ::core::stringify!($other),
            "(..)`"
        ))
    };
    (@root $nodes:ident ($($args:ident),*) $first:ident $($rest:ident)*) => {
        $nodes::$first($($args),*)
    };
    (@root_id $first:literal $($rest:literal)*) => {
        $first
    };
    (
        name: $name:expr,
        facts: $facts:ty,
        outcome: $outcome:ty,
        $( config: $config:ty, )?
        questions {
            $(
                $q:ident $qid:literal : $kind:ident ( $text:expr , $ask:expr $(,)? )
                $( .detail( $detail:expr ) )?
                $( .detail_with( $detail_with:expr ) )?
                {
                    $( $($a:ident)::+ => $to:ident ),+ $(,)?
                }
            )+
        }
        outcomes {
            $( $o:ident $oid:literal : $otext:expr => $value:expr ),+ $(,)?
        }
    ) => {{
        type __Config = $crate::decision_graph!(@config $($config)?);

        /// Every node, by the name the declaration gives it.
        #[allow(non_camel_case_types, dead_code, reason = "variants are the declaration's node names; the root is no edge's target")]
        #[derive(Clone, Copy)]
        enum __Node { $( $q, )+ $( $o, )+ }

        impl __Node {
            fn id(self) -> &'static str {
                match self {
                    $( Self::$q => $qid, )+
                    $( Self::$o => $oid, )+
                }
            }
        }

        /// The outcomes, in declaration order: the indices the generated
        /// function returns.
        #[allow(non_camel_case_types, reason = "variants are the declaration's node names")]
        #[derive(Clone, Copy)]
        enum __Outcome { $( $o, )+ }

        /// One function per node; the questions' match on their answers.
        struct __Nodes;

        #[allow(non_snake_case, reason = "functions are the declaration's node names")]
        impl __Nodes {
            $(
                // Not `inline(always)`: a node shared by many paths would
                // be copied into each; the inliner weighs that.
                #[inline]
                fn $q(facts: &$facts, cx: &$crate::graph::Context<'_, __Config>) -> u32 {
                    #[allow(unreachable_patterns, reason = "an answer outside `Answer::ALL` reports an error through the table walk")]
                    match $crate::decision_graph!(@ask $kind, $ask, facts, cx) {
                        $( $($a)::+ => __Nodes::$to(facts, cx), )+
                        _ => $crate::graph::__generated::FAILED,
                    }
                }
            )+
            $(
                #[inline(always)]
                fn $o(_: &$facts, _: &$crate::graph::Context<'_, __Config>) -> u32 {
                    __Outcome::$o as u32
                }
            )+
        }

        fn __decide(facts: &$facts, cx: &$crate::graph::Context<'_, __Config>) -> u32 {
            $crate::decision_graph!(@root __Nodes (facts, cx) $($q)+)
        }

        /// The same functions, traced: each question is asked once for its
        /// answer and change instant and records its step.
        struct __Traced;

        #[allow(non_snake_case, reason = "functions are the declaration's node names")]
        impl __Traced {
            $(
                #[inline]
                fn $q(
                    facts: &$facts,
                    cx: &$crate::graph::Context<'_, __Config>,
                    tracer: &mut $crate::graph::__generated::Tracer<'_, '_, $facts, __Config>,
                ) -> u32 {
                    let (answer, until) = $crate::decision_graph!(@trace $kind, $ask, facts, cx);
                    tracer.question(
                        __Node::$q as u32,
                        $crate::graph::Answer::index(answer),
                        until,
                        facts,
                        cx,
                    );
                    #[allow(unreachable_patterns, reason = "an answer outside `Answer::ALL` reports an error through the table walk")]
                    match answer {
                        $( $($a)::+ => __Traced::$to(facts, cx, tracer), )+
                        _ => $crate::graph::__generated::FAILED,
                    }
                }
            )+
            $(
                #[inline(always)]
                fn $o(
                    _: &$facts,
                    _: &$crate::graph::Context<'_, __Config>,
                    _: &mut $crate::graph::__generated::Tracer<'_, '_, $facts, __Config>,
                ) -> u32 {
                    __Outcome::$o as u32
                }
            )+
        }

        fn __trace(
            facts: &$facts,
            cx: &$crate::graph::Context<'_, __Config>,
            tracer: &mut $crate::graph::__generated::Tracer<'_, '_, $facts, __Config>,
        ) -> u32 {
            $crate::decision_graph!(@root __Traced (facts, cx, tracer) $($q)+)
        }

        let mut builder = $crate::graph::GraphBuilder::<$facts, $outcome, __Config>::new($name);
        $(
            builder
                .$kind($qid, $text, $ask)
                $( .detail($detail) )?
                $( .detail_with($detail_with) )?
                $( .on($($a)::+, __Node::$to.id()) )+;
        )+
        $( builder.outcome($oid, $otext, $value); )+
        builder.generated($crate::graph::GeneratedCode::new(
            __decide,
            __trace,
            ::std::vec![ $( $qid, )+ $( $oid, )+ ],
            $crate::decision_graph!(@root_id $($qid)+),
            ::std::vec![ $( $oid ),+ ],
            ::std::vec![ $( $( (
                $qid,
                $crate::graph::Answer::index($($a)::+),
                __Node::$to.id(),
            ), )+ )+ ],
        ));
        builder.build()
    }};
}
