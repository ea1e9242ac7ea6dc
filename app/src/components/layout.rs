//! The signed-in frame: navigation, the current user in context, and a redirect to sign-in.
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};

use crate::api::{current_user, SignOut};
use crate::components::status::{ErrorBox, Loading};
use crate::models::UserInfo;

/// The signed-in user, provided to every page inside the layout.
#[derive(Clone, Copy)]
pub struct CurrentUser(pub RwSignal<UserInfo>);

pub fn use_user() -> RwSignal<UserInfo> {
    expect_context::<CurrentUser>().0
}

#[component]
pub fn AppLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => {
                        provide_context(CurrentUser(RwSignal::new(user)));
                        view! { <SignedIn/> }.into_any()
                    }
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(error) => view! { <main class="narrow"><ErrorBox error/></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SignedIn() -> impl IntoView {
    let user = use_user();
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Rondo"</a>
            <nav aria-label="Main">
                <A href="/" exact=true>"Dashboard"</A>
                <A href="/people">"People"</A>
                <A href="/meetings">"Meetings"</A>
                <A href="/settings">"Settings"</A>
            </nav>
            <div class="who">
                <span class="user-name">{move || user.with(|u| if u.name.is_empty() { u.email.clone() } else { u.name.clone() })}</span>
                <ActionForm action=sign_out>
                    <button type="submit" class="link">"Sign out"</button>
                </ActionForm>
            </div>
        </header>
        <main>
            <Outlet/>
        </main>
    }
}
