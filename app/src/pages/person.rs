use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{get_person, person_activities, DeleteActivity, DeletePerson, SaveActivity};
use crate::components::activity::{ActivityForm, ActivityItem};
use crate::components::favorite::FavoriteToggle;
use crate::components::pager::Pager;
use crate::components::status::{ActionError, ErrorBox, Loading};
use crate::models::Person;

#[component]
pub fn PersonPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let person = Resource::new(id, get_person);
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match person.await {
                    Ok(person) => view! { <PersonView person/> }.into_any(),
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PersonView(person: Person) -> impl IntoView {
    let name = person.full_name();
    let delete = ServerAction::<DeletePerson>::new();
    let delete_id = person.id.clone();
    let timeline_id = person.id.clone();
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
            <section class="meetings card" aria-labelledby="meetings-heading">
                <h2 id="meetings-heading">"Meetings"</h2>
                <p class="empty">"Meetings from your connected calendars will appear here."</p>
            </section>
            <Timeline person_id=timeline_id/>
        </div>
    }
}

#[component]
fn Timeline(person_id: String) -> impl IntoView {
    let query = use_query_map();
    let page = move || query.with(|q| q.get("page").and_then(|v| v.parse().ok()).unwrap_or(1u32));
    let save = ServerAction::<SaveActivity>::new();
    let delete = ServerAction::<DeleteActivity>::new();
    let pid = person_id.clone();
    let activities = Resource::new(
        move || (pid.clone(), page(), save.version().get(), delete.version().get()),
        |(pid, page, _, _)| person_activities(pid, page),
    );
    let base = format!("/people/{person_id}");
    view! {
        <section class="timeline-section card" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Timeline"</h2>
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
