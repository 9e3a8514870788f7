//! Records: what `entitle import` writes, and how the facts of a ticket are
//! loaded.
//!
//! Every input type deserialises from JSON and from a CSV row (same field
//! names), rejects unknown fields, and is checked by [`Records::validate`]
//! before anything is written.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use entitle::domain::{CustomerStatus, License, Plan};
use entitle::fact_source::{
    AccountRecord, CustomerRecord, Deployment, FactRecords, LicenseRecord, NamespaceRecord,
    SeatLinkRecord, SubscriptionRecord, TicketRecord, TrialRecord,
};
use entitle::graph::Answer;
use entitle::policies::InternalRequest;

use crate::error::StoreError;
use crate::store::Store;

/// A customer to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// Stable id (`C-1001`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// `paid`, `unpaid` or `prospect`.
    pub status: CustomerStatus,
}

/// A CustomersDot account to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    /// Stable id.
    pub id: String,
    /// The account's email (stored lower-case; unique).
    pub email: String,
    /// The customer it belongs to, if any.
    #[serde(default)]
    pub customer_id: Option<String>,
}

/// Which subscription a CustomersDot account may see.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSubscriptionInput {
    /// The account.
    pub account_id: String,
    /// A subscription it may see.
    pub subscription_id: String,
}

/// A subscription to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// Stable id (`A-S00012345`).
    pub id: String,
    /// The owning customer.
    pub customer_id: String,
    /// `free`, `premium` or `ultimate`.
    pub plan: Plan,
    /// `self-managed` or `saas`.
    pub deployment: String,
    /// The license contact, if known.
    #[serde(default)]
    pub license_contact_email: Option<String>,
}

/// A license to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicenseInput {
    /// Stable id.
    pub id: String,
    /// The subscription it was issued for.
    pub subscription_id: String,
    /// `free`, `premium` or `ultimate`.
    pub plan: Plan,
    /// Whether it is a trial license.
    pub trial: bool,
    /// First valid date (`YYYY-MM-DD`).
    #[serde(deserialize_with = "entitle::input::de::date")]
    pub starts_on: NaiveDate,
    /// Expiry date (`YYYY-MM-DD`).
    #[serde(deserialize_with = "entitle::input::de::date")]
    pub expires_on: NaiveDate,
    /// Licensed users.
    pub users: u32,
}

/// A Seat Link report to store (one per subscription and date).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeatLinkInput {
    /// The subscription reported for.
    pub subscription_id: String,
    /// The date the report was received.
    #[serde(deserialize_with = "entitle::input::de::date")]
    pub reported_on: NaiveDate,
    /// Active users in the report, if given.
    #[serde(default)]
    pub active_users: Option<u32>,
}

/// A SaaS namespace to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespaceInput {
    /// Stable id.
    pub id: String,
    /// Full path (unique).
    pub path: String,
    /// The plan it is on now.
    pub plan: Plan,
    /// The subscription linked to it, if any.
    #[serde(default)]
    pub subscription_id: Option<String>,
}

/// A trial a namespace had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrialInput {
    /// The namespace.
    pub namespace_id: String,
    /// Plan of the trial.
    pub plan: Plan,
    /// First day.
    #[serde(deserialize_with = "entitle::input::de::date")]
    pub starts_on: NaiveDate,
    /// Day it ends (exclusive).
    #[serde(deserialize_with = "entitle::input::de::date")]
    pub ends_on: NaiveDate,
}

/// A support ticket to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketInput {
    /// Stable id (the helpdesk's ticket number).
    pub id: String,
    /// The ticket's URL (`http://` or `https://`).
    pub url: String,
    /// Who asked (stored lower-case).
    pub requester_email: String,
    /// The subscription it is about, if known.
    #[serde(default)]
    pub subscription_id: Option<String>,
    /// The SaaS namespace it is about, if any.
    #[serde(default)]
    pub namespace_id: Option<String>,
    /// An Admin dashboard screenshot is attached (default false).
    #[serde(default)]
    pub admin_dashboard_screenshot: bool,
    /// A license page screenshot is attached (default false).
    #[serde(default)]
    pub license_page_screenshot: bool,
    /// The user count read from the screenshots, if any.
    #[serde(default)]
    pub screenshot_user_count: Option<u32>,
    /// The internal request recorded by the weekend workflow: `none`
    /// (default), `success` or `failure`.
    #[serde(default = "no_internal_request")]
    pub internal_request: InternalRequest,
}

