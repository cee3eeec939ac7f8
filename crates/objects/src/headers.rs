//! [`ObjectHeaders`]: what an object carries besides its bytes, stored as JSON in the
//! object's row and returned on GET and HEAD.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ObjectError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectHeaders {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_encoding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// As the client sent it (an HTTP date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// `x-amz-meta-*`, names lower-cased without the prefix.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// S3 allows 2 KB of user metadata per object.
pub const MAX_METADATA_BYTES: usize = 2048;

impl ObjectHeaders {
    pub(crate) fn to_json(&self) -> Result<String, ObjectError> {
        let size: usize = self.metadata.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > MAX_METADATA_BYTES {
            return Err(ObjectError::InvalidArgument(format!(
                "user metadata is {size} bytes; at most {MAX_METADATA_BYTES} are allowed"
            )));
        }
        serde_json::to_string(self).map_err(|e| ObjectError::Internal(e.to_string()))
    }

    pub(crate) fn from_json(text: &str) -> Result<Self, ObjectError> {
        serde_json::from_str(text)
            .map_err(|e| ObjectError::Internal(format!("stored object headers: {e}")))
    }
}
