//! The server-side contract behind every server function. The `server` crate implements it;
//! the browser build never sees it.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::AppResult;
use crate::models::*;

/// The client's IP address as the server determined it (the peer, or the forwarded address
/// when the peer is a trusted proxy); put into each request's extensions by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Whether session cookies must carry `Secure` (public base URL is https).
    fn secure_cookies(&self) -> bool;

    /// Creates the account if the address is new; answers the same either way and never
    /// starts a session (see [`SIGNED_UP_NOTICE`]).
    async fn sign_up(&self, input: SignUpInput) -> AppResult<()>;
    /// Who may sign up right now (open while no account exists, whatever the setting).
    async fn signup_mode(&self) -> AppResult<SignupMode>;
    /// `client` is the address the request came from, when known: failed sign-ins are
    /// throttled per address and per client.
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<ClientAddr>,
    ) -> AppResult<NewSession>;
    async fn sign_out(&self, token: &str) -> AppResult<()>;
    async fn user_for_session(&self, token: &str) -> AppResult<Option<UserInfo>>;
    async fn update_profile(
        &self,
        user: &UserInfo,
        name: &str,
        time_zone: &str,
    ) -> AppResult<UserInfo>;
    /// The user's own addresses: the sign-in one first, then reported and added ones.
    async fn my_addresses(&self, user: &UserInfo) -> AppResult<Vec<MyAddress>>;
    async fn add_my_address(&self, user: &UserInfo, address: &str) -> AppResult<()>;
    async fn remove_my_address(&self, user: &UserInfo, id: &str) -> AppResult<()>;

    async fn list_people(
        &self,
        user: &UserInfo,
        query: &str,
        page: u32,
        cursor: Option<NameCursor>,
    ) -> AppResult<Page<PersonSummary>>;
    async fn get_person(&self, user: &UserInfo, id: &str) -> AppResult<Person>;
    async fn save_person(&self, user: &UserInfo, input: PersonInput) -> AppResult<String>;
    async fn delete_person(&self, user: &UserInfo, id: &str) -> AppResult<()>;
    async fn set_favorite(&self, user: &UserInfo, id: &str, favorite: bool) -> AppResult<()>;

    async fn person_activities(
        &self,
        user: &UserInfo,
        person_id: &str,
        page: u32,
    ) -> AppResult<Page<Activity>>;
    async fn get_activity(&self, user: &UserInfo, id: &str) -> AppResult<Activity>;
    async fn save_activity(&self, user: &UserInfo, input: ActivityInput) -> AppResult<String>;
    async fn delete_activity(&self, user: &UserInfo, id: &str) -> AppResult<()>;
    /// Undoes a deletion (within a week).
    async fn restore_activity(&self, user: &UserInfo, id: &str) -> AppResult<()>;

    async fn dashboard(&self, user: &UserInfo) -> AppResult<Dashboard>;

    async fn list_connections(&self, user: &UserInfo) -> AppResult<Vec<Connection>>;
    async fn calendar_providers(&self, user: &UserInfo) -> AppResult<ProviderOptions>;
    async fn test_caldav(
        &self,
        user: &UserInfo,
        server_url: &str,
        username: &str,
        password: &str,
    ) -> AppResult<Vec<DiscoveredCalendar>>;
    async fn create_caldav(&self, user: &UserInfo, input: CalDavInput) -> AppResult<Connection>;
    async fn update_connection(
        &self,
        user: &UserInfo,
        update: ConnectionUpdate,
    ) -> AppResult<Connection>;
    async fn delete_connection(&self, user: &UserInfo, id: &str) -> AppResult<()>;
    async fn sync_connection(&self, user: &UserInfo, id: &str) -> AppResult<SyncReport>;
    async fn connection_history(&self, user: &UserInfo, id: &str) -> AppResult<Vec<SyncRun>>;

    async fn person_meetings(
        &self,
        user: &UserInfo,
        person_id: &str,
        scope: MeetingScope,
        page: u32,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<Page<Meeting>>;
    async fn log_meeting(&self, user: &UserInfo, event_id: &str) -> AppResult<String>;
    /// The Meetings page: all meetings or those with an unknown guest, by time tab, paged.
    async fn list_meetings(
        &self,
        user: &UserInfo,
        when: MeetingsWhen,
        unmatched: bool,
        page: u32,
    ) -> AppResult<MeetingList>;
    /// Adds every unknown guest of a meeting as a person; returns how many were added.
    async fn add_unknown_guests(&self, user: &UserInfo, event_id: &str) -> AppResult<u32>;
    async fn get_meeting(&self, user: &UserInfo, id: &str) -> AppResult<MeetingDetail>;
    async fn save_meeting_notes(&self, user: &UserInfo, id: &str, notes: &str) -> AppResult<()>;
    async fn add_attendee_person(
        &self,
        user: &UserInfo,
        email: &str,
        name: &str,
    ) -> AppResult<String>;
    async fn link_attendee(&self, user: &UserInfo, person_id: &str, email: &str) -> AppResult<()>;
    /// One day's meetings (`YYYY-MM-DD` in the user's zone, today when `None`): on a busy day
    /// only the next few, unless `all`.
    async fn todays_meetings(
        &self,
        user: &UserInfo,
        day: Option<&str>,
        all: bool,
    ) -> AppResult<MeetingsToday>;
}
