//! Reading records back: the ticket, the subscription and what hangs off
//! them, as the core's fact-assembly records.

use sqlx::Row;

use entitle::domain::License;
use entitle::fact_source::{
    AccountRecord, CustomerRecord, Deployment, FactRecords, LicenseRecord, NamespaceRecord,
    SeatLinkRecord, SubscriptionRecord, TicketRecord, TrialRecord,
};

use super::StoredRecords;
use super::columns::Reader;
use crate::error::StoreError;
impl StoredRecords<'_> {
    /// The ticket `id`, or [`StoreError::NotFound`].
    pub async fn ticket(&self, id: &str) -> Result<TicketRecord, StoreError> {
        let row = sqlx::query(
            "SELECT id, url, requester_email, subscription_id, namespace_id,
                 admin_dashboard_screenshot, license_page_screenshot, screenshot_user_count,
                 internal_request
             FROM tickets WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.store.pool())
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

    /// The stored ticket whose URL is `url` however it is spelt (the same
    /// [`entitle::input::ticket_url_key`]), if any; of several, the first
    /// by id.
    pub async fn ticket_for_url(&self, url: &str) -> Result<Option<String>, StoreError> {
        let key = super::url_key(url);
        let row = sqlx::query("SELECT id FROM tickets WHERE url_key = $1 ORDER BY id LIMIT 1")
            .bind(key.as_str())
            .fetch_optional(self.store.pool())
            .await
            .map_err(StoreError::db("finding the ticket of a URL"))?;
        row.map(|row| row.try_get::<String, _>("id"))
            .transpose()
            .map_err(StoreError::db("finding the ticket of a URL"))
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
        .fetch_optional(self.store.pool())
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
            .fetch_optional(self.store.pool())
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
        .fetch_all(self.store.pool())
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
            .fetch_optional(self.store.pool())
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
        .fetch_all(self.store.pool())
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
        .fetch_all(self.store.pool())
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
                .fetch_optional(self.store.pool())
                .await
                .map_err(StoreError::db(format!("reading namespace `{id}`")))?;
        let Some(row) = row else { return Ok(None) };
        let r = Reader::new(&row, "namespace", id);
        let trial_rows = sqlx::query(
            "SELECT plan, starts_on, ends_on FROM namespace_trials WHERE namespace_id = $1
             ORDER BY starts_on",
        )
        .bind(id)
        .fetch_all(self.store.pool())
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
    /// has one ([`Outbox::license_of_ticket`](crate::Outbox::license_of_ticket): delivered or done by hand
    /// is `success`, dead or cancelled `failure`, under way `none`), else it
    /// is the value imported with the ticket.
    pub async fn for_ticket(&self, ticket_id: &str) -> Result<FactRecords, StoreError> {
        let mut ticket = self.ticket(ticket_id).await?;
        // The weekend workflow's record of the ticket is its license step,
        // when the outbox has one; else the value imported with the ticket.
        if let Some(state) = self
            .store
            .outbox()
            .outbox_internal_request(&ticket.id)
            .await?
        {
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

    /// [`StoredRecords::for_ticket`] for `ticket` as it is about to be
    /// stored (an intake delivery's ticket, written with its decision): the
    /// records it links, read from the store, and the ticket itself as
    /// given (its `internal_request` from the outbox, as for a stored one).
    pub async fn for_ticket_input(
        &self,
        ticket: &crate::TicketInput,
    ) -> Result<FactRecords, StoreError> {
        let mut record = TicketRecord {
            id: ticket.id.clone(),
            url: ticket.url.clone(),
            requester_email: ticket.requester_email.to_lowercase(),
            subscription_id: ticket.subscription_id.clone(),
            namespace_id: ticket.namespace_id.clone(),
            admin_dashboard_screenshot: ticket.admin_dashboard_screenshot,
            license_page_screenshot: ticket.license_page_screenshot,
            screenshot_user_count: ticket.screenshot_user_count,
            internal_request: ticket.internal_request,
        };
        if let Some(state) = self
            .store
            .outbox()
            .outbox_internal_request(&record.id)
            .await?
        {
            record.internal_request = state;
        }
        let mut records = self
            .load_records(
                record.subscription_id.as_deref(),
                &record.requester_email,
                record.namespace_id.as_deref(),
            )
            .await?;
        records.ticket = Some(record);
        Ok(records)
    }

    /// Every record that may matter to a decision about subscription
    /// `subscription_id` asked for by `requester_email` (no ticket). Fails
    /// with [`StoreError::NotFound`] when the subscription does not exist.
    pub async fn for_subscription(
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
