//! Path resolution: templates, placeholders, greedy volumes, 501s, API tokens.

use super::{param_error, schema};
use crate::api::Method;
use crate::schema::Schema;
use serde_json::json;

#[test]
fn path_placeholders_are_type_checked() {
    let err = param_error(
        Method::Get,
        "/nodes/pve/qemu/abc/status/current",
        json!({}),
        "vmid",
    );
    assert_eq!(err, "type check ('integer') failed - got 'abc'");
}

#[test]
fn unknown_paths_and_methods_are_501_not_implemented() {
    let schema = schema();
    for (method, path) in [
        (Method::Get, "/nodes/pve/lxc/100/bogus"),
        (Method::Get, "/nodes/pve/lxc/100/status/start"),
        (Method::Delete, "/version"),
        (Method::Get, "/nodes/pve/lxc/with space/config"),
    ] {
        let err = schema.resolve(method, path).expect_err(path);
        assert_eq!(err.status, 501);
        assert_eq!(
            err.message,
            format!("Method '{} {path}' not implemented", method.as_str())
        );
    }
}

#[test]
fn resolve_decodes_and_names_placeholders() {
    let resolved = schema()
        .resolve(Method::Get, "/nodes/pve%2D1/lxc/101/config")
        .expect("exists");
    assert_eq!(resolved.template, "/nodes/{node}/lxc/{vmid}/config");
    assert_eq!(resolved.path_values["node"], "pve-1");
    assert_eq!(resolved.path_values["vmid"], "101");
    assert!(resolved.allowtoken);
}

#[test]
fn storage_content_volume_takes_the_rest_of_the_path() {
    let schema = schema();
    let template = "/nodes/{node}/storage/{storage}/content/{volume}";
    let volume = "local:backup/vzdump-lxc-100-2026_01_01-00_00_00.tar.zst";
    for path in [
        format!("/nodes/pve/storage/local/content/{volume}"),
        "/nodes/pve/storage/local/content/local%3Abackup%2Fvzdump-lxc-100-2026_01_01-00_00_00.tar.zst"
            .to_string(),
    ] {
        let resolved = schema.resolve(Method::Delete, &path).expect(&path);
        assert_eq!(resolved.template, template);
        assert_eq!(resolved.path_values["volume"], volume);
    }
    // Only that subtree is greedy: a CIDR in an ipset path must be encoded.
    assert!(
        schema
            .resolve(Method::Delete, "/cluster/firewall/ipset/lan/10.0.0.0/24")
            .is_err()
    );
    let resolved = schema
        .resolve(Method::Delete, "/cluster/firewall/ipset/lan/10.0.0.0%2F24")
        .expect("encoded CIDR");
    assert_eq!(resolved.path_values["cidr"], "10.0.0.0/24");
}

#[test]
fn literal_segments_beat_placeholders() {
    // In the official tree, `/nodes/{node}/qemu` and `/nodes/{node}/{...}` never compete
    // (PVE's router forbids mixing), so check the real paths and a synthetic tree.
    let real = schema();
    assert_eq!(
        real.resolve(Method::Get, "/nodes/pve/qemu")
            .unwrap()
            .template,
        "/nodes/{node}/qemu"
    );
    assert_eq!(
        real.resolve(Method::Get, "/nodes/pve/lxc")
            .unwrap()
            .template,
        "/nodes/{node}/lxc"
    );

    let synthetic = Schema::from_json_str(
        r#"[{"path": "/a", "info": {"GET": {}}, "children": [
              {"path": "/a/b", "info": {"GET": {}}, "children": [
                  {"path": "/a/b/c", "info": {"GET": {}}}]},
              {"path": "/a/{x}", "info": {"GET": {}}, "children": [
                  {"path": "/a/{x}/d", "info": {"GET": {"allowtoken": 1}}}]}]}]"#,
    )
    .expect("synthetic schema");
    let template = |path: &str| synthetic.resolve(Method::Get, path).map(|r| r.template);
    assert_eq!(template("/a/b").unwrap(), "/a/b");
    assert_eq!(template("/a/z").unwrap(), "/a/{x}");
    assert_eq!(template("/a/b/c").unwrap(), "/a/b/c");
    // The literal branch has no `d`: fall back to the placeholder.
    let resolved = synthetic.resolve(Method::Get, "/a/b/d").unwrap();
    assert_eq!(resolved.template, "/a/{x}/d");
    assert_eq!(resolved.path_values["x"], "b");
    assert!(template("/a/z/c").is_err());
}

#[test]
fn api_tokens_are_refused_where_allowtoken_is_off() {
    let resolved = schema().resolve(Method::Post, "/access/ticket").unwrap();
    assert!(!resolved.allowtoken);
    let err = resolved
        .check_api_token("/access/ticket")
        .expect_err("ticket only");
    assert_eq!(err.status, 403);
    assert_eq!(
        err.message,
        "Permission check failed (URI '/access/ticket' not available with API token, need proper ticket.)"
    );
}
