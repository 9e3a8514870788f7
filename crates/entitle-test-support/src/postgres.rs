//! Throwaway PostgreSQL databases on the server `.ci/postgres.sh` starts
//! (`ENTITLE_TEST_POSTGRES_URL`): one per test, dropped at its end.

use sqlx::Connection as _;

use crate::skip::skip_unless_ci;

/// The environment variable naming the PostgreSQL server to test against.
pub const POSTGRES_ENV: &str = "ENTITLE_TEST_POSTGRES_URL";

/// How to set it, as a skip line says.
const HOW: &str = "to run it: `bash .ci/postgres.sh > /tmp/pg.env; source /tmp/pg.env`";

/// `postgres://u:p@h:1/old?x=y` with the database `name` instead of `old`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let (scheme, rest) = base.split_once("://").unwrap_or(("postgres", base));
    let authority = rest.split('/').next().unwrap_or(rest);
    match query {
        Some(query) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    }
}

/// A database of its own on the test server.
#[derive(Debug)]
pub struct PgDatabase {
    /// Its URL, for `Store::open`.
    pub url: String,
    /// The server's URL (the database the server was named with).
    pub server: String,
    /// Its name.
    pub name: String,
}

impl PgDatabase {
    /// Creates `<prefix>_<uuid>` on the server of [`POSTGRES_ENV`]; `None`
    /// (after a visible skip line, or a failure under CI) when it is not set.
    pub async fn create(prefix: &str) -> Option<PgDatabase> {
        let server = match std::env::var(POSTGRES_ENV) {
            Ok(url) if !url.is_empty() => url,
            _ => {
                skip_unless_ci(&format!("{POSTGRES_ENV} is not set"), HOW);
                return None;
            }
        };
        sqlx::any::install_default_drivers();
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut admin = match sqlx::AnyConnection::connect(&server).await {
            Ok(admin) => admin,
            Err(e) => panic!("cannot connect to {POSTGRES_ENV}: {e}"),
        };
        if let Err(e) = sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
        {
            panic!("cannot create the test database {name}: {e}");
        }
        let _ = admin.close().await;
        Some(PgDatabase {
            url: with_database(&server, &name),
            server,
            name,
        })
    }

    /// Drops the database (best effort: a leftover is harmless).
    pub async fn drop_database(self) {
        if let Ok(mut admin) = sqlx::AnyConnection::connect(&self.server).await {
            let _ = sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin)
            .await;
            let _ = admin.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_of_a_url_is_replaced_and_its_query_kept() {
        assert_eq!(
            with_database("postgres://u:p@h:1/old?sslmode=disable", "new"),
            "postgres://u:p@h:1/new?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h/old", "new"),
            "postgres://u@h/new"
        );
        assert_eq!(
            with_database("postgres://h:5432", "new"),
            "postgres://h:5432/new"
        );
    }
}
