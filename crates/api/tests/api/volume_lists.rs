//! `GET /api/v1/volumes` a page at a time (`limit`, `cursor`, `next_cursor`, as the
//! instance list), filtered by attached instance, status and part of the name; each
//! user sees only their own volumes (admins all); bad queries are 422 JSON.

use proxicloud_store::{Attachment, NewVolume, Role, Timestamp, Uuid};
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::sim_support::spawn_app_with_sim;
use crate::support::{Session, TestApp, call, error_code};

async fn names(app: &TestApp, session: &Session, query: &str) -> (Vec<String>, Value) {
    let (status, body) = call(
        app,
        session,
        Method::GET,
        &format!("/api/v1/volumes{query}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    let names = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    (names, body["next_cursor"].clone())
}

#[tokio::test]
async fn volume_lists_page_filter_and_stay_per_owner() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    let cluster_id: Uuid = sim.register(&admin).await.parse().unwrap();
    let instances = sim.wait_for_inventory(&admin).await;
    let web: Uuid = instances[0]["id"].as_str().unwrap().parse().unwrap();
    let app = &sim.app;
    let alice = app.insert_user(Role::Operator).await;
    let bob = app.insert_user(Role::Operator).await;
    let (alice_session, bob_session) = (app.login_user(&alice).await, app.login_user(&bob).await);

    let store = &app.store;
    let now = Timestamp::now();
    let mut ids = Vec::new();
    for (n, name) in ["data-1", "Data-2", "logs", "cache", "bobs"]
        .iter()
        .enumerate()
    {
        let owner = if *name == "bobs" { bob.id } else { alice.id };
        let volume = store
            .volumes()
            .insert(NewVolume {
                cluster_id,
                node: "pve1".into(),
                storage: "local-lvm".into(),
                class: None,
                name: (*name).into(),
                size_bytes: 1 << 30,
                owner_id: Some(owner),
            })
            .await
            .unwrap();
        if n < 3 {
            store
                .volumes()
                .set_ready(volume.id, "local-lvm:vm-1-disk-1", now)
                .await
                .unwrap();
        }
        ids.push(volume.id);
    }
    let attachment = Attachment {
        guest_id: web,
        key: "mp0".into(),
        mount_path: Some("/data".into()),
    };
    store
        .volumes()
        .attach(ids[2], &attachment, now)
        .await
        .unwrap();

    // Pages of two: every volume of alice's once, in creation order.
    let (first, next) = names(app, &alice_session, "?limit=2").await;
    assert_eq!(first, ["data-1", "Data-2"]);
    let cursor = next.as_str().unwrap().to_owned();
    let (second, next) = names(app, &alice_session, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(second, ["logs", "cache"]);
    assert!(next.is_null());

    // Filters; bob's volume is never alice's to see, an admin sees it.
    assert_eq!(
        names(app, &alice_session, &format!("?instance_id={web}"))
            .await
            .0,
        ["logs"]
    );
    assert_eq!(
        names(app, &alice_session, "?status=in-use").await.0,
        ["logs"]
    );
    assert_eq!(
        names(app, &alice_session, "?status=available").await.0,
        ["data-1", "Data-2"]
    );
    assert_eq!(
        names(app, &alice_session, "?status=creating").await.0,
        ["cache"]
    );
    assert_eq!(
        names(app, &alice_session, "?q=DATA").await.0,
        ["data-1", "Data-2"]
    );
    assert_eq!(
        names(app, &alice_session, "?q=DATA&status=available&limit=1")
            .await
            .0,
        ["data-1"]
    );
    assert!(names(app, &alice_session, "?q=bobs").await.0.is_empty());
    assert_eq!(names(app, &bob_session, "").await.0, ["bobs"]);
    assert!(
        names(app, &bob_session, &format!("?instance_id={web}"))
            .await
            .0
            .is_empty()
    );
    assert_eq!(names(app, &admin, "?q=bobs").await.0, ["bobs"]);
    assert_eq!(names(app, &admin, "?limit=1000").await.0.len(), 5);

    // Sorted on the server, over every page (not only the loaded rows): by name
    // descending (case-insensitive), by the status as listed.
    let (first, next) = names(app, &alice_session, "?sort=-name&limit=2").await;
    assert_eq!(first, ["logs", "Data-2"]);
    let cursor = next.as_str().unwrap().to_owned();
    let (second, next) = names(
        app,
        &alice_session,
        &format!("?sort=-name&limit=2&cursor={cursor}"),
    )
    .await;
    assert_eq!(second, ["data-1", "cache"]);
    assert!(next.is_null());
    assert_eq!(
        names(app, &alice_session, "?sort=status").await.0,
        ["data-1", "Data-2", "cache", "logs"],
        "available, creating, in-use"
    );
    // A cursor belongs to its order: another order refuses it.
    let (status, body) = call(
        app,
        &alice_session,
        Method::GET,
        &format!("/api/v1/volumes?sort=name&limit=2&cursor={cursor}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // A volume written since shows in the very next list (the index is rebuilt).
    store
        .volumes()
        .set_size(ids[3], 5 << 30, Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        names(app, &alice_session, "?sort=-size&limit=1").await.0,
        ["cache"]
    );

    // Bad queries: 422 naming the parameter, never a 500.
    for (query, field) in [
        ("?sort=colour", "sort"),
        ("?status=busy", "status"),
        ("?instance_id=web-1", "instance_id"),
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?cursor=not-a-cursor", "cursor"),
        ("?owner=someone", "owner"),
    ] {
        let (status, body) = call(
            app,
            &alice_session,
            Method::GET,
            &format!("/api/v1/volumes{query}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(error_code(&body), "validation_failed", "{query}: {body}");
        assert!(
            body["error"]["fields"][field].is_string() || field == "owner",
            "{query}: {body}"
        );
    }
    sim.shutdown().await;
}
