//! Typed models shared by the server and the browser.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const PEOPLE_PER_PAGE: u32 = 25;
pub const ACTIVITIES_PER_PAGE: u32 = 20;
pub const MIN_PASSWORD_LEN: usize = 10;

/// Who may create an account (`RONDO_SIGNUP`). The first account may always be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SignupMode {
    /// Anyone who reaches the server.
    #[default]
    Open,
    /// Nobody (accounts exist already; the administrator adds none through the web).
    Closed,
    /// Whoever holds a single-use invite code from `rondo invite create`.
    Invite,
}

impl std::str::FromStr for SignupMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "open" => Ok(SignupMode::Open),
            "closed" => Ok(SignupMode::Closed),
            "invite" => Ok(SignupMode::Invite),
            other => Err(format!("\"{other}\" is not one of open, closed, invite")),
        }
    }
}

/// What a sign-up form submits.
#[derive(Debug, Clone, Default)]
pub struct SignUpInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub time_zone: String,
    /// Required in invite mode (except for the first account), ignored otherwise.
    pub invite: Option<String>,
}

/// The one answer to every accepted sign-up, whether the address was new or already had an
/// account, so the form cannot be used to find out who has one.
pub const SIGNED_UP_NOTICE: &str = "Thanks. If this address was new, its account is ready: sign in with it now. If it already had an account, sign in with that account's password.";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: String,
    pub email: String,
    pub name: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EmailAddress {
    pub address: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PhoneNumber {
    pub number: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonSummary {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub organization: String,
    pub job_title: String,
    pub primary_email: Option<String>,
    pub favorite: bool,
}

impl PersonSummary {
    pub fn full_name(&self) -> String {
        full_name(&self.first_name, &self.last_name)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub emails: Vec<EmailAddress>,
    pub phones: Vec<PhoneNumber>,
    pub organization: String,
    pub job_title: String,
    pub notes: String,
    pub favorite: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Filled in for the person page only.
    #[serde(default)]
    pub cadence: Cadence,
}

/// How often the user meets a person (see `server::cadence`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Cadence {
    pub last_met: Option<DateTime<Utc>>,
    /// The usual number of days between meetings, once there are enough to tell.
    pub usual_days: Option<u32>,
    pub next: Option<DateTime<Utc>>,
}

impl Person {
    pub fn full_name(&self) -> String {
        full_name(&self.first_name, &self.last_name)
    }
}

pub fn full_name(first: &str, last: &str) -> String {
    match (first.trim(), last.trim()) {
        ("", "") => "(no name)".to_string(),
        (f, "") => f.to_string(),
        ("", l) => l.to_string(),
        (f, l) => format!("{f} {l}"),
    }
}

/// What the person form submits. Blank email and phone rows are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct PersonInput {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub emails: Vec<EmailAddress>,
    /// Index into `emails` of the primary address (radio button value).
    #[serde(default)]
    pub primary_email: Option<usize>,
    #[serde(default)]
    pub phones: Vec<PhoneNumber>,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub job_title: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default, with = "checkbox")]
    pub favorite: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u32,
    pub per_page: u32,
}

/// Where a page of a name-ordered list starts when it is not found by number: right after or
/// right before a person (by id) of the page the reader came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum NameCursor {
    After(String),
    Before(String),
}

