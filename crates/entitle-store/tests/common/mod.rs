//! Test databases: a fresh SQLite file, or a fresh PostgreSQL database when
//! `ENTITLE_TEST_POSTGRES_URL` is set. Every test runs against both through
//! [`on_both!`].
#![allow(
    dead_code,
    reason = "shared by several test binaries, each of which uses only part of it"
)]
#![expect(
    clippy::unwrap_used,
    reason = "test support outside `#[test]` functions, which clippy.toml does not cover: a panic here fails the test, which is the point"
)]

use std::path::{Path, PathBuf};

use sqlx::Connection;

pub use entitle_test_support::postgres::with_database;
pub use entitle_test_support::skip;

/// The environment variable naming the PostgreSQL server to test against.
pub const POSTGRES_ENV: &str = "ENTITLE_TEST_POSTGRES_URL";

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let dir = std::env::temp_dir().join(format!("entitle-store-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh database for one test.
pub struct TestDb {
    pub url: String,
    pub backend: &'static str,
    _dir: Option<TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A new SQLite file in a temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = TempDir::new();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        TestDb {
            url,
            backend: "sqlite",
            _dir: Some(dir),
            pg: None,
        }
    }

    /// A new database on the PostgreSQL server of `ENTITLE_TEST_POSTGRES_URL`,
    /// or `None` (after saying so) when it is not set.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let Ok(base) = std::env::var(POSTGRES_ENV) else {
            skip::skip_unless_ci(
                &format!("{POSTGRES_ENV} is not set ({test})"),
                "to run it: `bash .ci/postgres.sh > /tmp/pg.env; source /tmp/pg.env`",
            );
            return None;
        };
        sqlx::any::install_default_drivers();
        let name = format!("entitle_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::AnyConnection::connect(&base).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        Some(TestDb {
            url: with_database(&base, &name),
            backend: "postgres",
            _dir: None,
            pg: Some((base, name)),
        })
    }

    /// The SQLite file, if any.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        self._dir.as_ref().map(|d| d.path().join("store.db"))
    }

    /// Drops the PostgreSQL database (best effort).
    pub async fn finish(self) {
        if let Some((base, name)) = &self.pg {
            if let Ok(mut conn) = sqlx::AnyConnection::connect(base).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
                let _ = conn.close().await;
            }
        }
    }
}

/// The repository's root (for `examples/data`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .to_path_buf()
}

/// `examples/data/support.json`.
pub fn sample_json() -> PathBuf {
    repo_root().join("examples/data/support.json")
}

/// Every CSV file of `examples/data/csv`, sorted.
pub fn sample_csv_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("examples/data/csv"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    files
}

/// Runs `async fn $check(db: &TestDb)` as two tests, `$name::sqlite` and
/// `$name::postgres` (which says it is skipped without a PostgreSQL URL).
#[macro_export]
macro_rules! on_both {
    ($name:ident, $check:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = $crate::common::TestDb::sqlite();
                super::$check(&db).await;
                db.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(db) =
                    $crate::common::TestDb::postgres(concat!(stringify!($name), "::postgres"))
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
