//! Object bytes over HTTP for the bucket routes: a request body as the object store
//! reads it (streamed, never collected), the `Range` header, and a download response
//! with S3's headers (ETag, Last-Modified, Content-Range, a download file name).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use axum::body::{Body, BodyDataStream};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::Stream;
use proxicloud_domain::DomainError;
use proxicloud_domain::buckets::{ByteRange, ByteStream, Download, ObjectHeaders};
use proxicloud_store::Timestamp;
use sync_wrapper::SyncWrapper;

use crate::error::ApiError;

/// The object store wants a `Sync` stream; a request body is only `Send`. The
/// wrapper is sound because a stream is only ever polled through `&mut`.
struct SyncBody(SyncWrapper<BodyDataStream>);

impl Stream for SyncBody {
    type Item = std::io::Result<Bytes>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(self.get_mut().0.get_mut())
            .poll_next(cx)
            .map(|item| item.map(|chunk| chunk.map_err(std::io::Error::other)))
    }
}

/// A request body, streamed.
pub fn body_stream(body: Body) -> ByteStream {
    Box::pin(SyncBody(SyncWrapper::new(body.into_data_stream())))
}

/// The headers an upload keeps: `Content-Type`, the other content headers, and
/// `x-amz-meta-*` user metadata (S3's names, so the S3 endpoint returns them).
pub fn upload_headers(headers: &HeaderMap) -> ObjectHeaders {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let metadata = headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.as_str().strip_prefix("x-amz-meta-")?;
            Some((name.to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    ObjectHeaders {
        content_type: text(header::CONTENT_TYPE),
        content_encoding: text(header::CONTENT_ENCODING),
        content_disposition: text(header::CONTENT_DISPOSITION),
        content_language: text(header::CONTENT_LANGUAGE),
        cache_control: text(header::CACHE_CONTROL),
        expires: text(header::EXPIRES),
        metadata,
    }
}

/// A single `bytes=` range; anything else (several ranges, other units, nonsense)
/// is ignored and the whole object sent, which HTTP allows.
pub fn parse_range(headers: &HeaderMap) -> Option<ByteRange> {
    let spec = headers
        .get(header::RANGE)?
        .to_str()
        .ok()?
        .strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.trim().split_once('-')?;
    if first.is_empty() {
        return Some(ByteRange::Suffix {
            length: last.parse().ok()?,
        });
    }
    Some(ByteRange::From {
        first: first.parse().ok()?,
        last: if last.is_empty() {
            None
        } else {
            Some(last.parse().ok()?)
        },
    })
}

/// `416` for a range the object cannot satisfy; other errors unchanged.
pub fn range_error(error: DomainError) -> ApiError {
    match error {
        DomainError::BadRequest {
            code: "invalid_range",
            message,
        } => ApiError::new(StatusCode::RANGE_NOT_SATISFIABLE, "invalid_range", message),
        other => other.into(),
    }
}

pub fn http_date(time: Timestamp) -> String {
    let micros = u64::try_from(time.unix_micros()).unwrap_or(0);
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_micros(micros))
}

/// `attachment` with the key's last segment as the file name (RFC 6266: an ASCII
/// fallback and the UTF-8 name).
fn attachment(key: &str) -> HeaderValue {
    let name = key
        .rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or("download");
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or(HeaderValue::from_static("attachment"))
}

/// The object's bytes as they stream from the store: `200`, or `206` with
/// `Content-Range` for a range.
pub fn download_response(download: Download) -> Response {
    let info = &download.info;
    let (status, length) = match &download.range {
        Some(range) => (StatusCode::PARTIAL_CONTENT, range.end - range.start),
        None => (StatusCode::OK, info.size),
    };
    let content_type = info
        .headers
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    let mut response = (status, Body::from_stream(download.body)).into_response();
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, content_type);
    set(header::CONTENT_LENGTH, length.to_string());
    set(header::ETAG, format!("\"{}\"", info.etag));
    set(header::LAST_MODIFIED, http_date(info.modified_at));
    set(header::ACCEPT_RANGES, "bytes".to_owned());
    if let Some(range) = &download.range {
        set(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{}", range.start, range.end - 1, info.size),
        );
    }
    headers.insert(header::CONTENT_DISPOSITION, attachment(&info.key));
    // Private data: no shared cache keeps it.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str) -> Option<ByteRange> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        parse_range(&headers)
    }

    #[test]
    fn single_byte_ranges_are_understood_and_others_ignored() {
        let from = |first, last| Some(ByteRange::From { first, last });
        assert_eq!(range("bytes=0-9"), from(0, Some(9)));
        assert_eq!(range("bytes=10-"), from(10, None));
        assert_eq!(range("bytes=-5"), Some(ByteRange::Suffix { length: 5 }));
        assert_eq!(range("bytes=0-1,4-5"), None);
        assert_eq!(range("items=0-1"), None);
        assert_eq!(range("bytes=x-1"), None);
    }

    #[test]
    fn the_download_name_is_the_last_segment() {
        let value = attachment("photos/2024/été \"1\".jpg");
        let text = value.to_str().unwrap();
        assert!(text.starts_with("attachment; filename=\"_t__"), "{text}");
        assert!(
            text.contains("filename*=UTF-8''%C3%A9t%C3%A9%20%221%22%2Ejpg"),
            "{text}"
        );
        assert_eq!(
            attachment("folder/")
                .to_str()
                .unwrap()
                .split(';')
                .nth(1)
                .unwrap(),
            " filename=\"folder\""
        );
    }
}