impl NameCursor {
    /// From the `after` / `before` query parameters (`after` wins; empty ones are none).
    pub fn from_params(after: Option<String>, before: Option<String>) -> Option<Self> {
        let given = |v: Option<String>| v.filter(|v| !v.is_empty());
        given(after)
            .map(Self::After)
            .or_else(|| given(before).map(Self::Before))
    }
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        (self.total.div_ceil(self.per_page.max(1) as u64)).max(1) as u32
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ActivityKind {
    #[default]
    Meeting,
    Call,
    Email,
    Note,
    Other,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 5] = [
        Self::Meeting,
        Self::Call,
        Self::Email,
        Self::Note,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Meeting => "meeting",
            Self::Call => "call",
            Self::Email => "email",
            Self::Note => "note",
            Self::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Meeting => "Meeting",
            Self::Call => "Call",
            Self::Email => "Email",
            Self::Note => "Note",
            Self::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentContact {
    pub person: PersonRef,
    /// When their latest activity was.
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: String,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    pub title: String,
    pub notes: String,
    pub people: Vec<PersonRef>,
    pub source: Option<String>,
    /// The notes written on the meeting this activity was logged from.
    #[serde(default)]
    pub meeting_notes: Option<String>,
}

/// What the activity form submits; `occurred_at` is a `datetime-local` value in the user's zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ActivityInput {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub kind: ActivityKind,
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub people: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Counts {
    pub people: u64,
    pub favorites: u64,
    pub activities: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub favorites: Vec<PersonSummary>,
    pub recent_activities: Vec<Activity>,
    /// People by their latest activity, newest first.
    pub recently_contacted: Vec<RecentContact>,
    pub counts: Counts,
    pub has_calendar_connections: bool,
    /// Names of connections that failed or need signing in again.
    pub needs_attention: Vec<String>,
}

// ---------------------------------------------------------------- calendar connections

pub const DEFAULT_DAYS_BACK: u32 = 90;
pub const DEFAULT_DAYS_AHEAD: u32 = 30;
/// The longest sync window, back and ahead (ten years).
pub const MAX_WINDOW_DAYS: u32 = 3650;

/// How often the scheduler syncs a connection: a fixed set of choices, stored by name
/// (`as_str`), so a form or a script cannot ask for a sync every second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum SyncFrequency {
    #[default]
    #[serde(rename = "15m")]
    Minutes15,
    #[serde(rename = "30m")]
    Minutes30,
    #[serde(rename = "1h")]
    Hour1,
    #[serde(rename = "4h")]
    Hours4,
    #[serde(rename = "1d")]
    Daily,
}

impl SyncFrequency {
    pub const ALL: [SyncFrequency; 5] = [
        SyncFrequency::Minutes15,
        SyncFrequency::Minutes30,
        SyncFrequency::Hour1,
        SyncFrequency::Hours4,
        SyncFrequency::Daily,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minutes15 => "15m",
            Self::Minutes30 => "30m",
            Self::Hour1 => "1h",
            Self::Hours4 => "4h",
            Self::Daily => "1d",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn minutes(self) -> u32 {
        match self {
            Self::Minutes15 => 15,
            Self::Minutes30 => 30,
            Self::Hour1 => 60,
            Self::Hours4 => 240,
            Self::Daily => 1440,
        }
    }

    /// "every 30 min", as the card and the select show it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Minutes15 => "every 15 min",
            Self::Minutes30 => "every 30 min",
            Self::Hour1 => "every hour",
            Self::Hours4 => "every 4 hours",
            Self::Daily => "daily",
        }
    }
}

/// The sync window's choices (days, and how they read); other values stay possible as
/// "Custom" (a number of days).
pub const WINDOW_CHOICES: [(u32, &str); 6] = [
    (7, "1 week"),
    (30, "1 month"),
    (90, "3 months"),
    (182, "6 months"),
    (365, "1 year"),
    (730, "2 years"),
];

