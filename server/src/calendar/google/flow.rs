//! Connecting a Google account: the consent redirect and its callback. The `state` is bound to
//! the user's session, single use, and expires after 10 minutes; the PKCE verifier waits with it
//! on the server. A callback that fails leaves nothing half-created.
use chrono::{DateTime, Duration, Utc};
use surrealdb::types::SurrealValue;

use app::models::{ConnectionStatus, GoogleProblem, Provider, UserInfo};

use super::api::ApiError;
use super::oauth::{GoogleOAuth, OAuthError};
use super::sync::api;
use super::tokens::TokenSet;
use super::{GoogleSettings, SCOPE_CALENDAR};
use crate::auth::{random_token, token_hash};
use crate::calendar::model::hex_color;
use crate::calendar::store::{ConnectionStore, NewCalendar, NewConnection};
use crate::clock::Clock;
use crate::db::Db;
use crate::error::StoreError;
use crate::secrets::KeyringSource;

pub const STATE_LIFETIME: Duration = Duration::minutes(10);

/// What Google appends to the redirect URI.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// A finished sign-in: the connection, and whether it was newly created.
#[derive(Debug, Clone, PartialEq)]
pub struct Connected {
    pub owner: String,
    pub connection: String,
    pub created: bool,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct PendingState {
    owner: String,
    session_hash: String,
    verifier: String,
    connection: Option<String>,
    expires_at: DateTime<Utc>,
}

/// Why a sign-in did not complete: a problem the user can act on, or a storage failure.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{}", .0.message())]
    Problem(GoogleProblem),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ConnectError {
    /// What the settings page is told (storage details stay in the log).
    pub fn problem(&self) -> GoogleProblem {
        match self {
            ConnectError::Problem(p) => *p,
            ConnectError::Store(StoreError::NotFound(_)) => GoogleProblem::Expired,
            ConnectError::Store(e) => {
                tracing::error!(error = %e, "connecting a Google account failed");
                GoogleProblem::Internal
            }
        }
    }
}

impl From<surrealdb::Error> for ConnectError {
    fn from(e: surrealdb::Error) -> Self {
        ConnectError::Store(e.into())
    }
}

impl From<GoogleProblem> for ConnectError {
    fn from(p: GoogleProblem) -> Self {
        ConnectError::Problem(p)
    }
}

fn sign_in_error(e: OAuthError) -> ConnectError {
    tracing::warn!(error = %e, "Google sign-in failed");
    ConnectError::Problem(match e {
        OAuthError::InvalidGrant => GoogleProblem::Expired,
        OAuthError::NotConfigured => GoogleProblem::NotConfigured,
        OAuthError::Network(_) => GoogleProblem::Unreachable,
        OAuthError::Refused(_) => GoogleProblem::Refused,
    })
}

/// Connecting, renewing and revoking Google accounts. Owns the `oauth_state` table.
pub struct GoogleConnect {
    db: Db,
    connections: ConnectionStore,
    pub settings: GoogleSettings,
    keyring: std::sync::Arc<KeyringSource>,
    clock: std::sync::Arc<dyn Clock>,
}

impl GoogleConnect {
    pub fn new(
        db: Db,
        connections: ConnectionStore,
        settings: GoogleSettings,
        keyring: std::sync::Arc<KeyringSource>,
        clock: std::sync::Arc<dyn Clock>,
    ) -> Self {
        GoogleConnect {
            db,
            connections,
            settings,
            keyring,
            clock,
        }
    }

    pub fn configured(&self) -> bool {
        self.settings.configured()
    }

