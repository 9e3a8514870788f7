//! Opening a store: URLs, connection pools, pragmas, migrations and the log
//! writer task.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::StoreError;
use crate::intake::Inbox;
use crate::log::DecisionLog;
use crate::log::{LogMessage, LogStatsCounters};
use crate::outbox::Outbox;
use crate::records::StoredRecords;
use crate::sqlite_file::cannot_open;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite: a file, or in memory.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl Backend {
    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// SQLite's `synchronous` setting for the store's connections (WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SqliteSynchronous {
    /// `FULL` (the default): every commit fsyncs the WAL before it returns,
    /// so an acknowledged entry survives a process crash, an OS crash and a
    /// power loss.
    #[default]
    Full,
    /// `NORMAL`: commits are written to the WAL without an fsync (checkpoints
    /// still sync). An acknowledged entry survives a process crash (SIGKILL)
    /// but the last commits may be lost on an OS crash or power loss. Lower
    /// commit latency.
    Normal,
}

impl SqliteSynchronous {
    /// The setting's name in SQL.
    pub(crate) fn name(self) -> &'static str {
        match self {
            SqliteSynchronous::Full => "FULL",
            SqliteSynchronous::Normal => "NORMAL",
        }
    }

    fn pragma(self) -> &'static str {
        match self {
            SqliteSynchronous::Full => "PRAGMA synchronous = FULL",
            SqliteSynchronous::Normal => "PRAGMA synchronous = NORMAL",
        }
    }
}

/// How a store is opened. [`StoreOptions::default`] suits most uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreOptions {
    /// Most connections in the pool (SQLite in memory always uses one). The
    /// log writer holds one more of its own (a file or PostgreSQL; in
    /// memory it borrows the pool's).
    pub max_connections: u32,
    /// Capacity of the queue in front of the log writer: when it is full,
    /// `DecisionLog::append` waits (back-pressure); it never drops an entry.
    pub log_queue_capacity: usize,
    /// Most entries committed in one transaction. `1` disables group commit
    /// (one transaction per entry; for measurements).
    pub log_batch_max: usize,
    /// How long a SQLite connection waits for a lock held by another
    /// connection or process before failing.
    pub busy_timeout: Duration,
    /// SQLite's durability setting (ignored for PostgreSQL).
    pub sqlite_synchronous: SqliteSynchronous,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 8,
            log_queue_capacity: 4096,
            log_batch_max: 512,
            busy_timeout: Duration::from_secs(10),
            sqlite_synchronous: SqliteSynchronous::Full,
        }
    }
}

/// A store: records, the decision log, the outbox and the intake inbox in
/// one database, each reached through its own part ([`Store::log`],
/// [`Store::outbox`], [`Store::records`], [`Store::inbox`]). Cheap to clone
/// (the clones share the pool and the log writer).
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    pub(crate) display_url: String,
    pub(crate) log_tx: mpsc::Sender<LogMessage>,
    pub(crate) stats: Arc<LogStatsCounters>,
    /// Says when the log writer's thread has finished.
    pub(crate) writer: Mutex<Option<oneshot::Receiver<()>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .field("url", &self.inner.display_url)
            .finish_non_exhaustive()
    }
}

