//! A recording HTTP proxy in front of a real server, so tests can see exactly which requests a
//! sync sent (method, and which REPORT) without touching the client under test.
#![allow(dead_code)]
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::response::Response;

#[derive(Clone)]
pub struct Recorder {
    pub base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    /// Starts a proxy forwarding to `upstream` (e.g. `http://127.0.0.1:5232`).
    pub async fn start(upstream: &str) -> Recorder {
        let log = Arc::new(Mutex::new(Vec::new()));
        let state = (
            upstream.trim_end_matches('/').to_string(),
            log.clone(),
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        );
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(Arc::new(state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Recorder { base, log }
    }

    /// Requests since the last call, as "METHOD" or "REPORT <kind>".
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

type ProxyState = Arc<(String, Arc<Mutex<Vec<String>>>, reqwest::Client)>;

async fn forward(State(state): State<ProxyState>, request: Request) -> Response {
    let (upstream, log, http) = (&state.0, &state.1, &state.2);
    let method = request.method().clone();
    let path = request
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let headers = request.headers().clone();
    let body = to_bytes(request.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8_lossy(&body);
    let kind = ["sync-collection", "calendar-multiget", "calendar-query"]
        .into_iter()
        .find(|k| text.contains(k));
    log.lock().unwrap().push(match kind {
        Some(k) if method.as_str() == "REPORT" => format!("REPORT {k}"),
        _ => method.to_string(),
    });
    let mut outgoing = http.request(method, format!("{upstream}{path}")).body(body);
    for (name, value) in headers
        .iter()
        .filter(|(n, _)| *n != "host" && *n != "content-length")
    {
        outgoing = outgoing.header(name, value);
    }
    let reply = outgoing.send().await.unwrap();
    let mut response = Response::builder().status(reply.status().as_u16());
    for (name, value) in reply
        .headers()
        .iter()
        .filter(|(n, _)| *n != "content-length" && *n != "transfer-encoding")
    {
        response = response.header(name, value);
    }
    response
        .body(Body::from(reply.bytes().await.unwrap()))
        .unwrap()
}
