//! The Meetings page: every synced meeting, upcoming, this week or past, all of them or only
//! those with unknown guests (`?when=…&unmatched=1&page=N`: plain links, so filters work
//! without JavaScript and survive a reload), a heading per day, and "Add all unknown guests".
use chrono::{Datelike, NaiveDate};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::list_meetings;
use crate::components::layout::use_user;
use crate::components::meeting::{GuestsAdded, MeetingChanges, MeetingRow};
use crate::components::pager::Pager;
use crate::components::status::{ErrorBox, Loading};
use crate::models::{Meeting, MeetingList, MeetingsWhen};
use crate::time::Zone;

/// The page's address for a filter and page (the first page and the defaults left out).
fn href(when: MeetingsWhen, unmatched: bool, page: u32) -> String {
    let mut query = Vec::new();
    if when != MeetingsWhen::default() {
        query.push(format!("when={}", when.as_str()));
    }
    if unmatched {
        query.push("unmatched=1".to_string());
    }
    if page > 1 {
        query.push(format!("page={page}"));
    }
    match query.is_empty() {
        true => "/meetings".to_string(),
        false => format!("/meetings?{}", query.join("&")),
    }
}

#[component]
pub fn MeetingsPage() -> impl IntoView {
    let query = use_query_map();
    let when = Memo::new(move |_| {
        query.with(|q| MeetingsWhen::parse(q.get("when").as_deref().unwrap_or_default()))
    });
    let unmatched =
        Memo::new(move |_| query.with(|q| q.get("unmatched").is_some_and(|v| v == "1")));
    let page = Memo::new(move |_| {
        query.with(|q| {
            q.get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(1)
                .max(1)
        })
    });
    // After a plain form post: which meeting it was for, and what it added or that it failed.
    let posted_meeting = Memo::new(move |_| query.with(|q| q.get("meeting")));
    let failed = Memo::new(move |_| query.with(|q| q.get("__err").is_some()));
    let added = GuestsAdded(RwSignal::new(query.with_untracked(|q| {
        let count = q.get("added").and_then(|n| n.parse::<u32>().ok());
        q.get("meeting").zip(count)
    })));
    // A notice belongs to the list it was given on.
    Effect::new(move |seen: Option<(MeetingsWhen, bool, u32)>| {
        let now = (when.get(), unmatched.get(), page.get());
        if seen.is_some_and(|seen| seen != now) {
            added.0.set(None);
        }
        now
    });
    let changes = MeetingChanges::new();
    let list = Resource::new(
        move || (when.get(), unmatched.get(), page.get(), changes.version()),
        |(when, unmatched, page, _)| list_meetings(when, unmatched, page),
    );
    view! {
        <Title text="Meetings"/>
        <h1>"Meetings"</h1>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                    Ok(list) => {
                        let failed_at = posted_meeting.get_untracked().filter(|_| failed.get_untracked());
                        view! {
                            <MeetingsView list when=when.get_untracked() unmatched=unmatched.get_untracked()
                                          changes added failed_at/>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn MeetingsView(
    list: MeetingList,
    when: MeetingsWhen,
    unmatched: bool,
    changes: MeetingChanges,
    added: GuestsAdded,
    failed_at: Option<String>,
) -> impl IntoView {
    let MeetingList { meetings, counts } = list;
    let tz = use_user().with_untracked(|u| u.time_zone.clone());
    let today = Zone::named(&tz).date(chrono::Utc::now());
    let page = meetings.page;
    let page_count = meetings.page_count();
    let shown: Vec<String> = meetings.items.iter().map(|m| m.id.clone()).collect();
    // A notice for a meeting no longer on this list (its guests are known now, so it left
    // "Unmatched") is given above the list.
    let notice = move || {
        added.0.with(|a| match a {
            Some((id, n)) if !shown.contains(id) => Some(view! {
                <p class="notice success" role="status">{GuestsAdded::message(*n)}</p>
            }),
            _ => None,
        })
    };
    let when_tabs = MeetingsWhen::ALL.map(|tab| {
        view! {
            <a href=href(tab, unmatched, 1) aria-current=(tab == when).then_some("page")>
                {tab.label()}" "<span class="count-badge">{counts.of(tab)}</span>
            </a>
        }
    });
    let guest_tabs = [
        (false, "All", counts.all),
        (true, "Unmatched", counts.unmatched),
    ]
    .map(|(tab, label, count)| {
        view! {
            <a href=href(when, tab, 1) aria-current=(tab == unmatched).then_some("page")
               title=tab.then_some("Meetings with a guest who is none of your people")>
                {label}" "<span class="count-badge">{count}</span>
            </a>
        }
    });
    let empty = meetings.items.is_empty().then(|| {
        let text = match (when, unmatched) {
            (MeetingsWhen::Upcoming, false) => "Nothing coming up on your calendars.",
            (MeetingsWhen::Week, false) => "Nothing on your calendars this week.",
            (MeetingsWhen::Past, false) => "No past meetings in the synced window.",
            (MeetingsWhen::Upcoming, true) => {
                "Every guest of your upcoming meetings is one of your people (or you)."
            }
            (MeetingsWhen::Week, true) => {
                "Every guest of this week's meetings is one of your people (or you)."
            }
            (MeetingsWhen::Past, true) => {
                "Every guest of your past meetings is one of your people (or you)."
            }
        };
        let hint = (!unmatched && counts.upcoming + counts.past == 0).then(|| {
            view! { " " <a href="/settings/calendars">"Connect a calendar"</a>" to see your meetings here." }
        });
        view! { <p class="empty">{text}{hint}</p> }
    });
    let days = by_day(meetings.items, &tz);
    view! {
        <div class="meetings-filters">
            <nav class="tabs" aria-label="When">{when_tabs}</nav>
            <nav class="tabs" aria-label="Guests">{guest_tabs}</nav>
        </div>
        {notice}
        {empty}
        {days.into_iter().map(|(day, meetings)| {
            let heading = day_heading(day, today);
            view! {
                <section class="meeting-day">
                    <h2 class="day-heading">{heading}</h2>
                    <ul class="meeting-rows">
                        {meetings.into_iter().map(|meeting| {
                            let failed_here = failed_at.as_deref() == Some(meeting.id.as_str());
                            view! { <MeetingRow meeting changes added failed_here/> }
                        }).collect_view()}
                    </ul>
                </section>
            }
        }).collect_view()}
        <Pager page page_count href=Callback::new(move |p| href(when, unmatched, p))/>
    }
}

/// The list cut into days (in the list's order), each meeting under the day it starts in the
/// user's zone (all-day ones under their first date).
fn by_day(meetings: Vec<Meeting>, tz: &str) -> Vec<(NaiveDate, Vec<Meeting>)> {
    let zone = Zone::named(tz);
    let mut days: Vec<(NaiveDate, Vec<Meeting>)> = Vec::new();
    for meeting in meetings {
        let day = match (meeting.all_day, meeting.start_date) {
            (true, Some(date)) => date,
            _ => zone.date(meeting.starts_at),
        };
        match days.last_mut() {
            Some((last, list)) if *last == day => list.push(meeting),
            _ => days.push((day, vec![meeting])),
        }
    }
    days
}

/// "Today · Thu 3 Dec", "Tomorrow · Fri 4 Dec", "Mon 7 Dec", with the year when not this one.
fn day_heading(day: NaiveDate, today: NaiveDate) -> String {
    let date = if day.year() == today.year() {
        day.format("%a %-d %b").to_string()
    } else {
        day.format("%a %-d %b %Y").to_string()
    };
    let relative = match (day - today).num_days() {
        0 => Some("Today"),
        1 => Some("Tomorrow"),
        -1 => Some("Yesterday"),
        _ => None,
    };
    match relative {
        Some(word) => format!("{word} · {date}"),
        None => date,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_links_keep_the_other_filter_and_leave_defaults_out() {
        assert_eq!(href(MeetingsWhen::Upcoming, false, 1), "/meetings");
        assert_eq!(
            href(MeetingsWhen::Week, true, 1),
            "/meetings?when=week&unmatched=1"
        );
        assert_eq!(
            href(MeetingsWhen::Past, false, 3),
            "/meetings?when=past&page=3"
        );
    }

    #[test]
    fn days_are_named_relative_to_today() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(day_heading(today, today), "Today · Thu 3 Dec");
        assert_eq!(
            day_heading(today.succ_opt().unwrap(), today),
            "Tomorrow · Fri 4 Dec"
        );
        assert_eq!(
            day_heading(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(), today),
            "Mon 30 Nov"
        );
        assert_eq!(
            day_heading(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(), today),
            "Mon 4 Jan 2027"
        );
    }
}
