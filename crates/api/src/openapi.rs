//! The finished API description: the document collected from the routers, plus
//! title, security schemes and tags; served as JSON and as a self-contained HTML
//! reference page (no CDN: the server may run where the internet is not).

use std::fmt::Write as _;

use axum::http::{Method, StatusCode};
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::tag::Tag;
use utoipa::openapi::{Components, Info, OpenApi, RefOr};

use crate::auth::cookies::ACCESS_COOKIE;

/// Tags in the order the reference page lists them, with their descriptions. A tag
/// used by a route but missing here is listed after these, undescribed.
const TAGS: [(&str, &str); 17] = [
    ("auth", "Sessions and your own account"),
    (
        "alerts",
        "Alerts (firing now and history), their rules and silences",
    ),
    ("users", "User administration (admin)"),
    ("tokens", "API tokens for the CLI and automation"),
    ("audit", "The audit log (admin)"),
    (
        "backups",
        "Backups of instances (vzdump archives): take, protect, delete, restore",
    ),
    ("clusters", "Proxmox VE clusters under management (admin)"),
    (
        "instances",
        "LXC containers and VMs, read from the inventory mirror",
    ),
    (
        "images",
        "Container templates, ISOs and VM templates to launch from; template downloads (admin)",
    ),
    (
        "keypairs",
        "SSH key pairs to launch instances with (the private key of a generated pair is shown once)",
    ),
    (
        "metrics",
        "Time series for charts: instances (owner, admin); nodes, clusters, storages (admin)",
    ),
    (
        "monitoring",
        "The health map: clusters, nodes and guests coloured by health",
    ),
    (
        "s3",
        "S3 access keys for the object storage endpoint (the secret is shown once)",
    ),
    (
        "secrets",
        "The secrets vault: values sealed at rest, versioned, every read audited",
    ),
    ("settings", "Global settings (read: everyone; write: admin)"),
    (
        "volumes",
        "Data volumes that outlive instances, with snapshots",
    ),
    ("system", "Health and this description"),
];

pub struct ApiDescription {
    pub spec: OpenApi,
    pub json: String,
    pub html: String,
}

pub fn describe(mut spec: OpenApi) -> ApiDescription {
    let mut info = Info::new("ProxiCloud API", env!("CARGO_PKG_VERSION"));
    info.description = Some(
        "Authenticate with `Authorization: Bearer <access token | pc_… API token>`, or with the \
         session cookies set by `POST /api/v1/auth/login` with `use_cookies` (writes then need \
         `X-CSRF-Token`). Errors are `{\"error\": {\"code\", \"message\", \"fields\"?}}`."
            .to_owned(),
    );
    spec.info = info;
    crate::openapi_errors::add_common_errors(&mut spec);
    describe_bare_responses(&mut spec);
    let components = spec.components.get_or_insert_with(Components::new);
    let bearer = Http::new(HttpAuthScheme::Bearer);
    components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    let cookie = ApiKey::Cookie(ApiKeyValue::new(ACCESS_COOKIE));
    components.add_security_scheme("cookie", SecurityScheme::ApiKey(cookie));
    spec.security = Some(vec![
        SecurityRequirement::new("bearer", Vec::<String>::new()),
        SecurityRequirement::new("cookie", Vec::<String>::new()),
    ]);
    spec.tags = Some(
        TAGS.iter()
            .map(|(name, description)| {
                let mut tag = Tag::new(name);
                tag.description = Some((*description).to_owned());
                tag
            })
            .collect(),
    );
    let json = spec.to_json().expect("the OpenAPI document serialises");
    let html = reference_page(&spec);
    ApiDescription { spec, json, html }
}

/// OpenAPI requires a description on every response; where a route gave none, the
/// status's reason phrase ("Created", "Not Found") says what there is to say.
fn describe_bare_responses(spec: &mut OpenApi) {
    for (_, _, operation) in operations_mut(spec) {
        for (status, response) in &mut operation.responses.responses {
            let RefOr::T(response) = response else {
                continue;
            };
            if response.description.is_empty() {
                let reason = status
                    .parse::<u16>()
                    .ok()
                    .and_then(|code| StatusCode::from_u16(code).ok());
                let reason = reason
                    .and_then(|code| code.canonical_reason())
                    .unwrap_or("Response");
                response.description = reason.to_owned();
            }
        }
    }
}

