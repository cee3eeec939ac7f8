//! `GET /api/v1/events`: the server's event stream (server-sent events), parsed by
//! `eventsource-stream`. Each [`Event`] has the server's `id`, its kind (`job.updated`,
//! `instance.changed`, `reload`, …) and its JSON data.

use std::pin::Pin;
use std::task::{Context, Poll};

use eventsource_stream::Eventsource;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use reqwest::Method;
use reqwest::header::{ACCEPT, HeaderValue};
use serde::de::DeserializeOwned;

use crate::{Client, ClientError, Result};

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Send back as `Last-Event-ID` when reconnecting to get what was missed.
    pub id: Option<u64>,
    /// `job.updated`, `instance.appeared`, `instance.changed`, `instance.disappeared`,
    /// `cluster.status`, or `reload` (events were missed: re-read what you show).
    pub kind: String,
    pub data: serde_json::Value,
}

impl Event {
    /// The data as `T` (e.g. a `JobDto` for `job.updated`).
    pub fn data_as<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(self.data.clone()).map_err(|e| ClientError::Decode {
            status: 200,
            reason: format!("{} event: {e}", self.kind),
        })
    }
}

/// The open stream; ends when the server closes it (e.g. on shutdown).
pub struct EventStream {
    inner: BoxStream<'static, Result<Event>>,
}

impl Stream for EventStream {
    type Item = Result<Event>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl Client {
    /// Opens the event stream; with `last_event_id`, it starts with what came after it.
    pub async fn events(&self, last_event_id: Option<u64>) -> Result<EventStream> {
        let mut request = self
            .request(Method::GET, "api/v1/events")?
            .header(ACCEPT, HeaderValue::from_static("text/event-stream"));
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        // Not `send_raw`: its timeout would cut a stream that is meant to stay open.
        let response = request.send().await.map_err(ClientError::Transport)?;
        if !response.status().is_success() {
            return Err(ClientError::from_response(response).await);
        }
        let inner = response
            .bytes_stream()
            .eventsource()
            .map(|item| match item {
                Ok(event) => Ok(Event {
                    id: event.id.parse().ok(),
                    kind: if event.event.is_empty() {
                        "message".to_owned()
                    } else {
                        event.event
                    },
                    data: serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null),
                }),
                Err(eventsource_stream::EventStreamError::Transport(error)) => {
                    Err(ClientError::Transport(error))
                }
                Err(other) => Err(ClientError::Decode {
                    status: 200,
                    reason: other.to_string(),
                }),
            })
            .boxed();
        Ok(EventStream { inner })
    }
}
