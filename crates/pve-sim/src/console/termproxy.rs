//! termproxy's wire protocol on the simulator's side of `vncwebsocket`, as
//! proxmox/pve-xtermjs termproxy/src/main.rs speaks it: the client's first line is
//! `USER:TICKET\n` (`read_ticket_line`), answered `OK` once the ticket checks out;
//! then `0:LEN:DATA` carries LEN bytes of input, `1:COLS:ROWS:` resizes the pty and
//! `2` is a ping that is ignored (`process_queue`). Output is sent as it comes, unframed.

use axum::extract::ws::{Message, WebSocket};
use std::time::Duration;

use super::shell::Shell;

/// termproxy waits 10 s for the ticket line (`read_ticket_line(…, Duration::new(10, 0))`).
const TICKET_TIMEOUT: Duration = Duration::from_secs(10);
/// `read_ticket_line` gives up on a first line longer than this without a newline.
const MAX_TICKET_LINE: usize = 4096;

/// One message of the client's stream.
#[derive(Debug, PartialEq, Eq)]
pub enum TermMessage {
    Data(Vec<u8>),
    Resize { cols: u16, rows: u16 },
    Ping,
}

/// Cuts the client's byte stream into messages; frames may split or join messages.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
}

impl Decoder {
    pub fn push(&mut self, bytes: &[u8]) -> Vec<TermMessage> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            match self.next_message() {
                Some(Some(message)) => out.push(message),
                Some(None) => {}
                None => return out,
            }
        }
    }

    /// `None`: wait for more bytes; `Some(None)`: a byte was skipped.
    fn next_message(&mut self) -> Option<Option<TermMessage>> {
        let kind = *self.buf.first()?;
        match kind {
            b'0' => {
                let (len, header) = number_at(&self.buf, 2)?;
                let len = len as usize;
                if self.buf.len() < header + len {
                    return None;
                }
                let data = self.buf[header..header + len].to_vec();
                self.buf.drain(..header + len);
                Some(Some(TermMessage::Data(data)))
            }
            b'1' => {
                let (cols, after_cols) = number_at(&self.buf, 2)?;
                let (rows, end) = number_at(&self.buf, after_cols)?;
                self.buf.drain(..end);
                Some(Some(TermMessage::Resize {
                    cols: cols.min(u16::MAX as u64) as u16,
                    rows: rows.min(u16::MAX as u64) as u16,
                }))
            }
            b'2' => {
                self.buf.drain(..1);
                Some(Some(TermMessage::Ping))
            }
            _ => {
                self.buf.drain(..1);
                Some(None)
            }
        }
    }
}

/// The decimal number starting at `from` and ended by `:`; with the index after the `:`.
fn number_at(buf: &[u8], from: usize) -> Option<(u64, usize)> {
    let rest = buf.get(from..)?;
    let colon = rest.iter().position(|b| *b == b':')?;
    let number = std::str::from_utf8(&rest[..colon])
        .ok()?
        .parse()
        .unwrap_or(0);
    Some((number, from + colon + 1))
}

fn payload(message: Message) -> Option<Vec<u8>> {
    match message {
        Message::Binary(bytes) => Some(bytes.to_vec()),
        Message::Text(text) => Some(text.as_bytes().to_vec()),
        Message::Ping(_) | Message::Pong(_) => Some(Vec::new()),
        Message::Close(_) => None,
    }
}

/// Serves one terminal session; `check` verifies the `USER:TICKET` line.
pub(crate) async fn serve(
    mut socket: WebSocket,
    hostname: String,
    check: impl Fn(&str, &str) -> bool,
) {
    let mut line = Vec::new();
    let rest = tokio::time::timeout(TICKET_TIMEOUT, async {
        loop {
            let bytes = payload(socket.recv().await?.ok()?)?;
            line.extend_from_slice(&bytes);
            if let Some(newline) = line.iter().position(|b| *b == b'\n') {
                return Some(line.split_off(newline + 1));
            }
            if line.len() > MAX_TICKET_LINE {
                return None;
            }
        }
    })
    .await;
    let Ok(Some(rest)) = rest else { return };
    let first = String::from_utf8_lossy(&line);
    let Some((user, ticket)) = first.trim_end().split_once(':') else {
        return;
    };
    // termproxy bails ("authentication request failed") and the connection drops.
    if !check(user, ticket) {
        let _ = socket.send(Message::Close(None)).await;
        return;
    }
    let mut shell = Shell::new(hostname);
    if socket.send(Message::Binary("OK".into())).await.is_err()
        || socket
            .send(Message::Binary(shell.greeting().into()))
            .await
            .is_err()
    {
        return;
    }
    let mut decoder = Decoder::default();
    let mut pending = decoder.push(&rest);
    loop {
        for message in pending.drain(..) {
            let output = match message {
                TermMessage::Data(data) => shell.input(&data),
                TermMessage::Resize { cols, rows } => {
                    shell.resize(cols, rows);
                    continue;
                }
                TermMessage::Ping => continue,
            };
            if !output.bytes.is_empty()
                && socket
                    .send(Message::Binary(output.bytes.into()))
                    .await
                    .is_err()
            {
                return;
            }
            if output.exited {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
        }
        let Some(Ok(message)) = socket.recv().await else {
            return;
        };
        let Some(bytes) = payload(message) else {
            return;
        };
        pending = decoder.push(&bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_data_resize_and_ping_across_split_frames() {
        let mut d = Decoder::default();
        assert_eq!(d.push(b"0:5:hel"), vec![]);
        assert_eq!(
            d.push(b"lo1:120:40:2"),
            vec![
                TermMessage::Data(b"hello".to_vec()),
                TermMessage::Resize {
                    cols: 120,
                    rows: 40
                },
                TermMessage::Ping
            ]
        );
        // LEN counts bytes, so a multi-byte character is carried whole.
        assert_eq!(
            d.push("0:2:é".as_bytes()),
            vec![TermMessage::Data("é".as_bytes().to_vec())]
        );
        // Junk between messages is skipped, as `process_queue` does.
        assert_eq!(d.push(b"x0:1:a"), vec![TermMessage::Data(b"a".to_vec())]);
    }
}
