//! A policy's outcomes: the [`Outcome`] trait and the `outcomes!` macro that
//! declares each outcome once, with its id and text.

use std::fmt::Debug;

/// The outcome type of a policy: a field-less enum whose variants have public
/// kebab-case ids. Declare one with [`outcomes!`](crate::outcomes).
pub trait Outcome: Copy + Eq + Debug + Send + Sync + 'static {
    /// Every outcome, in declaration order.
    const ALL: &'static [Self];
    /// The public id (`generate-temporary-license`).
    fn id(self) -> &'static str;
    /// What the outcome says to do, as its graph node shows it.
    fn text(self) -> &'static str;
}

impl<F: 'static, O: Outcome, C: 'static> crate::graph::GraphBuilder<F, O, C> {
    /// Adds one outcome leaf per outcome, in declaration order, each with
    /// its id and text.
    pub fn outcomes(&mut self) -> &mut Self {
        for &outcome in O::ALL {
            self.outcome(outcome.id(), outcome.text(), outcome);
        }
        self
    }
}

/// Declares a field-less outcome enum, each variant with its id and text
/// (`Variant => "id": "text"`), implements [`Outcome`] and serialises each
/// variant as its id.
#[macro_export]
macro_rules! outcomes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $id:literal : $text:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $crate::policy::Outcome for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn id(self) -> &'static str {
                match self {
                    $(Self::$variant => $id),+
                }
            }

            fn text(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($crate::policy::Outcome::id(*self))
            }
        }
    };
}