fn no_internal_request() -> InternalRequest {
    InternalRequest::None
}

/// A batch of records to store, one array per entity. Its JSON form is the
/// `entitle import` file format; every array is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Records {
    /// Customers.
    #[serde(default)]
    pub customers: Vec<CustomerInput>,
    /// CustomersDot accounts.
    #[serde(default)]
    pub accounts: Vec<AccountInput>,
    /// Subscriptions.
    #[serde(default)]
    pub subscriptions: Vec<SubscriptionInput>,
    /// Which subscriptions each account may see.
    #[serde(default)]
    pub account_subscriptions: Vec<AccountSubscriptionInput>,
    /// Licenses.
    #[serde(default)]
    pub licenses: Vec<LicenseInput>,
    /// Seat Link reports.
    #[serde(default)]
    pub seat_link_reports: Vec<SeatLinkInput>,
    /// SaaS namespaces.
    #[serde(default)]
    pub namespaces: Vec<NamespaceInput>,
    /// Trials the namespaces had.
    #[serde(default)]
    pub namespace_trials: Vec<TrialInput>,
    /// Support tickets.
    #[serde(default)]
    pub tickets: Vec<TicketInput>,
}

/// How many records of each kind were written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RecordCounts {
    /// Customers.
    pub customers: usize,
    /// CustomersDot accounts.
    pub accounts: usize,
    /// Subscriptions.
    pub subscriptions: usize,
    /// Account-subscription links.
    pub account_subscriptions: usize,
    /// Licenses.
    pub licenses: usize,
    /// Seat Link reports.
    pub seat_link_reports: usize,
    /// Namespaces.
    pub namespaces: usize,
    /// Namespace trials.
    pub namespace_trials: usize,
    /// Tickets.
    pub tickets: usize,
}

impl RecordCounts {
    /// All records written.
    pub fn total(&self) -> usize {
        self.customers
            + self.accounts
            + self.subscriptions
            + self.account_subscriptions
            + self.licenses
            + self.seat_link_reports
            + self.namespaces
            + self.namespace_trials
            + self.tickets
    }
}

/// A field of a record that does not validate: `(entity, index, id, field, message)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    /// The array the record is in (`licenses`).
    pub entity: &'static str,
    /// Its position in that array (0-based).
    pub index: usize,
    /// The field.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn check_id(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else if value.len() > 200 {
        Err("is longer than 200 characters".to_owned())
    } else if value.trim() != value {
        Err(format!("`{value}` has leading or trailing white space"))
    } else {
        Ok(())
    }
}

fn check_email(value: &str) -> Result<(), String> {
    entitle::input::check_email(value).map_err(|e| e.to_string())
}

