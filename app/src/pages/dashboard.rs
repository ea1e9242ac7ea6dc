use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{load_dashboard, todays_meetings};
use crate::components::activity::ActivityItem;
use crate::components::favorite::FavoriteToggle;
use crate::components::meeting::TodayItem;
use crate::components::status::{ErrorBox, Loading};
use crate::models::{Dashboard, MeetingsToday, PersonSummary};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_dashboard());
    // Created here, beside the dashboard's own resource, not inside its suspended content:
    // nested resources made hydration fail intermittently.
    let today = TodayState::new();
    view! {
        <Title text="Dashboard"/>
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(dashboard) => view! { <DashboardView dashboard today/> }.into_any(),
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DashboardView(dashboard: Dashboard, today: TodayState) -> impl IntoView {
    let Dashboard {
        favorites,
        recent_activities,
        counts,
        has_calendar_connections,
    } = dashboard;
    view! {
        <section class="counts" aria-label="Counts">
            <a class="count" href="/people"><strong data-testid="count-people">{counts.people}</strong>" people"</a>
            <div class="count"><strong data-testid="count-favorites">{counts.favorites}</strong>" favorites"</div>
            <div class="count"><strong data-testid="count-activities">{counts.activities}</strong>" activities"</div>
        </section>
        {has_calendar_connections.then(|| view! { <MeetingsToday state=today/> })}
        <section class="favorites" aria-labelledby="favorites-heading">
            <h2 id="favorites-heading">"Favorites"</h2>
            {if favorites.is_empty() {
                view! { <p class="empty">"Star people to keep them here. " <a href="/people">"Browse people"</a></p> }.into_any()
            } else {
                view! { <div class="cards">{favorites.into_iter().map(|p| view! { <PersonCard person=p/> }).collect_view()}</div> }.into_any()
            }}
        </section>
        <section class="recent" aria-labelledby="recent-heading">
            <h2 id="recent-heading">"Recent activities"</h2>
            {if recent_activities.is_empty() {
                view! { <p class="empty">"No activities yet. Log one from a person's page."</p> }.into_any()
            } else {
                view! { <ul class="timeline">{recent_activities.into_iter().map(|activity| view! { <ActivityItem activity/> }).collect_view()}</ul> }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn PersonCard(person: PersonSummary) -> impl IntoView {
    let name = person.full_name();
    let role = [person.job_title.as_str(), person.organization.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <article class="card person-card">
            <FavoriteToggle person_id=person.id.clone() favorite=person.favorite name=name.clone()/>
            <a class="name" href=format!("/people/{}", person.id)>{name}</a>
            {(!role.is_empty()).then(|| view! { <div class="role">{role}</div> })}
            {person.primary_email.map(|e| view! { <div class="email">{e}</div> })}
        </article>
    }
}

/// Today's meetings and the clock they are shown against; refetched every minute in the
/// browser (gloo-timers), so the "now" marker moves and new meetings appear without a reload.
#[derive(Clone, Copy)]
struct TodayState {
    now: RwSignal<chrono::DateTime<chrono::Utc>>,
    meetings: Resource<Result<MeetingsToday, crate::error::AppError>>,
    /// `?today=all`: every meeting of the day instead of the next few.
    all: Memo<bool>,
}

impl TodayState {
    fn new() -> Self {
        let tick = RwSignal::new(0u32);
        let now = RwSignal::new(chrono::Utc::now());
        let query = use_query_map();
        let all = Memo::new(move |_| query.with(|q| q.get("today").as_deref() == Some("all")));
        let meetings = Resource::new(
            move || (tick.get(), all.get()),
            |(_, all)| todays_meetings(all),
        );
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(60_000).await;
                // Stops once the dashboard is left and the signals are gone.
                if now.try_set(chrono::Utc::now()).is_some()
                    || tick.try_update(|t| *t += 1).is_none()
                {
                    break;
                }
            }
        });
        TodayState { now, meetings, all }
    }
}

#[component]
fn MeetingsToday(state: TodayState) -> impl IntoView {
    let TodayState { now, meetings, all } = state;
    view! {
        <section class="today card" aria-labelledby="today-heading">
            <h2 id="today-heading">"Today's meetings"</h2>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match meetings.await {
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                        Ok(today) if today.meetings.is_empty() => view! { <p class="empty">"Nothing on your calendar today."</p> }.into_any(),
                        Ok(today) => {
                            let shown = today.meetings.len();
                            // A plain link, so it also works before hydration and without JS.
                            let more = if all.get_untracked() {
                                (today.total as usize > crate::models::TODAY_SHOWN).then(|| view! { <a class="today-more" href="/">"Show fewer"</a> }.into_any())
                            } else {
                                (today.total as usize > shown).then(|| view! { <a class="today-more" href="/?today=all">{format!("Show all {} meetings today", today.total)}</a> }.into_any())
                            };
                            view! {
                                <ul class="today-list">
                                    {today.meetings.into_iter().map(|meeting| view! { <TodayItem meeting now/> }).collect_view()}
                                </ul>
                                {more}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
