use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{
    get_person, person_activities, person_meetings, DeleteActivity, DeletePerson, RestoreActivity,
    SaveActivity,
};
use crate::components::activity::{ActivityForm, ActivityItem};
use crate::components::favorite::FavoriteToggle;
use crate::components::layout::use_user;
use crate::components::meeting::{MeetingCard, MeetingChanges};
use crate::components::pager::{MeetingPager, Pager};
use crate::components::status::{ActionError, ErrorBox, Loading};
use crate::models::{MeetingScope, Person};

#[component]
pub fn PersonPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let person = Resource::new(id, get_person);
    // Every resource of the page is created here, not inside suspended content: resources
    // created once an outer one resolved made hydration fail intermittently.
    let timeline = TimelineState::new(id);
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match person.await {
                    Ok(person) => view! { <PersonView person timeline/> }.into_any(),
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PersonView(person: Person, timeline: TimelineState) -> impl IntoView {
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
            <ClientOnly>
                <PersonMeetings person_id=person.id.clone() changes/>
            </ClientOnly>
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

/// Upcoming (soonest first) and past (newest first) meetings with this person, paged, with an
/// optional date range.
#[component]
fn PersonMeetings(person_id: String, changes: MeetingChanges) -> impl IntoView {
    let scope = RwSignal::new(MeetingScope::Upcoming);
    let page = RwSignal::new(1u32);
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let now = Signal::derive(chrono::Utc::now);
    let meetings = LocalResource::new(move || {
        changes.version(); // refetch after a meeting was logged or an attendee linked
        let opt = |s: String| Some(s).filter(|s| !s.is_empty());
        person_meetings(
            person_id.clone(),
            scope.get(),
            page.get(),
            opt(from.get()),
            opt(to.get()),
        )
    });
    let tab = move |key: MeetingScope, label: &'static str| {
        view! {
            <button type="button" role="tab" class="tab" aria-selected=move || (scope.get() == key).to_string()
                    on:click=move |_| { scope.set(key); page.set(1); }>{label}</button>
        }
    };
    view! {
        <section class="meetings card" aria-labelledby="meetings-heading">
            <h2 id="meetings-heading">"Meetings"</h2>
            <div class="meetings-controls">
                <div class="tabs" role="tablist">{tab(MeetingScope::Upcoming, "Upcoming")}{tab(MeetingScope::Past, "Past")}</div>
                <div class="date-filter">
                    <label for="meetings-from">"From"</label>
                    <input id="meetings-from" type="date" prop:value=from on:change=move |ev| { from.set(event_target_value(&ev)); page.set(1); }/>
                    <label for="meetings-to">"To"</label>
                    <input id="meetings-to" type="date" prop:value=to on:change=move |ev| { to.set(event_target_value(&ev)); page.set(1); }/>
                    <Show when=move || !from.get().is_empty() || !to.get().is_empty()>
                        <button type="button" class="link" on:click=move |_| { from.set(String::new()); to.set(String::new()); }>"Clear"</button>
                    </Show>
                </div>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match meetings.await {
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                        Ok(result) if result.items.is_empty() => view! {
                            <p class="empty">{if scope.get_untracked() == MeetingScope::Upcoming { "No upcoming meetings." } else { "No past meetings." }}</p>
                        }.into_any(),
                        Ok(result) => {
                            let (current, count) = (result.page, result.page_count());
                            view! {
                                <div class="meeting-list">
                                    {result.items.into_iter().map(|meeting| view! { <MeetingCard meeting changes now/> }).collect_view()}
                                </div>
                                <MeetingPager current count page/>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// Renders its children only in the browser, after hydration. The meetings section is
/// interactive and time-dependent ("now", "has ended"), so it is not rendered on the server,
/// where a second suspended section made hydration depend on which one resolved first.
#[component]
fn ClientOnly(children: ChildrenFn) -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || mounted.get().then(|| children())
}
