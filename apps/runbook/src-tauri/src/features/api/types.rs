use serde::Serialize;
use specta::Type;

/// The api's loopback address and this launch's bearer token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ApiEndpoint {
    pub base_url: String,
    pub token: String,
}
