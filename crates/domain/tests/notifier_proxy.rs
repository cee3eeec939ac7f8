//! The notifier ignores the proxy environment variables: through a proxy, the proxy
//! resolves the receiver's name and connects, so the SSRF guard (which checks the
//! addresses *we* connect to) would never see them. A test of its own, in a process
//! of its own (the variables are set on a child run of this very test: the workspace
//! forbids `unsafe`, hence `std::env::set_var`), so no other test sees them.

use std::io::ErrorKind;
use std::process::Command;
use std::time::Duration;

use proxicloud_domain::alerts::notify::{Channel, Notification, Notifier, NotifierPolicy};
use proxicloud_store::{Timestamp, Uuid};
use secrecy::SecretString;

const CHILD: &str = "PROXICLOUD_TEST_NOTIFIER_PROXY_CHILD";
const TEST: &str = "a_proxy_in_the_environment_cannot_carry_a_notification_past_the_guard";

#[test]
fn a_proxy_in_the_environment_cannot_carry_a_notification_past_the_guard() {
    if std::env::var_os(CHILD).is_some() {
        return send_to_a_blocked_receiver();
    }
    // The "proxy": a listener that would see the request if the client used it.
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let url = format!("http://{}", proxy.local_addr().unwrap());
    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args(["--exact", TEST, "--nocapture"]).env(CHILD, "1");
    for name in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
    ] {
        child.env(name, &url);
    }
    let output = child
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the child run failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the child ran the test"
    );
    match proxy.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the notifier connected to the proxy: {other:?}"),
    }
}

/// In the child, with the proxy variables set: `localhost` is in a blocked network, so
/// the guard must refuse it — which it can only do if the client resolves the name
/// itself instead of handing it to the proxy.
fn send_to_a_blocked_receiver() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let notifier = Notifier::new(NotifierPolicy {
            blocked: vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()],
            timeout: Duration::from_secs(3),
            ..NotifierPolicy::default()
        });
        let channel = Channel::Webhook {
            url: SecretString::from("http://localhost:9/hook"),
        };
        let note = Notification::test("lab", Uuid::nil(), Timestamp::now());
        let error = channel.send(&notifier, &note).await.unwrap_err();
        assert!(
            error.contains("in a blocked network"),
            "not refused by the guard: {error}"
        );
    });
}
