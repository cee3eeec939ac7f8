use proxicloud_pve::{FirewallOptions, FirewallRuleSpec, FirewallScope, GuestType, Pve};

use crate::common::{finish, node, start_default, token_client};

async fn exercise_rules(pve: &dyn Pve, scope: &FirewallScope) {
    let mut ssh = FirewallRuleSpec::new("in", "ACCEPT");
    ssh.proto = Some("tcp".to_string());
    ssh.dport = Some("22".to_string());
    ssh.comment = Some("ssh".to_string());
    pve.create_firewall_rule(scope, &ssh)
        .await
        .expect("create rule");
    let mut web = FirewallRuleSpec::new("in", "ACCEPT");
    web.macro_name = Some("HTTPS".to_string());
    web.pos = Some(0);
    pve.create_firewall_rule(scope, &web)
        .await
        .expect("insert at top");
    let rules = pve.firewall_rules(scope).await.expect("rules");
    assert_eq!(rules.len(), 2, "{scope:?}: {rules:?}");
    assert_eq!(rules[0].macro_name.as_deref(), Some("HTTPS"));
    assert_eq!(rules[1].dport.as_deref(), Some("22"));

    let change = FirewallRuleSpec {
        dport: Some("2222".to_string()),
        enable: Some(false),
        delete: vec!["comment".to_string()],
        ..FirewallRuleSpec::default()
    };
    pve.update_firewall_rule(scope, 1, &change)
        .await
        .expect("update rule");
    let rules = pve.firewall_rules(scope).await.unwrap();
    assert_eq!(rules[1].dport.as_deref(), Some("2222"));
    assert_eq!(rules[1].enable, Some(false));
    assert_eq!(rules[1].comment, None);
    let move_up = FirewallRuleSpec {
        pos: Some(0),
        ..FirewallRuleSpec::default()
    };
    pve.update_firewall_rule(scope, 1, &move_up)
        .await
        .expect("move rule");
    assert_eq!(
        pve.firewall_rules(scope).await.unwrap()[0].dport.as_deref(),
        Some("2222")
    );
    pve.delete_firewall_rule(scope, 0)
        .await
        .expect("delete rule");
    assert_eq!(pve.firewall_rules(scope).await.unwrap().len(), 1);
}

#[tokio::test]
async fn firewall_groups_rules_and_options() {
    let sim = start_default().await;
    let pve = token_client(&sim);

    pve.create_firewall_group("webservers", Some("HTTP(S) in"))
        .await
        .expect("group");
    let groups = pve.firewall_groups().await.expect("groups");
    assert!(groups.iter().any(|g| g.group == "webservers"));
    exercise_rules(&pve, &FirewallScope::Group("webservers".to_string())).await;
    exercise_rules(&pve, &FirewallScope::Cluster).await;
    let pve1 = node("pve1");
    let vmid = pve.guests(&pve1, GuestType::Qemu).await.unwrap()[0].vmid;
    let guest = FirewallScope::Guest {
        node: pve1.clone(),
        ty: GuestType::Qemu,
        vmid,
    };
    exercise_rules(&pve, &guest).await;
    let mut uses_group = FirewallRuleSpec::new("group", "webservers");
    uses_group.enable = Some(true);
    pve.create_firewall_rule(&guest, &uses_group)
        .await
        .expect("group rule");

    let cluster = FirewallOptions {
        enable: Some(true),
        policy_in: Some("DROP".to_string()),
        policy_out: Some("ACCEPT".to_string()),
        ebtables: Some(true),
        ..FirewallOptions::default()
    };
    pve.set_cluster_firewall_options(&cluster)
        .await
        .expect("cluster options");
    let read = pve
        .cluster_firewall_options()
        .await
        .expect("read cluster options");
    assert_eq!(read.enable, Some(true));
    assert_eq!(read.policy_in.as_deref(), Some("DROP"));

    let guest_options = FirewallOptions {
        enable: Some(true),
        dhcp: Some(true),
        macfilter: Some(false),
        log_level_in: Some("info".to_string()),
        ..FirewallOptions::default()
    };
    pve.set_guest_firewall_options(&pve1, GuestType::Qemu, vmid, &guest_options)
        .await
        .expect("guest options");
    let read = pve
        .guest_firewall_options(&pve1, GuestType::Qemu, vmid)
        .await
        .expect("read guest options");
    assert_eq!(read.enable, Some(true));
    assert_eq!(read.dhcp, Some(true));
    assert_eq!(read.macfilter, Some(false));
    assert_eq!(read.log_level_in.as_deref(), Some("info"));

    pve.delete_firewall_rule(&guest, 0).await.unwrap();
    pve.delete_firewall_rule(&guest, 0).await.unwrap();
    pve.delete_firewall_rule(&FirewallScope::Group("webservers".to_string()), 0)
        .await
        .unwrap();
    pve.delete_firewall_group("webservers")
        .await
        .expect("delete group");
    assert!(
        pve.firewall_groups()
            .await
            .unwrap()
            .iter()
            .all(|g| g.group != "webservers")
    );
    finish(sim).await;
}
