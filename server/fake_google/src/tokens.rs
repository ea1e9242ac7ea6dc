//! OAuth state: pending consent requests, authorization codes (single use, 10 minutes, PKCE
//! S256), access tokens (real-clock expiry) and refresh tokens, with revocation.
use std::collections::HashMap;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::google_error::OAuthError;
use crate::util::random_string;

pub const CODE_LIFETIME: chrono::Duration = chrono::Duration::minutes(10);
/// How long a consent page stays answerable.
const PENDING_LIFETIME: chrono::Duration = chrono::Duration::hours(1);

/// A validated `/o/oauth2/v2/auth` request waiting for Allow or Cancel.
#[derive(Debug, Clone)]
pub struct PendingAuth {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub scopes: Vec<String>,
    pub code_challenge: String,
    pub offline: bool,
    pub created: DateTime<Utc>,
}

#[derive(Debug, Clone)]
struct AuthCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    scopes: Vec<String>,
    offline: bool,
    expires_at: DateTime<Utc>,
    used: bool,
}

#[derive(Debug, Clone)]
pub struct AccessToken {
    pub scopes: Vec<String>,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
    /// The refresh token this access token came from (or was issued alongside).
    pub refresh_token: Option<String>,
}

#[derive(Debug, Clone)]
struct RefreshToken {
    client_id: String,
    scopes: Vec<String>,
    revoked: bool,
}

/// What a successful `/token` call hands out.
#[derive(Debug, Clone)]
pub struct Grant {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scopes: Vec<String>,
    pub expires_in: u64,
}

/// Every access and refresh token string issued since the last reset, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedTokens {
    pub access_tokens: Vec<String>,
    pub refresh_tokens: Vec<String>,
}

impl IssuedTokens {
    /// Access and refresh tokens together.
    pub fn all(&self) -> Vec<String> {
        self.access_tokens
            .iter()
            .chain(&self.refresh_tokens)
            .cloned()
            .collect()
    }
}

#[derive(Debug, Default)]
pub struct TokenStore {
    pending: HashMap<String, PendingAuth>,
    codes: HashMap<String, AuthCode>,
    access: HashMap<String, AccessToken>,
    refresh: HashMap<String, RefreshToken>,
    issued: IssuedTokens,
}

impl TokenStore {
    /// Remembers a consent request; returns the id the consent form posts back.
    pub fn begin(&mut self, pending: PendingAuth) -> String {
        let now = Utc::now();
        self.pending
            .retain(|_, p| now - p.created < PENDING_LIFETIME);
        let id = random_string(24);
        self.pending.insert(id.clone(), pending);
        id
    }

    /// A consent request can be answered once.
    pub fn take_pending(&mut self, id: &str) -> Option<PendingAuth> {
        let pending = self.pending.remove(id)?;
        (Utc::now() - pending.created < PENDING_LIFETIME).then_some(pending)
    }

    /// Allow: a fresh authorization code for the granted scopes.
    pub fn issue_code(&mut self, pending: &PendingAuth, scopes: Vec<String>) -> String {
        let code = format!("4/0fake-{}", random_string(40));
        self.codes.insert(
            code.clone(),
            AuthCode {
                client_id: pending.client_id.clone(),
                redirect_uri: pending.redirect_uri.clone(),
                code_challenge: pending.code_challenge.clone(),
                scopes,
                offline: pending.offline,
                expires_at: Utc::now() + CODE_LIFETIME,
                used: false,
            },
        );
        code
    }

