//! The one error hyper answers by itself, before any of our layers sees a request:
//! a request head it cannot parse (a 100,000-character path → `414`, oversized
//! headers → `431`, garbage → `400`). hyper writes those with an empty body and
//! closes the connection; [`JsonErrorsListener`] hands hyper connections that
//! rewrite exactly such a response into our JSON error shape.
//!
//! Recognised by its form: one of those statuses with `content-length: 0`. Every
//! response of ours with those statuses carries a JSON body, so only hyper's match.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

/// A TCP listener whose connections carry [`JsonErrorIo`].
pub struct JsonErrorsListener(pub TcpListener);

impl axum::serve::Listener for JsonErrorsListener {
    type Io = JsonErrorIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, address) = axum::serve::Listener::accept(&mut self.0).await;
        (JsonErrorIo::new(stream), address)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// A connection (plain TCP, or TLS over it) that rewrites hyper's bodiless
/// parse-error responses.
pub struct JsonErrorIo<S = TcpStream> {
    inner: S,
    pending: Option<Pending>,
}

/// A rewritten response being written.
struct Pending {
    bytes: Vec<u8>,
    /// How much of `bytes` is out.
    written: usize,
    /// The length of hyper's original, reported once all of `bytes` is out.
    reported: usize,
}

impl<S: AsyncWrite + Unpin> JsonErrorIo<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            pending: None,
        }
    }

    /// Starts writing the JSON version of `buf` if it is one of hyper's error heads;
    /// whether a rewritten response is (now) on its way out.
    fn intercept(&mut self, buf: &[u8]) -> bool {
        if self.pending.is_none()
            && let Some(bytes) = rewrite(buf)
        {
            self.pending = Some(Pending {
                bytes,
                written: 0,
                reported: buf.len(),
            });
        }
        self.pending.is_some()
    }

    fn drive_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        while let Some(pending) = self.pending.as_mut() {
            if pending.written == pending.bytes.len() {
                let reported = pending.reported;
                self.pending = None;
                return Poll::Ready(Ok(reported));
            }
            let rest = &pending.bytes[pending.written..];
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, rest))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            pending.written += n;
        }
        Poll::Ready(Ok(0))
    }
}

/// hyper's automatic responses (`proto::h1::role::Server::on_error`).
const REWRITTEN: [(&str, &str, &str); 3] = [
    (
        "400",
        "malformed_request",
        "the request could not be parsed",
    ),
    ("414", "uri_too_long", "the request's URI is too long"),
    (
        "431",
        "request_header_fields_too_large",
        "the request's headers are too large",
    ),
];

/// hyper's error heads are a status line and two short headers; a longer write is
/// never one, so ordinary responses pass after two cheap checks.
const MAX_ERROR_HEAD: usize = 1024;

/// The JSON version of `head` if it is one of hyper's bodiless error responses.
fn rewrite(head: &[u8]) -> Option<Vec<u8>> {
    if head.len() > MAX_ERROR_HEAD || !head.starts_with(b"HTTP/1.1 4") {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?;
    let end = text.find("\r\n\r\n")?;
    if end + 4 != text.len() {
        return None;
    }
    let mut lines = text[..end].split("\r\n");
    let status_line = lines.next()?;
    let status = status_line.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    let (_, code, message) = REWRITTEN.iter().find(|(s, _, _)| *s == status)?;
    let headers: Vec<&str> = lines.collect();
    let empty = headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("content-length: 0"));
    if !empty {
        return None;
    }
    let body = format!(r#"{{"error":{{"code":"{code}","message":"{message}"}}}}"#);
    let mut out = format!("{status_line}\r\ncontent-type: application/json\r\n");
    for header in headers
        .iter()
        .filter(|h| !h.to_ascii_lowercase().starts_with("content-length:"))
    {
        out.push_str(header);
        out.push_str("\r\n");
    }
    out.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
    Some(out.into_bytes())
}

impl<S: AsyncRead + Unpin> AsyncRead for JsonErrorIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for JsonErrorIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.intercept(buf) {
            return this.drive_pending(cx);
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        // hyper's error response is a head alone: one non-empty slice.
        let mut non_empty = bufs.iter().filter(|b| !b.is_empty());
        let head = match (non_empty.next(), non_empty.next()) {
            (Some(only), None) => Some(&only[..]),
            _ => None,
        };
        if this.pending.is_some() || head.is_some_and(|head| this.intercept(head)) {
            return this.drive_pending(cx);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.pending.is_some() {
            ready!(self.drive_pending(cx))?;
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_ERROR_HEAD, rewrite};

    #[test]
    fn only_bodiless_parse_errors_are_rewritten() {
        let hyper = b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        let rewritten = String::from_utf8(rewrite(hyper).unwrap()).unwrap();
        let (head, body) = rewritten.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(head.contains("content-type: application/json"));
        assert!(head.contains("date: x"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["error"]["code"], "uri_too_long");

        for untouched in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n",
            b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\nbody",
            b"not http",
        ] {
            assert!(rewrite(untouched).is_none());
        }
        // Longer than any head hyper writes on its own: an ordinary response.
        let long = format!(
            "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx-pad: {}\r\n\r\n",
            "a".repeat(MAX_ERROR_HEAD)
        );
        assert!(rewrite(long.as_bytes()).is_none());
    }
}
