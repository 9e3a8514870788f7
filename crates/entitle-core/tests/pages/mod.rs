//! The policies page by page: each module checks one policy against its
//! handbook page and the spec (its outcomes at every threshold, its flowchart
//! where the page has one, its safety rules), with the fixtures and
//! strategies the pages share.

use entitle_test_support::skip;

mod emergency_support;
mod fixtures;
mod star_support;

mod emergency_license_follow_up;
mod flowchart_star;
mod flowchart_weekday;
mod license_emergency;
mod license_status;
mod provision_failure;
mod star_saas;
mod star_self_managed;
mod star_validity;
mod weekday_emergency;
mod weekend_emergency;
