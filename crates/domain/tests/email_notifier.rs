//! The email notifier against a real SMTP server: aiosmtpd (`fixtures/smtp_sink.py`,
//! installed by `scripts/install-test-deps.sh`) on loopback, with STARTTLS and AUTH
//! required, or implicit TLS, under a certificate made for the test. What arrives is
//! read back from the sink: sender, recipients, TLS, who logged in, the text.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use proxicloud_domain::alerts::notify::{
    Channel, EmailChannel, Notification, Notifier, NotifierPolicy,
};
use proxicloud_store::{Timestamp, Uuid};
use serde_json::Value;

const USER: &str = "alerts@lab";
const PASSWORD: &str = "sink-pass-9f3e";

/// The sink, running until dropped (its stdin closes).
struct Sink {
    child: Child,
    out: BufReader<ChildStdout>,
    port: u16,
    cert_pem: String,
    _dir: tempfile::TempDir,
}

impl Sink {
    fn start(mode: &str) -> Sink {
        let dir = tempfile::tempdir().unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        std::fs::write(&cert_path, cert.cert.pem()).unwrap();
        std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args([mode, path(&cert_path), path(&key_path), USER, PASSWORD])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let first = read_line(&mut out).unwrap_or_else(|| {
            panic!("the SMTP sink did not start: is aiosmtpd installed (bash scripts/install-test-deps.sh)?")
        });
        let port = first["port"].as_u64().unwrap() as u16;
        Sink {
            child,
            out,
            port,
            cert_pem: cert.cert.pem(),
            _dir: dir,
        }
    }

    /// The next message the sink received.
    fn received(&mut self) -> Value {
        read_line(&mut self.out).expect("the sink received a message")
    }

    fn settings(&self, security: &str) -> BTreeMap<String, String> {
        map(&[
            ("host", "localhost"),
            ("port", &self.port.to_string()),
            ("security", security),
            ("from", "ProxiCloud <proxicloud@lab.example>"),
            ("to", "ops@lab.example, Oncall <oncall@lab.example>"),
            ("username", USER),
            ("ca_certificate", &self.cert_pem),
        ])
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        drop(self.child.stdin.take().map(|mut s| s.flush()));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn read_line(out: &mut BufReader<ChildStdout>) -> Option<Value> {
    let mut line = String::new();
    out.read_line(&mut line).ok()?;
    serde_json::from_str(&line).ok()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn channel(settings: &BTreeMap<String, String>, password: &str) -> Channel {
    Channel::Email(Box::new(
        EmailChannel::from_stored(settings, &map(&[("password", password)])).unwrap(),
    ))
}

fn note() -> Notification {
    let mut note = Notification::test("mail", Uuid::nil(), Timestamp::now());
    note.status = "firing".into();
    note.severity = "critical".into();
    note.rule_name = "Disk over 90 %".into();
    note.resource_name = "web-1".into();
    note.message = "Disk of web-1 is 93 % full".into();
    note
}

#[tokio::test(flavor = "multi_thread")]
async fn an_alert_arrives_by_mail_over_starttls_after_login() {
    let mut sink = Sink::start("starttls");
    let notifier = Notifier::new(NotifierPolicy::default());
    let sent = channel(&sink.settings("starttls"), PASSWORD)
        .send(&notifier, &note())
        .await;
    assert_eq!(sent, Ok(()));
    let mail = sink.received();
    assert_eq!(mail["from"], "proxicloud@lab.example");
    assert_eq!(
        mail["to"],
        serde_json::json!(["ops@lab.example", "oncall@lab.example"])
    );
    assert_eq!(mail["tls"], true, "upgraded with STARTTLS before the mail");
    assert_eq!(mail["login"], USER);
    assert_eq!(mail["subject"], "[FIRING] Disk over 90 % — web-1");
    assert_eq!(mail["content_type"], "text/plain");
    let body = mail["body"].as_str().unwrap();
    assert!(body.starts_with("Disk of web-1 is 93 % full"), "{body}");
    assert!(body.contains("Severity: critical"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn implicit_tls_works_and_a_wrong_password_is_reported_without_it() {
    let mut sink = Sink::start("tls");
    let notifier = Notifier::new(NotifierPolicy::default());
    let settings = sink.settings("tls");
    assert_eq!(
        channel(&settings, PASSWORD).send(&notifier, &note()).await,
        Ok(())
    );
    assert_eq!(sink.received()["tls"], true);

    let refused = channel(&settings, "not-the-password")
        .send(&notifier, &note())
        .await
        .unwrap_err();
    assert!(refused.starts_with("email: "), "{refused}");
    assert!(refused.contains("535"), "the server's answer: {refused}");
    assert!(!refused.contains("not-the-password"), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_whose_certificate_is_not_trusted_gets_nothing() {
    let sink = Sink::start("starttls");
    let notifier = Notifier::new(NotifierPolicy::default());
    let mut settings = sink.settings("starttls");
    settings.remove("ca_certificate");
    let refused = channel(&settings, PASSWORD)
        .send(&notifier, &note())
        .await
        .unwrap_err();
    assert!(refused.to_lowercase().contains("certificate"), "{refused}");
    assert!(!refused.contains(PASSWORD), "{refused}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mail_server_in_a_blocked_network_is_not_contacted() {
    let sink = Sink::start("starttls");
    let policy = NotifierPolicy {
        blocked: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
        ..NotifierPolicy::default()
    };
    let refused = channel(&sink.settings("starttls"), PASSWORD)
        .send(&Notifier::new(policy), &note())
        .await
        .unwrap_err();
    assert!(refused.contains("blocked network"), "{refused}");
}
