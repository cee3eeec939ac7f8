//! Jobs nobody clicked, over HTTP: history that outlives its user, system jobs for
//! admins, job trees, and cancellation. Jobs are queued straight into the store (no
//! engine runs), so each stays where the test puts it.

use proxicloud_store::{ChildOf, Job, JobActor, JobStep, NewJob, Role, Uuid};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApp, error_code, spawn_app, status_and_json};

async fn queue(app: &TestApp, actor: JobActor, parent: Option<&Job>, key: &str) -> Job {
    let job = NewJob {
        parent: parent.map(|p| ChildOf {
            parent_id: p.id,
            key: key.into(),
        }),
        ..NewJob::new("instance.start", actor, vec![JobStep::pending("start")])
    };
    app.store.jobs().create(job).await.unwrap().job
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    status_and_json(app.get(path, token).send().await.unwrap()).await
}

fn ids(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_deleted_users_jobs_stay_listed_for_admins_with_the_user_shown_as_deleted() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let olga = app.insert_user(Role::Operator).await;
    let job = queue(&app, JobActor::User(olga.id), None, "").await;
    let (_, before) = get(&app, &admin.access, &format!("/api/v1/jobs/{}", job.id)).await;
    assert_eq!(
        before["actor"],
        json!({ "kind": "user", "id": olga.id, "name": olga.username, "deleted": false })
    );

    let deleted = app
        .request(Method::DELETE, &format!("/api/v1/users/{}", olga.id))
        .bearer_auth(&admin.access)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);

    let (status, page) = get(&app, &admin.access, "/api/v1/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&page), [job.id.to_string()]);
    assert_eq!(
        page["items"][0]["actor"],
        json!({ "kind": "user", "id": olga.id, "name": olga.username, "deleted": true })
    );
}

#[tokio::test]
async fn system_jobs_are_for_admins() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let olga = app.insert_user(Role::Operator).await;
    let olgas = app.login_user(&olga).await;
    let system = JobActor::System {
        name: "retention".into(),
    };
    let job = queue(&app, system, None, "").await;
    let path = format!("/api/v1/jobs/{}", job.id);

    let (_, seen) = get(&app, &admin.access, &path).await;
    assert_eq!(
        seen["actor"],
        json!({ "kind": "system", "name": "retention", "deleted": false })
    );
    let (_, listed) = get(&app, &admin.access, "/api/v1/jobs").await;
    assert_eq!(ids(&listed), [job.id.to_string()]);
    assert_eq!(
        get(&app, &olgas.access, &path).await.0,
        StatusCode::NOT_FOUND
    );
    let (_, hers) = get(&app, &olgas.access, "/api/v1/jobs").await;
    assert_eq!(hers["items"], json!([]));
}

#[tokio::test]
async fn a_job_shows_its_tree_and_lists_show_top_level_jobs_unless_asked_for_children() {
    let app = spawn_app().await;
    let olga = app.insert_user(Role::Operator).await;
    let olgas = app.login_user(&olga).await;
    let piotr = app.insert_user(Role::Operator).await;
    let piotrs = app.login_user(&piotr).await;
    let parent = queue(&app, JobActor::User(olga.id), None, "").await;
    let first = queue(&app, JobActor::User(olga.id), Some(&parent), "first").await;
    let nested = queue(&app, JobActor::User(olga.id), Some(&first), "nested").await;
    let second = queue(&app, JobActor::User(olga.id), Some(&parent), "second").await;

    let (_, tree) = get(&app, &olgas.access, &format!("/api/v1/jobs/{}", parent.id)).await;
    assert_eq!(tree["parent_id"], Value::Null);
    let children = tree["children"].as_array().unwrap();
    let child_ids: Vec<&str> = children.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(child_ids, [first.id.to_string(), second.id.to_string()]);
    assert_eq!(children[0]["parent_id"], json!(parent.id));
    assert_eq!(children[0]["children"][0]["id"], json!(nested.id));

    let (_, top) = get(&app, &olgas.access, "/api/v1/jobs").await;
    assert_eq!(
        ids(&top),
        [parent.id.to_string()],
        "children are not listed at the top"
    );
    let (_, under) = get(
        &app,
        &olgas.access,
        &format!("/api/v1/jobs?parent_id={}", parent.id),
    )
    .await;
    assert_eq!(ids(&under), [second.id.to_string(), first.id.to_string()]);
    let (status, _) = get(
        &app,
        &piotrs.access,
        &format!("/api/v1/jobs?parent_id={}", parent.id),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "someone else's tree does not exist for you"
    );
    let (status, _) = get(&app, &piotrs.access, &format!("/api/v1/jobs/{}", nested.id)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cancelling_ends_a_queued_tree_at_once_refuses_a_finished_job_and_is_audited() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let olga = app.insert_user(Role::Operator).await;
    let olgas = app.login_user(&olga).await;
    let parent = queue(&app, JobActor::User(olga.id), None, "").await;
    let child = queue(&app, JobActor::User(olga.id), Some(&parent), "only").await;
    let cancel = |id: Uuid| {
        app.post(
            &format!("/api/v1/jobs/{id}/cancel"),
            &olgas.access,
            json!({}),
        )
    };

    let (status, job) = status_and_json(cancel(parent.id).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["status"], json!("cancelled"));
    let reason = format!("cancelled by {}", olga.username);
    assert_eq!(job["error"], json!(reason));
    let (_, child) = get(&app, &olgas.access, &format!("/api/v1/jobs/{}", child.id)).await;
    assert_eq!(
        (&child["status"], &child["error"]),
        (&json!("cancelled"), &json!(reason))
    );

    let (status, body) = status_and_json(cancel(parent.id).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(error_code(&body), "job_finished");

    let (_, audit) = get(&app, &admin.access, "/api/v1/audit?limit=100").await;
    let cancels: Vec<&Value> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == json!("cancel_job"))
        .collect();
    assert!(
        cancels
            .iter()
            .any(|e| e["resource"] == json!(format!("jobs/{}", parent.id))),
        "{cancels:#?}"
    );
}
