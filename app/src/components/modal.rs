//! A modal dialog that behaves like one: focus moves into it when it opens, Tab and Shift+Tab
//! stay inside, Esc closes it, and focus goes back to what opened it when it closes.
use leptos::html::Div;
use leptos::prelude::*;

#[component]
pub fn Modal(
    /// The id of the heading that names the dialog.
    labelled_by: &'static str,
    on_close: Callback<()>,
    children: Children,
) -> impl IntoView {
    let panel = NodeRef::<Div>::new();
    #[cfg(feature = "hydrate")]
    focus::move_in_and_back(panel);
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            on_close.run(());
        }
        #[cfg(feature = "hydrate")]
        "Tab" => focus::keep_inside(panel, &ev),
        _ => {}
    };
    view! {
        <div class="modal-backdrop">
            <div class="modal card" role="dialog" aria-modal="true" aria-labelledby=labelled_by
                 tabindex="-1" node_ref=panel on:keydown=on_keydown>
                {children()}
            </div>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod focus {
    use leptos::html::Div;
    use leptos::prelude::*;
    use send_wrapper::SendWrapper;
    use wasm_bindgen::JsCast;
    use web_sys::{HtmlElement, KeyboardEvent};

    const FOCUSABLE: &str =
        "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), \
        select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";
    const FIELDS: [&str; 3] = ["INPUT", "SELECT", "TEXTAREA"];

    fn focused() -> Option<HtmlElement> {
        document().active_element()?.dyn_into().ok()
    }

    /// What Tab can reach inside the dialog, in order (hidden elements have no offset parent).
    fn reachable(panel: &HtmlElement) -> Vec<HtmlElement> {
        let Ok(list) = panel.query_selector_all(FOCUSABLE) else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.item(i)?.dyn_into::<HtmlElement>().ok())
            .filter(|el| el.offset_parent().is_some())
            .collect()
    }

    fn same(a: &HtmlElement, b: &HtmlElement) -> bool {
        a.is_same_node(Some(b))
    }

    /// Focuses the dialog's first field (else its first control, else the dialog) once it is in
    /// the page; when the dialog goes, focus returns to the element that had it before.
    pub fn move_in_and_back(panel: NodeRef<Div>) {
        let opener = SendWrapper::new(focused());
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) {
                return true;
            }
            let Some(panel) = panel.get() else {
                return false;
            };
            let items = reachable(&panel);
            let target = items
                .iter()
                .find(|el| FIELDS.contains(&el.tag_name().as_str()))
                .or(items.first())
                .cloned()
                .unwrap_or_else(|| panel.clone().into());
            let _ = target.focus();
            true
        });
        on_cleanup(move || {
            if let Some(opener) = opener.take().filter(|el| el.is_connected()) {
                let _ = opener.focus();
            }
        });
    }

    /// Wraps Tab from the last control to the first and Shift+Tab from the first to the last.
    pub fn keep_inside(panel: NodeRef<Div>, ev: &KeyboardEvent) {
        let Some(panel) = panel.get_untracked() else {
            return;
        };
        let items = reachable(&panel);
        let (Some(first), Some(last)) = (items.first(), items.last()) else {
            ev.prevent_default();
            return;
        };
        let current = focused();
        let at = |el: &HtmlElement| current.as_ref().is_some_and(|c| same(c, el));
        let on_panel = current
            .as_ref()
            .is_some_and(|c| c.is_same_node(Some(&panel)));
        if ev.shift_key() && (at(first) || on_panel) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && at(last) {
            ev.prevent_default();
            let _ = first.focus();
        }
    }
}
