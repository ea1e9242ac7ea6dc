//! Sign-in throttling, sign-up that does not reveal accounts, and the sign-up modes.
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::error::AppError;
use app::models::{SignUpInput, SignupMode, SIGNED_UP_NOTICE};
use server::auth::{Accounts, SignInThrottle, SignUpOutcome, CLIENT_ATTEMPTS};

use crate::common;

const PASSWORD: &str = "correct horse battery";

fn input(email: &str, invite: Option<&str>) -> SignUpInput {
    SignUpInput {
        email: email.into(),
        password: PASSWORD.into(),
        name: "Test".into(),
        time_zone: "UTC".into(),
        invite: invite.map(str::to_string),
    }
}

#[tokio::test]
async fn concurrent_wrong_sign_ins_evaluate_at_most_the_limit() {
    let server = common::start().await;
    server
        .client()
        .sign_up("cy@example.org", PASSWORD)
        .await
        .unwrap();
    let hashing = server.services.accounts.hashing.clone();
    let before = hashing.verifications();
    let attacker = Arc::new(server.client());
    let guesses: Vec<_> = (0..150)
        .map(|i| {
            let attacker = attacker.clone();
            tokio::spawn(async move {
                attacker
                    .sign_in("cy@example.org", &format!("guess number {i}"))
                    .await
            })
        })
        .collect();
    let mut wrong = 0;
    let mut limited = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            Err(AppError::Invalid(_)) => wrong += 1,
            Err(AppError::RateLimited(_)) => limited += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!((wrong, limited), (5, 145));
    assert_eq!(
        hashing.verifications() - before,
        5,
        "only 5 guesses were evaluated"
    );
    // Even the right password is refused until the window has passed.
    assert!(matches!(
        attacker.sign_in("cy@example.org", PASSWORD).await,
        Err(AppError::RateLimited(m)) if m >= 1
    ));
    assert_eq!(hashing.verifications() - before, 5);
}

