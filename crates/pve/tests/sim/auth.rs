use std::time::Duration;

use proxicloud_pve::{ConfigUpdate, GuestType, HttpPve, Pve, PveError};
use serde_json::Value;

use crate::common::{
    PASSWORD, USER, finish, node, password_client, sim_config, start, start_default,
};

/// A write (PUT, so it needs the CSRF token with ticket auth) on a seeded guest.
async fn write(pve: &HttpPve, text: &str) -> Result<(), PveError> {
    let pve1 = node("pve1");
    let vmid = pve.guests(&pve1, GuestType::Qemu).await?[0].vmid;
    let update = ConfigUpdate {
        description: Some(text.to_string()),
        ..ConfigUpdate::default()
    };
    pve.update_guest_config(&pve1, GuestType::Qemu, vmid, &update)
        .await
}

fn ticket_logins(sim: &proxicloud_pve_sim::RunningSim) -> Vec<Value> {
    sim.recorded_entries()
        .into_iter()
        .filter(|e| e.request.path == "/access/ticket" && e.status == 200)
        .map(|e| {
            e.request
                .params
                .get("password")
                .cloned()
                .unwrap_or(Value::Null)
        })
        .collect()
}

#[tokio::test]
async fn password_login_reads_and_writes_with_csrf() {
    let sim = start_default().await;
    let pve = password_client(&sim, Duration::from_secs(3600));
    assert!(
        !pve.nodes()
            .await
            .expect("GET with the ticket cookie")
            .is_empty()
    );
    // A write: the simulator rejects it unless the CSRF token is sent.
    write(&pve, "written with a ticket")
        .await
        .expect("PUT with CSRF token");
    assert_eq!(ticket_logins(&sim).len(), 1, "one login serves every call");
    finish(sim).await;
}

#[tokio::test]
async fn tickets_are_renewed_with_the_ticket_before_they_expire() {
    let mut config = sim_config();
    config.ticket_lifetime = Duration::from_secs(3);
    let sim = start(config).await;
    let pve = password_client(&sim, Duration::from_secs(1));
    for _ in 0..4 {
        pve.version().await.expect("still authenticated");
        write(&pve, "renewal").await.expect("write");
        tokio::time::sleep(Duration::from_millis(1200)).await;
    }
    // 4.8 s in, well past the first ticket's 3 s lifetime.
    pve.version()
        .await
        .expect("authenticated after the first ticket expired");
    // One password login, then renewals that post the current ticket as the password
    // (as the PVE web UI, pvesh and proxmoxer do), each accepted by the simulator.
    let logins = ticket_logins(&sim);
    assert!(logins.len() >= 4, "renewed about every second: {logins:?}");
    assert_eq!(logins[0], PASSWORD, "the first login uses the password");
    for renewal in &logins[1..] {
        let posted = renewal.as_str().unwrap_or_default();
        assert!(
            posted.starts_with(&format!("PVE:{USER}:")),
            "a renewal posts the ticket, not the password: {renewal}"
        );
    }
    finish(sim).await;
}

#[tokio::test]
async fn expired_tickets_fall_back_to_a_password_login() {
    let mut config = sim_config();
    config.ticket_lifetime = Duration::from_secs(1);
    let sim = start(config).await;
    // Renewal age beyond the lifetime: the ticket dies while the client still trusts it,
    // so the first call after that gets a 401 and must log in again by itself.
    let pve = password_client(&sim, Duration::from_secs(3600));
    pve.version().await.expect("first login");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    write(&pve, "relogin")
        .await
        .expect("write after the ticket expired");
    assert_eq!(ticket_logins(&sim).len(), 2, "one re-login after the 401");

    // Renewal due but the old ticket already expired: PVE refuses the renewal (only a
    // ticket can be refused here: the password is right), and the client falls back to
    // the password.
    let pve = password_client(&sim, Duration::from_millis(500));
    pve.version().await.expect("login");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    pve.version()
        .await
        .expect("renewal refused, password login instead");
    let refused = sim
        .recorded_entries()
        .iter()
        .filter(|e| e.request.path == "/access/ticket" && e.status == 401)
        .count();
    assert_eq!(refused, 1, "the expired ticket was posted for renewal once");
    assert_eq!(ticket_logins(&sim).len(), 4);
    finish(sim).await;
}

/// Ten requests that all find the ticket dead re-login once between them, not ten
/// times (PVE rate-limits failed and repeated logins; a burst must not trip it).
#[tokio::test]
async fn concurrent_refusals_share_one_relogin() {
    // Long enough that the re-login's own ticket outlives the burst on a loaded
    // machine (at 1 s it sometimes expired before the last of the ten requests).
    let mut config = sim_config();
    config.ticket_lifetime = Duration::from_secs(3);
    let sim = start(config).await;
    let pve = std::sync::Arc::new(password_client(&sim, Duration::from_secs(3600)));
    pve.version().await.expect("first login");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let pve = pve.clone();
            tokio::spawn(async move { pve.version().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("authenticated again");
    }
    assert_eq!(
        ticket_logins(&sim).len(),
        2,
        "the first login, then a single re-login for the whole burst"
    );
    finish(sim).await;
}

#[tokio::test]
async fn writes_without_csrf_token_are_rejected_by_the_simulator() {
    let sim = start_default().await;
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let api = |path: &str| format!("{}/api2/json{path}", sim.base_url);
    let login: Value = http
        .post(api("/access/ticket"))
        .form(&[("username", USER), ("password", PASSWORD)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = login["data"]["ticket"]
        .as_str()
        .expect("ticket")
        .to_string();
    let csrf = login["data"]["CSRFPreventionToken"]
        .as_str()
        .expect("csrf")
        .to_string();
    let cookie = format!("PVEAuthCookie={ticket}");

    let guests: Value = http
        .get(api("/nodes/pve1/qemu"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let vmid = &guests["data"][0]["vmid"];
    let config = api(&format!("/nodes/pve1/qemu/{vmid}/config"));
    let without = http
        .put(&config)
        .header("Cookie", &cookie)
        .form(&[("description", "no csrf")])
        .send()
        .await
        .unwrap();
    assert_eq!(without.status(), 401);
    let with = http
        .put(&config)
        .header("Cookie", &cookie)
        .header("CSRFPreventionToken", &csrf)
        .form(&[("description", "with csrf")])
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 200);
    let read = http
        .get(&config)
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200, "GETs need no CSRF token");
    finish(sim).await;
}

#[tokio::test]
async fn wrong_credentials_are_unauthorized() {
    let sim = start_default().await;
    let mut config = crate::common::token_config(&sim);
    config.auth = proxicloud_pve::Auth::token(crate::common::TOKEN_ID, "wrong-secret");
    let pve = proxicloud_pve::HttpPve::new(config).unwrap();
    let err = pve.version().await.expect_err("bad token");
    assert!(matches!(err, PveError::Unauthorized { .. }), "{err:?}");
    let mut config = crate::common::token_config(&sim);
    config.auth = proxicloud_pve::Auth::password(USER, "not-the-password");
    let pve = proxicloud_pve::HttpPve::new(config).unwrap();
    let err = pve.version().await.expect_err("bad password");
    assert!(matches!(err, PveError::Unauthorized { .. }), "{err:?}");
    finish(sim).await;
}
