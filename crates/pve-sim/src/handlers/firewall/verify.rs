//! `PVE::Firewall::verify_rule`: the checks a rule must pass before it is stored.

use serde_json::{Map, Value};

use super::Rule;
use super::rules::Scope;
use crate::api::ApiError;

/// pve-firewall's macro names; requests match them case-insensitively.
const MACROS: [&str; 84] = [
    "Amanda",
    "Auth",
    "BGP",
    "BitTorrent",
    "BitTorrent32",
    "Ceph",
    "CVS",
    "Citrix",
    "DAAP",
    "DCC",
    "DHCPfwd",
    "DNS",
    "Distcc",
    "FTP",
    "Finger",
    "GNUnet",
    "GRE",
    "Git",
    "HKP",
    "HTTP",
    "HTTPS",
    "ICPV2",
    "ICQ",
    "IMAP",
    "IMAPS",
    "IPIP",
    "IPsec",
    "IPsecah",
    "IPsecnat",
    "IRC",
    "Jetdirect",
    "L2TP",
    "LDAP",
    "LDAPS",
    "MSNP",
    "MSSQL",
    "Mail",
    "MDNS",
    "Munin",
    "MySQL",
    "NNTP",
    "NNTPS",
    "NTP",
    "OSPF",
    "OpenVPN",
    "PCA",
    "PMG",
    "POP3",
    "POP3S",
    "PPtP",
    "Ping",
    "PostgreSQL",
    "Printer",
    "RDP",
    "RIP",
    "RNDC",
    "Razor",
    "Rdate",
    "Rsync",
    "SANE",
    "SMB",
    "SMBswat",
    "SMTP",
    "SMTPS",
    "SNMP",
    "SPAMD",
    "SSH",
    "SVN",
    "SixXS",
    "SPICEproxy",
    "Squid",
    "Submission",
    "Syslog",
    "TFTP",
    "Telnet",
    "Telnets",
    "Time",
    "Trcrt",
    "VNC",
    "VNCL",
    "Web",
    "Webcache",
    "Webmin",
    "Whois",
];

fn text<'a>(rule: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    rule.get(key).and_then(Value::as_str)
}

/// The checks of `verify_rule` a client can trip, in PVE's order; the first failure
/// is a parameter error on its field. Also normalises the macro name and records
/// the IP version of literal addresses.
pub(super) fn verify_rule(rule: &mut Rule, scope: &Scope) -> Result<(), ApiError> {
    let fail = |field: &str, message: String| Err(ApiError::param(field, message));
    let kind = text(rule, "type").unwrap_or_default().to_string();
    let action = text(rule, "action").unwrap_or_default().to_string();
    if kind.is_empty() {
        return fail("type", "missing property".into());
    }
    if action.is_empty() {
        return fail("action", "missing property".into());
    }
    if !scope.allowed_types().contains(&kind.as_str()) {
        if kind == "group" {
            return fail("type", "security groups not allowed".into());
        }
        return fail(
            "type",
            format!("invalid rule type '{kind}' for rule_env '{}'", scope.env()),
        );
    }
    if kind == "group" {
        let valid = action
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && action
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return fail("action", "invalid characters in security group name".into());
        }
    } else {
        if kind == "forward" && action == "REJECT" {
            return fail(
                "action",
                "cannot define REJECT rules on forward chain".into(),
            );
        }
        if !matches!(action.as_str(), "ACCEPT" | "DROP" | "REJECT") {
            return fail("action", format!("unknown action '{action}'"));
        }
    }
    if let (Some(iface), Scope::Guest(..)) = (text(rule, "iface"), scope) {
        let valid = iface
            .strip_prefix("net")
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !valid {
            return fail(
                "iface",
                "value does not match the regex pattern 'net\\d+'".into(),
            );
        }
    }
    if let Some(name) = text(rule, "macro").map(str::to_string) {
        let Some(known) = MACROS.iter().find(|m| m.eq_ignore_ascii_case(&name)) else {
            return fail("macro", format!("unknown macro '{name}'"));
        };
        rule.insert("macro".into(), (*known).into());
    }
    let has_macro = rule.contains_key("macro");
    let proto = text(rule, "proto").map(str::to_ascii_lowercase);
    for port in ["dport", "sport"] {
        if rule.contains_key(port) {
            match proto.as_deref() {
                None if !has_macro => {
                    return fail(
                        "proto",
                        format!("missing property - '{port}' requires this property"),
                    );
                }
                Some(p)
                    if !matches!(
                        p,
                        "tcp" | "udp" | "dccp" | "sctp" | "6" | "17" | "33" | "132"
                    ) =>
                {
                    return fail(port, format!("protocol '{p}' does not support ports"));
                }
                _ => {}
            }
        }
    }
    if rule.contains_key("icmp-type") && proto.is_none() {
        return fail(
            "proto",
            "missing property - 'icmp-type' requires this property".into(),
        );
    }
    let mut ipversion = None;
    for field in ["source", "dest"] {
        let Some(spec) = text(rule, field) else {
            continue;
        };
        // Literal addresses fix the IP version; aliases and ipsets (+name) do not.
        let version = if spec.starts_with('+') || !spec.contains(|c: char| c.is_ascii_digit()) {
            None
        } else if spec.contains(':') {
            Some(6)
        } else {
            Some(4)
        };
        if let (Some(seen), Some(new)) = (ipversion, version)
            && seen != new
        {
            return Err(ApiError::internal(
                "detected mixed ipv4/ipv6 addresses in rule",
            ));
        }
        ipversion = ipversion.or(version);
    }
    match ipversion {
        Some(v) => rule.insert("ipversion".into(), Value::from(v)),
        None => rule.remove("ipversion"),
    };
    Ok(())
}
