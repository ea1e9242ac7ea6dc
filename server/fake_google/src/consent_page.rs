//! The HTML of the fake consent screen and of the authorization error pages.
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::util::html_escape;

pub const DECISION_PATH: &str = "/o/oauth2/v2/auth/decision";

/// Identity scopes are always granted; Google's granular consent only lets a person untick
/// the others.
pub fn is_identity_scope(scope: &str) -> bool {
    matches!(
        scope,
        "openid"
            | "email"
            | "profile"
            | "https://www.googleapis.com/auth/userinfo.email"
            | "https://www.googleapis.com/auth/userinfo.profile"
    )
}

pub struct ConsentView<'a> {
    pub request_id: &'a str,
    pub account_email: &'a str,
    pub client_id: &'a str,
    pub scopes: &'a [String],
    pub offline: bool,
}

/// "Sign in with Google (fake)": the account, the requested scopes (non-identity ones as
/// ticked checkboxes) and the `#allow` / `#deny` buttons, posting to the decision endpoint.
pub fn consent_page(view: &ConsentView<'_>) -> Response {
    let mut scopes = String::new();
    for scope in view.scopes {
        let s = html_escape(scope);
        if is_identity_scope(scope) {
            scopes.push_str(&format!(
                "<li><input type=\"hidden\" name=\"scope\" value=\"{s}\"><span class=\"scope\">{s}</span></li>\n"
            ));
        } else {
            scopes.push_str(&format!(
                "<li><label><input type=\"checkbox\" name=\"scope\" value=\"{s}\" checked> <span class=\"scope\">{s}</span></label></li>\n"
            ));
        }
    }
    let offline = if view.offline {
        "<p id=\"offline\">The app will keep access while you are away (offline access).</p>\n"
    } else {
        ""
    };
    let body = format!(
        "<!doctype html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><title>Sign in with Google (fake)</title></head>
<body>
<main>
<h1>Sign in with Google (fake)</h1>
<p>Signed in as <strong id=\"account\">{email}</strong></p>
<p><code id=\"client\">{client}</code> wants to access your Google Account:</p>
<form method=\"post\" action=\"{action}\">
<input type=\"hidden\" name=\"request_id\" value=\"{id}\">
<input type=\"hidden\" name=\"granular\" value=\"1\">
<ul id=\"scopes\">
{scopes}</ul>
{offline}<button id=\"deny\" type=\"submit\" name=\"decision\" value=\"deny\">Cancel</button>
<button id=\"allow\" type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>
</form>
</main>
</body>
</html>
",
        email = html_escape(view.account_email),
        client = html_escape(view.client_id),
        action = DECISION_PATH,
        id = html_escape(view.request_id),
    );
    Html(body).into_response()
}

/// Google's "Access blocked: Authorization Error" page, e.g. `Error 401: invalid_client`.
pub fn error_page(title: &str, detail: &str) -> Response {
    let body = format!(
        "<!doctype html>
<html lang=\"en\">
<head><meta charset=\"utf-8\"><title>Error (fake Google)</title></head>
<body>
<main>
<h1>Access blocked: Authorization Error</h1>
<p id=\"error\">{title}</p>
<p id=\"detail\">{detail}</p>
</main>
</body>
</html>
",
        title = html_escape(title),
        detail = html_escape(detail),
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// The inputs a browser would submit from our consent form without touching it: hidden
/// inputs and ticked checkboxes. Only understands the HTML `consent_page` writes.
pub fn default_form_fields(html: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for tag in html.split("<input").skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            let start = tag.find(&key)? + key.len();
            let len = tag[start..].find('"')?;
            Some(unescape(&tag[start..start + len]))
        };
        let kind = attr("type").unwrap_or_default();
        let submitted = kind == "hidden" || (kind == "checkbox" && tag.contains(" checked"));
        if let (true, Some(name), Some(value)) = (submitted, attr("name"), attr("value")) {
            fields.push((name, value));
        }
    }
    fields
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn form_fields_round_trip_through_the_page() {
        let scopes = vec![
            "openid".to_string(),
            "https://www.googleapis.com/auth/calendar.readonly".to_string(),
        ];
        let response = consent_page(&ConsentView {
            request_id: "r&1",
            account_email: "a@example.com",
            client_id: "c",
            scopes: &scopes,
            offline: true,
        });
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let html = String::from_utf8(bytes.to_vec()).unwrap();
        assert!(html.contains("<button id=\"allow\""));
        assert!(html.contains("<button id=\"deny\""));
        let fields = default_form_fields(&html);
        assert_eq!(
            fields,
            vec![
                ("request_id".to_string(), "r&1".to_string()),
                ("granular".to_string(), "1".to_string()),
                ("scope".to_string(), "openid".to_string()),
                ("scope".to_string(), scopes[1].clone()),
            ]
        );
    }
}