/// "3 months" for a choice, "45 days" for anything else.
pub fn window_label(days: u32) -> String {
    match WINDOW_CHOICES.iter().find(|(d, _)| *d == days) {
        Some((_, label)) => (*label).to_string(),
        None if days == 1 => "1 day".to_string(),
        None => format!("{days} days"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Google,
    CalDav,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::CalDav => "caldav",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Provider::Google => "Google Calendar",
            Provider::CalDav => "CalDAV",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Provider::Google, Provider::CalDav]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Ok,
    Syncing,
    Error,
    NeedsReauth,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Syncing => "syncing",
            Self::Error => "error",
            Self::NeedsReauth => "needs_reauth",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "Connected",
            Self::Syncing => "Syncing…",
            Self::Error => "Error",
            Self::NeedsReauth => "Needs re-authentication",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "syncing" => Self::Syncing,
            "error" => Self::Error,
            "needs_reauth" => Self::NeedsReauth,
            _ => Self::Ok,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarInfo {
    pub id: String,
    pub remote_id: String,
    pub name: String,
    pub color: Option<String>,
    pub selected: bool,
    pub event_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub id: String,
    pub provider: Provider,
    pub name: String,
    pub server_url: Option<String>,
    pub username: Option<String>,
    /// Whether a password or token is stored; the secret itself never leaves the server.
    pub has_secret: bool,
    pub calendars: Vec<CalendarInfo>,
    pub sync_enabled: bool,
    pub auto_log: bool,
    pub days_back: u32,
    pub days_ahead: u32,
    #[serde(default)]
    pub sync_frequency: SyncFrequency,
    /// Google: store and show out-of-office entries (other status entries never are).
    #[serde(default)]
    pub show_out_of_office: bool,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub status: ConnectionStatus,
    pub event_count: u64,
    /// How far the running sync is (only while `status` is `Syncing`).
    #[serde(default)]
    pub progress: Option<SyncProgress>,
    /// The last finished sync: what it changed, or why it failed.
    #[serde(default)]
    pub last_run: Option<SyncRun>,
}

impl Connection {
    /// Whether a sync of it is running (the Calendars page polls while one is).
    pub fn is_syncing(&self) -> bool {
        self.status == ConnectionStatus::Syncing
    }
}

/// What a running sync is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    /// Asking the server what exists or changed.
    Listing,
    /// Fetching and storing events.
    Fetching,
}

impl SyncPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Listing => "listing",
            Self::Fetching => "fetching",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Listing, Self::Fetching]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// A running sync's progress, written at batch granularity: events stored so far and, when the
/// server said how many there are (CalDAV lists them first; Google does not), the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    pub phase: SyncPhase,
    pub done: u64,
    pub total: Option<u64>,
}

impl SyncProgress {
    /// "Syncing… 1,250 of 10,000 events", "Syncing… 1,250 events" or, before the first
    /// event, "Syncing… asking the server for events".
    pub fn text(&self) -> String {
        match (self.phase, self.done, self.total) {
            (_, done, Some(total)) if total > 0 => format!(
                "Syncing… {} of {} events",
                thousands(done.min(total)),
                thousands(total)
            ),
            (SyncPhase::Listing, 0, _) => "Syncing… asking the server for events".into(),
            (_, done, _) => format!(
                "Syncing… {} event{}",
                thousands(done),
                if done == 1 { "" } else { "s" }
            ),
        }
    }
}

/// 10000 → "10,000".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// What "Add Google Calendar" can do on this server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderOptions {
    pub google_configured: bool,
    /// The redirect URI to register with the Google OAuth client.
    pub google_redirect_uri: String,
}

/// Why connecting a Google account did not complete. Only the code travels in the redirect
/// back to Settings → Calendars, so the page never shows text a link could make up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoogleProblem {
    NotConfigured,
    CrossSite,
    MissingState,
    Expired,
    OtherSession,
    Denied,
    GoogleError,
    MissingCode,
    MissingScope,
    NoRefreshToken,
    WrongAccount,
    NotGoogle,
    Refused,
    Unreachable,
    Internal,
}

