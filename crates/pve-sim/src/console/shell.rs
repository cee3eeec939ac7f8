//! A tiny simulated login shell: prompt, echo of typed characters, line editing and a
//! few commands. It only turns input bytes into output bytes, so any transport can sit
//! in front of it — termproxy's websocket protocol here, a simulated SSH server later.
//! To add a command, add an arm to [`Shell::run`].

/// What the shell answers to one piece of input.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ShellOutput {
    /// Bytes for the terminal (echo, command output, the next prompt).
    pub bytes: Vec<u8>,
    /// The user ended the session (`exit`, `logout`, Ctrl-D on an empty line).
    pub exited: bool,
}

/// One interactive session on a simulated guest.
#[derive(Debug)]
pub struct Shell {
    hostname: String,
    line: Vec<u8>,
    cols: u16,
    rows: u16,
}

impl Shell {
    pub fn new(hostname: impl Into<String>) -> Self {
        Self {
            hostname: hostname.into(),
            line: Vec::new(),
            cols: 80,
            rows: 24,
        }
    }

    /// What a fresh session shows: the last-login line and the prompt.
    pub fn greeting(&self) -> Vec<u8> {
        let mut out = b"Linux ".to_vec();
        out.extend_from_slice(self.hostname.as_bytes());
        out.extend_from_slice(b" (simulated)\r\n\r\n");
        out.extend_from_slice(self.prompt().as_bytes());
        out
    }

    /// The terminal's size changed (`stty size` reports it).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        self.cols = cols;
        self.rows = rows;
    }

    fn prompt(&self) -> String {
        format!("root@{}:~# ", self.hostname)
    }

    /// Feeds typed bytes; returns what the terminal shows in answer.
    pub fn input(&mut self, bytes: &[u8]) -> ShellOutput {
        let mut out = ShellOutput::default();
        for &byte in bytes {
            match byte {
                b'\r' | b'\n' => {
                    out.bytes.extend_from_slice(b"\r\n");
                    let line =
                        String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
                    match self.run(line.trim()) {
                        Some(text) => out.bytes.extend_from_slice(text.as_bytes()),
                        None => {
                            out.bytes.extend_from_slice(b"logout\r\n");
                            out.exited = true;
                            return out;
                        }
                    }
                    out.bytes.extend_from_slice(self.prompt().as_bytes());
                }
                // Backspace / DEL: drop one whole UTF-8 character.
                0x7f | 0x08 => {
                    if !self.line.is_empty() {
                        while let Some(b) = self.line.pop() {
                            if b & 0xc0 != 0x80 {
                                break;
                            }
                        }
                        out.bytes.extend_from_slice(b"\x08 \x08");
                    }
                }
                // Ctrl-C abandons the line.
                0x03 => {
                    self.line.clear();
                    out.bytes.extend_from_slice(b"^C\r\n");
                    out.bytes.extend_from_slice(self.prompt().as_bytes());
                }
                // Ctrl-D on an empty line logs out, as bash does.
                0x04 if self.line.is_empty() => {
                    out.bytes.extend_from_slice(b"logout\r\n");
                    out.exited = true;
                    return out;
                }
                // Other control characters (escape sequences of arrow keys, …) are ignored.
                0x00..=0x1f => {}
                _ => {
                    self.line.push(byte);
                    out.bytes.push(byte);
                }
            }
        }
        out
    }

    /// Runs one command line; `None` ends the session.
    fn run(&self, line: &str) -> Option<String> {
        let mut words = line.split_whitespace();
        let Some(command) = words.next() else {
            return Some(String::new());
        };
        let args: Vec<&str> = words.collect();
        let text = match (command, args.as_slice()) {
            ("exit" | "logout", _) => return None,
            ("hostname", _) => self.hostname.clone(),
            ("uname", ["-a"]) => format!(
                "Linux {} 6.8.12-4-pve #1 SMP PREEMPT_DYNAMIC PMX 6.8.12-4 x86_64 GNU/Linux",
                self.hostname
            ),
            ("uname", _) => "Linux".to_string(),
            ("echo", _) => args.join(" "),
            ("ls", ["/"]) => "bin   dev  home  lib64  mnt  proc  run   srv  tmp  var\r\n\
                 boot  etc  lib   media  opt  root  sbin  sys  usr"
                .to_string(),
            ("ls", _) => String::new(),
            ("pwd", _) => "/root".to_string(),
            ("whoami", _) => "root".to_string(),
            ("stty", ["size"]) => format!("{} {}", self.rows, self.cols),
            (other, _) => format!("-bash: {other}: command not found"),
        };
        Some(if text.is_empty() {
            text
        } else {
            format!("{text}\r\n")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(shell: &mut Shell, text: &str) -> String {
        String::from_utf8(shell.input(text.as_bytes()).bytes).unwrap()
    }

    #[test]
    fn commands_answer_after_the_echoed_line_and_a_new_prompt_follows() {
        let mut shell = Shell::new("web-1");
        assert!(
            String::from_utf8(shell.greeting())
                .unwrap()
                .ends_with("root@web-1:~# ")
        );
        assert_eq!(
            typed(&mut shell, "hostname\r"),
            "hostname\r\nweb-1\r\nroot@web-1:~# "
        );
        assert_eq!(
            typed(&mut shell, "echo  a  b\r"),
            "echo  a  b\r\na b\r\nroot@web-1:~# "
        );
        assert!(typed(&mut shell, "uname -a\r").contains("Linux web-1 6.8.12-4-pve"));
        assert!(typed(&mut shell, "ls /\r").contains("etc"));
        assert!(typed(&mut shell, "nope\r").contains("-bash: nope: command not found"));
    }

    #[test]
    fn line_editing_resize_and_logout() {
        let mut shell = Shell::new("db");
        // "hostx" then backspace: the command run is `host`, which is unknown.
        assert!(typed(&mut shell, "hostx\x7f\r").contains("-bash: host: command not found"));
        // A multi-byte character is removed whole.
        assert!(typed(&mut shell, "echo é\x7fok\r").contains("\r\nok\r\n"));
        shell.resize(120, 40);
        assert!(typed(&mut shell, "stty size\r").contains("\r\n40 120\r\n"));
        let out = shell.input(b"exit\r");
        assert!(out.exited);
        assert!(
            String::from_utf8(out.bytes)
                .unwrap()
                .ends_with("logout\r\n")
        );
        assert!(Shell::new("x").input(b"\x04").exited);
    }
}
