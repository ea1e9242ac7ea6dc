use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::list_people;
use crate::components::favorite::FavoriteToggle;
use crate::components::pager::Pager;
use crate::components::status::{ErrorBox, Loading};
use crate::models::NameCursor;

/// A page of the list: the first by itself, a neighbour page from a person at its edge (read
/// from the name index there, so deep pages cost what the first does).
fn people_href(query: &str, page: u32, cursor: Option<&NameCursor>) -> String {
    let mut href = format!("/people?page={page}");
    if !query.is_empty() {
        href.push_str("&q=");
        href.push_str(&urlencode(query));
    }
    match cursor {
        Some(NameCursor::After(id)) => href.push_str(&format!("&after={}", urlencode(id))),
        Some(NameCursor::Before(id)) => href.push_str(&format!("&before={}", urlencode(id))),
        None => {}
    }
    href
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let params = use_query_map();
    let query = move || params.with(|p| p.get("q").unwrap_or_default());
    let page = move || params.with(|p| p.get("page").and_then(|v| v.parse().ok()).unwrap_or(1u32));
    let edge = move |name: &str| params.with(|p| p.get(name));
    let people = Resource::new(
        move || (query(), page(), edge("after"), edge("before")),
        |(q, page, after, before)| list_people(q, page, after, before),
    );
    view! {
        <Title text="People"/>
        <div class="page-head">
            <h1>"People"</h1>
            <a class="button" href="/people/new">"Add person"</a>
        </div>
        <Form method="GET" action="/people" attr:class="search" attr:role="search">
            <label for="q" class="visually-hidden">"Search people"</label>
            <input id="q" type="search" name="q" placeholder="Search by name, email or organization" value=query/>
            <button type="submit">"Search"</button>
        </Form>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match people.await {
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                    Ok(result) if result.items.is_empty() => {
                        let message = if query().is_empty() { "No people yet. Add the first one." } else { "Nobody matches that search." };
                        view! { <p class="empty">{message}</p> }.into_any()
                    }
                    Ok(result) => {
                        let q = query();
                        let (page, page_count, total) = (result.page, result.page_count(), result.total);
                        let first = result.items.first().map(|p| NameCursor::Before(p.id.clone()));
                        let last = result.items.last().map(|p| NameCursor::After(p.id.clone()));
                        let href = move |n: u32| {
                            let cursor = if n == 1 { None } else if n > page { last.as_ref() } else { first.as_ref() };
                            people_href(&q, n, cursor)
                        };
                        view! {
                            <p class="meta">{format!("{total} {}", if total == 1 { "person" } else { "people" })}</p>
                            <table class="people">
                                <thead><tr><th scope="col"><span class="visually-hidden">"Favorite"</span></th><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Organization"</th></tr></thead>
                                <tbody>
                                    {result.items.into_iter().map(|p| {
                                        let name = p.full_name();
                                        view! {
                                            <tr>
                                                <td><FavoriteToggle person_id=p.id.clone() favorite=p.favorite name=name.clone()/></td>
                                                <td><a href=format!("/people/{}", p.id)>{name}</a>
                                                    {(!p.job_title.is_empty()).then(|| view! { <div class="role">{p.job_title.clone()}</div> })}</td>
                                                <td>{p.primary_email.clone().unwrap_or_default()}</td>
                                                <td>{p.organization.clone()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager page page_count href/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_carry_the_search_and_the_neighbouring_person() {
        assert_eq!(people_href("", 1, None), "/people?page=1");
        assert_eq!(
            people_href("Zoë A", 3, Some(&NameCursor::After("p-1".into()))),
            "/people?page=3&q=Zo%C3%AB%20A&after=p-1"
        );
        assert_eq!(
            people_href("", 2, Some(&NameCursor::Before("x y".into()))),
            "/people?page=2&before=x%20y"
        );
    }
}
