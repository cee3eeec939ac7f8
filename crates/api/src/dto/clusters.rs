//! Clusters: domain views → [`proxicloud_types::api::clusters`], and the request →
//! the domain's input.

use proxicloud_domain::clusters::{AuthInput, ClusterInfo, ClusterInput, ConnectionTest};
use proxicloud_store::ClusterCredentials;
use proxicloud_types::api::clusters::{
    ClusterAuthDto, ClusterAuthRequest, ClusterDto, ClusterRequest, ConnectionErrorDto,
    ConnectionTestDto,
};

use super::IntoDto;

impl IntoDto for ClusterInfo {
    type Dto = ClusterDto;
    fn into_dto(self) -> ClusterDto {
        let auth = match self.auth {
            ClusterCredentials::ApiToken { token_id } => ClusterAuthDto::Token { token_id },
            ClusterCredentials::Password { username } => ClusterAuthDto::Password { username },
        };
        ClusterDto {
            id: self.id,
            name: self.name,
            addresses: self.addresses,
            auth,
            secret_set: self.secret_set,
            tls_fingerprint: self.tls_fingerprint,
            ca_pem: self.ca_pem,
            verify_tls: self.verify_tls,
            status: self.health.status.to_string(),
            offline_since: self.health.offline_since,
            last_seen_at: self.health.last_seen_at,
            last_error: self.health.last_error,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// The request as the domain's input.
pub fn cluster_input(request: ClusterRequest) -> ClusterInput {
    let auth = match request.auth {
        ClusterAuthRequest::Token { token_id, secret } => AuthInput::ApiToken { token_id, secret },
        ClusterAuthRequest::Password { username, password } => {
            AuthInput::Password { username, password }
        }
    };
    ClusterInput {
        name: request.name,
        addresses: request.addresses,
        auth,
        tls_fingerprint: request.tls_fingerprint,
        ca_pem: request.ca_pem,
        verify_tls: request.verify_tls,
    }
}

impl IntoDto for ConnectionTest {
    type Dto = ConnectionTestDto;
    fn into_dto(self) -> ConnectionTestDto {
        match self {
            ConnectionTest::Ok {
                version,
                nodes,
                latency_ms,
            } => ConnectionTestDto {
                ok: true,
                version: Some(version),
                nodes: Some(nodes),
                latency_ms: Some(latency_ms),
                error: None,
            },
            ConnectionTest::Failed(failure) => ConnectionTestDto {
                ok: false,
                version: None,
                nodes: None,
                latency_ms: None,
                error: Some(ConnectionErrorDto {
                    category: failure.kind.as_str().to_owned(),
                    message: failure.message,
                }),
            },
        }
    }
}
