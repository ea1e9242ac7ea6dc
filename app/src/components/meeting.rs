//! Meeting cards: time in the user's zone, calendar color, join link, attendees with their
//! responses and matched people, "Log as activity", and one-click fixes for unmatched attendees.
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use crate::api::{
    list_people, AddAttendeePerson, AddUnknownGuests, LinkAttendee, ListPeople, LogMeeting,
};
use crate::components::layout::use_user;
use crate::components::status::{ActionError, ErrorBox};
use crate::error::AppError;
use crate::models::{Meeting, MeetingAttendee, PersonSummary, Response};
use crate::time::{format_meeting_times, format_meeting_when};

/// Bumped whenever a card logged a meeting or linked an attendee, so the page's lists
/// (meetings, timeline) refetch.
#[derive(Clone, Copy)]
pub struct MeetingChanges(pub RwSignal<u32>);

impl MeetingChanges {
    pub fn new() -> Self {
        MeetingChanges(RwSignal::new(0))
    }

    pub fn version(&self) -> u32 {
        self.0.get()
    }

    fn bump_on_success<T, E, S>(self, value: S)
    where
        T: Clone + Send + Sync + 'static,
        E: Clone + Send + Sync + 'static,
        S: Get<Value = Option<Result<T, E>>> + Send + Sync + 'static,
    {
        Effect::new(move |_| {
            if let Some(Ok(_)) = value.get() {
                self.0.update(|v| *v += 1);
            }
        });
    }
}

impl Default for MeetingChanges {
    fn default() -> Self {
        Self::new()
    }
}

#[component]
pub fn MeetingCard(
    meeting: Meeting,
    changes: MeetingChanges,
    #[prop(into)] now: Signal<DateTime<Utc>>,
) -> impl IntoView {
    let tz = use_user().with_untracked(|u| u.time_zone.clone());
    let when = format_meeting_when(&meeting, &tz);
    let color = meeting
        .calendar_color
        .clone()
        .unwrap_or_else(|| "#868e96".into());
    let first_person = meeting.matched_people().first().map(|p| p.id.clone());
    // The same moment as the rest of the card (on the person page, when the server rendered it),
    // so hydration finds what the server drew.
    let can_log =
        meeting.has_ended(now.get_untracked(), &tz) && !meeting.cancelled && !meeting.out_of_office;
    let id = meeting.id.clone();
    let logged = meeting.logged_activity.clone();
    let place = [
        Some(meeting.calendar_name.clone()).filter(|c| !c.is_empty()),
        meeting
            .location
            .clone()
            .filter(|l| !l.is_empty() && Some(l) != meeting.meeting_url.as_ref()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let in_progress = {
        let m = meeting.clone();
        Signal::derive(move || m.in_progress(now.get()))
    };
    let declined = meeting.declined_by_me();
    let mark = meeting
        .my_mark()
        .map(|mark| view! { <MyMark mark declined/> });
    view! {
        <article class="meeting card" class:cancelled=meeting.cancelled class:out-of-office=meeting.out_of_office class:declined=declined class:now=in_progress data-meeting=meeting.title.clone()
                 style=format!("border-left-color:{color}")>
            <header class="meeting-head">
                <h3><a href=format!("/meetings/{}", meeting.id)>{meeting.title.clone()}</a></h3>
                {move || in_progress.get().then(|| view! { <span class="now-marker">"Now"</span> })}
                {meeting.cancelled.then(|| view! { <span class="tag">"Cancelled"</span> })}
                {meeting.out_of_office.then(|| view! { <span class="tag out-of-office">"Out of office"</span> })}
                {mark}
            </header>
            <p class="meeting-when">{when}</p>
            {(!place.is_empty()).then(|| view! { <p class="meta">{place}</p> })}
            <div class="meeting-actions">
                {meeting.join_url().map(|url| view! { <a class="button join" href=url target="_blank" rel="noopener noreferrer">"Join"</a> })}
                {can_log.then(|| view! { <LogButton id=id.clone() logged first_person changes/> })}
            </div>
            <ul class="attendees">
                {meeting.attendees.into_iter().filter(|a| !a.is_resource).map(|a| view! { <AttendeeItem attendee=a changes/> }).collect_view()}
            </ul>
        </article>
    }
    .into_any()
}

/// "You declined" / "Tentative": your own answer to a meeting.
#[component]
fn MyMark(mark: &'static str, declined: bool) -> impl IntoView {
    view! { <span class="tag my-response" class:declined=declined class:tentative=!declined>{mark}</span> }
}

/// "Log as activity": a form posting to the server function, so it works without JavaScript
/// too (the page comes back with the meeting marked "Logged ✓").
#[component]
fn LogButton(
    id: String,
    logged: Option<String>,
    first_person: Option<String>,
    changes: MeetingChanges,
) -> impl IntoView {
    let log = ServerAction::<LogMeeting>::new();
    changes.bump_on_success(log.value());
    let activity = Signal::derive(move || {
        logged
            .clone()
            .or_else(|| log.value().get().and_then(|r| r.ok()))
    });
    let href = move |activity: String| match &first_person {
        Some(person) => format!("/people/{person}#activity-{activity}"),
        None => "#".to_string(),
    };
    view! {
        {move || match activity.get() {
            Some(activity) => view! { <a class="button secondary logged" href=href(activity)>"Logged ✓"</a> }.into_any(),
            None => {
                let id = id.clone();
                view! {
                <ActionForm action=log attr:class="inline log-form">
                    <input type="hidden" name="event_id" value=id/>
                    <button type="submit" class="secondary log-meeting" disabled=move || log.pending().get()>
                        "Log as activity"
                    </button>
                </ActionForm>
            }.into_any()
            }
        }}
        <ActionError value=sent_here(log)/>
    }
}

/// The error of a card's own action, for that card. A failed post without JavaScript comes
/// back as the page's `__err` query, which every card's action would read: those errors show
/// once, above the list ([`MeetingActionErrors`]), and cards show only what they sent themselves.
fn sent_here<S>(action: ServerAction<S>) -> Signal<Option<Result<S::Output, AppError>>>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        if action.version().get() == 0 {
            None
        } else {
            action.value().get()
        }
    })
}

