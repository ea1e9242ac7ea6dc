//! Meeting cards: time in the user's zone, calendar color, join link, attendees with their
//! responses and matched people, "Log as activity", and one-click fixes for unmatched attendees.
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use crate::api::{AddAttendeePerson, LinkAttendee, ListPeople, LogMeeting};
use crate::components::layout::use_user;
use crate::components::status::ActionError;
use crate::models::{Meeting, MeetingAttendee, Response};
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
    let can_log =
        meeting.has_ended(Utc::now(), &tz) && !meeting.cancelled && !meeting.out_of_office;
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
                    <button type="button" class="secondary log-meeting" disabled=move || log.pending().get()
                            on:click=move |_| { log.dispatch(LogMeeting { event_id: id.clone() }); }>
                        "Log as activity"
                    </button>
                }.into_any()
            }
        }}
        <ActionError value=log.value()/>
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
    let fix = (attendee.person.is_none() && !attendee.is_self && !attendee.email.is_empty())
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

/// Add the attendee as a new person, confirm a name suggestion, or link to someone found by search.
#[component]
fn UnmatchedActions(attendee: MeetingAttendee, changes: MeetingChanges) -> impl IntoView {
    let email = attendee.email.clone();
    let name = attendee.name.clone().unwrap_or_default();
    // An action, not a resource: resources created inside already-suspended content would be
    // numbered differently on server and client and break hydration.
    let search = ServerAction::<ListPeople>::new();
    let suggestions = attendee.suggestions.clone();
    let add_email = email.clone();
    let link = ServerAction::<LinkAttendee>::new();
    let add = ServerAction::<AddAttendeePerson>::new();
    changes.bump_on_success(link.value());
    changes.bump_on_success(add.value());
    view! {
        <details class="attendee-fix">
            <summary>"Add…"</summary>
            <div class="fix-panel">
                <span class="suggestions">{suggestions.into_iter().map(|p| {
                    let email = email.clone();
                    view! {
                        <button type="button" class="secondary suggestion" title="similar name"
                                on:click=move |_| { link.dispatch(LinkAttendee { person_id: p.id.clone(), email: email.clone() }); }>
                            {format!("This is {}", p.name)}
                        </button>
                    }
                }).collect_view()}</span>
                <button type="button" class="secondary add-person"
                        on:click=move |_| { add.dispatch(AddAttendeePerson { email: add_email.clone(), name: name.clone() }); }>
                    "Add as new person"
                </button>
                <label class="visually-hidden" for=format!("link-{}", attendee.email)>"Find a person"</label>
                <input id=format!("link-{}", attendee.email) type="search" placeholder="Link to a person…" class="link-search"
                       on:input=move |ev| {
                           let query = event_target_value(&ev);
                           if query.trim().len() >= 2 {
                               search.dispatch(ListPeople { query, page: 1 });
                           }
                       }/>
                {move || {
                    let email = email.clone();
                    let people = search.value().get().and_then(|r| r.ok()).map(|page| page.items).unwrap_or_default();
                    (!people.is_empty()).then(|| view! {
                        <span class="link-results">
                            {people.into_iter().take(5).map(|p| {
                                let email = email.clone();
                                let label = format!("Link to {} {}", p.first_name, p.last_name).trim().to_string();
                                view! {
                                    <button type="button" class="link-person"
                                            on:click=move |_| { link.dispatch(LinkAttendee { person_id: p.id.clone(), email: email.clone() }); }>
                                        {label}
                                    </button>
                                }
                            }).collect_view()}
                        </span>
                    })
                }}
                <ActionError value=link.value()/>
                <ActionError value=add.value()/>
            </div>
        </details>
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

    fn render<V: RenderHtml>(view: impl FnOnce() -> V) -> String {
        Owner::new().with(|| {
            provide_context(CurrentUser(RwSignal::new(UserInfo {
                id: "u".into(),
                email: "u@example.com".into(),
                name: "U".into(),
                time_zone: "UTC".into(),
            })));
            view().to_html()
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
