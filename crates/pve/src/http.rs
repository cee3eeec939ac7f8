//! `HttpPve`: the `Pve` trait over PVE's HTTPS API (the trait impl is generated
//! next to the trait, in `api.rs`).

use url::Url;

use crate::config::ClusterConfig;
use crate::error::Result;
use crate::transport::Transport;

/// A Proxmox VE cluster reached over HTTPS. Cheap to share behind an `Arc`; holds one
/// connection pool and (for password auth) one ticket for all callers.
pub struct HttpPve {
    transport: Transport,
}

impl HttpPve {
    /// Builds the client; no request is made until the first call.
    pub fn new(config: ClusterConfig) -> Result<Self> {
        Ok(Self {
            transport: Transport::new(&config)?,
        })
    }

    /// The node address calls currently go to first (the last one that answered).
    pub fn current_address(&self) -> &Url {
        self.transport.current_address()
    }

    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }
}

impl std::fmt::Debug for HttpPve {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpPve")
            .field("address", &self.current_address().as_str())
            .finish_non_exhaustive()
    }
}
