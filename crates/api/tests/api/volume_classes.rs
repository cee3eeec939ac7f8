//! Volume classes over HTTP: an admin maps `ssd` onto the simulator's LVM-thin storage
//! (a directory storage without `rootdir` is refused), a user creates a volume by class
//! (or by nothing: the node's storage with the most room), the list shows and filters
//! the class. No job engine runs: the volume rows are what the create recorded.

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sim_support::spawn_app_with_sim;
use crate::support::{call, error_code};

const CLASSES: &str = "/api/v1/settings/volume-classes";

#[tokio::test]
async fn a_volume_created_by_class_lands_on_a_storage_of_that_class() {
    let sim = spawn_app_with_sim().await;
    let app = &sim.app;
    let admin = app.admin().await;
    let cluster_id = sim.register(&admin).await;
    sim.wait_for_inventory(&admin).await;
    let user = app.insert_user(Role::Operator).await;
    let alice = app.login_user(&user).await;

    // Nothing set up: an empty list, and a class nobody defined is refused.
    assert_eq!(
        app.get_json(CLASSES, &alice.access).await,
        json!({ "classes": [] })
    );
    let volume = |name: &str, extra: Value| {
        let mut body =
            json!({ "name": name, "size_gib": 2, "cluster_id": cluster_id, "node": "pve1" });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let (status, body) = call(
        app,
        &alice,
        Method::POST,
        "/api/v1/volumes",
        Some(volume("a", json!({ "class": "ssd" }))),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["error"]["fields"]["class"].is_string(), "{body}");

    // `local` (dir: templates, ISOs, backups) holds no container volumes; unknown ids
    // and bad names are refused too, each at its own field, and nothing is saved.
    let bad = json!({ "classes": [
        { "name": "ssd", "storages": [{ "cluster_id": cluster_id, "storage": "local" },
                                       { "cluster_id": cluster_id, "storage": "nowhere" }] },
        { "name": "Fast Disks", "storages": [{ "cluster_id": cluster_id, "storage": "local-lvm" }] },
    ]});
    let (status, body) = call(app, &admin, Method::PUT, CLASSES, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields = body["error"]["fields"].as_object().unwrap();
    let mut named: Vec<&str> = fields.keys().map(String::as_str).collect();
    named.sort_unstable();
    assert_eq!(
        named,
        [
            "classes[0].storages[0]",
            "classes[0].storages[1]",
            "classes[1].name"
        ],
        "{body}"
    );
    assert_eq!(
        app.get_json(CLASSES, &alice.access).await["classes"],
        json!([])
    );

    // Operators may not change them.
    let good = json!({ "classes": [
        { "name": "ssd", "storages": [{ "cluster_id": cluster_id, "storage": "local-lvm" }] },
    ]});
    let (status, _) = call(app, &alice, Method::PUT, CLASSES, Some(good.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = call(app, &admin, Method::PUT, CLASSES, Some(good.clone())).await;
    assert_eq!((status, &body), (StatusCode::OK, &good));
    assert_eq!(app.get_json(CLASSES, &alice.access).await, good);

    // By class: on the class's storage, and the volume says so.
    for (name, extra) in [
        ("fast", json!({ "class": "ssd" })),
        ("plain", json!({ "storage": "local-lvm" })),
        ("anywhere", json!({})),
    ] {
        let (status, body) = call(
            app,
            &alice,
            Method::POST,
            "/api/v1/volumes",
            Some(volume(name, extra)),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{name}: {body}");
    }
    let listed = app.get_json("/api/v1/volumes", &alice.access).await;
    let rows: Vec<(String, String, Value)> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap().to_owned(),
                v["storage"].as_str().unwrap().to_owned(),
                v["class"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("fast".to_owned(), "local-lvm".to_owned(), json!("ssd")),
            ("plain".to_owned(), "local-lvm".to_owned(), Value::Null),
            ("anywhere".to_owned(), "local-lvm".to_owned(), Value::Null),
        ]
    );
    let by_class = app
        .get_json("/api/v1/volumes?class=ssd", &alice.access)
        .await;
    let names: Vec<&str> = by_class["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fast"]);
    let none = app
        .get_json("/api/v1/volumes?class=hdd", &alice.access)
        .await;
    assert_eq!(none["items"], json!([]));

    // Class and storage together, an unknown class, a class too small: refused.
    let (status, body) = call(
        app,
        &alice,
        Method::POST,
        "/api/v1/volumes",
        Some(volume(
            "b",
            json!({ "class": "ssd", "storage": "local-lvm" }),
        )),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = call(
        app,
        &alice,
        Method::POST,
        "/api/v1/volumes",
        Some(volume("c", json!({ "class": "hdd" }))),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"]["fields"]["class"]
            .as_str()
            .unwrap()
            .contains("ssd"),
        "{body}"
    );
    let mut huge = volume("d", json!({ "class": "ssd" }));
    huge["size_gib"] = json!(16384);
    let (status, body) = call(app, &alice, Method::POST, "/api/v1/volumes", Some(huge)).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::CONFLICT, "insufficient_storage"),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("class 'ssd'"),
        "{body}"
    );
    sim.shutdown().await;
}