    /// `grant_type=authorization_code`.
    pub fn redeem_code(
        &mut self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        code_verifier: Option<&str>,
        lifetime: Duration,
    ) -> Result<Grant, OAuthError> {
        let Some(stored) = self.codes.get_mut(code) else {
            return Err(OAuthError::invalid_grant("Malformed auth code."));
        };
        if stored.used {
            return Err(OAuthError::invalid_grant(
                "Authorization code has already been used.",
            ));
        }
        if stored.expires_at <= Utc::now() {
            return Err(OAuthError::invalid_grant("Authorization code has expired."));
        }
        if stored.client_id != client_id {
            return Err(OAuthError::invalid_grant(
                "Authorization code was issued to another client.",
            ));
        }
        if stored.redirect_uri != redirect_uri {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request.",
            ));
        }
        let Some(verifier) = code_verifier.filter(|v| !v.is_empty()) else {
            return Err(OAuthError::invalid_grant("Missing code verifier."));
        };
        if pkce_challenge(verifier) != stored.code_challenge {
            return Err(OAuthError::invalid_grant("Invalid code verifier."));
        }
        stored.used = true;
        let (scopes, offline, client_id) = (
            stored.scopes.clone(),
            stored.offline,
            stored.client_id.clone(),
        );
        let refresh_token = offline.then(|| self.issue_refresh(&client_id, &scopes));
        let access_token = self.issue_access(&scopes, refresh_token.clone(), lifetime);
        Ok(Grant {
            access_token,
            refresh_token,
            scopes,
            expires_in: lifetime.as_secs(),
        })
    }

    /// `grant_type=refresh_token`.
    pub fn refresh(
        &mut self,
        refresh_token: &str,
        client_id: &str,
        lifetime: Duration,
    ) -> Result<Grant, OAuthError> {
        let stored = match self.refresh.get(refresh_token) {
            Some(t) if !t.revoked && t.client_id == client_id => t,
            _ => {
                return Err(OAuthError::invalid_grant(
                    "Token has been expired or revoked.",
                ))
            }
        };
        let scopes = stored.scopes.clone();
        let access_token = self.issue_access(&scopes, Some(refresh_token.to_string()), lifetime);
        Ok(Grant {
            access_token,
            refresh_token: None,
            scopes,
            expires_in: lifetime.as_secs(),
        })
    }

    /// `/revoke`. Revoking a refresh token revokes its access tokens; revoking an access token
    /// revokes its refresh token too (as Google documents). False when the token is unknown,
    /// already revoked or (for an access token) expired.
    pub fn revoke(&mut self, token: &str) -> bool {
        if let Some(refresh) = self.refresh.get(token) {
            if refresh.revoked {
                return false;
            }
            self.revoke_family(token);
            return true;
        }
        let now = Utc::now();
        match self.access.get_mut(token) {
            Some(access) if !access.revoked && access.expires_at > now => {
                access.revoked = true;
                if let Some(family) = access.refresh_token.clone() {
                    self.revoke_family(&family);
                }
                true
            }
            _ => false,
        }
    }

    fn revoke_family(&mut self, refresh_token: &str) {
        if let Some(refresh) = self.refresh.get_mut(refresh_token) {
            refresh.revoked = true;
        }
        for access in self.access.values_mut() {
            if access.refresh_token.as_deref() == Some(refresh_token) {
                access.revoked = true;
            }
        }
    }

    /// A usable (known, unexpired, unrevoked) access token.
    pub fn valid_access(&self, token: &str) -> Option<&AccessToken> {
        self.access
            .get(token)
            .filter(|t| !t.revoked && t.expires_at > Utc::now())
    }

    pub fn expire_access_tokens(&mut self) {
        let past = Utc::now() - chrono::Duration::seconds(1);
        for access in self.access.values_mut() {
            access.expires_at = access.expires_at.min(past);
        }
    }

    pub fn revoke_all(&mut self) {
        self.access.values_mut().for_each(|t| t.revoked = true);
        self.refresh.values_mut().for_each(|t| t.revoked = true);
    }

    pub fn issued(&self) -> IssuedTokens {
        self.issued.clone()
    }

    fn issue_access(
        &mut self,
        scopes: &[String],
        refresh_token: Option<String>,
        lifetime: Duration,
    ) -> String {
        let token = format!("ya29.fake-{}", random_string(48));
        let lifetime = chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::MAX);
        self.access.insert(
            token.clone(),
            AccessToken {
                scopes: scopes.to_vec(),
                expires_at: Utc::now()
                    .checked_add_signed(lifetime)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC),
                revoked: false,
                refresh_token,
            },
        );
        self.issued.access_tokens.push(token.clone());
        token
    }

    fn issue_refresh(&mut self, client_id: &str, scopes: &[String]) -> String {
        let token = format!("1//0fake-{}", random_string(48));
        self.refresh.insert(
            token.clone(),
            RefreshToken {
                client_id: client_id.to_string(),
                scopes: scopes.to_vec(),
                revoked: false,
            },
        );
        self.issued.refresh_tokens.push(token.clone());
        token
    }
}

