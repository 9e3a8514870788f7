//! A policy's actions: each declared once with the [`actions!`](crate::actions)
//! macro (id, what it is, what it needs, what it does to the ticket's
//! license), the [`PolicyAction`] trait it implements, and the [`Action`] a
//! decision carries, made from a declared action.

use std::fmt::Debug;

use serde::Serialize;

/// Something the people involved must do next, made from a declared
/// [`PolicyAction`] (`A::EmailLicense.saying(text)`).
///
/// Besides its id and text, an action says how it depends on the actions
/// listed before it, so an outbox can carry the page out in order: one that
/// [`needs`](Action::needs) an earlier action runs only once that one has
/// succeeded (and is cancelled if it fails for good); one that
/// [`reports`](Action::reports) on an earlier action runs once that one has
/// settled either way, and records how it went (the weekend page's
/// `[Success]` record, or an open one describing the failure). These links
/// are not part of the JSON form of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Action {
    /// Stable kebab-case id (`post-to-licensing-channel`).
    pub id: &'static str,
    /// What to do, in words a support engineer can follow.
    pub text: String,
    /// The id of an earlier action of the same decision that must succeed
    /// first.
    #[serde(skip)]
    pub needs: Option<&'static str>,
    /// The id of an earlier action of the same decision whose result, success
    /// or failure, this action records.
    #[serde(skip)]
    pub reports: Option<&'static str>,
    /// What carrying the action out does to the ticket's one license.
    #[serde(skip)]
    pub license: LicenseEffect,
    /// What a service sends when it carries the action out, written for
    /// its reader (the customer, the team's channel, the tracker); `text`
    /// stays the instruction a person follows. Not part of the JSON form
    /// of a decision: the outbox hands it to the sinks.
    #[serde(skip)]
    pub message: Option<Message>,
}

/// A message written for its reader: what a sink sends on an action's
/// behalf (a channel post, a record's title and description, an email, a
/// ticket opened for the customer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Message {
    /// The person it is for, when outside the team: the customer's email
    /// address (a ticket's requester, an email's recipient). `None` for the
    /// team's own channel or tracker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The subject line, or a record's title.
    pub subject: String,
    /// The message itself.
    pub body: String,
    /// Internal context for the team beside a message to the customer
    /// (a ticket's private note): never shown to `to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Message {
    /// A message with `subject` and `body`, for the team.
    pub fn new(subject: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            to: None,
            subject: subject.into(),
            body: body.into(),
            note: None,
        }
    }

    /// This message, for the person at email address `to`.
    #[must_use]
    pub fn to(mut self, to: impl Into<String>) -> Self {
        self.to = Some(to.into());
        self
    }

    /// This message with an internal `note` the reader never sees.
    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }
}

/// What an action does to the license of its ticket. A ticket gets at most
/// one license action, ever (spec 3.2a: never two licenses for one ticket).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LicenseEffect {
    /// The action creates no license.
    #[default]
    None,
    /// The action creates the ticket's license; if the ticket already has a
    /// license action, that one stands and no second is made.
    Create,
    /// The action re-runs the ticket's license action if it failed for good
    /// (and does nothing if it succeeded or is still under way); it never
    /// makes a second one.
    Regenerate,
}

impl Action {
    /// What a service sends when it carries this action out.
    #[must_use]
    pub fn message(mut self, message: Message) -> Self {
        self.message = Some(message);
        self
    }
}

/// A declared action, as [`actions!`](crate::actions) states it: the same
/// for every decision of its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ActionInfo {
    /// Stable kebab-case id (`post-to-licensing-channel`).
    pub id: &'static str,
    /// What the action is, in a line (a decision's [`Action::text`] says it
    /// for that decision).
    pub text: &'static str,
    /// The id of the action that must succeed first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<&'static str>,
    /// The id of the action whose result this one records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reports: Option<&'static str>,
    /// What carrying it out does to the ticket's one license.
    #[serde(skip)]
    pub license: LicenseEffect,
}