/// A client on another loopback address (all of 127/8 is local on Linux).
fn client_from(base: &str, local: &str) -> reqwest::Client {
    let _ = base;
    reqwest::Client::builder()
        .local_address(local.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `Ok` when signed in, else the error the server answered with.
async fn sign_in_from(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<(), AppError> {
    let response = http
        .post(format!("{base}/api/sign-in"))
        .header("accept", "application/json")
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    if response.status().is_redirection() || response.status().is_success() {
        return Ok(());
    }
    Err(serde_json::from_str(&response.text().await.unwrap()).unwrap())
}

#[tokio::test]
async fn one_client_is_limited_across_many_addresses() {
    let server = common::start().await;
    server
        .client()
        .sign_up("real@example.org", PASSWORD)
        .await
        .unwrap();
    let hashing = server.services.accounts.hashing.clone();
    let before = hashing.verifications();
    let sprayer = client_from(&server.base, "127.0.0.1");
    let attempts: Vec<_> = (0..CLIENT_ATTEMPTS + 10)
        .map(|i| {
            let (http, base) = (sprayer.clone(), server.base.clone());
            tokio::spawn(async move {
                sign_in_from(
                    &http,
                    &base,
                    &format!("user{i}@example.org"),
                    "password spray",
                )
                .await
            })
        })
        .collect();
    let mut limited = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Err(AppError::RateLimited(_)) => limited += 1,
            Err(AppError::Invalid(_)) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(limited, 10, "one address per account, but one client");
    assert_eq!(hashing.verifications() - before, CLIENT_ATTEMPTS);
    // That client is refused even for a real account with its right password...
    assert!(matches!(
        sign_in_from(&sprayer, &server.base, "real@example.org", PASSWORD).await,
        Err(AppError::RateLimited(_))
    ));
    // ...while another client signs in as usual.
    let other = client_from(&server.base, "127.0.0.2");
    assert_eq!(
        sign_in_from(&other, &server.base, "real@example.org", PASSWORD).await,
        Ok(())
    );
}

#[tokio::test]
async fn after_the_limit_the_right_password_waits_for_the_window() {
    let db = server::db::memory().await.unwrap();
    let accounts = Accounts::new(db, SignInThrottle::new(3, Duration::from_secs(60)));
    accounts
        .sign_up(&input("dee@example.org", None))
        .await
        .unwrap();
    let client = Some("203.0.113.5".parse().unwrap());
    let t0 = Instant::now();
    for _ in 0..3 {
        assert!(matches!(
            accounts
                .sign_in_at("dee@example.org", "nope nope nope", client, t0)
                .await,
            Err(server::error::StoreError::BadCredentials)
        ));
    }
    assert!(matches!(
        accounts
            .sign_in_at("dee@example.org", PASSWORD, client, t0)
            .await,
        Err(server::error::StoreError::RateLimited(1))
    ));
    assert_eq!(accounts.hashing.verifications(), 3);
    let later = t0 + Duration::from_secs(61);
    accounts
        .sign_in_at("DEE@example.org", PASSWORD, client, later)
        .await
        .expect("allowed again once the window has passed");
}

/// One sign-up as a browser without JavaScript posts it, and as the hydrated app does.
async fn raw_sign_up(
    base: &str,
    email: &str,
    password: &str,
    json: bool,
) -> (u16, String, String, bool) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut request = http.post(format!("{base}/api/sign-up")).form(&[
        ("email", email),
        ("password", password),
        ("name", "Someone"),
        ("time_zone", "UTC"),
    ]);
    request = if json {
        request.header("accept", "application/json")
    } else {
        request
            .header("accept", "text/html")
            .header("referer", format!("{base}/signup"))
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let cookie = response.headers().get("set-cookie").is_some();
    (status, location, response.text().await.unwrap(), cookie)
}

#[tokio::test]
async fn sign_up_does_not_reveal_accounts() {
    let server = common::start().await;
    server
        .client()
        .sign_up("known@example.org", PASSWORD)
        .await
        .unwrap();
    let hashing = server.services.accounts.hashing.clone();
    for json in [true, false] {
        let before = hashing.hashes();
        let known = raw_sign_up(
            &server.base,
            "Known@Example.org",
            "another long password",
            json,
        )
        .await;
        let fresh = raw_sign_up(
            &server.base,
            &format!("fresh-{json}@example.org"),
            "another long password",
            json,
        )
        .await;
        assert_eq!(
            known, fresh,
            "the same answer for a known and a new address"
        );
        let (status, location, _, cookie) = known;
        assert!((200..400).contains(&status), "{status}");
        assert_eq!(location, "/login?signed_up=1");
        assert!(!cookie, "no session either way");
        assert_eq!(hashing.hashes() - before, 2, "both hashed the password");
    }
    // The known account is untouched: its own password still works, the other does not.
    let client = server.client();
    assert!(client
        .sign_in("known@example.org", "another long password")
        .await
        .is_err());
    client.sign_in("known@example.org", PASSWORD).await.unwrap();
    // The new ones were created.
    server
        .client()
        .sign_in("fresh-true@example.org", "another long password")
        .await
        .unwrap();
    // The sign-in page then says the same neutral thing.
    let page = server
        .client()
        .get("/login?signed_up=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&SIGNED_UP_NOTICE.replace('\'', "&#x27;")) || page.contains(SIGNED_UP_NOTICE),
        "{page}"
    );
}

#[tokio::test]
async fn closed_sign_up_allows_only_the_first_account() {
    let db = server::db::memory().await.unwrap();
    let mut accounts = Accounts::new(db, SignInThrottle::default());
    accounts.set_signup(SignupMode::Closed);
    assert_eq!(
        accounts.signup_mode().await.unwrap(),
        SignupMode::Open,
        "no account yet"
    );
    assert!(matches!(
        accounts
            .sign_up(&input("first@example.org", None))
            .await
            .unwrap(),
        SignUpOutcome::Created(_)
    ));
    assert_eq!(accounts.signup_mode().await.unwrap(), SignupMode::Closed);
    for email in ["second@example.org", "first@example.org"] {
        let error = accounts.sign_up(&input(email, None)).await.unwrap_err();
        assert!(error.to_string().contains("Sign-up is closed"), "{error}");
    }
    assert_eq!(accounts.hashing.hashes(), 1, "refused before any hashing");
}

#[tokio::test]
async fn invite_sign_up_needs_a_valid_single_use_code() {
    let db = server::db::memory().await.unwrap();
    let mut accounts = Accounts::new(db.clone(), SignInThrottle::default());
    accounts.set_signup(SignupMode::Invite);
    // The first account needs no code.
    assert!(matches!(
        accounts
            .sign_up(&input("admin@example.org", None))
            .await
            .unwrap(),
        SignUpOutcome::Created(_)
    ));
    assert_eq!(accounts.signup_mode().await.unwrap(), SignupMode::Invite);
    let invalid = |r: Result<SignUpOutcome, server::error::StoreError>| {
        let error = r.unwrap_err().to_string();
        assert!(error.contains("invite code is not valid"), "{error}");
    };
    invalid(accounts.sign_up(&input("ana@example.org", None)).await);
    invalid(
        accounts
            .sign_up(&input("ana@example.org", Some("made-up-code")))
            .await,
    );
    let invite = accounts.create_invite(7).await.unwrap();
    // Stored hashed only.
    let mut stored = db.query("SELECT code_hash FROM invite").await.unwrap();
    let rows: Vec<serde_json::Value> = stored.take(0).unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].to_string().contains(&invite.code));
    assert!(matches!(
        accounts
            .sign_up(&input(
                "ana@example.org",
                Some(&format!(" {} ", invite.code))
            ))
            .await
            .unwrap(),
        SignUpOutcome::Created(_)
    ));
    // Single use.
    invalid(
        accounts
            .sign_up(&input("bo@example.org", Some(&invite.code)))
            .await,
    );
    // A known address with a valid code: answered as a new one would be, and the code is spent.
    let second = accounts.create_invite(7).await.unwrap();
    assert!(matches!(
        accounts
            .sign_up(&input("ANA@example.org", Some(&second.code)))
            .await
            .unwrap(),
        SignUpOutcome::AlreadyExists
    ));
    invalid(
        accounts
            .sign_up(&input("cy@example.org", Some(&second.code)))
            .await,
    );
    // Expired codes are refused.
    let old = accounts.create_invite(1).await.unwrap();
    db.query("UPDATE invite SET expires_at = time::now() - 1m")
        .await
        .unwrap()
        .check()
        .unwrap();
    invalid(
        accounts
            .sign_up(&input("dee@example.org", Some(&old.code)))
            .await,
    );
}

#[tokio::test]
async fn open_sign_up_ignores_invite_codes() {
    let db = server::db::memory().await.unwrap();
    let accounts = Accounts::new(db, SignInThrottle::default());
    for email in ["a@example.org", "b@example.org"] {
        assert!(matches!(
            accounts
                .sign_up(&input(email, Some("whatever")))
                .await
                .unwrap(),
            SignUpOutcome::Created(_)
        ));
    }
    assert_eq!(accounts.signup_mode().await.unwrap(), SignupMode::Open);
}

#[tokio::test]
async fn the_sign_up_page_follows_the_mode() {
    let invite = common::start_with_signup(SignupMode::Invite, |_| {}).await;
    let first = invite.client().get("/signup").await.text().await.unwrap();
    assert!(
        !first.contains("name=\"invite\""),
        "the first account needs no code"
    );
    invite
        .client()
        .sign_up("admin@example.org", PASSWORD)
        .await
        .unwrap();
    let page = invite.client().get("/signup").await.text().await.unwrap();
    assert!(page.contains("name=\"invite\""), "{page}");
    assert_eq!(
        invite
            .client()
            .call::<SignupMode>("signup-options", &[])
            .await
            .unwrap(),
        SignupMode::Invite
    );
    let code = invite
        .services
        .accounts
        .create_invite(7)
        .await
        .unwrap()
        .code;
    let ana = invite.client();
    ana.call::<()>(
        "sign-up",
        &[
            ("email", "ana@example.org"),
            ("password", PASSWORD),
            ("name", "Ana"),
            ("time_zone", "UTC"),
            ("invite", &code),
        ],
    )
    .await
    .unwrap();
    ana.sign_in("ana@example.org", PASSWORD).await.unwrap();
    assert!(matches!(
        invite.client().sign_up("bo@example.org", PASSWORD).await,
        Err(AppError::Invalid(m)) if m.contains("invite code")
    ));

    let closed = common::start_with_signup(SignupMode::Closed, |_| {}).await;
    closed
        .client()
        .sign_up("admin@example.org", PASSWORD)
        .await
        .unwrap();
    let page = closed.client().get("/signup").await.text().await.unwrap();
    assert!(page.contains("Sign-up is closed"), "{page}");
    assert!(!page.contains("name=\"password\""));
    assert!(matches!(
        closed.client().sign_up("bo@example.org", PASSWORD).await,
        Err(AppError::Invalid(m)) if m.contains("Sign-up is closed")
    ));
}