/// The error of a meeting action posted without JavaScript (from the page's `__err` query):
/// shown once where the meetings are listed, not on every card.
#[component]
pub fn MeetingActionErrors() -> impl IntoView {
    let log = ServerAction::<LogMeeting>::new();
    let add = ServerAction::<AddAttendeePerson>::new();
    let link = ServerAction::<LinkAttendee>::new();
    view! {
        <ActionError value=log.value()/>
        <ActionError value=add.value()/>
        <ActionError value=link.value()/>
    }
}

/// Finding someone to link an attendee to without JavaScript: the card's search is a GET form
/// (`?link=EMAIL&find=TEXT`, the page's other query parameters kept) and the people found come
/// from this resource, created with the page (before any suspended content, so the server and
/// the browser number it alike). Pages with meeting cards call [`LinkSearch::provide`]; with
/// JavaScript the search also runs as you type.
#[derive(Clone, Copy)]
pub struct LinkSearch {
    target: Memo<Option<String>>,
    found: Resource<Result<Vec<PersonSummary>, AppError>>,
}

impl LinkSearch {
    pub fn provide() {
        let query = use_query_map();
        let target = Memo::new(move |_| query.with(|q| q.get("link")));
        let find = Memo::new(move |_| query.with(|q| q.get("find").unwrap_or_default()));
        let found = Resource::new(
            move || (target.get(), find.get()),
            |(target, find)| async move {
                if target.is_none() || find.trim().chars().count() < 2 {
                    return Ok(Vec::new());
                }
                list_people(find, 1, None, None)
                    .await
                    .map(|page| page.items)
            },
        );
        provide_context(LinkSearch { target, found });
    }
}

/// "Link to X" / "This is X": adds the attendee's address to that person. `hint` says why it
/// is offered (a suggestion comes from a similar name, not from the address).
fn link_form(
    link: ServerAction<LinkAttendee>,
    person_id: String,
    email: String,
    class: &'static str,
    (label, hint): (String, Option<String>),
) -> impl IntoView {
    view! {
        <ActionForm action=link attr:class="inline fix-form">
            <input type="hidden" name="person_id" value=person_id/>
            <input type="hidden" name="email" value=email/>
            <button type="submit" class=format!("secondary {class}") title=hint>{label}</button>
        </ActionForm>
    }
}

