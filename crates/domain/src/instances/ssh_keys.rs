//! SSH public keys in OpenSSH `authorized_keys` form: `<type> <base64 blob> [comment]`.
//! Checked before they reach Proxmox, so a typo is a 422 on the right field rather
//! than a guest nobody can log in to.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Key types OpenSSH accepts today (DSA is gone since OpenSSH 9.8).
const KEY_TYPES: &[&str] = &[
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
];

/// Longest accepted key line (a 16384-bit RSA key is about 2.8 KB).
const MAX_KEY_LEN: usize = 4096;

/// `None` when `line` is a public key OpenSSH would accept; otherwise what is wrong.
pub fn ssh_key_problem(line: &str) -> Option<String> {
    if line.len() > MAX_KEY_LEN {
        return Some(format!("is longer than {MAX_KEY_LEN} characters"));
    }
    if line.contains(['\n', '\r']) {
        return Some("must be a single line (give several keys as several entries)".into());
    }
    let mut parts = line.split_whitespace();
    let (Some(key_type), Some(blob)) = (parts.next(), parts.next()) else {
        return Some("must look like 'ssh-ed25519 AAAA… comment'".into());
    };
    if !KEY_TYPES.contains(&key_type) {
        return Some(format!(
            "unsupported key type '{key_type}' (expected one of {})",
            KEY_TYPES.join(", ")
        ));
    }
    let Ok(decoded) = STANDARD.decode(blob) else {
        return Some("the key data is not valid base64".into());
    };
    // The blob starts with its own type as an SSH string (u32 length, then bytes).
    let embedded = decoded
        .get(..4)
        .map(|len| u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize)
        .and_then(|len| decoded.get(4..4 + len));
    if embedded != Some(key_type.as_bytes()) {
        return Some(format!("the key data is not a '{key_type}' key"));
    }
    if decoded.len() < 4 + key_type.len() + 16 {
        return Some("the key data is truncated".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(key_type: &str, body_len: usize) -> String {
        let mut bytes = (key_type.len() as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(key_type.as_bytes());
        bytes.extend(std::iter::repeat_n(7u8, body_len));
        STANDARD.encode(bytes)
    }

    #[test]
    fn well_formed_keys_pass_with_or_without_comment() {
        let ed = format!("ssh-ed25519 {} alice@laptop", blob("ssh-ed25519", 36));
        assert_eq!(ssh_key_problem(&ed), None);
        let rsa = format!("ssh-rsa {}", blob("ssh-rsa", 270));
        assert_eq!(ssh_key_problem(&rsa), None);
        // A real key, as ssh-keygen prints it.
        let real = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host";
        assert_eq!(ssh_key_problem(real), None);
    }

    #[test]
    fn malformed_keys_say_what_is_wrong() {
        let cases = [
            ("not a key", "unsupported key type"),
            ("ssh-ed25519", "must look like"),
            ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "unsupported key type"),
            ("ssh-ed25519 %%%not-base64%%%", "not valid base64"),
            (
                &format!("ssh-ed25519 {}", blob("ssh-rsa", 40)),
                "not a 'ssh-ed25519' key",
            ),
            (
                &format!("ssh-ed25519 {}", blob("ssh-ed25519", 2)),
                "truncated",
            ),
            (
                &format!("ssh-ed25519 {}\nssh-rsa x", blob("ssh-ed25519", 36)),
                "single line",
            ),
        ];
        for (line, expected) in cases {
            let problem = ssh_key_problem(line).unwrap_or_else(|| panic!("{line} accepted"));
            assert!(problem.contains(expected), "{line}: {problem}");
        }
    }
}
