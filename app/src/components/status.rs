//! Loading and error states, the same everywhere data is fetched.
use leptos::prelude::*;

use crate::error::AppError;

#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading" role="status" aria-live="polite">"Loading…"</p> }
}

#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    let sign_in = matches!(error, AppError::Unauthorized);
    view! {
        <div class="error" role="alert">
            {error.to_string()}
            {sign_in.then(|| view! { " " <a href="/login">"Sign in"</a> })}
        </div>
    }
}

/// Shows the error of the last submission of a form, if it failed.
#[component]
pub fn ActionError<T, S>(value: S) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    move || match value.get() {
        Some(Err(error)) => Some(view! { <ErrorBox error/> }),
        _ => None,
    }
}
