//! `Services` owns the stores and implements the app's `Backend` contract, mapping domain
//! errors to user-facing ones in one place (`From<StoreError> for AppError`).
use async_trait::async_trait;

use app::api::backend::{Backend, NewSession};
use app::error::AppResult;
use app::models::*;

use crate::activities::Activities;
use crate::auth::{Accounts, SignInThrottle};
use crate::calendar::service::{CalendarSettings, Calendars};
use std::sync::Arc;

use crate::calendar::meetings::Meetings;
use crate::calendar::store::CalendarStore;
use crate::db::Db;
use crate::matcher::index::lookup_keys;
use crate::matcher::service::Matcher;
use crate::people::People;

pub struct Services {
    pub db: Db,
    pub accounts: Accounts,
    pub people: People,
    pub activities: Activities,
    pub calendars: Calendars,
    pub meetings: Meetings,
    pub matcher: Arc<Matcher>,
    secure_cookies: bool,
}

impl Services {
    pub fn new(db: Db, secure_cookies: bool, calendar: CalendarSettings) -> Self {
        let matcher = Arc::new(Matcher::new(db.clone()));
        Self {
            accounts: Accounts::new(db.clone(), SignInThrottle::default()),
            people: People::new(db.clone()),
            activities: Activities::new(db.clone()),
            calendars: Calendars::new(CalendarStore::new(db.clone()), matcher.clone(), calendar),
            meetings: Meetings::new(db.clone()),
            matcher,
            db,
            secure_cookies,
        }
    }

    /// Re-links meetings after a person's addresses changed (`before` and `after` both count:
    /// a removed address unlinks, an added one links).
    async fn people_changed(
        &self,
        owner: &str,
        person: &str,
        before: &[EmailAddress],
        after: &[EmailAddress],
    ) -> Result<(), crate::error::StoreError> {
        let keys: Vec<String> = before
            .iter()
            .chain(after)
            .flat_map(|e| lookup_keys(&e.address))
            .collect();
        self.matcher
            .rematch(owner, &keys, &[person.to_string()])
            .await?;
        Ok(())
    }

