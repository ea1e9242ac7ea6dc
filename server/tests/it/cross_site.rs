//! Requests another website makes a browser send (forms, fetch) are refused before they reach a
//! server function: no login CSRF, no changes with the victim's cookie, no forced sign-out.
//! Rondo's own pages (same origin) and tools that send no browser headers keep working.
use crate::common;

use app::models::{PersonSummary, UserInfo};

const PASSWORD: &str = "correct horse battery";
const EVIL: &str = "https://evil.example";

fn cross_site() -> [(&'static str, &'static str); 2] {
    [("origin", EVIL), ("sec-fetch-site", "cross-site")]
}

async fn refused(response: reqwest::Response) {
    assert_eq!(response.status(), 403);
    assert!(
        response.headers().get("set-cookie").is_none(),
        "a refused request must not set or clear cookies"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("came from another website"), "{body}");
}

#[tokio::test]
async fn a_cross_site_sign_in_gets_no_session() {
    let server = common::start().await;
    server.user("mallory@example.org").await;
    let victim = server.client();
    let fields = [("email", "mallory@example.org"), ("password", PASSWORD)];
    refused(victim.send_with("sign-in", &fields, &cross_site()).await).await;
    // Either header alone is enough.
    refused(
        victim
            .send_with("sign-in", &fields, &[("sec-fetch-site", "cross-site")])
            .await,
    )
    .await;
    refused(
        victim
            .send_with("sign-in", &fields, &[("origin", EVIL)])
            .await,
    )
    .await;
    refused(
        victim
            .send_with("sign-in", &fields, &[("sec-fetch-site", "same-site")])
            .await,
    )
    .await;
    assert_eq!(
        victim
            .call::<Option<UserInfo>>("current-user", &[])
            .await
            .unwrap(),
        None,
        "the victim's browser is not signed in to the attacker's account"
    );
}

#[tokio::test]
async fn a_foreign_origin_cannot_change_data_with_a_valid_cookie() {
    let server = common::start().await;
    let victim = server.user("victim@example.org").await;
    refused(
        victim
            .send_with(
                "save-person",
                &[
                    ("person[first_name]", "Planted"),
                    ("person[last_name]", "Contact"),
                ],
                &[("origin", EVIL)],
            )
            .await,
    )
    .await;
    let people: app::models::Page<PersonSummary> = victim
        .call("list-people", &[("query", ""), ("page", "1")])
        .await
        .unwrap();
    assert!(people.items.is_empty(), "nothing was saved");
    // Still signed in: the refused request did not touch the session.
    assert!(victim
        .call::<Option<UserInfo>>("current-user", &[])
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn a_cookieless_cross_site_sign_out_does_not_clear_the_cookie() {
    let server = common::start().await;
    // SameSite=Lax keeps the cookie off a cross-site POST, so it arrives without one.
    let cookieless = server.client();
    refused(cookieless.send_with("sign-out", &[], &cross_site()).await).await;
}

#[tokio::test]
async fn rondos_own_pages_and_plain_tools_are_not_refused() {
    let server = common::start().await;
    server.user("ana@example.org").await;
    let browser = server.client();
    let own = [
        ("origin", server.base.as_str()),
        ("sec-fetch-site", "same-origin"),
    ];
    let response = browser
        .send_with(
            "sign-in",
            &[("email", "ana@example.org"), ("password", PASSWORD)],
            &own,
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert!(response.headers().get("set-cookie").is_some());
    let response = browser.send_with("sign-out", &[], &own).await;
    assert!(response.status().is_success(), "{}", response.status());
    // No browser headers at all (curl, scripts): allowed.
    server
        .client()
        .sign_in("ana@example.org", PASSWORD)
        .await
        .unwrap();
}
