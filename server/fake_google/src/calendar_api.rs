//! Calendar API v3: `calendarList.list` and `events.list` with paging and sync tokens.
//!
//! Events are stored already expanded (every instance of a recurring series is its own event
//! with `recurringEventId` and `originalStartTime`), so `singleEvents` is accepted and
//! validated but changes nothing.
use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::Json;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::google_error::ApiError;
use crate::paging::{
    decode_list_page, decode_page, decode_sync, encode_list_page, encode_page, encode_sync,
    EventsPageToken, ListPageToken, SyncToken,
};
use crate::state::{lock, Shared, State as FakeState};
use crate::util::{bearer, query_map, rfc3339};

const CALENDAR_SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/calendar";
/// Query parameters that cannot accompany `syncToken`.
const NOT_WITH_SYNC_TOKEN: [&str; 6] = [
    "timeMin",
    "timeMax",
    "updatedMin",
    "q",
    "orderBy",
    "iCalUID",
];
/// Real parameters this fake does not implement; refused rather than silently ignored.
const NOT_IMPLEMENTED: [&str; 6] = [
    "orderBy",
    "q",
    "updatedMin",
    "iCalUID",
    "privateExtendedProperty",
    "sharedExtendedProperty",
];

type ApiResult = Result<Json<Value>, ApiError>;

/// A valid, unexpired, unrevoked access token with a Calendar scope.
fn authorize(state: &FakeState, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
        .and_then(|t| state.tokens.valid_access(t))
        .ok_or_else(ApiError::unauthenticated)?;
    if token
        .scopes
        .iter()
        .any(|s| s.starts_with(CALENDAR_SCOPE_PREFIX))
    {
        Ok(())
    } else {
        Err(ApiError::insufficient_scopes())
    }
}

fn max_results(
    q: &BTreeMap<String, String>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match q.get("maxResults") {
        None => Ok(default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n >= 1 => Ok((n as usize).min(max)),
            _ => Err(ApiError::invalid_parameter("maxResults", "Invalid Value")),
        },
    }
}

fn boolean(q: &BTreeMap<String, String>, name: &str) -> Result<Option<bool>, ApiError> {
    match q.get(name).map(String::as_str) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(ApiError::invalid_parameter(name, "Invalid Value")),
    }
}

fn instant(q: &BTreeMap<String, String>, name: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    q.get(name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    let mut e = ApiError::invalid_parameter(name, "Bad Request");
                    e.reason = "badRequest".into();
                    e
                })
        })
        .transpose()
}

/// `GET /calendar/v3/users/me/calendarList` (maxResults default 100, at most 250).
pub async fn calendar_list(
    State(shared): State<Shared>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let state = lock(&shared);
    authorize(&state, &headers)?;
    let q = query_map(query.as_deref());
    if q.contains_key("syncToken") {
        return Err(ApiError::invalid_parameter(
            "syncToken",
            "fake-google does not implement calendarList sync tokens",
        ));
    }
    let max = max_results(&q, 100, 250)?;
    let offset = match q.get("pageToken") {
        None => 0,
        Some(t) => {
            decode_list_page(t)
                .ok_or_else(|| {
                    ApiError::invalid_parameter("pageToken", "Invalid page token value.")
                })?
                .offset
        }
    };
    let calendars = state.calendars.calendars();
    let etag = state.calendars.list_etag();
    let items: Vec<Value> = calendars
        .iter()
        .skip(offset)
        .take(max)
        .map(|c| c.to_entry(&etag))
        .collect();
    let mut body = json!({"kind": "calendar#calendarList", "etag": etag, "items": items});
    if offset + max < calendars.len() {
        body["nextPageToken"] = json!(encode_list_page(&ListPageToken {
            offset: offset + max
        }));
    } else {
        body["nextSyncToken"] = json!(format!("fgC{}", state.calendars.seq()));
    }
    Ok(Json(body))
}

/// `GET /calendar/v3/calendars/{calendarId}/events`.
pub async fn events_list(
    State(shared): State<Shared>,
    Path(calendar_id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> ApiResult {
    let state = lock(&shared);
    authorize(&state, &headers)?;
    let store = &state.calendars;
    let calendar = store
        .calendar(&calendar_id)
        .ok_or_else(ApiError::not_found)?
        .clone();
    let q = query_map(query.as_deref());
    for name in NOT_IMPLEMENTED {
        if q.contains_key(name) {
            return Err(ApiError::invalid_parameter(
                name,
                &format!("fake-google does not implement {name}"),
            ));
        }
    }
    let max = max_results(&q, 250, 2500)?;
    let show_deleted = boolean(&q, "showDeleted")?;
    boolean(&q, "singleEvents")?;
    let time_min = instant(&q, "timeMin")?;
    let time_max = instant(&q, "timeMax")?;
    if let (Some(min), Some(max)) = (time_min, time_max) {
        if max <= min {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "timeRangeEmpty",
                "The specified time range is empty.",
            ));
        }
    }
    let sync_token = q.get("syncToken").filter(|t| !t.is_empty());
    if sync_token.is_some() {
        if let Some(name) = NOT_WITH_SYNC_TOKEN.iter().find(|n| q.contains_key(**n)) {
            return Err(ApiError::invalid_parameter(
                name,
                &format!("Sync token cannot be used together with {name}."),
            ));
        }
        if show_deleted == Some(false) {
            return Err(ApiError::invalid_parameter(
                "showDeleted",
                "Deleted events are always included in incremental sync; showDeleted cannot be false.",
            ));
        }
    }

    let generation = store.generation();
    let now_seq = store.seq();
    let page_token = match q.get("pageToken").filter(|t| !t.is_empty()) {
        Some(text) => {
            let token = decode_page(text)
                .filter(|t| t.calendar == calendar.id)
                .ok_or_else(|| {
                    ApiError::invalid_parameter("pageToken", "Invalid page token value.")
                })?;
            if token.generation != generation {
                return Err(ApiError::sync_token_gone());
            }
            token
        }
        None => {
            let since = match sync_token {
                None => None,
                Some(text) => {
                    let token = decode_sync(text)
                        .filter(|t| {
                            t.calendar == calendar.id
                                && t.generation == generation
                                && t.seq <= now_seq
                        })
                        .ok_or_else(ApiError::sync_token_gone)?;
                    Some(token.seq)
                }
            };
            EventsPageToken {
                calendar: calendar.id.clone(),
                generation,
                snapshot: now_seq,
                cursor: 0,
                since,
                time_min,
                time_max,
                show_deleted: show_deleted.unwrap_or(false),
            }
        }
    };
    let page = store
        .page(
            &calendar.id,
            page_token.listing(),
            page_token.cursor,
            page_token.snapshot,
            max,
        )
        .ok_or_else(ApiError::not_found)?;
    let mut body = json!({
        "kind": "calendar#events",
        "etag": format!("\"{}-{}\"", generation, page_token.snapshot),
        "summary": calendar.summary,
        "updated": rfc3339(store.updated(&calendar.id)),
        "timeZone": calendar.time_zone,
        "accessRole": calendar.access_role,
        "defaultReminders": [],
        "items": page.items,
    });
    if let Some(description) = calendar.extra.get("description") {
        body["description"] = description.clone();
    }
    match page.next_cursor {
        Some(cursor) => {
            body["nextPageToken"] = json!(encode_page(&EventsPageToken {
                cursor,
                ..page_token
            }));
        }
        None => {
            body["nextSyncToken"] = json!(encode_sync(&SyncToken {
                calendar: calendar.id.clone(),
                seq: page_token.snapshot,
                generation,
            }));
        }
    }
    Ok(Json(body))
}
