//! File uploads as pveproxy reads them (pve-http-server `PVE::APIServer::AnyEvent`,
//! `file_upload_multipart`, and pve-manager `PVE::HTTPServer::auth_handler`, which
//! marks `POST /nodes/{node}/storage/{storage}/upload` as an upload).
//!
//! An upload must be `multipart/form-data`; pveproxy then picks out only the fields
//! `content`, `checksum-algorithm` and `checksum` (in that order, before the file), takes
//! the file part (whose field must be named `filename`) into `/var/tmp/pveupload-<hex>`,
//! and hands the handler `filename` (the client's file name) and `tmpfilename`. Other
//! parameters come from the query string; `tmpfilename` there is refused. The simulator
//! keeps the file's bytes in memory under that temporary name ([`Uploads`]).
//!
//! To accept another upload-like endpoint, extend [`is_upload_path`].

use std::collections::HashMap;

use parking_lot::Mutex;
use serde_json::{Map, Value};

use crate::wire::decode_urlencoded;

/// `PVE::HTTPServer::auth_handler`: `POST` to `…/storage/{storage}/upload` is an upload.
pub fn is_upload_path(method: &str, rel_path: &str) -> bool {
    let parts: Vec<&str> = rel_path.split('/').filter(|s| !s.is_empty()).collect();
    method == "POST" && matches!(parts.as_slice(), ["nodes", _, "storage", _, "upload"])
}

/// `parse_content_type`: the media type (lower case) and the `boundary` parameter.
pub fn content_type_and_boundary(content_type: &str) -> (String, Option<String>) {
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let boundary = parts.find_map(|p| {
        let (key, value) = p.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_string())
    });
    (media, boundary)
}

/// An upload as pveproxy hands it to the API handler.
#[derive(Debug)]
pub struct Upload {
    pub params: Map<String, Value>,
    pub file: Vec<u8>,
}

/// The fields pveproxy extracts before the file part, in its order.
const FORM_FIELDS: [&str; 3] = ["content", "checksum-algorithm", "checksum"];

/// Parses a `multipart/form-data` upload body; `query` supplies the other parameters.
/// Errors are pveproxy's messages.
pub fn parse(body: &[u8], boundary: &str, query: Option<&str>) -> Result<Upload, String> {
    let mut params = Map::new();
    if let Some(query) = query {
        decode_urlencoded(query, &mut params);
    }
    if params.contains_key("tmpfilename") {
        return Err("'tmpfilename' query parameter is not allowed for file uploads".into());
    }
    let delimiter = format!("--{boundary}");
    let mut file = None;
    for part in split_parts(body, delimiter.as_bytes()) {
        let (headers, data) = split_headers(part);
        let Some(disposition) = headers
            .lines()
            .find_map(|l| strip_prefix_ci(l, "content-disposition:"))
        else {
            continue;
        };
        let mut fields = disposition.split(';').map(str::trim);
        let kind = fields.next().unwrap_or("");
        let mut name = None;
        let mut filename = None;
        for field in fields {
            if let Some(v) = field.strip_prefix("name=") {
                name = Some(v.trim_matches('"').to_string());
            } else if let Some(v) = field.strip_prefix("filename=") {
                filename = Some(v.trim_matches('"').to_string());
            }
        }
        if kind != "form-data" {
            return Err(format!(
                "wrong Content-Disposition '{kind}' in multipart, expected 'form-data'"
            ));
        }
        let name = name.unwrap_or_default();
        match filename {
            Some(filename) => {
                if name != "filename" {
                    return Err(format!(
                        "wrong field name '{name}' for file upload, expected 'filename'"
                    ));
                }
                params.insert("filename".into(), Value::String(filename.trim().into()));
                file = Some(data.to_vec());
                // Everything after the file is ignored, as pveproxy stops parsing there.
                break;
            }
            None if FORM_FIELDS.contains(&name.as_str()) => {
                let text = String::from_utf8_lossy(data).trim().to_string();
                params.insert(name, Value::String(text));
            }
            None => {}
        }
    }
    let file = file.ok_or_else(|| "upload failed".to_string())?;
    Ok(Upload { params, file })
}

