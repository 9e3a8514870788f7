//! The schema, as versioned migrations embedded in the binary.
//!
//! Each migration is a list of statements, the same SQL for SQLite and
//! PostgreSQL except where a back-end needs its own (the append-only
//! triggers). All pending migrations run in one transaction with the rows
//! they add to `schema_version`; on PostgreSQL an advisory lock serialises
//! instances migrating the same database at once.

use sqlx::AnyConnection;
use sqlx::{AnyPool, Row};

use crate::error::StoreError;
use crate::store::Backend;

/// The schema version this build creates and understands.
pub const SCHEMA_VERSION: i64 = 8;

/// One migration.
struct Migration {
    version: i64,
    name: &'static str,
    /// Statements for both back-ends.
    common: &'static [&'static str],
    /// Statements for SQLite only (after `common`).
    sqlite: &'static [&'static str],
    /// Statements for PostgreSQL only (after `common`).
    postgres: &'static [&'static str],
}

const MIGRATIONS: &[Migration] = &[
    Migration {
    version: 1,
    name: "records and decision log",
    common: &[
        "CREATE TABLE customers (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('paid', 'unpaid', 'prospect'))
        )",
        "CREATE TABLE subscriptions (
            id TEXT PRIMARY KEY,
            customer_id TEXT NOT NULL REFERENCES customers (id),
            plan TEXT NOT NULL CHECK (plan IN ('free', 'premium', 'ultimate')),
            deployment TEXT NOT NULL CHECK (deployment IN ('self-managed', 'saas')),
            license_contact_email TEXT
        )",
        "CREATE INDEX subscriptions_customer ON subscriptions (customer_id)",
        "CREATE TABLE licenses (
            id TEXT PRIMARY KEY,
            subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
            plan TEXT NOT NULL CHECK (plan IN ('free', 'premium', 'ultimate')),
            trial BIGINT NOT NULL CHECK (trial IN (0, 1)),
            starts_on TEXT NOT NULL,
            expires_on TEXT NOT NULL,
            users BIGINT NOT NULL CHECK (users >= 0),
            CHECK (starts_on <= expires_on)
        )",
        "CREATE INDEX licenses_subscription ON licenses (subscription_id)",
        "CREATE TABLE cdot_accounts (
            id TEXT PRIMARY KEY,
            email TEXT NOT NULL UNIQUE,
            customer_id TEXT REFERENCES customers (id)
        )",
        "CREATE TABLE cdot_account_subscriptions (
            account_id TEXT NOT NULL REFERENCES cdot_accounts (id),
            subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
            PRIMARY KEY (account_id, subscription_id)
        )",
        "CREATE TABLE seat_link_reports (
            subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
            reported_on TEXT NOT NULL,
            active_users BIGINT CHECK (active_users >= 0),
            PRIMARY KEY (subscription_id, reported_on)
        )",
        "CREATE TABLE namespaces (
            id TEXT PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            plan TEXT NOT NULL CHECK (plan IN ('free', 'premium', 'ultimate')),
            subscription_id TEXT REFERENCES subscriptions (id)
        )",
        "CREATE TABLE namespace_trials (
            namespace_id TEXT NOT NULL REFERENCES namespaces (id),
            plan TEXT NOT NULL CHECK (plan IN ('free', 'premium', 'ultimate')),
            starts_on TEXT NOT NULL,
            ends_on TEXT NOT NULL,
            PRIMARY KEY (namespace_id, starts_on),
            CHECK (starts_on <= ends_on)
        )",
        "CREATE TABLE tickets (
            id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            requester_email TEXT NOT NULL,
            subscription_id TEXT REFERENCES subscriptions (id),
            namespace_id TEXT REFERENCES namespaces (id),
            admin_dashboard_screenshot BIGINT NOT NULL CHECK (admin_dashboard_screenshot IN (0, 1)),
            license_page_screenshot BIGINT NOT NULL CHECK (license_page_screenshot IN (0, 1)),
            screenshot_user_count BIGINT CHECK (screenshot_user_count >= 0),
            internal_request TEXT NOT NULL CHECK (internal_request IN ('none', 'success', 'failure'))
        )",
        "CREATE TABLE decision_log (
            decision_id TEXT PRIMARY KEY,
            policy TEXT NOT NULL,
            policy_version BIGINT NOT NULL,
            decided_at TEXT NOT NULL,
            facts TEXT NOT NULL,
            config TEXT NOT NULL,
            outcome TEXT NOT NULL,
            details TEXT NOT NULL,
            stable_until TEXT,
            trace TEXT NOT NULL,
            role TEXT NOT NULL,
            request_id TEXT NOT NULL,
            ticket_id TEXT,
            logged_at TEXT NOT NULL
        )",
        "CREATE INDEX decision_log_ticket ON decision_log (ticket_id, decision_id)",
        "CREATE INDEX decision_log_policy ON decision_log (policy, decision_id)",
    ],
    sqlite: &[
        "CREATE TRIGGER decision_log_no_update BEFORE UPDATE ON decision_log
         BEGIN SELECT RAISE(ABORT, 'decision_log is append-only: UPDATE is not allowed'); END",
        "CREATE TRIGGER decision_log_no_delete BEFORE DELETE ON decision_log
         BEGIN SELECT RAISE(ABORT, 'decision_log is append-only: DELETE is not allowed'); END",
    ],
    postgres: &[
        "CREATE FUNCTION entitle_decision_log_append_only() RETURNS trigger
         LANGUAGE plpgsql AS $fn$
         BEGIN
             RAISE EXCEPTION 'decision_log is append-only: % is not allowed', TG_OP;
         END
         $fn$",
        "CREATE TRIGGER decision_log_no_update_delete BEFORE UPDATE OR DELETE ON decision_log
         FOR EACH ROW EXECUTE FUNCTION entitle_decision_log_append_only()",
        "CREATE TRIGGER decision_log_no_truncate BEFORE TRUNCATE ON decision_log
         FOR EACH STATEMENT EXECUTE FUNCTION entitle_decision_log_append_only()",
    ],
}, Migration {
    version: 2,
    name: "actions outbox",
    common: &[
        // One row per step: an action carried out by one sink. `requires`
        // and `inputs` are JSON arrays of `seq`s of the same decision.
        "CREATE TABLE outbox (
            id TEXT PRIMARY KEY,
            decision_id TEXT NOT NULL REFERENCES decision_log (decision_id),
            seq BIGINT NOT NULL CHECK (seq >= 0),
            ticket_id TEXT,
            action_id TEXT NOT NULL CHECK (action_id <> ''),
            sink TEXT NOT NULL CHECK (sink <> ''),
            payload TEXT NOT NULL,
            requires TEXT NOT NULL,
            inputs TEXT NOT NULL,
            license_ticket TEXT,
            generation BIGINT NOT NULL CHECK (generation >= 0),
            idempotency_key TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL CHECK (status IN ('pending', 'in-flight', 'delivered', 'failed', 'dead', 'cancelled', 'done-by-hand')),
            attempts BIGINT NOT NULL CHECK (attempts >= 0),
            next_attempt_at TEXT,
            lease_until TEXT,
            claim_token TEXT,
            last_error TEXT,
            response TEXT,
            cancelled_by TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (decision_id, seq)
        )",
        // Never two licenses for one ticket (steps that are no license
        // have none).
        "CREATE UNIQUE INDEX outbox_license_ticket ON outbox (license_ticket)
         WHERE license_ticket IS NOT NULL",
        // What a claim looks through: the unsettled steps.
        "CREATE INDEX outbox_open ON outbox (status, id)
         WHERE status IN ('pending', 'in-flight', 'failed')",
        "CREATE INDEX outbox_ticket ON outbox (ticket_id, id) WHERE ticket_id IS NOT NULL",
    ],
    sqlite: &[
        "CREATE TABLE outbox_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            action_row_id TEXT NOT NULL REFERENCES outbox (id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            note TEXT
        )",
        "CREATE INDEX outbox_events_row ON outbox_events (action_row_id, id)",
        "CREATE TRIGGER outbox_events_no_update BEFORE UPDATE ON outbox_events
         BEGIN SELECT RAISE(ABORT, 'outbox_events is append-only: UPDATE is not allowed'); END",
        "CREATE TRIGGER outbox_events_no_delete BEFORE DELETE ON outbox_events
         BEGIN SELECT RAISE(ABORT, 'outbox_events is append-only: DELETE is not allowed'); END",
    ],
    postgres: &[
        "CREATE TABLE outbox_events (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            action_row_id TEXT NOT NULL REFERENCES outbox (id),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            from_status TEXT,
            to_status TEXT NOT NULL,
            note TEXT
        )",
        "CREATE INDEX outbox_events_row ON outbox_events (action_row_id, id)",
        "CREATE FUNCTION entitle_outbox_events_append_only() RETURNS trigger
         LANGUAGE plpgsql AS $fn$
         BEGIN
             RAISE EXCEPTION 'outbox_events is append-only: % is not allowed', TG_OP;
         END
         $fn$",
        "CREATE TRIGGER outbox_events_no_update_delete BEFORE UPDATE OR DELETE ON outbox_events
         FOR EACH ROW EXECUTE FUNCTION entitle_outbox_events_append_only()",
        "CREATE TRIGGER outbox_events_no_truncate BEFORE TRUNCATE ON outbox_events
         FOR EACH STATEMENT EXECUTE FUNCTION entitle_outbox_events_append_only()",
    ],
}, Migration {
    version: 3,
    name: "decision log by ticket and policy",
    common: &[
        // `GET /v1/decisions?ticket=&policy=`: both equalities and the
        // order in one index, so a listing reads only its page (with the
        // two indexes of one column each, the planner took the policy's
        // and checked the ticket row by row).
        "CREATE INDEX decision_log_ticket_policy ON decision_log (ticket_id, policy, decision_id)",
    ],
    sqlite: &[],
    postgres: &[],
}, Migration {
    version: 4,
    name: "outbox steps store their own payload",
    common: &[
        // `own`: the step's own part of its payload; its decision's part
        // (policy, outcome, details, facts) is read from its log entry.
        // `whole`: the whole payload, as steps were written before.
        "ALTER TABLE outbox ADD COLUMN payload_form TEXT NOT NULL DEFAULT 'whole'
         CHECK (payload_form IN ('own', 'whole'))",
    ],
    sqlite: &[],
    postgres: &[],
}, Migration {
    version: 5,
    name: "outbox steps in doubt",
    common: &[],
    // A step whose last attempt may or may not have reached a service that
    // does not deduplicate waits for a person as `in-doubt`. SQLite cannot
    // alter a CHECK constraint: its text in the schema is widened, as
    // SQLite's ALTER TABLE page describes for loosening a constraint, and
    // the runner bumps the schema cookie (`SCHEMA_EDIT`).
    sqlite: &[
        "PRAGMA writable_schema = ON",
        "UPDATE sqlite_schema SET sql = replace(sql,
             '''cancelled'', ''done-by-hand''))',
             '''cancelled'', ''done-by-hand'', ''in-doubt''))')
         WHERE type = 'table' AND name = 'outbox'",
        "PRAGMA writable_schema = OFF",
        SCHEMA_EDIT,
    ],
    postgres: &[
        "ALTER TABLE outbox DROP CONSTRAINT outbox_status_check",
        "ALTER TABLE outbox ADD CONSTRAINT outbox_status_check CHECK (status IN
             ('pending', 'in-flight', 'delivered', 'failed', 'dead', 'cancelled', 'done-by-hand', 'in-doubt'))",
    ],
}, Migration {
    version: 6,
    name: "tickets by the identity of their URL",
    common: &[
        // `entitle::input::ticket_url_key` of `url`: a decision that names
        // its ticket by URL finds the stored ticket, however the URL is
        // spelt. Filled for the rows already there by `fill_url_keys`.
        "ALTER TABLE tickets ADD COLUMN url_key TEXT",
        "CREATE INDEX tickets_url_key ON tickets (url_key, id)",
    ],
    sqlite: &[],
    postgres: &[],
}, Migration {
    version: 7,
    name: "the intake inbox",
    common: &[
        // One row per delivery received from a place where work arrives
        // (`intake.rs`). The first delivery of an event holds its outcome;
        // its redeliveries are rows of status `duplicate` pointing at it.
        "CREATE TABLE intake (
             id TEXT PRIMARY KEY,
             source TEXT NOT NULL,
             delivery_id TEXT NOT NULL,
             received_at TEXT NOT NULL,
             status TEXT NOT NULL
                 CHECK (status IN ('decided', 'duplicate', 'refused', 'ignored')),
             subject TEXT,
             policy TEXT,
             decision_id TEXT,
             first_id TEXT,
             reason TEXT,
             payload TEXT NOT NULL
         )",
        // At most one event per delivery id: what makes a redelivery
        // start nothing (written in the decision's transaction).
        "CREATE UNIQUE INDEX intake_delivery ON intake (source, delivery_id)
             WHERE status <> 'duplicate'",
        "CREATE INDEX intake_subject ON intake (subject, id)",
    ],
    sqlite: &[],
    postgres: &[],
}, Migration {
    version: 8,
    name: "outbox steps about an intake event",
    // A delivery refused by intake can have a step of its own (a note on
    // the tracker issue saying what is missing): such a step belongs to
    // its inbox row (`intake_id`), not to a decision. SQLite cannot drop a
    // NOT NULL: the column's text in the schema is loosened, as migration 5
    // loosened a CHECK.
    common: &["ALTER TABLE outbox ADD COLUMN intake_id TEXT"],
    sqlite: &[
        "PRAGMA writable_schema = ON",
        "UPDATE sqlite_schema SET sql = replace(sql,
             'decision_id TEXT NOT NULL REFERENCES decision_log (decision_id)',
             'decision_id TEXT REFERENCES decision_log (decision_id)')
         WHERE type = 'table' AND name = 'outbox'",
        "PRAGMA writable_schema = OFF",
        SCHEMA_EDIT,
    ],
    postgres: &["ALTER TABLE outbox ALTER COLUMN decision_id DROP NOT NULL"],
}];

