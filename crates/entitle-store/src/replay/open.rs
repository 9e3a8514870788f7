//! Opening a database for replay: read-only, and only if it holds an
//! entitle decision log.

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor as _};

use super::ReplayError;
use crate::store::mask_password;

/// The sqlx URL of `url`, opened read-only.
fn read_only_url(url: &str) -> Result<(String, bool), ReplayError> {
    let invalid = |reason: &str| ReplayError::InvalidUrl {
        url: mask_password(url),
        reason: reason.to_owned(),
    };
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((url.to_owned(), true));
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if url.contains("://") && !url.starts_with("sqlite://") {
        return Err(invalid(
            "expected sqlite:PATH, a file path, or postgres://...",
        ));
    }
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    if path.is_empty() || path == ":memory:" {
        return Err(invalid("expected the path of a SQLite file"));
    }
    if path.contains('#') || path.contains('%') {
        return Err(invalid("a SQLite path may not contain `#` or `%`"));
    }
    let path = if path.starts_with('/') {
        format!("//{path}")
    } else {
        path.to_owned()
    };
    Ok((format!("sqlite:{path}?mode=ro"), false))
}

/// The file a SQLite URL names (`sqlite:PATH`, `sqlite://PATH`, `PATH`).
fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let url = url.trim();
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    (!path.is_empty()).then(|| std::path::PathBuf::from(path))
}

/// Opens `url` for reading only, and checks it holds an entitle log.
pub(super) async fn open_read_only(url: &str) -> Result<(AnyPool, bool), ReplayError> {
    sqlx::any::install_default_drivers();
    let (sqlx_url, postgres) = read_only_url(url)?;
    let display = mask_password(url);
    let open = |source| ReplayError::Open {
        url: display.clone(),
        source,
    };
    let options = AnyConnectOptions::from_str(&sqlx_url).map_err(open)?;
    if postgres {
        crate::store::probe_postgres(&options, &display)
            .await
            .map_err(|e| ReplayError::Unreachable(e.to_string()))?;
    } else if let Some(path) = sqlite_path(url) {
        if path.is_dir() {
            return Err(ReplayError::NotAnEntitleStore {
                url: display.clone(),
                reason: "it is a directory, not a SQLite file".to_owned(),
            });
        }
    }
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if postgres {
                    conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(open)?;
    let check = sqlx::query("SELECT MAX(version) AS v FROM schema_version")
        .fetch_one(&pool)
        .await;
    let not_entitle = |reason: String| ReplayError::NotAnEntitleStore {
        url: display.clone(),
        reason,
    };
    if let Err(e) = check {
        return Err(not_entitle(format!("no `schema_version` table ({e})")));
    }
    if let Err(e) = sqlx::query(
        "SELECT decision_id, policy, decided_at, facts, outcome, details FROM decision_log LIMIT 1",
    )
    .fetch_optional(&pool)
    .await
    {
        return Err(not_entitle(format!(
            "no readable `decision_log` table ({e})"
        )));
    }
    Ok((pool, postgres))
}