/// BASE64URL-NOPAD(SHA256(verifier)), the S256 code challenge.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn pending(verifier: &str, offline: bool) -> PendingAuth {
        PendingAuth {
            client_id: "client".into(),
            redirect_uri: "http://app/cb".into(),
            state: Some("s".into()),
            scopes: vec!["openid".into()],
            code_challenge: pkce_challenge(verifier),
            offline,
            created: Utc::now(),
        }
    }

    #[test]
    fn rfc7636_appendix_b_challenge() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn codes_are_single_use_and_checked() {
        let mut store = TokenStore::default();
        let p = pending("v".repeat(43).as_str(), true);
        let code = store.issue_code(&p, p.scopes.clone());
        let v = "v".repeat(43);
        let wrong = store.redeem_code(&code, "client", "http://app/cb", Some("x"), HOUR);
        assert_eq!(wrong.unwrap_err().description, "Invalid code verifier.");
        let other_uri = store.redeem_code(&code, "client", "http://x/cb", Some(&v), HOUR);
        assert_eq!(other_uri.unwrap_err().error, "invalid_grant");
        let grant = store
            .redeem_code(&code, "client", "http://app/cb", Some(&v), HOUR)
            .unwrap();
        assert!(grant.refresh_token.is_some());
        assert!(store.valid_access(&grant.access_token).is_some());
        let again = store.redeem_code(&code, "client", "http://app/cb", Some(&v), HOUR);
        assert_eq!(again.unwrap_err().error, "invalid_grant");
    }

    #[test]
    fn online_access_gets_no_refresh_token() {
        let mut store = TokenStore::default();
        let v = "w".repeat(50);
        let p = pending(&v, false);
        let code = store.issue_code(&p, p.scopes.clone());
        let grant = store
            .redeem_code(&code, "client", "http://app/cb", Some(&v), HOUR)
            .unwrap();
        assert!(grant.refresh_token.is_none());
    }

    #[test]
    fn revoking_an_access_token_revokes_its_refresh_token() {
        let mut store = TokenStore::default();
        let v = "z".repeat(43);
        let p = pending(&v, true);
        let code = store.issue_code(&p, p.scopes.clone());
        let grant = store
            .redeem_code(&code, "client", "http://app/cb", Some(&v), HOUR)
            .unwrap();
        let refreshed = store
            .refresh(grant.refresh_token.as_deref().unwrap(), "client", HOUR)
            .unwrap();
        assert!(store.revoke(&refreshed.access_token));
        assert!(store.valid_access(&grant.access_token).is_none());
        assert!(store
            .refresh(grant.refresh_token.as_deref().unwrap(), "client", HOUR)
            .is_err());
        assert!(!store.revoke(&refreshed.access_token));
    }

    #[test]
    fn expiry_makes_tokens_invalid() {
        let mut store = TokenStore::default();
        let v = "q".repeat(43);
        let p = pending(&v, true);
        let code = store.issue_code(&p, p.scopes.clone());
        let grant = store
            .redeem_code(&code, "client", "http://app/cb", Some(&v), HOUR)
            .unwrap();
        store.expire_access_tokens();
        assert!(store.valid_access(&grant.access_token).is_none());
        // An expired access token cannot be revoked, its refresh token still works.
        assert!(!store.revoke(&grant.access_token));
        assert!(store
            .refresh(grant.refresh_token.as_deref().unwrap(), "client", HOUR)
            .is_ok());
    }
}
