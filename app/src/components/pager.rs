use leptos::prelude::*;

/// Previous/next links that keep the other query parameters (plain links: they work without JS).
#[component]
pub fn Pager(
    page: u32,
    page_count: u32,
    #[prop(into)] href: Callback<u32, String>,
) -> impl IntoView {
    (page_count > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {(page > 1).then(|| view! { <a rel="prev" href=href.run(page - 1)>"← Previous"</a> })}
                <span>{format!("Page {page} of {page_count}")}</span>
                {(page < page_count).then(|| view! { <a rel="next" href=href.run(page + 1)>"Next →"</a> })}
            </nav>
        }
    })
}
