//! The container environment as Proxmox VE keeps it: the LXC option `env` (PVE 9.1+,
//! pve-container 6.0.15), a NUL-separated list of `KEY=VALUE` that pve-container
//! writes as one `lxc.environment.runtime` line each (`PVE::LXC::Config::write_pct_config`)
//! and hands to the container's init at its next start.
//!
//! ProxiCloud owns only the variables it wrote last time (the injection state's
//! `managed` names): a re-apply drops those and its current ones, keeps every other
//! variable the guest has, and appends its own in name order.

use secrecy::{ExposeSecret, SecretString};

/// PVE release that added `env` (`pveversion` 9.1.x ships pve-container ≥ 6.0.15).
pub const ENV_SINCE: [u64; 3] = [9, 1, 0];

/// The variables of an `env` value, in order (empty entries skipped, as
/// `split(/\0+/, $env)` does).
pub fn parse(env: &str) -> Vec<(&str, &str)> {
    env.split('\0')
        .filter(|entry| !entry.is_empty())
        .map(|entry| entry.split_once('=').unwrap_or((entry, "")))
        .collect()
}

/// The new `env` value: `current` without the variables named in `managed` or `ours`,
/// then `ours`. `None` when nothing is left (the option is deleted).
pub fn merge(
    current: Option<&str>,
    managed: &[String],
    ours: &[(String, SecretString)],
) -> Option<SecretString> {
    let mine = |key: &str| managed.iter().any(|m| m == key) || ours.iter().any(|(n, _)| n == key);
    let mut entries: Vec<String> = parse(current.unwrap_or_default())
        .into_iter()
        .filter(|(key, _)| !mine(key))
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    for (name, value) in ours {
        entries.push(format!("{name}={}", value.expose_secret()));
    }
    (!entries.is_empty()).then(|| SecretString::from(entries.join("\0")))
}

/// Can PVE carry this value in `env`? pve-container's pattern refuses control
/// characters other than a tab (`[^\x00-\x08\x0a-\x1F\x7F]`): a line break would end
/// the config line it is written to.
pub fn carries(value: &SecretString) -> bool {
    !value
        .expose_secret()
        .chars()
        .any(|c| (c.is_ascii_control() && c != '\t') || c == '\u{7f}')
}

/// `text` with every value replaced, for messages that leave the step (Proxmox echoes
/// what it refused in some errors).
pub fn scrub(text: &str, values: &[SecretString]) -> String {
    let mut text = text.to_owned();
    for value in values {
        let value = value.expose_secret();
        if !value.is_empty() {
            text = text.replace(value, "[secret]");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(pairs: &[(&str, &str)]) -> Vec<(String, SecretString)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), SecretString::from(*v)))
            .collect()
    }

    fn shown(env: Option<SecretString>) -> Option<String> {
        env.map(|e| e.expose_secret().to_owned())
    }

    #[test]
    fn a_reapply_replaces_only_what_proxicloud_wrote() {
        let current = "PATH=/usr/bin\0OLD=1\0TOKEN=v1\0\0LANG=C.UTF-8";
        let managed = vec!["OLD".to_owned(), "TOKEN".to_owned()];
        let merged = merge(
            Some(current),
            &managed,
            &ours(&[("TOKEN", "v2"), ("API", "k")]),
        );
        assert_eq!(
            shown(merged).as_deref(),
            Some("PATH=/usr/bin\0LANG=C.UTF-8\0TOKEN=v2\0API=k")
        );
        // A variable the guest set itself under one of our names is ours now.
        let merged = merge(Some("TOKEN=mine"), &[], &ours(&[("TOKEN", "v")]));
        assert_eq!(shown(merged).as_deref(), Some("TOKEN=v"));
        assert_eq!(shown(merge(Some("TOKEN=v1"), &managed, &[])), None);
        assert_eq!(shown(merge(None, &[], &[])), None);
        assert_eq!(
            shown(merge(None, &[], &ours(&[("A", "x=y")]))).as_deref(),
            Some("A=x=y")
        );
        assert_eq!(parse("A=x=y\0B"), [("A", "x=y"), ("B", "")]);
    }

    #[test]
    fn values_with_line_breaks_or_controls_cannot_be_carried() {
        assert!(carries(&SecretString::from("p@ss word\twith tab ü")));
        for bad in ["a\nb", "a\rb", "\u{1b}[0m", "del\u{7f}", "nul\0"] {
            assert!(!carries(&SecretString::from(bad)), "{bad:?}");
        }
    }

    #[test]
    fn scrubbing_removes_every_value() {
        let values = [SecretString::from("hunter2"), SecretString::from("")];
        assert_eq!(
            scrub("env: 'A=hunter2' is hunter2", &values),
            "env: 'A=[secret]' is [secret]"
        );
    }
}