const GOOGLE_PROBLEMS: [(GoogleProblem, &str, &str); 15] = [
    (GoogleProblem::NotConfigured, "not_configured", "Google Calendar is not configured on this server (RONDO_GOOGLE_CLIENT_ID and RONDO_GOOGLE_CLIENT_SECRET)."),
    (GoogleProblem::CrossSite, "cross_site", "Start connecting Google from Settings → Calendars."),
    (GoogleProblem::MissingState, "missing_state", "The Google sign-in came back without its state. Start again."),
    (GoogleProblem::Expired, "expired", "This Google sign-in has expired or was already used. Start again."),
    (GoogleProblem::OtherSession, "other_session", "This Google sign-in was started in another browser session. Start again here."),
    (GoogleProblem::Denied, "denied", "Google access was not granted, so nothing was connected."),
    (GoogleProblem::GoogleError, "google_error", "Google reported an error, so nothing was connected. Try again."),
    (GoogleProblem::MissingCode, "missing_code", "Google did not return an authorization code. Start again."),
    (GoogleProblem::MissingScope, "missing_scope", "Rondo needs permission to see your calendars. Start again and allow calendar access on Google's consent page."),
    (GoogleProblem::NoRefreshToken, "no_refresh_token", "Google did not grant lasting access. Start again; if it persists, remove Rondo at myaccount.google.com/permissions and connect once more."),
    (GoogleProblem::WrongAccount, "wrong_account", "You signed in with a different Google account than this connection's. Reconnect with the same account."),
    (GoogleProblem::NotGoogle, "not_google", "Only Google connections can be reconnected this way."),
    (GoogleProblem::Refused, "refused", "Google refused the sign-in. Try again; if it persists, check the OAuth client's settings."),
    (GoogleProblem::Unreachable, "unreachable", "Rondo could not reach Google. Try again in a moment."),
    (GoogleProblem::Internal, "internal", "Connecting Google Calendar did not complete. Try again."),
];

impl GoogleProblem {
    fn entry(self) -> &'static (GoogleProblem, &'static str, &'static str) {
        GOOGLE_PROBLEMS
            .iter()
            .find(|(p, _, _)| *p == self)
            .expect("every problem is listed")
    }

    pub fn code(self) -> &'static str {
        self.entry().1
    }

    pub fn message(self) -> &'static str {
        self.entry().2
    }

    /// Unknown codes read as `Internal`.
    pub fn from_code(code: &str) -> Self {
        GOOGLE_PROBLEMS
            .iter()
            .find(|(_, c, _)| *c == code)
            .map_or(GoogleProblem::Internal, |(p, _, _)| *p)
    }
}

/// A calendar found on a CalDAV server while testing a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiscoveredCalendar {
    pub remote_id: String,
    pub name: String,
    pub color: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CalDavInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub server_url: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    /// Remote ids (hrefs) of the calendars to sync.
    #[serde(default)]
    pub calendars: Vec<String>,
    /// Sync every event calendar the account has (the form without JavaScript, which adds an
    /// account in one post: it cannot show what "Test connection" found first).
    #[serde(default, with = "checkbox")]
    pub all_calendars: bool,
    /// How often to sync; the default when absent.
    #[serde(default)]
    pub sync_frequency: Option<SyncFrequency>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ConnectionUpdate {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// Remote ids of the calendars to sync.
    #[serde(default)]
    pub calendars: Vec<String>,
    #[serde(default, with = "checkbox")]
    pub sync_enabled: bool,
    #[serde(default, with = "checkbox")]
    pub auto_log: bool,
    #[serde(default)]
    pub days_back: Option<u32>,
    #[serde(default)]
    pub days_ahead: Option<u32>,
    /// Absent keeps the stored one.
    #[serde(default)]
    pub sync_frequency: Option<SyncFrequency>,
    #[serde(default, with = "checkbox")]
    pub show_out_of_office: bool,
    /// A new password; blank keeps the stored one.
    #[serde(default)]
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SyncReport {
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub warnings: Vec<String>,
    pub error: Option<String>,
    /// Meetings auto-logged as activities after the sync.
    #[serde(default)]
    pub logged: u64,
}

impl SyncReport {
    /// What "Sync now" tells the user after a successful run.
    pub fn summary(&self) -> String {
        format!(
            "Synced: {} added, {} changed, {} removed, {} logged.",
            self.added, self.changed, self.removed, self.logged
        )
    }
}

/// Form checkboxes as bools: a browser posts "on" when ticked and nothing when not; a client
/// calling the server function directly sends `true`/`false`.
pub mod checkbox {
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Posted {
        Flag(bool),
        Text(String),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(match Option::<Posted>::deserialize(d)? {
            None => false,
            Some(Posted::Flag(on)) => on,
            Some(Posted::Text(text)) => !matches!(text.trim(), "" | "false" | "off" | "0"),
        })
    }

    pub fn serialize<S: Serializer>(on: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*on)
    }
}

