//! Validation of requests against the official PVE API schema (apidoc.js tree).
