//! A minimal RFB 3.8 server (RFC 6143) behind the simulated `vncwebsocket`: VNC
//! authentication (security type 2) with the session's password, as QEMU's VNC server
//! after `qm vncproxy` ran `set_password` with the password `vncproxy` returned
//! (qemu-server PVE/CLI/qm.pm; the PVEVNC ticket itself was checked at the upgrade);
//! the client's pixel format honoured for 8/16/32 bits per pixel true colour, Raw
//! encoding only, key events typed into the [`Screen`]. Enough for noVNC to connect,
//! authenticate, draw and type.

use axum::extract::ws::{Message, WebSocket};
use des::Des;
use des::cipher::{BlockEncrypt, KeyInit};

use super::screen::{HEIGHT, Screen, WIDTH};

const VERSION: &[u8; 12] = b"RFB 003.008\n";
const SECURITY_VNC_AUTH: u8 = 2;

/// The answer to a VNC authentication challenge (RFC 6143 §7.2.2): the 16 bytes
/// DES-encrypted (two ECB blocks) with the password as the key — its first 8 bytes,
/// zero-padded, each byte's bits mirrored (the historic VNC quirk every client has).
pub fn vnc_auth_response(password: &str, challenge: &[u8; 16]) -> [u8; 16] {
    let mut key = [0u8; 8];
    for (slot, byte) in key.iter_mut().zip(password.bytes()) {
        *slot = byte.reverse_bits();
    }
    let cipher = Des::new(&key.into());
    let mut out = *challenge;
    for block in out.chunks_exact_mut(8) {
        cipher.encrypt_block(block.into());
    }
    out
}

/// The client's pixel format (RFC 6143 §7.4).
#[derive(Debug, Clone, Copy)]
struct PixelFormat {
    bits: u8,
    big_endian: bool,
    max: [u16; 3],
    shift: [u8; 3],
}

impl PixelFormat {
    /// What ServerInit announces: 32 bpp, depth 24, little endian, 0x00RRGGBB.
    const SERVER: PixelFormat = PixelFormat {
        bits: 32,
        big_endian: false,
        max: [255, 255, 255],
        shift: [16, 8, 0],
    };

    fn parse(b: &[u8]) -> Self {
        Self {
            bits: b[0],
            big_endian: b[2] != 0,
            max: [
                u16::from_be_bytes([b[4], b[5]]),
                u16::from_be_bytes([b[6], b[7]]),
                u16::from_be_bytes([b[8], b[9]]),
            ],
            shift: [b[10], b[11], b[12]],
        }
    }

    fn encode(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[0] = self.bits;
        out[1] = 24;
        out[2] = u8::from(self.big_endian);
        out[3] = 1;
        for i in 0..3 {
            out[4 + 2 * i..6 + 2 * i].copy_from_slice(&self.max[i].to_be_bytes());
        }
        out[10..13].copy_from_slice(&self.shift);
        out
    }

    fn pack(&self, rgb: [u8; 3], out: &mut Vec<u8>) {
        let mut value: u32 = 0;
        for ((colour, max), shift) in rgb.iter().zip(self.max).zip(self.shift) {
            value |= (u32::from(*colour) * u32::from(max) / 255) << shift;
        }
        let bytes = (self.bits / 8).max(1) as usize;
        let le = value.to_le_bytes();
        if self.big_endian {
            out.extend(le[..bytes].iter().rev());
        } else {
            out.extend_from_slice(&le[..bytes]);
        }
    }
}

/// Bytes from the websocket, read as a stream (noVNC frames do not follow messages).
struct Input {
    socket: WebSocket,
    buf: Vec<u8>,
}

impl Input {
    async fn fill(&mut self, n: usize) -> Option<()> {
        while self.buf.len() < n {
            match self.socket.recv().await?.ok()? {
                Message::Binary(bytes) => self.buf.extend_from_slice(&bytes),
                Message::Text(text) => self.buf.extend_from_slice(text.as_bytes()),
                Message::Close(_) => return None,
                Message::Ping(_) | Message::Pong(_) => {}
            }
        }
        Some(())
    }

    async fn take(&mut self, n: usize) -> Option<Vec<u8>> {
        self.fill(n).await?;
        Some(self.buf.drain(..n).collect())
    }

    async fn send(&mut self, bytes: Vec<u8>) -> Option<()> {
        self.socket.send(Message::Binary(bytes.into())).await.ok()
    }
}

/// Serves one VNC session showing `name`'s console to a client that knows `password`.
pub(crate) async fn serve(socket: WebSocket, name: String, password: String) {
    let mut io = Input {
        socket,
        buf: Vec::new(),
    };
    let _ = session(&mut io, &name, &password).await;
    let _ = io.socket.send(Message::Close(None)).await;
}

