use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::rules::{create_rule, delete_rule, get_rule, list_rules, update_rule};
use super::*;
use crate::{Cluster, SimConfig};

fn sim() -> Sim {
    let config = SimConfig {
        time_scale: 0.0,
        ..Default::default()
    };
    Sim::new(config, Cluster::default())
}

fn req(method: Method, template: &str, path: &[(&str, &str)], params: Value) -> Req {
    Req {
        method,
        template: template.into(),
        path: path
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        params: params.as_object().cloned().unwrap_or_else(Map::new),
        user: "root@pam".into(),
    }
}

const GUEST_RULES: &str = "/nodes/{node}/qemu/{vmid}/firewall/rules";
const GUEST_RULE: &str = "/nodes/{node}/qemu/{vmid}/firewall/rules/{pos}";
const GUEST: [(&str, &str); 2] = [("node", "pve1"), ("vmid", "100")];

fn add_rule(sim: &Sim, params: Value) -> ApiResult {
    create_rule(sim, &req(Method::Post, GUEST_RULES, &GUEST, params))
}

fn guest_rules(sim: &Sim) -> Vec<Value> {
    let rules = list_rules(sim, &req(Method::Get, GUEST_RULES, &GUEST, json!({}))).unwrap();
    rules.as_array().unwrap().clone()
}

