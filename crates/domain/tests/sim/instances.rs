//! Instance reads from the mirror: operators and readonly users see only their own
//! instances (someone else's is not found), admins see all including unmanaged ones.

use proxicloud_domain::DomainError;
use proxicloud_domain::inventory::{self, InstanceDirectory, InstanceListQuery, OwnerSelector};
use proxicloud_store::{Role, Uuid};

use crate::common::{GUESTS, guest, harness, register_and_mirror_once, user};

#[tokio::test]
async fn users_see_only_their_own_instances_and_admins_see_all() {
    let h = harness().await;
    let admin = user(&*h.store, "root", Role::Admin).await;
    let alice = user(&*h.store, "alice", Role::Operator).await;
    let bob = user(&*h.store, "bob", Role::Readonly).await;
    let cluster = register_and_mirror_once(&h, &admin).await;
    let directory = InstanceDirectory::new(h.store.clone(), h.events.clone());
    let alices = guest(&h, cluster, 100).await.expect("mirrored");
    let bobs = guest(&h, cluster, 101).await.expect("mirrored");
    directory
        .assign_owner(&admin, alices.id, Some(alice.user_id))
        .await
        .expect("assigned");
    directory
        .assign_owner(&admin, bobs.id, Some(bob.user_id))
        .await
        .expect("assigned");

    let ids =
        |list: inventory::InstanceList| -> Vec<Uuid> { list.items.iter().map(|g| g.id).collect() };
    let all = InstanceListQuery::default();
    assert_eq!(
        ids(directory.list(&alice, all.clone()).await.expect("lists")),
        [alices.id]
    );
    assert_eq!(
        ids(directory.list(&bob, all.clone()).await.expect("lists")),
        [bobs.id]
    );
    assert_eq!(
        directory
            .list(&admin, all.clone())
            .await
            .expect("lists")
            .items
            .len(),
        GUESTS
    );
    let unowned = InstanceListQuery {
        owner: Some(OwnerSelector::Unowned),
        ..all.clone()
    };
    assert_eq!(
        directory
            .list(&admin, unowned.clone())
            .await
            .expect("lists")
            .items
            .len(),
        GUESTS - 2
    );
    assert!(
        directory
            .list(&alice, unowned)
            .await
            .expect("lists")
            .items
            .is_empty()
    );
    let bobs_filter = InstanceListQuery {
        owner: Some(OwnerSelector::User(bob.user_id)),
        ..all
    };
    assert!(
        directory
            .list(&alice, bobs_filter)
            .await
            .expect("lists")
            .items
            .is_empty()
    );

    assert!(matches!(
        directory.get(&alice, bobs.id).await,
        Err(DomainError::NotFound {
            resource: "instance"
        })
    ));
    assert_eq!(
        directory.get(&bob, bobs.id).await.expect("own").guest.id,
        bobs.id
    );
    assert!(matches!(
        directory.assign_owner(&alice, alices.id, None).await,
        Err(DomainError::Forbidden(_))
    ));
    assert!(matches!(
        directory.assign_owner(&admin, alices.id, Some(Uuid::now_v7())).await,
        Err(DomainError::Validation(fields)) if fields.contains_key("owner_id")
    ));
    let too_big = InstanceListQuery {
        limit: inventory::MAX_LIST_LIMIT + 1,
        ..InstanceListQuery::default()
    };
    assert!(matches!(
        directory.list(&admin, too_big).await,
        Err(DomainError::Validation(_))
    ));
    h.sim.shutdown().await;
}
