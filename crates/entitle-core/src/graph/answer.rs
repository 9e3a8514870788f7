//! Finite answer types: what a question node may return.

use std::fmt::Debug;

/// The finite set of answers a question can give.
///
/// The engine needs to list every answer (to check that each has exactly one
/// edge) and to map an answer to a dense index (to walk the compiled graph
/// without any lookup by name). `bool` implements it with the labels `yes`
/// and `no`; enums get it from the [`answers!`](crate::answers) macro.
///
/// Contract, checked by [`GraphBuilder::build`](crate::graph::GraphBuilder::build):
/// `ALL[i].index() == i` for every `i`, and labels are unique and non-empty.
pub trait Answer: Copy + Eq + Debug + Send + Sync + 'static {
    /// Every answer, in the order edges are listed and rendered.
    const ALL: &'static [Self];
    /// Position of this answer in [`Answer::ALL`].
    fn index(self) -> usize;
    /// Short label shown on edges and in traces (`yes`, `prospect`, ...).
    fn label(self) -> &'static str;
}

impl Answer for bool {
    const ALL: &'static [Self] = &[true, false];

    fn index(self) -> usize {
        usize::from(!self)
    }

    fn label(self) -> &'static str {
        if self { "yes" } else { "no" }
    }
}

/// Declares a field-less enum and implements [`Answer`] for it.
///
/// Each variant is given the label it shows on edges and in traces. Extra
/// attributes (docs, `derive(Serialize)`, `serde(...)`) pass through.
///
/// ```
/// entitle_core::answers! {
///     /// How the customer pays.
///     pub enum Billing {
///         /// Paid plan.
///         Paid => "paid",
///         /// No payment yet.
///         Unpaid => "unpaid",
///     }
/// }
/// use entitle_core::graph::Answer;
/// assert_eq!(Billing::Unpaid.label(), "unpaid");
/// assert_eq!(Billing::ALL.len(), 2);
/// ```
#[macro_export]
macro_rules! answers {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $label:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $crate::graph::Answer for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn index(self) -> usize {
                self as usize
            }

            fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label),+
                }
            }
        }
    };
}