impl Person {
    /// The form input that saves this person unchanged (used to add an address in one click).
    pub fn to_input(&self) -> PersonInput {
        PersonInput {
            id: Some(self.id.clone()),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            primary_email: self.emails.iter().position(|e| e.primary),
            emails: self.emails.clone(),
            phones: self.phones.clone(),
            organization: self.organization.clone(),
            job_title: self.job_title.clone(),
            notes: self.notes.clone(),
            favorite: self.favorite,
        }
    }
}

/// A meeting attendee as shown on a meeting card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingAttendee {
    pub email: String,
    pub name: Option<String>,
    pub response: Option<Response>,
    pub organizer: bool,
    pub is_self: bool,
    pub is_resource: bool,
    /// The person this attendee is (an email match).
    pub person: Option<PersonRef>,
    /// Why they matched.
    pub reason: Option<MatchReason>,
    pub confidence: u8,
    /// People whose name looks like this attendee's, to confirm with one click.
    pub suggestions: Vec<PersonRef>,
}

impl MeetingAttendee {
    /// A guest the user does not know yet: a person's address (no room, not the user) that
    /// none of their people has. A name suggestion does not make them known.
    pub fn is_unknown(&self) -> bool {
        self.person.is_none() && !self.is_self && !self.is_resource && !self.email.is_empty()
    }

    pub fn display_name(&self) -> String {
        self.name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| self.email.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: String,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub all_day: bool,
    /// For all-day meetings: the first day and the day after the last (iCalendar's DTEND).
    pub start_date: Option<chrono::NaiveDate>,
    pub end_date: Option<chrono::NaiveDate>,
    pub location: Option<String>,
    pub meeting_url: Option<String>,
    pub cancelled: bool,
    pub calendar_name: String,
    pub calendar_color: Option<String>,
    pub attendees: Vec<MeetingAttendee>,
    /// The activity this meeting was logged as, if any.
    pub logged_activity: Option<String>,
    /// Your own answer, when one of your addresses is invited (declined wins over others).
    #[serde(default)]
    pub my_response: Option<Response>,
    /// A Google out-of-office entry: shown as such, never matched, logged or joined.
    #[serde(default)]
    pub out_of_office: bool,
}

/// One meeting with what only its own page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingDetail {
    pub meeting: Meeting,
    pub description: Option<String>,
    /// The user's notes on this meeting, kept across syncs.
    pub notes: String,
    pub notes_saved_at: Option<DateTime<Utc>>,
    /// The event in Google Calendar (Google's `htmlLink`), where known.
    #[serde(default)]
    pub google_url: Option<String>,
}

impl Meeting {
    /// Whether it has ended for a user in `tz` (`time_zone` name): all-day meetings at the
    /// user's midnight.
    pub fn has_ended(&self, now: DateTime<Utc>, tz: &str) -> bool {
        crate::time::has_ended(
            self.ends_at,
            self.end_date.filter(|_| self.all_day),
            now,
            &crate::time::Zone::named(tz),
        )
    }

    /// The link to join it online; none once it was cancelled.
    pub fn join_url(&self) -> Option<String> {
        self.meeting_url
            .clone()
            .filter(|_| !self.cancelled && !self.out_of_office)
    }

    pub fn in_progress(&self, now: DateTime<Utc>) -> bool {
        !self.all_day && self.starts_at <= now && now < self.ends_at
    }

    /// "You declined" / "Tentative": the mark a card shows for your own answer, if any.
    pub fn my_mark(&self) -> Option<&'static str> {
        match self.my_response? {
            Response::Declined => Some("You declined"),
            Response::Tentative => Some("Tentative"),
            _ => None,
        }
    }

    pub fn declined_by_me(&self) -> bool {
        self.my_response == Some(Response::Declined)
    }

    /// The guests the user does not know yet (see [`MeetingAttendee::is_unknown`]).
    pub fn unknown_guests(&self) -> impl Iterator<Item = &MeetingAttendee> {
        self.attendees.iter().filter(|a| a.is_unknown())
    }

    pub fn matched_people(&self) -> Vec<PersonRef> {
        let mut people: Vec<PersonRef> = Vec::new();
        for p in self.attendees.iter().filter_map(|a| a.person.clone()) {
            if !people.iter().any(|q| q.id == p.id) {
                people.push(p);
            }
        }
        people
    }
}