#[component]
fn AttendeeItem(attendee: MeetingAttendee, changes: MeetingChanges) -> impl IntoView {
    let name = attendee.display_name();
    let response = attendee.response.unwrap_or(Response::NeedsAction).label();
    let class = format!(
        "attendee response-{}",
        attendee.response.map(Response::as_str).unwrap_or("none")
    );
    let role = match (attendee.is_self, attendee.organizer) {
        (true, true) => " (you, organizer)",
        (true, false) => " (you)",
        (false, true) => " (organizer)",
        (false, false) => "",
    };
    let who = match attendee.person.clone() {
        Some(person) => {
            let hover = format!(
                "{} ({}% confident)",
                attendee.reason.map(|r| r.label()).unwrap_or("matched"),
                attendee.confidence
            );
            view! { <a class="matched" href=format!("/people/{}", person.id) title=hover>{person.name}</a> }.into_any()
        }
        None => {
            view! { <span class="unmatched" title=attendee.email.clone()>{name.clone()}</span> }
                .into_any()
        }
    };
    let fix = attendee
        .is_unknown()
        .then(|| view! { <UnmatchedActions attendee=attendee.clone() changes/> });
    view! {
        <li class=class class:me=attendee.is_self>
            {who}
            // One text node: an empty one next to another vanishes in HTML and breaks hydration.
            <span class="meta">{format!("{role} · {response}")}</span>
            {fix}
        </li>
    }
}

/// Add the attendee as a new person, confirm a name suggestion, or link to someone found by
/// search: each a form posting to its server function, with or without JavaScript.
#[component]
fn UnmatchedActions(attendee: MeetingAttendee, changes: MeetingChanges) -> impl IntoView {
    let email = attendee.email.clone();
    let name = attendee.name.clone().unwrap_or_default();
    // An action, not a resource: resources created inside already-suspended content would be
    // numbered differently on server and client and break hydration.
    let search = ServerAction::<ListPeople>::new();
    let link = ServerAction::<LinkAttendee>::new();
    let add = ServerAction::<AddAttendeePerson>::new();
    changes.bump_on_success(link.value());
    changes.bump_on_success(add.value());
    let link_search = use_context::<LinkSearch>();
    let searched_here = link_search
        .map(|s| s.target.get_untracked().as_deref() == Some(email.as_str()))
        .unwrap_or(false);
    let query = use_query_map();
    // The page's own query parameters, kept by the search form (except its own and errors).
    let kept = query.with_untracked(|q| {
        q.clone()
            .into_iter()
            .filter(|(k, _)| !matches!(k.as_ref(), "link" | "find" | "__err" | "__path"))
            .collect::<Vec<_>>()
    });
    let find = query
        .with_untracked(|q| q.get("find"))
        .filter(|_| searched_here);
    let field = format!("link-{}", attendee.email);
    let (add_email, search_email) = (attendee.email.clone(), attendee.email.clone());
    let person_form = move |p: PersonSummary| {
        let label = format!("Link to {}", p.full_name());
        link_form(link, p.id, email.clone(), "link-person", (label, None))
    };
    let typed = {
        let person_form = person_form.clone();
        move || {
            let people = search.value().get().and_then(|r| r.ok())?.items;
            (!people.is_empty()).then(|| view! {
                <span class="link-results">{people.into_iter().take(5).map(person_form.clone()).collect_view()}</span>
            })
        }
    };
    // Found by the search form (a page load): shown until the search runs again as typed.
    let posted = link_search.filter(|_| searched_here).map(|s| {
        let person_form = person_form.clone();
        view! {
            <Suspense fallback=|| ()>
                {move || {
                    let person_form = person_form.clone();
                    Suspend::new(async move {
                        let found = s.found.await;
                        (search.version().get() == 0).then(|| match found {
                            Ok(people) if people.is_empty() => view! { <p class="meta link-results">"Nobody found."</p> }.into_any(),
                            Ok(people) => view! {
                                <span class="link-results">{people.into_iter().take(5).map(person_form).collect_view()}</span>
                            }.into_any(),
                            Err(error) => view! { <ErrorBox error/> }.into_any(),
                        })
                    })
                }}
            </Suspense>
        }
    });
    view! {
        <details class="attendee-fix" open=searched_here>
            <summary>"Add…"</summary>
            <div class="fix-panel">
                <span class="suggestions">{attendee.suggestions.into_iter().map(|p| {
                    let label = format!("This is {}", p.name);
                    let hint = format!("A similar name: adds {} to {}", attendee.email, p.name);
                    link_form(link, p.id, attendee.email.clone(), "suggestion", (label, Some(hint)))
                }).collect_view()}</span>
                <ActionForm action=add attr:class="inline fix-form">
                    <input type="hidden" name="email" value=add_email/>
                    <input type="hidden" name="name" value=name/>
                    <button type="submit" class="secondary add-person">"Add as new person"</button>
                </ActionForm>
                <Form method="GET" action="" noscroll=true attr:class="link-search-form">
                    {kept.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v/> }).collect_view()}
                    <input type="hidden" name="link" value=search_email/>
                    <label class="visually-hidden" for=field.clone()>"Find a person"</label>
                    <input id=field type="search" name="find" placeholder="Link to a person…" class="link-search" value=find
                           on:input=move |ev| {
                               let query = event_target_value(&ev);
                               if query.trim().len() >= 2 {
                                   search.dispatch(ListPeople { query, page: 1, after: None, before: None });
                               }
                           }/>
                    <button type="submit" class="secondary small">"Find"</button>
                </Form>
                {typed}
                {posted}
                <ActionError value=sent_here(link)/>
                <ActionError value=sent_here(add)/>
            </div>
        </details>
    }
}

