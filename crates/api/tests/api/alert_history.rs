//! `GET /api/v1/alerts` pages through the history with cursors: newest first, each
//! alert once, and a cursor that is not one is a 422.

use std::time::Duration;

use proxicloud_store::{
    AlertResource, AlertRuleFields, AlertState, AlertUpdate, NewAlert, Role, Timestamp,
};
use reqwest::StatusCode;

use crate::support::spawn_app;

#[tokio::test]
async fn the_alert_history_is_paged_with_cursors() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let owner = app.insert_user(Role::Operator).await;
    let t0 = Timestamp::now();
    let alerts = app.store.alerts();
    let fields = AlertRuleFields {
        name: "cpu".into(),
        metric: "cpu_percent".into(),
        comparison: "gt".into(),
        threshold: 80.0,
        for_seconds: 0,
        scope_kind: "all".into(),
        scope_value: None,
        severity: "warning".into(),
        enabled: true,
    };
    let rule = alerts.insert_rule(owner.id, &fields, t0).await.unwrap();
    let mut resolved = Vec::new();
    for i in 0..5u32 {
        let at = t0 + Duration::from_secs(u64::from(i));
        let new = NewAlert {
            rule_id: rule.id,
            rule_name: "cpu".into(),
            severity: "warning".into(),
            resource: AlertResource {
                kind: "instance".into(),
                id: format!("i-{i}"),
            },
            resource_name: format!("web-{i}"),
            owner_id: Some(owner.id),
            state: AlertState::Firing,
            value: None,
            message: "m".into(),
            silenced: false,
            started_at: at,
        };
        let alert = alerts.open_alert(&new).await.unwrap().unwrap();
        let update = AlertUpdate {
            state: AlertState::Resolved,
            value: None,
            message: "m".into(),
            silenced: false,
            now: at + Duration::from_secs(60),
        };
        alerts.update_alert(alert.id, &update).await.unwrap();
        resolved.push(alert.id.to_string());
    }
    resolved.reverse();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for expected_len in [2, 2, 1] {
        let mut path = "/api/v1/alerts?state=resolved&limit=2".to_owned();
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = app.get_json(&path, &admin.access).await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), expected_len, "{page}");
        seen.extend(items.iter().map(|a| a["id"].as_str().unwrap().to_owned()));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(cursor, None, "the last page says so");
    assert_eq!(seen, resolved, "newest first, each once");

    let bad = app
        .get("/api/v1/alerts?state=resolved&cursor=zz", &admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
