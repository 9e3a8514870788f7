//! The scope questions the two license emergency pages ask word for word
//! (spec 3.2 and 3.3, *Scope*): a customer with a **paid** plan, whose
//! license's grace period ended within the emergency window. Each page
//! adds them once with [`scope_questions`], after its own `is-weekend`
//! question; the node ids, texts and edges are the pages' own, so traces,
//! scenario paths and renderings are those of a page written out in full.

use crate::config::PolicyConfig;
use crate::domain::{Customer, CustomerStatus, License};
use crate::explain::{license_detail, window_detail};
use crate::graph::GraphBuilder;
use crate::policy::Outcome;
use crate::time;

/// The facts the scope questions read: the customer and the lapsed
/// license.
pub(crate) trait EmergencyScope: Send + Sync + 'static {
    /// The customer's billing status.
    fn customer(&self) -> &Customer;
    /// The license the customer wants replaced.
    fn license(&self) -> &License;
}

/// Adds `customer-status` (prospects and unpaid organizations are out of
/// scope), `license-active-or-in-grace` (a license still working has not
/// lapsed) and `grace-ended-outside-window` (too long ago for an
/// emergency), whose way on, in scope, is `next`. The outcomes
/// `out-of-scope-prospect`, `out-of-scope-unpaid`, `not-lapsed` and
/// `outside-emergency-window` are the page's.
pub(crate) fn scope_questions<F: EmergencyScope, O: Outcome>(
    g: &mut GraphBuilder<F, O, PolicyConfig>,
    next: &str,
) {
    g.question(
        "customer-status",
        "Is the customer on a paid plan?",
        |f: &F, _| f.customer().status,
    )
    .on(CustomerStatus::Prospect, "out-of-scope-prospect")
    .on(CustomerStatus::Unpaid, "out-of-scope-unpaid")
    .on(CustomerStatus::Paid, "license-active-or-in-grace");
    g.timed_question(
        "license-active-or-in-grace",
        "Is the license still active or in its grace period?",
        |f: &F, cx, want| time::is_active_or_in_grace_at(f.license(), cx).get(want),
    )
    .detail(|f, cx| license_detail(f.license(), cx))
    .yes("not-lapsed")
    .no("grace-ended-outside-window");
    g.timed_question(
        "grace-ended-outside-window",
        "Did the grace period end longer ago than the emergency window (3 days by default)?",
        |f: &F, cx, want| time::grace_ended_outside_window_at(f.license(), cx).get(want),
    )
    .detail(|f, cx| window_detail(f.license(), cx))
    .yes("outside-emergency-window")
    .no(next);
}
