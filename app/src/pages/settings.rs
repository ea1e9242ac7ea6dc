use leptos::prelude::*;

use crate::limits;
use leptos_meta::Title;

use crate::api::UpdateProfile;
use crate::components::layout::use_user;
use crate::components::status::ActionError;

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
                <select id="time_zone" name="time_zone">
                    {chrono_tz::TZ_VARIANTS.iter().map(|tz| {
                        let name = tz.name();
                        view! { <option value=name selected=name == current.time_zone>{name}</option> }
                    }).collect_view()}
                </select>
                <small>"All dates and times are shown in this zone."</small>
                <ActionError value=action.value()/>
                {move || matches!(action.value().get(), Some(Ok(_))).then(|| view! { <p class="success" role="status">"Profile saved."</p> })}
                <button type="submit" disabled=move || action.pending().get()>"Save profile"</button>
            </ActionForm>
        </section>
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
