//! A value together with the instant until which it holds, computed eagerly
//! ([`Timed`]) or only when asked for ([`LazyTimed`]).

use chrono::{DateTime, Utc};

/// A value that holds from `now` until `until` (exclusive); `until: None`
/// means it never changes. Time rules return it, and
/// [`GraphBuilder::timed_question`](super::GraphBuilder::timed_question)
/// turns it into a question that reports when its answer changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timed<T> {
    /// The value at `now`.
    pub value: T,
    /// The earliest instant after `now` at which the value differs, if any.
    pub until: Option<DateTime<Utc>>,
}

impl<T> Timed<T> {
    /// A value that holds until `until`.
    pub fn new(value: T, until: Option<DateTime<Utc>>) -> Self {
        Self { value, until }
    }

    /// A value that never changes.
    pub fn forever(value: T) -> Self {
        Self { value, until: None }
    }

    /// The same change instant with the value mapped.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Timed<U> {
        Timed {
            value: f(self.value),
            until: self.until,
        }
    }
}

/// A value now, and the function that computes the instant it changes: one
/// time rule's result, where finding the change instant costs much more
/// than the value. `decide` only reads the value (the function is dropped
/// unrun); `evaluate` runs it once and reports it.
#[derive(Clone, Copy)]
pub struct LazyTimed<T, U> {
    value: T,
    until: U,
}

impl<T, U> std::fmt::Debug for LazyTimed<T, U>
where
    T: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyTimed")
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

impl<T: Copy, U: FnOnce() -> Option<DateTime<Utc>>> LazyTimed<T, U> {
    /// `value`, which holds until what `until` computes.
    #[inline(always)]
    pub fn new(value: T, until: U) -> Self {
        Self { value, until }
    }

    /// The value at `now`, without computing when it changes.
    #[inline(always)]
    pub fn value(&self) -> T {
        self.value
    }

    /// The value and its change instant.
    #[inline]
    pub fn timed(self) -> Timed<T> {
        Timed::new(self.value, (self.until)())
    }

    /// The value, and its change instant if `want` asks for it (else `None`,
    /// without computing it).
    #[inline(always)]
    pub fn get(self, want: Want) -> Timed<T> {
        match want {
            Want::Answer => Timed::new(self.value, None),
            Want::Until => self.timed(),
        }
    }

    /// The same change instant with the value mapped.
    #[inline(always)]
    pub fn map<V: Copy>(self, f: impl FnOnce(T) -> V) -> LazyTimed<V, U> {
        LazyTimed {
            value: f(self.value),
            until: self.until,
        }
    }
}

/// Whether a time-aware question is asked for its answer alone (what
/// `decide` needs) or also for the instant that answer changes (what
/// `evaluate` needs). See
/// [`GraphBuilder::timed_question`](super::GraphBuilder::timed_question).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Want {
    /// The answer alone; the [`Timed::until`] returned is not computed (`None`).
    Answer,
    /// The answer and its exact change instant.
    Until,
}

/// The function a [`LazyTimed`] runs to find its change instant: the
/// earliest instant after `now` at which the value differs, or `None`.
pub trait Until: FnOnce() -> Option<DateTime<Utc>> {}

impl<U: FnOnce() -> Option<DateTime<Utc>>> Until for U {}
