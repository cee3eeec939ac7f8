//! Instance reads come from the mirror only: filters, sorting and cursor pages,
//! `X-Cache-Status` HIT/STALE around an outage, and per-user isolation.

use std::collections::HashSet;

use proxicloud_store::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::sim_support::{SIM_GUESTS, SimApp, eventually, spawn_app_with_sim};
use crate::support::{Session, status_and_json};

async fn get(sim: &SimApp, session: &Session, path: &str) -> (StatusCode, Option<String>, Value) {
    let response = sim.app.get(path, &session.access).send().await.unwrap();
    let cache = response
        .headers()
        .get("x-cache-status")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = status_and_json(response).await;
    (status, cache, body)
}

fn ids(body: &Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn lists_filter_sort_and_page_from_the_mirror_without_calling_proxmox() {
    let mut sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    let items = sim.wait_for_inventory(&admin).await;
    assert!(
        items
            .iter()
            .all(|i| i["owner_id"].is_null() && i["managed"] == json!(false))
    );

    // From here on no poll runs: every answer below must come from the mirror.
    sim.stop_inventory().await;
    sim.sim_control(Method::DELETE, "requests").await;

    let (status, cache, first) = get(&sim, &admin, "/api/v1/instances?limit=5&sort=-vmid").await;
    assert_eq!((status, cache.as_deref()), (StatusCode::OK, Some("HIT")));
    assert!(first["stale_since"].is_null());
    let vmids: Vec<u64> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["vmid"].as_u64().unwrap())
        .collect();
    assert!(
        vmids.windows(2).all(|w| w[0] > w[1]),
        "descending vmids: {vmids:?}"
    );

    let mut seen: Vec<String> = ids(&first);
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    while let Some(next) = cursor {
        let (status, _, page) = get(
            &sim,
            &admin,
            &format!("/api/v1/instances?limit=5&sort=-vmid&cursor={next}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        seen.extend(ids(&page));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), SIM_GUESTS);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        SIM_GUESTS,
        "no page repeats an item"
    );

    // The busiest first (the dashboard's top five): CPU never rises down the list.
    let (status, _, busiest) = get(&sim, &admin, "/api/v1/instances?sort=-cpu&limit=500").await;
    assert_eq!(status, StatusCode::OK);
    let shares: Vec<f64> = busiest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["cpu_usage"].as_f64().unwrap())
        .collect();
    assert_eq!(shares.len(), SIM_GUESTS);
    assert!(shares.windows(2).all(|w| w[0] >= w[1]), "{shares:?}");
    assert!(shares[0] > 0.0, "the simulator's running guests use CPU");

    let (_, _, lxc) = get(&sim, &admin, "/api/v1/instances?type=lxc&limit=500").await;
    let (_, _, vms) = get(&sim, &admin, "/api/v1/instances?type=vm&limit=500").await;
    let lxc_items = lxc["items"].as_array().unwrap();
    assert!(lxc_items.iter().all(|i| i["type"] == json!("lxc")));
    assert_eq!(
        lxc_items.len() + vms["items"].as_array().unwrap().len(),
        SIM_GUESTS
    );

    let name = lxc_items[0]["name"].as_str().unwrap().to_owned();
    let fragment = &name[..name.len().min(4)].to_uppercase();
    let (_, _, found) = get(&sim, &admin, &format!("/api/v1/instances?q={fragment}")).await;
    assert!(ids(&found).contains(&lxc_items[0]["id"].as_str().unwrap().to_owned()));

    let id = lxc_items[0]["id"].as_str().unwrap();
    let (status, cache, one) = get(&sim, &admin, &format!("/api/v1/instances/{id}")).await;
    assert_eq!((status, cache.as_deref()), (StatusCode::OK, Some("HIT")));
    assert_eq!(one["name"], json!(name));

    let (status, _, _) = get(&sim, &admin, "/api/v1/instances?limit=1001").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _, _) = get(&sim, &admin, "/api/v1/instances?cursor=not-a-cursor").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    assert!(
        sim.sim.recorded_entries().is_empty(),
        "reads never call Proxmox"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn reads_are_stale_during_an_outage_and_fresh_after_it() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    let cluster = sim.register(&admin).await;
    let items = sim.wait_for_inventory(&admin).await;
    let id = items[0]["id"].as_str().unwrap().to_owned();
    let one = format!("/api/v1/instances/{id}");
    let (_, cache, _) = get(&sim, &admin, &one).await;
    assert_eq!(cache.as_deref(), Some("HIT"));

    sim.sim_control(Method::POST, "api/down").await;
    let stale = eventually("the instance to be served stale", || async {
        let (status, cache, body) = get(&sim, &admin, &one).await;
        (status == StatusCode::OK && cache.as_deref() == Some("STALE")).then_some(body)
    })
    .await;
    let since = stale["stale_since"]
        .as_str()
        .expect("stale_since while offline")
        .to_owned();
    let (_, _, cluster_view) = get(&sim, &admin, &format!("/api/v1/clusters/{cluster}")).await;
    assert_eq!(cluster_view["status"], json!("offline"));
    assert_eq!(cluster_view["offline_since"], json!(since));
    assert!(cluster_view["last_error"].is_string());
    let (status, cache, list) = get(&sim, &admin, "/api/v1/instances?limit=500").await;
    assert_eq!((status, cache.as_deref()), (StatusCode::OK, Some("STALE")));
    assert_eq!(list["stale_since"], json!(since));
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        SIM_GUESTS,
        "the mirror keeps answering"
    );
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["stale_since"] == json!(since))
    );
    let (_, cache, summary) = get(&sim, &admin, "/api/v1/instances/summary").await;
    assert_eq!(cache.as_deref(), Some("STALE"));
    assert_eq!(summary["stale_since"], json!(since));
    assert_eq!(
        summary["clusters"][0]["stale_since"],
        json!(since),
        "staleness is per cluster"
    );

    sim.sim_control(Method::POST, "api/up").await;
    let fresh = eventually("the instance to be fresh again", || async {
        let (_, cache, body) = get(&sim, &admin, &one).await;
        (cache.as_deref() == Some("HIT")).then_some(body)
    })
    .await;
    assert!(fresh["stale_since"].is_null());
    let (_, cache, list) = get(&sim, &admin, "/api/v1/instances").await;
    assert_eq!(cache.as_deref(), Some("HIT"));
    assert!(list["stale_since"].is_null());
    sim.shutdown().await;
}