async fn session(io: &mut Input, name: &str, password: &str) -> Option<()> {
    io.send(VERSION.to_vec()).await?;
    let version = io.take(12).await?;
    if !version.starts_with(b"RFB 003.") {
        return None;
    }
    io.send(vec![1, SECURITY_VNC_AUTH]).await?;
    if io.take(1).await?[0] != SECURITY_VNC_AUTH {
        return None;
    }
    let challenge: [u8; 16] = rand::random();
    io.send(challenge.to_vec()).await?;
    let response = io.take(16).await?;
    if response != vnc_auth_response(password, &challenge) {
        // SecurityResult failed, with a reason (RFB 3.8), then the connection ends.
        let reason = b"Authentication failed";
        let mut failed = 1u32.to_be_bytes().to_vec();
        failed.extend_from_slice(&(reason.len() as u32).to_be_bytes());
        failed.extend_from_slice(reason);
        io.send(failed).await?;
        return None;
    }
    io.send(0u32.to_be_bytes().to_vec()).await?; // SecurityResult: OK
    io.take(1).await?; // ClientInit (shared flag)
    let mut init = Vec::new();
    init.extend_from_slice(&WIDTH.to_be_bytes());
    init.extend_from_slice(&HEIGHT.to_be_bytes());
    init.extend_from_slice(&PixelFormat::SERVER.encode());
    init.extend_from_slice(&(name.len() as u32).to_be_bytes());
    init.extend_from_slice(name.as_bytes());
    io.send(init).await?;

    let mut screen = Screen::new(name);
    let mut format = PixelFormat::SERVER;
    // An incremental update request waits until something changes (RFC 6143 §7.5.3);
    // a change while no request waits is sent with the next one.
    let mut waiting = false;
    let mut dirty = false;
    loop {
        let kind = io.take(1).await?[0];
        let mut changed = false;
        match kind {
            0 => format = PixelFormat::parse(&io.take(19).await?[3..]),
            2 => {
                let head = io.take(3).await?;
                let count = u16::from_be_bytes([head[1], head[2]]) as usize;
                io.take(4 * count).await?;
            }
            3 => {
                let request = io.take(9).await?;
                if request[0] == 0 || dirty {
                    dirty = false;
                    io.send(update(&screen, &format)).await?;
                } else {
                    waiting = true;
                }
            }
            4 => {
                let event = io.take(7).await?;
                let keysym = u32::from_be_bytes([event[3], event[4], event[5], event[6]]);
                changed = event[0] != 0 && screen.key(keysym);
            }
            5 => {
                io.take(5).await?;
            }
            6 => {
                let head = io.take(7).await?;
                let len = u32::from_be_bytes([head[3], head[4], head[5], head[6]]) as usize;
                // Skipped whole or not at all: a longer one would leave the stream
                // out of step, so the connection ends instead.
                if len > 1 << 20 {
                    return None;
                }
                io.take(len).await?;
            }
            _ => return None,
        }
        if changed && waiting {
            waiting = false;
            io.send(update(&screen, &format)).await?;
        } else if changed {
            dirty = true;
        }
    }
}

/// A FramebufferUpdate of the whole screen in Raw encoding.
fn update(screen: &Screen, format: &PixelFormat) -> Vec<u8> {
    let pixels = screen.pixels();
    let mut out = Vec::with_capacity(16 + pixels.len() * 4);
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&1u16.to_be_bytes());
    for value in [0, 0, WIDTH, HEIGHT] {
        out.extend_from_slice(&value.to_be_bytes());
    }
    out.extend_from_slice(&0i32.to_be_bytes()); // Raw
    for pixel in pixels {
        format.pack(pixel, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vnc_auth_is_des_with_the_mirrored_password() {
        // RFC 6143's DES with the key bits mirrored: the key "password" mirrors to
        // 0e 86 ce ce ee f6 4e 26. Reference value from OpenSSL
        // (`openssl enc -des-ecb -K 0e86ceceeef64e26 -nopad` of 16 zero bytes).
        let zero = [0u8; 16];
        let response = vnc_auth_response("password", &zero);
        assert_eq!(hex::encode(&response[..8]), hex::encode(&response[8..]));
        assert_eq!(hex::encode(&response[..8]), "ff97502e9422f089");
        // Only the first 8 bytes count, as in every VNC server.
        assert_eq!(response, vnc_auth_response("password-and-more", &zero));
        assert_ne!(response, vnc_auth_response("passworx", &zero));
    }

    #[test]
    fn pixels_follow_the_clients_format() {
        // noVNC's default: 32 bpp little endian, red at shift 0.
        let novnc = PixelFormat {
            bits: 32,
            big_endian: false,
            max: [255; 3],
            shift: [0, 8, 16],
        };
        let mut out = Vec::new();
        novnc.pack([1, 2, 3], &mut out);
        assert_eq!(out, [1, 2, 3, 0]);
        out.clear();
        PixelFormat::SERVER.pack([1, 2, 3], &mut out);
        assert_eq!(out, [3, 2, 1, 0]);
        // 16 bpp big endian 5-6-5.
        let rgb565 = PixelFormat {
            bits: 16,
            big_endian: true,
            max: [31, 63, 31],
            shift: [11, 5, 0],
        };
        out.clear();
        rgb565.pack([255, 0, 255], &mut out);
        assert_eq!(out, [0xf8, 0x1f]);
        let parsed = PixelFormat::parse(&PixelFormat::SERVER.encode());
        assert_eq!((parsed.bits, parsed.shift), (32, [16, 8, 0]));
    }
}