fn at(pos: &str) -> [(&'static str, String); 3] {
    [
        ("node", "pve1".into()),
        ("vmid", "100".into()),
        ("pos", pos.into()),
    ]
}

fn rule_req(method: Method, pos: &str, params: Value) -> Req {
    let path = at(pos);
    let path: Vec<(&str, &str)> = path.iter().map(|(k, v)| (*k, v.as_str())).collect();
    req(method, GUEST_RULE, &path, params)
}

fn comments(sim: &Sim) -> Vec<String> {
    guest_rules(sim)
        .iter()
        .map(|r| r["comment"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn three_rules(sim: &Sim) {
    for name in ["c", "b", "a"] {
        add_rule(sim, json!({ "type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "22", "comment": name })).unwrap();
    }
}

#[test]
fn new_rules_go_first_disabled_with_positions_and_digest() {
    let sim = sim();
    three_rules(&sim);
    let rules = guest_rules(&sim);
    assert_eq!(comments(&sim), ["a", "b", "c"]);
    assert_eq!(rules[0]["pos"], 0);
    assert_eq!(rules[2]["pos"], 2);
    assert_eq!(
        rules[0]["enable"], 0,
        "PVE stores new rules disabled unless enable is given"
    );
    assert_eq!(rules[0]["digest"], rules[1]["digest"]);
    let one = get_rule(&sim, &rule_req(Method::Get, "1", json!({}))).unwrap();
    assert_eq!(one["comment"], "b");
    let err = get_rule(&sim, &rule_req(Method::Get, "3", json!({}))).unwrap_err();
    assert_eq!(
        (err.status, err.message.as_str()),
        (500, "no rule at position 3")
    );
}

#[test]
fn moveto_reorders_like_pve() {
    let sim = sim();
    three_rules(&sim);
    update_rule(&sim, &rule_req(Method::Put, "0", json!({ "moveto": "2" }))).unwrap();
    assert_eq!(
        comments(&sim),
        ["b", "a", "c"],
        "moved before the rule that was at 2"
    );
    update_rule(&sim, &rule_req(Method::Put, "0", json!({ "moveto": "9" }))).unwrap();
    assert_eq!(comments(&sim), ["a", "c", "b"], "past the end goes last");
    update_rule(&sim, &rule_req(Method::Put, "2", json!({ "moveto": "0" }))).unwrap();
    assert_eq!(comments(&sim), ["b", "a", "c"]);
}

#[test]
fn stale_digest_is_rejected_and_current_one_accepted() {
    let sim = sim();
    three_rules(&sim);
    let digest = guest_rules(&sim)[0]["digest"].as_str().unwrap().to_string();
    update_rule(
        &sim,
        &rule_req(Method::Put, "0", json!({ "enable": "1", "digest": digest })),
    )
    .unwrap();
    assert_eq!(guest_rules(&sim)[0]["enable"], 1);

    let err = delete_rule(
        &sim,
        &rule_req(Method::Delete, "0", json!({ "digest": digest })),
    )
    .unwrap_err();
    assert_eq!(err.status, 500);
    assert_eq!(
        err.message,
        "detected modified configuration - file changed by other user? Try again."
    );
    assert_eq!(guest_rules(&sim).len(), 3, "nothing deleted");
    let fresh = guest_rules(&sim)[0]["digest"].as_str().unwrap().to_string();
    delete_rule(
        &sim,
        &rule_req(Method::Delete, "0", json!({ "digest": fresh })),
    )
    .unwrap();
    assert_eq!(comments(&sim), ["b", "c"]);
}

#[test]
fn rules_are_verified_like_pve() {
    let sim = sim();
    let err = add_rule(&sim, json!({ "type": "in", "action": "ALLOW" })).unwrap_err();
    assert_eq!(
        (err.status, err.errors["action"].as_str()),
        (400, "unknown action 'ALLOW'")
    );
    let err = add_rule(
        &sim,
        json!({ "type": "in", "action": "ACCEPT", "dport": "80" }),
    )
    .unwrap_err();
    assert_eq!(
        err.errors["proto"],
        "missing property - 'dport' requires this property"
    );
    let err = add_rule(
        &sim,
        json!({ "type": "in", "action": "ACCEPT", "iface": "eth0" }),
    )
    .unwrap_err();
    assert_eq!(
        err.errors["iface"],
        "value does not match the regex pattern 'net\\d+'"
    );
    let err = add_rule(
        &sim,
        json!({ "type": "in", "action": "ACCEPT", "macro": "nope" }),
    )
    .unwrap_err();
    assert_eq!(err.errors["macro"], "unknown macro 'nope'");

    add_rule(&sim, json!({ "type": "in", "action": "ACCEPT", "macro": "ssh", "source": "10.0.0.0/8", "log": "info", "enable": "1" })).unwrap();
    let rule = &guest_rules(&sim)[0];
    assert_eq!(rule["macro"], "SSH", "macro names are normalised");
    assert_eq!(rule["ipversion"], 4);
    assert_eq!(rule["enable"], 1);

    let group_rule = json!({ "type": "group", "action": "web" });
    let err = create_rule(
        &sim,
        &req(
            Method::Post,
            "/cluster/firewall/groups/{group}",
            &[("group", "web")],
            group_rule,
        ),
    )
    .unwrap_err();
    assert_eq!(err.message, "no such security group 'web'");
}

#[test]
fn groups_hold_rules_rename_and_refuse_deletion_while_used() {
    let sim = sim();
    let groups = "/cluster/firewall/groups";
    create_group(
        &sim,
        &req(
            Method::Post,
            groups,
            &[],
            json!({ "group": "web", "comment": "front" }),
        ),
    )
    .unwrap();
    let err = create_group(
        &sim,
        &req(Method::Post, groups, &[], json!({ "group": "web" })),
    )
    .unwrap_err();
    assert_eq!(err.errors["group"], "Security group 'web' already exists");
    let rule = json!({ "type": "in", "action": "ACCEPT", "macro": "HTTP" });
    let group_path = [("group", "web")];
    create_rule(
        &sim,
        &req(
            Method::Post,
            "/cluster/firewall/groups/{group}",
            &group_path,
            rule,
        ),
    )
    .unwrap();
    let err = create_rule(
        &sim,
        &req(
            Method::Post,
            "/cluster/firewall/groups/{group}",
            &group_path,
            json!({ "type": "group", "action": "web" }),
        ),
    )
    .unwrap_err();
    assert_eq!(err.errors["type"], "security groups not allowed");
    add_rule(&sim, json!({ "type": "group", "action": "web" })).unwrap();

    let listed = list_groups(&sim, &req(Method::Get, groups, &[], json!({}))).unwrap();
    assert_eq!(listed[0]["group"], "web");
    assert_eq!(listed[0]["comment"], "front");
    create_group(
        &sim,
        &req(
            Method::Post,
            groups,
            &[],
            json!({ "group": "www", "rename": "web" }),
        ),
    )
    .unwrap();
    assert_eq!(
        guest_rules(&sim)[0]["action"],
        "www",
        "rules follow a renamed group"
    );

    let err = delete_group(
        &sim,
        &req(
            Method::Delete,
            "/cluster/firewall/groups/{group}",
            &[("group", "www")],
            json!({}),
        ),
    )
    .unwrap_err();
    assert_eq!(err.message, "Security group 'www' is not empty");
}

#[test]
fn options_carry_a_digest_and_reject_stale_writes() {
    let sim = sim();
    let template = "/nodes/{node}/lxc/{vmid}/firewall/options";
    let before = get_options(&sim, &req(Method::Get, template, &GUEST, json!({}))).unwrap();
    let digest = before["digest"].as_str().unwrap().to_string();
    set_options(
        &sim,
        &req(
            Method::Put,
            template,
            &GUEST,
            json!({ "enable": "1", "policy_in": "DROP", "digest": digest }),
        ),
    )
    .unwrap();
    let after = get_options(&sim, &req(Method::Get, template, &GUEST, json!({}))).unwrap();
    assert_eq!(
        (after["enable"].clone(), after["policy_in"].clone()),
        (json!(1), json!("DROP"))
    );
    let err = set_options(
        &sim,
        &req(
            Method::Put,
            template,
            &GUEST,
            json!({ "enable": "0", "digest": digest }),
        ),
    )
    .unwrap_err();
    assert!(err.message.starts_with("detected modified configuration"));
    let err = set_options(
        &sim,
        &req(
            Method::Put,
            "/cluster/firewall/options",
            &[],
            json!({ "delete": "bogus" }),
        ),
    )
    .unwrap_err();
    assert_eq!(err.errors["delete"], "no such option 'bogus'");
}
