//! The sync preferences of a calendar connection, as the Add and Edit dialogs offer them: how
//! often to sync and how far back and ahead, as choices (with "Custom" days for the window).
//! With a `name` they are also fields of a plain form: the frequency select posts its value,
//! and the window posts its number of days, which is all a browser without JavaScript shows.
use leptos::prelude::*;

use crate::models::{SyncFrequency, MAX_WINDOW_DAYS, WINDOW_CHOICES};

/// "Every 30 min" for the select (the card reads "Sync: every 30 min").
fn capitalized(label: &str) -> String {
    let mut chars = label.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[component]
pub fn FrequencySelect(
    id: &'static str,
    frequency: RwSignal<SyncFrequency>,
    /// The form field's name, when the select is part of a posted form.
    #[prop(optional)]
    name: Option<&'static str>,
) -> impl IntoView {
    let initial = frequency.get_untracked();
    view! {
        <label for=id>"Sync frequency"</label>
        <select id=id name=name on:change=move |ev| {
            if let Some(f) = SyncFrequency::parse(&event_target_value(&ev)) {
                frequency.set(f);
            }
        }>
            {SyncFrequency::ALL.into_iter().map(|f| view! {
                <option value=f.as_str() selected=f == initial>{capitalized(f.label())}</option>
            }).collect_view()}
        </select>
    }
}

/// How far back or ahead to sync: the usual spans, or "Custom" with a number of days (a
/// stored value that is no choice opens as custom).
#[component]
pub fn WindowSelect(
    id: &'static str,
    label: &'static str,
    /// "back" or "ahead", after each choice ("3 months ahead").
    direction: &'static str,
    days: RwSignal<u32>,
    /// The days field's name, when it is part of a posted form.
    #[prop(optional)]
    name: Option<&'static str>,
) -> impl IntoView {
    let initial = days.get_untracked();
    let custom = RwSignal::new(!WINDOW_CHOICES.iter().any(|(d, _)| *d == initial));
    let custom_id = format!("{id}-days");
    view! {
        <label for=id class="js-only">{label}</label>
        <select id=id class="js-only" on:change=move |ev| {
            match event_target_value(&ev).parse::<u32>() {
                Ok(d) => { custom.set(false); days.set(d); }
                Err(_) => custom.set(true),
            }
        }>
            {WINDOW_CHOICES.iter().map(|(d, text)| view! {
                <option value=d.to_string() selected=!custom.get_untracked() && *d == initial>{format!("{text} {direction}")}</option>
            }).collect_view()}
            <option value="custom" selected=custom.get_untracked()>"Custom…"</option>
        </select>
        // Always there (it is what a form posts); with JavaScript shown only for "Custom…",
        // without it the only field (the page's <noscript>
        // style shows `js-hidden` and `nojs-only`).
        <span class="nojs-only">{label}</span>
        <label class="inline window-custom" class:js-hidden=move || !custom.get() for=custom_id.clone()>
            <input id=custom_id.clone() name=name type="number" min="0" max=MAX_WINDOW_DAYS.to_string()
                value=initial.to_string()
                prop:value=move || days.get().to_string()
                on:input=move |ev| {
                    if let Ok(d) = event_target_value(&ev).trim().parse() { days.set(d); }
                }/>
            {format!("days {direction}")}
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::capitalized;

    #[test]
    fn labels_start_with_a_capital() {
        assert_eq!(capitalized("every 30 min"), "Every 30 min");
        assert_eq!(capitalized("daily"), "Daily");
        assert_eq!(capitalized(""), "");
    }
}
