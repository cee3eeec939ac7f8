//! Secrets in request bodies: `SecretString` keeps them out of `Debug` on both sides;
//! a client exposes them only while serialising the body it sends.

use secrecy::{ExposeSecret, SecretString};
use serde::Serializer;

pub fn serialize<S: Serializer>(secret: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

pub fn serialize_option<S: Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_some(secret.expose_secret()),
        None => serializer.serialize_none(),
    }
}

pub fn serialize_map<S: Serializer>(
    secrets: &std::collections::BTreeMap<String, SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(secrets.iter().map(|(k, v)| (k, v.expose_secret())))
}

pub fn serialize_option_map<S: Serializer>(
    secrets: &Option<std::collections::BTreeMap<String, SecretString>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secrets {
        Some(secrets) => serialize_map(secrets, serializer),
        None => serializer.serialize_none(),
    }
}
