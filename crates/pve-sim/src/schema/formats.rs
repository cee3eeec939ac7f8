//! `PVE::JSONSchema::check_format`: property strings and the registered formats whose
//! validators are simple enough to reproduce exactly. Formats not known here are accepted
//! (as the reference validator does) — never rejected on a guess.

use super::model::Format;
use super::propstring;

/// `Err` carries PVE's `die` text, trailing newline included; the caller prefixes it with
/// "invalid format - ".
pub(super) fn check(format: &Format, text: &str, path: &str) -> Result<(), String> {
    match format {
        Format::Object(keys) => propstring::check(keys, text, path),
        Format::Named(name) => check_named(name, text),
    }
}

fn check_named(name: &str, text: &str) -> Result<(), String> {
    // `$format =~ m/^(.*?)(?:-(list|opt))?$/`
    let (base, kind) = if let Some(base) = name.strip_suffix("-list") {
        (base, Kind::List)
    } else if let Some(base) = name.strip_suffix("-opt") {
        (base, Kind::Opt)
    } else {
        (name, Kind::Single)
    };
    let Some(validate) = validator(base) else {
        return Ok(());
    };
    match kind {
        Kind::Single => validate(text),
        Kind::List => split_list(text).try_for_each(validate),
        // `$parsed = $registered->($value) if $value;`
        Kind::Opt if text.is_empty() || text == "0" => Ok(()),
        Kind::Opt => validate(text),
    }
}

enum Kind {
    Single,
    List,
    Opt,
}

type Validator = fn(&str) -> Result<(), String>;

fn validator(name: &str) -> Option<Validator> {
    Some(match name {
        "pve-vmid" => verify_vmid,
        "pve-node" => verify_node_name,
        "pve-storage-id" => verify_storage_id,
        "pve-configid" => verify_configid,
        "urlencoded" => verify_urlencoded,
        _ => return None,
    })
}

/// `PVE::Tools::split_list`: NUL-separated, else ',' ';' and whitespace separate.
fn split_list(text: &str) -> Box<dyn Iterator<Item = &str> + '_> {
    if text.contains('\0') {
        // Perl's split drops trailing empty fields.
        let trimmed = text.trim_end_matches('\0');
        return Box::new(trimmed.split('\0').filter(|_| !trimmed.is_empty()));
    }
    Box::new(
        text.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|item| !item.is_empty()),
    )
}

/// Perl's `$` also matches before a final newline, so `/^…$/` accepts "value\n".
fn perl_line(text: &str) -> &str {
    text.strip_suffix('\n').unwrap_or(text)
}

/// `pve_verify_vmid`: `/^[1-9][0-9]{2,8}$/`.
fn verify_vmid(text: &str) -> Result<(), String> {
    let id = perl_line(text);
    let ok = (3..=9).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_digit())
        && !id.starts_with('0');
    ok.then_some(())
        .ok_or_else(|| "value does not look like a valid VM ID\n".to_string())
}

/// `pve_verify_urlencoded` (pve-common, src/PVE/JSONSchema.pm):
/// `/^[-%a-zA-Z0-9_.!~*'()]*$/` — e.g. qemu-server's cloud-init `sshkeys`.
fn verify_urlencoded(text: &str) -> Result<(), String> {
    let ok = perl_line(text)
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-%_.!~*'()".contains(&b));
    ok.then_some(())
        .ok_or_else(|| format!("invalid urlencoded string: {text}\n"))
}

/// `pve_verify_node_name`: `/^([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)$/`.
fn verify_node_name(text: &str) -> Result<(), String> {
    let name = perl_line(text);
    let ok = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    ok.then_some(())
        .ok_or_else(|| "value does not look like a valid node name\n".to_string())
}

/// `parse_storage_id` → `parse_id($id, 'storage')`.
fn verify_storage_id(text: &str) -> Result<(), String> {
    if text.chars().count() < 2 {
        return Err(format!(
            "storage ID '{text}' cannot be shorter than 2 characters\n"
        ));
    }
    // /^[a-z][a-z0-9\-\_\.]*[a-z0-9]$/i
    let id = perl_line(text);
    let bytes = id.as_bytes();
    let ok = bytes.len() >= 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then_some(())
        .ok_or_else(|| format!("storage ID '{text}' contains illegal characters\n"))
}

/// `pve_verify_configid`: `/^[a-z][a-z0-9_-]+$/i`.
fn verify_configid(text: &str) -> Result<(), String> {
    let id = perl_line(text);
    let bytes = id.as_bytes();
    let ok = bytes.len() >= 2
        && bytes[0].is_ascii_alphabetic()
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
    ok.then_some(())
        .ok_or_else(|| format!("invalid configuration ID '{text}'\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_formats_match_pve_regexes() {
        assert!(check_named("pve-vmid", "100").is_ok());
        assert!(check_named("pve-vmid", "999999999").is_ok());
        for bad in ["99", "0100", "1000000000", "1e3", ""] {
            assert!(check_named("pve-vmid", bad).is_err(), "{bad}");
        }
        assert!(check_named("pve-node", "pve-1").is_ok());
        assert!(check_named("pve-node", "pve_1").is_err());
        assert!(check_named("pve-node", "-pve").is_err());
        assert!(check_named("pve-storage-id", "local-lvm").is_ok());
        assert_eq!(
            check_named("pve-storage-id", "l"),
            Err("storage ID 'l' cannot be shorter than 2 characters\n".into())
        );
        assert!(check_named("pve-storage-id", "local-").is_err());
        assert!(check_named("pve-configid", "net0").is_ok());
        assert!(check_named("urlencoded", "ssh-ed25519%20AAAA%2B%20me%40host").is_ok());
        assert!(
            check_named("urlencoded", "ssh-ed25519 AAAA me@host")
                .unwrap_err()
                .starts_with("invalid urlencoded string")
        );
        assert_eq!(
            check_named("pve-configid", "0net"),
            Err("invalid configuration ID '0net'\n".into())
        );
    }

    #[test]
    fn list_and_opt_variants_follow_split_list() {
        assert!(check_named("pve-vmid-list", "100,101;102 103").is_ok());
        assert!(
            check_named("pve-vmid-list", "").is_ok(),
            "PVE allows empty lists"
        );
        assert!(check_named("pve-vmid-list", "100,abc").is_err());
        assert!(check_named("pve-configid-list", "unused0\0mp0").is_ok());
        assert!(check_named("pve-node-opt", "").is_ok());
        assert!(check_named("pve-node-opt", "bad_node").is_err());
        assert!(check_named("some-unknown-format", "anything").is_ok());
    }
}
