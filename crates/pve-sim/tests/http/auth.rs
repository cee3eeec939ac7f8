use std::time::Duration;

use proxicloud_pve_sim::SimConfig;
use reqwest::Method;

use crate::common::{Harness, PASSWORD, TOKEN_ID, USER, body, config, reason};

async fn login(harness: &Harness, password: &str) -> reqwest::Response {
    harness
        .anonymous(Method::POST, "/access/ticket")
        .form(&[("username", USER), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn api_tokens_authenticate_and_wrong_secrets_are_refused() {
    let harness = Harness::default().await;
    let ok = harness.api(Method::GET, "/version").send().await.unwrap();
    assert_eq!(ok.status(), 200);

    let wrong = harness
        .anonymous(Method::GET, "/version")
        .header(
            "Authorization",
            format!("PVEAPIToken={TOKEN_ID}=not-the-secret"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert_eq!(reason(&wrong), "Authentication failed!");
    assert_eq!(
        wrong.text().await.unwrap(),
        "",
        "PVE sends no body with auth failures"
    );

    // PVE also accepts a space after the scheme name.
    let spaced = harness
        .anonymous(Method::GET, "/version")
        .header(
            "Authorization",
            format!("PVEAPIToken {TOKEN_ID}={}", crate::common::TOKEN_SECRET),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(spaced.status(), 200);
}

#[tokio::test]
async fn requests_without_credentials_get_no_ticket() {
    let harness = Harness::default().await;
    let response = harness
        .anonymous(Method::GET, "/nodes")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(reason(&response), "No ticket");
}

#[tokio::test]
async fn ticket_login_then_writes_need_the_csrf_token() {
    let harness = Harness::default().await;
    let wrong = login(&harness, "wrong").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(reason(&wrong), "authentication failure");

    let data = body(login(&harness, PASSWORD).await).await["data"].take();
    assert_eq!(data["username"], USER);
    let ticket = data["ticket"].as_str().unwrap().to_string();
    let csrf = data["CSRFPreventionToken"].as_str().unwrap().to_string();
    assert!(ticket.starts_with("PVE:root@pam:"), "{ticket}");
    assert!(data["cap"]["vms"]["VM.Allocate"] == 1);
    let cookie = format!(
        "PVEAuthCookie={}",
        percent_encoding::utf8_percent_encode(&ticket, percent_encoding::NON_ALPHANUMERIC)
    );

    let read = harness
        .anonymous(Method::GET, "/cluster/resources")
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200, "GET needs no CSRF token");

    let allocate = |csrf: Option<&str>, name: &str| {
        let mut request = harness
            .anonymous(Method::POST, "/nodes/pve1/storage/local-lvm/content")
            .header("Cookie", &cookie)
            .form(&[("vmid", "100"), ("filename", name), ("size", "1G")]);
        if let Some(csrf) = csrf {
            request = request.header("CSRFPreventionToken", csrf);
        }
        request.send()
    };
    let refused = allocate(None, "vm-100-disk-7").await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(reason(&refused), "Permission denied - invalid csrf token");
    let forged = allocate(Some("6740ABCD:Zm9yZ2Vk"), "vm-100-disk-7")
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    let accepted = allocate(Some(&csrf), "vm-100-disk-7").await.unwrap();
    assert_eq!(accepted.status(), 200);
    assert_eq!(body(accepted).await["data"], "local-lvm:vm-100-disk-7");
}

#[tokio::test]
async fn tickets_expire_and_a_valid_ticket_renews_itself() {
    let harness = Harness::start(SimConfig {
        ticket_lifetime: Duration::from_secs(2),
        ..config()
    })
    .await;
    let first = body(login(&harness, PASSWORD).await).await["data"].take();
    let ticket = first["ticket"].as_str().unwrap().to_string();

    // Renewal: the current ticket is accepted as the password.
    let renewed = login(&harness, &ticket).await;
    assert_eq!(renewed.status(), 200);
    let renewed = body(renewed).await["data"].take();
    assert!(
        renewed["ticket"]
            .as_str()
            .unwrap()
            .starts_with("PVE:root@pam:")
    );

    tokio::time::sleep(Duration::from_millis(2500)).await;
    let expired = harness
        .anonymous(Method::GET, "/version")
        .header("Cookie", format!("PVEAuthCookie={ticket}"))
        .send()
        .await
        .unwrap();
    assert_eq!(expired.status(), 401);
    assert_eq!(reason(&expired), "Authentication failed!");
    assert_eq!(
        login(&harness, &ticket).await.status(),
        401,
        "expired tickets do not renew"
    );
}

#[tokio::test]
async fn tickets_in_the_authorization_header_work_too() {
    let harness = Harness::default().await;
    let data = body(login(&harness, PASSWORD).await).await["data"].take();
    let response = harness
        .anonymous(Method::GET, "/nodes")
        .header(
            "Authorization",
            format!("PVEAuthCookie={}", data["ticket"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn api_tokens_are_refused_where_pve_wants_a_ticket() {
    let harness = Harness::default().await;
    let response = harness
        .api(Method::PUT, "/access/password")
        .form(&[("userid", "root@pam"), ("password", "newpassword")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(
        reason(&response),
        "Permission check failed (URI '/access/password' not available with API token, need proper ticket.)"
    );
    // A token cannot buy a ticket either.
    let ticket = harness
        .api(Method::POST, "/access/ticket")
        .form(&[("username", USER), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(ticket.status(), 403);
}

#[tokio::test]
async fn tokens_created_through_the_api_work_until_deleted() {
    let harness = Harness::default().await;
    let created = harness
        .api(Method::POST, "/access/users/root@pam/token/automation")
        .form(&[("privsep", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let created = body(created).await["data"].take();
    assert_eq!(created["full-tokenid"], "root@pam!automation");
    let secret = created["value"].as_str().unwrap().to_string();
    let with_new_token = || {
        harness
            .anonymous(Method::GET, "/version")
            .header(
                "Authorization",
                format!("PVEAPIToken=root@pam!automation={secret}"),
            )
            .send()
    };
    assert_eq!(with_new_token().await.unwrap().status(), 200);

    let deleted = harness
        .api(Method::DELETE, "/access/users/root@pam/token/automation")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let refused = with_new_token().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(reason(&refused), "Authentication failed!");
}
