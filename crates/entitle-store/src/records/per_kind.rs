//! What differs between the record kinds: each input type's field checks,
//! keys, references and upsert (the kinds themselves are listed once, in
//! `record_kinds.rs`).

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

use entitle::fact_source::Deployment;
use entitle::graph::Answer as _;

use super::{
    AccountInput, AccountSubscriptionInput, CustomerInput, LicenseInput, NamespaceInput,
    SeatLinkInput, SubscriptionInput, TicketInput, TrialInput, check_email, check_id,
};
use crate::record_kinds::RecordRow;

type Check<'a> = &'a mut dyn FnMut(&'static str, Result<(), String>);
type Upsert<'q> = Query<'q, Any, AnyArguments<'q>>;

fn opt_id(value: &Option<String>) -> Result<(), String> {
    value.as_deref().map_or(Ok(()), check_id)
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

impl RecordRow for CustomerInput {
    const KEYED: bool = true;
    fn check(&self, check: Check<'_>) {
        check("id", check_id(&self.id));
        check("name", check_id(&self.name));
    }
    fn batch_key(&self) -> String {
        self.id.clone()
    }
    fn store_id(&self) -> String {
        self.id.clone()
    }
    fn record_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn references(&self) -> Vec<(&'static str, &'static str, &str)> {
        Vec::new()
    }
    fn upsert(&self) -> Upsert<'_> {
        sqlx::query(
            "INSERT INTO customers (id, name, status) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status",
        )
        .bind(self.id.as_str())
        .bind(self.name.as_str())
        .bind(self.status.label())
    }
}

impl RecordRow for AccountInput {
    const KEYED: bool = true;
    fn check(&self, check: Check<'_>) {
        check("id", check_id(&self.id));
        check("email", check_email(&self.email));
        check("customer_id", opt_id(&self.customer_id));
    }
    fn batch_key(&self) -> String {
        self.id.clone()
    }
    fn store_id(&self) -> String {
        self.id.clone()
    }
    fn record_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn references(&self) -> Vec<(&'static str, &'static str, &str)> {
        self.customer_id
            .as_deref()
            .map(|c| ("customer_id", "customer", c))
            .into_iter()
            .collect()
    }
    fn upsert(&self) -> Upsert<'_> {
        sqlx::query(
            "INSERT INTO cdot_accounts (id, email, customer_id) VALUES ($1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET email = excluded.email,
                 customer_id = excluded.customer_id",
        )
        .bind(self.id.as_str())
        .bind(self.email.to_lowercase())
        .bind(self.customer_id.as_deref())
    }
}

impl RecordRow for SubscriptionInput {
    const KEYED: bool = true;
    fn check(&self, check: Check<'_>) {
        check("id", check_id(&self.id));
        check("customer_id", check_id(&self.customer_id));
        check(
            "deployment",
            Deployment::from_id(&self.deployment)
                .map(|_| ())
                .ok_or_else(|| {
                    format!(
                        "unknown deployment `{}`, expected `self-managed` or `saas`",
                        entitle::input::escaped(&self.deployment)
                    )
                }),
        );
        check(
            "license_contact_email",
            self.license_contact_email
                .as_deref()
                .map_or(Ok(()), check_email),
        );
    }
    fn batch_key(&self) -> String {
        self.id.clone()
    }
    fn store_id(&self) -> String {
        self.id.clone()
    }
    fn record_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn references(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![("customer_id", "customer", &self.customer_id)]
    }
    fn upsert(&self) -> Upsert<'_> {
        sqlx::query(
            "INSERT INTO subscriptions (id, customer_id, plan, deployment, license_contact_email)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,
                 plan = excluded.plan, deployment = excluded.deployment,
                 license_contact_email = excluded.license_contact_email",
        )
        .bind(self.id.as_str())
        .bind(self.customer_id.as_str())
        .bind(self.plan.label())
        .bind(self.deployment.as_str())
        .bind(
            self.license_contact_email
                .as_ref()
                .map(|e| e.to_lowercase()),
        )
    }
}