pub const MEETINGS_PER_PAGE: u32 = 10;
/// Meetings per page on the Meetings page.
pub const MEETING_LIST_PER_PAGE: u32 = 20;

/// Where one of your own addresses comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MyAddressSource {
    /// The address you sign in with.
    Account,
    /// Reported by a calendar connection: the CalDAV principal's `calendar-user-address-set`,
    /// a CalDAV username that is an address, Google's account and `self` attendee.
    Calendar,
    /// Added by you in Settings → Profile.
    Manual,
}

impl MyAddressSource {
    pub fn as_str(self) -> &'static str {
        match self {
            MyAddressSource::Account => "account",
            MyAddressSource::Calendar => "calendar",
            MyAddressSource::Manual => "manual",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Account, Self::Calendar, Self::Manual]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// One of your own addresses: never matched to a person, marked "you" on meetings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MyAddress {
    /// Empty for the sign-in address (it cannot be removed).
    pub id: String,
    pub address: String,
    pub source: MyAddressSource,
    /// For calendar-reported addresses: the connection's name.
    pub connection: Option<String>,
}

impl MyAddress {
    pub fn source_label(&self) -> String {
        match self.source {
            MyAddressSource::Account => "your sign-in address".into(),
            MyAddressSource::Calendar => match &self.connection {
                Some(name) => format!("reported by the calendar connection \u{201c}{name}\u{201d}"),
                None => "reported by a calendar connection".into(),
            },
            MyAddressSource::Manual => "added by you".into(),
        }
    }

    /// Only the ones you added; the others follow your account and your connections.
    pub fn removable(&self) -> bool {
        self.source == MyAddressSource::Manual
    }
}

/// How many of today's meetings the dashboard shows until "Show all" is chosen.
pub const TODAY_SHOWN: usize = 8;

/// Today's meetings as the dashboard shows them: all of them, or (on a busy day) at most
/// [`TODAY_SHOWN`] from the first one that has not ended; `total` counts the whole day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingsToday {
    pub meetings: Vec<Meeting>,
    pub total: u32,
}

/// Why an attendee is (or may be) one of the user's people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchReason {
    PrimaryEmail,
    OtherEmail,
    /// A Gmail/Googlemail spelling of one of their addresses (dots, `+tags`).
    Alias,
    /// Only offered as a suggestion, never linked automatically.
    Name,
}

impl MatchReason {
    pub const ALL: [MatchReason; 4] = [
        MatchReason::PrimaryEmail,
        MatchReason::OtherEmail,
        MatchReason::Alias,
        MatchReason::Name,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MatchReason::PrimaryEmail => "primary_email",
            MatchReason::OtherEmail => "other_email",
            MatchReason::Alias => "alias",
            MatchReason::Name => "name",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// In words, for the hover text.
    pub fn label(self) -> &'static str {
        match self {
            MatchReason::PrimaryEmail => "matched by primary email",
            MatchReason::OtherEmail => "matched by another of their emails",
            MatchReason::Alias => "matched by a Gmail alias of their email",
            MatchReason::Name => "similar name",
        }
    }
}

/// An attendee's answer to an invitation (iCalendar PARTSTAT, Google responseStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Response {
    Accepted,
    Declined,
    Tentative,
    Delegated,
    NeedsAction,
}

