use serde::{Deserialize, Serialize};

use crate::api::Route;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct NetworkState {}

pub fn routes() -> Vec<Route> {
    Vec::new()
}
