//! Request extractors whose rejections are `ApiError`s, so a bad request gets the
//! same JSON error shape as everything else:
//! - malformed JSON → `400 malformed_json`;
//! - well-formed JSON of the wrong shape (missing field, wrong type, unknown field,
//!   or anything but an object at the top: serde would take an array positionally)
//!   → `422 validation_failed` with the offending field in `fields`;
//! - a body that is not declared as JSON → `415`, too large → `413`;
//! - bad query parameters → `422`, bad path parameters → `400`.

use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;
use proxicloud_domain::FieldErrors;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

/// A JSON request body that may also be left out entirely (then `T::default()`),
/// for requests whose fields are all optional.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonOrEmpty<T>(pub T);

/// Query parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

/// Path parameters.
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

async fn read_body<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(status, "payload_too_large", "the request body is too large")
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable_body",
                    "the request body could not be read",
                )
            }
        })
}

/// `""` for the document root, else the dotted path of the offending value.
fn field_name(path: &serde_path_to_error::Path) -> String {
    let text = path.to_string();
    if text == "." { "body".to_owned() } else { text }
}

pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let malformed = |error: serde_json::Error| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            format!("malformed JSON: {error}"),
        )
    };
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let field = field_name(error.path());
        let inner = error.into_inner();
        if inner.is_data() {
            // The message may quote the rejected value: it goes back to its sender only.
            ApiError::validation(FieldErrors::from([(
                field,
                strip_position(&inner.to_string()),
            )]))
        } else {
            malformed(inner)
        }
    })?;
    // Trailing garbage after the document is malformed too.
    deserializer.end().map_err(malformed)?;
    // serde's derived structs also accept a JSON array, field by field in declaration
    // order (`["name", 5]`): a body nobody documents, so only an object is a body.
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        return Err(ApiError::validation(FieldErrors::from([(
            "body".to_owned(),
            "must be a JSON object".to_owned(),
        )])));
    }
    Ok(value)
}

/// serde_json appends " at line 1 column 42"; meaningless for a single field.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        "send the request body as JSON with `Content-Type: application/json`",
    )
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(unsupported_media_type());
        }
        let bytes = read_body(request, state).await?;
        parse_json(&bytes).map(ApiJson)
    }
}

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for JsonOrEmpty<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let declared_json = is_json(request.headers());
        let bytes = read_body(request, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonOrEmpty(T::default()));
        }
        if !declared_json {
            return Err(unsupported_media_type());
        }
        parse_json(&bytes).map(JsonOrEmpty)
    }
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(ApiQuery)
            .map_err(|error| {
                let message = error.inner().to_string();
                let field = match error.path().to_string().as_str() {
                    // The query as a whole: a parameter is missing (serde names it).
                    "." => message
                        .strip_prefix("missing field `")
                        .and_then(|rest| rest.split('`').next())
                        .unwrap_or("query")
                        .to_owned(),
                    path => path.to_owned(),
                };
                ApiError::validation(FieldErrors::from([(field, message)]))
            })
    }
}

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path_parameter",
                    rejection.body_text(),
                )
            })
    }
}

/// The `Idempotency-Key` header of a POST that starts work, if sent: a repeated key
/// (same user) returns the first job instead of starting another. Declare it in the
/// route's utoipa `params` as `("Idempotency-Key" = Option<String>, Header)`.
#[derive(Debug, Clone, Default)]
pub struct IdempotencyKey(pub Option<String>);

/// The header's name.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(IDEMPOTENCY_KEY) else {
            return Ok(Self(None));
        };
        value
            .to_str()
            .map(|key| Self(Some(key.to_owned())))
            .map_err(|_| {
                ApiError::validation(FieldErrors::from([(
                    "Idempotency-Key".to_owned(),
                    "must be printable ASCII".to_owned(),
                )]))
            })
    }
}
