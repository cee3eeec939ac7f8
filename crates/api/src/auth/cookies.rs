//! Browser sessions: the UI never sees a token. Login (with `use_cookies`) sets
//! - `pc_access`: the access token; HttpOnly, SameSite=Strict, Path=/;
//! - `pc_refresh`: the refresh token; HttpOnly, SameSite=Strict, only sent to
//!   `/api/v1/auth` (where refresh and logout live);
//! - `pc_csrf`: a random value the UI's JavaScript reads and echoes in the
//!   `X-CSRF-Token` header of every write (double-submit): another site can make the
//!   browser send cookies, but cannot read them to forge the header.

use axum::http::{HeaderMap, HeaderName, HeaderValue, header};
use proxicloud_domain::iam::IssuedSession;
use proxicloud_domain::iam::access_token::ACCESS_TOKEN_TTL_SECS;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use crate::state::ApiConfig;

pub const ACCESS_COOKIE: &str = "pc_access";
pub const REFRESH_COOKIE: &str = "pc_refresh";
pub const CSRF_COOKIE: &str = "pc_csrf";
pub static CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");
const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

/// The value of cookie `name` in the request, if present and non-empty.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<SecretString> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| SecretString::from(value.trim_matches('"').to_owned()))
}

/// Does the `X-CSRF-Token` header match the `pc_csrf` cookie? Compared in constant
/// time so the comparison does not leak how much of a guess was right.
pub fn csrf_matches(headers: &HeaderMap) -> bool {
    let Some(expected) = cookie(headers, CSRF_COOKIE) else {
        return false;
    };
    let Some(presented) = headers.get(&CSRF_HEADER).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let (a, b) = (expected.expose_secret().as_bytes(), presented.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// A fresh CSRF value: 128 random bits (UUIDv4 comes from the OS generator).
pub fn new_csrf_token() -> String {
    Uuid::new_v4().simple().to_string()
}

fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: u64,
    http_only: bool,
    config: &ApiConfig,
) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path={path}; Max-Age={max_age}; SameSite=Strict");
    if http_only {
        cookie.push_str("; HttpOnly");
    }
    if config.secure_cookies {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).expect("cookie values are base64url, hex or JWT characters")
}

/// `Set-Cookie` headers that start (or renew) a browser session.
pub fn session_cookies(
    session: &IssuedSession,
    csrf: &str,
    config: &ApiConfig,
) -> Vec<HeaderValue> {
    let refresh_age = config.refresh_cookie_max_age.as_secs();
    vec![
        set_cookie(
            ACCESS_COOKIE,
            session.access_token.expose_secret(),
            "/",
            ACCESS_TOKEN_TTL_SECS as u64,
            true,
            config,
        ),
        set_cookie(
            REFRESH_COOKIE,
            session.refresh_token.expose_secret(),
            REFRESH_COOKIE_PATH,
            refresh_age,
            true,
            config,
        ),
        set_cookie(CSRF_COOKIE, csrf, "/", refresh_age, false, config),
    ]
}

/// `Set-Cookie` headers that remove the session cookies.
pub fn clear_session_cookies(config: &ApiConfig) -> Vec<HeaderValue> {
    vec![
        set_cookie(ACCESS_COOKIE, "", "/", 0, true, config),
        set_cookie(REFRESH_COOKIE, "", REFRESH_COOKIE_PATH, 0, true, config),
        set_cookie(CSRF_COOKIE, "", "/", 0, false, config),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn cookies_are_found_among_several_headers_and_pairs() {
        let h = headers(&[("cookie", "a=1; pc_access=tok"), ("cookie", "pc_csrf=abc")]);
        assert_eq!(cookie(&h, ACCESS_COOKIE).unwrap().expose_secret(), "tok");
        assert_eq!(cookie(&h, CSRF_COOKIE).unwrap().expose_secret(), "abc");
        assert!(cookie(&h, REFRESH_COOKIE).is_none());
        assert!(cookie(&headers(&[("cookie", "pc_access=")]), ACCESS_COOKIE).is_none());
    }

    #[test]
    fn csrf_needs_matching_header_and_cookie() {
        assert!(csrf_matches(&headers(&[
            ("cookie", "pc_csrf=abc"),
            ("x-csrf-token", "abc")
        ])));
        assert!(!csrf_matches(&headers(&[
            ("cookie", "pc_csrf=abc"),
            ("x-csrf-token", "abd")
        ])));
        assert!(!csrf_matches(&headers(&[("cookie", "pc_csrf=abc")])));
        assert!(!csrf_matches(&headers(&[("x-csrf-token", "abc")])));
    }
}
