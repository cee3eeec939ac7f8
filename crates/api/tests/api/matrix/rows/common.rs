//! What the resource files share: the row type, status shorthands for the common
//! authorization shapes, and bodies more than one resource sends.

use serde_json::{Value, json};

pub(super) use super::super::targets::Target;
pub(super) use super::super::{BodyFn, Cell};

pub(in super::super) struct Row {
    pub method: &'static str,
    pub path: &'static str,
    pub target: Target,
    pub body: BodyFn,
    /// Expected status per caller, in the order of [`CALLERS`](super::super::CALLERS).
    pub expect: [u16; 5],
}

pub(super) const fn row(
    method: &'static str,
    path: &'static str,
    target: Target,
    body: BodyFn,
    expect: [u16; 5],
) -> Row {
    Row {
        method,
        path,
        target,
        body,
        expect,
    }
}

/// Only admins; everyone else signed in is forbidden.
pub(super) const fn admin_only(success: u16) -> [u16; 5] {
    [401, 403, 403, 403, success]
}

/// Any signed-in caller, whatever its role.
pub(super) const fn any_user(success: u16) -> [u16; 5] {
    [401, success, success, success, success]
}

/// No sign-in needed.
pub(super) const PUBLIC: [u16; 5] = [200; 5];

/// Readable by its owner (whatever the role) and admins; others do not see it.
pub(super) const OWN_ONLY: [u16; 5] = [401, 200, 200, 404, 200];

pub(super) fn no_body(_: &Cell) -> Option<Value> {
    None
}

pub(super) fn empty_object(_: &Cell) -> Option<Value> {
    Some(json!({}))
}