/// A URL the store understands, normalised.
struct Target {
    backend: Backend,
    url: String,
    in_memory: bool,
    /// The SQLite file to create (owner-only) before connecting, when the
    /// URL's `mode` lets SQLite create it.
    create_file: Option<std::path::PathBuf>,
    /// The SQLite file the log writer opens a connection of its own to,
    /// when the URL asks for nothing but read-write access (any other
    /// parameter keeps the writer on the pool's driver).
    writer_file: Option<std::path::PathBuf>,
    /// The SQLite file to check before connecting: one opened read-write
    /// (`mode=rw` or `mode=rwc`).
    check_file: Option<std::path::PathBuf>,
}

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`.
pub(crate) fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

fn parse_target(url: &str) -> Result<Target, StoreError> {
    let invalid = |reason: &str| StoreError::InvalidUrl {
        url: mask_password(url),
        reason: reason.to_owned(),
    };
    let url = url.trim();
    if url.is_empty() {
        return Err(invalid("empty"));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target {
            backend: Backend::Postgres,
            url: url.to_owned(),
            in_memory: false,
            create_file: None,
            writer_file: None,
            check_file: None,
        });
    }
    let path = if let Some(rest) = url.strip_prefix("sqlite://") {
        rest
    } else if let Some(rest) = url.strip_prefix("sqlite:") {
        rest
    } else if url.contains("://") {
        return Err(invalid(
            "expected sqlite::memory:, sqlite:PATH, a file path, or postgres://...",
        ));
    } else {
        url
    };
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    if path.is_empty() {
        return Err(invalid("no file path"));
    }
    if path == ":memory:" {
        return Ok(Target {
            backend: Backend::Sqlite,
            url: "sqlite::memory:".to_owned(),
            in_memory: true,
            create_file: None,
            writer_file: None,
            check_file: None,
        });
    }
    if path.contains('#') || path.contains('%') {
        return Err(invalid("a SQLite path may not contain `#` or `%`"));
    }
    let mut params: Vec<&str> = query
        .map(|q| q.split('&').filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    if params.contains(&"mode=ro") {
        return Err(invalid(
            "`mode=ro`: the store writes to its database (the schema, the decision log); \
             `entitle replay` reads a log without writing to it",
        ));
    }
    let creates = params.contains(&"mode=rwc");
    let create_file = creates.then(|| std::path::PathBuf::from(path));
    let writer_file = params
        .iter()
        .all(|p| matches!(*p, "mode=rwc" | "mode=rw"))
        .then(|| std::path::PathBuf::from(path));
    let check_file = params
        .iter()
        .any(|p| matches!(*p, "mode=rwc" | "mode=rw"))
        .then(|| std::path::PathBuf::from(path));
    let path = if path.starts_with('/') {
        format!("//{path}")
    } else {
        path.to_owned()
    };
    Ok(Target {
        backend: Backend::Sqlite,
        url: format!("sqlite:{path}?{}", params.join("&")),
        in_memory: false,
        create_file,
        writer_file,
        check_file,
    })
}

/// Creates the SQLite file `path`, readable and writable by its owner only
/// (it holds requester emails), unless it exists. SQLite gives the `-wal`
/// and `-shm` files it creates the database file's permissions.
fn create_private_file(path: &std::path::Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(cannot_open(path, format!("cannot create it: {e}"))),
    }
}

