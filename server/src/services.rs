//! `Services` wires the domain together and implements the app's `Backend` contract by
//! delegating; domain errors become user-facing ones in one place (`From<StoreError> for AppError`).
use std::sync::Arc;

use async_trait::async_trait;

use app::api::backend::{Backend, ClientAddr, NewSession};
use app::error::AppResult;
use app::models::*;

use crate::activities::Activities;
use crate::auth::{Accounts, SignInThrottle};
use crate::cadence::Cadences;
use crate::calendar::meetings::Meetings;
use crate::calendar::service::{CalendarSettings, Calendars};
use crate::contacts::Contacts;
use crate::db::Db;
use crate::error::StoreError;
use crate::freshness::{minute_of, Data, UserCache};
use crate::matcher::Matcher;
use crate::meeting_notes::MeetingNotes;
use crate::my_addresses::MyAddresses;
use crate::people::People;
use crate::unknown_guests::UnknownGuests;
use chrono_tz::Tz;

pub struct Services {
    pub db: Db,
    pub accounts: Accounts,
    pub contacts: Contacts,
    pub activities: Activities,
    pub calendars: Arc<Calendars>,
    pub meetings: Meetings,
    pub unknown_guests: UnknownGuests,
    cadences: Cadences,
    /// Each user's dashboard, rebuilt after any of their data changed, and each minute of the
    /// server's clock (who was contacted recently counts activities dated up to now).
    dashboards: UserCache<i64, Dashboard>,
    /// The people whose pages the user looked at last, with their cadence: by person, zone and
    /// minute, like the dashboard (the last and next meeting move with the clock).
    people_shown: UserCache<(String, Tz, i64), Person>,
    /// The last pages of people's timelines the user looked at, by person and page.
    timelines: UserCache<(String, u32), Page<Activity>>,
    secure_cookies: bool,
}

impl Services {
    pub fn new(db: Db, secure_cookies: bool, calendar: CalendarSettings) -> Self {
        let people = People::new(db.clone());
        let matcher = Arc::new(Matcher::new(db.clone()));
        let calendars = Arc::new(Calendars::new(db.clone(), matcher.clone(), calendar));
        let activities = Activities::new(db.clone());
        let contacts = Contacts::new(
            people.clone(),
            matcher.clone(),
            activities.clone(),
            calendars.events.clone(),
            MyAddresses::new(db.clone()),
        );
        let cadences = Cadences::new(calendars.events.clone(), activities.clone());
        Self {
            accounts: Accounts::new(db.clone(), SignInThrottle::default()),
            unknown_guests: UnknownGuests::new(contacts.clone(), calendars.events.clone()),
            contacts,
            meetings: Meetings::new(
                calendars.events.clone(),
                calendars.connections.clone(),
                activities.clone(),
                people,
                MeetingNotes::new(db.clone()),
                matcher,
            ),
            activities,
            calendars,
            cadences,
            dashboards: UserCache::new(&[Data::People, Data::Activities, Data::Connections]),
            people_shown: UserCache::new(&[Data::People, Data::Activities, Data::Calendar])
                .keeping(8),
            timelines: UserCache::new(&[Data::People, Data::Activities]).keeping(8),
            db,
            secure_cookies,
        }
    }

    /// Who may sign up (`RONDO_SIGNUP`); open unless told otherwise.
    pub fn with_signup(mut self, mode: SignupMode) -> Self {
        self.accounts.set_signup(mode);
        self
    }

    pub fn people(&self) -> &People {
        &self.contacts.people
    }

    /// What the dashboard shows, read afresh (see `Backend::dashboard` for the cached one).
    async fn load_dashboard(&self, user: &UserInfo) -> Result<Dashboard, StoreError> {
        let people_store = self.people();
        let owner = user.id.as_str();
        let now = self.calendars.settings.clock.now();
        // Independent reads, so together they take as long as the slowest.
        let ((people, favorites), connections, favorite_people, recent, contacted, activities) = tokio::try_join!(
            people_store.counts(owner),
            self.calendars.connections.list_rows(owner),
            people_store.favorites(owner, 24),
            self.activities.recent(people_store, owner, 10),
            self.activities
                .recently_contacted(people_store, owner, now, 8),
            self.activities.count(owner),
        )?;
        Ok(Dashboard {
            favorites: favorite_people,
            recent_activities: recent,
            recently_contacted: contacted,
            counts: Counts {
                people,
                favorites,
                activities,
            },
            has_calendar_connections: !connections.is_empty(),
            needs_attention: connections
                .into_iter()
                .filter(|c| {
                    matches!(
                        c.status,
                        ConnectionStatus::Error | ConnectionStatus::NeedsReauth
                    )
                })
                .map(|c| c.name)
                .collect(),
        })
    }

