//! People and their email addresses, always scoped to an owner (the signed-in user).
use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use surrealdb::types::{RecordId, SurrealValue};

use app::limits;
use app::models::{
    EmailAddress, NameCursor, Page, Person, PersonInput, PersonRef, PersonSummary, PhoneNumber,
    PEOPLE_PER_PAGE,
};

use crate::auth::validate_email;
use crate::db::{count_of, inlined, CountRow, Db, Literal};
use crate::error::{within, StoreError};
use crate::freshness::{touched, Data, UserCache};
use crate::ids::{new_id, record};
use crate::matcher::index::gmail_key;
use crate::text::{fold, normalize_email};

#[derive(Debug, Clone, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct PhoneRow {
    pub number: String,
    pub label: String,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct PersonRow {
    id: String,
    first_name: String,
    last_name: String,
    organization: String,
    job_title: String,
    notes: String,
    favorite: bool,
    primary_email: Option<String>,
    phones: Vec<PhoneRow>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct SummaryRow {
    id: String,
    sort_name: String,
    first_name: String,
    last_name: String,
    organization: String,
    job_title: String,
    favorite: bool,
    primary_email: Option<String>,
}

impl From<SummaryRow> for PersonSummary {
    fn from(r: SummaryRow) -> Self {
        PersonSummary {
            id: r.id,
            first_name: r.first_name,
            last_name: r.last_name,
            organization: r.organization,
            job_title: r.job_title,
            primary_email: r.primary_email,
            favorite: r.favorite,
        }
    }
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct EmailRow {
    person: String,
    address: String,
    label: String,
    primary: bool,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct GmailRow {
    person: String,
    address: String,
    normalized: String,
}

/// Everyone's names and normalized addresses: what the matcher indexes.
#[derive(Debug, Default)]
pub struct Directory {
    pub names: Vec<DirectoryName>,
    pub emails: Vec<DirectoryEmail>,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DirectoryName {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct DirectoryEmail {
    pub person: String,
    pub normalized: String,
    pub primary: bool,
}

type Query<'a> = surrealdb::method::Query<'a, surrealdb::engine::any::Any>;

/// Binds search terms as `$t0`, `$t1`… (the names the search filter uses).
fn bind_terms<'a>(mut query: Query<'a>, terms: &[String]) -> Query<'a> {
    for (i, t) in terms.iter().enumerate() {
        query = query.bind((format!("t{i}"), t.clone()));
    }
    query
}

pub(crate) const SUMMARY_FIELDS: &str =
    "record::id(id) AS id, sort_name, first_name, last_name, organization, job_title, favorite, primary_email";

/// A person's emails after validation: trimmed as entered, normalized key, exactly one primary.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanEmail {
    pub address: String,
    pub normalized: String,
    pub label: String,
    pub primary: bool,
}

pub fn clean_emails(
    emails: &[EmailAddress],
    primary_index: Option<usize>,
) -> Result<Vec<CleanEmail>, StoreError> {
    let mut seen = HashSet::new();
    let mut clean = Vec::new();
    let mut primary_at = None;
    for (i, e) in emails.iter().enumerate() {
        let address = e.address.trim();
        if address.is_empty() {
            continue;
        }
        validate_email(address)?;
        let normalized = normalize_email(address);
        if !seen.insert(normalized.clone()) {
            return Err(StoreError::Invalid(format!("{address} is listed twice.")));
        }
        if primary_index == Some(i) || (primary_index.is_none() && e.primary) {
            primary_at = Some(clean.len());
        }
        clean.push(CleanEmail {
            address: address.to_string(),
            normalized,
            label: e.label.trim().to_lowercase(),
            primary: false,
        });
    }
    if let Some(first) = clean.get_mut(primary_at.unwrap_or(0)) {
        first.primary = true;
    }
    Ok(clean)
}

/// Every field of a person form within [`limits`] (emails are checked by `validate_email`).
fn check_lengths(input: &PersonInput) -> Result<(), StoreError> {
    within("The first name", input.first_name.trim(), limits::NAME)?;
    within("The last name", input.last_name.trim(), limits::NAME)?;
    within(
        "The organization",
        input.organization.trim(),
        limits::ORGANIZATION,
    )?;
    within("The job title", input.job_title.trim(), limits::JOB_TITLE)?;
    within("The notes", input.notes.trim(), limits::NOTES)?;
    if input.emails.len() > limits::ENTRIES || input.phones.len() > limits::ENTRIES {
        return Err(StoreError::Invalid(format!(
            "A person can have at most {} email addresses and {} phone numbers.",
            limits::ENTRIES,
            limits::ENTRIES
        )));
    }
    for email in &input.emails {
        within("An email label", email.label.trim(), limits::LABEL)?;
    }
    for phone in &input.phones {
        within("A phone number", phone.number.trim(), limits::PHONE)?;
        within("A phone label", phone.label.trim(), limits::LABEL)?;
    }
    Ok(())
}

/// People created in bulk (demo data): stored as given, in one statement per batch.
#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ImportedPerson {
    pub id: RecordId,
    pub owner: String,
    pub first_name: String,
    pub last_name: String,
    pub sort_name: String,
    pub organization: String,
    pub job_title: String,
    pub notes: String,
    pub favorite: bool,
    pub primary_email: Option<String>,
    pub phones: Vec<PhoneRow>,
    pub search_text: String,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
pub struct ImportedEmail {
    pub owner: String,
    pub person: String,
    pub address: String,
    pub normalized: String,
    pub label: String,
    pub primary: bool,
    pub position: i64,
}

#[derive(Clone)]
pub struct People {
    db: Db,
    /// The last person of each page of each user's whole list (no search), in list order:
    /// a page asked for by number is read from the index right after the page before's last
    /// person instead of skipping everyone before it (page 200 of 10,000 people: 0.4 s).
    page_ends: Arc<UserCache<(), Arc<Vec<String>>>>,
    /// How many people each user has, and how many favorites: counted from index keys (8 ms at
    /// 10,000 people), shown on the dashboard and every people-list page.
    counted: Arc<UserCache<(), (u64, u64)>>,
}

impl People {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            page_ends: Arc::new(UserCache::new(&[Data::People])),
            counted: Arc::new(UserCache::new(&[Data::People])),
        }
    }

    /// Stores a batch of people with their addresses as given. The caller re-matches meetings.
    pub async fn import(
        &self,
        people: Vec<ImportedPerson>,
        emails: Vec<ImportedEmail>,
    ) -> Result<(), StoreError> {
        let owners: HashSet<String> = people.iter().map(|p| p.owner.clone()).collect();
        let imported = self
            .db
            .query("INSERT INTO person $people; INSERT INTO person_email $emails;")
            .bind(("people", people))
            .bind(("emails", emails))
            .await;
        // Either statement may have gone through.
        for owner in owners {
            touched(&owner, Data::People).await;
        }
        imported?.check()?;
        Ok(())
    }

    /// All of a user's people's names and addresses, for the match index.
    pub async fn directory(&self, owner: &str) -> Result<Directory, StoreError> {
        let mut response = self
            .db
            .query("SELECT record::id(id) AS id, first_name, last_name FROM person WHERE owner = $owner; SELECT person, normalized, primary FROM person_email WHERE owner = $owner;")
            .bind(("owner", owner.to_string()))
            .await?;
        Ok(Directory {
            names: response.take(0)?,
            emails: response.take(1)?,
        })
    }

    /// One page of the owner's people in name order, optionally narrowed by search terms. With a
    /// cursor (a person of the neighbouring page) the page is read from the name index there, so
    /// a deep page costs what the first does; without one, or when that person is gone, the rows
    /// before the page number are skipped.
    pub async fn list(
        &self,
        owner: &str,
        query: &str,
        page: u32,
        cursor: Option<&NameCursor>,
    ) -> Result<Page<PersonSummary>, StoreError> {
        let page = page.max(1);
        let terms: Vec<String> = fold(query)
            .split(' ')
            .filter(|t| !t.is_empty())
            .take(8)
            .map(str::to_string)
            .collect();
        let filter: String = (0..terms.len())
            .map(|i| format!(" AND search_text CONTAINS $t{i}"))
            .collect();
        let page_before_ends = match (cursor, page) {
            (None, 2..) if terms.is_empty() => {
                self.page_end(owner, page - 1).await?.map(NameCursor::After)
            }
            _ => None,
        };
        let near = match cursor.or(page_before_ends.as_ref()) {
            Some(cursor) => self.page_next_to(owner, &filter, &terms, cursor).await?,
            None => None,
        };
        let rows = async {
            if let Some(rows) = near {
                return Ok(rows);
            }
            let sql = format!(
                "SELECT {SUMMARY_FIELDS} FROM person WHERE owner = $owner{filter} ORDER BY sort_name LIMIT $limit START $start"
            );
            let rows: Vec<SummaryRow> = bind_terms(self.db.query(sql), &terms)
                .bind(("owner", owner.to_string()))
                .bind(("limit", PEOPLE_PER_PAGE as i64))
                .bind(("start", ((page - 1) * PEOPLE_PER_PAGE) as i64))
                .await?
                .take(0)?;
            Ok::<_, StoreError>(rows)
        };
        // The whole list's total is kept; a search's is counted each time.
        let total = async {
            if terms.is_empty() {
                return Ok(self.counts(owner).await?.0);
            }
            let sql = inlined(
                &format!("SELECT count() AS n FROM person WHERE owner = $owner{filter} GROUP ALL"),
                &[("owner", Literal::key(owner)?)],
            );
            let counted: Option<CountRow> =
                bind_terms(self.db.query(sql), &terms).await?.take(0)?;
            Ok::<_, StoreError>(count_of(counted))
        };
        let (rows, total) = tokio::try_join!(rows, total)?;
        Ok(Page {
            items: rows.into_iter().map(Into::into).collect(),
            total,
            page,
            per_page: PEOPLE_PER_PAGE,
        })
    }

    /// The last person on the given page of the user's whole list, if it has that many pages.
    async fn page_end(&self, owner: &str, page: u32) -> Result<Option<String>, StoreError> {
        let ends = self
            .page_ends
            .get_or_load(owner, (), async {
                let ids: Vec<String> = self
                    .db
                    .query(inlined(
                        "SELECT VALUE record::id(id) FROM person WHERE owner = $owner ORDER BY sort_name",
                        &[("owner", Literal::key(owner)?)],
                    ))
                    .await?
                    .take(0)?;
                let per_page = PEOPLE_PER_PAGE as usize;
                Ok::<_, StoreError>(Arc::new(
                    ids.into_iter()
                        .skip(per_page - 1)
                        .step_by(per_page)
                        .collect(),
                ))
            })
            .await?;
        Ok(ends.get(page as usize - 1).cloned())
    }

    /// The page after (or before) the cursor's person, read from the `(owner, sort_name)` index
    /// from that name on. People of the same name follow each other in id order there, so the
    /// ones up to the cursor are dropped here; `None` when the cursor's person is gone or
    /// nothing is left on that side (the caller falls back to the page number).
    async fn page_next_to(
        &self,
        owner: &str,
        filter: &str,
        terms: &[String],
        cursor: &NameCursor,
    ) -> Result<Option<Vec<SummaryRow>>, StoreError> {
        let (id, forward) = match cursor {
            NameCursor::After(id) => (id, true),
            NameCursor::Before(id) => (id, false),
        };
        let Some(person) = record("person", id) else {
            return Ok(None);
        };
        let Some(name): Option<String> = self
            .db
            .query("SELECT VALUE sort_name FROM ONLY $person WHERE owner = $owner")
            .bind(("person", person))
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?
        else {
            return Ok(None);
        };
        let (range, order) = if forward {
            (">=", "ASC")
        } else {
            ("<=", "DESC")
        };
        let sql = format!(
            "SELECT {SUMMARY_FIELDS} FROM person WHERE owner = $owner AND sort_name {range} $name{filter} ORDER BY sort_name {order} LIMIT $limit"
        );
        let per_page = PEOPLE_PER_PAGE as usize;
        // Room for a few namesakes before the cursor; read again with more if they fill it.
        let mut limit = per_page + 8;
        loop {
            let fetched: Vec<SummaryRow> = bind_terms(self.db.query(&sql), terms)
                .bind(("owner", owner.to_string()))
                .bind(("name", name.clone()))
                .bind(("limit", limit as i64))
                .await?
                .take(0)?;
            let read_all = fetched.len() < limit;
            let mut rows: Vec<SummaryRow> = fetched
                .into_iter()
                .skip_while(|row| {
                    row.sort_name == name
                        && if forward {
                            row.id <= *id
                        } else {
                            row.id >= *id
                        }
                })
                .take(per_page)
                .collect();
            if rows.len() == per_page || read_all {
                if !forward {
                    rows.reverse();
                }
                return Ok((!rows.is_empty()).then_some(rows));
            }
            limit *= 2;
        }
    }

    pub async fn favorites(
        &self,
        owner: &str,
        limit: i64,
    ) -> Result<Vec<PersonSummary>, StoreError> {
        let rows: Vec<SummaryRow> = self
            .db
            .query(format!("SELECT {SUMMARY_FIELDS} FROM person WHERE owner = $owner AND favorite = true ORDER BY sort_name LIMIT $limit"))
            .bind(("owner", owner.to_string()))
            .bind(("limit", limit))
            .await?
            .take(0)?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// How many people the user has, and how many of them are favorites (kept until their
    /// people change).
    pub async fn counts(&self, owner: &str) -> Result<(u64, u64), StoreError> {
        self.counted
            .get_or_load(owner, (), async {
                let mut response = self
                    .db
                    .query(inlined(
                        "SELECT count() AS n FROM person WHERE owner = $owner GROUP ALL; SELECT count() AS n FROM person WHERE owner = $owner AND favorite = true GROUP ALL;",
                        &[("owner", Literal::key(owner)?)],
                    ))
                    .await?;
                Ok::<_, StoreError>((count_of(response.take(0)?), count_of(response.take(1)?)))
            })
            .await
    }

    fn rid(id: &str) -> Result<RecordId, StoreError> {
        record("person", id).ok_or(StoreError::NotFound("person"))
    }

    pub async fn get(&self, owner: &str, id: &str) -> Result<Person, StoreError> {
        let mut response = self
            .db
            .query(
                "SELECT record::id(id) AS id, first_name, last_name, organization, job_title, notes, favorite, primary_email, phones, created_at, updated_at FROM $rid WHERE owner = $owner;
                 SELECT person, address, label, primary, position FROM person_email WHERE owner = $owner AND person = $id ORDER BY position;",
            )
            .bind(("rid", Self::rid(id)?))
            .bind(("id", id.to_string()))
            .bind(("owner", owner.to_string()))
            .await?;
        let row: Option<PersonRow> = response.take(0)?;
        let emails: Vec<EmailRow> = response.take(1)?;
        let row = row.ok_or(StoreError::NotFound("person"))?;
        Ok(Person {
            id: row.id,
            first_name: row.first_name,
            last_name: row.last_name,
            emails: emails
                .into_iter()
                .map(|e| EmailAddress {
                    address: e.address,
                    label: e.label,
                    primary: e.primary,
                })
                .collect(),
            phones: row
                .phones
                .into_iter()
                .map(|p| PhoneNumber {
                    number: p.number,
                    label: p.label,
                })
                .collect(),
            organization: row.organization,
            job_title: row.job_title,
            notes: row.notes,
            favorite: row.favorite,
            created_at: row.created_at,
            updated_at: row.updated_at,
            cadence: Default::default(),
        })
    }

    /// Names of the given people that belong to `owner`, in no particular order.
    pub async fn refs(&self, owner: &str, ids: &[String]) -> Result<Vec<PersonRef>, StoreError> {
        #[derive(Debug, SurrealValue)]
        #[surreal(crate = "surrealdb::types")]
        struct NameRow {
            id: String,
            first_name: String,
            last_name: String,
        }
        let rids: Vec<RecordId> = ids.iter().filter_map(|id| record("person", id)).collect();
        if rids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<NameRow> = self
            .db
            .query("SELECT record::id(id) AS id, first_name, last_name FROM $rids WHERE owner = $owner")
            .bind(("rids", rids))
            .bind(("owner", owner.to_string()))
            .await?
            .take(0)?;
        Ok(rows
            .into_iter()
            .map(|r| PersonRef {
                name: app::models::full_name(&r.first_name, &r.last_name),
                id: r.id,
            })
            .collect())
    }

    /// Which of `addresses` (normalized) already belong to someone other than `except`, also as
    /// a Gmail alias (the matcher's `gmail_key`: dots, `+tags`, googlemail.com): each as the
    /// address to name in the error, and the person it belongs to.
    async fn email_owners(
        &self,
        owner: &str,
        addresses: &[String],
        except: Option<&str>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut response = self
            .db
            .query(
                "SELECT person, address, label, primary FROM person_email WHERE owner = $owner AND normalized IN $addresses;
                 SELECT person, address, normalized FROM person_email WHERE owner = $owner
                   AND (string::ends_with(normalized, '@gmail.com') OR string::ends_with(normalized, '@googlemail.com'));",
            )
            .bind(("owner", owner.to_string()))
            .bind(("addresses", addresses.to_vec()))
            .await?;
        let taken: Vec<EmailRow> = response.take(0)?;
        let gmail: Vec<GmailRow> = response.take(1)?;
        let mut owners: Vec<(String, String)> = taken
            .into_iter()
            .filter(|e| Some(e.person.as_str()) != except)
            .map(|e| (e.address, e.person))
            .collect();
        for address in addresses {
            let Some(key) = gmail_key(address) else {
                continue;
            };
            if let Some(row) = gmail.iter().find(|row| {
                Some(row.person.as_str()) != except
                    && row.normalized != *address
                    && gmail_key(&row.normalized).as_deref() == Some(key.as_str())
            }) {
                owners.push((
                    format!("{address} (a Gmail alias of {})", row.address),
                    row.person.clone(),
                ));
            }
        }
        Ok(owners)
    }

    /// Who of the user's people has `address` (also as a Gmail alias): the address as they
    /// have it, and their name.
    pub async fn holder_of(
        &self,
        owner: &str,
        address: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let Some((shown, person)) = self
            .email_owners(owner, &[normalize_email(address)], None)
            .await?
            .into_iter()
            .next()
        else {
            return Ok(None);
        };
        let name = self
            .refs(owner, &[person])
            .await?
            .pop()
            .map(|r| r.name)
            .unwrap_or_else(|| "one of your people".into());
        Ok(Some((shown, name)))
    }

    pub async fn save(&self, owner: &str, input: PersonInput) -> Result<String, StoreError> {
        let first_name = input.first_name.trim().to_string();
        let last_name = input.last_name.trim().to_string();
        check_lengths(&input)?;
        let emails = clean_emails(&input.emails, input.primary_email)?;
        if first_name.is_empty() && last_name.is_empty() && emails.is_empty() {
            return Err(StoreError::Invalid(
                "Give the person a name or an email address.".into(),
            ));
        }
        let id = match input.id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => {
                self.get(owner, id).await?; // proves ownership
                id.to_string()
            }
            None => new_id(),
        };
        let normalized: Vec<String> = emails.iter().map(|e| e.normalized.clone()).collect();
        if let Some((address, other)) = self
            .email_owners(owner, &normalized, Some(&id))
            .await?
            .into_iter()
            .next()
        {
            let name = self
                .refs(owner, &[other])
                .await?
                .pop()
                .map(|r| r.name)
                .unwrap_or_else(|| "another person".into());
            return Err(StoreError::Conflict(format!(
                "{address} already belongs to {name}."
            )));
        }
        let phones: Vec<PhoneRow> = input
            .phones
            .iter()
            .filter(|p| !p.number.trim().is_empty())
            .map(|p| PhoneRow {
                number: p.number.trim().to_string(),
                label: p.label.trim().to_lowercase(),
            })
            .collect();
        let organization = input.organization.trim().to_string();
        let job_title = input.job_title.trim().to_string();
        let search_text = fold(&format!(
            "{first_name} {last_name} {organization} {job_title} {}",
            emails
                .iter()
                .map(|e| e.normalized.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ));
        let email_rows: Vec<EmailInsert> = emails
            .iter()
            .enumerate()
            .map(|(i, e)| EmailInsert {
                owner: owner.to_string(),
                person: id.clone(),
                address: e.address.clone(),
                normalized: e.normalized.clone(),
                label: e.label.clone(),
                primary: e.primary,
                position: i as i64,
            })
            .collect();
        let result = self
            .db
            .query(
                "BEGIN TRANSACTION;
                 UPSERT $rid MERGE {
                    owner: $owner, first_name: $first, last_name: $last, sort_name: $sort, organization: $org,
                    job_title: $title, notes: $notes, favorite: $favorite, primary_email: $primary, phones: $phones,
                    search_text: $search, updated_at: time::now()
                 };
                 DELETE person_email WHERE owner = $owner AND person = $id;
                 INSERT INTO person_email $emails;
                 COMMIT TRANSACTION;",
            )
            .bind(("rid", Self::rid(&id)?))
            .bind(("id", id.clone()))
            .bind(("owner", owner.to_string()))
            .bind(("first", first_name.clone()))
            .bind(("last", last_name.clone()))
            .bind(("sort", fold(&format!("{first_name} {last_name}"))))
            .bind(("org", organization))
            .bind(("title", job_title))
            .bind(("notes", input.notes.trim().to_string()))
            .bind(("favorite", input.favorite))
            .bind(("primary", emails.iter().find(|e| e.primary).map(|e| e.address.clone())))
            .bind(("phones", phones))
            .bind(("search", search_text))
            .bind(("emails", email_rows))
            .await
            .and_then(|r| r.check())
            .map_err(StoreError::from);
        touched(owner, Data::People).await;
        match result {
            Err(e) if e.violates("person_email_unique") => Err(StoreError::Conflict(
                "One of these email addresses already belongs to another person.".into(),
            )),
            Err(e) => Err(e),
            Ok(_) => Ok(id),
        }
    }

    pub async fn delete(&self, owner: &str, id: &str) -> Result<(), StoreError> {
        self.get(owner, id).await?;
        self.db
            .query(
                "BEGIN TRANSACTION;
                 DELETE $rid WHERE owner = $owner;
                 DELETE person_email WHERE owner = $owner AND person = $id;
                 COMMIT TRANSACTION;",
            )
            .bind(("rid", Self::rid(id)?))
            .bind(("id", id.to_string()))
            .bind(("owner", owner.to_string()))
            .await?
            .check()?;
        touched(owner, Data::People).await;
        Ok(())
    }

    pub async fn set_favorite(
        &self,
        owner: &str,
        id: &str,
        favorite: bool,
    ) -> Result<(), StoreError> {
        let updated = self
            .db
            .query("UPDATE $rid SET favorite = $favorite WHERE owner = $owner RETURN 1 AS n")
            .bind(("rid", Self::rid(id)?))
            .bind(("owner", owner.to_string()))
            .bind(("favorite", favorite))
            .await;
        touched(owner, Data::People).await;
        let updated: Vec<CountRow> = updated?.take(0)?;
        if updated.is_empty() {
            Err(StoreError::NotFound("person"))
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, SurrealValue)]
#[surreal(crate = "surrealdb::types")]
struct EmailInsert {
    owner: String,
    person: String,
    address: String,
    normalized: String,
    label: String,
    primary: bool,
    position: i64,
}