/// The action type of a policy: a field-less enum, each variant a declared
/// action. Declare one with [`actions!`](crate::actions); a policy without
/// actions uses [`NoActions`].
pub trait PolicyAction: Copy + Eq + Debug + Send + Sync + 'static {
    /// Every action as declared, in declaration order.
    const DECLARED: &'static [ActionInfo];

    /// This action as declared.
    fn info(self) -> &'static ActionInfo;

    /// The public id (`email-license`).
    fn id(self) -> &'static str {
        self.info().id
    }

    /// This action for a decision, in its declared words.
    fn action(self) -> Action {
        let info = self.info();
        self.saying(info.text)
    }

    /// This action for a decision, saying `text`: what to do, in words a
    /// support engineer can follow, for this decision.
    fn saying(self, text: impl Into<String>) -> Action {
        let info = self.info();
        Action {
            id: info.id,
            text: text.into(),
            needs: info.needs,
            reports: info.reports,
            license: info.license,
            message: None,
        }
    }
}

crate::actions! {
    /// The actions of a policy that asks for none.
    pub enum NoActions {}
}

/// Declares a policy's actions: a field-less enum, each variant with its
/// id, what it is, and in brackets how it depends on the others and what it
/// does to the ticket's license (`[needs: Variant]`, `[reports: Variant]`,
/// `[license: Create]` or `[license: Regenerate]`, in that order), and
/// implements [`PolicyAction`].
///
/// ```
/// entitle_core::actions! {
///     /// What a weekend emergency asks for.
///     pub enum Weekend {
///         /// Email the license.
///         EmailLicense => "email-license": "Generate the license and email it" [license: Create],
///         /// Tell the channel.
///         Post => "post-to-licensing-channel": "Post in the licensing channel" [needs: EmailLicense],
///     }
/// }
/// use entitle_core::policy::PolicyAction;
/// assert_eq!(Weekend::Post.action().needs, Some("email-license"));
/// ```
///
/// A link names a variant, so a misspelt one does not compile:
///
/// ```compile_fail
/// entitle_core::actions! {
///     pub enum Weekend {
///         EmailLicense => "email-license": "Generate the license and email it" [license: Create],
///         Post => "post-to-licensing-channel": "Post in the licensing channel" [needs: EmailLicence],
///     }
/// }
/// ```
#[macro_export]
macro_rules! actions {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident => $id:literal : $text:literal
                    $( [needs: $needs:ident] )?
                    $( [reports: $reports:ident] )?
                    $( [license: $license:ident] )?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),*
        }

        impl $name {
            /// This action as declared, in constant expressions (a policy
            /// combining pages lists their actions with it).
            pub const fn declared(self) -> $crate::policy::ActionInfo {
                match self {
                    $(Self::$variant => $crate::policy::ActionInfo {
                        id: $id,
                        text: $text,
                        needs: $crate::__action_link!($(Self::$needs)?),
                        reports: $crate::__action_link!($(Self::$reports)?),
                        license: $crate::__action_license!($($license)?),
                    }),*
                }
            }
        }

        impl $crate::policy::PolicyAction for $name {
            const DECLARED: &'static [$crate::policy::ActionInfo] =
                &[$(Self::$variant.declared()),*];

            fn info(self) -> &'static $crate::policy::ActionInfo {
                match self {
                    $(Self::$variant => {
                        const INFO: $crate::policy::ActionInfo = $name::$variant.declared();
                        &INFO
                    }),*
                }
            }
        }
    };
}

/// `Some(id)` of a linked action, `None` without a link.
#[macro_export]
#[doc(hidden)]
macro_rules! __action_link {
    () => {
        None
    };
    ($linked:expr) => {
        Some($linked.declared().id)
    };
}

/// The [`LicenseEffect`] an action declares (`None` by default).
#[macro_export]
#[doc(hidden)]
macro_rules! __action_license {
    () => {
        $crate::policy::LicenseEffect::None
    };
    ($effect:ident) => {
        $crate::policy::LicenseEffect::$effect
    };
}
