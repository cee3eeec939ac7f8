//! The simulated VM's screen: a text console (the guest's name on top, typed lines
//! below) drawn with an 8×8 bitmap font into a 32-bit framebuffer.

use font8x8::legacy::BASIC_LEGACY;

pub const WIDTH: u16 = 640;
pub const HEIGHT: u16 = 400;
const CELL_W: usize = 8;
const CELL_H: usize = 10;
const COLS: usize = WIDTH as usize / CELL_W;
const ROWS: usize = HEIGHT as usize / CELL_H;

const BACKGROUND: [u8; 3] = [0x10, 0x18, 0x20];
const FOREGROUND: [u8; 3] = [0xd0, 0xd8, 0xe0];
const TITLE: [u8; 3] = [0x40, 0xc0, 0x80];

/// Keysyms the console understands besides printable Latin-1 (RFC 6143 §7.5.4).
const XK_BACKSPACE: u32 = 0xff08;
const XK_RETURN: u32 = 0xff0d;
const XK_KP_ENTER: u32 = 0xff8d;

#[derive(Debug)]
pub struct Screen {
    title: String,
    lines: Vec<String>,
}

impl Screen {
    pub fn new(name: &str) -> Self {
        Self {
            title: format!("{name} - simulated console"),
            lines: vec![format!("{name} login: ")],
        }
    }

    /// A key was pressed; whether the screen changed.
    pub fn key(&mut self, keysym: u32) -> bool {
        let line = self.lines.last_mut().expect("at least one line");
        match keysym {
            XK_RETURN | XK_KP_ENTER => {
                self.lines.push(String::new());
                if self.lines.len() > ROWS - 2 {
                    self.lines.remove(0);
                }
            }
            XK_BACKSPACE => {
                if line.pop().is_none() {
                    return false;
                }
            }
            0x20..=0x7e => {
                if line.len() >= COLS {
                    return false;
                }
                line.push(keysym as u8 as char);
            }
            _ => return false,
        }
        true
    }

    /// The whole screen as `[r, g, b]` pixels, row by row.
    pub fn pixels(&self) -> Vec<[u8; 3]> {
        let mut pixels = vec![BACKGROUND; WIDTH as usize * HEIGHT as usize];
        draw_text(&mut pixels, 0, &self.title, TITLE);
        for (row, line) in self.lines.iter().enumerate() {
            draw_text(&mut pixels, row + 2, line, FOREGROUND);
        }
        pixels
    }
}

fn draw_text(pixels: &mut [[u8; 3]], row: usize, text: &str, colour: [u8; 3]) {
    for (col, ch) in text.chars().take(COLS).enumerate() {
        let glyph = BASIC_LEGACY[(ch as usize).min(127)];
        for (dy, bits) in glyph.iter().enumerate() {
            for dx in 0..8 {
                if bits & (1 << dx) != 0 {
                    let (x, y) = (col * CELL_W + dx, row * CELL_H + 1 + dy);
                    pixels[y * WIDTH as usize + x] = colour;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typing_changes_the_pixels_and_unknown_keys_do_not() {
        let mut screen = Screen::new("vm-1");
        let before = screen.pixels();
        assert!(before.contains(&TITLE), "the title is drawn");
        assert!(!screen.key(0xffe1), "Shift alone draws nothing");
        assert!(screen.key(u32::from(b'a')));
        assert_ne!(screen.pixels(), before);
        assert!(screen.key(XK_BACKSPACE));
        assert_eq!(screen.pixels(), before);
    }
}
