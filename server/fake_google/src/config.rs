//! What one fake Google instance knows about its single OAuth client and single account.
use std::time::Duration;

/// The registered OAuth client and the one signed-in account.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The only client id `/o/oauth2/v2/auth` and `/token` accept.
    pub client_id: String,
    pub client_secret: String,
    /// The account that "signs in" on the consent page; also the default primary calendar id.
    pub account_email: String,
    /// OpenID `sub` of the account.
    pub subject: String,
    /// `expires_in` of issued access tokens (Google issues 3599 s).
    pub access_token_lifetime: Duration,
    /// Registered redirect URIs; empty accepts any redirect URI (`redirect_uri_mismatch` otherwise).
    pub allowed_redirect_uris: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            client_id: "fake-client-id.apps.googleusercontent.com".into(),
            client_secret: "fake-client-secret".into(),
            account_email: "person@example.com".into(),
            subject: "100000000000000000001".into(),
            access_token_lifetime: Duration::from_secs(3599),
            allowed_redirect_uris: Vec::new(),
        }
    }
}
