//! Settings → Calendars: connections, their calendars and sync state.
use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{
    calendar_providers, connection_history, list_connections, CreateCaldav, DeleteConnection,
    SyncConnection, TestCaldav, UpdateConnection,
};
use crate::components::modal::Modal;
use crate::components::status::{ActionError, ErrorBox, Loading};
use crate::components::sync_prefs::{FrequencySelect, WindowSelect};
use crate::error::AppError;
use crate::models::{
    window_label, CalDavInput, Connection, ConnectionStatus, DiscoveredCalendar, GoogleProblem,
    Provider, SyncFrequency, SyncRun,
};
use crate::pages::settings::SettingsTabs;
use crate::time::ago;

struct Preset {
    key: &'static str,
    label: &'static str,
    url: &'static str,
    hint: &'static str,
}

const PRESETS: [Preset; 4] = [
    Preset { key: "icloud", label: "iCloud", url: "https://caldav.icloud.com", hint: "Use an app-specific password (appleid.apple.com → Sign-In and Security), not your Apple ID password." },
    Preset { key: "fastmail", label: "Fastmail", url: "https://caldav.fastmail.com", hint: "Use an app password with CalDAV access (Settings → Privacy & Security → App passwords)." },
    Preset { key: "nextcloud", label: "Nextcloud", url: "https://HOST/remote.php/dav", hint: "Replace HOST with your Nextcloud's address; an app password works best." },
    Preset { key: "other", label: "Other server", url: "", hint: "The server's CalDAV address; Rondo finds the calendars from there." },
];

