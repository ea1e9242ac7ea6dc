//! The browser redirects of "Add Google Calendar": `/oauth/google/start` sends the signed-in
//! user to Google's consent page, `/oauth/google/callback` receives them back. Both end on
//! Settings → Calendars, with a message when something went wrong.
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use app::api::session::session_from_headers as session_token;
use app::models::GoogleProblem;

use crate::calendar::google::flow::{Callback, ConnectError};
use crate::calendar::google::CALLBACK_PATH;
use crate::services::Services;

const SETTINGS: &str = "/settings/calendars";

#[derive(Debug, Deserialize)]
struct Start {
    /// Renew the sign-in of this connection instead of adding one.
    connection: Option<String>,
}

pub fn routes<S>(services: Arc<Services>) -> Router<S> {
    Router::new()
        .route("/oauth/google/start", get(start))
        .route(CALLBACK_PATH, get(callback))
        .with_state(services)
}

fn back_with(problem: GoogleProblem) -> Redirect {
    Redirect::to(&format!("{SETTINGS}?error={}", problem.code()))
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

async fn start(
    State(services): State<Arc<Services>>,
    headers: HeaderMap,
    Query(query): Query<Start>,
) -> Redirect {
    // Another site must not start sign-ins on a user's behalf (browsers say where a request
    // came from; older ones send nothing, and the state still binds the flow to the session).
    if headers
        .get("sec-fetch-site")
        .is_some_and(|v| matches!(v.as_bytes(), b"cross-site" | b"same-site"))
    {
        return back_with(GoogleProblem::CrossSite);
    }
    let Some(token) = session_token(&headers) else {
        return Redirect::to("/login");
    };
    let user = match services.accounts.user_for_session(&token).await {
        Ok(Some(user)) => user,
        Ok(None) => return Redirect::to("/login"),
        Err(e) => return back_with(ConnectError::from(e).problem()),
    };
    let now = services.calendars.settings.clock.now();
    match services
        .calendars
        .google
        .start(&user, &token, query.connection.as_deref(), now)
        .await
    {
        Ok(url) => Redirect::to(&url),
        Err(e) => back_with(e.problem()),
    }
}

async fn callback(
    State(services): State<Arc<Services>>,
    headers: HeaderMap,
    Query(callback): Query<Callback>,
) -> Redirect {
    let token = session_token(&headers);
    let now = services.calendars.settings.clock.now();
    match services
        .calendars
        .google
        .finish(token.as_deref(), callback, now)
        .await
    {
        Ok(connected) => {
            // The first sync (or the first after Reconnect) runs in the background; the page
            // shows its progress. Started before the redirect, so the page finds it running.
            if let Err(e) = services
                .calendars
                .start_sync(&connected.owner, &connected.connection)
                .await
            {
                tracing::error!(connection = %connected.connection, error = %e, "could not start the first Google sync");
            }
            let key = if connected.created {
                "connected"
            } else {
                "reconnected"
            };
            Redirect::to(&format!(
                "{SETTINGS}?{key}={}",
                encode(&connected.connection)
            ))
        }
        Err(e) => back_with(e.problem()),
    }
}
