//! Server functions: the typed API between the browser and the server.
//! Each one resolves the signed-in user first, so every call is scoped to that user.
//! Endpoints are fixed (`/api/<name>`) so the API is stable across builds.
#[cfg(feature = "ssr")]
pub mod backend;
#[cfg(feature = "ssr")]
pub mod session;

use leptos::prelude::*;

use crate::error::AppError;
use crate::models::*;

#[cfg(feature = "ssr")]
use session::{backend, require_user};

#[server(endpoint = "current-user")]
pub async fn current_user() -> Result<Option<UserInfo>, AppError> {
    session::current_user().await
}

#[server(endpoint = "sign-up")]
pub async fn sign_up(
    email: String,
    password: String,
    name: String,
    time_zone: String,
    #[server(default)] invite: Option<String>,
) -> Result<(), AppError> {
    let backend = backend()?;
    backend
        .sign_up(SignUpInput {
            email,
            password,
            name,
            time_zone,
            invite: invite.filter(|code| !code.trim().is_empty()),
        })
        .await?;
    // The same answer whether the address was new or not; no session either way.
    leptos_axum::redirect("/login?signed_up=1");
    Ok(())
}

#[server(endpoint = "signup-options")]
pub async fn signup_options() -> Result<SignupMode, AppError> {
    backend()?.signup_mode().await
}

#[server(endpoint = "sign-in")]
pub async fn sign_in(email: String, password: String) -> Result<(), AppError> {
    let backend = backend()?;
    let session = backend
        .sign_in(&email, &password, session::client_addr())
        .await?;
    session::start_session(&session, backend.secure_cookies());
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), AppError> {
    let backend = backend()?;
    if let Some(token) = session::session_token() {
        backend.sign_out(&token).await?;
    }
    session::end_session(backend.secure_cookies());
    leptos_axum::redirect("/login");
    Ok(())
}

#[server(endpoint = "update-profile")]
pub async fn update_profile(name: String, time_zone: String) -> Result<UserInfo, AppError> {
    let (backend, user) = require_user().await?;
    backend.update_profile(&user, &name, &time_zone).await
}

/// Every time-zone name the server knows, for the profile's choice of zone: the client carries
/// no zone data of its own.
#[server(endpoint = "time-zones")]
pub async fn time_zones() -> Result<Vec<String>, AppError> {
    Ok(chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name().to_string())
        .collect())
}

/// Your own addresses (Settings → Profile): never matched to a person.
#[server(endpoint = "my-addresses")]
pub async fn my_addresses() -> Result<Vec<MyAddress>, AppError> {
    let (backend, user) = require_user().await?;
    backend.my_addresses(&user).await
}

#[server(endpoint = "add-my-address")]
pub async fn add_my_address(address: String) -> Result<(), AppError> {
    let (backend, user) = require_user().await?;
    backend.add_my_address(&user, &address).await
}

#[server(endpoint = "remove-my-address")]
pub async fn remove_my_address(id: String) -> Result<(), AppError> {
    let (backend, user) = require_user().await?;
    backend.remove_my_address(&user, &id).await
}

/// One page of people in name order; `after` / `before` (a person's id on the neighbouring page)
/// read it from there instead of skipping to the page number.
#[server(endpoint = "list-people")]
pub async fn list_people(
    query: String,
    page: u32,
    after: Option<String>,
    before: Option<String>,
) -> Result<Page<PersonSummary>, AppError> {
    let (backend, user) = require_user().await?;
    let cursor = NameCursor::from_params(after, before);
    backend.list_people(&user, &query, page, cursor).await
}

#[server(endpoint = "get-person")]
pub async fn get_person(id: String) -> Result<Person, AppError> {
    let (backend, user) = require_user().await?;
    backend.get_person(&user, &id).await
}

#[server(endpoint = "save-person")]
pub async fn save_person(person: PersonInput) -> Result<String, AppError> {
    let (backend, user) = require_user().await?;
    let id = backend.save_person(&user, person).await?;
    leptos_axum::redirect(&format!("/people/{id}"));
    Ok(id)
}

#[server(endpoint = "delete-person")]
pub async fn delete_person(id: String) -> Result<(), AppError> {
    let (backend, user) = require_user().await?;
    backend.delete_person(&user, &id).await?;
    leptos_axum::redirect("/people");
    Ok(())
}

