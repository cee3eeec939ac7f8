//! What older Proxmox VE releases did not have yet. The schema is 9.1's; a simulator
//! configured as an older release (`SimConfig::pve_version`) refuses the parameters
//! that release did not define, the way its own schema would: `400 Parameter
//! verification failed.` with "property is not defined in schema …" for each.
//!
//! Adding one: a row in [`INTRODUCED`] with the release whose packages first had it
//! (their `debian/changelog`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::api::{ApiError, Method};

/// (method, path template, parameter, first release).
const INTRODUCED: &[(Method, &str, &str, [u64; 3])] = &[
    // pve-container 6.0.15 (PVE 9.1): "add support to configure the runtime environment
    // of a container", and OCI application containers' `entrypoint`.
    (Method::Post, "/nodes/{node}/lxc", "env", [9, 1, 0]),
    (Method::Post, "/nodes/{node}/lxc", "entrypoint", [9, 1, 0]),
    (
        Method::Put,
        "/nodes/{node}/lxc/{vmid}/config",
        "env",
        [9, 1, 0],
    ),
    (
        Method::Put,
        "/nodes/{node}/lxc/{vmid}/config",
        "entrypoint",
        [9, 1, 0],
    ),
];

const NOT_DEFINED: &str =
    "property is not defined in schema and the schema does not allow additional properties";

/// `9.0.11` → `[9, 0, 11]`; missing parts are 0, an unreadable one ends the version.
fn parts(version: &str) -> [u64; 3] {
    let mut parts = [0u64; 3];
    for (slot, part) in parts.iter_mut().zip(version.split(['.', '-', '~'])) {
        match part.parse() {
            Ok(n) => *slot = n,
            Err(_) => break,
        }
    }
    parts
}

/// Refuses the parameters `version` did not know.
pub fn check(
    version: &str,
    method: Method,
    template: &str,
    params: &Map<String, Value>,
) -> Result<(), ApiError> {
    let running = parts(version);
    let errors: BTreeMap<String, String> = INTRODUCED
        .iter()
        .filter(|(m, t, name, since)| {
            *m == method && *t == template && running < *since && params.contains_key(*name)
        })
        .map(|(_, _, name, _)| ((*name).to_string(), NOT_DEFINED.to_string()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::params(errors))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn releases_before_9_1_do_not_know_the_container_environment() {
        let params = json!({ "env": "A=1", "hostname": "web" });
        let params = params.as_object().unwrap();
        let template = "/nodes/{node}/lxc/{vmid}/config";
        assert!(check("9.1.1", Method::Put, template, params).is_ok());
        assert!(check("9.2", Method::Put, template, params).is_ok());
        let error = check("9.0.11", Method::Put, template, params).unwrap_err();
        assert_eq!(error.status, 400);
        assert_eq!(error.errors["env"], NOT_DEFINED);
        assert!(!error.errors.contains_key("hostname"));
        assert!(check("8.4.1", Method::Post, "/nodes/{node}/lxc", params).is_err());
        let other = json!({ "hostname": "web" });
        assert!(check("8.4.1", Method::Put, template, other.as_object().unwrap()).is_ok());
    }
}
