//! `Services` owns the stores and implements the app's `Backend` contract, mapping domain
//! errors to user-facing ones in one place (`From<StoreError> for AppError`).
use async_trait::async_trait;

use app::api::backend::{Backend, NewSession};
use app::error::AppResult;
use app::models::*;

use crate::activities::Activities;
use crate::auth::{Accounts, SignInThrottle};
use crate::calendar::service::{CalendarSettings, Calendars};
use crate::calendar::store::CalendarStore;
use crate::db::Db;
use crate::people::People;

pub struct Services {
    pub db: Db,
    pub accounts: Accounts,
    pub people: People,
    pub activities: Activities,
    pub calendars: Calendars,
    secure_cookies: bool,
}

impl Services {
    pub fn new(db: Db, secure_cookies: bool, calendar: CalendarSettings) -> Self {
        Self {
            accounts: Accounts::new(db.clone(), SignInThrottle::default()),
            people: People::new(db.clone()),
            activities: Activities::new(db.clone()),
            calendars: Calendars::new(CalendarStore::new(db.clone()), calendar),
            db,
            secure_cookies,
        }
    }
}

#[async_trait]
impl Backend for Services {
    fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    async fn sign_up(&self, email: &str, password: &str, name: &str, time_zone: &str) -> AppResult<NewSession> {
        Ok(self.accounts.sign_up(email, password, name, time_zone).await?.1)
    }

    async fn sign_in(&self, email: &str, password: &str) -> AppResult<NewSession> {
        Ok(self.accounts.sign_in(email, password).await?.1)
    }

    async fn sign_out(&self, token: &str) -> AppResult<()> {
        Ok(self.accounts.sign_out(token).await?)
    }

    async fn user_for_session(&self, token: &str) -> AppResult<Option<UserInfo>> {
        Ok(self.accounts.user_for_session(token).await?)
    }

    async fn update_profile(&self, user: &UserInfo, name: &str, time_zone: &str) -> AppResult<UserInfo> {
        Ok(self.accounts.update_profile(user, name, time_zone).await?)
    }

    async fn list_people(&self, user: &UserInfo, query: &str, page: u32) -> AppResult<Page<PersonSummary>> {
        Ok(self.people.list(&user.id, query, page).await?)
    }

    async fn get_person(&self, user: &UserInfo, id: &str) -> AppResult<Person> {
        Ok(self.people.get(&user.id, id).await?)
    }

    async fn save_person(&self, user: &UserInfo, input: PersonInput) -> AppResult<String> {
        Ok(self.people.save(&user.id, input).await?)
    }

    async fn delete_person(&self, user: &UserInfo, id: &str) -> AppResult<()> {
        Ok(self.people.delete(&user.id, id).await?)
    }

    async fn set_favorite(&self, user: &UserInfo, id: &str, favorite: bool) -> AppResult<()> {
        Ok(self.people.set_favorite(&user.id, id, favorite).await?)
    }

    async fn person_activities(&self, user: &UserInfo, person_id: &str, page: u32) -> AppResult<Page<Activity>> {
        Ok(self.activities.for_person(&self.people, &user.id, person_id, page).await?)
    }

    async fn get_activity(&self, user: &UserInfo, id: &str) -> AppResult<Activity> {
        Ok(self.activities.get(&self.people, &user.id, id).await?)
    }

    async fn save_activity(&self, user: &UserInfo, input: ActivityInput) -> AppResult<String> {
        let activity = self.activities.validate(&self.people, user, &input).await?;
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

    async fn dashboard(&self, user: &UserInfo) -> AppResult<Dashboard> {
        let (people, favorites) = self.people.counts(&user.id).await?;
        Ok(Dashboard {
            favorites: self.people.favorites(&user.id, 24).await?,
            recent_activities: self.activities.recent(&self.people, &user.id, 10).await?,
            counts: Counts { people, favorites, activities: self.activities.count(&user.id).await? },
            has_calendar_connections: !self.calendars.store.list(&user.id).await?.is_empty(),
        })
    }

    async fn list_connections(&self, user: &UserInfo) -> AppResult<Vec<Connection>> {
        Ok(self.calendars.store.list(&user.id).await?)
    }

    async fn test_caldav(&self, _user: &UserInfo, server_url: &str, username: &str, password: &str) -> AppResult<Vec<DiscoveredCalendar>> {
        Ok(self.calendars.test_caldav(server_url, username, password).await?)
    }

    async fn create_caldav(&self, user: &UserInfo, input: CalDavInput) -> AppResult<Connection> {
        Ok(self.calendars.create_caldav(user, input).await?)
    }

    async fn update_connection(&self, user: &UserInfo, update: ConnectionUpdate) -> AppResult<Connection> {
        Ok(self.calendars.update(user, update).await?)
    }

    async fn delete_connection(&self, user: &UserInfo, id: &str) -> AppResult<()> {
        Ok(self.calendars.delete(user, id).await?)
    }

    async fn sync_connection(&self, user: &UserInfo, id: &str) -> AppResult<SyncReport> {
        Ok(self.calendars.sync(&user.id, id).await?)
    }
}
