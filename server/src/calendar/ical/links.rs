//! Video-call links (Meet, Zoom, Teams, …) in an event's URL, X- properties, location or
//! description, so the app can offer a "join" button.
use super::lexer::Component;

const VIDEO_HOSTS: &[&str] = &[
    "meet.google.com",
    "zoom.us",
    "zoomgov.com",
    "teams.microsoft.com",
    "teams.live.com",
    "webex.com",
    "whereby.com",
    "meet.jit.si",
    "gotomeeting.com",
    "meet.goto.com",
    "app.goto.com",
];

fn is_video_link(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest
        .split(['/', '?', '#', ':'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    // Exact host or a subdomain of it: "evilzoom.us.example.com" must not match.
    VIDEO_HOSTS
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")))
}

fn links(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']')
    })
    .filter(|w| w.starts_with("https://") || w.starts_with("http://"))
    .map(|w| w.trim_end_matches(['.', ',', ';']))
}

/// The first video-call link in the location, then the description.
pub fn extract_meeting_url(location: Option<&str>, description: Option<&str>) -> Option<String> {
    [location, description]
        .into_iter()
        .flatten()
        .flat_map(links)
        .find(|l| is_video_link(l))
        .map(str::to_string)
}

/// URL property, known X- properties, then location and description.
pub(crate) fn meeting_url(
    event: &Component,
    location: Option<&str>,
    description: Option<&str>,
) -> Option<String> {
    let direct = [
        "URL",
        "X-GOOGLE-CONFERENCE",
        "X-MICROSOFT-SKYPETEAMSMEETINGURL",
        "X-MICROSOFT-ONLINEMEETINGCONFLINK",
    ]
    .into_iter()
    .filter_map(|name| event.get(name))
    .map(|p| p.value.trim().to_string())
    .find(|url| is_video_link(url));
    direct.or_else(|| extract_meeting_url(location, description))
}
