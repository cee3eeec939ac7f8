//! vzdump job options: vmid lists, the notes template, `prune-backups` and the
//! command line PVE logs as the job's first line.

use serde_json::Value;

use crate::api::{ApiError, Req};
use crate::handlers::guests::listing::display_name;
use crate::model::Guest;
use proxicloud_types::GuestType;

/// `PVE::Tools::split_list` of vmids.
pub(super) fn ids(list: Option<&str>) -> Vec<u32> {
    list.unwrap_or_default()
        .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter_map(|id| id.trim().parse().ok())
        .collect()
}

const NOTES_VARIABLES: [&str; 4] = ["cluster", "guestname", "node", "vmid"];

/// `$verify_notes_template`: one line, only `\n`/`\\` escapes, known `{{variables}}`.
pub(super) fn verify_notes_template(template: &str) -> Result<(), String> {
    if template.contains('\n') {
        return Err("contains a line feed".to_string());
    }
    let mut problems = Vec::new();
    let chars: Vec<char> = template.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '\\' && i + 1 < chars.len() {
            if chars[i + 1] != 'n' && chars[i + 1] != '\\' {
                problems.push(format!("escape sequence '\\{}' at char {i}", chars[i + 1]));
            }
            i += 2;
            continue;
        }
        i += 1;
    }
    let mut rest = template;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start + 2..].find("}}") else {
            break;
        };
        let var = &rest[start + 2..start + 2 + end];
        if !var.is_empty()
            && !var.contains(|c: char| c.is_whitespace() || c == '{' || c == '}')
            && !NOTES_VARIABLES.contains(&var)
        {
            problems.push(format!("variable '{var}' at char {}", offset + start + 2));
        }
        offset += start + 2 + end + 2;
        rest = &rest[start + 2 + end + 2..];
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("found unknown: {}", problems.join(", ")))
    }
}

/// `$generate_notes`: unescape and fill in the variables.
pub(super) fn render_notes(template: &str, guest: &Guest, node: &str, cluster: &str) -> String {
    let guestname = match guest.kind {
        GuestType::Lxc => display_name(guest),
        GuestType::Qemu => guest
            .config
            .get("name")
            .cloned()
            .unwrap_or_else(|| format!("VM {}", guest.vmid)),
    };
    let cluster = if cluster.is_empty() {
        "standalone node"
    } else {
        cluster
    };
    template
        .replace("\\n", "\n")
        .replace("\\\\", "\\")
        .replace("{{cluster}}", cluster)
        .replace("{{guestname}}", &guestname)
        .replace("{{node}}", node)
        .replace("{{vmid}}", &guest.vmid.to_string())
}

/// The `keep-last` of `prune-backups` when pruning applies (`remove`, the default).
/// Other retention keys are refused rather than silently ignored.
pub(super) fn keep_last(prune: Option<&str>, remove: bool) -> Result<Option<usize>, ApiError> {
    let Some(prune) = prune.filter(|_| remove) else {
        return Ok(None);
    };
    let mut keep = None;
    for part in prune.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("keep-all", "1")) => return Ok(None),
            Some(("keep-all", _)) => {}
            Some(("keep-last", n)) => {
                keep = Some(n.parse().map_err(|_| {
                    ApiError::param(
                        "prune-backups",
                        format!("invalid format - value '{n}' does not look like a valid integer"),
                    )
                })?);
            }
            _ => {
                return Err(ApiError::new(
                    501,
                    format!(
                        "prune-backups '{part}' is not implemented by the simulator (only keep-last and keep-all)"
                    ),
                ));
            }
        }
    }
    Ok(keep)
}

/// `PVE::VZDump::Common::command_line`: `vzdump 101 --mode snapshot --storage local …`.
pub(super) fn command_line(req: &Req) -> String {
    let mut line = String::from("vzdump");
    if let Some(vmids) = req.str("vmid") {
        line.push(' ');
        line.push_str(&vmids.replace(',', " "));
    }
    for (key, value) in req.params.iter().filter(|(k, _)| *k != "vmid") {
        let value = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let quoted = if value.contains(|c: char| c.is_whitespace() || c == '{') {
            format!("'{value}'")
        } else {
            value
        };
        line.push_str(&format!(" --{key} {quoted}"));
    }
    if !req.params.contains_key("node") {
        line.push_str(&format!(
            " --node {}",
            req.path.get("node").cloned().unwrap_or_default()
        ));
    }
    line
}
