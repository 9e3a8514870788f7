//! The typed decision-graph engine.
//!
//! A [`DecisionGraph`] is built from **questions** (nodes that ask something
//! of the facts and the [`Context`], and return an answer of a finite
//! [`Answer`] type), **outcomes** (the leaves) and one **edge per answer**
//! ([`QuestionBuilder::on`], or `yes`/`no` for a `bool` question).
//! [`GraphBuilder::build`] validates the whole structure (see [`GraphIssue`])
//! and compiles it into a flat form, so an invalid graph can never be
//! evaluated and evaluation is a tight loop.
//!
//! - [`DecisionGraph::decide`] returns the outcome alone and never allocates.
//! - [`decision_graph!`](crate::decision_graph) declares a graph once and
//!   generates both its builder calls and plain Rust functions of nested
//!   `match`es that `decide` and `evaluate` run (checked by `build()`
//!   against the graph, and property-tested against the table walk).
//! - [`DecisionGraph::evaluate`] returns a [`Decision`]: the outcome, the
//!   trace of every step, and `stable_until`, the earliest instant at which
//!   a time-aware question on the path would answer differently
//!   ([`GraphBuilder::timed_question`]: its answer and that instant come
//!   from one rule, so they cannot disagree).
//! - [`GraphBuilder::subgraph`] embeds a built graph (a sub-policy); the
//!   trace shows the step into it. [`GraphBuilder::subgraph_given`] embeds
//!   it specialised by answers already known, so no infeasible path remains.
//! - [`DecisionGraph::paths`] and [`DecisionGraph::coverage`] analyse the
//!   structure; [`DecisionGraph::to_mermaid`], [`DecisionGraph::to_dot`] and
//!   [`DecisionGraph::describe`] render it.
//!
//! # Example
//!
//! ```
//! use chrono::{DateTime, TimeZone, Utc};
//! use entitle_core::graph::{Context, GraphBuilder, Timed};
//!
//! struct Ticket { paid: bool, expires: DateTime<Utc> }
//! #[derive(Debug, PartialEq)]
//! enum Route { Renew, Wait, Sales }
//!
//! let mut g = GraphBuilder::<Ticket, Route>::new("renewal");
//! g.question("paid", "Is the customer on a paid plan?", |t: &Ticket, _| t.paid)
//!     .yes("expired")
//!     .no("sales");
//! // The answer, and the instant it changes: both from one rule.
//! g.timed_question("expired", "Has the license expired?", |t: &Ticket, cx, _want| {
//!     let expired = cx.now >= t.expires;
//!     Timed::new(expired, (!expired).then_some(t.expires))
//! })
//!     .detail(|t, _| format!("expires {}", t.expires))
//!     .yes("renew")
//!     .no("wait");
//! g.outcome("renew", "Renew the license", Route::Renew)
//!     .outcome("wait", "Nothing to do yet", Route::Wait)
//!     .outcome("sales", "Hand over to Sales", Route::Sales);
//! let graph = g.build()?;
//!
//! let expires = Utc.with_ymd_and_hms(2026, 11, 25, 0, 0, 0).unwrap();
//! let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
//! let ticket = Ticket { paid: true, expires };
//! let decision = graph.evaluate(&ticket, &Context::new(now, &()))?;
//!
//! assert_eq!(*decision.outcome, Route::Wait);
//! assert_eq!(decision.stable_until, Some(expires)); // becomes `renew` then
//! assert_eq!(decision.trace[1].answer, "no");
//! assert_eq!(graph.decide(&ticket, &Context::new(expires, &()))?, &Route::Renew);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod analysis;
mod answer;
mod builder;
mod closure_path;
mod compile;
mod compiled;
mod context;
mod decision;
mod embed;
mod error;
mod evaluate;
mod generated;
mod node;
mod render;
mod timed;
mod traced_path;
mod validate;

pub use analysis::{Coverage, EdgeName, Path, PathStep};
pub use answer::Answer;
pub use builder::{GraphBuilder, QuestionBuilder};
pub use compiled::DecisionGraph;
pub use context::Context;
pub use decision::{Decision, Step};
pub use embed::Given;
pub use error::{BuildError, EvalError, GraphIssue};
pub use generated::{GeneratedCode, GeneratedFn, GeneratedTraceFn};
pub use node::{EdgeInfo, NodeInfo, NodeKind};
pub use render::{EdgeDescription, GraphDescription, NodeDescription, PathTaken, TAKEN_COLOUR};
pub use timed::{LazyTimed, Timed, Until, Want};

/// What the code [`decision_graph!`](crate::decision_graph) generates calls;
/// not a stable API.
#[doc(hidden)]
pub mod __generated {
    pub use super::generated::{FAILED, ask, ask_timed, trace, trace_timed};
    pub use super::traced_path::Tracer;
}