impl Records {
    /// Checks every record's fields that serde cannot (ids, emails, URLs,
    /// date order, deployments). Returns every problem, in order.
    pub fn validate(&self) -> Vec<RecordProblem> {
        let mut problems = Vec::new();
        let mut check =
            |entity: &'static str, index: usize, field: &'static str, r: Result<(), String>| {
                if let Err(message) = r {
                    problems.push(RecordProblem {
                        entity,
                        index,
                        field,
                        message,
                    });
                }
            };
        let opt = |v: &Option<String>| v.as_deref().map_or(Ok(()), check_id);
        for (i, c) in self.customers.iter().enumerate() {
            check("customers", i, "id", check_id(&c.id));
            check("customers", i, "name", check_id(&c.name));
        }
        for (i, a) in self.accounts.iter().enumerate() {
            check("accounts", i, "id", check_id(&a.id));
            check("accounts", i, "email", check_email(&a.email));
            check("accounts", i, "customer_id", opt(&a.customer_id));
        }
        for (i, s) in self.subscriptions.iter().enumerate() {
            check("subscriptions", i, "id", check_id(&s.id));
            check("subscriptions", i, "customer_id", check_id(&s.customer_id));
            check(
                "subscriptions",
                i,
                "deployment",
                Deployment::from_id(&s.deployment)
                    .map(|_| ())
                    .ok_or_else(|| {
                        format!(
                            "unknown deployment `{}`, expected `self-managed` or `saas`",
                            s.deployment
                        )
                    }),
            );
            check(
                "subscriptions",
                i,
                "license_contact_email",
                s.license_contact_email
                    .as_deref()
                    .map_or(Ok(()), check_email),
            );
        }
        for (i, a) in self.account_subscriptions.iter().enumerate() {
            check(
                "account_subscriptions",
                i,
                "account_id",
                check_id(&a.account_id),
            );
            check(
                "account_subscriptions",
                i,
                "subscription_id",
                check_id(&a.subscription_id),
            );
        }
        for (i, l) in self.licenses.iter().enumerate() {
            check("licenses", i, "id", check_id(&l.id));
            check(
                "licenses",
                i,
                "subscription_id",
                check_id(&l.subscription_id),
            );
            if l.expires_on < l.starts_on {
                check(
                    "licenses",
                    i,
                    "expires_on",
                    Err(format!(
                        "{} is before starts_on {}",
                        l.expires_on, l.starts_on
                    )),
                );
            }
        }
        for (i, r) in self.seat_link_reports.iter().enumerate() {
            check(
                "seat_link_reports",
                i,
                "subscription_id",
                check_id(&r.subscription_id),
            );
        }
        for (i, n) in self.namespaces.iter().enumerate() {
            check("namespaces", i, "id", check_id(&n.id));
            check("namespaces", i, "path", check_id(&n.path));
            check("namespaces", i, "subscription_id", opt(&n.subscription_id));
        }
        for (i, t) in self.namespace_trials.iter().enumerate() {
            check(
                "namespace_trials",
                i,
                "namespace_id",
                check_id(&t.namespace_id),
            );
            if t.ends_on < t.starts_on {
                check(
                    "namespace_trials",
                    i,
                    "ends_on",
                    Err(format!("{} is before starts_on {}", t.ends_on, t.starts_on)),
                );
            }
        }
        for (i, t) in self.tickets.iter().enumerate() {
            check("tickets", i, "id", check_id(&t.id));
            check(
                "tickets",
                i,
                "url",
                entitle::input::check_http_url(&t.url).map_err(|e| e.to_string()),
            );
            check(
                "tickets",
                i,
                "requester_email",
                check_email(&t.requester_email),
            );
            check("tickets", i, "subscription_id", opt(&t.subscription_id));
            check("tickets", i, "namespace_id", opt(&t.namespace_id));
        }
        problems
    }

    /// The number of records in the batch.
    pub fn len(&self) -> usize {
        self.customers.len()
            + self.accounts.len()
            + self.subscriptions.len()
            + self.account_subscriptions.len()
            + self.licenses.len()
            + self.seat_link_reports.len()
            + self.namespaces.len()
            + self.namespace_trials.len()
            + self.tickets.len()
    }

    /// True when the batch holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves every record of `other` into `self`.
    pub fn append(&mut self, mut other: Records) {
        self.customers.append(&mut other.customers);
        self.accounts.append(&mut other.accounts);
        self.subscriptions.append(&mut other.subscriptions);
        self.account_subscriptions
            .append(&mut other.account_subscriptions);
        self.licenses.append(&mut other.licenses);
        self.seat_link_reports.append(&mut other.seat_link_reports);
        self.namespaces.append(&mut other.namespaces);
        self.namespace_trials.append(&mut other.namespace_trials);
        self.tickets.append(&mut other.tickets);
    }
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

async fn exec<'q>(
    tx: &mut Transaction<'static, Any>,
    entity: &'static str,
    id: &str,
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>,
) -> Result<(), StoreError> {
    query.execute(&mut **tx).await.map_err(|e| {
        // The only unique columns besides the (upserted) keys: an account's
        // email and a namespace's path. Another record holds the value.
        let unique = e
            .as_database_error()
            .is_some_and(|d| d.is_unique_violation());
        match (unique, entity) {
            (true, "account" | "namespace") => {
                let field = if entity == "account" { "email" } else { "path" };
                StoreError::InvalidRecord {
                    entity,
                    id: id.to_owned(),
                    field,
                    message: format!("another {entity} in the store already has this {field}"),
                }
            }
            _ => StoreError::Database {
                context: format!("storing {entity} `{id}`"),
                source: e,
            },
        }
    })?;
    Ok(())
}

