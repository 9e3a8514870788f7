//! The record kinds of the store, declared once.
//!
//! [`record_kinds!`] takes one line per kind, parents before children (the
//! order records are checked, written and counted in), and generates from it
//! the batch ([`Records`]), its counts ([`RecordCounts`]), the import kinds
//! ([`ImportKind`]) and every loop over the kinds: checking, counting,
//! appending, finding references and duplicates, reading a CSV file of one
//! kind and writing the batch. What differs between kinds (their fields'
//! checks, their keys, their SQL) is the [`RecordRow`] impl of each input
//! type, next to it in `records/rows.rs`.

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

use crate::records::{
    AccountInput, AccountSubscriptionInput, CustomerInput, LicenseInput, NamespaceInput,
    SeatLinkInput, SubscriptionInput, TicketInput, TrialInput,
};

/// What one record kind's input type says about its rows.
pub(crate) trait RecordRow {
    /// Whether the kind has an `id` column other records refer to.
    const KEYED: bool;
    /// Checks the fields serde cannot, calling `check(field, result)` for
    /// each, in field order.
    fn check(&self, check: &mut dyn FnMut(&'static str, Result<(), String>));
    /// What makes two rows of a batch the same record (`S-1 on 2026-11-01`).
    fn batch_key(&self) -> String;
    /// The record as a database error names it (`S-1 2026-11-01`).
    fn store_id(&self) -> String;
    /// The `id`, for a keyed kind.
    fn record_id(&self) -> Option<&str>;
    /// The records this one refers to: `(field, entity, id)`, in field order.
    fn references(&self) -> Vec<(&'static str, &'static str, &str)>;
    /// The upsert of this row.
    fn upsert(&self) -> Query<'_, Any, AnyArguments<'_>>;
}

/// A reference from one record of a batch to another: (kind, index, field,
/// target entity, target id).
pub(crate) type Reference<'a> = (ImportKind, usize, &'static str, &'static str, &'a str);

macro_rules! record_kinds {
    ($(
        $(#[$doc:meta])*
        $variant:ident => $field:ident: $input:ty,
            id $id:literal, label $label:literal, entity $entity:literal, table $table:literal;
    )+) => {
        /// A batch of records to store, one array per entity. Its JSON form is
        /// the `entitle import` file format; every array is optional.
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Records {
            $( $(#[$doc])* #[serde(default)] pub $field: Vec<$input>, )+
        }

        /// How many records of each kind were written.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
        pub struct RecordCounts {
            $( $(#[$doc])* pub $field: usize, )+
        }

        /// One entity kind of the import formats.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum ImportKind {
            $( #[doc = concat!("`", $id, "`")] $variant, )+
        }

        impl ImportKind {
            /// Every kind, parents before children.
            pub const ALL: &'static [ImportKind] = &[$(ImportKind::$variant),+];

            /// The kind's id on the command line (`seat-link-reports`).
            pub fn id(self) -> &'static str {
                match self { $(ImportKind::$variant => $id),+ }
            }

            /// The kind's key in the JSON object form (`seat_link_reports`).
            pub fn key(self) -> &'static str {
                match self { $(ImportKind::$variant => stringify!($field)),+ }
            }

            /// The kind in words, plural (`seat link reports`).
            pub fn label(self) -> &'static str {
                match self { $(ImportKind::$variant => $label),+ }
            }
        }

        impl RecordCounts {
            /// All records written.
            pub fn total(&self) -> usize {
                0 $(+ self.$field)+
            }

            /// The count of one kind.
            pub fn get(&self, kind: ImportKind) -> usize {
                match kind { $(ImportKind::$variant => self.$field),+ }
            }
        }

        impl Records {
            /// The number of records in the batch.
            pub fn len(&self) -> usize {
                0 $(+ self.$field.len())+
            }

            /// How many records of each kind the batch holds.
            pub fn counts(&self) -> RecordCounts {
                RecordCounts { $($field: self.$field.len()),+ }
            }

            /// Moves every record of `other` into `self`.
            pub fn append(&mut self, mut other: Records) {
                $( self.$field.append(&mut other.$field); )+
            }

            /// Calls `check(entity key, index, field, result)` for every
            /// checked field of every record, kind by kind.
            pub(crate) fn check_each(
                &self,
                check: &mut dyn FnMut(&'static str, usize, &'static str, Result<(), String>),
            ) {
                $(
                    for (i, row) in self.$field.iter().enumerate() {
                        row.check(&mut |field, result| check(stringify!($field), i, field, result));
                    }
                )+
            }

            /// Each kind with the batch keys of its records, in order.
            pub(crate) fn batch_keys(&self) -> Vec<(ImportKind, Vec<String>)> {
                vec![$(
                    (ImportKind::$variant, self.$field.iter().map(RecordRow::batch_key).collect()),
                )+]
            }

            /// Every reference of every record, kind by kind.
            pub(crate) fn references(&self) -> Vec<Reference<'_>> {
                let mut refs = Vec::new();
                $(
                    for (i, row) in self.$field.iter().enumerate() {
                        for (field, entity, id) in row.references() {
                            refs.push((ImportKind::$variant, i, field, entity, id));
                        }
                    }
                )+
                refs
            }

            /// The ids in the batch of the keyed kind `entity` (`customer`).
            pub(crate) fn ids_of(&self, entity: &str) -> HashSet<&str> {
                $(
                    if entity == $entity && <$input as RecordRow>::KEYED {
                        return self.$field.iter().filter_map(RecordRow::record_id).collect();
                    }
                )+
                HashSet::new()
            }

            /// The rows of a CSV file of `kind`, into this batch; the line of
            /// each row.
            pub(crate) fn read_csv(
                &mut self,
                kind: ImportKind,
                file: &Path,
                bytes: &[u8],
            ) -> Result<Vec<String>, crate::import::ImportError> {
                match kind {
                    $(ImportKind::$variant => {
                        let (rows, lines) = crate::import::csv_rows(file, bytes)?;
                        self.$field = rows;
                        Ok(lines)
                    })+
                }
            }

            /// Upserts every record, kind by kind, in `tx`.
            pub(crate) async fn upsert_all(
                &self,
                tx: &mut sqlx::AnyConnection,
            ) -> Result<(), crate::StoreError> {
                $(
                    for row in &self.$field {
                        crate::records::exec(tx, $entity, &row.store_id(), row.upsert()).await?;
                    }
                )+
                Ok(())
            }
        }

        /// The SQL that tells whether a keyed record of `entity` exists.
        pub(crate) fn exists_sql(entity: &str) -> Option<&'static str> {
            $(
                if entity == $entity && <$input as RecordRow>::KEYED {
                    return Some(concat!("SELECT 1 FROM ", $table, " WHERE id = $1"));
                }
            )+
            None
        }
    };
}

record_kinds! {
    /// Customers.
    Customers => customers: CustomerInput,
        id "customers", label "customers", entity "customer", table "customers";
    /// CustomersDot accounts.
    Accounts => accounts: AccountInput,
        id "accounts", label "accounts", entity "account", table "cdot_accounts";
    /// Subscriptions.
    Subscriptions => subscriptions: SubscriptionInput,
        id "subscriptions", label "subscriptions", entity "subscription", table "subscriptions";
    /// Which subscriptions each account may see.
    AccountSubscriptions => account_subscriptions: AccountSubscriptionInput,
        id "account-subscriptions", label "account subscriptions", entity "account subscription",
        table "cdot_account_subscriptions";
    /// Licenses.
    Licenses => licenses: LicenseInput,
        id "licenses", label "licenses", entity "license", table "licenses";
    /// Seat Link reports.
    SeatLinkReports => seat_link_reports: SeatLinkInput,
        id "seat-link-reports", label "seat link reports", entity "seat link report",
        table "seat_link_reports";
    /// SaaS namespaces.
    Namespaces => namespaces: NamespaceInput,
        id "namespaces", label "namespaces", entity "namespace", table "namespaces";
    /// Trials the namespaces had.
    NamespaceTrials => namespace_trials: TrialInput,
        id "namespace-trials", label "namespace trials", entity "namespace trial",
        table "namespace_trials";
    /// Support tickets.
    Tickets => tickets: TicketInput,
        id "tickets", label "tickets", entity "ticket", table "tickets";
}
