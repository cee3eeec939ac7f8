//! Buckets and their objects: owned resources; readonly callers read their own and
//! change nothing; someone else's bucket is not found.

use serde_json::{Value, json};

use super::common::*;

fn new_bucket(_: &Cell) -> Option<Value> {
    Some(json!({ "name": format!("m-{}", uuid::Uuid::now_v7().simple()) }))
}

fn the_object(_: &Cell) -> Option<Value> {
    Some(json!({ "keys": ["matrix.txt"] }))
}

fn some_bytes(_: &Cell) -> Option<Value> {
    Some(json!({ "any": "bytes" }))
}

fn presign(_: &Cell) -> Option<Value> {
    Some(json!({ "expires_in_secs": 60 }))
}

fn new_upload(_: &Cell) -> Option<Value> {
    Some(json!({ "key": "big.bin" }))
}

fn unknown_part(_: &Cell) -> Option<Value> {
    Some(json!({ "parts": [{ "part_number": 1, "etag": "0" }] }))
}

/// Readable by its owner (readonly too) and admins; someone else: not found.
const READ: [u16; 5] = [401, 200, 200, 404, 200];

pub(super) fn rows() -> Vec<Row> {
    use Target::*;
    vec![
        row("GET", "/api/v1/buckets", Nothing, no_body, any_user(200)),
        row(
            "POST",
            "/api/v1/buckets",
            Nothing,
            new_bucket,
            [401, 403, 201, 201, 201],
        ),
        row(
            "GET",
            "/api/v1/buckets/{bucket}",
            OwnerBucket,
            no_body,
            READ,
        ),
        row(
            "DELETE",
            "/api/v1/buckets/{bucket}",
            OwnerEmptyBucket,
            no_body,
            [401, 403, 204, 404, 204],
        ),
        row(
            "GET",
            "/api/v1/buckets/{bucket}/objects",
            OwnerBucket,
            no_body,
            READ,
        ),
        row(
            "POST",
            "/api/v1/buckets/{bucket}/delete-objects",
            OwnerBucket,
            the_object,
            [401, 403, 200, 404, 200],
        ),
        row(
            "GET",
            "/api/v1/buckets/{bucket}/objects/{key}",
            OwnerBucket,
            no_body,
            READ,
        ),
        row(
            "PUT",
            "/api/v1/buckets/{bucket}/objects/{key}",
            OwnerBucket,
            some_bytes,
            [401, 403, 200, 404, 200],
        ),
        row(
            "DELETE",
            "/api/v1/buckets/{bucket}/objects/{key}",
            OwnerBucket,
            no_body,
            [401, 403, 204, 404, 204],
        ),
        row(
            "GET",
            "/api/v1/buckets/{bucket}/objects/{key}/metadata",
            OwnerBucket,
            no_body,
            READ,
        ),
        // Nobody in the cell has an access key (400 no_access_key); an admin may read
        // the bucket but cannot sign for its owner (403).
        row(
            "POST",
            "/api/v1/buckets/{bucket}/objects/{key}/presign",
            OwnerBucket,
            presign,
            [401, 400, 400, 404, 403],
        ),
        row(
            "POST",
            "/api/v1/buckets/{bucket}/uploads",
            OwnerBucket,
            new_upload,
            [401, 403, 201, 404, 201],
        ),
        row(
            "PUT",
            "/api/v1/buckets/{bucket}/uploads/{upload_id}/parts/{part_number}",
            OwnerUpload,
            some_bytes,
            [401, 403, 200, 404, 200],
        ),
        // Authorised callers reach the part check (no such part: 422).
        row(
            "POST",
            "/api/v1/buckets/{bucket}/uploads/{upload_id}/complete",
            OwnerUpload,
            unknown_part,
            [401, 403, 422, 404, 422],
        ),
        row(
            "DELETE",
            "/api/v1/buckets/{bucket}/uploads/{upload_id}",
            OwnerUpload,
            no_body,
            [401, 403, 204, 404, 204],
        ),
    ]
}
