//! The CalDAV password goes only to the origin the user entered. Two local servers stand for two
//! origins (same host, different ports): the entered one points at the other through a
//! redirect, a principal href, a calendar-home-set href or a calendar href, and the other one
//! must never receive a request, let alone an `Authorization` header; the user is told which
//! address the server pointed to.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use server::calendar::caldav::{CalDavClient, CalDavError, Credentials};
use server::calendar::caldav_sync::{self, CalDavAccount};
use server::calendar::net::Outbound;

/// What one origin received: (method path, Authorization header).
type Log = Arc<Mutex<Vec<(String, Option<String>)>>>;

struct Origin {
    base: String,
    log: Log,
}

impl Origin {
    fn requests(&self) -> Vec<(String, Option<String>)> {
        self.log.lock().unwrap().clone()
    }
}

fn multistatus(responses: &str) -> Response {
    Response::builder()
        .status(207)
        .header("content-type", "application/xml; charset=utf-8")
        .body(Body::from(format!(
            r#"<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">{responses}</d:multistatus>"#
        )))
        .unwrap()
}

fn prop(href: &str, props: &str) -> String {
    format!("<d:response><d:href>{href}</d:href><d:propstat><d:prop>{props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>")
}

fn calendar(href: &str) -> String {
    prop(
        href,
        "<d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Work</d:displayname>",
    )
}

/// Starts an origin answering with `answer(path, other_base)`, logging every request.
async fn origin(other: Option<String>, answer: fn(&str, &str) -> Response) -> Origin {
    let log: Log = Arc::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = log.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let seen = seen.clone();
        let other = other.clone().unwrap_or_default();
        async move {
            let auth = request
                .headers()
                .get("authorization")
                .map(|v| v.to_str().unwrap_or_default().to_string());
            let path = request.uri().path().to_string();
            seen.lock()
                .unwrap()
                .push((format!("{} {path}", request.method()), auth));
            answer(&path, &other)
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Origin { base, log }
}

/// The other origin: a perfectly good CalDAV calendar, so nothing but the origin rule stops a
/// client from using it.
async fn other_origin() -> Origin {
    origin(None, |path, _| multistatus(&calendar(path))).await
}

/// The entered origin, pointing at `other` in the way `path` names.
async fn entered_origin(other: &Origin) -> Origin {
    origin(Some(other.base.clone()), |path, other| match path {
        "/redirect/" => Response::builder()
            .status(301)
            .header("location", format!("{other}/dav/"))
            .body(Body::empty())
            .unwrap(),
        "/principal-elsewhere/" => multistatus(&prop(
            path,
            &format!("<d:resourcetype><d:collection/></d:resourcetype><d:current-user-principal><d:href>{other}/principals/alice/</d:href></d:current-user-principal>"),
        )),
        "/home-elsewhere/" => multistatus(&prop(
            path,
            &format!("<d:resourcetype><d:collection/></d:resourcetype><c:calendar-home-set><d:href>{other}/calendars/alice/</d:href></c:calendar-home-set>"),
        )),
        "/calendars-elsewhere/" => multistatus(&prop(
            path,
            "<d:resourcetype><d:collection/></d:resourcetype><c:calendar-home-set><d:href>/calendars-elsewhere/home/</d:href></c:calendar-home-set>",
        )),
        "/calendars-elsewhere/home/" => multistatus(&format!(
            "{}{}",
            prop(path, "<d:resourcetype><d:collection/></d:resourcetype>"),
            calendar(&format!("{other}/calendars/alice/work/"))
        )),
        _ => Response::builder().status(404).body(Body::empty()).unwrap(),
    })
    .await
}

fn account(url: String) -> CalDavAccount {
    CalDavAccount {
        server_url: url,
        username: "alice".into(),
        password: "hunter2-secret".into(),
        outbound: Outbound::new(true),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(5),
    }
}

/// Discovery from `path` on the entered origin fails, naming the other origin, which received
/// nothing; the entered origin did get the credentials.
async fn discovery_is_stopped_at_the_other_origin(path: &str) {
    let other = other_origin().await;
    let entered = entered_origin(&other).await;
    let failure = caldav_sync::discover(&account(format!("{}{path}", entered.base)))
        .await
        .unwrap_err();
    assert!(
        failure.message.contains(&other.base)
            && failure.message.contains("enter it as the server URL"),
        "{path}: {}",
        failure.message
    );
    assert_eq!(
        other.requests(),
        vec![],
        "{path}: the other origin was contacted"
    );
    let entered_requests = entered.requests();
    assert!(!entered_requests.is_empty());
    assert!(
        entered_requests
            .iter()
            .all(|(_, auth)| auth.as_deref().is_some_and(|a| a.starts_with("Basic "))),
        "{entered_requests:?}"
    );
}

#[tokio::test]
async fn a_redirect_to_another_origin_gets_no_credentials() {
    discovery_is_stopped_at_the_other_origin("/redirect/").await;
}

#[tokio::test]
async fn a_principal_on_another_origin_gets_no_credentials() {
    discovery_is_stopped_at_the_other_origin("/principal-elsewhere/").await;
}

#[tokio::test]
async fn a_calendar_home_on_another_origin_gets_no_credentials() {
    discovery_is_stopped_at_the_other_origin("/home-elsewhere/").await;
}

#[tokio::test]
async fn calendars_on_another_origin_are_not_offered() {
    discovery_is_stopped_at_the_other_origin("/calendars-elsewhere/").await;
}

#[tokio::test]
async fn syncing_a_calendar_stored_on_another_origin_gets_no_credentials() {
    let other = other_origin().await;
    let entered = entered_origin(&other).await;
    let client = CalDavClient::new(
        &format!("{}/dav/", entered.base),
        Credentials::new("alice".into(), "hunter2-secret"),
        &Outbound::new(true),
        Duration::from_secs(5),
        Duration::from_secs(5),
    )
    .unwrap();
    let elsewhere = format!("{}/calendars/alice/work/", other.base);
    assert_eq!(
        client.sync_collection(&elsewhere, None).await,
        Err(CalDavError::OtherOrigin(other.base.clone()))
    );
    assert_eq!(
        client.get_ctag(&elsewhere).await,
        Err(CalDavError::OtherOrigin(other.base.clone()))
    );
    assert_eq!(other.requests(), vec![]);
}
