use reqwest::Method;
use serde_json::json;

use crate::common::{Harness, body, reason};

#[tokio::test]
async fn success_is_wrapped_in_data() {
    let harness = Harness::default().await;
    let response = harness.api(Method::GET, "/version").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let version = body(response).await;
    assert_eq!(version["data"]["release"], "9.1");
    assert!(
        version["data"]["version"]
            .as_str()
            .unwrap()
            .starts_with("9.1")
    );
}

#[tokio::test]
async fn unknown_paths_are_501_with_the_message_in_reason_and_body() {
    let harness = Harness::default().await;
    let response = harness
        .api(Method::GET, "/no/such/path")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 501);
    assert_eq!(
        reason(&response),
        "Method 'GET /no/such/path' not implemented"
    );
    let body = body(response).await;
    assert_eq!(body["data"], serde_json::Value::Null);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Method 'GET /no/such/path' not implemented")
    );
}

#[tokio::test]
async fn parameter_errors_are_400_with_an_errors_map() {
    let harness = &Harness::default().await;
    let check = |path: &'static str| async move {
        let response = harness.api(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(reason(&response), "Parameter verification failed.");
        let body = body(response).await;
        assert_eq!(body["data"], serde_json::Value::Null);
        assert_eq!(body["message"], "Parameter verification failed.\n");
        body["errors"].clone()
    };
    let unknown = check("/cluster/resources?typo=vm").await;
    assert!(unknown.get("typo").is_some(), "{unknown}");
    let bad_enum = check("/cluster/resources?type=vms").await;
    assert!(bad_enum.get("type").is_some(), "{bad_enum}");

    let missing = harness
        .api(Method::POST, "/nodes/pve1/storage/local-lvm/content")
        .form(&[("vmid", "100"), ("filename", "vm-100-disk-9")])
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);
    let errors = body(missing).await["errors"].clone();
    assert_eq!(
        errors,
        json!({"size": "property is missing and it is not optional"})
    );
}

#[tokio::test]
async fn handler_failures_carry_pve_messages() {
    let harness = Harness::default().await;
    let taken = harness
        .api(Method::GET, "/cluster/nextid?vmid=100")
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 400);
    assert_eq!(
        body(taken).await["errors"],
        json!({"vmid": "VM 100 already exists"})
    );

    let duplicate = || {
        harness
            .api(Method::POST, "/nodes/pve1/storage/local-lvm/content")
            .form(&[
                ("vmid", "100"),
                ("filename", "vm-100-disk-5"),
                ("size", "4G"),
            ])
            .send()
    };
    assert_eq!(duplicate().await.unwrap().status(), 200);
    let again = duplicate().await.unwrap();
    assert_eq!(again.status(), 500);
    assert!(
        reason(&again).starts_with("lvcreate 'pve/vm-100-disk-5' error:"),
        "{}",
        reason(&again)
    );

    let unknown_node = harness
        .api(Method::GET, "/nodes/pve9/status")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_node.status(), 500);
    assert!(reason(&unknown_node).starts_with("hostname lookup 'pve9' failed"));
}

#[tokio::test]
async fn json_bodies_and_repeated_query_keys_are_understood() {
    let harness = Harness::default().await;
    let response = harness
        .api(Method::POST, "/nodes/pve2/storage/local-lvm/content")
        .json(&json!({"vmid": 101, "filename": "vm-101-disk-8", "size": "1G"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(body(response).await["data"], "local-lvm:vm-101-disk-8");

    // Repeated keys become an array, which a string parameter refuses.
    let repeated = harness
        .api(Method::GET, "/cluster/resources?type=vm&type=node")
        .send()
        .await
        .unwrap();
    assert_eq!(repeated.status(), 400);
}
