//! Sign-in and sign-up.
use leptos::prelude::*;

use crate::limits;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{signup_options, SignIn, SignUp};
use crate::components::status::{ActionError, ErrorBox, Loading};
use crate::models::{SignupMode, MIN_PASSWORD_LEN, SIGNED_UP_NOTICE};

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
    let query = use_query_map();
    // After a sign-up: the same words whether the address was new or not.
    let signed_up = move || query.with(|q| q.get("signed_up").is_some());
    view! {
        <Title text="Sign in"/>
        <main class="auth">
            <h1>"Sign in to Rondo"</h1>
            <Show when=signed_up>
                <div class="card notice success" role="status" data-testid="signed-up">{SIGNED_UP_NOTICE}</div>
            </Show>
            <ActionForm action>
                <label for="email">"Email"</label>
                <input id="email" type="email" name="email" autocomplete="username" required maxlength=limits::EMAIL/>
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
    let mode = Resource::new(|| (), |_| signup_options());
    view! {
        <Title text="Create an account"/>
        <main class="auth">
            <h1>"Create your Rondo account"</h1>
            <Suspense fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match mode.await {
                        Ok(SignupMode::Closed) => view! {
                            <div class="card notice" role="status" data-testid="signup-closed">
                                "Sign-up is closed on this server. Ask its administrator for an account."
                            </div>
                        }.into_any(),
                        Ok(mode) => view! { <SignUpForm invite=mode == SignupMode::Invite/> }.into_any(),
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                    }
                })}
            </Suspense>
            <p>"Already have an account? " <a href="/login">"Sign in"</a></p>
        </main>
    }
}

/// A plain form (it posts without JavaScript too); `invite` adds the invite-code field.
#[component]
fn SignUpForm(invite: bool) -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let zone = browser_time_zone();
    view! {
        <ActionForm action>
            <label for="name">"Your name"</label>
            <input id="name" name="name" autocomplete="name" maxlength=limits::NAME/>
            <label for="email">"Email"</label>
            <input id="email" type="email" name="email" autocomplete="username" required maxlength=limits::EMAIL/>
            <label for="password">"Password"</label>
            <input id="password" type="password" name="password" autocomplete="new-password" required
                   minlength=MIN_PASSWORD_LEN.to_string() aria-describedby="password-hint"/>
            <small id="password-hint">{format!("At least {MIN_PASSWORD_LEN} characters.")}</small>
            {invite.then(|| view! {
                <label for="invite">"Invite code"</label>
                <input id="invite" name="invite" autocomplete="off" required aria-describedby="invite-hint"/>
                <small id="invite-hint">"Sign-up on this server needs an invite code from its administrator."</small>
            })}
            <input type="hidden" name="time_zone" value=move || zone.get()/>
            <ActionError value=action.value()/>
            <button type="submit" disabled=move || action.pending().get()>"Create account"</button>
        </ActionForm>
    }
}
