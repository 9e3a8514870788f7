//! Checks that a SQLite file can hold the store before the pool connects to
//! it. The pool retries a connection that fails its setup until its acquire
//! timeout, then reports only that it timed out; a path that cannot be the
//! store (a directory, a file that is not a database, one the user may not
//! write, a directory where the write-ahead log cannot be made) fails here at
//! once, saying what is wrong.

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
/// header and closes it. Waits up to `busy_timeout` for another process's
/// lock, as the store's connections do.
pub(crate) fn check(path: &Path, busy_timeout: Duration) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(cannot_open(path, "it is a directory, not a file"));
        }
        Ok(_) => {}
        Err(e) => return Err(cannot_open(path, e.to_string())),
    }
    // The file itself, first: the operating system says why it refuses.
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| cannot_open(path, format!("cannot open it for reading and writing: {e}")))?;
    let sqlite = |e: rusqlite::Error| cannot_open(path, sqlite_reason(path, &e));
    // What the pool's first connection does: a file that is not a database
    // fails here, and so does a directory where SQLite cannot create the
    // `-wal` and `-shm` files.
    let conn = connect(path, busy_timeout).map_err(sqlite)?;
    // The write lock, taken and given back (nothing is written): refused
    // when the `-wal` or `-shm` file exists but this user may not write it.
    conn.execute_batch("BEGIN IMMEDIATE; ROLLBACK")
        .map_err(sqlite)?;
    conn.close().map_err(|(_, e)| sqlite(e))
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
/// could not open the file (the file itself opened: what failed is what the
/// write-ahead log needs beside it).
fn sqlite_reason(path: &Path, error: &rusqlite::Error) -> String {
    let cannot_open = matches!(
        error.sqlite_error_code(),
        Some(rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::ReadOnly)
    );
    if !cannot_open {
        return format!("SQLite refuses it: {error}");
    }
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    format!(
        "SQLite refuses it: {error} (the store keeps the file in WAL mode, so it must also \
         read and write, or create, `{name}-wal` and `{name}-shm` in the same directory)"
    )
}
