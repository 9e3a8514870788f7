//! The registry: every policy of the spec, one file each, one line here.

mod emergency_scope;

crate::registry! {
    license_status => LicenseStatus: stored,
    weekend_emergency => WeekendEmergency: stored,
    emergency_license_follow_up => EmergencyLicenseFollowUp: stored,
    weekday_emergency => WeekdayEmergency: stored,
    license_emergency => LicenseEmergency: stored,
    star_validity => StarValidity,
    star_self_managed => StarSelfManaged: stored,
    star_saas => StarSaas: stored,
    provision_failure => ProvisionFailure,
}