impl Response {
    pub const ALL: [Response; 5] = [
        Response::Accepted,
        Response::Declined,
        Response::Tentative,
        Response::Delegated,
        Response::NeedsAction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Response::Accepted => "accepted",
            Response::Declined => "declined",
            Response::Tentative => "tentative",
            Response::Delegated => "delegated",
            Response::NeedsAction => "needs-action",
        }
    }

    /// Reads iCalendar's `NEEDS-ACTION`, Google's `needsAction` and the stored form alike;
    /// anything else (e.g. `X-` values) is no answer.
    pub fn parse(s: &str) -> Option<Self> {
        let key: String = s
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().replace('-', "") == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Response::Accepted => "accepted",
            Response::Declined => "declined",
            Response::Tentative => "maybe",
            Response::Delegated => "delegated",
            Response::NeedsAction => "no response",
        }
    }
}

/// Whether an event takes place (iCalendar STATUS, Google status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    #[default]
    Confirmed,
    Tentative,
    Cancelled,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Confirmed => "confirmed",
            EventStatus::Tentative => "tentative",
            EventStatus::Cancelled => "cancelled",
        }
    }

    /// Unknown values (and iCalendar's TODO/journal words) read as confirmed.
    pub fn parse(s: &str) -> Self {
        match s.trim().to_ascii_lowercase().as_str() {
            "cancelled" | "canceled" => EventStatus::Cancelled,
            "tentative" => EventStatus::Tentative,
            _ => EventStatus::Confirmed,
        }
    }
}

/// Which meetings the Meetings page lists (`?when=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum MeetingsWhen {
    /// Not yet ended, soonest first.
    #[default]
    Upcoming,
    /// Starting this week (Monday to Sunday in the user's time zone), in order.
    Week,
    /// Ended, newest first.
    Past,
}

impl MeetingsWhen {
    pub const ALL: [MeetingsWhen; 3] = [
        MeetingsWhen::Upcoming,
        MeetingsWhen::Week,
        MeetingsWhen::Past,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MeetingsWhen::Upcoming => "upcoming",
            MeetingsWhen::Week => "week",
            MeetingsWhen::Past => "past",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MeetingsWhen::Upcoming => "Upcoming",
            MeetingsWhen::Week => "This week",
            MeetingsWhen::Past => "Past",
        }
    }

    /// Unknown words read as the default (a hand-edited URL still shows a page).
    pub fn parse(s: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|w| w.as_str() == s)
            .unwrap_or_default()
    }
}

/// How many meetings each tab of the Meetings page holds: the time tabs counted with the
/// guest filter in force, the guest tabs within the time tab in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MeetingCounts {
    pub upcoming: u64,
    pub week: u64,
    pub past: u64,
    pub all: u64,
    pub unmatched: u64,
}

impl MeetingCounts {
    pub fn of(&self, when: MeetingsWhen) -> u64 {
        match when {
            MeetingsWhen::Upcoming => self.upcoming,
            MeetingsWhen::Week => self.week,
            MeetingsWhen::Past => self.past,
        }
    }
}

/// A page of the Meetings page's list, with the counts for its tabs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeetingList {
    pub meetings: Page<Meeting>,
    pub counts: MeetingCounts,
}

/// Which of a person's meetings to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeetingScope {
    /// Not yet ended, soonest first.
    Upcoming,
    /// Ended, newest first.
    Past,
}

impl MeetingScope {
    pub fn as_str(self) -> &'static str {
        match self {
            MeetingScope::Upcoming => "upcoming",
            MeetingScope::Past => "past",
        }
    }
}

/// One run in a connection's sync history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncRun {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    /// Meetings auto-logged as activities after this run.
    pub logged: u64,
    pub error: Option<String>,
}

impl SyncRun {
    /// "120 added, 0 changed, 0 removed, 3 logged": what a finished run changed.
    pub fn counts(&self) -> String {
        format!(
            "{} added, {} changed, {} removed, {} logged",
            thousands(self.added),
            thousands(self.changed),
            thousands(self.removed),
            thousands(self.logged)
        )
    }
}

#[cfg(test)]
mod sync_report_tests {
    use super::*;

