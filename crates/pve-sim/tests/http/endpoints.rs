use reqwest::Method;
use serde_json::Value;

use crate::common::{Harness, body, encode};

#[tokio::test]
async fn cluster_views_have_pve_fields() {
    let harness = Harness::default().await;
    let status = harness.get_data("/cluster/status").await;
    let status = status.as_array().unwrap();
    assert_eq!(status[0]["type"], "cluster");
    assert_eq!(status[0]["quorate"], 1);
    assert_eq!(status.iter().filter(|e| e["type"] == "node").count(), 3);

    let resources = harness.get_data("/cluster/resources").await;
    let resources = resources.as_array().unwrap();
    let vm = resources
        .iter()
        .find(|e| e["type"] == "qemu" || e["type"] == "lxc")
        .unwrap();
    for key in [
        "id",
        "vmid",
        "node",
        "type",
        "status",
        "name",
        "maxcpu",
        "cpu",
        "maxmem",
        "mem",
        "maxdisk",
        "disk",
        "netin",
        "netout",
        "diskread",
        "diskwrite",
        "uptime",
        "template",
    ] {
        assert!(vm.get(key).is_some(), "vm entry lacks {key}: {vm}");
    }
    assert_eq!(
        vm["id"],
        format!("{}/{}", vm["type"].as_str().unwrap(), vm["vmid"])
    );
    let storage = resources
        .iter()
        .find(|e| e["id"] == "storage/pve1/local")
        .unwrap();
    assert_eq!(storage["plugintype"], "dir");
    assert_eq!(storage["status"], "available");
    let node = resources.iter().find(|e| e["id"] == "node/pve1").unwrap();
    assert_eq!(node["status"], "online");
    assert!(resources.iter().any(|e| e["template"] == 1));

    let only_nodes = harness.get_data("/cluster/resources?type=node").await;
    assert!(
        only_nodes
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["type"] == "node")
    );

    // nextid does not reserve: asking twice gives the same id, as a string like PVE's.
    let next = harness.get_data("/cluster/nextid").await;
    assert_eq!(next, "130");
    assert_eq!(harness.get_data("/cluster/nextid").await, next);
    assert_eq!(harness.get_data("/cluster/nextid?vmid=4242").await, "4242");
}

#[tokio::test]
async fn nodes_report_status() {
    let harness = Harness::default().await;
    let nodes = harness.get_data("/nodes").await;
    let pve1 = &nodes.as_array().unwrap()[0];
    assert_eq!(pve1["node"], "pve1");
    assert_eq!(pve1["status"], "online");
    assert_eq!(
        pve1["ssl_fingerprint"],
        harness.sim.fingerprint.clone().unwrap()
    );

    let status = harness.get_data("/nodes/pve1/status").await;
    assert!(
        status["pveversion"]
            .as_str()
            .unwrap()
            .starts_with("pve-manager/9.1")
    );
    assert!(status["memory"]["total"].as_u64().unwrap() >= 64 << 30);
    assert_eq!(status["loadavg"].as_array().unwrap().len(), 3);
    // `localhost` addresses the node the client talks to.
    let local = harness.get_data("/nodes/localhost/status").await;
    assert_eq!(local["cpuinfo"]["cpus"], status["cpuinfo"]["cpus"]);
}

#[tokio::test]
async fn storage_lists_status_and_content() {
    let harness = Harness::default().await;
    let config = harness.get_data("/storage").await;
    let ids: Vec<&str> = config
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["storage"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["local", "local-lvm"]);

    let for_images = harness.get_data("/nodes/pve1/storage?content=images").await;
    let for_images = for_images.as_array().unwrap();
    assert_eq!(for_images.len(), 1);
    assert_eq!(for_images[0]["storage"], "local-lvm");
    assert_eq!(for_images[0]["active"], 1);

    let status = harness.get_data("/nodes/pve1/storage/local/status").await;
    assert_eq!(status["type"], "dir");
    assert!(status["total"].as_u64().unwrap() > status["used"].as_u64().unwrap());
    let missing = harness
        .api(Method::GET, "/nodes/pve1/storage/nope/status")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 400);

    let templates = harness
        .get_data("/nodes/pve1/storage/local/content?content=vztmpl")
        .await;
    let template = templates
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["volid"] == "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst")
        .unwrap();
    assert_eq!(template["format"], "tzst");
    let info = harness
        .get_data(&format!(
            "/nodes/pve1/storage/local/content/{}",
            encode("local:iso/debian-12.8.0-amd64-netinst.iso")
        ))
        .await;
    assert_eq!(
        info["path"],
        "/var/lib/vz/template/iso/debian-12.8.0-amd64-netinst.iso"
    );
    assert_eq!(info["format"], "iso");
}

