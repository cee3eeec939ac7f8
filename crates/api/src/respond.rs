//! Response shapes shared by several resources: `202 Accepted` with the job that
//! carries the work out, mirror reads tagged with their freshness, and pages of rows
//! already rendered as JSON.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proxicloud_domain::inventory::Freshness;
use proxicloud_domain::jobs::Submitted;
use proxicloud_types::api::jobs::JobDto;
use serde::Serialize;

use crate::audit_trail::AuditTrail;
use crate::dto::IntoDto;

/// The header telling how current a mirror read is.
pub const CACHE_STATUS: &str = "x-cache-status";

/// `202 Accepted`, the job, and where to follow it (`Location: /api/v1/jobs/{id}`).
/// The audit entry of the request names the job (and says when a repeated
/// `Idempotency-Key` returned an earlier one).
pub fn accepted(submitted: Submitted, trail: &AuditTrail) -> Response {
    accepted_as(submitted, trail, |job| job)
}

/// [`accepted`] with a body built around the job (a launch adds the generated
/// password to it).
pub fn accepted_as<B: Serialize>(
    submitted: Submitted,
    trail: &AuditTrail,
    body: impl FnOnce(JobDto) -> B,
) -> Response {
    let job = submitted.job.into_dto();
    trail.detail("job_id", job.id.to_string());
    if !submitted.created {
        trail.detail("idempotent_replay", true);
    }
    let location = HeaderValue::from_str(&format!("/api/v1/jobs/{}", job.id))
        .expect("a path of ASCII characters");
    let mut response = (StatusCode::ACCEPTED, Json(body(job))).into_response();
    response.headers_mut().insert(header::LOCATION, location);
    response
}

/// A body with `X-Cache-Status`: `HIT`, or `STALE` while the cluster it comes from
/// is unreachable.
pub fn with_cache_status(freshness: Freshness, body: impl IntoResponse) -> Response {
    let status = match freshness {
        Freshness::Fresh => "HIT",
        Freshness::Stale { .. } => "STALE",
    };
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CACHE_STATUS, HeaderValue::from_static(status));
    response
}

/// A [`proxicloud_types::api::common::Paginated`] page written from rows already
/// serialised (an in-memory index's [`proxicloud_domain::read_index::Rendered`]): the
/// same bytes serde would write, without serialising each row again.
pub fn rendered_page(
    rows: impl IntoIterator<Item = bytes::Bytes>,
    next: Option<&proxicloud_store::Cursor>,
) -> Response {
    let mut body = page_json(rows, next);
    body.push(b'}');
    json_body(body.into())
}

/// The start of a rendered page: `{"items":[…],"next_cursor":…` — the caller adds any
/// further fields of its page type, then the closing `}`.
pub fn page_json(
    rows: impl IntoIterator<Item = bytes::Bytes>,
    next: Option<&proxicloud_store::Cursor>,
) -> Vec<u8> {
    let mut body = Vec::with_capacity(16 * 1024);
    body.extend_from_slice(b"{\"items\":[");
    for (n, row) in rows.into_iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        body.extend_from_slice(&row);
    }
    body.extend_from_slice(b"],\"next_cursor\":");
    serde_json::to_writer(&mut body, &next.map(proxicloud_store::Cursor::as_str))
        .expect("a string serialises");
    body
}

/// A JSON body already serialised.
pub fn json_body(body: bytes::Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[cfg(test)]
mod tests {
    use proxicloud_types::api::common::Paginated;
    use serde_json::json;

    use super::*;

    async fn body_of(response: Response) -> Vec<u8> {
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec()
    }

    /// Byte for byte what serialising the page gives, for no rows, one and several,
    /// with and without a next cursor.
    #[tokio::test]
    async fn a_rendered_page_is_the_serialised_page() {
        let rows = [
            json!({"id": 1, "name": "a\"b"}),
            json!({"id": 2}),
            json!({}),
        ];
        let cursor = proxicloud_store::Cursor::new("eyJrIjoxfQ".to_owned());
        for count in [0, 1, 3] {
            for next in [None, Some(&cursor)] {
                let items = rows[..count].to_vec();
                let rendered = items
                    .iter()
                    .map(|row| bytes::Bytes::from(serde_json::to_vec(row).unwrap()));
                let expected = serde_json::to_vec(&Paginated {
                    items: items.clone(),
                    next_cursor: next.map(|c| c.to_string()),
                })
                .unwrap();
                assert_eq!(body_of(rendered_page(rendered, next)).await, expected);
            }
        }
    }
}
