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

/// Previous/next buttons for a list paged in a signal (the person page's meetings).
/// Comparisons in attribute values stay in braces: in `view!` a bare `>` ends the tag.
#[component]
pub fn MeetingPager(current: u32, count: u32, page: RwSignal<u32>) -> impl IntoView {
    (count > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Meeting pages">
                <button type="button" class="link" disabled={current <= 1} on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>"← Previous"</button>
                <span>{format!("Page {current} of {count}")}</span>
                <button type="button" class="link" disabled={current >= count} on:click=move |_| page.update(|p| *p += 1)>"Next →"</button>
            </nav>
        }
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn render(current: u32, count: u32) -> String {
        Owner::new().with(|| {
            let page = RwSignal::new(current);
            view! { <MeetingPager current count page/> }.to_html()
        })
    }

    #[test]
    fn first_of_two_pages_offers_next_not_previous() {
        let html = render(1, 2);
        assert!(html.contains("Page 1 of 2"), "{html}");
        let next = html
            .split("<button")
            .find(|b| b.contains("Next →"))
            .unwrap_or_else(|| panic!("no Next button: {html}"));
        assert!(!next.contains("disabled"), "Next is disabled: {html}");
        assert!(next.contains(">Next →</button>"), "Next's label: {html}");
        let previous = html
            .split("<button")
            .find(|b| b.contains("← Previous"))
            .unwrap_or_else(|| panic!("no Previous button: {html}"));
        assert!(previous.contains("disabled"), "Previous is enabled: {html}");
        assert!(
            !html.contains("on:click") && !html.contains("page.update"),
            "leaked code: {html}"
        );
    }

    #[test]
    fn last_page_offers_previous_not_next() {
        let html = render(2, 2);
        let next = html
            .split("<button")
            .find(|b| b.contains("Next →"))
            .unwrap();
        assert!(next.contains("disabled"), "{html}");
        let previous = html
            .split("<button")
            .find(|b| b.contains("← Previous"))
            .unwrap();
        assert!(!previous.contains("disabled"), "{html}");
        assert!(!html.contains("page.update"), "leaked code: {html}");
    }

    #[test]
    fn a_single_page_has_no_pager() {
        assert!(!render(1, 1).contains("pager"));
    }
}
