//! The registry: every policy of the spec, one file each, one line here.

crate::registry! {
    license_status => LicenseStatus,
    weekend_emergency => WeekendEmergency,
    emergency_license_follow_up => EmergencyLicenseFollowUp,
    weekday_emergency => WeekdayEmergency,
    license_emergency => LicenseEmergency,
    star_validity => StarValidity,
    star_self_managed => StarSelfManaged,
    star_saas => StarSaas,
    provision_failure => ProvisionFailure,
}