#[tokio::test]
async fn volumes_are_allocated_and_deleted_by_a_task() {
    let harness = Harness::default().await;
    let allocated = harness
        .api(Method::POST, "/nodes/pve2/storage/local-lvm/content")
        .form(&[
            ("vmid", "120"),
            ("filename", "vm-120-disk-6"),
            ("size", "8G"),
        ])
        .send()
        .await
        .unwrap();
    let volid = body(allocated).await["data"].as_str().unwrap().to_string();
    let path = format!("/nodes/pve2/storage/local-lvm/content/{}", encode(&volid));
    assert_eq!(harness.get_data(&path).await["size"], 8u64 << 30);

    let deleted = harness.api(Method::DELETE, &path).send().await.unwrap();
    let upid = body(deleted).await["data"].as_str().unwrap().to_string();
    assert!(
        upid.starts_with("UPID:pve2:") && upid.contains(":imgdel:120@local-lvm:"),
        "{upid}"
    );
    assert_eq!(harness.wait_task("pve2", &upid).await["exitstatus"], "OK");
    let after = harness.api(Method::GET, &path).send().await.unwrap();
    assert_eq!(after.status(), 500);
}

#[tokio::test]
async fn templates_download_from_aplinfo_as_a_task_with_a_log() {
    let harness = Harness::default().await;
    let catalogue = harness.get_data("/nodes/pve1/aplinfo").await;
    let entry = catalogue
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["package"] == "rockylinux-9-default")
        .unwrap()
        .clone();
    for key in [
        "template",
        "os",
        "version",
        "section",
        "headline",
        "location",
        "sha512sum",
    ] {
        assert!(entry.get(key).is_some(), "catalogue entry lacks {key}");
    }
    let template = entry["template"].as_str().unwrap();

    let refused = harness
        .api(Method::POST, "/nodes/pve1/aplinfo")
        .form(&[("storage", "local-lvm"), ("template", template)])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 500);
    let response = harness
        .api(Method::POST, "/nodes/pve1/aplinfo")
        .form(&[("storage", "local"), ("template", template)])
        .send()
        .await
        .unwrap();
    let upid = body(response).await["data"].as_str().unwrap().to_string();
    let status = harness.wait_task("pve1", &upid).await;
    assert_eq!(status["type"], "download");
    assert_eq!(status["user"], "root@pam");
    assert_eq!(status["tokenid"], "ci");
    assert_eq!(status["exitstatus"], "OK");

    let content = harness
        .get_data("/nodes/pve1/storage/local/content?content=vztmpl")
        .await;
    assert!(
        content
            .to_string()
            .contains(&format!("local:vztmpl/{template}"))
    );

    let log = harness
        .get_data(&format!("/nodes/pve1/tasks/{}/log?limit=0", encode(&upid)))
        .await;
    let lines: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["t"].as_str().unwrap())
        .collect();
    assert!(lines[0].starts_with("downloading http://download.proxmox.com/"));
    assert_eq!(*lines.last().unwrap(), "TASK OK");
    assert_eq!(log[0]["n"], 1);

    let tasks = harness
        .get_data("/nodes/pve1/tasks?typefilter=download")
        .await;
    assert!(
        tasks
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["upid"] == upid.as_str())
    );
    let cluster_tasks = harness.get_data("/cluster/tasks").await;
    assert!(
        cluster_tasks
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["upid"] == upid.as_str())
    );
    let elsewhere = harness
        .api(
            Method::GET,
            &format!("/nodes/pve2/tasks/{}/status", encode(&upid)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 400, "a task is only known to its node");
    let unknown: Value = harness
        .get_data("/nodes/pve1/tasks?typefilter=nothing")
        .await;
    assert_eq!(unknown, Value::Array(Vec::new()));
}

#[tokio::test]
async fn applied_sdn_zones_appear_as_network_resources() {
    let harness = Harness::default().await;
    let created = harness
        .api(Method::POST, "/cluster/sdn/zones")
        .form(&[("zone", "lab"), ("type", "simple")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let network_ids = |resources: &Value| {
        resources
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "network" && e["node"] == "pve1")
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let before = harness.get_data("/cluster/resources").await;
    assert_eq!(network_ids(&before), ["network/pve1/zone/localnetwork"]);

    let apply = harness
        .api(Method::PUT, "/cluster/sdn")
        .send()
        .await
        .unwrap();
    let upid = body(apply).await["data"].as_str().unwrap().to_string();
    let node = upid.split(':').nth(1).unwrap().to_string();
    assert_eq!(harness.wait_task(&node, &upid).await["exitstatus"], "OK");

    let after = harness.get_data("/cluster/resources").await;
    assert_eq!(
        network_ids(&after),
        ["network/pve1/zone/localnetwork", "network/pve1/zone/lab"]
    );
    let lab = after
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "network/pve1/zone/lab")
        .unwrap();
    assert_eq!(lab["zone-type"], "simple");
}