    async fn emails_of(&self, owner: &str, id: Option<&str>) -> Vec<EmailAddress> {
        match id.filter(|id| !id.is_empty()) {
            Some(id) => self
                .people
                .get(owner, id)
                .await
                .map(|p| p.emails)
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

#[async_trait]
impl Backend for Services {
    fn secure_cookies(&self) -> bool {
        self.secure_cookies
    }

    async fn sign_up(
        &self,
        email: &str,
        password: &str,
        name: &str,
        time_zone: &str,
    ) -> AppResult<NewSession> {
        Ok(self
            .accounts
            .sign_up(email, password, name, time_zone)
            .await?
            .1)
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

    async fn update_profile(
        &self,
        user: &UserInfo,
        name: &str,
        time_zone: &str,
    ) -> AppResult<UserInfo> {
        Ok(self.accounts.update_profile(user, name, time_zone).await?)
    }

    async fn list_people(
        &self,
        user: &UserInfo,
        query: &str,
        page: u32,
    ) -> AppResult<Page<PersonSummary>> {
        Ok(self.people.list(&user.id, query, page).await?)
    }

    async fn get_person(&self, user: &UserInfo, id: &str) -> AppResult<Person> {
        Ok(self.people.get(&user.id, id).await?)
    }

    async fn save_person(&self, user: &UserInfo, input: PersonInput) -> AppResult<String> {
        let before = self.emails_of(&user.id, input.id.as_deref()).await;
        let after = input.emails.clone();
        let id = self.people.save(&user.id, input).await?;
        self.people_changed(&user.id, &id, &before, &after).await?;
        Ok(id)
    }

    async fn delete_person(&self, user: &UserInfo, id: &str) -> AppResult<()> {
        let before = self.emails_of(&user.id, Some(id)).await;
        self.people.delete(&user.id, id).await?;
        self.people_changed(&user.id, id, &before, &[]).await?;
        Ok(())
    }

    async fn set_favorite(&self, user: &UserInfo, id: &str, favorite: bool) -> AppResult<()> {
        Ok(self.people.set_favorite(&user.id, id, favorite).await?)
    }

    async fn person_activities(
        &self,
        user: &UserInfo,
        person_id: &str,
        page: u32,
    ) -> AppResult<Page<Activity>> {
        Ok(self
            .activities
            .for_person(&self.people, &user.id, person_id, page)
            .await?)
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
            counts: Counts {
                people,
                favorites,
                activities: self.activities.count(&user.id).await?,
            },
            has_calendar_connections: !self.calendars.store.list(&user.id).await?.is_empty(),
        })
    }

    async fn list_connections(&self, user: &UserInfo) -> AppResult<Vec<Connection>> {
        Ok(self.calendars.store.list(&user.id).await?)
    }

    async fn calendar_providers(&self, _user: &UserInfo) -> AppResult<ProviderOptions> {
        Ok(ProviderOptions {
            google_configured: self.calendars.google_configured(),
            google_redirect_uri: self.calendars.settings.google.redirect_uri(),
        })
    }

    async fn test_caldav(
        &self,
        _user: &UserInfo,
        server_url: &str,
        username: &str,
        password: &str,
    ) -> AppResult<Vec<DiscoveredCalendar>> {
        Ok(self
            .calendars
            .test_caldav(server_url, username, password)
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
        Ok(self.calendars.sync(&user.id, id).await?)
    }

    async fn connection_history(&self, user: &UserInfo, id: &str) -> AppResult<Vec<SyncRun>> {
        self.calendars.store.row(&user.id, id).await?;
        Ok(self.calendars.store.history(&user.id, id).await?)
    }

    async fn person_meetings(
        &self,
        user: &UserInfo,
        person_id: &str,
        scope: &str,
        page: u32,
        from: Option<&str>,
        to: Option<&str>,
    ) -> AppResult<Page<Meeting>> {
        let tz = app::time::parse_tz(&user.time_zone);
        Ok(self
            .meetings
            .for_person(
                &self.people,
                &user.id,
                tz,
                person_id,
                scope,
                page,
                from,
                to,
                chrono::Utc::now(),
            )
            .await?)
    }

    async fn log_meeting(&self, user: &UserInfo, event_id: &str) -> AppResult<String> {
        Ok(self
            .meetings
            .log(&self.activities, &user.id, event_id, chrono::Utc::now())
            .await?)
    }

    async fn add_attendee_person(
        &self,
        user: &UserInfo,
        email: &str,
        name: &str,
    ) -> AppResult<String> {
        let (first_name, last_name) = split_name(name, email);
        let input = PersonInput {
            first_name,
            last_name,
            emails: vec![EmailAddress {
                address: email.trim().to_string(),
                label: "work".into(),
                primary: true,
            }],
            primary_email: Some(0),
            ..Default::default()
        };
        self.save_person(user, input).await
    }

    async fn link_attendee(&self, user: &UserInfo, person_id: &str, email: &str) -> AppResult<()> {
        let person = self.people.get(&user.id, person_id).await?;
        let mut input = person.to_input();
        let wanted = crate::auth::normalize_email(email);
        if !person
            .emails
            .iter()
            .any(|e| crate::auth::normalize_email(&e.address) == wanted)
        {
            input.emails.push(EmailAddress {
                address: email.trim().to_string(),
                label: "other".into(),
                primary: person.emails.is_empty(),
            });
        }
        self.save_person(user, input).await?;
        Ok(())
    }

    async fn todays_meetings(&self, user: &UserInfo) -> AppResult<Vec<Meeting>> {
        let tz = app::time::parse_tz(&user.time_zone);
        Ok(self
            .meetings
            .today(&self.people, &user.id, tz, chrono::Utc::now())
            .await?)
    }
}

/// "Doe, Jane" or "Jane Doe" → ("Jane", "Doe"); without a name, from a `jane.doe@` address.
fn split_name(name: &str, email: &str) -> (String, String) {
    let reordered = crate::matcher::index::reading_order(name);
    let from_address = || {
        let local = email
            .split('@')
            .next()
            .unwrap_or_default()
            .split('+')
            .next()
            .unwrap_or_default();
        local
            .split(['.', '_', '-'])
            .filter(|p| !p.is_empty())
            .map(capitalize)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let full = if reordered.is_empty() || reordered.contains('@') {
        from_address()
    } else {
        reordered
    };
    match full.rsplit_once(' ') {
        Some((first, last)) => (first.trim().to_string(), last.trim().to_string()),
        None => (full, String::new()),
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::split_name;

    #[test]
    fn attendee_names_become_first_and_last_names() {
        assert_eq!(split_name("Jane Doe", "x@y"), ("Jane".into(), "Doe".into()));
        assert_eq!(
            split_name("Doe, Jane", "x@y"),
            ("Jane".into(), "Doe".into())
        );
        assert_eq!(
            split_name("Mary Ann van Dijk", "x@y"),
            ("Mary Ann van".into(), "Dijk".into())
        );
        assert_eq!(
            split_name("", "jane.doe+news@y.example"),
            ("Jane".into(), "Doe".into())
        );
        assert_eq!(
            split_name("jane@y.example", "jane@y.example"),
            ("Jane".into(), String::new())
        );
    }
}
