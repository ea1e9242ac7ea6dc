use leptos::prelude::*;

/// Previous/next links that keep the other query parameters (plain links: they work without JS).
/// `noscroll` keeps the browser where it is when the client follows them (a section of a page,
/// like a person's meetings, rather than the page's own list).
#[component]
pub fn Pager(
    page: u32,
    page_count: u32,
    #[prop(into)] href: Callback<u32, String>,
    #[prop(optional)] noscroll: bool,
    #[prop(default = "Pages")] label: &'static str,
) -> impl IntoView {
    let stay = noscroll.then_some("");
    (page_count > 1).then(|| {
        view! {
            <nav class="pager" aria-label=label>
                {(page > 1).then(|| view! { <a rel="prev" data-noscroll=stay href=href.run(page - 1)>"← Previous"</a> })}
                <span>{format!("Page {page} of {page_count}")}</span>
                {(page < page_count).then(|| view! { <a rel="next" data-noscroll=stay href=href.run(page + 1)>"Next →"</a> })}
            </nav>
        }
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    /// The HTML without hydration markers (`<!>`, which type-erased views add after text).
    fn render(page: u32, page_count: u32, noscroll: bool) -> String {
        Owner::new()
            .with(|| {
                view! { <Pager page page_count href=|n| format!("/x?p={n}") noscroll/> }.to_html()
            })
            .replace("<!>", "")
    }

    #[test]
    fn first_of_two_pages_links_to_the_next_only() {
        let html = render(1, 2, false);
        assert!(html.contains("Page 1 of 2"), "{html}");
        assert!(html.contains(r#"href="/x?p=2""#), "{html}");
        assert!(html.contains(">Next →</a>"), "{html}");
        assert!(!html.contains("Previous"), "{html}");
        assert!(!html.contains("noscroll"), "{html}");
    }

    #[test]
    fn last_page_links_to_the_previous_only_and_can_keep_the_scroll() {
        let html = render(2, 2, true);
        assert!(html.contains(r#"href="/x?p=1""#), "{html}");
        assert!(!html.contains("Next"), "{html}");
        assert!(html.contains("data-noscroll"), "{html}");
    }

    #[test]
    fn a_single_page_has_no_pager() {
        assert!(!render(1, 1, false).contains("pager"));
    }
}
