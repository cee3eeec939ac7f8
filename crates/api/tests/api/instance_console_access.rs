//! Who may open which console, over real websocket upgrades: another user's instance
//! does not exist for you (404, as for every other call on it) while its owner opens
//! it; a cluster registered with an API token on a Proxmox VE older than 9.0.13 is
//! refused with `console_needs_password` (409, as the OpenAPI document says); each
//! refused attempt is audited like a refused write. The Proxmox ticket never reaches
//! the browser (the server spends it), so there is no console ticket to pass on.

use reqwest::Method;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use proxicloud_store::{Role, Uuid};

use crate::instance_console::{connect, console_audit, pick, read_until, refused_status};
use crate::sim_support::spawn_app_with_sim;

#[tokio::test]
async fn another_users_console_cannot_be_opened_and_refusals_are_audited() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    let items = sim.wait_for_inventory(&admin).await;
    let ct = pick(&items, "lxc", "running");
    let (id, name) = (ct["id"].as_str().unwrap(), ct["name"].as_str().unwrap());
    let alice = sim.app.insert_user(Role::Operator).await;
    let bob = sim.app.insert_user(Role::Operator).await;
    sim.app
        .store
        .guests()
        .set_owner(Uuid::parse_str(id).unwrap(), Some(alice.id))
        .await
        .unwrap();
    let (alice_session, bob_session) = (
        sim.app.login_user(&alice).await,
        sim.app.login_user(&bob).await,
    );

    let (status, body) = refused_status(connect(&sim, &bob_session, id, None).await);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let mut socket = connect(&sim, &alice_session, id, None).await.unwrap();
    let mut seen = String::new();
    read_until(&mut socket, &mut seen, &format!("root@{name}:~# ")).await;
    socket.close(None).await.unwrap();

    // The refusal is in the audit log, as bob's, with its status and code.
    let entries = console_audit(&sim, &admin, id, 3).await;
    let refused: Vec<&Value> = entries
        .iter()
        .filter(|e| e["outcome"] != "success")
        .collect();
    assert_eq!(refused.len(), 1, "{entries:?}");
    assert_eq!(refused[0]["username"], bob.username.as_str());
    assert_eq!(refused[0]["action"], "instance.console.open");
    assert_eq!(refused[0]["outcome"], "failure");
    assert_eq!(refused[0]["details"]["status"], 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_token_on_an_older_proxmox_is_told_to_use_a_password_and_denials_are_audited() {
    let sim = spawn_app_with_sim().await;
    let admin = sim.app.admin().await;
    sim.register(&admin).await;
    let items = sim.wait_for_inventory(&admin).await;
    let id = pick(&items, "vm", "running")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    sim.sim_control(Method::POST, "version?version=9.0.12")
        .await;
    let (status, body) = refused_status(connect(&sim, &admin, &id, None).await);
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "console_needs_password", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("9.0.12") && message.contains("user and password"),
        "{message}"
    );
    // The console page asks why with a plain GET: the same answer.
    let response = sim
        .app
        .get(&format!("/api/v1/instances/{id}/console"), &admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);

    // Another site's page: denied, and recorded as such.
    let foreign = connect(&sim, &admin, &id, Some("https://evil.example")).await;
    assert_eq!(refused_status(foreign).0, 403);
    let entries = console_audit(&sim, &admin, &id, 2).await;
    let outcomes: Vec<(&str, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                e["details"]["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(outcomes.contains(&("failure", 409)), "{outcomes:?}");
    assert!(outcomes.contains(&("denied", 403)), "{outcomes:?}");
    assert_eq!(
        entries.len(),
        2,
        "the plain GET is not an attempt: {entries:?}"
    );

    sim.sim_control(Method::POST, "reset").await;
    let mut socket = connect(&sim, &admin, &id, None).await.unwrap();
    assert!(matches!(
        futures_util::StreamExt::next(&mut socket).await,
        Some(Ok(Message::Text(_)))
    ));
    sim.shutdown().await;
}
