//! Parameter rules: names, indexes, types, enums, ranges, requires, arrays.

use serde_json::{Value, json};

use super::{check, param_error, params};
use crate::api::Method;

const LXC_CREATE: &str = "/nodes/pve/lxc";
const TEMPLATE: &str = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";

fn lxc_create(extra: Value) -> Value {
    let mut body = params(json!({"vmid": 200, "ostemplate": TEMPLATE}));
    body.extend(params(extra));
    Value::Object(body)
}

#[test]
fn indexed_params_accept_up_to_the_max_index() {
    let ok = lxc_create(json!({
        "net0": "name=eth0,bridge=vmbr0",
        "net31": "name=eth31,bridge=vmbr0",
        "mp255": "local-lvm:8,mp=/data",
    }));
    check(Method::Post, LXC_CREATE, ok).expect("net0, net31 and mp255 exist");

    for name in ["net32", "mp256", "net01", "net"] {
        let body = lxc_create(json!({ name: "name=eth0,bridge=vmbr0" }));
        assert_eq!(
            param_error(Method::Post, LXC_CREATE, body, name),
            "property is not defined in schema and the schema does not allow additional properties",
            "{name}"
        );
    }
}

#[test]
fn booleans_are_exactly_zero_or_one() {
    for good in [json!("1"), json!("0"), json!(1), json!(true), json!(false)] {
        check(
            Method::Put,
            "/nodes/pve/lxc/100/config",
            json!({"onboot": good}),
        )
        .unwrap_or_else(|e| panic!("{good} rejected: {e:?}"));
    }
    for (bad, got) in [("true", "'true'"), ("yes", "'yes'"), ("2", "'2'")] {
        let body = json!({"onboot": bad});
        assert_eq!(
            param_error(Method::Put, "/nodes/pve/lxc/100/config", body, "onboot"),
            format!("type check ('boolean') failed - got {got}")
        );
    }
}

#[test]
fn json_booleans_are_not_integers() {
    let body = json!({"action": "ACCEPT", "type": "in", "enable": true});
    assert_eq!(
        param_error(Method::Post, "/cluster/firewall/groups/web", body, "enable"),
        "type check ('integer') failed - got JSON::PP::Boolean"
    );
}

#[test]
fn enum_violation_lists_the_allowed_values() {
    let body = json!({"timeframe": "minute", "cf": "AVERAGE"});
    assert_eq!(
        param_error(Method::Get, "/nodes/pve/lxc/100/rrddata", body, "timeframe"),
        "value 'minute' does not have a value in the enumeration 'hour, day, week, month, year'"
    );
}

#[test]
fn missing_required_and_unknown_params_are_reported_per_param() {
    let err = check(
        Method::Post,
        LXC_CREATE,
        json!({"vmid": 200, "hostnme": "typo"}),
    )
    .expect_err("invalid");
    assert_eq!(
        err.errors.get("ostemplate").map(String::as_str),
        Some("property is missing and it is not optional")
    );
    assert_eq!(
        err.errors.get("hostnme").map(String::as_str),
        Some(
            "property is not defined in schema and the schema does not allow additional properties"
        )
    );
    assert_eq!(err.errors.len(), 2, "{:?}", err.errors);
}

#[test]
fn integer_and_range_checks_use_pve_wording() {
    let body = lxc_create(json!({"memory": "1G"}));
    assert_eq!(
        param_error(Method::Post, LXC_CREATE, body, "memory"),
        "type check ('integer') failed - got '1G'"
    );
    let body = lxc_create(json!({"memory": 8}));
    assert_eq!(
        param_error(Method::Post, LXC_CREATE, body, "memory"),
        "value must have a minimum value of 16"
    );
    let body = json!({"port": 6100, "vncticket": "PVEVNC:x"});
    assert_eq!(
        param_error(
            Method::Get,
            "/nodes/pve/qemu/101/vncwebsocket",
            body,
            "port"
        ),
        "value must have a maximum value of 5999"
    );
    let body = json!({"iface": "vmbr-with-a-far-too-long-name", "type": "bridge"});
    assert_eq!(
        param_error(Method::Post, "/nodes/pve/network", body, "iface"),
        "value may only be 20 characters long"
    );
}

#[test]
fn params_repeating_a_path_value_must_agree() {
    let path = "/nodes/pve/lxc/100/status/start";
    check(Method::Post, path, json!({"node": "pve", "vmid": 100})).expect("same values");
    assert_eq!(
        param_error(Method::Post, path, json!({"node": "pve2"}), "node"),
        "duplicate parameter (already defined in URI) with conflicting values!"
    );
}

#[test]
fn registered_formats_are_checked_before_ranges() {
    // check_prop runs the format first: a two-digit VMID fails `pve-vmid`, not `minimum`.
    let body = json!({"vmid": "50", "ostemplate": TEMPLATE});
    assert_eq!(
        param_error(Method::Post, LXC_CREATE, body, "vmid"),
        "invalid format - value does not look like a valid VM ID\n"
    );
    let body = json!({"vmid": "100,abc", "mode": "snapshot"});
    assert_eq!(
        param_error(Method::Post, "/nodes/pve/vzdump", body, "vmid"),
        "invalid format - value does not look like a valid VM ID\n"
    );
    assert_eq!(
        param_error(Method::Get, "/nodes/bad_node/lxc", json!({}), "node"),
        "invalid format - value does not look like a valid node name\n"
    );
    let body = json!({"delete": "unused0,9bad"});
    assert_eq!(
        param_error(Method::Put, "/nodes/pve/lxc/100/config", body, "delete"),
        "invalid format - invalid configuration ID '9bad'\n"
    );
}

#[test]
fn requires_names_the_missing_companion() {
    let body = json!({"iface": "vmbr1", "type": "bridge", "address": "10.0.0.1"});
    assert_eq!(
        param_error(Method::Post, "/nodes/pve/network", body, "netmask"),
        "missing property required by 'address'"
    );
}

#[test]
fn arrays_follow_pve_form_normalisation() {
    let subnets = "/cluster/sdn/vnets/labnet/subnets";
    let subnet =
        |range: Value| json!({"subnet": "10.0.0.0/24", "type": "subnet", "dhcp-range": range});
    let range = "start-address=10.0.0.10,end-address=10.0.0.20";
    check(Method::Post, subnets, subnet(json!(range))).expect("a form scalar becomes an array");
    check(Method::Post, subnets, subnet(json!([range, range]))).expect("JSON array");

    // `-list` formats take an array and join it.
    let config = "/nodes/pve/lxc/100/config";
    check(Method::Put, config, json!({"delete": ["unused0", "mp0"]})).expect("configid list");
    assert_eq!(
        param_error(
            Method::Put,
            config,
            json!({"hostname": ["a", "b"]}),
            "hostname"
        ),
        "type check ('string') failed - got ARRAY"
    );
    assert_eq!(
        param_error(
            Method::Put,
            config,
            json!({"hostname": {"a": 1}}),
            "hostname"
        ),
        "type check ('string') failed - got HASH"
    );
}