#[server(endpoint = "set-favorite")]
pub async fn set_favorite(id: String, favorite: bool) -> Result<bool, AppError> {
    let (backend, user) = require_user().await?;
    backend.set_favorite(&user, &id, favorite).await?;
    Ok(favorite)
}

#[server(endpoint = "person-activities")]
pub async fn person_activities(person_id: String, page: u32) -> Result<Page<Activity>, AppError> {
    let (backend, user) = require_user().await?;
    backend.person_activities(&user, &person_id, page).await
}

#[server(endpoint = "get-activity")]
pub async fn get_activity(id: String) -> Result<Activity, AppError> {
    let (backend, user) = require_user().await?;
    backend.get_activity(&user, &id).await
}

#[server(endpoint = "save-activity")]
pub async fn save_activity(activity: ActivityInput) -> Result<String, AppError> {
    let (backend, user) = require_user().await?;
    backend.save_activity(&user, activity).await
}

#[server(endpoint = "delete-activity")]
pub async fn delete_activity(id: String) -> Result<(), AppError> {
    let (backend, user) = require_user().await?;
    backend.delete_activity(&user, &id).await?;
    // Back to the page with an "Undo" offer (also after a plain form post, without the client).
    if id.chars().all(|c| c.is_ascii_alphanumeric()) {
        if let Some(back) = session::back_with_query(&format!("deleted={id}")) {
            leptos_axum::redirect(&back);
        }
    }
    Ok(())
}

#[server(endpoint = "restore-activity")]
pub async fn restore_activity(id: String) -> Result<(), AppError> {
    let (backend, user) = require_user().await?;
    backend.restore_activity(&user, &id).await?;
    if let Some(back) = session::back_with_query("") {
        leptos_axum::redirect(&back);
    }
    Ok(())
}

#[server(endpoint = "load-dashboard")]
pub async fn load_dashboard() -> Result<Dashboard, AppError> {
    let (backend, user) = require_user().await?;
    backend.dashboard(&user).await
}

#[server(endpoint = "list-connections")]
pub async fn list_connections() -> Result<Vec<Connection>, AppError> {
    let (backend, user) = require_user().await?;
    backend.list_connections(&user).await
}

/// Which providers this server can connect (Google needs an OAuth client configured).
#[server(endpoint = "calendar-providers")]
pub async fn calendar_providers() -> Result<ProviderOptions, AppError> {
    let (backend, user) = require_user().await?;
    backend.calendar_providers(&user).await
}

/// Discovers the calendars of a CalDAV account without saving anything.
#[server(endpoint = "test-caldav")]
pub async fn test_caldav(
    server_url: String,
    username: String,
    password: String,
) -> Result<Vec<DiscoveredCalendar>, AppError> {
    let (backend, user) = require_user().await?;
    backend
        .test_caldav(&user, &server_url, &username, &password)
        .await
}

#[server(endpoint = "create-caldav")]
pub async fn create_caldav(connection: CalDavInput) -> Result<Connection, AppError> {
    let (backend, user) = require_user().await?;
    let created = backend.create_caldav(&user, connection).await?;
    session::redirect_plain_form("/settings/calendars");
    Ok(created)
}

#[server(endpoint = "update-connection")]
pub async fn update_connection(update: ConnectionUpdate) -> Result<Connection, AppError> {
    let (backend, user) = require_user().await?;
    let updated = backend.update_connection(&user, update).await?;
    session::redirect_plain_form("/settings/calendars");
    Ok(updated)
}

#[server(endpoint = "delete-connection")]
pub async fn delete_connection(id: String) -> Result<(), AppError> {
    let (backend, user) = require_user().await?;
    backend.delete_connection(&user, &id).await
}

#[server(endpoint = "sync-connection")]
pub async fn sync_connection(id: String) -> Result<SyncReport, AppError> {
    let (backend, user) = require_user().await?;
    backend.sync_connection(&user, &id).await
}

/// A person's meetings: `scope` is "upcoming" (soonest first) or "past" (newest first);
/// `from` and `to` are optional dates (YYYY-MM-DD, inclusive) in the user's time zone.
#[server(endpoint = "person-meetings")]
pub async fn person_meetings(
    person_id: String,
    scope: MeetingScope,
    page: u32,
    from: Option<String>,
    to: Option<String>,
) -> Result<Page<Meeting>, AppError> {
    let (backend, user) = require_user().await?;
    backend
        .person_meetings(
            &user,
            &person_id,
            scope,
            page,
            from.as_deref(),
            to.as_deref(),
        )
        .await
}

