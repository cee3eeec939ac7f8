//! `GET /api/v1/events`: server-sent events — job progress (`job.updated`, whose data
//! is a `JobDto`), inventory changes (`instance.appeared|changed|disappeared`) and
//! cluster reachability (`cluster.status`), each only to callers allowed to see it.
//!
//! Every event carries an `id`; a client reconnecting with `Last-Event-ID` (browsers
//! do it by themselves) first gets what it missed. When the server no longer holds
//! all of that, or the client falls too far behind, it gets a `reload` event: re-read
//! what it shows, then carry on with the stream. Comments are sent as keep-alives.

use proxicloud_domain::events::EventBus;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use futures_util::stream;
use proxicloud_domain::events::Event;
use tokio::sync::broadcast::{Receiver, error::RecvError};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::state::{AppState, Domain};

/// How often an idle stream sends a comment, so proxies keep the connection open.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stream_events))
}

/// What the stream still has to send, and where the rest comes from.
struct Feed {
    pending: VecDeque<SseEvent>,
    live: Receiver<Arc<Event>>,
    closed: Pin<Box<dyn Future<Output = ()> + Send>>,
    user_id: String,
    is_admin: bool,
}

impl Feed {
    fn visible(&self, event: &Event) -> Option<SseEvent> {
        event
            .visible_to(&self.user_id, self.is_admin)
            .then(|| to_sse(event))
    }
}

fn to_sse(event: &Event) -> SseEvent {
    SseEvent::default()
        .id(event.id.to_string())
        .event(&event.kind)
        .data(event.data.to_string())
}

/// Tells the client it missed events that cannot be replayed.
fn reload() -> SseEvent {
    SseEvent::default().event("reload").data("{}")
}

fn last_event_id(headers: &HeaderMap) -> Option<u64> {
    headers
        .get("last-event-id")?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Follow events (server-sent events, `text/event-stream`).
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(("Last-Event-ID" = Option<u64>, Header, description = "The id of the last event received")),
    responses((status = 200, content_type = "text/event-stream",
        description = "`job.updated`, `instance.appeared`, `instance.changed`, `instance.disappeared`, `cluster.status`, `reload`")))]
async fn stream_events(
    auth: Auth,
    Domain(events): Domain<EventBus>,
    headers: HeaderMap,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let (replay, live) = events.subscribe(last_event_id(&headers));
    let mut feed = Feed {
        pending: VecDeque::new(),
        live,
        closed: Box::pin(events.closed()),
        user_id: auth.principal.user_id.to_string(),
        is_admin: auth.principal.is_admin(),
    };
    match replay {
        Some(missed) => {
            let visible: Vec<SseEvent> = missed.iter().filter_map(|e| feed.visible(e)).collect();
            feed.pending.extend(visible);
        }
        None => feed.pending.push_back(reload()),
    }
    let events = stream::unfold(feed, |mut feed| async move {
        loop {
            if let Some(next) = feed.pending.pop_front() {
                return Some((Ok(next), feed));
            }
            let received = tokio::select! {
                received = feed.live.recv() => received,
                // Server shutting down: end the stream so the connection can close.
                () = &mut feed.closed => return None,
            };
            match received {
                Ok(event) => {
                    if let Some(next) = feed.visible(&event) {
                        return Some((Ok(next), feed));
                    }
                }
                // Too slow: events were dropped for this client.
                Err(RecvError::Lagged(_)) => return Some((Ok(reload()), feed)),
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}
