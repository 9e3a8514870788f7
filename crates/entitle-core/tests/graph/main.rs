//! The decision-graph engine, apart from any policy: building and
//! validation, embedded graphs, timed questions and `stable_until`, property
//! tests over random graphs, and the allocation-free fast path. (Renderings
//! are pinned by snapshots in `graph_render.rs`.)

mod generated;
mod given;
mod no_alloc;
mod policies_traced;
mod props;
mod time;
mod validation;