impl RecordRow for AccountSubscriptionInput {
    const KEYED: bool = false;
    fn check(&self, check: Check<'_>) {
        check("account_id", check_id(&self.account_id));
        check("subscription_id", check_id(&self.subscription_id));
    }
    fn batch_key(&self) -> String {
        format!("{} -> {}", self.account_id, self.subscription_id)
    }
    fn store_id(&self) -> String {
        self.batch_key()
    }
    fn record_id(&self) -> Option<&str> {
        None
    }
    fn references(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![
            ("account_id", "account", &self.account_id),
            ("subscription_id", "subscription", &self.subscription_id),
        ]
    }
    fn upsert(&self) -> Upsert<'_> {
        sqlx::query(
            "INSERT INTO cdot_account_subscriptions (account_id, subscription_id)
             VALUES ($1, $2) ON CONFLICT (account_id, subscription_id) DO NOTHING",
        )
        .bind(self.account_id.as_str())
        .bind(self.subscription_id.as_str())
    }
}

impl RecordRow for LicenseInput {
    const KEYED: bool = true;
    fn check(&self, check: Check<'_>) {
        check("id", check_id(&self.id));
        check("subscription_id", check_id(&self.subscription_id));
        if self.expires_on < self.starts_on {
            check(
                "expires_on",
                Err(format!(
                    "{} is before starts_on {}",
                    self.expires_on, self.starts_on
                )),
            );
        }
    }
    fn batch_key(&self) -> String {
        self.id.clone()
    }
    fn store_id(&self) -> String {
        self.id.clone()
    }
    fn record_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn references(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![("subscription_id", "subscription", &self.subscription_id)]
    }
    fn upsert(&self) -> Upsert<'_> {
        sqlx::query(
            "INSERT INTO licenses (id, subscription_id, plan, trial, starts_on, expires_on, users)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET subscription_id = excluded.subscription_id,
                 plan = excluded.plan, trial = excluded.trial, starts_on = excluded.starts_on,
                 expires_on = excluded.expires_on, users = excluded.users",
        )
        .bind(self.id.as_str())
        .bind(self.subscription_id.as_str())
        .bind(self.plan.label())
        .bind(flag(self.trial))
        .bind(self.starts_on.to_string())
        .bind(self.expires_on.to_string())
        .bind(i64::from(self.users))
    }
}

impl RecordRow for SeatLinkInput {
    const KEYED: bool = false;
    fn check(&self, check: Check<'_>) {
        check("subscription_id", check_id(&self.subscription_id));
    }
    fn batch_key(&self) -> String {
        format!("{} on {}", self.subscription_id, self.reported_on)
    }
    fn store_id(&self) -> String {
        format!("{} {}", self.subscription_id, self.reported_on)
    }
    fn record_id(&self) -> Option<&str> {
        None
    }
    fn references(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![("subscription_id", "subscription", &self.subscription_id)]
    }
    fn upsert(&self) -> Upsert<'_> {
        sqlx::query(
            "INSERT INTO seat_link_reports (subscription_id, reported_on, active_users)
             VALUES ($1, $2, $3)
             ON CONFLICT (subscription_id, reported_on) DO UPDATE
                 SET active_users = excluded.active_users",
        )
        .bind(self.subscription_id.as_str())
        .bind(self.reported_on.to_string())
        .bind(self.active_users.map(i64::from))
    }
}

impl RecordRow for NamespaceInput {
    const KEYED: bool = true;
    fn check(&self, check: Check<'_>) {
        check("id", check_id(&self.id));
        check("path", check_id(&self.path));
        check("subscription_id", opt_id(&self.subscription_id));
    }
    fn batch_key(&self) -> String {
        self.id.clone()
    }
    fn store_id(&self) -> String {
        self.id.clone()
    }
    fn record_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn references(&self) -> Vec<(&'static str, &'static str, &str)> {
        self.subscription_id
            .as_deref()
            .map(|s| ("subscription_id", "subscription", s))
            .into_iter()
            .collect()
    }
    fn upsert(&self) -> Upsert<'_> {
        sqlx::query(
            "INSERT INTO namespaces (id, path, plan, subscription_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET path = excluded.path, plan = excluded.plan,
                 subscription_id = excluded.subscription_id",
        )
        .bind(self.id.as_str())
        .bind(self.path.as_str())
        .bind(self.plan.label())
        .bind(self.subscription_id.as_deref())
    }
}

