//! Response shapes shared by several resources: `202 Accepted` with the job that
//! carries the work out, and mirror reads tagged with their freshness.

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
