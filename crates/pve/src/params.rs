//! Request parameters the way PVE reads them: form fields (`application/x-www-form-
//! urlencoded` bodies, or the query string for GET/DELETE), booleans as `0`/`1`,
//! arrays as repeated keys, indexed devices (`net0`, `mp1`) as separate keys.

use std::collections::BTreeMap;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use proxicloud_types::{NodeName, VmId};

/// A value that can be sent as one form field.
pub trait ParamValue {
    fn to_param(&self) -> String;
}

impl ParamValue for bool {
    /// PVE's schema checker accepts only `0`/`1` for form booleans, not `true`.
    fn to_param(&self) -> String {
        if *self { "1" } else { "0" }.to_string()
    }
}

macro_rules! display_param {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            fn to_param(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
display_param!(u16, u32, u64, i32, i64, f64, String, VmId, NodeName);

impl ParamValue for str {
    fn to_param(&self) -> String {
        self.to_string()
    }
}

impl<T: ParamValue + ?Sized> ParamValue for &T {
    fn to_param(&self) -> String {
        (**self).to_param()
    }
}

/// An ordered list of form fields; repeated keys are allowed (PVE arrays).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(mut self, key: &str, value: impl ParamValue) -> Self {
        self.0.push((key.to_string(), value.to_param()));
        self
    }

    /// Adds the field only when there is a value, so PVE applies its own default.
    pub fn opt<V: ParamValue>(self, key: &str, value: Option<V>) -> Self {
        match value {
            Some(v) => self.set(key, v),
            None => self,
        }
    }

    /// Adds a boolean only when it is true (for flags whose default is false).
    pub fn flag(self, key: &str, on: bool) -> Self {
        if on { self.set(key, true) } else { self }
    }

    /// An array parameter: one `key=value` pair per item.
    pub fn list<V: ParamValue>(self, key: &str, values: impl IntoIterator<Item = V>) -> Self {
        values
            .into_iter()
            .fold(self, |params, value| params.set(key, value))
    }

    /// A comma-separated list (PVE's `-list` formats such as `pve-vmid-list`).
    pub fn joined<V: ParamValue>(self, key: &str, values: impl IntoIterator<Item = V>) -> Self {
        let joined: Vec<String> = values.into_iter().map(|v| v.to_param()).collect();
        if joined.is_empty() {
            self
        } else {
            self.set(key, joined.join(","))
        }
    }

    /// Numbered device keys: `indexed("net", {0: "name=eth0,…"})` sends `net0=…`.
    pub fn indexed(mut self, prefix: &str, values: &BTreeMap<u32, String>) -> Self {
        for (index, value) in values {
            self.0.push((format!("{prefix}{index}"), value.clone()));
        }
        self
    }

    /// Free-form extra fields (keys the typed request does not model).
    pub fn extend(mut self, extra: &BTreeMap<String, String>) -> Self {
        for (key, value) in extra {
            self.0.push((key.clone(), value.clone()));
        }
        self
    }

    /// Appends all fields of `other`.
    pub fn append(mut self, other: Params) -> Self {
        self.0.extend(other.0);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// `application/x-www-form-urlencoded`, used for bodies and query strings alike.
    pub fn to_form(&self) -> String {
        serde_urlencoded::to_string(&self.0).expect("string pairs always encode")
    }
}

/// Everything except RFC 3986 unreserved characters is escaped; PVE unescapes the
/// whole path before routing, so `root@pam`, `local:backup/x` and UPIDs survive.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Escapes one path segment.
pub fn segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// Builds an API path from literal parts and escaped segments:
/// `api_path!("nodes", node, "lxc", vmid)` → `/nodes/pve1/lxc/100`.
macro_rules! api_path {
    ($($part:expr),+ $(,)?) => {{
        let mut path = String::new();
        $(
            path.push('/');
            path.push_str(&$crate::params::segment(&$part.to_string()));
        )+
        path
    }};
}
pub(crate) use api_path;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_are_sent_as_zero_or_one() {
        let form = Params::new()
            .set("start", true)
            .set("force", false)
            .to_form();
        assert_eq!(form, "start=1&force=0");
    }

    #[test]
    fn arrays_become_repeated_keys_and_absent_options_vanish() {
        let form = Params::new()
            .list(
                "dhcp-range",
                ["start-address=10.0.0.10,end-address=10.0.0.20", "x"],
            )
            .opt("storage", None::<&str>)
            .flag("purge", false)
            .to_form();
        assert_eq!(
            form,
            "dhcp-range=start-address%3D10.0.0.10%2Cend-address%3D10.0.0.20&dhcp-range=x"
        );
    }

    #[test]
    fn indexed_devices_and_lists_use_pve_key_names() {
        let mut nets = BTreeMap::new();
        nets.insert(0, "name=eth0,bridge=vmbr0,ip=dhcp".to_string());
        nets.insert(3, "name=eth3,bridge=vmbr1".to_string());
        let vmids = [VmId::new(100).unwrap(), VmId::new(101).unwrap()];
        let params = Params::new().indexed("net", &nets).joined("vmid", vmids);
        let keys: Vec<&str> = params.pairs().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["net0", "net3", "vmid"]);
        assert_eq!(params.pairs()[2].1, "100,101");
        assert!(
            params
                .to_form()
                .contains("net0=name%3Deth0%2Cbridge%3Dvmbr0%2Cip%3Ddhcp")
        );
    }

    #[test]
    fn spaces_and_special_characters_are_form_encoded() {
        let form = Params::new()
            .set("description", "web server & db")
            .to_form();
        assert_eq!(form, "description=web+server+%26+db");
    }

    #[test]
    fn path_segments_are_escaped() {
        let upid = "UPID:pve:00253F2B:0B51A6B6:6568A1C2:vzdump::root@pam!ci:";
        let path = api_path!("nodes", "pve-1", "tasks", upid, "status");
        assert_eq!(
            path,
            "/nodes/pve-1/tasks/UPID%3Apve%3A00253F2B%3A0B51A6B6%3A6568A1C2%3Avzdump%3A%3Aroot%40pam%21ci%3A/status"
        );
        assert_eq!(segment("local:backup/a b"), "local%3Abackup%2Fa%20b");
    }
}