    #[test]
    fn progress_reads_with_and_without_a_total() {
        let at = |phase, done, total| SyncProgress { phase, done, total }.text();
        assert_eq!(
            at(SyncPhase::Fetching, 1250, Some(10_000)),
            "Syncing… 1,250 of 10,000 events"
        );
        assert_eq!(at(SyncPhase::Fetching, 1250, None), "Syncing… 1,250 events");
        assert_eq!(at(SyncPhase::Fetching, 1, None), "Syncing… 1 event");
        assert_eq!(
            at(SyncPhase::Listing, 0, None),
            "Syncing… asking the server for events"
        );
        // A later calendar being listed keeps the count so far.
        assert_eq!(at(SyncPhase::Listing, 50, None), "Syncing… 50 events");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_summary_counts_logged_meetings() {
        let report = SyncReport {
            logged: 22,
            ..Default::default()
        };
        assert_eq!(
            report.summary(),
            "Synced: 0 added, 0 changed, 0 removed, 22 logged."
        );
    }
}

#[cfg(test)]
mod google_problem_tests {
    use super::*;

    #[test]
    fn every_problem_has_its_own_code_and_unknown_codes_read_as_internal() {
        let mut codes: Vec<&str> = GOOGLE_PROBLEMS.iter().map(|(_, c, _)| *c).collect();
        for (problem, code, message) in GOOGLE_PROBLEMS {
            assert_eq!(GoogleProblem::from_code(code), problem);
            assert_eq!(problem.code(), code);
            assert!(!message.is_empty());
        }
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), GOOGLE_PROBLEMS.len());
        assert_eq!(
            GoogleProblem::from_code("<script>anything</script>"),
            GoogleProblem::Internal
        );
    }
}

#[cfg(test)]
mod typed_value_tests {
    use super::*;

    #[test]
    fn responses_read_from_every_provider_spelling() {
        assert_eq!(Response::parse("NEEDS-ACTION"), Some(Response::NeedsAction));
        assert_eq!(Response::parse("needsAction"), Some(Response::NeedsAction));
        assert_eq!(Response::parse("needs-action"), Some(Response::NeedsAction));
        assert_eq!(Response::parse("DECLINED"), Some(Response::Declined));
        assert_eq!(Response::parse("X-UNKNOWN"), None);
        for r in Response::ALL {
            assert_eq!(Response::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn statuses_and_reasons_round_trip() {
        for s in [
            EventStatus::Confirmed,
            EventStatus::Tentative,
            EventStatus::Cancelled,
        ] {
            assert_eq!(EventStatus::parse(s.as_str()), s);
        }
        assert_eq!(EventStatus::parse("CANCELLED"), EventStatus::Cancelled);
        assert_eq!(EventStatus::parse("whatever"), EventStatus::Confirmed);
        for r in MatchReason::ALL {
            assert_eq!(MatchReason::parse(r.as_str()), Some(r));
        }
    }

    #[test]
    fn checkboxes_read_form_posts_and_typed_calls() {
        #[derive(Deserialize)]
        struct Form {
            #[serde(default, with = "checkbox")]
            on: bool,
        }
        let read = |json: &str| serde_json::from_str::<Form>(json).unwrap().on;
        assert!(read(r#"{"on":"on"}"#));
        assert!(read(r#"{"on":true}"#));
        assert!(read(r#"{"on":"true"}"#));
        assert!(!read(r#"{"on":"off"}"#));
        assert!(!read(r#"{"on":false}"#));
        assert!(!read(r#"{}"#));
    }
}

#[cfg(test)]
mod name_cursor_tests {
    use super::*;

    #[test]
    fn a_cursor_comes_from_after_first_then_before_and_never_from_an_empty_value() {
        let some = |v: &str| Some(v.to_string());
        assert_eq!(
            NameCursor::from_params(some("a1"), some("b1")),
            Some(NameCursor::After("a1".into()))
        );
        assert_eq!(
            NameCursor::from_params(some(""), some("b1")),
            Some(NameCursor::Before("b1".into()))
        );
        assert_eq!(NameCursor::from_params(None, some("")), None);
        assert_eq!(NameCursor::from_params(None, None), None);
    }
}