#[tokio::test]
async fn users_see_only_their_own_instances() {
    let sim = spawn_app_with_sim().await;
    let app = &sim.app;
    let admin = app.admin().await;
    sim.register(&admin).await;
    let items = sim.wait_for_inventory(&admin).await;
    let alice = app.insert_user(Role::Operator).await;
    let bob = app.insert_user(Role::Operator).await;
    let alice_session = app.login_user(&alice).await;
    let bob_session = app.login_user(&bob).await;

    // An instance, not a template (the summary counts templates apart).
    let alices = items
        .iter()
        .find(|i| i["template"] == json!(false))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let owner_path = format!("/api/v1/instances/{alices}/owner");
    let assign = |session: &Session, owner: Value| {
        app.request(Method::PUT, &owner_path)
            .bearer_auth(&session.access)
            .json(&json!({ "owner_id": owner }))
    };
    let (status, _) = status_and_json(
        assign(&alice_session, json!(alice.id))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only admins assign owners");
    let (status, assigned) =
        status_and_json(assign(&admin, json!(alice.id)).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(assigned["owner_id"], json!(alice.id));

    let one = format!("/api/v1/instances/{alices}");
    let (status, _, mine) = get(&sim, &alice_session, &one).await;
    assert_eq!(
        (status, mine["owner_id"].clone()),
        (StatusCode::OK, json!(alice.id))
    );
    let (status, _, _) = get(&sim, &bob_session, &one).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "someone else's instance does not exist for bob"
    );
    let unowned = items[1]["id"].as_str().unwrap();
    let (status, _, _) = get(
        &sim,
        &alice_session,
        &format!("/api/v1/instances/{unowned}"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "unmanaged instances are for admins"
    );

    let (_, _, alices_list) = get(&sim, &alice_session, "/api/v1/instances").await;
    assert_eq!(ids(&alices_list), std::slice::from_ref(&alices));
    let (_, _, bobs_list) = get(&sim, &bob_session, "/api/v1/instances").await;
    assert!(ids(&bobs_list).is_empty());
    let (_, _, peeking) = get(
        &sim,
        &bob_session,
        &format!("/api/v1/instances?owner={}", alice.id),
    )
    .await;
    assert!(ids(&peeking).is_empty());
    let (_, _, unmanaged) = get(&sim, &admin, "/api/v1/instances?owner=none&limit=500").await;
    assert_eq!(ids(&unmanaged).len(), SIM_GUESTS - 1);
    assert!(!ids(&unmanaged).contains(&alices));

    // The dashboard's summary counts exactly what each of them may list.
    let (_, _, everything) = get(&sim, &admin, "/api/v1/instances?limit=500").await;
    let everything = everything["items"].as_array().unwrap().clone();
    let (status, cache, all) = get(&sim, &admin, "/api/v1/instances/summary").await;
    assert_eq!((status, cache.as_deref()), (StatusCode::OK, Some("HIT")));
    // Templates are images to launch from: counted apart, in no status or cluster total.
    let (templates, guests): (Vec<_>, Vec<_>) = everything
        .iter()
        .partition(|i| i["template"] == json!(true));
    assert!(!templates.is_empty(), "the simulator seeds VM templates");
    assert_eq!(all["templates"], json!(templates.len()));
    assert_eq!(all["total"], json!(guests.len()));
    let running = guests.iter().filter(|i| i["status"] == "running").count();
    assert_eq!(all["by_status"]["running"], json!(running));
    let by_status_total: u64 = all["by_status"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(by_status_total, guests.len() as u64);
    let cluster = &all["clusters"][0];
    assert_eq!(all["clusters"].as_array().unwrap().len(), 1);
    assert_eq!(cluster["instances"], json!(guests.len()));
    assert_eq!(cluster["running"], json!(running));
    let memory: u64 = guests
        .iter()
        .map(|i| i["memory_bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(cluster["memory_bytes"], json!(memory));

    let (_, _, hers) = get(&sim, &alice_session, "/api/v1/instances/summary").await;
    assert_eq!(hers["total"], json!(1));
    assert_eq!(
        hers["by_status"][mine["status"].as_str().unwrap()],
        json!(1)
    );
    assert_eq!(hers["clusters"][0]["memory_bytes"], mine["memory_bytes"]);
    // Not an admin, so the clusters list is closed to her: the summary names it.
    assert_eq!(
        (
            hers["clusters"][0]["cluster_name"].clone(),
            hers["clusters"][0]["stale_since"].clone()
        ),
        (json!("sim"), Value::Null)
    );
    let (_, _, his) = get(&sim, &bob_session, "/api/v1/instances/summary").await;
    assert_eq!(
        (his["total"].clone(), his["clusters"].clone()),
        (json!(0), json!([]))
    );
    sim.shutdown().await;
}

/// The list carries live utilization from the mirror: CPU share, and network and disk
/// rates once two samples were taken (never negative); `?tag=` filters by one whole
/// tag, case-insensitively, with tags as Proxmox has them.
#[tokio::test]
async fn utilization_and_the_tag_filter_come_from_the_mirror() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    let items = sim.wait_for_inventory(&admin).await;
    let running = items
        .iter()
        .find(|i| i["status"] == json!("running") && i["type"] == json!("lxc"))
        .expect("a running container in the simulator")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let one = format!("/api/v1/instances/{running}");
    let sampled = eventually("two samples of a running guest", || async {
        let (_, _, body) = get(&sim, &admin, &one).await;
        body["net_in_bytes_per_sec"].is_number().then_some(body)
    })
    .await;
    for field in [
        "net_in_bytes_per_sec",
        "net_out_bytes_per_sec",
        "disk_read_bytes_per_sec",
        "disk_write_bytes_per_sec",
    ] {
        assert!(
            sampled[field].as_f64().unwrap() >= 0.0,
            "{field}: {sampled}"
        );
    }
    let cpu = sampled["cpu_usage"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&cpu), "cpu_usage {cpu}");
    let (_, _, all) = get(&sim, &admin, "/api/v1/instances?limit=500").await;
    for item in all["items"].as_array().unwrap() {
        if item["status"] == json!("stopped") {
            assert_eq!(item["cpu_usage"], json!(0.0), "a stopped guest: {item}");
        }
        assert!(
            item["memory_used_bytes"].as_u64().unwrap() <= item["memory_bytes"].as_u64().unwrap()
        );
    }

    let vmid = sampled["vmid"].as_u64().unwrap() as u32;
    sim.cluster()
        .guests
        .get_mut(&vmid)
        .unwrap()
        .config
        .insert("tags".into(), "web;Zz_probe-1.x".into());
    let tagged = eventually("the tag in the mirror", || async {
        let (_, _, body) = get(&sim, &admin, "/api/v1/instances?tag=ZZ_PROBE-1.X").await;
        (!body["items"].as_array()?.is_empty()).then_some(body)
    })
    .await;
    assert_eq!(ids(&tagged), vec![running.clone()]);
    assert_eq!(tagged["items"][0]["tags"], json!(["web", "Zz_probe-1.x"]));
    let (_, _, none) = get(&sim, &admin, "/api/v1/instances?tag=zz_probe").await;
    assert!(ids(&none).is_empty(), "a part of a tag is not the tag");
    sim.shutdown().await;
}