/// The last "Add all unknown guests" that succeeded on a page: the meeting and how many people
/// it added (from the action, or from `?meeting=…&added=…` after a plain form post).
#[derive(Clone, Copy)]
pub struct GuestsAdded(pub RwSignal<Option<(String, u32)>>);

impl GuestsAdded {
    /// What a row says after its guests were added.
    pub fn message(added: u32) -> String {
        match added {
            0 => "Nothing to add: every guest is known now.".into(),
            1 => "Added 1 person.".into(),
            n => format!("Added {n} people."),
        }
    }
}

/// One row of the Meetings page: time, calendar color, title, your marks, your people, and the
/// unknown guests with the same fixes as on cards, plus "Add all unknown guests".
/// `failed_here`: a plain form post of this row came back with an error.
#[component]
pub fn MeetingRow(
    meeting: Meeting,
    changes: MeetingChanges,
    added: GuestsAdded,
    failed_here: bool,
) -> impl IntoView {
    let tz = use_user().with_untracked(|u| u.time_zone.clone());
    let times = format_meeting_times(&meeting, &tz);
    let color = meeting
        .calendar_color
        .clone()
        .unwrap_or_else(|| "#868e96".into());
    let people = meeting.matched_people();
    let unknown: Vec<MeetingAttendee> = meeting.unknown_guests().cloned().collect();
    let declined = meeting.declined_by_me();
    let mark = meeting
        .my_mark()
        .map(|mark| view! { <MyMark mark declined/> });
    let id = meeting.id.clone();
    let notice = {
        let id = id.clone();
        move || {
            added.0.with(|a| match a {
                Some((at, n)) if *at == id => Some(view! {
                    <p class="notice success" role="status">{GuestsAdded::message(*n)}</p>
                }),
                _ => None,
            })
        }
    };
    let count = unknown.len();
    view! {
        <li class="meeting-row" class:cancelled=meeting.cancelled class:declined=declined data-meeting=meeting.title.clone()>
            <div class="row-head">
                <span class="row-time">{times}</span>
                <span class="calendar-dot" style=format!("background:{color}") title=meeting.calendar_name.clone()></span>
                <a class="row-title" href=format!("/meetings/{}", meeting.id)>{meeting.title.clone()}</a>
                {meeting.cancelled.then(|| view! { <span class="tag">"Cancelled"</span> })}
                {mark}
            </div>
            {(!people.is_empty()).then(|| view! {
                <p class="row-people">
                    {people.into_iter().map(|p| view! { <a class="matched" href=format!("/people/{}", p.id)>{p.name}</a> }).collect_view()}
                </p>
            })}
            {(count > 0).then(|| view! {
                <ul class="attendees unknown-guests" aria-label="Unknown guests">
                    {unknown.into_iter().map(|a| view! { <AttendeeItem attendee=a changes/> }).collect_view()}
                </ul>
                <AddAllGuests id=id.clone() count changes added failed_here/>
            })}
            {notice}
        </li>
    }
}

