//! A value bound to a statement parameter, whichever driver runs the
//! statement: sqlx (PostgreSQL, SQLite in memory) or rusqlite (the log
//! writer's own SQLite connection). A row to insert lists its values once,
//! in column order, and each driver binds that list.

use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// One parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Bound<'a> {
    /// Text.
    Text(&'a str),
    /// Text or NULL.
    MaybeText(Option<&'a str>),
    /// Text made for this statement.
    Owned(String),
    /// An integer.
    Integer(i64),
}

/// `query` with `values` bound to its next parameters, in order.
pub(crate) fn bind_sqlx<'q>(
    mut query: Query<'q, sqlx::Any, AnyArguments<'q>>,
    values: impl IntoIterator<Item = Bound<'q>>,
) -> Query<'q, sqlx::Any, AnyArguments<'q>> {
    for value in values {
        query = match value {
            Bound::Text(text) => query.bind(text),
            Bound::MaybeText(text) => query.bind(text),
            Bound::Owned(text) => query.bind(text),
            Bound::Integer(n) => query.bind(n),
        };
    }
    query
}

impl ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Bound::Text(text) | Bound::MaybeText(Some(text)) => ValueRef::Text(text.as_bytes()),
            Bound::Owned(text) => ValueRef::Text(text.as_bytes()),
            Bound::MaybeText(None) => ValueRef::Null,
            Bound::Integer(n) => ValueRef::Integer(*n),
        }))
    }
}
