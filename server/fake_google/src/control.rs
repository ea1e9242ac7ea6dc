//! The JSON control API under `/_fake/` that end-to-end tests use to drive the same state the
//! Rust handle drives. Mutations answer 204 (or the stored event); errors are
//! `{"error": "..."}` with 400 or 404.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::calendars::{Calendar, StoreError};
use crate::failures::Failure;
use crate::state::{lock, Shared};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/_fake/reset", post(reset))
        .route("/_fake/calendars", put(set_calendars).get(calendars))
        .route("/_fake/calendars/{calendar_id}", delete(remove_calendar))
        .route("/_fake/calendars/{calendar_id}/events", get(events))
        .route(
            "/_fake/calendars/{calendar_id}/events/{event_id}",
            put(put_event).delete(cancel_event),
        )
        .route(
            "/_fake/sync-tokens/invalidate",
            post(invalidate_sync_tokens),
        )
        .route("/_fake/tokens", get(tokens))
        .route("/_fake/tokens/expire", post(expire_tokens))
        .route("/_fake/tokens/revoke", post(revoke_tokens))
        .route(
            "/_fake/failures",
            post(add_failure).get(failures).delete(clear_failures),
        )
        .route("/_fake/requests", get(requests).delete(clear_requests))
}

fn bad_request(message: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.to_string()})),
    )
        .into_response()
}

fn store_error(error: StoreError) -> Response {
    let status = match error {
        StoreError::UnknownCalendar(_) | StoreError::UnknownEvent(_) => StatusCode::NOT_FOUND,
        StoreError::BadEvent(_) | StoreError::BadCalendars(_) => StatusCode::BAD_REQUEST,
    };
    (status, Json(json!({"error": error.to_string()}))).into_response()
}

/// JSON bodies are read whatever the Content-Type says.
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| format!("bad JSON body: {e}"))
}

async fn reset(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).reset();
    StatusCode::NO_CONTENT
}

async fn set_calendars(State(shared): State<Shared>, body: Bytes) -> Response {
    let calendars: Vec<Calendar> = match parse(&body) {
        Ok(c) => c,
        Err(e) => return bad_request(e),
    };
    match lock(&shared).calendars.set_calendars(calendars) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => store_error(e),
    }
}

async fn calendars(State(shared): State<Shared>) -> Json<Vec<Calendar>> {
    Json(lock(&shared).calendars.calendars())
}

async fn remove_calendar(
    State(shared): State<Shared>,
    Path(calendar_id): Path<String>,
) -> Response {
    if lock(&shared).calendars.remove_calendar(&calendar_id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        store_error(StoreError::UnknownCalendar(calendar_id))
    }
}

async fn events(State(shared): State<Shared>, Path(calendar_id): Path<String>) -> Response {
    match lock(&shared).calendars.events(&calendar_id) {
        Some(events) => Json(events).into_response(),
        None => store_error(StoreError::UnknownCalendar(calendar_id)),
    }
}

async fn put_event(
    State(shared): State<Shared>,
    Path((calendar_id, event_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let mut event: Value = match parse(&body) {
        Ok(v) => v,
        Err(e) => return bad_request(e),
    };
    let Some(fields) = event.as_object_mut() else {
        return bad_request("an event must be a JSON object");
    };
    match fields.get("id") {
        None => {
            fields.insert("id".into(), json!(event_id));
        }
        Some(Value::String(id)) if *id == event_id => {}
        Some(other) => {
            return bad_request(format!(
                "body id {other} differs from the path's {event_id:?}"
            ))
        }
    }
    match lock(&shared).calendars.put_event(&calendar_id, event) {
        Ok(stored) => Json(stored).into_response(),
        Err(e) => store_error(e),
    }
}

async fn cancel_event(
    State(shared): State<Shared>,
    Path((calendar_id, event_id)): Path<(String, String)>,
) -> Response {
    match lock(&shared)
        .calendars
        .cancel_event(&calendar_id, &event_id)
    {
        Ok(stored) => Json(stored).into_response(),
        Err(e) => store_error(e),
    }
}

async fn invalidate_sync_tokens(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).calendars.invalidate_sync_tokens();
    StatusCode::NO_CONTENT
}

/// `{"accessTokens": [...], "refreshTokens": [...], "tokenRequests": {...}}`.
async fn tokens(State(shared): State<Shared>) -> Json<Value> {
    let state = lock(&shared);
    let issued = state.tokens.issued();
    Json(json!({
        "accessTokens": issued.access_tokens,
        "refreshTokens": issued.refresh_tokens,
        "tokenRequests": state.token_counts,
    }))
}

async fn expire_tokens(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).tokens.expire_access_tokens();
    StatusCode::NO_CONTENT
}

async fn revoke_tokens(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).tokens.revoke_all();
    StatusCode::NO_CONTENT
}

async fn add_failure(State(shared): State<Shared>, body: Bytes) -> Response {
    let failure: Failure = match parse(&body) {
        Ok(f) => f,
        Err(e) => return bad_request(e),
    };
    if let Err(e) = failure.validate() {
        return bad_request(e);
    }
    lock(&shared).failures.push(failure);
    StatusCode::NO_CONTENT.into_response()
}

async fn failures(State(shared): State<Shared>) -> Json<Vec<Failure>> {
    Json(lock(&shared).failures.pending())
}

async fn clear_failures(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).failures.clear();
    StatusCode::NO_CONTENT
}

async fn requests(State(shared): State<Shared>) -> Json<Value> {
    Json(json!(lock(&shared).log))
}

async fn clear_requests(State(shared): State<Shared>) -> StatusCode {
    lock(&shared).log.clear();
    StatusCode::NO_CONTENT
}
