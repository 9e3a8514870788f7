//! How [`FactRecords`] answers [`FactSource`]: the rules of the module
//! documentation, each in one place.

use chrono::NaiveDate;

use super::{
    FactRecords, FactSource, FactSourceError, LicenseRecord, SubscriptionRecord, TicketRecord,
};
use crate::domain::{Customer, License, Namespace};
use crate::input::{Email, HttpUrl, InputError};
use crate::policies::InternalRequest;

impl FactRecords {
    fn owner(&self) -> String {
        match &self.ticket {
            Some(t) => format!("ticket `{}`", t.id),
            None => "the request".to_owned(),
        }
    }

    /// A stored `field` that fails its check.
    fn invalid(&self, field: &'static str, error: &InputError) -> FactSourceError {
        FactSourceError::Invalid {
            owner: self.owner(),
            field,
            message: error.to_string(),
        }
    }

    fn ticket_record(&self) -> Result<&TicketRecord, FactSourceError> {
        self.ticket.as_ref().ok_or(FactSourceError::NotLinked {
            owner: "the request".to_owned(),
            entity: "ticket",
        })
    }

    fn subscription_record(&self) -> Result<&SubscriptionRecord, FactSourceError> {
        if let Some(s) = &self.subscription {
            return Ok(s);
        }
        match self.ticket.as_ref().and_then(|t| t.subscription_id.clone()) {
            Some(id) => Err(FactSourceError::NotFound {
                entity: "subscription",
                id,
            }),
            None => Err(FactSourceError::NotLinked {
                owner: self.owner(),
                entity: "subscription",
            }),
        }
    }

    /// The subscription's current license record: the one that starts last
    /// (ties: expires last, then the greatest id).
    pub fn current_license(&self) -> Result<&LicenseRecord, FactSourceError> {
        let subscription = self.subscription_record()?;
        self.licenses
            .iter()
            .filter(|l| l.subscription_id == subscription.id)
            .max_by(|a, b| {
                (a.license.starts_on, a.license.expires_on, &a.id).cmp(&(
                    b.license.starts_on,
                    b.license.expires_on,
                    &b.id,
                ))
            })
            .ok_or_else(|| FactSourceError::NoLicense {
                subscription: subscription.id.clone(),
            })
    }
}

impl FactSource for FactRecords {
    fn customer(&self) -> Result<Customer, FactSourceError> {
        let subscription = self.subscription_record()?;
        match &self.customer {
            Some(c) if c.id == subscription.customer_id => Ok(Customer { status: c.status }),
            _ => Err(FactSourceError::NotFound {
                entity: "customer",
                id: subscription.customer_id.clone(),
            }),
        }
    }

    fn license(&self) -> Result<License, FactSourceError> {
        self.current_license().map(|l| l.license)
    }

    fn namespace(&self) -> Result<Namespace, FactSourceError> {
        if let Some(n) = &self.namespace {
            return Ok(Namespace {
                had_trial: !n.trials.is_empty(),
                has_subscription: n.subscription_id.is_some(),
                plan: n.plan,
            });
        }
        match self.ticket.as_ref().and_then(|t| t.namespace_id.clone()) {
            Some(id) => Err(FactSourceError::NotFound {
                entity: "namespace",
                id,
            }),
            None => Err(FactSourceError::NotLinked {
                owner: self.owner(),
                entity: "namespace",
            }),
        }
    }

    fn requester_email(&self) -> Result<Email, FactSourceError> {
        Email::parse(self.requester_email.as_str()).map_err(|e| self.invalid("requester_email", &e))
    }

    fn ticket_url(&self) -> Result<HttpUrl, FactSourceError> {
        HttpUrl::parse(self.ticket_record()?.url.as_str()).map_err(|e| self.invalid("url", &e))
    }

    fn screenshots(&self) -> Result<(bool, bool), FactSourceError> {
        let t = self.ticket_record()?;
        Ok((t.admin_dashboard_screenshot, t.license_page_screenshot))
    }

    fn screenshot_user_count(&self) -> Result<Option<u32>, FactSourceError> {
        Ok(self.ticket_record()?.screenshot_user_count)
    }

    fn requester_has_cdot_account(&self) -> bool {
        self.requester_account
            .as_ref()
            .is_some_and(|a| a.email.eq_ignore_ascii_case(&self.requester_email))
    }

    fn account_has_subscription_access(&self) -> Result<bool, FactSourceError> {
        let subscription = self.subscription_record()?;
        Ok(self.requester_has_cdot_account()
            && self.account_subscription_ids.contains(&subscription.id))
    }

    fn seat_link_dates(&self) -> Result<Vec<NaiveDate>, FactSourceError> {
        let subscription = self.subscription_record()?;
        let mut dates: Vec<NaiveDate> = self
            .seat_link_reports
            .iter()
            .filter(|r| r.subscription_id == subscription.id)
            .map(|r| r.reported_on)
            .collect();
        dates.sort_unstable();
        dates.dedup();
        Ok(dates)
    }

    fn internal_request(&self) -> Result<InternalRequest, FactSourceError> {
        Ok(self.ticket_record()?.internal_request)
    }

    fn has_ticket(&self) -> bool {
        self.ticket.is_some()
    }

    fn is_license_contact(&self, email: &str) -> Result<bool, FactSourceError> {
        let subscription = self.subscription_record()?;
        match &subscription.license_contact_email {
            Some(contact) => Ok(contact.eq_ignore_ascii_case(email.trim())),
            None => Err(FactSourceError::MissingField {
                entity: "subscription",
                id: subscription.id.clone(),
                field: "license_contact_email",
            }),
        }
    }
}