    /// Matches the events stored before Rondo kept their unknown-guests flag (migration 15)
    /// again, so the Meetings page's "Unmatched" finds them. Cheap once done: one index read
    /// per user with a calendar. Returns how many events were matched.
    pub async fn flag_unknown_guests(&self) -> Result<usize, crate::error::StoreError> {
        let mut owners: Vec<String> = (self.calendars.connections.all_rows().await?)
            .into_iter()
            .map(|c| c.owner)
            .collect();
        owners.dedup();
        let mut matched = 0;
        for owner in owners {
            if self.calendars.events.has_unflagged(&owner).await? {
                matched += self.contacts.rematch_unflagged(&owner).await?;
            }
        }
        Ok(matched)
    }
}

#[async_trait]
impl Backend for Services {
    fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    async fn sign_up(&self, input: SignUpInput) -> AppResult<()> {
        // Created or already there: the same answer, and no session either way.
        self.accounts.sign_up(&input).await?;
        Ok(())
    }

    async fn signup_mode(&self) -> AppResult<SignupMode> {
        Ok(self.accounts.signup_mode().await?)
    }

    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<ClientAddr>,
    ) -> AppResult<NewSession> {
        Ok(self
            .accounts
            .sign_in(email, password, client.map(|c| c.0))
            .await?
            .1)
    }

    async fn sign_out(&self, token: &str) -> AppResult<()> {
        Ok(self.accounts.sign_out(token).await?)
    }

    async fn user_for_session(&self, token: &str) -> AppResult<Option<UserInfo>> {
        Ok(self.accounts.user_for_session(token).await?)
    }

    async fn update_profile(
        &self,
        user: &UserInfo,
        name: &str,
        time_zone: &str,
    ) -> AppResult<UserInfo> {
        Ok(self.accounts.update_profile(user, name, time_zone).await?)
    }

    async fn my_addresses(&self, user: &UserInfo) -> AppResult<Vec<MyAddress>> {
        let stored = self.contacts.my_addresses(&user.id).await?;
        let connections = self.calendars.connections.list_rows(&user.id).await?;
        let name = |id: &str| {
            connections
                .iter()
                .find(|c| c.id == id)
                .map(|c| c.name.clone())
        };
        let account = MyAddress {
            id: String::new(),
            address: user.email.clone(),
            source: MyAddressSource::Account,
            connection: None,
        };
        Ok(std::iter::once(account)
            .chain(stored.into_iter().map(|a| MyAddress {
                source: a.source(),
                connection: a.connection.as_deref().and_then(name),
                id: a.id,
                address: a.address,
            }))
            .collect())
    }

    async fn add_my_address(&self, user: &UserInfo, address: &str) -> AppResult<()> {
        self.contacts.add_my_address(&user.id, address).await?;
        Ok(())
    }

    async fn remove_my_address(&self, user: &UserInfo, id: &str) -> AppResult<()> {
        Ok(self.contacts.remove_my_address(&user.id, id).await?)
    }

    async fn list_people(
        &self,
        user: &UserInfo,
        query: &str,
        page: u32,
        cursor: Option<NameCursor>,
    ) -> AppResult<Page<PersonSummary>> {
        Ok(self
            .people()
            .list(&user.id, query, page, cursor.as_ref())
            .await?)
    }

    async fn get_person(&self, user: &UserInfo, id: &str) -> AppResult<Person> {
        let tz = app::time::parse_tz(&user.time_zone);
        let now = self.calendars.settings.clock.now();
        Ok(self
            .people_shown
            .get_or_load(&user.id, (id.to_string(), tz, minute_of(now)), async {
                let mut person = self.people().get(&user.id, id).await?;
                person.cadence = self.cadences.of(&user.id, id, tz, now).await?;
                Ok::<_, StoreError>(person)
            })
            .await?)
    }

    async fn save_person(&self, user: &UserInfo, input: PersonInput) -> AppResult<String> {
        Ok(self.contacts.save_person(&user.id, input).await?)
    }

    async fn delete_person(&self, user: &UserInfo, id: &str) -> AppResult<()> {
        Ok(self.contacts.delete_person(&user.id, id).await?)
    }

    async fn set_favorite(&self, user: &UserInfo, id: &str, favorite: bool) -> AppResult<()> {
        Ok(self.people().set_favorite(&user.id, id, favorite).await?)
    }

    async fn person_activities(
        &self,
        user: &UserInfo,
        person_id: &str,
        page: u32,
    ) -> AppResult<Page<Activity>> {
        Ok(self
            .timelines
            .get_or_load(
                &user.id,
                (person_id.to_string(), page),
                self.activities
                    .for_person(self.people(), &user.id, person_id, page),
            )
            .await?)
    }

    async fn get_activity(&self, user: &UserInfo, id: &str) -> AppResult<Activity> {
        Ok(self.activities.get(self.people(), &user.id, id).await?)
    }

    async fn save_activity(&self, user: &UserInfo, input: ActivityInput) -> AppResult<String> {
        let activity = self
            .activities
            .validate(self.people(), user, &input)
            .await?;
        match input.id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => {
                self.activities.update(&user.id, id, activity).await?;
                Ok(id.to_string())
            }
            None => Ok(self.activities.create(&user.id, activity).await?),
        }
    }

    async fn delete_activity(&self, user: &UserInfo, id: &str) -> AppResult<()> {
        Ok(self.activities.delete(&user.id, id).await?)
    }

    async fn restore_activity(&self, user: &UserInfo, id: &str) -> AppResult<()> {
        Ok(self.activities.restore(&user.id, id).await?)
    }

    async fn dashboard(&self, user: &UserInfo) -> AppResult<Dashboard> {
        Ok(self
            .dashboards
            .get_or_load(
                &user.id,
                minute_of(self.calendars.settings.clock.now()),
                self.load_dashboard(user),
            )
            .await?)
    }

    async fn list_connections(&self, user: &UserInfo) -> AppResult<Vec<Connection>> {
        Ok(self.calendars.list(&user.id).await?)
    }

    async fn calendar_providers(&self, _user: &UserInfo) -> AppResult<ProviderOptions> {
        Ok(ProviderOptions {
            google_configured: self.calendars.google.configured(),
            google_redirect_uri: self.calendars.google.settings.redirect_uri(),
        })
    }

    async fn test_caldav(
        &self,
        user: &UserInfo,
        server_url: &str,
        username: &str,
        password: &str,
    ) -> AppResult<Vec<DiscoveredCalendar>> {
        Ok(self
            .calendars
            .test_caldav(&user.id, server_url, username, password)
            .await?)
    }

    async fn create_caldav(&self, user: &UserInfo, input: CalDavInput) -> AppResult<Connection> {
        Ok(self.calendars.create_caldav(user, input).await?)
    }

    async fn update_connection(
        &self,
        user: &UserInfo,
        update: ConnectionUpdate,
    ) -> AppResult<Connection> {
        Ok(self.calendars.update(user, update).await?)
    }

    async fn delete_connection(&self, user: &UserInfo, id: &str) -> AppResult<()> {
        Ok(self.calendars.delete(user, id).await?)
    }

    async fn sync_connection(&self, user: &UserInfo, id: &str) -> AppResult<SyncReport> {
        // In its own task, so leaving the page does not stop it; the answer waits for it (or
        // for the sync already running, which it joins).
        let running = self.calendars.start_sync(&user.id, id).await?;
        Ok(running.report().await)
    }

    async fn connection_history(&self, user: &UserInfo, id: &str) -> AppResult<Vec<SyncRun>> {
        Ok(self.calendars.history(&user.id, id).await?)
    }

    async fn person_meetings(
        &self,
        user: &UserInfo,
        person_id: &str,
        scope: MeetingScope,
        page: u32,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<Page<Meeting>> {
        let tz = app::time::parse_tz(&user.time_zone);
        Ok(self
            .meetings
            .for_person(
                &user.id,
                tz,
                person_id,
                scope,
                page,
                from,
                to,
                self.calendars.settings.clock.now(),
            )
            .await?)
    }

    async fn list_meetings(
        &self,
        user: &UserInfo,
        when: MeetingsWhen,
        unmatched: bool,
        page: u32,
    ) -> AppResult<MeetingList> {
        let tz = app::time::parse_tz(&user.time_zone);
        let now = self.calendars.settings.clock.now();
        Ok(self
            .meetings
            .list(&user.id, tz, (when, unmatched), page, now)
            .await?)
    }

    async fn add_unknown_guests(&self, user: &UserInfo, event_id: &str) -> AppResult<u32> {
        Ok(self.unknown_guests.add_all(&user.id, event_id).await?)
    }

    async fn get_meeting(&self, user: &UserInfo, id: &str) -> AppResult<MeetingDetail> {
        Ok(self.meetings.detail(&user.id, id).await?)
    }

    async fn save_meeting_notes(&self, user: &UserInfo, id: &str, notes: &str) -> AppResult<()> {
        Ok(self.meetings.save_notes(&user.id, id, notes).await?)
    }

    async fn log_meeting(&self, user: &UserInfo, event_id: &str) -> AppResult<String> {
        Ok(self
            .meetings
            .log(
                &user.id,
                app::time::parse_tz(&user.time_zone),
                event_id,
                self.calendars.settings.clock.now(),
            )
            .await?)
    }

    async fn add_attendee_person(
        &self,
        user: &UserInfo,
        email: &str,
        name: &str,
    ) -> AppResult<String> {
        Ok(self.contacts.add_attendee(&user.id, email, name).await?)
    }

    async fn link_attendee(&self, user: &UserInfo, person_id: &str, email: &str) -> AppResult<()> {
        Ok(self
            .contacts
            .link_attendee(&user.id, person_id, email)
            .await?)
    }

    async fn todays_meetings(
        &self,
        user: &UserInfo,
        day: Option<&str>,
        all: bool,
    ) -> AppResult<MeetingsToday> {
        let tz = app::time::parse_tz(&user.time_zone);
        Ok(self
            .meetings
            .on_day(&user.id, tz, day, self.calendars.settings.clock.now(), all)
            .await?)
    }
}
