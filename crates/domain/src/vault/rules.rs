//! What a secret may look like. Names become environment variable names inside
//! instances (Proxmox's LXC `env` accepts `\w+` keys), so they are C identifiers;
//! a UUID can therefore never be a name, which lets `{name}` in a path also be an id.

use secrecy::{ExposeSecret, SecretString};

use crate::error::FieldErrors;

pub const MAX_NAME_LEN: usize = 128;
/// 64 KiB, as the issue asks; the bytes of the UTF-8 text.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
pub const MAX_DESCRIPTION_LEN: usize = 1024;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_LEN: usize = 64;

pub fn name_problem(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        Some(format!("must be 1 to {MAX_NAME_LEN} characters"))
    } else if !starts_well || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Some(
            "must be an environment variable name: letters, digits and '_', not starting \
             with a digit"
                .into(),
        )
    } else {
        None
    }
}

/// Never quotes the value: the message goes back to the caller and maybe to logs.
pub fn value_problem(value: &SecretString) -> Option<String> {
    let value = value.expose_secret();
    if value.is_empty() {
        Some("must not be empty".into())
    } else if value.len() > MAX_VALUE_BYTES {
        Some(format!("must be at most {MAX_VALUE_BYTES} bytes"))
    } else if value.contains('\0') {
        Some("must not contain NUL characters".into())
    } else {
        None
    }
}

/// Trimmed, without duplicates; problems go into `errors` under `tags`.
pub fn clean_tags(tags: Vec<String>, errors: &mut FieldErrors) -> Vec<String> {
    let mut cleaned: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.trim().to_owned();
        if tag.is_empty() || tag.chars().count() > MAX_TAG_LEN || tag.contains(char::is_control) {
            errors.insert(
                "tags".into(),
                format!("each tag must be 1 to {MAX_TAG_LEN} printable characters"),
            );
        } else if !cleaned.contains(&tag) {
            cleaned.push(tag);
        }
    }
    if cleaned.len() > MAX_TAGS {
        errors.insert("tags".into(), format!("at most {MAX_TAGS} tags"));
    }
    cleaned
}

pub fn description_problem(description: &str) -> Option<String> {
    (description.chars().count() > MAX_DESCRIPTION_LEN)
        .then(|| format!("must be at most {MAX_DESCRIPTION_LEN} characters"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_environment_variable_names() {
        for good in ["DB_PASSWORD", "_x", "a1", &"A".repeat(MAX_NAME_LEN)] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "1ABC",
            "with-dash",
            "with space",
            "é",
            "0195f3c2-7a1b-7c3d-8e4f-0123456789ab",
            &"A".repeat(MAX_NAME_LEN + 1),
        ] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn values_are_bounded_and_never_quoted() {
        let ok = SecretString::from("x".repeat(MAX_VALUE_BYTES));
        assert_eq!(value_problem(&ok), None);
        let big = SecretString::from("hunter2".repeat(MAX_VALUE_BYTES));
        let problem = value_problem(&big).unwrap();
        assert!(!problem.contains("hunter2"));
        assert!(value_problem(&SecretString::from("")).is_some());
        assert!(value_problem(&SecretString::from("a\0b")).is_some());
    }

    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        let mut errors = FieldErrors::new();
        let tags = clean_tags(
            vec![" prod ".into(), "prod".into(), "db".into()],
            &mut errors,
        );
        assert_eq!(tags, ["prod", "db"]);
        assert!(errors.is_empty());
        clean_tags(vec!["  ".into()], &mut errors);
        assert!(errors.contains_key("tags"));
    }
}