/// The parts between delimiters, each without its trailing line break.
fn split_parts<'a>(body: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = body;
    let Some(start) = find(rest, delimiter) else {
        return parts;
    };
    rest = &rest[start + delimiter.len()..];
    while !rest.starts_with(b"--") {
        rest = strip_newline(rest);
        let end = find(rest, delimiter).unwrap_or(rest.len());
        let mut part = &rest[..end];
        part = part.strip_suffix(b"\r\n").unwrap_or(part);
        part = part.strip_suffix(b"\n").unwrap_or(part);
        parts.push(part);
        if end == rest.len() {
            break;
        }
        rest = &rest[end + delimiter.len()..];
    }
    parts
}

/// Headers (as text) and data of one part, split at the first empty line.
fn split_headers(part: &[u8]) -> (String, &[u8]) {
    for separator in [&b"\r\n\r\n"[..], b"\n\n"] {
        if let Some(at) = find(part, separator) {
            let headers = String::from_utf8_lossy(&part[..at]).into_owned();
            return (headers, &part[at + separator.len()..]);
        }
    }
    (String::from_utf8_lossy(part).into_owned(), &[])
}

fn strip_newline(bytes: &[u8]) -> &[u8] {
    bytes
        .strip_prefix(b"\r\n")
        .or_else(|| bytes.strip_prefix(b"\n"))
        .unwrap_or(bytes)
}

fn strip_prefix_ci<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| line[prefix.len()..].trim())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Uploaded files waiting for their handler, by temporary file name
/// (`/var/tmp/pveupload-<hex>`, `get_upload_filename`). The handler takes the file; PVE
/// unlinks it when the request ends.
#[derive(Default)]
pub struct Uploads {
    files: Mutex<HashMap<String, Vec<u8>>>,
}

impl Uploads {
    pub fn store(&self, file: Vec<u8>) -> String {
        let name = format!("/var/tmp/pveupload-{:032x}", rand::random::<u128>());
        self.files.lock().insert(name.clone(), file);
        name
    }

    pub fn take(&self, name: &str) -> Option<Vec<u8>> {
        self.files.lock().remove(name)
    }

    /// How many uploaded files wait for a handler to take them.
    pub fn pending(&self) -> usize {
        self.files.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(boundary: &str, file_field: &str) -> Vec<u8> {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\niso\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"ignored\"\r\n\r\nx\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; filename=\"a.iso\"\r\n\
             Content-Type: application/octet-stream\r\n\r\nline1\r\nline2\r\n--{boundary}--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn only_pveproxys_fields_and_the_file_are_taken() {
        let upload = parse(&form("XyZ", "filename"), "XyZ", Some("checksum=1")).unwrap();
        assert_eq!(upload.params["content"], "iso");
        assert_eq!(upload.params["filename"], "a.iso");
        assert_eq!(upload.params["checksum"], "1");
        assert!(!upload.params.contains_key("ignored"));
        assert_eq!(upload.file, b"line1\r\nline2");
    }

    #[test]
    fn the_file_field_must_be_named_filename_and_tmpfilename_is_refused() {
        let err = parse(&form("b", "file"), "b", None).unwrap_err();
        assert_eq!(
            err,
            "wrong field name 'file' for file upload, expected 'filename'"
        );
        let err = parse(&form("b", "filename"), "b", Some("tmpfilename=/x")).unwrap_err();
        assert!(err.contains("not allowed"), "{err}");
    }

    #[test]
    fn upload_paths_and_content_types() {
        assert!(is_upload_path("POST", "/nodes/pve1/storage/local/upload"));
        assert!(!is_upload_path("GET", "/nodes/pve1/storage/local/upload"));
        assert!(!is_upload_path("POST", "/nodes/pve1/storage/local/content"));
        let (media, boundary) = content_type_and_boundary("Multipart/Form-Data; boundary=\"abc\"");
        assert_eq!(media, "multipart/form-data");
        assert_eq!(boundary.as_deref(), Some("abc"));
    }
}