/// Stands for "bump SQLite's schema cookie" among a migration's
/// statements: the runner reads `PRAGMA schema_version` and sets it one
/// higher, so every connection reads the edited schema again.
const SCHEMA_EDIT: &str = "-- bump the schema cookie";

/// Migration 6's rows: the `url_key` of every ticket stored before it.
async fn fill_url_keys(conn: &mut AnyConnection) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT id, url FROM tickets WHERE url_key IS NULL")
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::db("reading the tickets' URLs"))?;
    for row in rows {
        let id: String = row
            .try_get("id")
            .map_err(StoreError::db("reading the tickets' URLs"))?;
        let url: String = row
            .try_get("url")
            .map_err(StoreError::db("reading the tickets' URLs"))?;
        sqlx::query("UPDATE tickets SET url_key = $1 WHERE id = $2")
            .bind(crate::records::url_key(&url))
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db("storing the tickets' URL keys"))?;
    }
    Ok(())
}

/// The statements of `migration` for `backend`, in order.
fn statements(migration: &Migration, backend: Backend) -> impl Iterator<Item = &'static str> {
    let specific = match backend {
        Backend::Sqlite => migration.sqlite,
        Backend::Postgres => migration.postgres,
    };
    migration.common.iter().chain(specific.iter()).copied()
}

