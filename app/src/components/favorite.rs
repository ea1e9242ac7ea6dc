use leptos::prelude::*;

use crate::api::SetFavorite;

/// A star that toggles a person's favorite flag; a plain form post without JS.
#[component]
pub fn FavoriteToggle(person_id: String, favorite: bool, name: String) -> impl IntoView {
    let action = ServerAction::<SetFavorite>::new();
    let current = move || {
        action
            .value()
            .get()
            .and_then(|r| r.ok())
            .unwrap_or(favorite)
    };
    let label = move || {
        if current() {
            format!("Remove {name} from favorites")
        } else {
            format!("Add {name} to favorites")
        }
    };
    view! {
        <ActionForm action attr:class="favorite-form">
            <input type="hidden" name="id" value=person_id/>
            <input type="hidden" name="favorite" value=move || (!current()).to_string()/>
            <button type="submit" class="favorite" class:on=current aria-pressed=move || current().to_string()
                    aria-label=label.clone() title=label>
                {move || if current() { "★" } else { "☆" }}
            </button>
        </ActionForm>
    }
}
