use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{load_dashboard, todays_meetings};
use crate::components::activity::ActivityItem;
use crate::components::favorite::FavoriteToggle;
use crate::components::meeting::TodayItem;
use crate::components::status::{ErrorBox, Loading};
use crate::models::{Dashboard, PersonSummary};

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
        recently_contacted,
        counts,
        has_calendar_connections,
    } = dashboard;
    let steps = [
        (
            counts.people > 0,
            "Add the people you keep in touch with",
            "/people/new",
            "Add a person",
        ),
        (
            has_calendar_connections,
            "Connect a calendar, so meetings show up with your people",
            "/settings/calendars",
            "Connect a calendar",
        ),
        (
            counts.activities > 0,
            "Log a call, meeting or note on a person's page",
            "/people",
            "Open your people",
        ),
    ];
    let done = steps.iter().filter(|s| s.0).count();
    let checklist = (done < steps.len()).then(|| view! {
        <section class="checklist card" aria-labelledby="checklist-heading">
            <h2 id="checklist-heading">"Get started"</h2>
            <p class="meta">{format!("{done} of {} done", steps.len())}</p>
            <ol>
                {steps.into_iter().map(|(is_done, text, href, action)| view! {
                    <li class:done=is_done>
                        <span class="check" aria-hidden="true">{if is_done { "✓" } else { "○" }}</span>
                        <span>{text}{is_done.then_some(" (done)")}</span>
                        {(!is_done).then(|| view! { <a class="button small" href=href>{action}</a> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    });
    view! {
        {checklist}
        <section class="counts" aria-label="Counts">
            <a class="count" href="/people"><strong data-testid="count-people">{counts.people}</strong>" people"</a>
            <div class="count"><strong data-testid="count-favorites">{counts.favorites}</strong>" favorites"</div>
            <div class="count"><strong data-testid="count-activities">{counts.activities}</strong>" activities"</div>
        </section>
        {has_calendar_connections.then(|| view! { <TodaysMeetings state=today/> })}
        {(!recently_contacted.is_empty()).then(|| view! {
            <section class="recently-contacted" aria-labelledby="contacted-heading">
                <h2 id="contacted-heading">"Recently contacted"</h2>
                <ul class="contact-list">
                    {recently_contacted.into_iter().map(|c| view! {
                        <li><a href=format!("/people/{}", c.person.id)>{c.person.name}</a>
                            <span class="meta">{crate::pages::calendars::ago(c.at)}</span></li>
                    }).collect_view()}
                </ul>
            </section>
        })}
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
    meetings: Resource<Result<Vec<crate::models::Meeting>, crate::error::AppError>>,
}

impl TodayState {
    fn new() -> Self {
        let tick = RwSignal::new(0u32);
        let now = RwSignal::new(chrono::Utc::now());
        let meetings = Resource::new(move || tick.get(), |_| todays_meetings());
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
        TodayState { now, meetings }
    }
}

#[component]
fn TodaysMeetings(state: TodayState) -> impl IntoView {
    let TodayState { now, meetings } = state;
    view! {
        <section class="today card" aria-labelledby="today-heading">
            <h2 id="today-heading">"Today's meetings"</h2>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match meetings.await {
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty">"Nothing on your calendar today."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="today-list">
                                {list.into_iter().map(|meeting| view! { <TodayItem meeting now/> }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
