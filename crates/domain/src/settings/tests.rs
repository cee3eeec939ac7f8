use std::time::Duration;

use proxicloud_store::{NewUser, Role};

use super::validate::Ipv4Cidr;
use super::*;
use crate::jobs::tests::support::principal_with_role;

async fn service() -> (SettingsService, Arc<dyn Store>) {
    let store = proxicloud_store::connect("sqlite::memory:")
        .await
        .expect("in-memory store");
    let service = SettingsService::load(store.clone(), Settings::default())
        .await
        .expect("settings load");
    (service, store)
}

/// An admin that exists in the store (writes record who made them).
async fn stored_admin(store: &dyn Store) -> Principal {
    let user = store
        .users()
        .create(NewUser {
            username: "root".into(),
            password_hash: "not-used".into(),
            role: Role::Admin,
            disabled: false,
        })
        .await
        .expect("user created");
    Principal {
        user_id: user.id,
        ..principal_with_role(Role::Admin)
    }
}

fn field_errors(result: DomainResult<Settings>) -> crate::FieldErrors {
    match result {
        Err(DomainError::Validation(fields)) => fields,
        other => panic!("expected field errors, got {other:?}"),
    }
}

#[test]
fn defaults_are_valid_and_use_prox_local() {
    let settings = Settings::default().validated().expect("defaults validate");
    assert_eq!(settings.network.dns_domain, "prox.local");
    assert_eq!(settings.system.poll_interval(), Duration::from_secs(10));
}

#[test]
fn subnets_must_be_networks_with_room_for_hosts() {
    assert!(Ipv4Cidr::parse("10.77.0.0/24").is_ok());
    assert!(
        Ipv4Cidr::parse("10.77.0.5/24")
            .unwrap_err()
            .contains("10.77.0.0/24")
    );
    assert!(Ipv4Cidr::parse("10.77.0.0/31").is_err());
    assert!(Ipv4Cidr::parse("10.77.0.0").is_err());
    assert!(Ipv4Cidr::parse("fd00::/64").is_err());
}

#[test]
fn every_invalid_field_is_reported_by_its_path() {
    let mut settings = Settings::default();
    settings.network.dhcp_range.start = "10.78.0.10".into();
    settings.network.dhcp_range.end = "10.77.0.255".into();
    settings.network.dns_domain = "-bad-.local".into();
    settings.resources.cores = 0;
    settings.resources.memory_mib = 1;
    settings.resources.disk_gib = 0;
    settings.system.log_level = "chatty".into();
    settings.system.poll_interval_secs = 0;
    settings.system.metrics_retention_days = 0;
    let fields = field_errors(settings.validated());
    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "network.dhcp_range.end",
            "network.dhcp_range.start",
            "network.dns_domain",
            "resources.cores",
            "resources.disk_gib",
            "resources.memory_mib",
            "system.log_level",
            "system.metrics_retention_days",
            "system.poll_interval_secs",
        ]
    );
    assert!(fields["network.dhcp_range.end"].contains("broadcast"));
}

#[test]
fn dhcp_range_must_run_forwards() {
    let mut settings = Settings::default();
    settings.network.dhcp_range.start = "10.77.0.200".into();
    settings.network.dhcp_range.end = "10.77.0.100".into();
    let fields = field_errors(settings.validated());
    assert!(fields["network.dhcp_range.end"].contains("before the start"));
}

#[test]
fn values_are_normalised() {
    let mut settings = Settings::default();
    settings.network.dns_domain = " Lab.Example.COM. ".into();
    settings.system.log_level = "DEBUG".into();
    let settings = settings.validated().expect("valid once normalised");
    assert_eq!(settings.network.dns_domain, "lab.example.com");
    assert_eq!(settings.system.log_level, "debug");
}

#[tokio::test]
async fn unwritten_settings_read_as_the_configured_defaults() {
    let store = proxicloud_store::connect("sqlite::memory:")
        .await
        .expect("store");
    let mut defaults = Settings::default();
    defaults.system.poll_interval_secs = 30;
    let service = SettingsService::load(store, defaults.clone())
        .await
        .expect("load");
    assert_eq!(service.get().await.expect("get"), defaults);
    assert_eq!(*service.poll_interval().borrow(), Duration::from_secs(30));
}

#[tokio::test]
async fn configured_defaults_apply_after_a_refresh() {
    let (service, _) = service().await;
    let mut defaults = Settings::default();
    defaults.system.poll_interval_secs = 60;
    service.set_defaults(defaults.clone());
    assert_eq!(service.refresh().await.expect("refresh"), defaults);
    assert_eq!(*service.poll_interval().borrow(), Duration::from_secs(60));
}

#[tokio::test]
async fn only_admins_write_and_writes_are_persisted_and_broadcast() {
    let (service, store) = service().await;
    let admin = stored_admin(&*store).await;
    let mut wanted = Settings::default();
    wanted.system.poll_interval_secs = 5;
    wanted.resources.cores = 4;

    let refused = service
        .update(&principal_with_role(Role::Operator), wanted.clone())
        .await;
    assert!(matches!(refused, Err(DomainError::Forbidden(_))));
    assert_eq!(service.get().await.expect("get"), Settings::default());

    let mut interval = service.poll_interval();
    let saved = service
        .update(&admin, wanted.clone())
        .await
        .expect("admin writes");
    assert_eq!(saved, wanted);
    assert_eq!(service.get().await.expect("get"), wanted);
    assert!(interval.has_changed().expect("sender alive"));
    assert_eq!(*interval.borrow_and_update(), Duration::from_secs(5));
    assert_eq!(service.current(), wanted);
}

#[tokio::test]
async fn invalid_writes_change_nothing() {
    let (service, _) = service().await;
    let mut wanted = Settings::default();
    wanted.resources.cores = 4;
    wanted.network.appliance_subnet = "not a subnet".into();
    let fields = field_errors(
        service
            .update(&principal_with_role(Role::Admin), wanted)
            .await,
    );
    assert!(fields.contains_key("network.appliance_subnet"));
    assert_eq!(service.get().await.expect("get"), Settings::default());
}
