//! The policies suite: every check here runs over every registered policy
//! (the registry's `POLICIES`, `visit` and scenario files), so a policy added
//! in one file and one registry line is tested without touching this suite
//! (`docs/adding-a-policy.md`).
//!
//! - [`scenarios`]: every scenario of the built-in corpus through `decide`,
//!   the reference table walk, `evaluate` and the JSON boundary, all agreeing
//!   with its expectation; every edge and outcome taken by some scenario.
//! - [`fast_paths`]: the fast paths agree with the reference paths over
//!   random facts, instants and time zones (`stable_until` honest included).
//! - [`no_alloc`]: deciding on the fast path does not allocate.
//! - [`templates`]: a scenario rewritten as template and patch runs the same.

mod fast_paths;
mod no_alloc;
mod scenarios;
mod templates;
