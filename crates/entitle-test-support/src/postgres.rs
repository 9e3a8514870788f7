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

/// A fresh database for one test: a SQLite file in a directory of its own,
/// or a database of its own on the PostgreSQL test server. Dropped by
/// [`TestDb::finish`].
#[derive(Debug)]
pub struct TestDb {
    /// Its URL, for `Store::open`.
    pub url: String,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    /// The SQLite file's directory, removed on drop.
    dir: Option<tempfile::TempDir>,
    /// The PostgreSQL database, dropped by `finish`.
    pg: Option<PgDatabase>,
}

impl TestDb {
    /// A new SQLite file (`store.db`) in a temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(e) => panic!("cannot make a temporary directory: {e}"),
        };
        TestDb {
            url: format!("sqlite://{}", dir.path().join("store.db").display()),
            backend: "sqlite",
            dir: Some(dir),
            pg: None,
        }
    }

    /// A new database on the PostgreSQL test server, named after `test`;
    /// `None` (after a visible skip line, or a failure under CI) when
    /// [`POSTGRES_ENV`] is not set.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let prefix: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(30)
            .collect();
        let database = PgDatabase::create(&format!("entitle_{prefix}")).await?;
        Some(TestDb {
            url: database.url.clone(),
            backend: "postgres",
            dir: None,
            pg: Some(database),
        })
    }

    /// The SQLite file, if this is one.
    pub fn sqlite_path(&self) -> Option<std::path::PathBuf> {
        self.dir.as_ref().map(|d| d.path().join("store.db"))
    }

    /// Drops the PostgreSQL database (best effort); the SQLite directory
    /// goes with `self`.
    pub async fn finish(self) {
        if let Some(database) = self.pg {
            database.drop_database().await;
        }
    }
}

/// Runs `async fn $check(db: &TestDb)` as two tests, `$name::sqlite` and
/// `$name::postgres`; the PostgreSQL one is skipped visibly (and fails under
/// `CI`) when the test server is not configured. The one way every crate
/// runs a test on both back-ends.
#[macro_export]
macro_rules! on_both {
    ($name:ident, $check:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = $crate::postgres::TestDb::sqlite();
                super::$check(&db).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) =
                    $crate::postgres::TestDb::postgres(concat!(stringify!($name), "::postgres"))
                        .await
                else {
                    return;
                };
                super::$check(&db).await;
                db.finish().await;
            }
        }
    };
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
