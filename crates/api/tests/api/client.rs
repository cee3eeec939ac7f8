//! The typed client (`proxicloud-client`) against the real server: the calls the CLI
//! makes, its error type, its pagination and its job waiting. Here rather than in the
//! client crate because this binary already has the in-process server with the
//! simulator and the job engine (`spawn_with_engine`); the CLI tests drive the same
//! client through the real binary.

use proxicloud_client::api::instances::{
    CreateInstanceRequest, InstanceDto, InstanceListParams, InstanceType,
};
use proxicloud_client::api::jobs::{JobListParams, JobStatusDto};
use proxicloud_client::api::tokens::CreateApiTokenRequest;
use proxicloud_client::{Client, ClientError, Power, WaitOptions};
use proxicloud_store::Role;
use secrecy::SecretString;

use crate::job_support::{TEMPLATE, spawn_with_engine};
use crate::support::{ADMIN_PASSWORD, spawn_app};

#[tokio::test]
async fn logs_in_creates_an_api_token_and_carries_the_servers_refusals() {
    let app = spawn_app().await;
    let anonymous = Client::anonymous(&app.base).unwrap();

    let wrong = anonymous
        .auth()
        .login("admin", SecretString::from("not-the-password"))
        .await
        .unwrap_err();
    assert!(
        matches!(&wrong, ClientError::Api { status: 401, code, .. } if code == "invalid_credentials"),
        "{wrong:?}"
    );
    assert!(wrong.is_refused() && !wrong.is_unavailable());

    let session = anonymous
        .auth()
        .login("admin", SecretString::from(ADMIN_PASSWORD))
        .await
        .unwrap();
    let as_session = anonymous.with_token(session.access_token.unwrap());
    let created = as_session
        .tokens()
        .create(&CreateApiTokenRequest {
            name: "cli-test".to_owned(),
            expires_in_days: None,
        })
        .await
        .unwrap();
    assert!(!format!("{created:?}").contains(&created.secret));
    let as_token = anonymous.with_token(created.secret.clone());
    let me = as_token.auth().me().await.unwrap();
    assert_eq!(
        (me.user.username.as_str(), me.authenticated_by.as_str()),
        ("admin", "api_token")
    );
    assert!(!format!("{as_token:?}").contains(&created.secret));

    // 422 with the per-field problems.
    let invalid = as_session
        .tokens()
        .create(&CreateApiTokenRequest {
            name: String::new(),
            expires_in_days: Some(0),
        })
        .await
        .unwrap_err();
    let ClientError::Api { status, fields, .. } = &invalid else {
        panic!("{invalid:?}")
    };
    assert_eq!(*status, 422);
    assert!(
        fields.as_ref().is_some_and(|f| f.contains_key("name")),
        "{fields:?}"
    );

    let bad = anonymous.with_token("pc_not-a-token");
    let refused = bad
        .jobs()
        .list(&JobListParams::default())
        .await
        .unwrap_err();
    assert_eq!(refused.status(), Some(401));
    assert_eq!(refused.code(), Some("unauthenticated"));

    // Nothing listens on port 9 of localhost: a transport failure, not an API error.
    let nowhere = Client::new("http://127.0.0.1:9", "pc_x").unwrap();
    let unreachable = nowhere.auth().me().await.unwrap_err();
    assert!(
        matches!(unreachable, ClientError::Transport(_)),
        "{unreachable:?}"
    );
    assert!(unreachable.is_unavailable());
}

#[tokio::test]
async fn launches_waits_with_progress_pages_through_lists_and_powers_off() {
    let world = spawn_with_engine().await;
    let client = Client::new(&world.app().base, world.admin.access.clone()).unwrap();

    let create = CreateInstanceRequest {
        kind: Some(InstanceType::Lxc),
        name: Some("typed-client".to_owned()),
        template: Some(TEMPLATE.to_owned()),
        memory: Some(512),
        disk: Some(4),
        generate_root_password: true,
        ..CreateInstanceRequest::default()
    };
    let launched = client
        .instances()
        .launch(&create, Some("typed-1"))
        .await
        .unwrap();
    let again = client
        .instances()
        .launch(&create, Some("typed-1"))
        .await
        .unwrap();
    assert_eq!(launched.job.id, again.job.id, "the idempotency key is sent");
    assert!(launched.root_password.is_some() && again.root_password.is_none());
    let job = launched.job;

    let mut seen = Vec::new();
    let done = client
        .wait_for_job(job.id, &WaitOptions::default(), |job| {
            seen.push((job.status, job.progress))
        })
        .await
        .unwrap();
    assert_eq!(done.status, JobStatusDto::Succeeded, "{:?}", done.error);
    assert!(seen.len() >= 2, "progress reported as it went: {seen:?}");
    assert_eq!(seen.last(), Some(&(JobStatusDto::Succeeded, 100)));
    let progress: Vec<u8> = seen.iter().map(|(_, p)| *p).collect();
    assert!(progress.is_sorted(), "{progress:?}");

    let id = done.resource_id.unwrap().parse().unwrap();
    let instance = client.instances().get(id).await.unwrap();
    assert_eq!(instance.name, "typed-client");

    // Pages of 5 add up to the single big page, in the same order.
    let small = InstanceListParams {
        limit: Some(5),
        ..InstanceListParams::default()
    };
    let paged = client.instances().list_all(&small).await.unwrap();
    let whole = client
        .instances()
        .list(&InstanceListParams {
            limit: Some(1000),
            ..InstanceListParams::default()
        })
        .await
        .unwrap();
    assert!(paged.len() > 5, "more than one page: {}", paged.len());
    // The mirror keeps polling (and the address worker learning) between the two reads,
    // so live fields may differ; paging must give the same instances in the same order.
    let ids = |items: &[InstanceDto]| items.iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(ids(&paged), ids(&whole.items));

    let stop = client.instances().power(id, Power::Stop).await.unwrap();
    let stopped = client
        .wait_for_job(stop.id, &WaitOptions::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(stopped.status, JobStatusDto::Succeeded);

    let jobs = client
        .jobs()
        .list_all(&JobListParams {
            limit: Some(1),
            ..JobListParams::default()
        })
        .await
        .unwrap();
    assert_eq!(jobs.len(), 2, "create and stop, one page each");
    assert_eq!(jobs[0].id, stop.id, "newest first");

    // Someone else's instance is "not found" for an operator, as the API says.
    let (_, operator) = world.user(Role::Operator).await;
    let theirs = Client::new(&world.app().base, operator.access).unwrap();
    let hidden = theirs.instances().get(id).await.unwrap_err();
    assert_eq!(hidden.status(), Some(404));
    world.shutdown().await;
}