impl RecordRow for TrialInput {
    const KEYED: bool = false;
    fn check(&self, check: Check<'_>) {
        check("namespace_id", check_id(&self.namespace_id));
        if self.ends_on < self.starts_on {
            check(
                "ends_on",
                Err(format!(
                    "{} is before starts_on {}",
                    self.ends_on, self.starts_on
                )),
            );
        }
    }
    fn batch_key(&self) -> String {
        format!("{} from {}", self.namespace_id, self.starts_on)
    }
    fn store_id(&self) -> String {
        format!("{} {}", self.namespace_id, self.starts_on)
    }
    fn record_id(&self) -> Option<&str> {
        None
    }
    fn references(&self) -> Vec<(&'static str, &'static str, &str)> {
        vec![("namespace_id", "namespace", &self.namespace_id)]
    }
    fn upsert(&self) -> Upsert<'_> {
        sqlx::query(
            "INSERT INTO namespace_trials (namespace_id, plan, starts_on, ends_on)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (namespace_id, starts_on) DO UPDATE SET plan = excluded.plan,
                 ends_on = excluded.ends_on",
        )
        .bind(self.namespace_id.as_str())
        .bind(self.plan.label())
        .bind(self.starts_on.to_string())
        .bind(self.ends_on.to_string())
    }
}

impl RecordRow for TicketInput {
    const KEYED: bool = true;
    fn check(&self, check: Check<'_>) {
        check("id", check_id(&self.id));
        check(
            "url",
            entitle::input::check_http_url(&self.url).map_err(|e| e.to_string()),
        );
        check("requester_email", check_email(&self.requester_email));
        check("subscription_id", opt_id(&self.subscription_id));
        check("namespace_id", opt_id(&self.namespace_id));
    }
    fn batch_key(&self) -> String {
        self.id.clone()
    }
    fn store_id(&self) -> String {
        self.id.clone()
    }
    fn record_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn references(&self) -> Vec<(&'static str, &'static str, &str)> {
        let mut refs = Vec::new();
        if let Some(s) = &self.subscription_id {
            refs.push(("subscription_id", "subscription", s.as_str()));
        }
        if let Some(n) = &self.namespace_id {
            refs.push(("namespace_id", "namespace", n.as_str()));
        }
        refs
    }
    fn upsert(&self) -> Upsert<'_> {
        sqlx::query(
            "INSERT INTO tickets (id, url, requester_email, subscription_id, namespace_id,
                 admin_dashboard_screenshot, license_page_screenshot, screenshot_user_count,
                 internal_request, url_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO UPDATE SET url = excluded.url, url_key = excluded.url_key,
                 requester_email = excluded.requester_email,
                 subscription_id = excluded.subscription_id,
                 namespace_id = excluded.namespace_id,
                 admin_dashboard_screenshot = excluded.admin_dashboard_screenshot,
                 license_page_screenshot = excluded.license_page_screenshot,
                 screenshot_user_count = excluded.screenshot_user_count,
                 internal_request = excluded.internal_request",
        )
        .bind(self.id.as_str())
        .bind(self.url.as_str())
        .bind(self.requester_email.to_lowercase())
        .bind(self.subscription_id.as_deref())
        .bind(self.namespace_id.as_deref())
        .bind(flag(self.admin_dashboard_screenshot))
        .bind(flag(self.license_page_screenshot))
        .bind(self.screenshot_user_count.map(i64::from))
        .bind(self.internal_request.label())
        .bind(super::url_key(&self.url))
    }
}