    /// The Google consent URL for `user`, remembering the state for the callback. `reconnect`
    /// names an existing Google connection whose sign-in is renewed.
    pub async fn start(
        &self,
        user: &UserInfo,
        session_token: &str,
        reconnect: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<String, ConnectError> {
        let oauth = GoogleOAuth::new(&self.settings).map_err(sign_in_error)?;
        let login_hint = match reconnect {
            Some(id) => {
                let row = self.connections.row(&user.id, id).await?;
                if row.provider != Provider::Google {
                    return Err(GoogleProblem::NotGoogle.into());
                }
                row.account_email
            }
            None => None,
        };
        let state = random_token();
        let authorization = oauth.authorize(&state, login_hint.as_deref());
        let db = &self.db;
        db.query("DELETE oauth_state WHERE expires_at < $now")
            .bind(("now", now))
            .await?
            .check()?;
        db.query(
            "CREATE oauth_state CONTENT { state_hash: $state_hash, owner: $owner, session_hash: $session_hash, verifier: $verifier, connection: $connection, expires_at: $expires }",
        )
        .bind(("state_hash", token_hash(&state)))
        .bind(("owner", user.id.clone()))
        .bind(("session_hash", token_hash(session_token)))
        .bind(("verifier", authorization.verifier))
        .bind(("connection", reconnect.map(str::to_string)))
        .bind(("expires", now + STATE_LIFETIME))
        .await?
        .check()?;
        Ok(authorization.url)
    }

    /// Completes the sign-in Google redirected back with: checks and consumes the state,
    /// exchanges the code (with the PKCE verifier), names the account, lists its calendars, and
    /// creates the connection (primary calendar chosen) or renews an existing one.
    pub async fn finish(
        &self,
        session_token: Option<&str>,
        callback: Callback,
        now: DateTime<Utc>,
    ) -> Result<Connected, ConnectError> {
        let state = callback
            .state
            .as_deref()
            .filter(|s| !s.is_empty())
            .ok_or(GoogleProblem::MissingState)?;
        // Deleting while reading makes the state single use, also under concurrent callbacks.
        let pending: Option<PendingState> = self
            .db
            .query("DELETE oauth_state WHERE state_hash = $state_hash RETURN BEFORE")
            .bind(("state_hash", token_hash(state)))
            .await?
            .take(0)?;
        let pending = pending
            .filter(|p| p.expires_at > now)
            .ok_or(GoogleProblem::Expired)?;
        if session_token.map(token_hash).as_deref() != Some(pending.session_hash.as_str()) {
            return Err(GoogleProblem::OtherSession.into());
        }
        if let Some(error) = callback.error.as_deref() {
            tracing::info!(error, "Google sign-in not granted");
            return Err(match error {
                "access_denied" => GoogleProblem::Denied,
                _ => GoogleProblem::GoogleError,
            }
            .into());
        }
        let code = callback
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or(GoogleProblem::MissingCode)?;
        let oauth = GoogleOAuth::new(&self.settings).map_err(sign_in_error)?;
        let tokens = oauth
            .exchange(code, &pending.verifier)
            .await
            .map_err(sign_in_error)?;
        if let Some(problem) = missing_grant(&tokens) {
            // Not revoked: revoking ends the account's whole grant, which another connection
            // of the same Google account may be using.
            return Err(problem.into());
        }
        let email = oauth
            .account_email(tokens.access_token())
            .await
            .map_err(sign_in_error)?
            .to_lowercase();
        let calendars = api(&self.settings)
            .map_err(|_| GoogleProblem::Internal)?
            .calendar_list(tokens.access_token())
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "listing Google calendars failed");
                match e {
                    ApiError::Network(_) | ApiError::Server(_) | ApiError::RateLimited => {
                        GoogleProblem::Unreachable
                    }
                    _ => GoogleProblem::Refused,
                }
            })?;
        let offered: Vec<NewCalendar> = calendars
            .iter()
            // Free/busy-only calendars show blocks without titles or attendees: nothing to match.
            .filter(|c| c.access_role.as_deref() != Some("freeBusyReader"))
            .map(|c| NewCalendar {
                remote_id: c.id.clone(),
                name: c.name(),
                color: c.background_color.as_deref().and_then(hex_color),
                supports_sync: true,
                selected: c.primary,
            })
            .collect();
        let owner = pending.owner.as_str();
        let existing = match pending.connection.clone() {
            Some(id) => Some(id),
            // The same account connected twice would duplicate every event: renew it instead.
            None => self.connection_for(owner, &email).await?,
        };
        let (connection, created) = match existing {
            Some(id) => {
                let row = self.connections.row(owner, &id).await?;
                if let Some(expected) = row.account_email.as_deref() {
                    if !expected.eq_ignore_ascii_case(&email) {
                        return Err(GoogleProblem::WrongAccount.into());
                    }
                }
                (id, false)
            }
            None => {
                let calendars = ensure_one_chosen(offered.clone());
                let id = self
                    .connections
                    .create(
                        owner,
                        NewConnection {
                            provider: Provider::Google,
                            name: email.clone(),
                            server_url: None,
                            username: Some(email.clone()),
                            account_email: Some(email.clone()),
                            calendars,
                            sync_frequency: Default::default(),
                        },
                        |id| Some(tokens.seal(&self.keyring, owner, id)),
                    )
                    .await?;
                (id, true)
            }
        };
        let stored = self
            .store_tokens(owner, &connection, &tokens, &offered, created)
            .await;
        if let Err(e) = stored {
            if created {
                let _ = self
                    .connections
                    .delete(owner, &connection, self.clock.as_ref())
                    .await;
            }
            return Err(e.into());
        }
        Ok(Connected {
            owner: owner.to_string(),
            connection,
            created,
        })
    }

    async fn store_tokens(
        &self,
        owner: &str,
        connection: &str,
        tokens: &TokenSet,
        offered: &[NewCalendar],
        created: bool,
    ) -> Result<(), StoreError> {
        let sealed = tokens.seal(&self.keyring, owner, connection);
        self.connections
            .set_credential(owner, connection, Some(sealed))
            .await?;
        if !created {
            // Calendars added since: offered, not chosen; the user's choices stay.
            let unchosen: Vec<NewCalendar> = offered
                .iter()
                .cloned()
                .map(|c| NewCalendar {
                    selected: false,
                    ..c
                })
                .collect();
            self.connections
                .upsert_calendars(owner, connection, &unchosen)
                .await?;
            self.connections
                .set_status(owner, connection, ConnectionStatus::Ok, None, false)
                .await?;
        }
        // Due at once: the scheduler (or "Sync now") fetches the events.
        self.connections
            .schedule_next(connection, self.clock.now(), 0)
            .await
    }

    async fn connection_for(&self, owner: &str, email: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .connections
            .list_rows(owner)
            .await?
            .into_iter()
            .find(|r| {
                r.provider == Provider::Google
                    && r.account_email
                        .as_deref()
                        .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .map(|r| r.id))
    }

    /// Best effort: the grant is revoked at Google when a connection is deleted — unless another
    /// connection (of any user here) uses the same Google account, since revoking ends the
    /// account's whole grant to this OAuth client.
    pub async fn revoke(&self, owner: &str, id: &str) {
        let Ok(row) = self.connections.row(owner, id).await else {
            return;
        };
        let (Some(stored), true) = (&row.credential, row.provider == Provider::Google) else {
            return;
        };
        // When unsure (the check failed), keep the grant: revoking is only a courtesy.
        let shared = match row.account_email.as_deref() {
            Some(email) => self
                .connections
                .account_in_use_elsewhere(&row.id, row.provider, email)
                .await
                .unwrap_or(true),
            None => false,
        };
        if shared {
            return;
        }
        let Ok(tokens) = TokenSet::open(&self.keyring, owner, id, stored) else {
            return;
        };
        match GoogleOAuth::new(&self.settings) {
            Ok(oauth) => {
                if let Err(e) = oauth.revoke(&tokens).await {
                    tracing::warn!(connection = id, error = %e, "revoking the Google grant failed");
                }
            }
            Err(e) => tracing::warn!(connection = id, error = %e, "cannot revoke the Google grant"),
        }
    }
}

/// Why the granted tokens are not enough, if they are not.
fn missing_grant(tokens: &TokenSet) -> Option<GoogleProblem> {
    if tokens.scope.is_some() && !tokens.has_scope(SCOPE_CALENDAR) {
        return Some(GoogleProblem::MissingScope);
    }
    if tokens.refresh_token.is_none() {
        return Some(GoogleProblem::NoRefreshToken);
    }
    None
}

/// The primary calendar is chosen by default; without one, the first calendar.
fn ensure_one_chosen(mut calendars: Vec<NewCalendar>) -> Vec<NewCalendar> {
    if !calendars.iter().any(|c| c.selected) {
        if let Some(first) = calendars.first_mut() {
            first.selected = true;
        }
    }
    calendars
}
