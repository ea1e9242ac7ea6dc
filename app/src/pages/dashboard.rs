use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{load_dashboard, todays_meetings};
use crate::components::activity::ActivityItem;
use crate::components::favorite::FavoriteToggle;
use crate::components::layout::use_user;
use crate::components::meeting::TodayItem;
use crate::components::status::{ErrorBox, Loading};
use crate::models::{Dashboard, MeetingsToday, PersonSummary};

#[component]
pub fn DashboardPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_dashboard());
    // Created here, beside the dashboard's own resource, not inside its suspended content:
    // nested resources made hydration fail intermittently.
    let today = TodayState::new();
    view! {
        <Title text="Dashboard"/>
        <h1>"Dashboard"</h1>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(dashboard) => view! { <DashboardView dashboard today/> }.into_any(),
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn DashboardView(dashboard: Dashboard, today: TodayState) -> impl IntoView {
    let Dashboard {
        favorites,
        recent_activities,
        recently_contacted,
        counts,
        has_calendar_connections,
        needs_attention,
    } = dashboard;
    let steps = [
        (
            counts.people > 0,
            "Add the people you keep in touch with",
            "/people/new",
            "Add a person",
        ),
        (
            has_calendar_connections,
            "Connect a calendar, so meetings show up with your people",
            "/settings/calendars",
            "Connect a calendar",
        ),
        (
            counts.activities > 0,
            "Log a call, meeting or note on a person's page",
            "/people",
            "Open your people",
        ),
    ];
    let done = steps.iter().filter(|s| s.0).count();
    let checklist = (done < steps.len()).then(|| view! {
        <section class="checklist card" aria-labelledby="checklist-heading">
            <h2 id="checklist-heading">"Get started"</h2>
            <p class="meta">{format!("{done} of {} done", steps.len())}</p>
            <ol>
                {steps.into_iter().map(|(is_done, text, href, action)| view! {
                    <li class:done=is_done>
                        <span class="check" aria-hidden="true">{if is_done { "✓" } else { "○" }}</span>
                        <span>{text}{is_done.then_some(" (done)")}</span>
                        {(!is_done).then(|| view! { <a class="button small" href=href>{action}</a> })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    });
    view! {
        {checklist}
        <section class="counts" aria-label="Counts">
            <a class="count" href="/people"><strong data-testid="count-people">{counts.people}</strong>" people"</a>
            <div class="count"><strong data-testid="count-favorites">{counts.favorites}</strong>" favorites"</div>
            <div class="count"><strong data-testid="count-activities">{counts.activities}</strong>" activities"</div>
        </section>
        {has_calendar_connections.then(|| view! { <TodaysMeetings state=today needs_attention/> })}
        {(!recently_contacted.is_empty()).then(|| view! {
            <section class="recently-contacted" aria-labelledby="contacted-heading">
                <h2 id="contacted-heading">"Recently contacted"</h2>
                <ul class="contact-list">
                    {recently_contacted.into_iter().map(|c| view! {
                        <li><a href=format!("/people/{}", c.person.id)>{c.person.name}</a>
                            <span class="meta">{crate::time::ago(c.at)}</span></li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        <section class="favorites" aria-labelledby="favorites-heading">
            <h2 id="favorites-heading">"Favorites"</h2>
            {if favorites.is_empty() {
                view! { <p class="empty">"Star people to keep them here. " <a href="/people">"Browse people"</a></p> }.into_any()
            } else {
                view! { <div class="cards">{favorites.into_iter().map(|p| view! { <PersonCard person=p/> }).collect_view()}</div> }.into_any()
            }}
        </section>
        <section class="recent" aria-labelledby="recent-heading">
            <h2 id="recent-heading">"Recent activities"</h2>
            {if recent_activities.is_empty() {
                view! { <p class="empty">"No activities yet. Log one from a person's page."</p> }.into_any()
            } else {
                view! { <ul class="timeline">{recent_activities.into_iter().map(|activity| view! { <ActivityItem activity/> }).collect_view()}</ul> }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn PersonCard(person: PersonSummary) -> impl IntoView {
    let name = person.full_name();
    let role = [person.job_title.as_str(), person.organization.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ");
    view! {
        <article class="card person-card">
            <FavoriteToggle person_id=person.id.clone() favorite=person.favorite name=name.clone()/>
            <a class="name" href=format!("/people/{}", person.id)>{name}</a>
            {(!role.is_empty()).then(|| view! { <div class="role">{role}</div> })}
            {person.primary_email.map(|e| view! { <div class="email">{e}</div> })}
        </article>
    }
}

/// One day's meetings (today unless `?day=YYYY-MM-DD`) and the clock they are shown against;
/// refetched every minute in the browser (gloo-timers), so the "now" marker moves and new
/// meetings appear without a reload.
#[derive(Clone, Copy)]
struct TodayState {
    now: RwSignal<chrono::DateTime<chrono::Utc>>,
    day: Memo<Option<String>>,
    meetings: Resource<Result<MeetingsToday, crate::error::AppError>>,
    /// `?today=all`: every meeting of the day instead of the next few.
    all: Memo<bool>,
}

impl TodayState {
    fn new() -> Self {
        let tick = RwSignal::new(0u32);
        let now = RwSignal::new(chrono::Utc::now());
        let query = use_query_map();
        let day = Memo::new(move |_| query.with(|q| q.get("day")));
        let all = Memo::new(move |_| query.with(|q| q.get("today").as_deref() == Some("all")));
        let meetings = Resource::new(
            move || (tick.get(), day.get(), all.get()),
            |(_, day, all)| todays_meetings(day, all),
        );
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            loop {
                gloo_timers::future::TimeoutFuture::new(60_000).await;
                // Stops once the dashboard is left and the signals are gone.
                if now.try_set(chrono::Utc::now()).is_some()
                    || tick.try_update(|t| *t += 1).is_none()
                {
                    break;
                }
            }
        });
        TodayState {
            now,
            day,
            meetings,
            all,
        }
    }
}

/// The widget's day: the one asked for, else today in the user's zone.
fn shown_day(asked: Option<&str>, now: chrono::DateTime<chrono::Utc>, tz: &str) -> NaiveDate {
    asked
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or_else(|| crate::time::Zone::named(tz).date(now))
}

#[component]
fn TodaysMeetings(state: TodayState, needs_attention: Vec<String>) -> impl IntoView {
    let TodayState {
        now,
        day,
        meetings,
        all,
    } = state;
    let tz = use_user().with_untracked(|u| u.time_zone.clone());
    let today = crate::time::Zone::named(&tz).date(now.get_untracked());
    let shown = Memo::new(move |_| shown_day(day.get().as_deref(), now.get_untracked(), &tz));
    let link = |d: NaiveDate| format!("/?day={}", d.format("%Y-%m-%d"));
    let title = move || {
        let d = shown.get();
        let date = d.format("%a %-d %b").to_string();
        if d == today {
            format!("Today · {date}")
        } else {
            date
        }
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        // Bring the meeting in progress into view once the list is there.
        if let Some(Ok(_)) = meetings.get() {
            request_animation_frame(|| {
                if let Ok(Some(el)) = document().query_selector(".today-item.now") {
                    el.scroll_into_view_with_bool(false);
                }
            });
        }
    });
    view! {
        <section class="today card" aria-labelledby="today-heading">
            {(!needs_attention.is_empty()).then(|| view! {
                <div class="notice error attention" role="alert">
                    {format!("{} need{} attention: ", needs_attention.join(", "), if needs_attention.len() == 1 { "s" } else { "" })}
                    <a href="/settings/calendars">"Open Calendars"</a>
                </div>
            })}
            <div class="today-head">
                <h2 id="today-heading">
                    {title}
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            meetings.await.ok().map(|list| view! { <span class="count-badge" data-testid="today-count">{list.total}</span> })
                        })}
                    </Transition>
                </h2>
                <nav class="day-nav" aria-label="Day">
                    <a href=move || link(shown.get().pred_opt().unwrap_or(shown.get())) aria-label="Previous day">"‹"</a>
                    <a href=link(today) aria-current=move || (shown.get() == today).then_some("date")>"Today"</a>
                    <a href=move || link(shown.get().succ_opt().unwrap_or(shown.get())) aria-label="Next day">"›"</a>
                </nav>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match meetings.await {
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                        Ok(list) if list.meetings.is_empty() => view! {
                            <p class="empty">{if shown.get_untracked() == today { "Nothing on your calendar today." } else { "Nothing on your calendar that day." }}</p>
                        }.into_any(),
                        Ok(list) => {
                            let count = list.meetings.len();
                            // Plain links (keeping the day), so they work before hydration and without JS.
                            let day_query = day.get_untracked().map(|d| format!("day={d}&")).unwrap_or_default();
                            let more = if all.get_untracked() {
                                (list.total as usize > crate::models::TODAY_SHOWN).then(|| {
                                    let href = format!("/?{}", day_query.trim_end_matches('&'));
                                    view! { <a class="today-more" href=href>"Show fewer"</a> }.into_any()
                                })
                            } else {
                                (list.total as usize > count).then(|| view! {
                                    <a class="today-more" href=format!("/?{day_query}today=all")>
                                        {format!("Show all {} meetings {}", list.total, if shown.get_untracked() == today { "today" } else { "that day" })}
                                    </a>
                                }.into_any())
                            };
                            view! {
                                <ul class="today-list">
                                    {list.meetings.into_iter().map(|meeting| view! { <TodayItem meeting now/> }).collect_view()}
                                </ul>
                                {more}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}
