use std::sync::Arc;

use proxicloud_store::{Role, SettingKey, Store};
use serde_json::json;

use crate::fixtures::user;

pub async fn settings_are_absent_until_written_then_replaced_whole(store: Arc<dyn Store>) {
    assert_eq!(
        store.settings().get(SettingKey::Network).await.unwrap(),
        None
    );
    assert!(store.settings().list().await.unwrap().is_empty());

    let admin = user(&*store, "admin", Role::Admin).await;
    let network = json!({"subnet": "10.10.0.0/24", "dhcp": {"start": "10.10.0.100", "end": "10.10.0.200"}, "domain": "prox.local"});
    let written = store
        .settings()
        .put(SettingKey::Network, network.clone(), Some(admin.id))
        .await
        .unwrap();
    assert_eq!(written.key, SettingKey::Network);
    assert_eq!(written.value, network);
    assert_eq!(written.updated_by, Some(admin.id));
    assert_eq!(
        store.settings().get(SettingKey::Network).await.unwrap(),
        Some(written.clone())
    );

    let replacement = json!({"subnet": "10.20.0.0/24"});
    let replaced = store
        .settings()
        .put(SettingKey::Network, replacement.clone(), None)
        .await
        .unwrap();
    assert_eq!(
        replaced.value, replacement,
        "a put replaces the document, it does not merge"
    );
    assert_eq!(replaced.updated_by, None);
    assert!(replaced.updated_at >= written.updated_at);

    store
        .settings()
        .put(
            SettingKey::System,
            json!({"log_level": "info", "poll_interval_secs": 10}),
            Some(admin.id),
        )
        .await
        .unwrap();
    let keys: Vec<_> = store
        .settings()
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.key)
        .collect();
    assert_eq!(keys, [SettingKey::Network, SettingKey::System]);

    store.users().delete(admin.id).await.unwrap();
    let system = store
        .settings()
        .get(SettingKey::System)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        system.updated_by, None,
        "settings outlive the admin who wrote them"
    );
}
