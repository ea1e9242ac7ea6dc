use leptos::prelude::*;

use crate::limits;
use leptos_meta::Title;

use crate::api::{my_addresses, time_zones, AddMyAddress, RemoveMyAddress, UpdateProfile};
use crate::components::layout::use_user;
use crate::components::status::{ActionError, ErrorBox, Loading};
use crate::models::MyAddress;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let user = use_user();
    let action = ServerAction::<UpdateProfile>::new();
    Effect::new(move |_| {
        if let Some(Ok(updated)) = action.value().get() {
            user.set(updated);
        }
    });
    let current = user.get_untracked();
    let zones = Resource::new(|| (), |_| time_zones());
    view! {
        <Title text="Settings"/>
        <h1>"Settings"</h1>
        <SettingsTabs current="profile"/>
        <section class="card narrow" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile"</h2>
            <ActionForm action>
                <label for="name">"Name"</label>
                <input id="name" name="name" value=current.name.clone() maxlength=limits::NAME/>
                <label for="email">"Email"</label>
                <input id="email" value=current.email.clone() disabled/>
                <label for="time_zone">"Time zone"</label>
                <Suspense fallback=move || view! { <ZoneSelect zones=Vec::new() current=user.with_untracked(|u| u.time_zone.clone())/> }>
                    {move || Suspend::new(async move {
                        let zones = zones.await.unwrap_or_default();
                        view! { <ZoneSelect zones current=user.with_untracked(|u| u.time_zone.clone())/> }
                    })}
                </Suspense>
                <small>"All dates and times are shown in this zone."</small>
                <ActionError value=action.value()/>
                {move || matches!(action.value().get(), Some(Ok(_))).then(|| view! { <p class="success" role="status">"Profile saved."</p> })}
                <button type="submit" disabled=move || action.pending().get()>"Save profile"</button>
            </ActionForm>
        </section>
        <MyAddresses/>
    }
}

/// The time-zone choice: every zone the server knows, the user's own selected (and offered even
/// while the list loads, or if it failed to).
#[component]
fn ZoneSelect(zones: Vec<String>, current: String) -> impl IntoView {
    let mut zones = zones;
    if !zones.contains(&current) {
        zones.insert(0, current.clone());
    }
    view! {
        <select id="time_zone" name="time_zone">
            {zones.into_iter().map(|name| {
                let selected = name == current;
                let label = name.clone();
                view! { <option value=name selected=selected>{label}</option> }
            }).collect_view()}
        </select>
    }
}

/// Your own addresses: meetings mark you under them and never offer to add you as a person.
/// Addresses you added can be removed; the sign-in one and those a calendar connection reports
/// follow the account and the connection (deleting it removes them).
#[component]
fn MyAddresses() -> impl IntoView {
    let add = ServerAction::<AddMyAddress>::new();
    let remove = ServerAction::<RemoveMyAddress>::new();
    let list = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| my_addresses(),
    );
    // The field starts blank again after an address was added.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(form)) = (add.value().get(), form.get_untracked()) {
            form.reset();
        }
    });
    view! {
        <section class="card narrow my-addresses" aria-labelledby="my-addresses-heading">
            <h2 id="my-addresses-heading">"Your addresses"</h2>
            <p class="meta">"Meetings show you as \u{201c}you\u{201d} under these addresses, never offer to add you as a person, and meetings you declined are not logged."</p>
            <Transition fallback=|| view! { <Loading/> }>
                {move || list.get().map(|found| match found {
                    Ok(addresses) => view! {
                        <ul class="my-address-list">
                            {addresses.into_iter().map(|a| view! { <MyAddressItem address=a remove/> }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                })}
            </Transition>
            <ActionError value=remove.value()/>
            <ActionForm action=add node_ref=form attr:class="add-my-address">
                <label for="my-address">"Add an address of yours"</label>
                <input id="my-address" name="address" type="email" required placeholder="you@example.org"/>
                <ActionError value=add.value()/>
                <button type="submit" class="secondary" disabled=move || add.pending().get()>"Add address"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn MyAddressItem(address: MyAddress, remove: ServerAction<RemoveMyAddress>) -> impl IntoView {
    let source = address.source_label();
    let removable = address.removable();
    let label = format!("Remove {}", address.address);
    view! {
        <li class="my-address" data-address=address.address.clone()>
            <span class="address">{address.address.clone()}</span>
            <span class="meta">{source}</span>
            {removable.then(|| view! {
                <ActionForm action=remove attr:class="inline">
                    <input type="hidden" name="id" value=address.id.clone()/>
                    <button type="submit" class="secondary small" aria-label=label>"Remove"</button>
                </ActionForm>
            })}
        </li>
    }
}

#[component]
pub fn SettingsTabs(current: &'static str) -> impl IntoView {
    let tab = move |key: &'static str, href: &'static str, label: &'static str| {
        view! { <a href=href aria-current=(key == current).then_some("page")>{label}</a> }
    };
    view! {
        <nav class="tabs" aria-label="Settings sections">
            {tab("profile", "/settings", "Profile")}
            {tab("calendars", "/settings/calendars", "Calendars")}
        </nav>
    }
}
