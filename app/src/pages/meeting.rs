//! One meeting on its own page: when and where, Join, "Log as activity", the description, the
//! attendees (your people first, with the same fixes as on cards) and your notes, saved as you
//! type (or with the Save button, without JavaScript).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{get_meeting, SaveMeetingNotes};
use crate::components::meeting::{LinkSearch, MeetingActionErrors, MeetingCard, MeetingChanges};
use crate::components::status::{ActionError, ErrorBox, Loading};
use crate::limits;
use crate::models::MeetingDetail;

#[component]
pub fn MeetingPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    // Refetched after an attendee was linked or added, or the meeting logged, from the card.
    // Carries the moment it was fetched, so the browser hydrates the "ended" the server rendered.
    let changes = MeetingChanges::new();
    let detail = Resource::new(
        move || (id(), changes.version()),
        |(id, _)| async move { (chrono::Utc::now(), get_meeting(id).await) },
    );
    LinkSearch::provide();
    view! {
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match detail.await {
                    (now, Ok(detail)) => view! { <MeetingView detail changes now/> }.into_any(),
                    (_, Err(error)) => view! { <ErrorBox error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn MeetingView(
    detail: MeetingDetail,
    changes: MeetingChanges,
    now: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    let MeetingDetail {
        mut meeting,
        description,
        notes,
        notes_saved_at,
        google_url,
    } = detail;
    let title = meeting.title.clone();
    // Your people first, then the others; each group keeps the organizer first.
    meeting.attendees.sort_by_key(|a| a.person.is_none());
    let id = meeting.id.clone();
    view! {
        <Title text=title.clone()/>
        <h1>{title}</h1>
        <div class="meeting-page">
            <MeetingActionErrors/>
            <MeetingCard meeting changes now=Signal::stored(now)/>
            {google_url.map(|url| view! {
                <p class="external-link">
                    <a href=url target="_blank" rel="noopener noreferrer external">"Open in Google Calendar"</a>
                </p>
            })}
            {description.map(|text| view! {
                <section class="card" aria-labelledby="description-heading">
                    <h2 id="description-heading">"Description"</h2>
                    <p class="notes description">{text}</p>
                </section>
            })}
            <MeetingNotesForm id notes saved=notes_saved_at.is_some()/>
        </div>
    }
}

/// The notes textarea: saved 0.8 s after the last keystroke in the browser, and by the Save
/// button as a plain form post.
#[component]
fn MeetingNotesForm(id: String, notes: String, saved: bool) -> impl IntoView {
    let save = ServerAction::<SaveMeetingNotes>::new();
    let text = RwSignal::new(notes.clone());
    let edits = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    {
        let id = id.clone();
        Effect::new(move |_| {
            let edit = edits.get();
            if edit == 0 {
                return;
            }
            let id = id.clone();
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(800).await;
                // Only the last keystroke of a burst saves.
                if edits.try_get_untracked() == Some(edit) {
                    save.dispatch(SaveMeetingNotes {
                        id,
                        notes: text.get_untracked(),
                    });
                }
            });
        });
    }
    let status = move || {
        if save.pending().get() {
            "Saving…"
        } else if edits.get() > 0 && save.version().get() == 0 {
            "Not saved yet"
        } else if matches!(save.value().get(), Some(Ok(()))) || (saved && save.version().get() == 0)
        {
            "Saved"
        } else {
            ""
        }
    };
    view! {
        <section class="card meeting-notes" aria-labelledby="notes-heading">
            <h2 id="notes-heading">"Meeting notes"</h2>
            <ActionForm action=save>
                <input type="hidden" name="id" value=id/>
                <label class="visually-hidden" for="meeting-notes">"Meeting notes"</label>
                <textarea id="meeting-notes" name="notes" rows="8" maxlength=limits::NOTES
                    placeholder="Agenda, decisions, follow-ups… Kept with this meeting and shown on its activity."
                    on:input=move |ev| { text.set(event_target_value(&ev)); edits.update(|n| *n += 1); }>
                    {notes}
                </textarea>
                <div class="form-actions">
                    <button type="submit" class="secondary">"Save notes"</button>
                    <span class="meta" role="status" data-testid="notes-status">{status}</span>
                </div>
                <ActionError value=save.value()/>
            </ActionForm>
        </section>
    }
}