/// Brings the database up to [`SCHEMA_VERSION`]; returns the version found
/// before.
pub(crate) async fn migrate(pool: &AnyPool, backend: Backend) -> Result<i64, StoreError> {
    let mut tx = pool
        .begin()
        .await
        .map_err(StoreError::db("starting the migration transaction"))?;
    if backend == Backend::Postgres {
        // Instances migrating one database at once wait for each other.
        sqlx::query("SELECT pg_advisory_xact_lock(7346519283)")
            .execute(&mut *tx)
            .await
            .map_err(StoreError::db("taking the migration lock"))?;
    }
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version BIGINT PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .execute(&mut *tx)
    .await
    .map_err(StoreError::db("creating the schema_version table"))?;
    let found = current_version(&mut tx).await?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > found) {
        let fail = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        for statement in statements(migration, backend) {
            if statement == SCHEMA_EDIT {
                let row = sqlx::query("PRAGMA schema_version")
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(fail)?;
                let cookie: i64 = row.try_get(0).map_err(fail)?;
                sqlx::query(&format!(
                    "PRAGMA schema_version = {}",
                    cookie.saturating_add(1)
                ))
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
                continue;
            }
            sqlx::query(statement)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
        }
        sqlx::query("INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(migration.version)
            .bind(migration.name)
            .bind(crate::store::timestamp(chrono::Utc::now()))
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        if migration.version == 6 {
            fill_url_keys(&mut tx).await?;
        }
    }
    tx.commit()
        .await
        .map_err(StoreError::db("committing the migrations"))?;
    Ok(found)
}

/// The newest migration recorded in `schema_version` (0 for none).
pub(crate) async fn current_version(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT MAX(version) AS v FROM schema_version")
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::db("reading schema_version"))?;
    let version: Option<i64> = row
        .try_get("v")
        .map_err(StoreError::db("reading schema_version"))?;
    Ok(version.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_version_is_the_last_migration() {
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.version).collect();
        let expected: Vec<i64> = (1..=SCHEMA_VERSION).collect();
        assert_eq!(versions, expected);
    }
}
