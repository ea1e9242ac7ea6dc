//! Sign-in and sign-up.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{SignIn, SignUp};
use crate::components::status::ActionError;
use crate::models::MIN_PASSWORD_LEN;

/// The browser's IANA time zone, read once hydrated; the server never knows it.
fn browser_time_zone() -> RwSignal<String> {
    let zone = RwSignal::new("UTC".to_string());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        {
            let options =
                js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                    .resolved_options();
            if let Some(name) = js_sys::Reflect::get(&options, &"timeZone".into())
                .ok()
                .and_then(|v| v.as_string())
            {
                zone.set(name);
            }
        }
    });
    zone
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    view! {
        <Title text="Sign in"/>
        <main class="auth">
            <h1>"Sign in to Rondo"</h1>
            <ActionForm action>
                <label for="email">"Email"</label>
                <input id="email" type="email" name="email" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="current-password" required/>
                <ActionError value=action.value()/>
                <button type="submit" disabled=move || action.pending().get()>"Sign in"</button>
            </ActionForm>
            <p>"New here? " <a href="/signup">"Create an account"</a></p>
        </main>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let zone = browser_time_zone();
    view! {
        <Title text="Create an account"/>
        <main class="auth">
            <h1>"Create your Rondo account"</h1>
            <ActionForm action>
                <label for="name">"Your name"</label>
                <input id="name" name="name" autocomplete="name"/>
                <label for="email">"Email"</label>
                <input id="email" type="email" name="email" autocomplete="username" required/>
                <label for="password">"Password"</label>
                <input id="password" type="password" name="password" autocomplete="new-password" required
                       minlength=MIN_PASSWORD_LEN.to_string() aria-describedby="password-hint"/>
                <small id="password-hint">{format!("At least {MIN_PASSWORD_LEN} characters.")}</small>
                <input type="hidden" name="time_zone" value=move || zone.get()/>
                <ActionError value=action.value()/>
                <button type="submit" disabled=move || action.pending().get()>"Create account"</button>
            </ActionForm>
            <p>"Already have an account? " <a href="/login">"Sign in"</a></p>
        </main>
    }
}