/// Runs the log writer on a thread of its own, in a single-threaded runtime:
/// its round trips to the database (a handful per batch) then wait for the
/// database alone, not for a turn among the request tasks of the caller's
/// runtime, and each batch costs fewer wake-ups. The receiver says when it
/// has finished.
fn spawn_writer(
    writer: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<oneshot::Receiver<()>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (finished_tx, finished_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name("entitle-log-writer".to_owned())
        .spawn(move || {
            runtime.block_on(writer);
            let _ = finished_tx.send(());
        })?;
    Ok(finished_rx)
}

/// How long opening a PostgreSQL store waits for the server's answer.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One connection to PostgreSQL, at once, before the pool: the pool retries
/// a refused connection until its acquire timeout (30 s) and then says only
/// that it timed out. A server that refuses, cannot be reached within
/// [`CONNECT_TIMEOUT`], or refuses the credentials is
/// [`StoreError::Unreachable`], in the driver's words.
pub(crate) async fn probe_postgres(
    connect: &AnyConnectOptions,
    display_url: &str,
) -> Result<(), StoreError> {
    use sqlx::{ConnectOptions as _, Connection as _};
    let unreachable = |reason: String| StoreError::Unreachable {
        url: display_url.to_owned(),
        reason,
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, connect.connect()).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!(
            "no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
    }
}

/// Why [`Store::open_existing`] finds no store in a database.
const NO_SCHEMA: &str = "the database holds no entitle store (no `schema_version` table)";

/// An instant as stored: RFC 3339 in UTC with microseconds and `Z`, so the
/// text sorts as the instant does.
pub(crate) fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

impl Store {
    /// The decision log: append an entry with its outbox steps, read
    /// entries back, replay them.
    pub fn log(&self) -> DecisionLog<'_> {
        DecisionLog { store: self }
    }

    /// The outbox: the steps of logged decisions, for workers and people.
    pub fn outbox(&self) -> Outbox<'_> {
        Outbox { store: self }
    }

    /// The records policies decide on, and the facts assembled from them.
    pub fn records(&self) -> StoredRecords<'_> {
        StoredRecords { store: self }
    }

    /// The intake inbox: the deliveries webhooks received.
    pub fn inbox(&self) -> Inbox<'_> {
        Inbox { store: self }
    }

    /// Opens (creating and migrating if needed) the store at `url` with the
    /// default options: `sqlite::memory:`, `sqlite:PATH`, `sqlite://PATH`,
    /// a plain file path, or `postgres://user:password@host:port/db`.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        Store::open_with(url, StoreOptions::default()).await
    }

    /// Opens the store at `url` with `options`. Must be called within a
    /// tokio runtime (the pool's); the log writer runs on a thread of its
    /// own.
    pub async fn open_with(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
        Store::open_inner(url, options, false).await
    }

    /// Opens the store at `url` (default options) only if it is there
    /// already, for commands that act on what a store holds: a SQLite file
    /// that does not exist, or a database without entitle's schema (no
    /// `schema_version` table), is [`StoreError::NoStore`] and nothing is
    /// created. A store of an older schema is migrated, as by
    /// [`Store::open`].
    pub async fn open_existing(url: &str) -> Result<Store, StoreError> {
        Store::open_inner(url, StoreOptions::default(), true).await
    }

    async fn open_inner(
        url: &str,
        options: StoreOptions,
        must_exist: bool,
    ) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let target = parse_target(url)?;
        let display_url = mask_password(url);
        let no_store = |reason: String| StoreError::NoStore {
            url: display_url.clone(),
            reason,
        };
        if must_exist {
            if target.in_memory {
                return Err(no_store("a database in memory starts empty".to_owned()));
            }
            if let Some(file) = &target.check_file {
                if !file.exists() {
                    return Err(no_store("no such file".to_owned()));
                }
                if crate::sqlite_file::holds_store(file, options.busy_timeout) == Some(false) {
                    return Err(no_store(NO_SCHEMA.to_owned()));
                }
            }
        }
        if let Some(file) = &target.create_file {
            create_private_file(file)?;
        }
        if let Some(file) = &target.check_file {
            crate::sqlite_file::check(file, options.busy_timeout)?;
        }
        let connect =
            AnyConnectOptions::from_str(&target.url).map_err(|e| StoreError::InvalidUrl {
                url: display_url.clone(),
                reason: e.to_string(),
            })?;
        let backend = target.backend;
        if backend == Backend::Postgres {
            probe_postgres(&connect, &display_url).await?;
        }
        let busy_ms = options.busy_timeout.as_millis();
        let synchronous = options.sqlite_synchronous.pragma();
        let mut pool_options = AnyPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(30))
            // A SQLite connection is a thread in this process: nothing to
            // test before lending it (it costs a round trip to that thread).
            .test_before_acquire(backend == Backend::Postgres)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers do not block the writer. FULL (the
                        // default): every commit fsyncs the WAL.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute(synchronous).await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute(format!("PRAGMA busy_timeout = {busy_ms}").as_str())
                            .await?;
                    }
                    Ok(())
                })
            });
        if target.in_memory {
            // One connection holds the whole database: keep it forever.
            pool_options = pool_options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let pool = pool_options
            .connect_with(connect)
            .await
            .map_err(StoreError::db(format!("opening {display_url}")))?;
        if must_exist && backend == Backend::Postgres {
            let schema = sqlx::query("SELECT MAX(version) FROM schema_version")
                .fetch_one(&pool)
                .await;
            if schema.is_err() {
                pool.close().await;
                return Err(no_store(NO_SCHEMA.to_owned()));
            }
        }
        crate::schema::migrate(&pool, backend).await?;
        let native = target
            .writer_file
            .as_deref()
            .map(|file| {
                crate::log::NativeWriter::open(
                    file,
                    options.sqlite_synchronous,
                    options.busy_timeout,
                )
            })
            .transpose()?;
        let stats = Arc::new(LogStatsCounters::default());
        let (log_tx, log_rx) = mpsc::channel(options.log_queue_capacity.max(1));
        let writer = spawn_writer(crate::log::writer(
            pool.clone(),
            backend,
            !target.in_memory,
            native,
            log_rx,
            options.log_batch_max.max(1),
            Arc::clone(&stats),
        ))
        .map_err(|source| StoreError::Start {
            what: "the decision-log writer",
            source,
        })?;
        Ok(Store {
            inner: Arc::new(Inner {
                pool,
                backend,
                display_url,
                log_tx,
                stats,
                writer: Mutex::new(Some(writer)),
            }),
        })
    }

    /// The back-end the store runs on.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The URL the store was opened with (a password masked).
    pub fn url(&self) -> &str {
        &self.inner.display_url
    }

    /// The schema version of the database.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let mut conn = self
            .inner
            .pool
            .acquire()
            .await
            .map_err(StoreError::db("reading the schema version"))?;
        crate::schema::current_version(&mut conn).await
    }

    /// Checks that the database answers (for health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.inner.pool)
            .await
            .map_err(StoreError::db("pinging the database"))?;
        Ok(())
    }

    /// Stops the log writer once every entry already queued is committed,
    /// then closes the pool. Calls to [`DecisionLog::append`] made after
    /// (through any clone) fail with [`StoreError::Closed`]. Call it on
    /// graceful shutdown.
    pub async fn close(&self) {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        if self
            .inner
            .log_tx
            .send(LogMessage::Shutdown(done_tx))
            .await
            .is_ok()
        {
            let _ = done_rx.await;
        }
        if let Some(finished) = self.inner.writer.lock().await.take() {
            let _ = finished.await;
        }
        self.inner.pool.close().await;
    }

    /// The pool, for the crate's own modules.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised() {
        let t = parse_target("/tmp/x.db").unwrap();
        assert_eq!(t.url, "sqlite:///tmp/x.db?mode=rwc");
        let t = parse_target("sqlite:///tmp/x.db").unwrap();
        assert_eq!(t.url, "sqlite:///tmp/x.db?mode=rwc");
        let t = parse_target("sqlite:data/x.db").unwrap();
        assert_eq!(t.url, "sqlite:data/x.db?mode=rwc");
        // The log writer opens its own connection to a file unless the URL
        // asks for more than read-write access.
        assert_eq!(
            t.writer_file.as_deref(),
            Some(std::path::Path::new("data/x.db"))
        );
        let t = parse_target("sqlite:data/x.db?mode=rwc&cache=private").unwrap();
        assert_eq!(t.writer_file, None);
        assert_eq!(parse_target("sqlite::memory:").unwrap().writer_file, None);
        assert!(parse_target("sqlite::memory:").unwrap().in_memory);
        assert_eq!(
            parse_target("postgres://u:p@h/d").unwrap().backend,
            Backend::Postgres
        );
        assert!(parse_target("mysql://x").is_err());
        assert_eq!(
            mask_password("postgres://u:secret@h:5432/d"),
            "postgres://u:***@h:5432/d"
        );
    }
}
