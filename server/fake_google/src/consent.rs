//! Answering the consent page over plain HTTP, as a browser would, so Rust tests need none.
use reqwest::header::LOCATION;
use reqwest::redirect::Policy;
use reqwest::StatusCode;

use crate::consent_page::{default_form_fields, DECISION_PATH};

/// The two buttons of the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

/// Loads `auth_url`, submits the consent form with its default fields and `decision`, and
/// returns the `Location` of the redirect back to the app.
pub async fn decide(base_url: &str, auth_url: &str, decision: Decision) -> Result<String, String> {
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let page = http
        .get(auth_url)
        .send()
        .await
        .map_err(|e| format!("loading the consent page: {e}"))?;
    let status = page.status();
    let html = page.text().await.map_err(|e| e.to_string())?;
    if status != StatusCode::OK {
        return Err(format!("the consent page answered {status}: {html}"));
    }
    let mut fields = default_form_fields(&html);
    let button = match decision {
        Decision::Allow => "allow",
        Decision::Deny => "deny",
    };
    fields.push(("decision".into(), button.into()));
    let answer = http
        .post(format!("{base_url}{DECISION_PATH}"))
        .form(&fields)
        .send()
        .await
        .map_err(|e| format!("submitting the consent form: {e}"))?;
    if answer.status() != StatusCode::FOUND {
        let status = answer.status();
        let body = answer.text().await.unwrap_or_default();
        return Err(format!("the consent form answered {status}: {body}"));
    }
    answer
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .ok_or_else(|| "the consent redirect has no Location".to_string())
}
