//! A value together with the instant until which it holds.

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
