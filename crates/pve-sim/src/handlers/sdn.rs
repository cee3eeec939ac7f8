use serde::{Deserialize, Serialize};

use crate::api::Route;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct SdnState {}

pub fn routes() -> Vec<Route> {
    Vec::new()
}
