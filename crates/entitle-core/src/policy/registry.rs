//! The `registry!` macro: one line per policy generates the list of
//! policies, the lookups by id and the scenario files.

/// Declares the registry: one line per policy, `module => Type`, with
/// `: stored` when the policy implements
/// [`StoredFacts`](crate::fact_source::StoredFacts).
#[macro_export]
#[doc(hidden)]
macro_rules! registry {
    ( $( $module:ident => $ty:ident $( : $stored:ident )? ),+ $(,)? ) => {
        $( mod $module; pub use $module::*; )+

        $(
            impl $crate::policy::Registered for $ty {
                fn graph() -> Result<
                    &'static $crate::policy::PolicyGraph<
                        <$ty as $crate::policy::Policy>::Facts,
                        <$ty as $crate::policy::Policy>::Outcome,
                    >,
                    $crate::policy::PolicyError,
                > {
                    static GRAPH: ::std::sync::LazyLock<
                        Result<
                            $crate::policy::PolicyGraph<
                                <$ty as $crate::policy::Policy>::Facts,
                                <$ty as $crate::policy::Policy>::Outcome,
                            >,
                            $crate::graph::BuildError,
                        >,
                    > = ::std::sync::LazyLock::new(<$ty as $crate::policy::Policy>::build);
                    GRAPH.as_ref().map_err(|error| $crate::policy::PolicyError::Graph {
                        policy: <$ty as $crate::policy::Policy>::ID,
                        error: error.clone(),
                    })
                }
            }
        )+

        /// Every registered policy, in registry order.
        pub const POLICIES: &[$crate::policy::PolicyInfo] = &[
            $( $crate::policy::PolicyInfo {
                id: <$ty as $crate::policy::Policy>::ID,
                summary: <$ty as $crate::policy::Policy>::SUMMARY,
                version: <$ty as $crate::policy::Policy>::VERSION,
                role_sensitive: <$ty as $crate::policy::Policy>::ROLE_SENSITIVE,
                actions: <<$ty as $crate::policy::Policy>::Action as $crate::policy::PolicyAction>::DECLARED,
            } ),+
        ];

        /// Every registered policy's scenario file: `(policy id, TOML text)`,
        /// in registry order.
        pub const SCENARIO_FILES: &[(&str, &str)] = &[
            $( (
                <$ty as $crate::policy::Policy>::ID,
                <$ty as $crate::policy::Policy>::SCENARIOS,
            ) ),+
        ];

        /// Calls `visitor` with the policy whose id is `id`.
        pub fn visit<V: $crate::policy::PolicyVisitor>(
            id: &str,
            visitor: V,
        ) -> Result<V::Output, $crate::policy::PolicyError> {
            $(
                if id == <$ty as $crate::policy::Policy>::ID {
                    return Ok(visitor.visit::<$ty>());
                }
            )+
            Err($crate::policy::PolicyError::UnknownPolicy(id.to_owned()))
        }

        /// Calls `visitor` with the policy `id` if its facts can be
        /// assembled from records (its registry line says `: stored`);
        /// `None` if they cannot (or no policy has that id).
        pub fn visit_stored<V: $crate::fact_source::StoredFactsVisitor>(
            id: &str,
            visitor: V,
        ) -> Option<V::Output> {
            $( $( $crate::registry!(@stored $stored, $ty, id, visitor); )? )+
            None
        }
    };
    (@stored stored, $ty:ident, $id:ident, $visitor:ident) => {
        if $id == <$ty as $crate::policy::Policy>::ID {
            return Some($visitor.visit::<$ty>());
        }
    };
}
