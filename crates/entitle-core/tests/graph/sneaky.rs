//! An answer type whose `ALL` omits a value its questions can still
//! return: it passes the build-time contract check and breaks it at run
//! time (the builder's and the generated code's tests of that error).

/// Two listed answers, and `Unlisted`, which `ALL` leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sneaky {
    Listed,
    AlsoListed,
    Unlisted,
}

impl entitle_core::graph::Answer for Sneaky {
    const ALL: &'static [Self] = &[Sneaky::Listed, Sneaky::AlsoListed];
    fn index(self) -> usize {
        self as usize
    }
    fn label(self) -> &'static str {
        match self {
            Sneaky::Listed => "listed",
            Sneaky::AlsoListed => "also-listed",
            Sneaky::Unlisted => "unlisted",
        }
    }
}
