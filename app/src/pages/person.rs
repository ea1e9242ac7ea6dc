use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{
    get_person, person_activities, person_meetings, DeleteActivity, DeletePerson, RestoreActivity,
    SaveActivity,
};
use crate::components::activity::{ActivityForm, ActivityItem};
use crate::components::favorite::FavoriteToggle;
use crate::components::layout::use_user;
use crate::components::meeting::{LinkSearch, MeetingActionErrors, MeetingCard, MeetingChanges};
use crate::components::pager::Pager;
use crate::components::status::{ActionError, ErrorBox, Loading};
use crate::models::{MeetingScope, Person};

#[component]
pub fn PersonPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let person = Resource::new(id, get_person);
    // Every resource of the page is created here, in one order, never inside suspended
    // content: a resource created once an outer one resolved gets another number in the
    // browser than on the server (which ran it at once), and hydration then reads the wrong
    // data or waits for a value that never comes.
    let timeline = TimelineState::new(id);
    let meetings = MeetingsState::new(id, timeline.changes);
    LinkSearch::provide();
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match person.await {
                    Ok(person) => view! { <PersonView person timeline meetings/> }.into_any(),
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PersonView(person: Person, timeline: TimelineState, meetings: MeetingsState) -> impl IntoView {
    let name = person.full_name();
    let delete = ServerAction::<DeletePerson>::new();
    let delete_id = person.id.clone();
    let timeline_id = person.id.clone();
    let changes = timeline.changes;
    let tz = use_user().with_untracked(|u| u.time_zone.clone());
    let cadence = crate::time::format_cadence(&person.cadence, chrono::Utc::now(), &tz);
    let role = [person.job_title.as_str(), person.organization.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" at ");
    view! {
        <Title text=name.clone()/>
        <div class="page-head">
            <div class="title-with-star">
                <FavoriteToggle person_id=person.id.clone() favorite=person.favorite name=name.clone()/>
                <h1>{name.clone()}</h1>
            </div>
            <div class="head-actions">
                <a class="button secondary" href=format!("/people/{}/edit", person.id)>"Edit"</a>
                <details class="delete">
                    <summary class="button danger">"Delete"</summary>
                    <ActionForm action=delete attr:class="confirm">
                        <input type="hidden" name="id" value=delete_id.clone()/>
                        <p>{format!("Delete {name}? Their activities stay, without the link to them.")}</p>
                        <ActionError value=delete.value()/>
                        <button type="submit" class="danger">"Yes, delete"</button>
                    </ActionForm>
                </details>
            </div>
        </div>
        {cadence.map(|line| view! { <p class="cadence meta" data-testid="cadence">{line}</p> })}
        <div class="person-grid">
            <section class="profile card" aria-labelledby="profile-heading">
                <h2 id="profile-heading">"Profile"</h2>
                {(!role.is_empty()).then(|| view! { <p class="role">{role}</p> })}
                <dl>
                    {(!person.emails.is_empty()).then(|| view! {
                        <dt>"Email"</dt>
                        {person.emails.iter().map(|e| view! {
                            <dd class="email">
                                <a href=format!("mailto:{}", e.address)>{e.address.clone()}</a>
                                {(!e.label.is_empty()).then(|| view! { <span class="tag">{e.label.clone()}</span> })}
                                {e.primary.then(|| view! { <span class="tag primary">"primary"</span> })}
                            </dd>
                        }).collect_view()}
                    })}
                    {(!person.phones.is_empty()).then(|| view! {
                        <dt>"Phone"</dt>
                        {person.phones.iter().map(|p| view! {
                            <dd><a href=format!("tel:{}", p.number)>{p.number.clone()}</a>
                                {(!p.label.is_empty()).then(|| view! { <span class="tag">{p.label.clone()}</span> })}</dd>
                        }).collect_view()}
                    })}
                </dl>
                {(!person.notes.is_empty()).then(|| view! { <h3>"Notes"</h3><p class="notes">{person.notes.clone()}</p> })}
            </section>
            <PersonMeetings person_id=person.id.clone() state=meetings changes/>
            <Timeline person_id=timeline_id state=timeline/>
        </div>
    }
}

/// The timeline's actions and its page of activities, refetched after any change.
#[derive(Clone, Copy)]
struct TimelineState {
    save: ServerAction<SaveActivity>,
    delete: ServerAction<DeleteActivity>,
    restore: ServerAction<RestoreActivity>,
    changes: MeetingChanges,
    activities:
        Resource<Result<crate::models::Page<crate::models::Activity>, crate::error::AppError>>,
}

impl TimelineState {
    fn new(id: impl Fn() -> String + Send + Sync + 'static) -> Self {
        let query = use_query_map();
        let page =
            move || query.with(|q| q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1u32));
        let save = ServerAction::<SaveActivity>::new();
        let delete = ServerAction::<DeleteActivity>::new();
        let restore = ServerAction::<RestoreActivity>::new();
        let changes = MeetingChanges::new();
        let activities = Resource::new(
            move || {
                (
                    id(),
                    page(),
                    save.version().get(),
                    delete.version().get(),
                    restore.version().get(),
                    changes.version(),
                )
            },
            |(pid, page, ..)| person_activities(pid, page),
        );
        TimelineState {
            save,
            delete,
            restore,
            changes,
            activities,
        }
    }
}

