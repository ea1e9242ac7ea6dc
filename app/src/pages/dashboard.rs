use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::load_dashboard;
use crate::components::activity::ActivityItem;
use crate::components::favorite::FavoriteToggle;
use crate::components::status::{ErrorBox, Loading};
use crate::models::{Dashboard, PersonSummary};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_dashboard());
    view! {
        <Title text="Dashboard"/>
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(dashboard) => view! { <DashboardView dashboard/> }.into_any(),
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DashboardView(dashboard: Dashboard) -> impl IntoView {
    let Dashboard { favorites, recent_activities, counts, has_calendar_connections } = dashboard;
    view! {
        <section class="counts" aria-label="Counts">
            <a class="count" href="/people"><strong data-testid="count-people">{counts.people}</strong>" people"</a>
            <div class="count"><strong data-testid="count-favorites">{counts.favorites}</strong>" favorites"</div>
            <div class="count"><strong data-testid="count-activities">{counts.activities}</strong>" activities"</div>
        </section>
        // Today's meetings take this place once a calendar is connected.
        <div id="todays-meetings-slot" data-has-calendars=has_calendar_connections.to_string()></div>
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
