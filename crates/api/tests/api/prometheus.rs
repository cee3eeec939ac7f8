//! `GET /metrics` against the simulator: an admin's API token reads the Prometheus
//! exposition of every cluster, node, storage and guest, of the requests served, jobs
//! and workers, which Debian's `promtool check metrics` accepts (installed by
//! scripts/install-test-deps.sh); others are refused. Configured for loopback, it
//! needs no token from this machine and refuses everyone else; configured off, 404.

use std::io::Write;
use std::process::{Command, Stdio};

use proxicloud_api::client_address::TrustedProxies;
use proxicloud_api::{ApiConfig, PrometheusAccess};
use proxicloud_domain::iam::IamConfig;
use proxicloud_store::{JobActor, NewJob, Role};
use reqwest::StatusCode;

use crate::sim_support::{SIM_GUESTS, spawn_app_with_sim};
use crate::support::spawn_app_configured;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_scrape_an_exposition_promtool_accepts() {
    let world = spawn_app_with_sim().await;
    let admin = world.app.admin().await;
    world.register(&admin).await;
    world.wait_for_inventory(&admin).await;
    let (_, token) = world.app.api_token(&admin, "prometheus").await;
    let store = world.app.services.platform().store.clone();
    let system = |name: &str| JobActor::System { name: name.into() };
    for _ in 0..2 {
        let job = NewJob::new("backup.run", system("scheduler"), vec![]);
        store.jobs().create(job).await.unwrap();
    }
    let instances = world
        .app
        .get("/api/v1/instances", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(instances.status(), StatusCode::OK);

    // What Prometheus asks for: OpenMetrics.
    let prometheus_accept = "application/openmetrics-text;version=1.0.0,\
        application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let response = world
        .app
        .get("/metrics", &token)
        .header("accept", prometheus_accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    let openmetrics = response.text().await.unwrap();
    assert!(openmetrics.trim_end().ends_with("# EOF"));
    assert!(openmetrics.contains("# TYPE proxicloud_http_requests counter\n"));
    // Anyone else: the classic text format, which `promtool check metrics` lints.
    let response = world.app.get("/metrics", &token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    let text = response.text().await.unwrap();
    assert!(text.contains("# TYPE proxicloud_http_requests_total counter\n"));
    let lines = |prefix: &str| text.lines().filter(|l| l.starts_with(prefix)).count();
    assert_eq!(lines("pve_guest_info{"), SIM_GUESTS, "{text}");
    assert_eq!(lines("pve_node_info{"), 3);
    assert!(
        text.contains("pve_up{cluster=\"sim\",id=\"cluster\"} 1"),
        "{text}"
    );
    assert!(lines("pve_memory_usage_bytes{") >= 3 + SIM_GUESTS);
    assert!(lines("pve_disk_size_bytes{cluster=\"sim\",id=\"storage/") > 0);
    // Guests' CPU, uptime and I/O counters, as prometheus-pve-exporter names them.
    assert_eq!(lines("pve_cpu_usage_ratio{"), 3 + SIM_GUESTS);
    assert_eq!(lines("pve_uptime_seconds{"), SIM_GUESTS);
    for counter in [
        "network_receive",
        "network_transmit",
        "disk_read",
        "disk_write",
    ] {
        assert_eq!(lines(&format!("pve_{counter}_bytes_total{{")), SIM_GUESTS);
    }
    // This replica: the request above by its route's template, jobs, workers.
    let served = text
        .lines()
        .find(|l| {
            l.starts_with("proxicloud_http_requests_total{")
                && l.contains("route=\"/api/v1/instances\"")
                && l.contains("method=\"GET\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("the instance list was counted: {text}"));
    let count: f64 = served.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(count >= 1.0, "{served}");
    assert!(
        lines("proxicloud_http_request_duration_seconds_bucket{") > 0,
        "{text}"
    );
    assert!(
        text.contains("proxicloud_jobs{kind=\"backup.run\",state=\"queued\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("proxicloud_worker_healthy{worker=\"inventory\"} 1"),
        "{text}"
    );
    assert!(lines("proxicloud_worker_restarts_total{") > 0, "{text}");

    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package `prometheus`; scripts/install-test-deps.sh installs it)");
    promtool
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let checked = promtool.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );

    // The shipped dashboard and alerting rules use only what we export; the rules
    // pass promtool's check and their unit tests (contrib/prometheus/alerts.test.yml).
    let contrib = concat!(env!("CARGO_MANIFEST_DIR"), "/../../contrib");
    let dashboard: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!("{contrib}/grafana/proxicloud.json")).unwrap(),
    )
    .expect("the Grafana dashboard is JSON");
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            queries.push(target["expr"].as_str().unwrap().to_owned());
        }
    }
    assert!(queries.len() >= 10, "{queries:?}");
    let rules = std::fs::read_to_string(format!("{contrib}/prometheus/alerts.yml")).unwrap();
    // The rules' expressions: not comments, alert names or annotations.
    queries.extend(
        rules
            .lines()
            .map(str::trim)
            .filter(|line| {
                !(line.starts_with('#')
                    || line.starts_with("- alert:")
                    || line.starts_with("summary:"))
            })
            .map(str::to_owned),
    );
    for query in &queries {
        for name in metric_names(query) {
            assert!(
                text.contains(&format!("\n{name}{{")) || text.contains(&format!("\n{name} ")),
                "{name} (in {query}) is not exported"
            );
        }
    }
    for args in [
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
    ] {
        let run = Command::new("promtool")
            .args(args)
            .current_dir(format!("{contrib}/prometheus"))
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
    }

    let operator = world.app.insert_user(Role::Operator).await;
    let operator = world.app.login_user(&operator).await;
    let refused = world
        .app
        .get("/metrics", &operator.access)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    world.shutdown().await;
}

#[tokio::test]
async fn loopback_access_needs_no_token_from_this_machine_and_refuses_others() {
    let config = ApiConfig {
        secure_cookies: false,
        prometheus: PrometheusAccess::Loopback,
        // The test client is on loopback; a proxy there may name a remote client.
        trusted_proxies: TrustedProxies::parse(&["127.0.0.1".into()]).unwrap(),
        ..ApiConfig::default()
    };
    let app = spawn_app_configured(IamConfig::default(), config).await;
    let http = reqwest::Client::new();
    let health = http
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let local = http
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(local.status(), StatusCode::OK);
    let text = local.text().await.unwrap();
    let healthz =
        "proxicloud_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1";
    assert!(text.contains(healthz), "{text}");
    let remote = http
        .get(format!("{}/metrics", app.base))
        .header("x-forwarded-for", "203.0.113.7")
        .send()
        .await
        .unwrap();
    assert_eq!(remote.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = remote.json().await.unwrap();
    assert_eq!(body["error"]["code"], "forbidden");

    // A reverse proxy on this machine nobody named in `trusted_proxies`: its clients
    // all come from loopback, but they are not on this machine.
    let config = ApiConfig {
        secure_cookies: false,
        prometheus: PrometheusAccess::Loopback,
        ..ApiConfig::default()
    };
    let unproxied = spawn_app_configured(IamConfig::default(), config).await;
    for header in ["x-forwarded-for", "x-real-ip"] {
        let proxied = http
            .get(format!("{}/metrics", unproxied.base))
            .header(header, "203.0.113.7")
            .send()
            .await
            .unwrap();
        assert_eq!(proxied.status(), StatusCode::FORBIDDEN, "{header}");
    }
}

#[tokio::test]
async fn token_access_refuses_a_request_without_one_and_off_serves_nothing() {
    let http = reqwest::Client::new();
    let token_app = spawn_app_configured(IamConfig::default(), ApiConfig::default()).await;
    let anonymous = http
        .get(format!("{}/metrics", token_app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let config = ApiConfig {
        prometheus: PrometheusAccess::Off,
        ..ApiConfig::default()
    };
    let off = spawn_app_configured(IamConfig::default(), config).await;
    let admin = off.admin().await;
    let response = off.get("/metrics", &admin.access).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

/// The metric names a PromQL text uses (ours and the PVE ones).
fn metric_names(query: &str) -> Vec<&str> {
    query
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("pve_") || word.starts_with("proxicloud_"))
        .collect()
}
