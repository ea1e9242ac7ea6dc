//! Create and edit a person. Blank email and phone rows are ignored, so the form needs no
//! JavaScript to take several of each; with JS, "Add" buttons grow it.
use leptos::prelude::*;

use crate::limits;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{get_person, SavePerson};
use crate::components::status::{ActionError, ErrorBox, Loading};
use crate::models::{EmailAddress, Person, PhoneNumber};

const SPARE_ROWS: usize = 1;

#[component]
pub fn NewPersonPage() -> impl IntoView {
    view! {
        <Title text="Add person"/>
        <h1>"Add person"</h1>
        <PersonForm person=None/>
    }
}

#[component]
pub fn EditPersonPage() -> impl IntoView {
    let params = use_params_map();
    let person = Resource::new(
        move || params.with(|p| p.get("id").unwrap_or_default()),
        get_person,
    );
    view! {
        <Title text="Edit person"/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match person.await {
                    Ok(person) => view! { <h1>{format!("Edit {}", person.full_name())}</h1><PersonForm person=Some(person)/> }.into_any(),
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PersonForm(person: Option<Person>) -> impl IntoView {
    let action = ServerAction::<SavePerson>::new();
    let p = person.clone();
    let text =
        move |f: fn(&Person) -> &String| p.as_ref().map(|p| f(p).clone()).unwrap_or_default();
    let mut emails = person
        .as_ref()
        .map(|p| p.emails.clone())
        .unwrap_or_default();
    let primary = emails.iter().position(|e| e.primary).unwrap_or(0);
    emails.extend(std::iter::repeat_n(EmailAddress::default(), SPARE_ROWS));
    let mut phones = person
        .as_ref()
        .map(|p| p.phones.clone())
        .unwrap_or_default();
    phones.extend(std::iter::repeat_n(PhoneNumber::default(), SPARE_ROWS));
    let email_rows = RwSignal::new(emails);
    let phone_rows = RwSignal::new(phones);
    let favorite = person.as_ref().is_some_and(|p| p.favorite);
    let cancel = person
        .as_ref()
        .map(|p| format!("/people/{}", p.id))
        .unwrap_or_else(|| "/people".into());
    view! {
        <ActionForm action attr:class="person-form card">
            {person.as_ref().map(|p| view! { <input type="hidden" name="person[id]" value=p.id.clone()/> })}
            <div class="grid2">
                <div><label for="first_name">"First name"</label>
                    <input id="first_name" name="person[first_name]" value=text(|p| &p.first_name) autocomplete="off" maxlength=limits::NAME/></div>
                <div><label for="last_name">"Last name"</label>
                    <input id="last_name" name="person[last_name]" value=text(|p| &p.last_name) autocomplete="off" maxlength=limits::NAME/></div>
                <div><label for="organization">"Organization"</label>
                    <input id="organization" name="person[organization]" value=text(|p| &p.organization) maxlength=limits::ORGANIZATION/></div>
                <div><label for="job_title">"Job title"</label>
                    <input id="job_title" name="person[job_title]" value=text(|p| &p.job_title) maxlength=limits::JOB_TITLE/></div>
            </div>
            <fieldset>
                <legend>"Email addresses"</legend>
                {move || email_rows.get().into_iter().enumerate().map(|(i, e)| view! {
                    <div class="row email-row">
                        <label class="visually-hidden" for=format!("email-{i}")>{format!("Email {}", i + 1)}</label>
                        <input id=format!("email-{i}") type="email" name=format!("person[emails][{i}][address]") value=e.address placeholder="name@example.com" maxlength=limits::EMAIL/>
                        <label class="visually-hidden" for=format!("email-label-{i}")>{format!("Label for email {}", i + 1)}</label>
                        <input id=format!("email-label-{i}") class="label-input" name=format!("person[emails][{i}][label]") value=e.label placeholder="work, personal…" list="email-labels" maxlength=limits::LABEL/>
                        <label class="inline"><input type="radio" name="person[primary_email]" value=i.to_string() checked=i == primary/>"Primary"</label>
                    </div>
                }).collect_view()}
                <datalist id="email-labels"><option value="work"/><option value="personal"/><option value="other"/></datalist>
                <button type="button" class="secondary small js-only" on:click=move |_| email_rows.update(|rows| rows.push(EmailAddress::default()))>"Add email"</button>
            </fieldset>
            <fieldset>
                <legend>"Phone numbers"</legend>
                {move || phone_rows.get().into_iter().enumerate().map(|(i, p)| view! {
                    <div class="row">
                        <label class="visually-hidden" for=format!("phone-{i}")>{format!("Phone {}", i + 1)}</label>
                        <input id=format!("phone-{i}") type="tel" name=format!("person[phones][{i}][number]") value=p.number maxlength=limits::PHONE/>
                        <label class="visually-hidden" for=format!("phone-label-{i}")>{format!("Label for phone {}", i + 1)}</label>
                        <input id=format!("phone-label-{i}") class="label-input" name=format!("person[phones][{i}][label]") value=p.label placeholder="mobile, work…" maxlength=limits::LABEL/>
                    </div>
                }).collect_view()}
                <button type="button" class="secondary small js-only" on:click=move |_| phone_rows.update(|rows| rows.push(PhoneNumber::default()))>"Add phone"</button>
            </fieldset>
            <label for="notes">"Notes"</label>
            <textarea id="notes" name="person[notes]" rows="4" maxlength=limits::NOTES>{text(|p| &p.notes)}</textarea>
            <label class="inline"><input type="checkbox" name="person[favorite]" value="on" checked=favorite/>"Favorite"</label>
            <ActionError value=action.value()/>
            <div class="form-actions">
                <button type="submit" disabled=move || action.pending().get()>"Save person"</button>
                <a href=cancel>"Cancel"</a>
            </div>
        </ActionForm>
    }
}
