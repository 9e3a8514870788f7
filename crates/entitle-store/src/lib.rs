//! entitle-store: the records policies decide on, kept in SQLite or
//! PostgreSQL, and the append-only decision log.
//!
//! One [`Store`] type serves both back-ends through sqlx's `Any` driver and
//! the same SQL (the decision-log writer alone calls SQLite itself for a
//! SQLite file: see [`DecisionLog::append`]): instants are RFC 3339 `TEXT`
//! in UTC, dates `YYYY-MM-DD` `TEXT`, booleans and counts `BIGINT`, JSON
//! `TEXT`. Only the triggers that make the decision log append-only differ
//! per back-end.
//!
//! [`Store::open`] takes `sqlite::memory:`, `sqlite:PATH`, `sqlite://PATH`,
//! a plain file path (SQLite), or `postgres://...`. A SQLite file is created
//! if missing; the schema is migrated on open (versioned SQL in one
//! transaction, recorded in `schema_version`). A path that cannot hold the
//! store (a directory, a file that is not a database, one this user may not
//! write) is refused at once with [`StoreError::CannotOpen`].
//!
//! The store's work is split by concern, each part a small type reached
//! from the store, so a reader sees what each part may do:
//!
//! | part | reached by | what it does |
//! | --- | --- | --- |
//! | [`DecisionLog`] | [`Store::log`] | append a decision with its outbox steps, read entries, replay them |
//! | [`Outbox`] | [`Store::outbox`] | steps for workers (claim, complete, fail) and for people (list, read, retry, cancel, mark done) |
//! | [`StoredRecords`] | [`Store::records`] | write a batch of records, read them back, assemble a policy's facts from them |
//! | [`Inbox`] | [`Store::inbox`] | the deliveries webhooks received, once per delivery id, with what each started |
//!
//! Reading and checking import files is [`import`]; replaying a log by URL
//! (read-only) is [`replay::replay`].
//!
//! - **Records**: [`StoredRecords::put`] upserts a [`Records`] batch (used
//!   by `entitle import`) in one transaction; [`StoredRecords::ticket`] and
//!   friends read them back.
//! - **Facts**: [`StoredRecords::facts_for_ticket`] assembles the facts of
//!   a policy for a ticket (`POST /v1/tickets/{id}/decisions/{policy}`),
//!   through the pure [`entitle::fact_source`] rules; missing rows are typed
//!   errors ([`StoreError::NotFound`]), policies whose facts are not stored
//!   give [`StoreError::FactsNotStored`].
//! - **Decision log**: [`DecisionLog::append`] appends an entry and returns
//!   once it is committed. Concurrent calls are batched by one writer task,
//!   on a thread of its own (group commit: one transaction per batch), so
//!   the log keeps up under load without dropping anything.
//!   [`DecisionLog::decision`] and [`DecisionLog::decisions`] read it. Rows
//!   of `decision_log` cannot be updated or deleted: triggers reject it on
//!   both back-ends.
//! - **Replay**: [`replay::replay`] and [`DecisionLog::replay`] re-decide the
//!   logged decisions under a proposed configuration and the policies as
//!   built now, reading the log in pages (`entitle replay`,
//!   `POST /v1/replay`).
//! - **Actions outbox**: a [`NewDecision`] carries its actions, routed to
//!   sinks by [`Routes`] ([`NewDecision::with_actions`],
//!   [`NewAction::from_report`]); they are written to `outbox` in the same
//!   transaction as the decision-log entry, one row (a *step*) per (action,
//!   sink). A ticket has at most one license step (a unique index):
//!   deciding its license again answers with the existing step
//!   ([`LoggedDecision::existing_license`]), and a `Regenerate` action
//!   retries that step if it died. Workers [`Outbox::claim`] (with
//!   `FOR UPDATE SKIP LOCKED` on PostgreSQL), [`Outbox::complete`] and
//!   [`Outbox::fail`]; people list ([`Outbox::actions`]), read
//!   ([`Outbox::action`]), [`Outbox::retry`], [`Outbox::cancel`] and
//!   [`Outbox::mark_done`]. Every status change is a row of `outbox_events`
//!   (append-only). The `internal_request` fact of a stored ticket comes
//!   from its license step when it has one.
//! - **Intake**: [`Inbox::log_decision`] writes a delivery's inbox row and
//!   the decision it starts in one transaction; [`Inbox::record`] and
//!   [`Inbox::record_refusal`] keep one that starts nothing.
//!
//! # Schema (version 8, [`SCHEMA_VERSION`])
//!
//! | table | key | columns |
//! | --- | --- | --- |
//! | `customers` | `id` | `name`, `status` (`paid`/`unpaid`/`prospect`) |
//! | `subscriptions` | `id` | `customer_id` → customers, `plan`, `deployment` (`self-managed`/`saas`), `license_contact_email` |
//! | `licenses` | `id` | `subscription_id` → subscriptions, `plan`, `trial` (0/1), `starts_on`, `expires_on`, `users` |
//! | `cdot_accounts` | `id` | `email` (unique, lower-case), `customer_id` → customers |
//! | `cdot_account_subscriptions` | (`account_id`, `subscription_id`) | which subscriptions an account may see |
//! | `seat_link_reports` | (`subscription_id`, `reported_on`) | `active_users` |
//! | `namespaces` | `id` | `path` (unique), `plan`, `subscription_id` → subscriptions |
//! | `namespace_trials` | (`namespace_id`, `starts_on`) | `plan`, `ends_on` |
//! | `tickets` | `id` | `url`, `requester_email`, `subscription_id`, `namespace_id`, `admin_dashboard_screenshot`, `license_page_screenshot`, `screenshot_user_count`, `internal_request` (`none`/`success`/`failure`), `url_key` (the URL's identity, however spelt) |
//! | `decision_log` | `decision_id` (UUID v7) | `policy`, `policy_version`, `decided_at` (the decision's `now`), `facts`, `config`, `outcome`, `details`, `stable_until`, `trace`, `role`, `request_id`, `ticket_id`, `logged_at` |
//! | `outbox` | `id` (UUID v7, the step's public id) | `decision_id` → decision_log (none for a note on a refused intake event), `intake_id` (that event), `seq` (unique per decision), `ticket_id`, `action_id`, `sink` (`manual`: a task for a person), `payload` (JSON: the step's own part, joined with its decision's `policy`, `policy_version`, `outcome`, `details` and `facts` when read), `payload_form` (`own`; `whole` for steps written before schema version 4, read as stored), `requires` and `inputs` (JSON arrays of `seq`s), `license_ticket` (unique where set), `generation` (retries by a person), `idempotency_key` (unique), `status`, `attempts`, `next_attempt_at`, `lease_until`, `claim_token`, `last_error`, `response` (JSON), `cancelled_by` (the step whose failure cancelled it), `created_at`, `updated_at` |
//! | `intake` | `id` (UUID v7) | `source` (`zendesk`/`gitlab`), `delivery_id` (unique per source but for `duplicate` rows), `received_at`, `status` (`decided`/`duplicate`/`refused`/`ignored`), `subject`, `policy`, `decision_id`, `first_id`, `reason`, `payload` (bounded) |
//! | `outbox_events` | `id` (ascending) | `action_row_id` → outbox, `at`, `actor` (a role or token id, `worker`, `outbox`), `from_status`, `to_status`, `note` |
//! | `schema_version` | `version` | `name`, `applied_at` |
//!
//! How facts are read from these records is in [`entitle::fact_source`].
//!
//! # Outbox steps
//!
//! Derived once, when the decision is logged: step k of an action requires
//! step k-1 and receives it as input; an action that *needs* X requires and
//! receives every step of X; one that *reports* on X only receives them. A
//! step runs once every lower `seq` of its decision is settled and every
//! step it requires succeeded.
//!
//! | status | meaning | next |
//! | --- | --- | --- |
//! | `pending` | waiting (its turn, or a person for a manual task) | `in-flight` (claimed), `cancelled`, `done-by-hand` |
//! | `in-flight` | claimed under a lease; a lease that runs out is claimed again with the same idempotency key | `delivered`, `failed`, `dead`, `cancelled` |
//! | `failed` | failed with retries left, due at `next_attempt_at` | `in-flight`, `pending` (retry), `cancelled`, `done-by-hand` |
//! | `dead` | failed for good: the unsettled steps requiring it are `cancelled` | `pending` (retry), `done-by-hand` |
//! | `cancelled` | by a person, or because a step it requires failed | `pending` (retry) |
//! | `delivered` | carried out | `pending` when a step it reports on is retried |
//! | `done-by-hand` | carried out by a person | — |
//!
//! A retry by a person resets the attempts, gives the step a new idempotency
//! key (`entitle-<id>-r<n>`), re-opens the steps its failure cancelled and
//! the delivered steps reporting on it; it is refused
//! ([`StoreError::ActionBlocked`]) while a step it requires is dead or
//! cancelled. Other refused changes are [`StoreError::ActionTransition`].
//!
//! # Durability
//!
//! SQLite runs in WAL mode with `synchronous = FULL` by default: every commit
//! fsyncs the WAL, so an acknowledged entry survives a process crash *and* a
//! power loss or OS crash. Group commit pays one fsync per batch, which keeps
//! `FULL` affordable. [`SqliteSynchronous::Normal`] trades the power-loss
//! guarantee for lower latency (an acknowledged entry still survives a
//! process crash). PostgreSQL commits with the server's settings (by default
//! `synchronous_commit = on`, `fsync = on`).
//!
//! # Example
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use entitle_store::{Store, DecisionFilter, JsonText, NewDecision};
//!
//! let store = Store::open("sqlite::memory:").await?;
//! let now = "2026-11-21T10:00:00Z".parse().unwrap();
//! let config = entitle::config::PolicyConfig::default();
//! let facts = br#"{"internal_request": "success"}"#;
//! let report = entitle::decide_json("emergency-license-follow-up", facts, now, &config).unwrap();
//! let entry = NewDecision::from_report(
//!     report,
//!     JsonText::parse(std::str::from_utf8(facts).unwrap()).unwrap(),
//!     "support-engineer",
//!     "req-1",
//!     None,
//! );
//! let logged = store.log().append(entry).await?;
//! let read = store.log().decision(&logged.decision_id).await?;
//! assert_eq!(read.outcome, "resend-from-success-record");
//! assert_eq!(store.log().decisions(&DecisionFilter::default()).await?.len(), 1);
//! store.close().await;
//! # Ok::<(), entitle_store::StoreError>(())
//! # }).unwrap();
//! ```