#[component]
pub fn CalendarsPage() -> impl IntoView {
    let create = ServerAction::<CreateCaldav>::new();
    let update = ServerAction::<UpdateConnection>::new();
    let delete = ServerAction::<DeleteConnection>::new();
    let sync = ServerAction::<SyncConnection>::new();
    // Refetched after a successful edit only: a failed one must leave the card, its dialog and
    // the dialog's error where they are (a refetch re-creates the cards, closing the dialog).
    let updated = RwSignal::new(0usize);
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            updated.update(|n| *n += 1);
        }
    });
    let connections = Resource::new(
        move || {
            (
                create.version().get(),
                updated.get(),
                delete.version().get(),
                sync.version().get(),
            )
        },
        |_| list_connections(),
    );
    // The freshest list: the resource's, then what polling brings while a sync runs. Cards
    // read their changing parts from it, so polling never re-creates them (an open Edit
    // dialog or Delete confirmation stays open).
    let live = RwSignal::new(None::<Vec<Connection>>);
    Effect::new(move |_| {
        if let Some(Ok(list)) = connections.get() {
            live.set(Some(list));
        }
    });
    #[cfg(feature = "hydrate")]
    poll_while_syncing(live, sync);
    let providers = Resource::new(|| (), |_| calendar_providers());
    let adding = RwSignal::new(false);
    let google_help = RwSignal::new(false);
    let query = use_query_map();
    // Where the Google sign-in came back to: a message for the user, and whether it is an error.
    let flash = move || {
        query.with(|q| {
            if let Some(code) = q.get("error") {
                Some((true, GoogleProblem::from_code(&code).message().to_string()))
            } else if q.get("connected").is_some() {
                Some((false, "Google Calendar connected. Your primary calendar is chosen (Edit picks others); the first sync is running.".to_string()))
            } else if q.get("reconnected").is_some() {
                Some((false, "Google Calendar reconnected. Syncing resumes now.".to_string()))
            } else {
                None
            }
        })
    };
    // Which connection the last "Sync now" was for; kept here so its result survives the refetch.
    let sync_target = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            adding.set(false);
        }
    });
    view! {
        <Title text="Calendars"/>
        <h1>"Settings"</h1>
        <SettingsTabs current="calendars"/>
        <div class="page-head">
            <p class="meta">"Connect calendars so Rondo can show meetings with your people and log them."</p>
            <div class="head-actions">
                // A page of its own without JavaScript; the dialog with it (`rel="external"` keeps
                // the router from following the link before the click opens the dialog).
                <a class="button" role="button" rel="external" href="/settings/calendars/add"
                   on:click=move |ev| { ev.prevent_default(); adding.set(true); }>"Add CalDAV account"</a>
                <Suspense fallback=|| view! { <button type="button" class="secondary" disabled=true>"Add Google Calendar"</button> }>
                    {move || Suspend::new(async move {
                        match providers.await {
                            Ok(p) if p.google_configured => view! {
                                <a class="button secondary" href="/oauth/google/start" rel="external">"Add Google Calendar"</a>
                            }.into_any(),
                            _ => view! {
                                <button type="button" class="secondary" on:click=move |_| google_help.update(|v| *v = !*v)>"Add Google Calendar"</button>
                            }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </div>
        {move || flash().map(|(is_error, text)| view! {
            <div class=if is_error { "card notice error flash" } else { "card notice success flash" } role=if is_error { "alert" } else { "status" }>{text}</div>
        })}
        // A "Sync now" or "Delete" posted without JavaScript that failed comes back as the
        // page's `__err` query: said once here (with JavaScript each card says its own).
        <ActionError value=Signal::derive(move || (sync.version().get() == 0).then(|| sync.value().get()).flatten())/>
        <ActionError value=Signal::derive(move || (delete.version().get() == 0).then(|| delete.value().get()).flatten())/>
        <Show when=move || google_help.get()>
            <div class="card notice google-help" role="status">
                <p>"Google Calendar is not set up on this server yet. The administrator creates an OAuth client in Google Cloud and sets "
                   <code>"RONDO_GOOGLE_CLIENT_ID"</code>" and "<code>"RONDO_GOOGLE_CLIENT_SECRET"</code>" (see the README)."</p>
                <p>{move || providers.get().and_then(Result::ok).map(|p| format!("Redirect URI to register: {}", p.google_redirect_uri))}</p>
                <p>"CalDAV accounts (iCloud, Fastmail, Nextcloud and others) can be added now."</p>
            </div>
        </Show>
        <Show when=move || adding.get()>
            <AddCalDavDialog create on_close=Callback::new(move |_| adding.set(false))/>
        </Show>
        <Transition fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match connections.await {
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty card">"No calendars connected yet. Add a Google Calendar or a CalDAV account (iCloud, Fastmail, Nextcloud or any CalDAV server) to get started."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="connections">
                            {list.into_iter().map(|connection| view! { <ConnectionCard connection live update delete sync sync_target/> }).collect_view()}
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// How often the page asks for the connections while one of them is syncing.
#[cfg(feature = "hydrate")]
const POLL_MS: u32 = 1_500;

/// Refreshes `live` every `POLL_MS` while any connection is syncing (or "Sync now" is
/// waiting); asks the server nothing while none is. Stops once the page is left.
#[cfg(feature = "hydrate")]
fn poll_while_syncing(live: RwSignal<Option<Vec<Connection>>>, sync: ServerAction<SyncConnection>) {
    leptos::task::spawn_local(async move {
        loop {
            gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
            let Some(syncing) = live.try_with_untracked(|list| {
                list.as_ref()
                    .is_some_and(|l| l.iter().any(Connection::is_syncing))
            }) else {
                break;
            };
            let Some(pending) = sync.pending().try_get_untracked() else {
                break;
            };
            if !(syncing || pending) {
                continue;
            }
            if let Ok(list) = list_connections().await {
                if live.try_set(Some(list)).is_some() {
                    break;
                }
            }
        }
    });
}

#[component]
fn ConnectionCard(
    connection: Connection,
    live: RwSignal<Option<Vec<Connection>>>,
    update: ServerAction<UpdateConnection>,
    delete: ServerAction<DeleteConnection>,
    sync: ServerAction<SyncConnection>,
    sync_target: RwSignal<Option<String>>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let deleting_here = RwSignal::new(false);
    let id = connection.id.clone();
    let sync_id = id.clone();
    let is_target = Signal::derive(move || sync_target.with(|t| t.as_ref() == Some(&sync_id)));
    // What changes while a sync runs comes from the live list (as first rendered until then).
    let current = {
        let (id, initial) = (id.clone(), connection.clone());
        Memo::new(move |_| {
            live.with(|list| {
                list.as_ref()
                    .and_then(|l| l.iter().find(|c| c.id == id).cloned())
            })
            .unwrap_or_else(|| initial.clone())
        })
    };
    let running = Signal::derive(move || current.with(Connection::is_syncing));
    let syncing_this =
        Signal::derive(move || (sync.pending().get() && is_target.get()) || running.get());
    let status = move || current.with(|c| c.status);
    let last_sync =
        move || current.with(|c| c.last_sync_at.map(ago).unwrap_or_else(|| "never".into()));
    let selected = move || -> Vec<_> {
        current.with(|c| c.calendars.iter().filter(|c| c.selected).cloned().collect())
    };
    let progress = move || {
        current.with(|c| {
            c.is_syncing().then(|| {
                let text = c
                    .progress
                    .map(|p| p.text())
                    .unwrap_or_else(|| "Syncing…".into());
                let bar = match c
                    .progress
                    .and_then(|p| p.total.filter(|t| *t > 0).map(|t| (p.done.min(t), t)))
                {
                    Some((done, total)) => {
                        view! { <progress max=total.to_string() value=done.to_string()></progress> }
                            .into_any()
                    }
                    None => view! { <progress></progress> }.into_any(),
                };
                view! {
                    <div class="sync-progress" role="status" aria-live="polite">
                        <span class="progress-text">{text}</span>
                        {bar}
                    </div>
                }
            })
        })
    };
    // What the last finished sync did, once none is running.
    let last_run = move || {
        current.with(|c| {
            c.last_run
                .as_ref()
                .filter(|_| !c.is_syncing())
                .map(|r| match &r.error {
                    Some(_) => "Failed".to_string(),
                    None => r.counts(),
                })
        })
    };
    let reconnect = (connection.provider == crate::models::Provider::Google)
        .then(|| format!("/oauth/google/start?connection={}", connection.id));
    let reconnect = move || {
        reconnect
            .clone()
            .filter(|_| status() == ConnectionStatus::NeedsReauth)
    };
    let report = move || {
        sync.value()
            .get()
            .filter(|_| is_target.get() && !sync.pending().get())
    };
    let edit_href = format!("/settings/calendars/{id}/edit");
    let (sync_form_id, delete_form_id) = (id.clone(), id.clone());
    view! {
        <article class="card connection" data-connection=connection.name.clone()>
            <header class="connection-head">
                <div>
                    <span class="provider">{connection.provider.label()}</span>
                    <h2>{connection.name.clone()}</h2>
                    {connection.username.clone().filter(|u| *u != connection.name).map(|u| view! { <div class="meta">{u}</div> })}
                </div>
                <span class=move || format!("badge status-{}", status().as_str())>{move || status().label()}</span>
            </header>
            {progress}
            <dl class="facts">
                <div><dt>"Last sync"</dt><dd class="last-sync">{last_sync}</dd></div>
                {move || last_run().map(|text| view! { <div><dt>"Result"</dt><dd class="last-run">{text}</dd></div> })}
                <div><dt>"Events"</dt><dd class="event-count">{move || current.with(|c| c.event_count)}</dd></div>
                <div><dt>"Window"</dt><dd class="window">{format!("{} back · until {} ahead", window_label(connection.days_back), window_label(connection.days_ahead))}</dd></div>
                <div><dt>"Sync"</dt><dd class="sync-prefs">{format!("{}{}{}",
                    if connection.sync_enabled { connection.sync_frequency.label() } else { "paused" },
                    if connection.auto_log { " · auto-log on" } else { "" },
                    if connection.show_out_of_office && connection.provider == Provider::Google { " · out of office shown" } else { "" })}</dd></div>
            </dl>
            <ul class="calendar-list">
                {move || selected().into_iter().map(|c| view! {
                    <li><span class="dot" style=format!("background:{}", c.color.clone().unwrap_or_else(|| "#868e96".into()))></span>
                        {c.name}<span class="meta">{format!(" · {} events", c.event_count)}</span></li>
                }).collect_view()}
            </ul>
            {move || current.with(|c| c.last_error.clone()).map(|e| view! { <div class="error" role="alert">{e}</div> })}
            {move || report().map(|r| match r {
                Ok(r) if r.error.is_some() => view! { <p class="error" role="alert">{format!("Sync failed: {}", r.error.unwrap_or_default())}</p> }.into_any(),
                Ok(r) => view! {
                    <p class="sync-result success" role="status">
                        {r.summary()}
                        {(!r.warnings.is_empty()).then(|| format!(" {} event(s) skipped: {}", r.warnings.len(), r.warnings.join("; ")))}
                    </p>
                }.into_any(),
                Err(error) => view! { <ErrorBox error/> }.into_any(),
            })}
            <div class="connection-actions">
                {move || reconnect().map(|href| view! {
                    <a class="button" rel="external" href=href>"Reconnect"</a>
                })}
                <a class="button secondary" role="button" rel="external" href=edit_href
                   on:click=move |ev| { ev.prevent_default(); editing.set(true); }>"Edit"</a>
                <ActionForm action=sync attr:class="inline sync-form">
                    <input type="hidden" name="id" value=sync_form_id/>
                    <button type="submit" disabled=syncing_this
                            on:click={ let id = id.clone(); move |_| sync_target.set(Some(id.clone())) }>
                        {move || if syncing_this.get() { "Syncing…" } else { "Sync now" }}
                    </button>
                </ActionForm>
                <details class="delete">
                    <summary class="button danger">"Delete"</summary>
                    <ActionForm action=delete attr:class="confirm">
                        <input type="hidden" name="id" value=delete_form_id/>
                        <p>"Delete this connection and its events? Activities already logged stay."</p>
                        <button type="submit" class="danger" disabled=move || delete.pending().get()
                                on:click=move |_| deleting_here.set(true)>"Yes, delete"</button>
                        // A failed deletion says why here, on the card it was asked for.
                        {move || delete.value().get().and_then(Result::err).filter(|_| deleting_here.get()).map(|error| view! { <ErrorBox error/> })}
                    </ActionForm>
                </details>
            </div>
            <Show when=move || editing.get()>
                <EditDialog connection=current.get_untracked() update on_close=Callback::new(move |_| editing.set(false))/>
            </Show>
        </article>
    }
    .into_any()
}

/// Ticks for the calendars an account offers, kept in `chosen` (the Add dialog, which lists
/// what "Test connection" found).
#[component]
fn CalendarChoices(
    calendars: Vec<DiscoveredCalendar>,
    chosen: RwSignal<BTreeSet<String>>,
) -> impl IntoView {
    view! {
        <fieldset class="calendar-choices">
            <legend>"Calendars to sync"</legend>
            {calendars.into_iter().enumerate().map(|(i, c)| {
                let href = c.remote_id.clone();
                let href2 = href.clone();
                view! {
                    <label class="inline choice" for=format!("cal-{i}")>
                        <input id=format!("cal-{i}") type="checkbox"
                            prop:checked=move || chosen.with(|s| s.contains(&href))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|s| { if on { s.insert(href2.clone()); } else { s.remove(&href2); } });
                            }/>
                        <CalendarDot color=c.color/>
                        {c.name}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
}

#[component]
fn CalendarDot(color: Option<String>) -> impl IntoView {
    view! { <span class="dot" style=format!("background:{}", color.unwrap_or_else(|| "#868e96".into()))></span> }
}

/// Where a CalDAV account lives and how to sign in to it: the Add dialog and the Add page
/// (without JavaScript) share these fields. Their names are [`CalDavInput`]'s as a form posts
/// them; the signals are for the dialog's "Test connection" and the provider presets.
#[component]
fn CalDavAccountFields(
    url: RwSignal<String>,
    username: RwSignal<String>,
    password: RwSignal<String>,
    name: RwSignal<String>,
) -> impl IntoView {
    let preset = RwSignal::new("other".to_string());
    let hint = move || {
        PRESETS
            .iter()
            .find(|p| p.key == preset.get())
            .map(|p| p.hint)
            .unwrap_or_default()
    };
    view! {
        <label for="caldav-preset">"Provider"</label>
        <select id="caldav-preset" on:change=move |ev| {
            let key = event_target_value(&ev);
            if let Some(p) = PRESETS.iter().find(|p| p.key == key) { url.set(p.url.to_string()); if name.get_untracked().is_empty() && p.key != "other" { name.set(p.label.to_string()); } }
            preset.set(key);
        }>
            {PRESETS.iter().map(|p| view! { <option value=p.key selected=p.key == "other">{p.label}</option> }).collect_view()}
        </select>
        <label for="caldav-url">"Server URL"</label>
        // The presets' addresses are offered by the field itself too (no JavaScript needed).
        <input id="caldav-url" name="connection[server_url]" type="url" required placeholder="https://caldav.example.com"
               list="caldav-urls" bind:value=url/>
        <datalist id="caldav-urls">
            {PRESETS.iter().filter(|p| !p.url.is_empty()).map(|p| view! { <option value=p.url>{p.label}</option> }).collect_view()}
        </datalist>
        <small>{hint}</small>
        <label for="caldav-username">"Username"</label>
        <input id="caldav-username" name="connection[username]" required autocomplete="off" bind:value=username/>
        <label for="caldav-password">"Password"</label>
        <input id="caldav-password" name="connection[password]" type="password" required autocomplete="new-password" bind:value=password/>
    }
}

#[component]
fn AddCalDavDialog(create: ServerAction<CreateCaldav>, on_close: Callback<()>) -> impl IntoView {
    let test = ServerAction::<TestCaldav>::new();
    let url = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let frequency = RwSignal::new(SyncFrequency::default());
    let chosen = RwSignal::new(BTreeSet::<String>::new());
    // Tick every discovered calendar by default.
    Effect::new(move |_| {
        if let Some(Ok(found)) = test.value().get() {
            chosen.set(found.iter().map(|c| c.remote_id.clone()).collect());
        }
    });
    let run_test = move || {
        test.dispatch(TestCaldav {
            server_url: url.get_untracked(),
            username: username.get_untracked(),
            password: password.get_untracked(),
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch(CreateCaldav {
            connection: CalDavInput {
                name: name.get_untracked(),
                server_url: url.get_untracked(),
                username: username.get_untracked(),
                password: password.get_untracked(),
                calendars: chosen.get_untracked().into_iter().collect(),
                all_calendars: false,
                sync_frequency: Some(frequency.get_untracked()),
            },
        });
    };
    view! {
        <Modal labelled_by="add-caldav-title" on_close>
                <h2 id="add-caldav-title">"Add CalDAV account"</h2>
                <form on:submit=submit>
                    <CalDavAccountFields url username password name/>
                    <button type="button" class="secondary" disabled=move || test.pending().get() on:click=move |_| run_test()>
                        {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
                    </button>
                    {move || match test.value().get() {
                        None => None,
                        Some(Err(error)) => Some(view! { <ErrorBox error/> }.into_any()),
                        Some(Ok(found)) if found.is_empty() => Some(view! { <p class="error" role="alert">"Connected, but this account has no event calendars."</p> }.into_any()),
                        Some(Ok(found)) => Some(view! {
                            <p class="success" role="status">{format!("Connected. Found {} calendar(s).", found.len())}</p>
                            <CalendarChoices calendars=found chosen/>
                            <label for="caldav-name">"Connection name"</label>
                            <input id="caldav-name" bind:value=name placeholder="Work calendar"/>
                            <FrequencySelect id="caldav-frequency" frequency/>
                        }.into_any()),
                    }}
                    <ActionError value=create.value()/>
                    <div class="form-actions">
                        <button type="submit" disabled=move || create.pending().get() || !matches!(test.value().get(), Some(Ok(ref f)) if !f.is_empty())>
                            {move || if create.pending().get() { "Adding…" } else { "Add account" }}
                        </button>
                        <button type="button" class="secondary" on:click=move |_| on_close.run(())>"Cancel"</button>
                    </div>
                </form>
        </Modal>
    }
    .into_any()
}

/// Settings → Calendars → Add CalDAV account as a page: one post connects, finds the account's
/// calendars and adds it with all of them (the dialog, with JavaScript, lets you test first
/// and pick). Errors come back here; success goes to the list, where the first sync shows.
#[component]
pub fn AddCalDavPage() -> impl IntoView {
    let create = ServerAction::<CreateCaldav>::new();
    let (url, username, password, name) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    back_to_list_on_success(create.value());
    view! {
        <Title text="Add CalDAV account"/>
        <h1>"Settings"</h1>
        <SettingsTabs current="calendars"/>
        <section class="card narrow add-caldav" aria-labelledby="add-caldav-heading">
            <h2 id="add-caldav-heading">"Add CalDAV account"</h2>
            <p class="meta">"Rondo connects, finds the account's event calendars and syncs all of them; Edit picks fewer afterwards."</p>
            <ActionForm action=create>
                <CalDavAccountFields url username password name/>
                <label for="caldav-name">"Connection name"</label>
                <input id="caldav-name" name="connection[name]" bind:value=name placeholder="Work calendar"/>
                <FrequencySelect id="caldav-frequency" name="connection[sync_frequency]" frequency=RwSignal::new(SyncFrequency::default())/>
                <input type="hidden" name="connection[all_calendars]" value="true"/>
                <ActionError value=create.value()/>
                <div class="form-actions">
                    <button type="submit" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Adding…" } else { "Add account" }}
                    </button>
                    <a href="/settings/calendars">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}

/// With JavaScript the server does not redirect (see `redirect_plain_form`): the page goes
/// back to the list itself.
fn back_to_list_on_success<T, S>(value: S)
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = value.get() {
            navigate("/settings/calendars", Default::default());
        }
    });
}

/// What can be changed on a connection, as [`ConnectionUpdate`]'s form fields: the Edit dialog
/// and the Edit page (without JavaScript) post the same form, so a new setting is one field
/// here.
#[component]
fn ConnectionFields(connection: Connection) -> impl IntoView {
    let needs_password = connection.status == ConnectionStatus::Error || !connection.has_secret;
    view! {
        <input type="hidden" name="update[id]" value=connection.id.clone()/>
        <label for="edit-name">"Name"</label>
        <input id="edit-name" name="update[name]" value=connection.name.clone() required maxlength=crate::limits::NAME/>
        <fieldset class="calendar-choices">
            <legend>"Calendars to sync"</legend>
            {connection.calendars.iter().enumerate().map(|(i, c)| view! {
                <label class="inline choice" for=format!("cal-{i}")>
                    <input id=format!("cal-{i}") type="checkbox" name=format!("update[calendars][{i}]")
                           value=c.remote_id.clone() checked=c.selected/>
                    <CalendarDot color=c.color.clone()/>
                    {c.name.clone()}
                </label>
            }).collect_view()}
        </fieldset>
        <label class="inline"><input type="checkbox" name="update[sync_enabled]" value="on" checked=connection.sync_enabled/>"Sync this connection"</label>
        <label class="inline"><input type="checkbox" name="update[auto_log]" value="on" checked=connection.auto_log/>"Log past meetings as activities automatically"</label>
        {(connection.provider == Provider::Google).then(|| view! {
            <label class="inline"><input type="checkbox" id="edit-ooo" name="update[show_out_of_office]" value="on" checked=connection.show_out_of_office/>"Show out-of-office"</label>
            <small>"Google's out-of-office entries appear with your meetings (never linked to people or logged). Working location and focus time never do."</small>
        })}
        <FrequencySelect id="edit-frequency" name="update[sync_frequency]" frequency=RwSignal::new(connection.sync_frequency)/>
        <div class="grid2">
            <div><WindowSelect id="edit-back" name="update[days_back]" label="Sync from" direction="back" days=RwSignal::new(connection.days_back)/></div>
            <div><WindowSelect id="edit-ahead" name="update[days_ahead]" label="Sync until" direction="ahead" days=RwSignal::new(connection.days_ahead)/></div>
        </div>
        {(connection.provider == Provider::CalDav).then(|| view! {
            <label for="edit-password">{if needs_password { "Password" } else { "New password (leave blank to keep)" }}</label>
            <input id="edit-password" name="update[password]" type="password" autocomplete="new-password"/>
        })}
    }
}

#[component]
fn EditDialog(
    connection: Connection,
    update: ServerAction<UpdateConnection>,
    on_close: Callback<()>,
) -> impl IntoView {
    // Closes after a save from this dialog succeeded; a failed one keeps it open with its error
    // and what was typed.
    let opened_at = update.version().get_untracked();
    Effect::new(move |_| {
        if update.version().get() > opened_at
            && !update.pending().get()
            && matches!(update.value().get(), Some(Ok(_)))
        {
            on_close.run(());
        }
    });
    let id = connection.id.clone();
    view! {
        <Modal labelled_by="edit-connection-title" on_close>
                <h2 id="edit-connection-title">{format!("Edit {}", connection.name)}</h2>
                <ActionForm action=update>
                    <ConnectionFields connection/>
                    <ActionError value=update.value()/>
                    <DialogSyncHistory id/>
                    <div class="form-actions">
                        <button type="submit" disabled=move || update.pending().get()>"Save"</button>
                        <button type="button" class="secondary" on:click=move |_| on_close.run(())>"Cancel"</button>
                    </div>
                </ActionForm>
        </Modal>
    }
    .into_any()
}

/// Settings → Calendars → Edit as a page (`/settings/calendars/:id/edit`), the form the Edit
/// dialog shows, for browsers without JavaScript.
#[component]
pub fn EditConnectionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    let update = ServerAction::<UpdateConnection>::new();
    let connection = Resource::new(id, |id| async move {
        list_connections()
            .await?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| AppError::NotFound("The calendar connection".into()))
    });
    let history = Resource::new(id, connection_history);
    back_to_list_on_success(update.value());
    view! {
        <Title text="Edit calendar connection"/>
        <h1>"Settings"</h1>
        <SettingsTabs current="calendars"/>
        <Suspense fallback=|| view! { <Loading/> }>
            {move || Suspend::new(async move {
                match connection.await {
                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                    Ok(connection) => view! {
                        <section class="card narrow edit-connection" aria-labelledby="edit-connection-title">
                            <h2 id="edit-connection-title">{format!("Edit {}", connection.name)}</h2>
                            <ActionForm action=update>
                                <ConnectionFields connection/>
                                <ActionError value=update.value()/>
                                <div class="form-actions">
                                    <button type="submit" disabled=move || update.pending().get()>"Save"</button>
                                    <a href="/settings/calendars">"Cancel"</a>
                                </div>
                            </ActionForm>
                            <details class="sync-history">
                                <summary>"Sync history"</summary>
                                {match history.await {
                                    Ok(runs) => view! { <SyncRuns runs/> }.into_any(),
                                    Err(error) => view! { <ErrorBox error/> }.into_any(),
                                }}
                            </details>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The connection's recent sync runs, loaded when the Edit dialog opens.
#[component]
fn DialogSyncHistory(id: String) -> impl IntoView {
    let runs = LocalResource::new(move || connection_history(id.clone()));
    view! {
        <details class="sync-history">
            <summary>"Sync history"</summary>
            <Transition fallback=|| view! { <Loading/> }>
                {move || Suspend::new(async move {
                    match runs.await {
                        Err(error) => view! { <ErrorBox error/> }.into_any(),
                        Ok(runs) => view! { <SyncRuns runs/> }.into_any(),
                    }
                })}
            </Transition>
        </details>
    }
}

#[component]
fn SyncRuns(runs: Vec<SyncRun>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="empty">"No syncs yet."</p> }.into_any();
    }
    view! {
        <table class="history">
            <thead><tr><th>"Started"</th><th>"Took"</th><th>"Added"</th><th>"Changed"</th><th>"Removed"</th><th>"Logged"</th><th>"Result"</th></tr></thead>
            <tbody>
                {runs.into_iter().map(|run| view! {
                    <tr class:failed=run.error.is_some()>
                        <td>{ago(run.started_at)}</td>
                        <td>{format!("{:.1} s", (run.finished_at - run.started_at).num_milliseconds() as f64 / 1000.0)}</td>
                        <td>{run.added}</td><td>{run.changed}</td><td>{run.removed}</td><td>{run.logged}</td>
                        <td>{run.error.clone().unwrap_or_else(|| "OK".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
