//! Activity form and timeline entries.
use leptos::prelude::*;

use crate::limits;

use crate::api::{DeleteActivity, SaveActivity};
use crate::components::layout::use_user;
use crate::components::status::ActionError;
use crate::models::{Activity, ActivityKind};
use crate::time::{format_datetime, to_local_input};

/// Adds an activity for `person_id`, or edits `existing`.
#[component]
pub fn ActivityForm(
    action: ServerAction<SaveActivity>,
    person_id: String,
    #[prop(optional)] existing: Option<Activity>,
) -> impl IntoView {
    let user = use_user();
    let tz = user.with_untracked(|u| u.time_zone.clone());
    let kind = existing.as_ref().map(|a| a.kind).unwrap_or_default();
    let when = existing
        .as_ref()
        .map(|a| to_local_input(a.occurred_at, &tz))
        .unwrap_or_else(|| to_local_input(chrono::Utc::now(), &tz));
    let prefix = existing
        .as_ref()
        .map(|a| a.id.clone())
        .unwrap_or_else(|| "new".into());
    let field_id = move |name: &str| format!("activity-{prefix}-{name}");
    let (title, notes) = existing
        .as_ref()
        .map(|a| (a.title.clone(), a.notes.clone()))
        .unwrap_or_default();
    // Keep every linked person when editing; a new activity links the page's person.
    let people = existing
        .as_ref()
        .map(|a| a.people.iter().map(|p| p.id.clone()).collect())
        .unwrap_or_else(|| vec![person_id]);
    // A new-activity form starts blank again after each successful save.
    let form = NodeRef::<leptos::html::Form>::new();
    if existing.is_none() {
        Effect::new(move |_| {
            if let (Some(Ok(_)), Some(form)) = (action.value().get(), form.get_untracked()) {
                form.reset();
            }
        });
    }
    view! {
        <ActionForm action node_ref=form attr:class="activity-form">
            {existing.as_ref().map(|a| view! { <input type="hidden" name="activity[id]" value=a.id.clone()/> })}
            {people.into_iter().enumerate().map(|(i, id)| view! {
                <input type="hidden" name=format!("activity[people][{i}]") value=id/>
            }).collect_view()}
            <div class="row">
                <label for=field_id("kind")>"Type"</label>
                <select id=field_id("kind") name="activity[kind]">
                    {ActivityKind::ALL.into_iter().map(|k| view! {
                        <option value=k.as_str() selected=k == kind>{k.label()}</option>
                    }).collect_view()}
                </select>
                <label for=field_id("when")>"When"</label>
                <input id=field_id("when") type="datetime-local" name="activity[occurred_at]" value=when required/>
            </div>
            <label for=field_id("title")>"Title"</label>
            <input id=field_id("title") name="activity[title]" value=title required maxlength=limits::TITLE/>
            <label for=field_id("notes")>"Notes"</label>
            <textarea id=field_id("notes") name="activity[notes]" rows="3" maxlength=limits::NOTES>{notes}</textarea>
            <ActionError value=action.value()/>
            <button type="submit" disabled=move || action.pending().get()>
                {if existing.is_some() { "Save activity" } else { "Add activity" }}
            </button>
        </ActionForm>
    }
}

#[component]
pub fn ActivityItem(
    activity: Activity,
    #[prop(optional)] person_id: Option<String>,
    #[prop(optional)] save: Option<ServerAction<SaveActivity>>,
    #[prop(optional)] delete: Option<ServerAction<DeleteActivity>>,
) -> impl IntoView {
    let user = use_user();
    let when = user.with_untracked(|u| format_datetime(activity.occurred_at, &u.time_zone));
    let others: Vec<_> = activity
        .people
        .iter()
        .filter(|p| Some(&p.id) != person_id.as_ref())
        .cloned()
        .collect();
    let edit = save.zip(person_id.clone()).map(|(action, pid)| {
        let existing = activity.clone();
        view! { <details class="edit"><summary>"Edit"</summary><ActivityForm action person_id=pid existing/></details> }
    });
    let remove = delete.map(|action| {
        let id = activity.id.clone();
        view! {
            <details class="delete">
                <summary>"Delete"</summary>
                <ActionForm action>
                    <input type="hidden" name="id" value=id/>
                    <span>"Delete this activity? "</span>
                    <button type="submit" class="danger">"Yes, delete"</button>
                </ActionForm>
            </details>
        }
    });
    view! {
        <li class="activity" id=format!("activity-{}", activity.id) data-kind=activity.kind.as_str()>
            <div class="activity-head">
                <span class="kind">{activity.kind.label()}</span>
                <time datetime=activity.occurred_at.to_rfc3339()>{when}</time>
            </div>
            <div class="activity-title">{activity.title.clone()}</div>
            {(!activity.notes.is_empty()).then(|| view! { <p class="notes">{activity.notes.clone()}</p> })}
            {activity.meeting_notes.clone().map(|notes| view! {
                <div class="meeting-notes-shown"><span class="kind">"Meeting notes"</span><p class="notes">{notes}</p></div>
            })}
            {(!others.is_empty()).then(|| view! {
                <div class="with">"With "
                    {others.into_iter().map(|p| view! { <a href=format!("/people/{}", p.id)>{p.name}</a>" " }).collect_view()}
                </div>
            })}
            <div class="actions">{edit}{remove}</div>
        </li>
    }
}
