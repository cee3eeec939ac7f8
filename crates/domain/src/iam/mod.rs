//! Identity: password hashing, token formats, access tokens and login throttling.
//! Persistence of users and tokens is the store's job; this module decides.

pub mod access_token;
pub mod password;
pub mod throttle;
pub mod tokens;
