//! Checks that a SQLite file can hold the store before the pool connects to
//! it. The pool retries a connection that fails its setup until its acquire
//! timeout, then reports only that it timed out; a path that cannot be the
//! store (a directory, a file that is not a database, one the user may not
//! write, a directory where the write-ahead log cannot be made, another
//! application's database) fails here at once, saying what is wrong.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::StoreError;

/// The error for `path`, which cannot hold the store because of `reason`.
pub(crate) fn cannot_open(path: &Path, reason: impl Into<String>) -> StoreError {
    StoreError::CannotOpen {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Opens `path` as the store will (read-write, in WAL mode), reads its
/// header and closes it; checks first that the file and its `-wal` and
/// `-shm` files, where they exist, can be read and written. Takes no lock
/// another connection would wait for: a store in use by another process
/// passes (the check is inconclusive when SQLite says it is busy, and the
/// pool then waits as it always does).
pub(crate) fn check(path: &Path, busy_timeout: Duration) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(cannot_open(path, "it is a directory, not a file"));
        }
        Ok(_) => {}
        Err(e) => return Err(cannot_open(path, e.to_string())),
    }
    // The files themselves, first: the operating system says why it refuses.
    let name = file_name(path);
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{}{suffix}", path.display());
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&file);
        match opened {
            Ok(_) => {}
            // SQLite makes the `-wal` and `-shm` files when it needs them.
            Err(e) if !suffix.is_empty() && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let which = if suffix.is_empty() {
                    "it".to_owned()
                } else {
                    format!("`{name}{suffix}` beside it")
                };
                return Err(cannot_open(
                    path,
                    format!("cannot open {which} for reading and writing: {e}"),
                ));
            }
        }
    }
    // What the pool's first connection does: a file that is not a database
    // fails here, and so does a directory where SQLite cannot create the
    // `-wal` and `-shm` files.
    let conn = match connect(path, busy_timeout) {
        Ok(conn) => conn,
        Err(e) if is_busy(&e) => return Ok(()),
        Err(e) => return Err(cannot_open(path, sqlite_reason(&name, &e))),
    };
    // A database of another application is left as it is: migrating would
    // add entitle's tables to it.
    let foreign = match foreign_tables(&conn) {
        Ok(tables) => tables,
        Err(e) if is_busy(&e) => Vec::new(),
        Err(e) => return Err(cannot_open(path, sqlite_reason(&name, &e))),
    };
    if !foreign.is_empty() {
        let shown: Vec<String> = foreign.iter().take(5).map(|t| format!("`{t}`")).collect();
        let more = if foreign.len() > shown.len() {
            ", ..."
        } else {
            ""
        };
        return Err(cannot_open(
            path,
            format!(
                "it is another application's SQLite database (tables {}{more}), not an entitle \
                 store; give entitle a file of its own",
                shown.join(", ")
            ),
        ));
    }
    conn.close()
        .map_err(|(_, e)| cannot_open(path, sqlite_reason(&name, &e)))
}

/// The tables of a database that is not an entitle store: all its own
/// tables when it has some but no `schema_version`, else none.
fn foreign_tables(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut statement = conn.prepare(
        "SELECT name FROM sqlite_master \
         WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
    )?;
    let tables = statement
        .query_map([], |row| row.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    if tables.iter().any(|t| t == "schema_version") {
        return Ok(Vec::new());
    }
    Ok(tables)
}

/// Whether the SQLite file `path` holds an entitle store (a
/// `schema_version` table), read without writing a byte (a read-only
/// connection: an empty file stays empty). `None` when SQLite cannot say
/// (not a database, a directory, ...): [`check`] then says what is wrong.
pub(crate) fn holds_store(path: &Path, busy_timeout: Duration) -> Option<bool> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .ok()?;
    conn.busy_timeout(busy_timeout).ok()?;
    conn.query_row(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
        [],
        |row| row.get::<_, i64>(0),
    )
    .ok()
    .map(|n| n > 0)
}

/// Whether SQLite refused for a lock another connection holds.
fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// The last part of `path`, to name the files beside it.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A connection of this process's own to the store's SQLite file `path`:
/// read-write (never creating it), in WAL mode, waiting up to
/// `busy_timeout` for another connection's lock.
pub(crate) fn connect(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    Ok(conn)
}

/// SQLite's message for `error`, with a hint where SQLite says only that it
/// could not open or write the file `name` (the file itself opened: what
/// failed is what the write-ahead log needs beside it).
fn sqlite_reason(name: &str, error: &rusqlite::Error) -> String {
    let cannot_open = matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
    );
    if !cannot_open {
        return format!("SQLite refuses it: {error}");
    }
    format!(
        "SQLite refuses it: {error} (the store keeps the file in WAL mode, so it must also \
         create, or read and write, `{name}-wal` and `{name}-shm` in the same directory)"
    )
}
