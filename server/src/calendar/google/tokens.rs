//! A connection's Google tokens, stored sealed like CalDAV passwords (as JSON inside the
//! encrypted credential), never in plaintext.
use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

use crate::calendar::credentials;
use crate::secrets::KeyringSource;

/// Refresh this long before the access token expires, so no request races the expiry.
const REFRESH_MARGIN: Duration = Duration::seconds(120);

/// Serialized (with the tokens in plaintext) only to be sealed; prints with them redacted.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenSet {
    #[serde(serialize_with = "expose")]
    pub access_token: SecretString,
    #[serde(serialize_with = "expose_option")]
    pub refresh_token: Option<SecretString>,
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub scope: Option<String>,
}

fn expose<S: Serializer>(secret: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(secret.expose_secret())
}

fn expose_option<S: Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serializer.serialize_some(secret.expose_secret()),
        None => serializer.serialize_none(),
    }
}

impl TokenSet {
    pub fn access_token(&self) -> &str {
        self.access_token.expose_secret()
    }

    /// Usable for a while yet (tokens without a stated lifetime are assumed usable).
    pub fn fresh(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| at - REFRESH_MARGIN > now)
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope
            .as_deref()
            .is_some_and(|s| s.split_whitespace().any(|s| s == scope))
    }

    pub fn seal(&self, keyring: &KeyringSource, user: &str, connection: &str) -> String {
        let json = serde_json::to_string(self).expect("tokens serialize");
        credentials::seal(keyring, user, connection, &json)
    }

    /// The stored tokens, or a message for the user.
    pub fn open(
        keyring: &KeyringSource,
        user: &str,
        connection: &str,
        stored: &str,
    ) -> Result<TokenSet, String> {
        let secret = credentials::open(keyring, user, connection, stored)?;
        serde_json::from_str(secret.expose_secret()).map_err(|_| {
            "The stored Google sign-in could not be read. Reconnect the account.".to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(expires_in: i64) -> TokenSet {
        TokenSet {
            access_token: "ya29.secret-access".into(),
            refresh_token: Some("1//secret-refresh".into()),
            expires_at: Some(Utc::now() + Duration::seconds(expires_in)),
            scope: Some(format!("openid {} email", super::super::SCOPE_CALENDAR)),
        }
    }

    #[test]
    fn refreshed_shortly_before_expiry() {
        let now = Utc::now();
        assert!(tokens(3600).fresh(now));
        assert!(!tokens(60).fresh(now));
        assert!(!tokens(-5).fresh(now));
    }

    #[test]
    fn sealed_tokens_hide_their_values_and_open_only_for_their_connection() {
        let keyring = crate::secrets::KeyringSource::from(crate::secrets::Keyring::generate());
        let t = tokens(3600);
        let sealed = t.seal(&keyring, "user-1", "conn-1");
        assert!(!sealed.contains("secret-access") && !sealed.contains("secret-refresh"));
        let opened = TokenSet::open(&keyring, "user-1", "conn-1", &sealed).unwrap();
        assert_eq!(opened.access_token.expose_secret(), "ya29.secret-access");
        assert_eq!(
            opened.refresh_token.as_ref().map(|t| t.expose_secret()),
            Some("1//secret-refresh")
        );
        assert_eq!((opened.expires_at, &opened.scope), (t.expires_at, &t.scope));
        assert!(TokenSet::open(&keyring, "user-1", "conn-2", &sealed).is_err());
        assert!(!format!("{t:?}").contains("secret"));
        assert!(t.has_scope(super::super::SCOPE_CALENDAR));
    }
}
