//! `GET /api/v1/instances/{id}/console`: the instance's console as a websocket — a
//! terminal speaking termproxy's protocol for containers (`0:LEN:DATA` input,
//! `1:COLS:ROWS:` resize, `2` ping; output unframed), RFB (VNC) for VMs after one text
//! message carrying the session's VNC password (`console_relay.rs`). Everything is
//! checked before the upgrade and refused as JSON: 403 for callers who may not manage
//! the instance or a page of another site (the Origin must be ours), 409 when it does
//! not run (or the cluster's token cannot open consoles), 429 past the user's open
//! consoles, 503 when Proxmox cannot open it. Refused attempts are audited. The
//! relay: `console_relay.rs`.

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use std::sync::Arc;

use proxicloud_domain::console::{CloseReason, ConsoleService, Refusal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::Auth;
use crate::context::RequestContext;
use crate::error::{ApiError, ApiResult, ErrorResponse};
use crate::extract::ApiPath;
use crate::state::{AppState, Domain};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(open_instance_console))
}

/// Open the instance's console (a websocket upgrade; subprotocol `binary` offered to
/// noVNC). Containers: termproxy's terminal protocol; VMs: a text message
/// `{"vnc_password": "…"}` (the answer to the VM's VNC authentication), then RFB 3.8.
#[utoipa::path(get, path = "/api/v1/instances/{id}/console", tag = "instances",
    params(("id" = Uuid, Path)),
    responses(
        (status = 101, description = "Switching Protocols: the console websocket"),
        (status = 400, body = ErrorResponse, description = "Not a websocket upgrade, and every check passed (a page asks this way why its websocket did not open)"),
        (status = 403, body = ErrorResponse, description = "May not manage the instance, or another site's page"),
        (status = 404, body = ErrorResponse),
        (status = 409, body = ErrorResponse, description = "Not running, a template, or the cluster's credentials cannot open consoles (`console_needs_password`: an API token on Proxmox VE before 9.0.13)"),
        (status = 429, body = ErrorResponse, description = "The caller has `[console] max_sessions_per_user` consoles open already"),
        (status = 503, body = ErrorResponse, description = "Proxmox VE could not open the console")))]
async fn open_instance_console(
    auth: Auth,
    Domain(consoles): Domain<ConsoleService>,
    ApiPath(id): ApiPath<Uuid>,
    context: RequestContext,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let source_ip = Some(context.source_ip.to_string());
    let attempted = upgrade.is_ok();
    let result = open(&auth, &consoles, id, &headers, upgrade, source_ip.clone()).await;
    // A refused attempt to open a console is audited like a refused write; a plain
    // GET (the console page asking why its websocket did not open) is not an attempt.
    if let Err(error) = &result
        && attempted
    {
        let refusal = Refusal {
            status: error.status().as_u16(),
            code: error.code(),
        };
        consoles
            .refused(&auth.principal, id, source_ip, refusal)
            .await;
    }
    result
}

async fn open(
    auth: &Auth,
    consoles: &Arc<ConsoleService>,
    id: Uuid,
    headers: &HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    source_ip: Option<String>,
) -> ApiResult<Response> {
    same_origin(headers)?;
    let guest = consoles.check(&auth.principal, id).await?;
    let upgrade = upgrade.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "websocket_required",
            format!("the console is a websocket: {e}"),
        )
    })?;
    let opened = consoles.open(&auth.principal, &guest, source_ip).await?;
    let idle = consoles.idle_timeout();
    let session = opened.session.clone();
    let (on_upgrade, on_failure) = (Arc::clone(consoles), Arc::clone(consoles));
    Ok(upgrade
        .protocols(["binary"])
        // The open entry is written: a browser that went away before the upgrade
        // completed still gets its close entry (no open without close).
        .on_failed_upgrade(move |_| {
            tokio::spawn(async move { on_failure.closed(&session, CloseReason::Error).await });
        })
        .on_upgrade(move |socket| async move {
            let session = opened.session.clone();
            let reason = crate::console_relay::relay(socket, opened, idle).await;
            on_upgrade.closed(&session, reason).await;
        }))
}

/// Browsers send cookies on websocket upgrades from any site, and CORS does not apply:
/// an `Origin` that is not this server's is refused (cross-site websocket hijacking).
/// Clients that send no `Origin` (the CLI, scripts) authenticate with a token anyway.
fn same_origin(headers: &HeaderMap) -> ApiResult<()> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'));
    match (origin_host, host) {
        (Some(origin), Some(host)) if origin.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_origin",
            "consoles open only from this server's own pages",
        )),
    }
}