mod bind_values;
mod error;
mod facts;
pub mod import;
mod intake;
mod log;
mod outbox;
mod record_kinds;
mod records;
pub mod replay;
mod schema;
mod sqlite_file;
mod store;

pub use error::{StoreError, Violation};
pub use facts::{assemble, assemble_json, check_stored};
pub use intake::{
    Delivery, Inbox, Intake, IntakeEvent, IntakeFilter, IntakeStatus, MAX_KEPT_PAYLOAD,
    REFUSED_REQUEST_NOTE, RefusalNote,
};
pub use log::{
    DecisionFilter, DecisionLog, DecisionRecord, JsonText, LogStats, LoggedDecision, NewDecision,
};
pub use outbox::{
    ActionChange, ActionContext, ActionDetail, ActionEvent, ActionFilter, ActionRecord,
    ActionStatus, ByHand, ClaimedAction, Delivered, FromDecision, HandMade, MANUAL_SINK, NewAction,
    Origin, Outbox, Redelivery, Routes, StepActor, StepDetails, StepPayload, StepResult,
    StepTicket,
};
pub use records::{
    AccountInput, AccountSubscriptionInput, CustomerInput, LicenseInput, NamespaceInput,
    RecordCounts, RecordProblem, Records, SeatLinkInput, StoredRecords, SubscriptionInput,
    TicketInput, TrialInput,
};
pub use schema::SCHEMA_VERSION;
pub use store::{Backend, SqliteSynchronous, Store, StoreOptions};

/// The pure fact-assembly rules and record types, re-exported from the core.
pub use entitle::fact_source;
