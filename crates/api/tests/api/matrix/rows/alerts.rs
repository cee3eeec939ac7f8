//! Alerts: any signed-in user reads their own; rules and silences are owned
//! resources (readonly callers see their own and change nothing).

use std::time::Duration;

use proxicloud_store::{AlertRuleFields, NewSilence, Timestamp, Uuid};
use serde_json::{Value, json};

use super::common::*;
use crate::support::TestApp;

fn rule(_: &Cell) -> Option<Value> {
    Some(json!({
        "name": "matrix", "metric": "cpu_percent", "comparison": "gt", "threshold": 80,
        "scope": { "kind": "all" }
    }))
}

fn silence(_: &Cell) -> Option<Value> {
    let ends_at = Timestamp::now() + Duration::from_secs(3600);
    Some(json!({ "ends_at": ends_at.to_string(), "comment": "matrix" }))
}

fn disable(_: &Cell) -> Option<Value> {
    Some(json!({ "enabled": false }))
}

/// Creating: every role but readonly.
const CREATORS: [u16; 5] = [401, 403, 201, 201, 201];

/// A rule or a silence of `owner`, made through the store.
pub(in super::super) async fn alert_target(app: &TestApp, owner: Uuid, target: Target) -> String {
    let now = Timestamp::now();
    let alerts = app.store.alerts();
    let id = match target {
        Target::OwnerSilence => {
            let silence = NewSilence {
                owner_id: owner,
                rule_id: None,
                resource: None,
                starts_at: now,
                ends_at: now + Duration::from_secs(3600),
                comment: "target".into(),
            };
            alerts.insert_silence(&silence).await.unwrap().id
        }
        _ => {
            let fields = AlertRuleFields {
                name: "target".into(),
                metric: "cpu_percent".into(),
                comparison: "gt".into(),
                threshold: 80.0,
                for_seconds: 0,
                scope_kind: "all".into(),
                scope_value: None,
                severity: "warning".into(),
                enabled: true,
            };
            alerts.insert_rule(owner, &fields, now).await.unwrap().id
        }
    };
    id.to_string()
}

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/alerts", Nothing, no_body, any_user(200)),
        row(
            "GET",
            "/api/v1/alerts/rules",
            Nothing,
            no_body,
            any_user(200),
        ),
        row("POST", "/api/v1/alerts/rules", Nothing, rule, CREATORS),
        row(
            "GET",
            "/api/v1/alerts/rules/{id}",
            OwnerAlertRule,
            no_body,
            OWN_ONLY,
        ),
        row(
            "PATCH",
            "/api/v1/alerts/rules/{id}",
            OwnerAlertRule,
            disable,
            [401, 403, 200, 404, 200],
        ),
        row(
            "DELETE",
            "/api/v1/alerts/rules/{id}",
            OwnerAlertRule,
            no_body,
            [401, 403, 204, 404, 204],
        ),
        row(
            "GET",
            "/api/v1/alerts/silences",
            Nothing,
            no_body,
            any_user(200),
        ),
        row(
            "POST",
            "/api/v1/alerts/silences",
            Nothing,
            silence,
            CREATORS,
        ),
        row(
            "DELETE",
            "/api/v1/alerts/silences/{id}",
            OwnerSilence,
            no_body,
            [401, 403, 204, 404, 204],
        ),
    ]
}