/// One meeting with its description and the user's notes.
#[server(endpoint = "get-meeting")]
pub async fn get_meeting(id: String) -> Result<MeetingDetail, AppError> {
    let (backend, user) = require_user().await?;
    backend.get_meeting(&user, &id).await
}

/// Saves the notes on a meeting (as typed, or with the Save button without JavaScript).
#[server(endpoint = "save-meeting-notes")]
pub async fn save_meeting_notes(id: String, notes: String) -> Result<(), AppError> {
    let (backend, user) = require_user().await?;
    backend.save_meeting_notes(&user, &id, &notes).await
}

/// Logs a past meeting as a meeting activity; pressing it again returns the same activity.
#[server(endpoint = "log-meeting")]
pub async fn log_meeting(event_id: String) -> Result<String, AppError> {
    let (backend, user) = require_user().await?;
    backend.log_meeting(&user, &event_id).await
}

/// The Meetings page: every meeting of the user or (`unmatched`) those with a guest who is
/// none of their people; upcoming, this week or past; paged.
#[server(endpoint = "list-meetings")]
pub async fn list_meetings(
    #[server(default)] when: MeetingsWhen,
    #[server(default)] unmatched: bool,
    #[server(default)] page: u32,
) -> Result<MeetingList, AppError> {
    let (backend, user) = require_user().await?;
    backend.list_meetings(&user, when, unmatched, page).await
}

/// Adds every unknown guest of a meeting as a person in one step; returns how many were
/// added. A plain form post (no JavaScript) returns to its page with `meeting=ID` and
/// `added=N`, or with the error, so the page says what happened at that meeting.
#[server(endpoint = "add-unknown-guests")]
pub async fn add_unknown_guests(event_id: String) -> Result<u32, AppError> {
    let (backend, user) = require_user().await?;
    let result = backend.add_unknown_guests(&user, &event_id).await;
    let valid_id = !event_id.is_empty() && event_id.chars().all(|c| c.is_ascii_alphanumeric());
    if session::plain_form_post() && valid_id {
        let back = match &result {
            Ok(added) => {
                session::back_with_params(&[("meeting", &event_id), ("added", &added.to_string())])
            }
            Err(error) => {
                // Leptos's own encoding of a form post's error (`__path`, `__err`), which
                // the page's action reads back; only the query of the URL it builds is used.
                let encoded = leptos::server_fn::error::ServerFnUrlError::new(
                    <AddUnknownGuests as leptos::server_fn::ServerFn>::PATH,
                    error.clone(),
                )
                .to_url("http://rondo.invalid/")
                .ok()
                .and_then(|url| url.query().map(str::to_string))
                .unwrap_or_default();
                let pairs: Vec<(&str, &str)> = encoded
                    .split('&')
                    .filter_map(|pair| pair.split_once('='))
                    .collect();
                let mut set = vec![("meeting", event_id.as_str()), ("added", "")];
                set.extend(pairs);
                session::back_with_params(&set)
            }
        };
        if let Some(back) = back {
            leptos_axum::redirect(&back);
        }
    }
    result
}

/// Creates a person from an unmatched attendee (name and email prefilled).
#[server(endpoint = "add-attendee-person")]
pub async fn add_attendee_person(email: String, name: String) -> Result<String, AppError> {
    let (backend, user) = require_user().await?;
    backend.add_attendee_person(&user, &email, &name).await
}

/// Adds an attendee's email to an existing person, linking their meetings.
#[server(endpoint = "link-attendee")]
pub async fn link_attendee(person_id: String, email: String) -> Result<(), AppError> {
    let (backend, user) = require_user().await?;
    backend.link_attendee(&user, &person_id, &email).await
}

/// The meetings of one day (`YYYY-MM-DD` in the user's time zone; today when absent), in
/// order: on a busy day only the next few, unless `all` (see [`MeetingsToday`]).
#[server(endpoint = "todays-meetings")]
pub async fn todays_meetings(
    #[server(default)] day: Option<String>,
    #[server(default)] all: bool,
) -> Result<MeetingsToday, AppError> {
    let (backend, user) = require_user().await?;
    backend.todays_meetings(&user, day.as_deref(), all).await
}

/// The last 50 sync runs of a connection, newest first.
#[server(endpoint = "connection-history")]
pub async fn connection_history(id: String) -> Result<Vec<SyncRun>, AppError> {
    let (backend, user) = require_user().await?;
    backend.connection_history(&user, &id).await
}