#[component]
fn Timeline(person_id: String, state: TimelineState) -> impl IntoView {
    let TimelineState {
        save,
        delete,
        restore,
        activities,
        ..
    } = state;
    let base = format!("/people/{person_id}");
    // Set by a deletion's redirect: the activity can be brought back from here.
    let query = use_query_map();
    let deleted = move || query.with(|q| q.get("deleted"));
    view! {
        <section class="timeline-section card" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Timeline"</h2>
            {move || deleted().map(|id| view! {
                <div class="notice card undo" role="status">
                    <ActionForm action=restore attr:class="undo-form">
                        <input type="hidden" name="id" value=id/>
                        "Activity deleted. "
                        <button type="submit" class="link">"Undo"</button>
                    </ActionForm>
                    <ActionError value=restore.value()/>
                </div>
            })}
            <details class="add-activity" open>
                <summary>"Log an activity"</summary>
                <ActivityForm action=save person_id=person_id.clone()/>
            </details>
            <Transition fallback=|| view! { <Loading/> }>
                {move || {
                    let person_id = person_id.clone();
                    let base = base.clone();
                    Suspend::new(async move {
                        match activities.await {
                            Err(error) => view! { <ErrorBox error/> }.into_any(),
                            Ok(result) if result.items.is_empty() => view! { <p class="empty">"No activities yet."</p> }.into_any(),
                            Ok(result) => {
                                let (page, page_count) = (result.page, result.page_count());
                                view! {
                                    <ul class="timeline">
                                        {result.items.into_iter().map(|activity| view! {
                                            <ActivityItem activity person_id=person_id.clone() save delete/>
                                        }).collect_view()}
                                    </ul>
                                    <Pager page page_count href=move |n| format!("{base}?page={n}")/>
                                }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// Which of the person's meetings are shown, from the page's query: `meetings=past` (else
/// upcoming), `meetings_page=N`, and an optional date range `from`/`to` (YYYY-MM-DD). Tabs,
/// pager and date filter are plain links and a GET form, so they work without JavaScript; with
/// it the router follows them without a reload.
#[derive(Clone, Debug, PartialEq)]
struct MeetingsQuery {
    scope: MeetingScope,
    page: u32,
    from: String,
    to: String,
}

impl MeetingsQuery {
    fn from_query(q: &leptos_router::params::ParamsMap) -> Self {
        MeetingsQuery {
            scope: match q.get("meetings").as_deref() {
                Some("past") => MeetingScope::Past,
                _ => MeetingScope::Upcoming,
            },
            page: q
                .get("meetings_page")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1u32)
                .max(1),
            from: q.get("from").unwrap_or_default(),
            to: q.get("to").unwrap_or_default(),
        }
    }

    /// The person page showing `scope`'s page `page` in this date range.
    fn href(&self, base: &str, scope: MeetingScope, page: u32, range: bool) -> String {
        let mut href = format!("{base}?meetings={}", scope.as_str());
        if page > 1 {
            href.push_str(&format!("&meetings_page={page}"));
        }
        for (key, value) in [("from", &self.from), ("to", &self.to)] {
            if range && !value.is_empty() {
                href.push_str(&format!("&{key}={}", url_encode(value)));
            }
        }
        href
    }
}

/// Percent-encodes a query value (dates need none; anything else typed into the URL does).
fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

type MeetingsList = (
    chrono::DateTime<chrono::Utc>,
    Result<crate::models::Page<crate::models::Meeting>, crate::error::AppError>,
);

/// The meetings section's query and its page of meetings, created with the page (see
/// [`PersonPage`]). The list carries the moment it was fetched: cards decide "has ended" and
/// "now" from it, so the browser hydrates exactly what the server rendered.
#[derive(Clone, Copy)]
struct MeetingsState {
    query: Memo<MeetingsQuery>,
    list: Resource<MeetingsList>,
}

impl MeetingsState {
    fn new(id: impl Fn() -> String + Send + Sync + 'static, changes: MeetingChanges) -> Self {
        let params = use_query_map();
        let query = Memo::new(move |_| params.with(MeetingsQuery::from_query));
        let list = Resource::new(
            // Refetched after a meeting was logged or an attendee linked.
            move || (id(), query.get(), changes.version()),
            |(person_id, q, _)| async move {
                let opt = |s: String| Some(s).filter(|s| !s.is_empty());
                let found =
                    person_meetings(person_id, q.scope, q.page, opt(q.from), opt(q.to)).await;
                (chrono::Utc::now(), found)
            },
        );
        MeetingsState { query, list }
    }
}

/// Upcoming (soonest first) and past (newest first) meetings with this person, paged, with an
/// optional date range.
#[component]
fn PersonMeetings(
    person_id: String,
    state: MeetingsState,
    changes: MeetingChanges,
) -> impl IntoView {
    let MeetingsState { query, list } = state;
    let base = format!("/people/{person_id}");
    let tab = {
        let base = base.clone();
        move |key: MeetingScope, label: &'static str| {
            let base = base.clone();
            view! {
                <a role="tab" class="tab" data-noscroll="" aria-selected=move || (query.with(|q| q.scope) == key).to_string()
                   href=move || query.with(|q| q.href(&base, key, 1, true))>{label}</a>
            }
        }
    };
    let from = move || query.with(|q| q.from.clone());
    let to = move || query.with(|q| q.to.clone());
    let clear = {
        let base = base.clone();
        move || query.with(|q| q.href(&base, q.scope, 1, false))
    };
    view! {
        <section class="meetings card" aria-labelledby="meetings-heading">
            <h2 id="meetings-heading">"Meetings"</h2>
            <div class="meetings-controls">
                <div class="tabs" role="tablist">{tab(MeetingScope::Upcoming, "Upcoming")}{tab(MeetingScope::Past, "Past")}</div>
                <Form method="GET" action=base.clone() noscroll=true attr:class="date-filter">
                    <input type="hidden" name="meetings" value=move || query.with(|q| q.scope.as_str())/>
                    <label for="meetings-from">"From"</label>
                    <input id="meetings-from" name="from" type="date" value=from prop:value=from/>
                    <label for="meetings-to">"To"</label>
                    <input id="meetings-to" name="to" type="date" value=to prop:value=to/>
                    <button type="submit" class="secondary small">"Show"</button>
                    <Show when=move || query.with(|q| !q.from.is_empty() || !q.to.is_empty())>
                        <a class="link" data-noscroll="" href=clear.clone()>"Clear"</a>
                    </Show>
                </Form>
            </div>
            <MeetingActionErrors/>
            <Transition fallback=|| view! { <Loading/> }>
                {move || {
                    let base = base.clone();
                    Suspend::new(async move {
                        let (now, found) = list.await;
                        let now = Signal::stored(now);
                        let scope = query.with_untracked(|q| q.scope);
                        match found {
                            Err(error) => view! { <ErrorBox error/> }.into_any(),
                            Ok(result) if result.items.is_empty() => view! {
                                <p class="empty">{if scope == MeetingScope::Upcoming { "No upcoming meetings." } else { "No past meetings." }}</p>
                            }.into_any(),
                            Ok(result) => {
                                let (page, page_count) = (result.page, result.page_count());
                                let href = move |n: u32| query.with_untracked(|q| q.href(&base, q.scope, n, true));
                                view! {
                                    <div class="meeting-list">
                                        {result.items.into_iter().map(|meeting| view! { <MeetingCard meeting changes now/> }).collect_view()}
                                    </div>
                                    <Pager page page_count href noscroll=true label="Meeting pages"/>
                                }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_links_keep_the_range_and_start_tabs_at_their_first_page() {
        let q = MeetingsQuery {
            scope: MeetingScope::Past,
            page: 2,
            from: "2026-01-01".into(),
            to: "a b&c".into(),
        };
        assert_eq!(
            q.href("/people/p1", MeetingScope::Past, 3, true),
            "/people/p1?meetings=past&meetings_page=3&from=2026-01-01&to=a%20b%26c"
        );
        assert_eq!(
            q.href("/people/p1", MeetingScope::Upcoming, 1, false),
            "/people/p1?meetings=upcoming"
        );
    }
}