/// "Add all unknown guests": a real form, so it works without JavaScript too.
#[component]
fn AddAllGuests(
    id: String,
    count: usize,
    changes: MeetingChanges,
    added: GuestsAdded,
    failed_here: bool,
) -> impl IntoView {
    let add = ServerAction::<AddUnknownGuests>::new();
    changes.bump_on_success(add.value());
    {
        let id = id.clone();
        Effect::new(move |_| {
            if let Some(Ok(n)) = add.value().get() {
                added.0.set(Some((id.clone(), n)));
            }
        });
    }
    let label = match count {
        1 => "Add the unknown guest".to_string(),
        n => format!("Add all {n} unknown guests"),
    };
    // Every row's action reads a plain post's error back from the URL: only the row that
    // posted shows it.
    let error_here = move || failed_here || add.version().get() > 0;
    view! {
        <ActionForm action=add>
            <input type="hidden" name="event_id" value=id/>
            <button type="submit" class="secondary add-all" disabled=move || add.pending().get()>{label}</button>
        </ActionForm>
        {move || error_here().then(|| view! { <ActionError value=add.value()/> })}
    }
}

/// A compact row for the dashboard: time, title, join, matched people, and "now".
#[component]
pub fn TodayItem(meeting: Meeting, #[prop(into)] now: Signal<DateTime<Utc>>) -> impl IntoView {
    let tz = use_user().with_untracked(|u| u.time_zone.clone());
    let times = format_meeting_times(&meeting, &tz);
    let people = meeting.matched_people();
    let color = meeting
        .calendar_color
        .clone()
        .unwrap_or_else(|| "#868e96".into());
    let in_progress = {
        let m = meeting.clone();
        Signal::derive(move || m.in_progress(now.get()))
    };
    let done = {
        let m = meeting.clone();
        move || m.has_ended(now.get(), &tz) && !m.all_day
    };
    let declined = meeting.declined_by_me();
    let mark = meeting
        .my_mark()
        .map(|mark| view! { <MyMark mark declined/> });
    view! {
        <li class="today-item" class:now=in_progress class:done=done class:declined=declined class:out-of-office=meeting.out_of_office data-meeting=meeting.title.clone() style=format!("border-left-color:{color}")>
            <span class="today-time">{times}</span>
            <a class="today-title" href=format!("/meetings/{}", meeting.id)>{meeting.title.clone()}</a>
            {move || in_progress.get().then(|| view! { <span class="now-marker">"Now"</span> })}
            {meeting.out_of_office.then(|| view! { <span class="tag out-of-office">"Out of office"</span> })}
            {mark}
            <span class="today-people">
                {people.into_iter().map(|p| view! { <a href=format!("/people/{}", p.id)>{p.name}</a> }).collect_view()}
            </span>
            {meeting.join_url().map(|url| view! { <a class="button join" href=url target="_blank" rel="noopener noreferrer">"Join"</a> })}
        </li>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::components::layout::CurrentUser;
    use crate::models::UserInfo;

    fn meeting(cancelled: bool) -> Meeting {
        Meeting {
            id: "m".into(),
            title: "Standup".into(),
            starts_at: "2030-01-01T10:00:00Z".parse().unwrap(),
            ends_at: "2030-01-01T10:30:00Z".parse().unwrap(),
            all_day: false,
            start_date: None,
            end_date: None,
            location: None,
            meeting_url: Some("https://meet.example.com/abc".into()),
            cancelled,
            calendar_name: "Work".into(),
            calendar_color: None,
            attendees: vec![],
            logged_activity: None,
            my_response: None,
            out_of_office: false,
        }
    }

    fn render<V: IntoView + 'static>(view: impl FnOnce() -> V + Send + 'static) -> String {
        Owner::new().with(|| {
            provide_context(CurrentUser(RwSignal::new(UserInfo {
                id: "u".into(),
                email: "u@example.com".into(),
                name: "U".into(),
                time_zone: "UTC".into(),
            })));
            // Card actions read the page's query (forms keep it), as inside the app's router.
            provide_context(leptos_router::location::RequestUrl::new("/meetings"));
            view! { <leptos_router::components::Router>{view()}</leptos_router::components::Router> }
                .to_html()
        })
    }

    fn now() -> Signal<DateTime<Utc>> {
        Signal::stored("2029-12-31T00:00:00Z".parse::<DateTime<Utc>>().unwrap())
    }

    fn card(meeting: Meeting) -> String {
        render(move || view! { <MeetingCard meeting changes=MeetingChanges::new() now=now()/> })
    }

    fn today_item(meeting: Meeting) -> String {
        render(move || view! { <TodayItem meeting now=now()/> })
    }

    #[test]
    fn your_own_answer_is_marked_on_cards_and_today() {
        let mut declined = meeting(false);
        declined.my_response = Some(Response::Declined);
        for html in [card(declined.clone()), today_item(declined)] {
            assert!(html.contains("You declined"), "{html}");
            assert!(html.contains("declined"), "{html}");
        }
        let mut tentative = meeting(false);
        tentative.my_response = Some(Response::Tentative);
        for html in [card(tentative.clone()), today_item(tentative)] {
            assert!(
                html.contains("Tentative") && !html.contains("You declined"),
                "{html}"
            );
        }
        let mut accepted = meeting(false);
        accepted.my_response = Some(Response::Accepted);
        let html = card(accepted);
        assert!(!html.contains("my-response"), "{html}");
    }

    fn attendee(email: &str, person: Option<&str>, is_self: bool) -> MeetingAttendee {
        MeetingAttendee {
            email: email.into(),
            name: None,
            response: None,
            organizer: false,
            is_self,
            is_resource: false,
            person: person.map(|name| crate::models::PersonRef {
                id: "p".into(),
                name: name.into(),
            }),
            reason: None,
            confidence: 0,
            suggestions: vec![],
        }
    }

    fn row(meeting: Meeting) -> String {
        render(move || {
            let added = GuestsAdded(RwSignal::new(Some(("m".to_string(), 3))));
            view! { <MeetingRow meeting changes=MeetingChanges::new() added failed_here=false/> }
        })
    }

    #[test]
    fn a_row_offers_to_add_its_unknown_guests_in_a_plain_form() {
        let mut m = meeting(false);
        m.attendees = vec![
            attendee("bob@x.example", Some("Bob Builder"), false),
            attendee("me@x.example", None, true),
            attendee("new@x.example", None, false),
        ];
        let html = row(m);
        assert!(
            html.contains("Bob Builder") && html.contains("new@x.example"),
            "{html}"
        );
        // Only the stranger is unknown: not you, not Bob.
        assert!(html.contains("Add the unknown guest"), "{html}");
        assert!(!html.contains("me@x.example"), "{html}");
        assert!(html.contains("method=\"post\""), "{html}");
        assert!(
            html.contains("action=\"/api/add-unknown-guests\""),
            "{html}"
        );
        assert!(html.contains("Added 3 people."), "{html}");

        let mut known = meeting(false);
        known.attendees = vec![attendee("bob@x.example", Some("Bob Builder"), false)];
        let html = row(known);
        assert!(
            !html.contains("unknown guest") && !html.contains("<form"),
            "{html}"
        );
    }

    #[test]
    fn a_suggestion_says_it_comes_from_a_similar_name() {
        let mut m = meeting(false);
        let mut wei = attendee("wei@corp.example", None, false);
        wei.suggestions = vec![crate::models::PersonRef {
            id: "w".into(),
            name: "Wei Chen".into(),
        }];
        m.attendees = vec![wei];
        let html = card(m);
        assert!(html.contains(">This is Wei Chen<"), "{html}");
        assert!(
            html.contains("title=\"A similar name: adds wei@corp.example to Wei Chen\""),
            "{html}"
        );
    }

    #[test]
    fn cancelled_meetings_have_no_join_link() {
        assert!(card(meeting(false)).contains("meet.example.com"));
        assert!(today_item(meeting(false)).contains("meet.example.com"));
        let html = card(meeting(true));
        assert!(html.contains("Cancelled"), "{html}");
        assert!(
            !html.contains("Join") && !html.contains("meet.example.com"),
            "{html}"
        );
        let html = today_item(meeting(true));
        assert!(
            !html.contains("Join") && !html.contains("meet.example.com"),
            "{html}"
        );
    }

    #[test]
    fn out_of_office_is_marked_and_never_joined_or_logged() {
        let mut past = meeting(false);
        past.starts_at = "2020-01-01T10:00:00Z".parse().unwrap();
        past.ends_at = "2020-01-01T17:00:00Z".parse().unwrap();
        assert!(card(past.clone()).contains("Log as activity"));
        let mut away = past;
        away.out_of_office = true;
        for html in [card(away.clone()), today_item(away.clone())] {
            assert!(html.contains("Out of office"), "{html}");
            assert!(
                !html.contains("Join") && !html.contains("meet.example.com"),
                "{html}"
            );
        }
        let html = card(away);
        assert!(!html.contains("Log as activity"), "{html}");
    }
}
