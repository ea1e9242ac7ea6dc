//! The browser entry point: hydrates the server-rendered app.
#![recursion_limit = "512"]
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    // The server's resolved resources arrive in script tags at the end of the body. The cached
    // WASM can be ready before the parser reaches them; hydrating then finds resources still
    // pending and the markup does not match. So wait for the whole document.
    if document.ready_state() == "loading" {
        let start = Closure::once_into_js(hydrate_now);
        let _ =
            document.add_event_listener_with_callback("DOMContentLoaded", start.unchecked_ref());
    } else {
        hydrate_now();
    }
}

fn hydrate_now() {
    leptos::mount::hydrate_body(app::App);
    // Lets tests (and curious users) see that the page is interactive now.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