/// Every operation of the document with its method and path, in document order.
/// Anything that walks the operations goes through this or [`operations_mut`] (the
/// methods our routes use are listed in these two only).
pub fn operations(spec: &OpenApi) -> impl Iterator<Item = (Method, &str, &Operation)> {
    spec.paths.paths.iter().flat_map(|(path, item)| {
        [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ]
        .into_iter()
        .filter_map(move |(method, operation)| {
            operation.as_ref().map(|op| (method, path.as_str(), op))
        })
    })
}

/// [`operations`], to change them.
pub(crate) fn operations_mut(
    spec: &mut OpenApi,
) -> impl Iterator<Item = (Method, &str, &mut Operation)> {
    spec.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            (Method::GET, &mut item.get),
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::PATCH, &mut item.patch),
            (Method::DELETE, &mut item.delete),
        ]
        .into_iter()
        .filter_map(move |(method, operation)| {
            operation.as_mut().map(|op| (method, path.as_str(), op))
        })
    })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn reference_page(spec: &OpenApi) -> String {
    let mut html = String::from(concat!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<title>ProxiCloud API reference</title><style>",
        "body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}",
        "h2{margin-top:2em;border-bottom:1px solid #ddd}code{background:#f4f4f4;padding:0 .3em}",
        ".op{margin:.8em 0;padding:.5em .8em;border:1px solid #e4e4e4;border-radius:6px}",
        ".m{display:inline-block;width:4.5em;font-weight:bold}.r{color:#666;font-size:90%}",
        "</style></head><body>"
    ));
    let _ = write!(
        html,
        "<h1>{} <small>{}</small></h1><p>{}</p><p>Machine-readable: <a href=\"/api/v1/openapi.json\">\
         /api/v1/openapi.json</a> (OpenAPI 3.1).</p>",
        escape(&spec.info.title),
        escape(&spec.info.version),
        escape(spec.info.description.as_deref().unwrap_or_default()),
    );
    let all: Vec<_> = operations(spec).collect();
    let mut extra_tags: Vec<&str> = all
        .iter()
        .flat_map(|(_, _, op)| op.tags.iter().flatten().map(String::as_str))
        .filter(|tag| !TAGS.iter().any(|(known, _)| known == tag))
        .collect();
    extra_tags.sort_unstable();
    extra_tags.dedup();
    let sections = TAGS
        .iter()
        .copied()
        .chain(extra_tags.into_iter().map(|tag| (tag, "")));
    for (tag, description) in sections {
        let _ = write!(
            html,
            "<h2 id=\"{tag}\">{tag}</h2><p>{}</p>",
            escape(description)
        );
        let tagged = all
            .iter()
            .filter(|(_, _, op)| op.tags.as_ref().is_some_and(|t| t.iter().any(|t| t == tag)));
        for (method, path, operation) in tagged {
            let statuses: Vec<String> = operation.responses.responses.keys().cloned().collect();
            let body = match &operation.request_body {
                Some(RefOr::T(body)) => body
                    .content
                    .values()
                    .find_map(schema_name)
                    .unwrap_or_default(),
                _ => String::new(),
            };
            let _ = write!(
                html,
                "<div class=\"op\" id=\"{}\"><span class=\"m\">{method}</span><code>{}</code><br>{}{}\
                 <div class=\"r\">responses: {}</div></div>",
                escape(operation.operation_id.as_deref().unwrap_or_default()),
                escape(path),
                escape(operation.summary.as_deref().unwrap_or_default()),
                if body.is_empty() {
                    String::new()
                } else {
                    format!(" — body: <code>{}</code>", escape(&body))
                },
                escape(&statuses.join(", ")),
            );
        }
    }
    html.push_str("</body></html>");
    html
}

fn schema_name(content: &RefOr<utoipa::openapi::content::Content>) -> Option<String> {
    let RefOr::T(content) = content else {
        return None;
    };
    match content.schema.as_ref()? {
        RefOr::Ref(reference) => reference.ref_location.rsplit('/').next().map(str::to_owned),
        RefOr::T(_) => None,
    }
}