impl Store {
    /// Validates and upserts every record of `records` in one transaction
    /// (parents before children; a record with an existing id replaces it).
    /// A reference to a record that exists neither in the batch nor in the
    /// store fails the whole batch, naming the record.
    pub async fn put_records(&self, records: &Records) -> Result<RecordCounts, StoreError> {
        if let Some(p) = records.validate().into_iter().next() {
            return Err(StoreError::InvalidRecord {
                entity: p.entity,
                id: format!("#{}", p.index + 1),
                field: p.field,
                message: p.message,
            });
        }
        let mut tx = self
            .pool()
            .begin()
            .await
            .map_err(StoreError::db("starting the import transaction"))?;
        for c in &records.customers {
            let q = sqlx::query(
                "INSERT INTO customers (id, name, status) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status",
            )
            .bind(c.id.as_str())
            .bind(c.name.as_str())
            .bind(c.status.label());
            exec(&mut tx, "customer", &c.id, q).await?;
        }
        for a in &records.accounts {
            let q = sqlx::query(
                "INSERT INTO cdot_accounts (id, email, customer_id) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET email = excluded.email,
                     customer_id = excluded.customer_id",
            )
            .bind(a.id.as_str())
            .bind(a.email.to_lowercase())
            .bind(a.customer_id.as_deref());
            exec(&mut tx, "account", &a.id, q).await?;
        }
        for s in &records.subscriptions {
            let q = sqlx::query(
                "INSERT INTO subscriptions (id, customer_id, plan, deployment, license_contact_email)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,
                     plan = excluded.plan, deployment = excluded.deployment,
                     license_contact_email = excluded.license_contact_email",
            )
            .bind(s.id.as_str())
            .bind(s.customer_id.as_str())
            .bind(s.plan.label())
            .bind(s.deployment.as_str())
            .bind(s.license_contact_email.as_ref().map(|e| e.to_lowercase()));
            exec(&mut tx, "subscription", &s.id, q).await?;
        }
        for a in &records.account_subscriptions {
            let q = sqlx::query(
                "INSERT INTO cdot_account_subscriptions (account_id, subscription_id)
                 VALUES ($1, $2) ON CONFLICT (account_id, subscription_id) DO NOTHING",
            )
            .bind(a.account_id.as_str())
            .bind(a.subscription_id.as_str());
            let id = format!("{} -> {}", a.account_id, a.subscription_id);
            exec(&mut tx, "account subscription", &id, q).await?;
        }
        for l in &records.licenses {
            let q = sqlx::query(
                "INSERT INTO licenses (id, subscription_id, plan, trial, starts_on, expires_on, users)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (id) DO UPDATE SET subscription_id = excluded.subscription_id,
                     plan = excluded.plan, trial = excluded.trial, starts_on = excluded.starts_on,
                     expires_on = excluded.expires_on, users = excluded.users",
            )
            .bind(l.id.as_str())
            .bind(l.subscription_id.as_str())
            .bind(l.plan.label())
            .bind(flag(l.trial))
            .bind(l.starts_on.to_string())
            .bind(l.expires_on.to_string())
            .bind(i64::from(l.users));
            exec(&mut tx, "license", &l.id, q).await?;
        }
        for r in &records.seat_link_reports {
            let q = sqlx::query(
                "INSERT INTO seat_link_reports (subscription_id, reported_on, active_users)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (subscription_id, reported_on) DO UPDATE
                     SET active_users = excluded.active_users",
            )
            .bind(r.subscription_id.as_str())
            .bind(r.reported_on.to_string())
            .bind(r.active_users.map(i64::from));
            let id = format!("{} {}", r.subscription_id, r.reported_on);
            exec(&mut tx, "seat link report", &id, q).await?;
        }
        for n in &records.namespaces {
            let q = sqlx::query(
                "INSERT INTO namespaces (id, path, plan, subscription_id) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO UPDATE SET path = excluded.path, plan = excluded.plan,
                     subscription_id = excluded.subscription_id",
            )
            .bind(n.id.as_str())
            .bind(n.path.as_str())
            .bind(n.plan.label())
            .bind(n.subscription_id.as_deref());
            exec(&mut tx, "namespace", &n.id, q).await?;
        }
        for t in &records.namespace_trials {
            let q = sqlx::query(
                "INSERT INTO namespace_trials (namespace_id, plan, starts_on, ends_on)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (namespace_id, starts_on) DO UPDATE SET plan = excluded.plan,
                     ends_on = excluded.ends_on",
            )
            .bind(t.namespace_id.as_str())
            .bind(t.plan.label())
            .bind(t.starts_on.to_string())
            .bind(t.ends_on.to_string());
            let id = format!("{} {}", t.namespace_id, t.starts_on);
            exec(&mut tx, "namespace trial", &id, q).await?;
        }
        for t in &records.tickets {
            let q = sqlx::query(
                "INSERT INTO tickets (id, url, requester_email, subscription_id, namespace_id,
                     admin_dashboard_screenshot, license_page_screenshot, screenshot_user_count,
                     internal_request)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (id) DO UPDATE SET url = excluded.url,
                     requester_email = excluded.requester_email,
                     subscription_id = excluded.subscription_id,
                     namespace_id = excluded.namespace_id,
                     admin_dashboard_screenshot = excluded.admin_dashboard_screenshot,
                     license_page_screenshot = excluded.license_page_screenshot,
                     screenshot_user_count = excluded.screenshot_user_count,
                     internal_request = excluded.internal_request",
            )
            .bind(t.id.as_str())
            .bind(t.url.as_str())
            .bind(t.requester_email.to_lowercase())
            .bind(t.subscription_id.as_deref())
            .bind(t.namespace_id.as_deref())
            .bind(flag(t.admin_dashboard_screenshot))
            .bind(flag(t.license_page_screenshot))
            .bind(t.screenshot_user_count.map(i64::from))
            .bind(t.internal_request.label());
            exec(&mut tx, "ticket", &t.id, q).await?;
        }
        tx.commit()
            .await
            .map_err(StoreError::db("committing the import"))?;
        Ok(RecordCounts {
            customers: records.customers.len(),
            accounts: records.accounts.len(),
            subscriptions: records.subscriptions.len(),
            account_subscriptions: records.account_subscriptions.len(),
            licenses: records.licenses.len(),
            seat_link_reports: records.seat_link_reports.len(),
            namespaces: records.namespaces.len(),
            namespace_trials: records.namespace_trials.len(),
            tickets: records.tickets.len(),
        })
    }

    /// Whether a record of `entity` (`customer`, `account`, `subscription`,
    /// `license`, `namespace`, `ticket`) has the id `id`.
    pub async fn exists(&self, entity: &str, id: &str) -> Result<bool, StoreError> {
        let sql = match entity {
            "customer" => "SELECT 1 FROM customers WHERE id = $1",
            "account" => "SELECT 1 FROM cdot_accounts WHERE id = $1",
            "subscription" => "SELECT 1 FROM subscriptions WHERE id = $1",
            "license" => "SELECT 1 FROM licenses WHERE id = $1",
            "namespace" => "SELECT 1 FROM namespaces WHERE id = $1",
            "ticket" => "SELECT 1 FROM tickets WHERE id = $1",
            _ => return Ok(false),
        };
        let row = sqlx::query(sql)
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(StoreError::db(format!("looking up {entity} `{id}`")))?;
        Ok(row.is_some())
    }

    /// The id of the stored record whose unique column holds `value`: an
    /// `account`'s `email` (compared lower-case) or a `namespace`'s `path`.
    /// `None` when no record holds it (or for any other column).
    pub async fn unique_holder(
        &self,
        entity: &str,
        field: &str,
        value: &str,
    ) -> Result<Option<String>, StoreError> {
        let (sql, value) = match (entity, field) {
            ("account", "email") => (
                "SELECT id FROM cdot_accounts WHERE email = $1",
                value.to_lowercase(),
            ),
            ("namespace", "path") => (
                "SELECT id FROM namespaces WHERE path = $1",
                value.to_owned(),
            ),
            _ => return Ok(None),
        };
        let row = sqlx::query(sql)
            .bind(value.as_str())
            .fetch_optional(self.pool())
            .await
            .map_err(StoreError::db(format!(
                "looking up the {entity} with {field} `{value}`"
            )))?;
        row.map(|r| sqlx::Row::try_get::<String, _>(&r, "id"))
            .transpose()
            .map_err(StoreError::db(format!(
                "reading the {entity} with {field} `{value}`"
            )))
    }

    /// The ticket `id`, or [`StoreError::NotFound`].
    pub async fn ticket(&self, id: &str) -> Result<TicketRecord, StoreError> {
        let row = sqlx::query(
            "SELECT id, url, requester_email, subscription_id, namespace_id,
                 admin_dashboard_screenshot, license_page_screenshot, screenshot_user_count,
                 internal_request
             FROM tickets WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::db(format!("reading ticket `{id}`")))?;
        let row = row.ok_or_else(|| StoreError::NotFound {
            entity: "ticket",
            id: id.to_owned(),
        })?;
        let r = Reader::new(&row, "ticket", id);
        Ok(TicketRecord {
            id: r.text("id")?,
            url: r.text("url")?,
            requester_email: r.text("requester_email")?,
            subscription_id: r.opt_text("subscription_id")?,
            namespace_id: r.opt_text("namespace_id")?,
            admin_dashboard_screenshot: r.flag("admin_dashboard_screenshot")?,
            license_page_screenshot: r.flag("license_page_screenshot")?,
            screenshot_user_count: r.opt_u32("screenshot_user_count")?,
            internal_request: r.answer("internal_request")?,
        })
    }

    /// The subscription `id`, or [`StoreError::NotFound`].
    pub async fn subscription(&self, id: &str) -> Result<SubscriptionRecord, StoreError> {
        self.find_subscription(id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "subscription",
                id: id.to_owned(),
            })
    }

    async fn find_subscription(&self, id: &str) -> Result<Option<SubscriptionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, customer_id, plan, deployment, license_contact_email
             FROM subscriptions WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await
        .map_err(StoreError::db(format!("reading subscription `{id}`")))?;
        let Some(row) = row else { return Ok(None) };
        let r = Reader::new(&row, "subscription", id);
        let deployment = r.text("deployment")?;
        Ok(Some(SubscriptionRecord {
            id: r.text("id")?,
            customer_id: r.text("customer_id")?,
            plan: r.answer("plan")?,
            deployment: Deployment::from_id(&deployment)
                .ok_or_else(|| r.corrupt("deployment", format!("unknown `{deployment}`")))?,
            license_contact_email: r.opt_text("license_contact_email")?,
        }))
    }

    /// The customer `id`, or [`StoreError::NotFound`].
    pub async fn customer(&self, id: &str) -> Result<CustomerRecord, StoreError> {
        let row = sqlx::query("SELECT id, name, status FROM customers WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(StoreError::db(format!("reading customer `{id}`")))?;
        let row = row.ok_or_else(|| StoreError::NotFound {
            entity: "customer",
            id: id.to_owned(),
        })?;
        let r = Reader::new(&row, "customer", id);
        Ok(CustomerRecord {
            id: r.text("id")?,
            name: r.text("name")?,
            status: r.answer("status")?,
        })
    }

    async fn licenses_of(&self, subscription_id: &str) -> Result<Vec<LicenseRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, subscription_id, plan, trial, starts_on, expires_on, users
             FROM licenses WHERE subscription_id = $1 ORDER BY id",
        )
        .bind(subscription_id)
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::db(format!(
            "reading the licenses of subscription `{subscription_id}`"
        )))?;
        rows.iter()
            .map(|row| {
                let id: String = row
                    .try_get("id")
                    .map_err(StoreError::db("reading a license"))?;
                let r = Reader::new(row, "license", &id);
                Ok(LicenseRecord {
                    subscription_id: r.text("subscription_id")?,
                    license: License {
                        plan: r.answer("plan")?,
                        trial: r.flag("trial")?,
                        starts_on: r.date("starts_on")?,
                        expires_on: r.date("expires_on")?,
                        users: r.u32("users")?,
                    },
                    id,
                })
            })
            .collect()
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<AccountRecord>, StoreError> {
        let row = sqlx::query("SELECT id, email, customer_id FROM cdot_accounts WHERE email = $1")
            .bind(email.to_lowercase())
            .fetch_optional(self.pool())
            .await
            .map_err(StoreError::db(format!("reading the account of `{email}`")))?;
        let Some(row) = row else { return Ok(None) };
        let r = Reader::new(&row, "account", email);
        Ok(Some(AccountRecord {
            id: r.text("id")?,
            email: r.text("email")?,
            customer_id: r.opt_text("customer_id")?,
        }))
    }

    async fn account_subscriptions(&self, account_id: &str) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT subscription_id FROM cdot_account_subscriptions WHERE account_id = $1
             ORDER BY subscription_id",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::db(format!(
            "reading the subscriptions of account `{account_id}`"
        )))?;
        rows.iter()
            .map(|row| {
                row.try_get::<String, _>("subscription_id")
                    .map_err(StoreError::db("reading an account subscription"))
            })
            .collect()
    }

    async fn seat_links_of(
        &self,
        subscription_id: &str,
    ) -> Result<Vec<SeatLinkRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT subscription_id, reported_on, active_users FROM seat_link_reports
             WHERE subscription_id = $1 ORDER BY reported_on",
        )
        .bind(subscription_id)
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::db(format!(
            "reading the Seat Link reports of subscription `{subscription_id}`"
        )))?;
        rows.iter()
            .map(|row| {
                let r = Reader::new(row, "seat link report", subscription_id);
                Ok(SeatLinkRecord {
                    subscription_id: r.text("subscription_id")?,
                    reported_on: r.date("reported_on")?,
                    active_users: r.opt_u32("active_users")?,
                })
            })
            .collect()
    }

    /// The namespace `id` with its trial history, or [`StoreError::NotFound`].
    pub async fn namespace(&self, id: &str) -> Result<NamespaceRecord, StoreError> {
        self.find_namespace(id)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                entity: "namespace",
                id: id.to_owned(),
            })
    }

    async fn find_namespace(&self, id: &str) -> Result<Option<NamespaceRecord>, StoreError> {
        let row =
            sqlx::query("SELECT id, path, plan, subscription_id FROM namespaces WHERE id = $1")
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(StoreError::db(format!("reading namespace `{id}`")))?;
        let Some(row) = row else { return Ok(None) };
        let r = Reader::new(&row, "namespace", id);
        let trial_rows = sqlx::query(
            "SELECT plan, starts_on, ends_on FROM namespace_trials WHERE namespace_id = $1
             ORDER BY starts_on",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await
        .map_err(StoreError::db(format!(
            "reading the trials of namespace `{id}`"
        )))?;
        let trials = trial_rows
            .iter()
            .map(|row| {
                let t = Reader::new(row, "namespace trial", id);
                Ok(TrialRecord {
                    plan: t.answer("plan")?,
                    starts_on: t.date("starts_on")?,
                    ends_on: t.date("ends_on")?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Some(NamespaceRecord {
            id: r.text("id")?,
            path: r.text("path")?,
            plan: r.answer("plan")?,
            subscription_id: r.opt_text("subscription_id")?,
            trials,
        }))
    }

    /// Every record that may matter to a decision about ticket `ticket_id`.
    /// Fails with [`StoreError::NotFound`] when the ticket does not exist;
    /// records the ticket links that are missing are left out (the policies
    /// that need them fail when assembling, naming them). The ticket's
    /// `internal_request` comes from its license step in the outbox when it
    /// has one ([`Store::ticket_license_action`]: delivered or done by hand
    /// is `success`, dead or cancelled `failure`, under way `none`), else it
    /// is the value imported with the ticket.
    pub async fn records_for_ticket(&self, ticket_id: &str) -> Result<FactRecords, StoreError> {
        let mut ticket = self.ticket(ticket_id).await?;
        // The weekend workflow's record of the ticket is its license step,
        // when the outbox has one; else the value imported with the ticket.
        if let Some(state) = self.outbox_internal_request(&ticket.id).await? {
            ticket.internal_request = state;
        }
        let mut records = self
            .load_records(
                ticket.subscription_id.as_deref(),
                &ticket.requester_email,
                ticket.namespace_id.as_deref(),
            )
            .await?;
        records.ticket = Some(ticket);
        Ok(records)
    }

    /// Every record that may matter to a decision about subscription
    /// `subscription_id` asked for by `requester_email` (no ticket). Fails
    /// with [`StoreError::NotFound`] when the subscription does not exist.
    pub async fn records_for_subscription(
        &self,
        subscription_id: &str,
        requester_email: &str,
    ) -> Result<FactRecords, StoreError> {
        let records = self
            .load_records(Some(subscription_id), requester_email, None)
            .await?;
        if records.subscription.is_none() {
            return Err(StoreError::NotFound {
                entity: "subscription",
                id: subscription_id.to_owned(),
            });
        }
        Ok(records)
    }

    async fn load_records(
        &self,
        subscription_id: Option<&str>,
        requester_email: &str,
        namespace_id: Option<&str>,
    ) -> Result<FactRecords, StoreError> {
        let subscription = match subscription_id {
            Some(id) => self.find_subscription(id).await?,
            None => None,
        };
        let (customer, licenses, seat_link_reports) = match &subscription {
            Some(s) => {
                let customer = match self.customer(&s.customer_id).await {
                    Ok(c) => Some(c),
                    Err(StoreError::NotFound { .. }) => None,
                    Err(e) => return Err(e),
                };
                (
                    customer,
                    self.licenses_of(&s.id).await?,
                    self.seat_links_of(&s.id).await?,
                )
            }
            None => (None, Vec::new(), Vec::new()),
        };
        let requester_account = self.account_by_email(requester_email).await?;
        let account_subscription_ids = match &requester_account {
            Some(a) => self.account_subscriptions(&a.id).await?,
            None => Vec::new(),
        };
        let namespace = match namespace_id {
            Some(id) => self.find_namespace(id).await?,
            None => None,
        };
        Ok(FactRecords {
            ticket: None,
            requester_email: requester_email.to_lowercase(),
            subscription,
            customer,
            licenses,
            requester_account,
            account_subscription_ids,
            seat_link_reports,
            namespace,
        })
    }
}

/// Reads typed columns of one row, naming the row and column on error.
struct Reader<'a> {
    row: &'a AnyRow,
    entity: &'static str,
    id: &'a str,
}

impl<'a> Reader<'a> {
    fn new(row: &'a AnyRow, entity: &'static str, id: &'a str) -> Self {
        Self { row, entity, id }
    }

    fn corrupt(&self, field: &'static str, message: String) -> StoreError {
        StoreError::Corrupt {
            entity: self.entity,
            id: self.id.to_owned(),
            field,
            message,
        }
    }

    fn text(&self, column: &'static str) -> Result<String, StoreError> {
        self.row
            .try_get(column)
            .map_err(|e| self.corrupt(column, e.to_string()))
    }

    fn opt_text(&self, column: &'static str) -> Result<Option<String>, StoreError> {
        self.row
            .try_get(column)
            .map_err(|e| self.corrupt(column, e.to_string()))
    }

    fn int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
        self.row
            .try_get::<Option<i64>, _>(column)
            .map_err(|e| self.corrupt(column, e.to_string()))
    }

    fn flag(&self, column: &'static str) -> Result<bool, StoreError> {
        match self.int(column)? {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            other => Err(self.corrupt(column, format!("{other:?} is not 0 or 1"))),
        }
    }

    fn u32(&self, column: &'static str) -> Result<u32, StoreError> {
        self.opt_u32(column)?
            .ok_or_else(|| self.corrupt(column, "is NULL".to_owned()))
    }

    fn opt_u32(&self, column: &'static str) -> Result<Option<u32>, StoreError> {
        self.int(column)?
            .map(|v| {
                u32::try_from(v).map_err(|_| self.corrupt(column, format!("{v} is not a u32")))
            })
            .transpose()
    }

    fn date(&self, column: &'static str) -> Result<NaiveDate, StoreError> {
        let text = self.text(column)?;
        text.parse()
            .map_err(|e| self.corrupt(column, format!("`{text}`: {e}")))
    }

    fn answer<A: Answer>(&self, column: &'static str) -> Result<A, StoreError> {
        let text = self.text(column)?;
        A::ALL
            .iter()
            .copied()
            .find(|a| a.label() == text)
            .ok_or_else(|| self.corrupt(column, format!("unknown value `{text}`")))
    }
}
