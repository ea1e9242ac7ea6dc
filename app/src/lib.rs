//! Rondo's shared application: routes, pages, typed models and server functions.
#![recursion_limit = "256"]
pub mod api;
pub mod components;
pub mod error;
pub mod limits;
pub mod models;
pub mod pages;
pub mod time;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use components::layout::AppLayout;
use pages::{auth, calendars, dashboard, meeting, meetings, people, person, person_form, settings};

/// The HTML document the server renders around the app. Pages render in `SsrMode::Async`:
/// the server waits for their data, so every page and form works before (or without) WASM.
/// The stylesheet and scripts link to the content-hashed names in the site's `hash.txt`.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HashedStylesheet options=options.clone() id="rondo"/>
                <HydrationScripts options/>
                <MetaTags/>
                // Controls that only the WASM client can work (e.g. "Add email" growing a form)
                // are hidden from browsers without JavaScript.
                <noscript><style>".js-only { display: none !important; } .js-hidden, .nojs-only { display: revert !important; }"</style></noscript>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Rondo".to_string() } else { format!("{page} · Rondo") }/>
        <Router>
            <Routes fallback=|| view! { <main class="narrow"><h1>"Page not found"</h1><a href="/">"Back to the dashboard"</a></main> }>
                <Route path=path!("/login") view=auth::SignInPage ssr=SsrMode::Async/>
                <Route path=path!("/signup") view=auth::SignUpPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=AppLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=dashboard::DashboardPage ssr=SsrMode::Async/>
                    <Route path=path!("people") view=people::PeoplePage ssr=SsrMode::Async/>
                    <Route path=path!("people/new") view=person_form::NewPersonPage ssr=SsrMode::Async/>
                    <Route path=path!("people/:id") view=person::PersonPage ssr=SsrMode::Async/>
                    <Route path=path!("people/:id/edit") view=person_form::EditPersonPage ssr=SsrMode::Async/>
                    <Route path=path!("meetings") view=meetings::MeetingsPage ssr=SsrMode::Async/>
                    <Route path=path!("meetings/:id") view=meeting::MeetingPage ssr=SsrMode::Async/>
                    <Route path=path!("settings") view=settings::SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("settings/calendars") view=calendars::CalendarsPage ssr=SsrMode::Async/>
                    <Route path=path!("settings/calendars/add") view=calendars::AddCalDavPage ssr=SsrMode::Async/>
                    <Route path=path!("settings/calendars/:id/edit") view=calendars::EditConnectionPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
