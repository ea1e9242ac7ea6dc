//! Realistic demo data: people with accented names, several emails each, organizations and two
//! years of activities. Inserted in batches so 100,000 people take seconds, not hours.
use chrono::{Duration, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use surrealdb::types::RecordId;

use crate::activities::{Activities, ImportedActivity};
use crate::config::Config;
use crate::db::Db;
use crate::error::StoreError;
use crate::ids::new_id;
use crate::people::{ImportedEmail, ImportedPerson, People, PhoneRow};
use crate::text::{fold, normalize_email};

pub const MAX_PEOPLE: usize = 100_000;
const BATCH: usize = 500;

const FIRST: &[&str] = &[
    "Ana",
    "José",
    "Zoë",
    "Björn",
    "Chloé",
    "Émile",
    "François",
    "Inès",
    "Jürgen",
    "Łukasz",
    "Mía",
    "Noémie",
    "Øystein",
    "Renée",
    "Søren",
    "Thérèse",
    "Ümit",
    "Zoltán",
    "Amélie",
    "Andrés",
    "Beatriz",
    "Carlos",
    "Dagný",
    "Eva",
    "Farida",
    "Giulia",
    "Hana",
    "Ivan",
    "Jonas",
    "Kateřina",
    "Liam",
    "Maya",
    "Nora",
    "Olivia",
    "Pedro",
    "Quentin",
    "Rosa",
    "Sofia",
    "Tomás",
    "Valentina",
    "William",
    "Yuki",
    "Aiko",
    "Ben",
    "Clara",
    "David",
    "Elena",
    "Felix",
    "Grace",
    "Hugo",
];
const LAST: &[&str] = &[
    "Silva",
    "García",
    "Müller",
    "Dubois",
    "Nørgaard",
    "Kowalski",
    "Rossi",
    "Novák",
    "Johansson",
    "O'Brien",
    "Fernández",
    "Lefèvre",
    "Schröder",
    "Jiménez",
    "Þórsdóttir",
    "Yılmaz",
    "Łęcki",
    "Andersen",
    "Bianchi",
    "Costa",
    "de Vries",
    "Eriksson",
    "Fischer",
    "González",
    "Horváth",
    "Ivanova",
    "Jansen",
    "Kim",
    "López",
    "Martin",
    "Nakamura",
    "Okafor",
    "Pereira",
    "Quinn",
    "Rodríguez",
    "Smith",
    "Tanaka",
    "Urbano",
    "Van Dijk",
    "Wagner",
    "Xu",
    "Young",
    "Zimmermann",
];
const ORGS: &[(&str, &str)] = &[
    ("Acme Corporation", "acme.example"),
    ("Globex", "globex.example"),
    ("Initech", "initech.example"),
    ("Umbrella Health", "umbrella.example"),
    ("Stark Industries", "stark.example"),
    ("Wayne Enterprises", "wayne.example"),
    ("Hooli", "hooli.example"),
    ("Pied Piper", "piedpiper.example"),
    ("Soylent", "soylent.example"),
    ("Vandelay Industries", "vandelay.example"),
    ("Nordlicht GmbH", "nordlicht.example"),
    ("Café Olé", "cafeole.example"),
];
const TITLES: &[&str] = &[
    "CEO",
    "CTO",
    "Product Manager",
    "Engineer",
    "Designer",
    "Sales Lead",
    "Account Executive",
    "Consultant",
    "Researcher",
    "Founder",
];
const PERSONAL: &[&str] = &[
    "gmail.com",
    "fastmail.com",
    "icloud.com",
    "proton.me",
    "outlook.com",
];
const ACTIVITY_TITLES: &[(&str, &str)] = &[
    ("meeting", "Quarterly review"),
    ("meeting", "Coffee catch-up"),
    ("meeting", "Project kickoff"),
    ("call", "Intro call"),
    ("call", "Follow-up call"),
    ("email", "Sent proposal"),
    ("email", "Shared the deck"),
    ("note", "Met at the conference"),
    ("note", "Prefers mornings"),
    ("other", "Sent a birthday card"),
];

fn slug(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

#[derive(Debug, Default, PartialEq)]
pub struct DemoSummary {
    pub people: usize,
    pub emails: usize,
    pub activities: usize,
}

/// Adds `count` people and their activities to `owner`'s data.
pub async fn generate(
    db: &Db,
    owner: &str,
    count: usize,
    seed: u64,
) -> Result<DemoSummary, StoreError> {
    if count > MAX_PEOPLE {
        return Err(StoreError::Invalid(format!(
            "At most {MAX_PEOPLE} demo people can be created at once."
        )));
    }
    let people_store = People::new(db.clone());
    let activity_store = Activities::new(db.clone());
    let mut rng = StdRng::seed_from_u64(seed);
    let now = Utc::now();
    let run = &new_id()[..6]; // keeps addresses unique when demo data is added twice
    let mut summary = DemoSummary::default();
    for start in (0..count).step_by(BATCH) {
        let (mut people, mut emails, mut activities) = (Vec::new(), Vec::new(), Vec::new());
        for n in start..(start + BATCH).min(count) {
            let first = *FIRST.choose(&mut rng).unwrap();
            let last = *LAST.choose(&mut rng).unwrap();
            let (org, domain) = *ORGS.choose(&mut rng).unwrap();
            let id = new_id();
            let local = format!("{}.{}.{run}{n}", slug(first), slug(last));
            let mut addresses = vec![(format!("{local}@{domain}"), "work")];
            if rng.gen_bool(0.6) {
                addresses.push((
                    format!("{local}@{}", PERSONAL.choose(&mut rng).unwrap()),
                    "personal",
                ));
            }
            if rng.gen_bool(0.15) {
                addresses.push((
                    format!("{}@{domain}", slug(first) + &format!(".{run}{n}")),
                    "other",
                ));
            }
            for (i, (address, label)) in addresses.iter().enumerate() {
                emails.push(ImportedEmail {
                    owner: owner.into(),
                    person: id.clone(),
                    normalized: normalize_email(address),
                    address: address.clone(),
                    label: label.to_string(),
                    primary: i == 0,
                    position: i as i64,
                });
            }
            let title = *TITLES.choose(&mut rng).unwrap();
            let created = now - Duration::days(rng.gen_range(0..730));
            for _ in 0..rng.gen_range(0..4) {
                let (kind, what) = *ACTIVITY_TITLES.choose(&mut rng).unwrap();
                let at = now - Duration::minutes(rng.gen_range(0..(730 * 24 * 60)));
                activities.push(ImportedActivity {
                    owner: owner.into(),
                    kind: kind.into(),
                    occurred_at: at,
                    title: what.into(),
                    notes: format!("{what} with {first} about {org}."),
                    people: vec![id.clone()],
                    source: None,
                    source_key: format!("manual:{}", new_id()),
                    edited: false,
                    created_at: at,
                    updated_at: at,
                });
            }
            people.push(ImportedPerson {
                id: RecordId::new("person", id.as_str()),
                owner: owner.into(),
                first_name: first.into(),
                last_name: last.into(),
                sort_name: fold(&format!("{first} {last}")),
                organization: org.into(),
                job_title: title.into(),
                notes: String::new(),
                favorite: rng.gen_bool(0.03),
                primary_email: Some(addresses[0].0.clone()),
                phones: vec![PhoneRow {
                    number: format!(
                        "+31 6 {:04} {:04}",
                        rng.gen_range(0..10000),
                        rng.gen_range(0..10000)
                    ),
                    label: "mobile".into(),
                }],
                search_text: fold(&format!(
                    "{first} {last} {org} {title} {}",
                    addresses
                        .iter()
                        .map(|a| a.0.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                )),
                created_at: created,
                updated_at: created,
            });
        }
        summary.people += people.len();
        summary.emails += emails.len();
        summary.activities += activities.len();
        people_store.import(people, emails).await?;
        activity_store.import(activities).await?;
    }
    Ok(summary)
}

pub async fn run(
    config: &Config,
    email: &str,
    password: Option<&str>,
    count: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let services = crate::serve::open_services(config).await?;
    let accounts = &services.accounts;
    let user = match (accounts.user_by_email(email).await, password) {
        (Ok(user), _) => user,
        (Err(StoreError::NotFound(_)), Some(password)) => {
            let input = app::models::SignUpInput {
                email: email.to_string(),
                password: password.to_string(),
                name: "Demo User".into(),
                time_zone: "Europe/Amsterdam".into(),
                invite: None,
            };
            // An administrator's command: whatever RONDO_SIGNUP says about the web form.
            let admin = crate::auth::Accounts::new(
                services.db.clone(),
                crate::auth::SignInThrottle::default(),
            );
            match admin.sign_up(&input).await? {
                crate::auth::SignUpOutcome::Created(user) => user,
                crate::auth::SignUpOutcome::AlreadyExists => accounts.user_by_email(email).await?,
            }
        }
        (Err(StoreError::NotFound(_)), None) => anyhow::bail!(
            "no account with email {email}: sign up first or pass --password to create it"
        ),
        (Err(e), _) => return Err(e.into()),
    };
    let summary = generate(&services.db, &user.id, count, seed).await?;
    // Demo addresses may be attendees of meetings already synced.
    services.contacts.rematch_all(&user.id).await?;
    println!(
        "Added {} people, {} email addresses and {} activities to {}.",
        summary.people, summary.emails, summary.activities, user.email
    );
    Ok(())
}
